#!/usr/bin/env python3
"""End-to-end: batond's exceptions reach people through a real Alertmanager. The test starts
batond, baton-alerts, Debian's prometheus-alertmanager (alone, on loopback) with the shipped
config/alertmanager.yml — its routing tree and inhibition as shipped; only the receivers become
webhooks to a receiver in this test and the timers are shortened — and proves:

- an event that raises `qc_failed` gives one notification, to the department's receiver (and,
  for a key account's critical one, to the key-account managers and the chat bot), with the
  right labels; another customer's goes to the department's receiver only;
- a second event of the same order does not notify again within the repeat interval;
- resolving the exception (batonctl resolve) sends the resolved notification;
- a silence created with `amtool silence add` keeps a new exception quiet (Alertmanager holds
  it as suppressed), while one of another order is notified;
- a credit_hold inhibits the same order's stage_overdue (as shipped), checked through the API;
- Alertmanager stopped while an exception is raised and started again: the notification still
  comes.

Run by ctest (`alertmanager.end_to_end`, label e2e), or by hand:

  python3 tests/e2e/alerts_e2e_test.py --source .

Exit codes: 0 passed; 1 failed (a line "FAIL: ..." says what); 77 skipped, only when
prometheus-alertmanager or amtool is not installed.
"""

import argparse
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import board_harness as h  # noqa: E402

ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
AMTOOL = "/usr/bin/amtool"
SKIP = 77
BOARD_URL = "http://board.plant.example:7780"

# Alertmanager's timers for the test: group_wait and group_interval short so that a test waits
# seconds, not minutes; repeat_interval long, so any second notification of a group within the
# test would be a repeat Alertmanager was not asked for.
GROUP_WAIT = "1s"
GROUP_INTERVAL = "2s"
REPEAT_INTERVAL = "1h"


def check(condition, message):
    if not condition:
        raise h.Failure(message)


# ---- the receiver: where Alertmanager's webhooks land ----


class Receiver:
    """An HTTP server recording every webhook notification: (receiver path, payload, time)."""

    def __init__(self):
        self.port = h.free_port()
        self.notifications = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                try:
                    payload = json.loads(body)
                except ValueError:
                    payload = {"unparsable": body.decode("utf-8", "replace")}
                with outer.lock:
                    outer.notifications.append((self.path.strip("/"), payload, time.monotonic()))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, receiver):
        return f"http://127.0.0.1:{self.port}/{receiver}"

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def of_order(self, order, receiver=None, status=None):
        """The notifications with an alert of `order` (optionally to `receiver`, and only those
        alerts whose status is `status`): a list of (receiver, [alerts of that order])."""
        with self.lock:
            found = []
            for path, payload, _ in self.notifications:
                if receiver is not None and path != receiver:
                    continue
                alerts = [a for a in payload.get("alerts", [])
                          if a.get("labels", {}).get("order") == order
                          and (status is None or a.get("status") == status)]
                if alerts:
                    found.append((path, alerts))
            return found

    def summary(self):
        with self.lock:
            return [(p, [(a.get("labels", {}).get("order"), a.get("labels", {}).get("alertname"),
                          a.get("status")) for a in n.get("alerts", [])])
                    for p, n, _ in self.notifications]


# ---- Alertmanager ----


def alertmanager_config(source, receiver):
    """The shipped config/alertmanager.yml with its receivers made webhooks to `receiver` (one
    path per receiver name) and shorter timers; routes and inhibit rules as shipped."""
    import yaml

    with open(os.path.join(source, "config", "alertmanager.yml"), encoding="utf-8") as f:
        cfg = yaml.safe_load(f)
    cfg.pop("templates", None)  # the webhooks carry JSON; the templates have their own test
    cfg["global"] = {"resolve_timeout": "5m"}
    cfg["receivers"] = [{"name": r["name"],
                         "webhook_configs": [{"url": receiver.url(r["name"]),
                                              "send_resolved": True}]}
                        for r in cfg["receivers"]]

    def shorten(route):
        for key, value in (("group_wait", GROUP_WAIT), ("group_interval", GROUP_INTERVAL),
                           ("repeat_interval", REPEAT_INTERVAL)):
            if key in route or route is cfg["route"]:
                route[key] = value
        for child in route.get("routes", []):
            shorten(child)

    shorten(cfg["route"])
    return yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False)


class Alertmanager:
    def __init__(self, work, config_text):
        self.port = h.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = work.write("alertmanager/alertmanager.yml", config_text)
        self.storage = work.file("alertmanager/data")
        self.log = work.file("alertmanager.log")
        self.child = None

    def start(self, timeout=30):
        self.child = h.Child([ALERTMANAGER, f"--config.file={self.config}",
                              f"--storage.path={self.storage}",
                              f"--web.listen-address=127.0.0.1:{self.port}",
                              "--cluster.listen-address=", "--log.level=info"], self.log)
        h.wait_for("Alertmanager answers /-/ready", self._ready, timeout, 0.1)

    def _ready(self):
        self.child.check_running("prometheus-alertmanager")
        try:
            with urllib.request.urlopen(self.url + "/-/ready", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def stop(self):
        return self.child.stop() if self.child else None

    def alerts(self, order):
        """Alertmanager's view of the alerts of `order` (silenced and inhibited ones too)."""
        query = urllib.parse.urlencode({"filter": f'order="{order}"', "silenced": "true",
                                        "inhibited": "true", "active": "true"})
        with urllib.request.urlopen(f"{self.url}/api/v2/alerts?{query}", timeout=5) as r:
            return json.load(r)

    def amtool(self, *args):
        argv = [AMTOOL, f"--alertmanager.url={self.url}", *args]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise h.Failure(f"`{' '.join(argv)}` exited {r.returncode}: {r.stdout}{r.stderr}")
        return r.stdout.strip()


# ---- baton-alerts ----


class Alerts:
    def __init__(self, binary, work, batond, alertmanager):
        self.binary = binary
        self.log = work.file("baton-alerts.log")
        os.makedirs(work.file("alerts/state"), exist_ok=True)
        self.config = work.write("alerts/alerts.yaml", "\n".join([
            "# written by alerts_e2e_test.py",
            f"batond: {{control: {batond.control}, relay: {batond.relay}, timeout: 5s}}",
            "state: state",
            "alertmanager:",
            f"  urls: [{alertmanager.url}]",
            "  timeout: 2s",
            "  retry: {initial: 200ms, max: 1s}",
            "alerts:",
            f"  board_url: {BOARD_URL}",
            "  resend_every: 2s",
            "  ends_after: 1m",
            "log_level: debug",
            "",
        ]))
        self.child = None

    def check_config(self):
        r = subprocess.run([self.binary, "-c", self.config, "--check-config"],
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise h.Failure(f"baton-alerts --check-config exited {r.returncode}: "
                            f"{r.stdout}{r.stderr}")

    def start(self):
        self.child = h.Child([self.binary, "-c", self.config], self.log)
        time.sleep(0.5)
        self.child.check_running("baton-alerts")

    def stop(self):
        return self.child.stop() if self.child else None


# ---- events ----


class PlantEvents(h.Events):
    def scheduled(self, order, batch):
        return self._envelope("production.order.scheduled", "mes", order, {
            "batch": batch, "planned_start": h.in_days(10), "planned_finish": h.in_days(12),
            "line": "P1"})

    def qc_failed(self, order, batch, detail):
        return self._envelope("production.qc.failed", "mes", order, {
            "batch": batch, "detail": detail, "qty": 200.0, "unit": "kg", "defect": "blisters"})


def order_in_production(ingest, events, order, customer):
    """An order placed, cleared by finance and scheduled: it stands in `production`."""
    ingest.publish([events.order_placed(order, customer), events.credit_approved(order),
                    events.scheduled(order, "B1")])


def one_exception(batond, order, kind):
    found = [e for e in batond.exceptions_of_order(order) if e["kind"] == kind]
    check(len(found) == 1, f"batond should have one open {kind} on {order}, has {found}")
    return found[0]


def wait_notified(receiver, what, order, timeout, receiver_name=None, status="firing"):
    return h.wait_for(what, lambda: receiver.of_order(order, receiver_name, status), timeout, 0.1)


# ---- the test ----


def run(args, work, procs):
    receiver = Receiver()
    receiver.start()
    procs.append(receiver)

    am = Alertmanager(work, alertmanager_config(args.source, receiver))
    am.start()
    procs.append(am)

    batond = h.Batond(args.batond, args.batonctl, args.source, work)
    batond.start()
    procs.append(batond)

    alerts = Alerts(args.alerts, work, batond, am)
    alerts.check_config()
    alerts.start()
    procs.append(alerts)

    ingest = h.Ingest(batond.ingest)
    procs.append(ingest)
    events = PlantEvents("alerts-e2e")

    # 1. qc_failed on a key account's order: one notification to production's mailbox and one
    # to the key-account managers, with the labels people route and read by.
    order = "SO-AL1"
    order_in_production(ingest, events, order, "C-1001")
    ingest.publish([events.qc_failed(order, "B1", "blisters on the anodised surface")])
    exc = one_exception(batond, order, "qc_failed")
    # batond rates a key account's failed batch critical: mail, WeCom and the chat bot.
    check(exc["severity"] == "critical", f"batond should rate {exc['id']} critical: {exc}")
    t0 = time.monotonic()
    got = wait_notified(receiver, f"a notification of {exc['id']} on {order} to production-mail",
                        order, 30, "production-mail")
    print(f"qc_failed {exc['id']} notified {time.monotonic() - t0:.1f} s after batond acked it",
          flush=True)
    for name in ("key-accounts-wechat", "plant-chat"):
        wait_notified(receiver, f"a notification of {exc['id']} to {name} (tier key, critical)",
                      order, 10, name)
    check(len(got) == 1 and len(got[0][1]) == 1,
          f"one notification with one alert expected, got {receiver.summary()}")
    alert = got[0][1][0]
    labels = alert["labels"]
    expected = {"alertname": "qc_failed", "severity": "critical", "dept": "production",
                "tier": "key", "stage": "production", "customer": "C-1001", "order": order,
                "scope": "B1", "source": "baton"}
    for key, value in expected.items():
        check(labels.get(key) == value,
              f"label {key} should be {value!r}, is {labels.get(key)!r} (labels {labels})")
    annotations = alert["annotations"]
    check("failed quality control" in annotations.get("detail", ""),
          f"annotation detail should be batond's detail, is {annotations}")
    check(annotations.get("order_url") == f"{BOARD_URL}/order/{order}",
          f"annotation order_url should link the board's order page, is {annotations}")
    check(exc["id"] in json.dumps(annotations),
          f"the annotations should name the exception {exc['id']}: {annotations}")
    routed_elsewhere = [p for p, _ in receiver.of_order(order)
                        if p not in ("production-mail", "key-accounts-wechat", "plant-chat")]
    check(not routed_elsewhere, f"{order} must reach only production-mail, "
          f"key-accounts-wechat and plant-chat, also went to {routed_elsewhere}")

    # 2. A second event of the same order (the same batch fails again, another is scheduled):
    # no new exception, so no new notification within the repeat interval, although
    # baton-alerts keeps re-posting the alert every 2 s.
    ingest.publish([events.qc_failed(order, "B1", "blisters again after re-inspection"),
                    events.scheduled(order, "B2")])
    time.sleep(7)  # several group intervals (2 s) and resends (2 s)
    firing = receiver.of_order(order, "production-mail", "firing")
    check(len(firing) == 1, f"a second event of {order} must not notify again within the "
          f"repeat interval; production-mail got {len(firing)} notifications: "
          f"{receiver.summary()}")

    # 3. Resolved in batond: the resolved notification follows.
    batond.ctl("resolve", exc["id"], "--by", "wang", "--note", "re-run planned as B2")
    t0 = time.monotonic()
    resolved = wait_notified(receiver, f"the resolved notification of {exc['id']}", order, 30,
                             "production-mail", "resolved")
    print(f"resolution of {exc['id']} notified {time.monotonic() - t0:.1f} s after batond "
          "answered", flush=True)
    check(resolved[0][1][0]["labels"].get("alertname") == "qc_failed",
          f"the resolved alert should be the qc_failed one: {resolved}")

    # 4. A silence (stock-take on one order) keeps its new exception quiet; another order's is
    # notified as usual. Alertmanager has the silenced alert, marked suppressed.
    silenced, other = "SO-AL2", "SO-AL3"
    silence_id = am.amtool("silence", "add", f"order={silenced}", "--author=li.na",
                           "--comment=stock-take", "--duration=1h")
    check(silence_id, "amtool silence add printed no silence id")
    for o in (silenced, other):
        order_in_production(ingest, events, o, "C-1002")
        ingest.publish([events.qc_failed(o, "B1", "twist beyond tolerance")])
    wait_notified(receiver, f"a notification of {other} (not silenced)", other, 30,
                  "production-mail")
    time.sleep(1)
    paths = sorted({p for p, _ in receiver.of_order(other)})
    check(paths == ["production-mail"], f"{other} (tier A, "
          f"{one_exception(batond, other, 'qc_failed')['severity']}) should reach "
          f"production-mail only, reached {paths}")
    h.wait_for(f"Alertmanager holds {silenced}'s alert, suppressed by the silence",
               lambda: [a for a in am.alerts(silenced)
                        if a["status"]["state"] == "suppressed"
                        and silence_id in a["status"]["silencedBy"]], 15, 0.2)
    time.sleep(3)  # past another group interval
    check(not receiver.of_order(silenced), f"the silenced {silenced} must not be notified: "
          f"{receiver.summary()}")

    # 5. Inhibition as shipped: a credit hold mutes the same order's stage_overdue. baton-alerts
    # posts both; Alertmanager marks the stage_overdue inhibited. (Posted directly: batond
    # raises stage_overdue only after a stage's SLA, days in the shipped flow.)
    held = "SO-AL5"
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    direct = [{"labels": {"alertname": kind, "severity": "medium", "dept": "finance",
                          "order": held, "customer": "C-1003"},
               "startsAt": now} for kind in ("credit_hold", "stage_overdue")]
    request = urllib.request.Request(am.url + "/api/v2/alerts", data=json.dumps(direct).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as r:
        check(r.status == 200, f"posting alerts to Alertmanager: {r.status}")
    h.wait_for(f"{held}'s stage_overdue inhibited by its credit_hold",
               lambda: [a for a in am.alerts(held) if a["labels"]["alertname"] == "stage_overdue"
                        and a["status"]["inhibitedBy"]], 15, 0.2)

    # 6. Alertmanager down while an exception is raised; started again, the notification comes.
    am.stop()
    late = "SO-AL4"
    order_in_production(ingest, events, late, "C-1002")
    ingest.publish([events.qc_failed(late, "B1", "die lines on the visible face")])
    one_exception(batond, late, "qc_failed")
    time.sleep(3)  # baton-alerts fails to post and backs off
    alerts.child.check_running("baton-alerts")
    am.start()
    t0 = time.monotonic()
    wait_notified(receiver, f"the notification of {late}, raised while Alertmanager was down",
                  late, 30, "production-mail")
    print(f"{late} notified {time.monotonic() - t0:.1f} s after Alertmanager came back",
          flush=True)
    check(not receiver.of_order(silenced), "the silence must survive Alertmanager's restart")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--batond")
    p.add_argument("--batonctl")
    p.add_argument("--alerts", help="the baton-alerts binary")
    p.add_argument("--source", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    p.add_argument("--keep", action="store_true", help="keep the work folder (logs, databases)")
    args = p.parse_args()
    args.source = os.path.abspath(args.source)

    missing = [x for x in (ALERTMANAGER, AMTOOL) if not os.access(x, os.X_OK)]
    if missing:
        print(f"SKIP: not installed: {', '.join(missing)} (Debian package "
              "prometheus-alertmanager; scripts/deps installs it)", flush=True)
        return SKIP
    missing = h.use_debian_python(["zmq", "msgpack", "yaml"])
    if missing:
        print(f"FAIL: python modules missing: {', '.join(missing)} (Debian's python3-zmq, "
              "python3-msgpack and python3-yaml; scripts/deps installs them)", flush=True)
        return 1
    build = os.path.join(args.source, "build")
    for key, default in (("batond", "daemon/batond"), ("batonctl", "batonctl/batonctl"),
                         ("alerts", "adapters/alerts/baton-alerts")):
        if not getattr(args, key):
            setattr(args, key, os.path.join(build, default))
        if not os.access(getattr(args, key), os.X_OK):
            print(f"FAIL: --{key}: {getattr(args, key)} is not an executable file", flush=True)
            return 1

    h.install_signal_exit()
    work = h.WorkDir("baton-alerts-e2e-", keep=args.keep)
    procs = []
    failed = True
    try:
        run(args, work, procs)
        failed = False
    except h.Failure as e:
        print(f"FAIL: {e}", flush=True)
    except Exception:
        print("FAIL: unexpected error:\n" + traceback.format_exc(), flush=True)
    finally:
        for proc in reversed(procs):
            try:
                proc.close() if isinstance(proc, h.Ingest) else proc.stop()
            except Exception as e:
                print(f"stopping {type(proc).__name__}: {e}", flush=True)
        if failed:
            for name, log in (("batond", work.file("batond.log")),
                              ("baton-alerts", work.file("baton-alerts.log")),
                              ("alertmanager", work.file("alertmanager.log"))):
                if os.path.exists(log):
                    print(f"--- {name} log (last lines) ---\n{h.tail(log, 40)}", flush=True)
        work.close(failed)
    if not failed:
        print("PASS", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
