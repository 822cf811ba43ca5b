"""Shared helpers of baton-board's browser test and load benchmark: free ports, a work folder,
batond and baton-board started as a user would (configs written to the work folder), events
published to batond's ingest socket, an HTTP client with a session, server-sent-event readers
and waits with a deadline.

Imported by tests/e2e/board_browser_test.py and bench/board_bench.py. Needs Debian's
python3-zmq and python3-msgpack (scripts/deps installs them); nothing here imports them before
a function needs them, so a script can first check what is installed.
"""

import datetime
import http.client
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

DEBIAN_PYTHON = "/usr/bin/python3"


class Failure(Exception):
    """A check that failed: the message says what was expected and what was seen."""


# ---- the interpreter ----


def missing_modules(modules):
    return [m for m in modules if importlib.util.find_spec(m) is None]


def use_debian_python(modules):
    """Re-runs this script under Debian's python3 when `python3` on PATH (pyenv, a venv) lacks
    modules Debian's packages installed. Returns the modules still missing (empty when all
    import)."""
    missing = missing_modules(modules)
    if not missing:
        return []
    here = os.path.realpath(sys.executable or "")
    if (os.environ.get("BATON_BOARD_REEXEC") or not os.path.exists(DEBIAN_PYTHON)
            or here == os.path.realpath(DEBIAN_PYTHON)):
        return missing
    os.environ["BATON_BOARD_REEXEC"] = "1"
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON] + sys.argv)
    return missing  # not reached


# ---- small things ----


def free_port():
    """A loopback TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def now_ms():
    return int(time.time() * 1000)


def wait_for(what, probe, timeout, interval=0.05):
    """Calls probe() until it returns something true, at most `timeout` seconds; returns that
    value. Raises Failure naming `what` (and probe's last value) when time is up."""
    end = time.monotonic() + timeout
    last = None
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() >= end:
            raise Failure(f"{what}: not within {timeout:g} s (last seen: {last!r})")
        time.sleep(interval)


def percentile(values, p):
    """The p-th percentile (0-100) by nearest rank."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def tail(path, lines=30):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError as e:
        return f"({path}: {e})"


def yaml_str(s):
    """A YAML scalar for any string (JSON strings are YAML)."""
    return json.dumps(s, ensure_ascii=False)


class WorkDir:
    """A temporary folder for one run: configs, databases, logs. Removed at the end unless the
    run failed or `keep` is set."""

    def __init__(self, prefix, keep=False):
        self.path = tempfile.mkdtemp(prefix=prefix)
        self.keep = keep

    def file(self, name):
        return os.path.join(self.path, name)

    def write(self, name, text):
        p = self.file(name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
        return p

    def close(self, failed):
        if failed or self.keep:
            print(f"work folder kept: {self.path}", flush=True)
        else:
            shutil.rmtree(self.path, ignore_errors=True)


# ---- processes ----


def _die_with_parent():
    """In the child before exec: SIGKILL when the script dies, even by SIGKILL (a ctest
    timeout), so no batond or baton-board outlives it."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class Child:
    """A program started in the background with stdout and stderr in a log file; stopped with
    SIGTERM, then SIGKILL."""

    def __init__(self, argv, log_path, cwd=None):
        self.argv = argv
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=cwd,
                                     preexec_fn=_die_with_parent)

    @property
    def pid(self):
        return self.proc.pid

    def running(self):
        return self.proc.poll() is None

    def check_running(self, name):
        if not self.running():
            raise Failure(f"{name} exited with status {self.proc.returncode}; its log "
                          f"({self.log_path}):\n{tail(self.log_path)}")

    def stop(self, timeout=10):
        """Stops it and returns its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


def install_signal_exit():
    """SIGTERM (ctest's timeout, Ctrl-C in a pipeline) ends the script through its `finally`
    blocks, so the programs it started are stopped."""

    def handler(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def find_binaries(args, source):
    """Fills args.batond, args.board, args.batonctl from <source>/build when not given."""
    build = os.path.join(source, "build")
    defaults = {
        "batond": os.path.join(build, "daemon", "batond"),
        "board": os.path.join(build, "board", "baton-board"),
        "batonctl": os.path.join(build, "batonctl", "batonctl"),
    }
    for key, path in defaults.items():
        if not getattr(args, key):
            setattr(args, key, path)
        p = getattr(args, key)
        if not os.access(p, os.X_OK):
            raise Failure(f"--{key}: {p} is not an executable file")


# ---- batond ----


class Batond:
    """batond with a config in `work`: the source tree's schemas and flow, a customers file
    (the source tree's unless given), free loopback ports and a feed file."""

    def __init__(self, binary, batonctl, source, work, customers=None, flow=None):
        self.binary = binary
        self.batonctl = batonctl
        self.work = work
        self.ingest = f"tcp://127.0.0.1:{free_port()}"
        self.relay = f"tcp://127.0.0.1:{free_port()}"
        self.control = f"tcp://127.0.0.1:{free_port()}"
        self.feed = work.file("batond/exceptions.jsonl")
        self.log = work.file("batond.log")
        customers = customers or os.path.join(source, "config", "customers.yaml")
        flow = flow or os.path.join(source, "config", "flow.yaml")
        self.config = work.write("batond/baton.yaml", "\n".join([
            "# written by board_harness.py",
            "data_dir: var",
            f"schemas: {yaml_str(os.path.join(source, 'schemas'))}",
            f"flow: {yaml_str(flow)}",
            f"customers: {yaml_str(customers)}",
            "bus:",
            f"  ingest: {self.ingest}",
            f"  relay: {self.relay}",
            f"  control: {self.control}",
            "feed:",
            "  path: exceptions.jsonl",
            "log:",
            "  level: info",
            "",
        ]))
        self.child = None

    def start(self, timeout=30):
        self.child = Child([self.binary, "--config", self.config], self.log)
        wait_for("batond answers `batonctl status`", self._answers, timeout, 0.1)

    def _answers(self):
        self.child.check_running("batond")
        rc, _ = self.ctl("status", timeout_ms=500, check=False)
        return rc == 0

    def ctl(self, *args, timeout_ms=5000, check=True):
        """Runs batonctl against this batond; returns (exit status, stdout)."""
        argv = [self.batonctl, "--control", self.control, "--timeout", str(timeout_ms), *args]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_ms / 1000 + 10)
        if check and r.returncode != 0:
            raise Failure(f"`{' '.join(argv)}` exited {r.returncode}: {r.stdout}{r.stderr}")
        return r.returncode, r.stdout

    def ctl_json(self, *args):
        _, out = self.ctl("--json", *args)
        return json.loads(out)

    def exception(self, exception_id):
        """batond's record of one exception, whatever its state; None when unknown."""
        reply = self.ctl_json("exceptions", "--state", "all", "--limit", "100000")
        for e in reply.get("exceptions", []):
            if e.get("id") == exception_id:
                return e
        return None

    def exceptions_of_order(self, order, state="open"):
        reply = self.ctl_json("exceptions", "--state", state, "--order", order)
        return reply.get("exceptions", [])

    def status(self):
        return self.ctl_json("status")

    def feed_lines(self):
        try:
            with open(self.feed, encoding="utf-8") as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def stop(self):
        return self.child.stop() if self.child else None


# ---- events ----


def in_days(days):
    """A calendar day `days` from today (UTC), YYYY-MM-DD."""
    return (datetime.datetime.now(datetime.timezone.utc).date()
            + datetime.timedelta(days=days)).isoformat()


class Events:
    """Envelopes that pass the repository's schemas (tests/support/events.h's shapes), with
    ids unique within one run."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.count = 0

    def _envelope(self, topic, source, order, data):
        self.count += 1
        env = {"v": 1, "id": f"{self.prefix}-{self.count}", "source": source, "topic": topic,
               "ts": now_ms(), "data": data}
        if order is not None:
            env["order"] = order
        return topic, env

    @staticmethod
    def line(die, qty):
        return {"item": "PRF-" + die, "die": die, "alloy": "6063", "temper": "T66",
                "finish": "anodised", "length_mm": 6000, "qty": float(qty), "unit": "kg"}

    def order_placed(self, order, customer, amount_cents=1843000, promised_in_days=90):
        return self._envelope("sales.order.placed", "sales-erp", order, {
            "customer": customer,
            "lines": [self.line("D-4411", 1200.0), self.line("D-0930", 350.5)],
            "amount_cents": amount_cents,
            "promised_date": in_days(promised_in_days),
            "new_die": False,
            "terms": "credit",
        })

    def credit_rejected(self, order, reason="three invoices more than 60 days overdue"):
        return self._envelope("finance.credit.rejected", "finance-erp", order, {
            "by": "j.meyer", "reason": reason, "exposure_cents": 6120000})

    def credit_approved(self, order):
        return self._envelope("finance.credit.approved", "finance-erp", order,
                              {"by": "j.meyer"})


class Ingest:
    """A DEALER socket on batond's ingest: sends [topic, envelope] and matches the replies
    ["ack", id] / ["nack", id, reason] by id."""

    def __init__(self, endpoint):
        import msgpack
        import zmq

        self._zmq = zmq
        self._pack = msgpack.Packer(use_bin_type=True).pack
        self.context = zmq.Context()
        self.socket = self.context.socket(zmq.DEALER)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.setsockopt(zmq.SNDHWM, 0)
        self.socket.setsockopt(zmq.RCVHWM, 0)
        self.socket.connect(endpoint)

    def send(self, event):
        topic, env = event
        self.socket.send_multipart([topic.encode(), self._pack(env)])
        return env["id"]

    def _receive(self, timeout_s):
        if not self.socket.poll(int(timeout_s * 1000), self._zmq.POLLIN):
            return None
        frames = self.socket.recv_multipart()
        return [f.decode("utf-8", "replace") for f in frames]

    def publish(self, events, window=2000, timeout=60):
        """Sends `events` with up to `window` in flight; returns {id: monotonic time of its
        ack}. Raises Failure on a nack or when acks stop coming for `timeout` seconds."""
        events = list(events)
        acked = {}
        waiting = set()
        i = 0
        while i < len(events) or waiting:
            while i < len(events) and len(waiting) < window:
                waiting.add(self.send(events[i]))
                i += 1
            reply = self._receive(timeout)
            if reply is None:
                raise Failure(f"ingest: no reply for {timeout} s; {len(waiting)} events not "
                              f"acked (e.g. {sorted(waiting)[:3]})")
            t = time.monotonic()
            if reply[0] == "nack":
                raise Failure(f"ingest: event {reply[1]} was nacked: "
                              f"{reply[2] if len(reply) > 2 else reply}")
            if reply[0] != "ack" or len(reply) != 2:
                raise Failure(f"ingest: unexpected reply {reply}")
            if reply[1] in waiting:
                waiting.discard(reply[1])
                acked[reply[1]] = t
        return acked

    def close(self):
        self.socket.close(0)
        self.context.term()


def _watch_relay(endpoint, prefix, out, ready, halt):
    """RelayWatch's process: sends (order, monotonic time) of each relayed message out."""
    import msgpack
    import zmq

    context = zmq.Context()
    sub = context.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.SUBSCRIBE, prefix.encode())
    sub.connect(endpoint)
    ready.set()
    while not halt.is_set():
        if not sub.poll(100, zmq.POLLIN):
            continue
        frames = sub.recv_multipart()
        t = time.monotonic()
        try:
            out.put((msgpack.unpackb(frames[1], raw=False).get("order", ""), t))
        except Exception:
            continue
    sub.close(0)
    context.term()


class RelayWatch:
    """A SUB socket on batond's relay, in a process of its own so that the benchmark's reader
    threads do not delay it: the monotonic time (one clock for every process) at which the
    first `exception.*` message about each order arrived, to tell batond's part of a delay
    from the board's."""

    def __init__(self, endpoint, prefix="exception."):
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        self._out = ctx.Queue()
        self._ready = ctx.Event()
        self._halt = ctx.Event()
        self._proc = ctx.Process(target=_watch_relay, daemon=True,
                                 args=(endpoint, prefix, self._out, self._ready, self._halt))
        self.seen = {}

    def start(self, timeout=10):
        self._proc.start()
        if not self._ready.wait(timeout):
            raise Failure("the relay watcher did not start")
        time.sleep(0.2)  # a SUB socket misses what is published before it has connected

    def first(self, order, timeout):
        end = time.monotonic() + timeout
        while order not in self.seen:
            left = end - time.monotonic()
            if left <= 0:
                return None
            try:
                o, t = self._out.get(timeout=left)
            except Exception:
                return None
            self.seen.setdefault(o, t)
        return self.seen[order]

    def close(self):
        self._halt.set()
        self._proc.join(5)
        if self._proc.is_alive():
            self._proc.kill()


# ---- baton-board ----


class Board:
    """baton-board with its config, users file and state folder in `work`."""

    def __init__(self, binary, work, batond, time_zone="Asia/Shanghai", threads=None):
        self.binary = binary
        self.work = work
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.users = work.file("board/users.yaml")
        self.log = work.file("board.log")
        os.makedirs(work.file("board/board-state"), exist_ok=True)
        http_line = f"http: {{host: 127.0.0.1, port: {self.port}"
        if threads:
            http_line += f", threads: {threads}"
        self.config = work.write("board/board.yaml", "\n".join([
            "# written by board_harness.py",
            http_line + "}",
            f"batond: {{control: {batond.control}, relay: {batond.relay}}}",
            "users: users.yaml",
            "state: board-state",
            f"time_zone: {time_zone}",
            "",
        ]))
        self.child = None

    def adduser(self, name, password, display, dept, role, lang=None):
        pw = self.work.write(f"board/password-{name}", password + "\n")
        os.chmod(pw, 0o600)
        argv = [self.binary, "adduser", "--users", self.users, name, "--display", display,
                "--dept", dept, "--role", role, "--password-file", pw]
        if lang:
            argv += ["--lang", lang]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise Failure(f"`{' '.join(argv)}` exited {r.returncode}: {r.stdout}{r.stderr}")

    def start(self, timeout=30):
        self.child = Child([self.binary, "-c", self.config], self.log)
        wait_for("baton-board answers GET /login with 200", self._answers, timeout, 0.1)

    def _answers(self):
        self.child.check_running("baton-board")
        try:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            c.request("GET", "/login")
            status = c.getresponse().status
            c.close()
            return status == 200
        except OSError:
            return False

    def rss_kib(self):
        return proc_status(self.child.pid, "VmRSS")

    def threads(self):
        return proc_status(self.child.pid, "Threads")

    def stop(self):
        return self.child.stop() if self.child else None


def proc_status(pid, key):
    """A number from /proc/PID/status (VmRSS in kB, Threads)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


# ---- HTTP ----

CSRF = re.compile(r'name="csrf" value="([^"]*)"')


def csrf_of(html):
    m = CSRF.search(html)
    if not m:
        raise Failure("no csrf field in the page")
    return m.group(1)


class Response:
    def __init__(self, status, headers, body, seconds):
        self.status = status
        self.headers = headers
        self.body = body
        self.seconds = seconds

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


class HttpSession:
    """One keep-alive connection to the board with a cookie jar; redirects are returned, not
    followed."""

    def __init__(self, port, timeout=30):
        self.port = port
        self.timeout = timeout
        self.cookies = {}
        self.conn = None

    def _connection(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        return self.conn

    def cookie_header(self):
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(self, method, path, body=None, headers=None):
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = self.cookie_header()
        for attempt in (0, 1):
            conn = self._connection()
            try:
                start = time.perf_counter()
                conn.request(method, path, body=body, headers=h)
                r = conn.getresponse()
                data = r.read()
                seconds = time.perf_counter() - start
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed a kept-alive connection: once more on a new one.
                self.close()
                if attempt:
                    raise
        for value in r.headers.get_all("Set-Cookie") or []:
            pair = value.split(";", 1)[0]
            if "=" in pair:
                k, v = pair.split("=", 1)
                self.cookies[k.strip()] = v.strip()
        if r.headers.get("Connection", "").lower() == "close":
            self.close()
        return Response(r.status, r.headers, data, seconds)

    def get(self, path):
        return self.request("GET", path)

    def post_form(self, path, fields):
        return self.request("POST", path, body=urllib.parse.urlencode(fields),
                            headers={"Content-Type": "application/x-www-form-urlencoded"})

    def login(self, name, password):
        """Logs in through the login form; returns the response to the POST."""
        page = self.get("/login")
        if page.status != 200:
            raise Failure(f"GET /login answered {page.status}")
        r = self.post_form("/login", {"csrf": csrf_of(page.text), "name": name,
                                      "password": password, "next": "/"})
        if r.status not in (302, 303):
            raise Failure(f"logging in as {name}: POST /login answered {r.status}, expected a "
                          f"redirect: {r.text[:300]}")
        return r

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class SseStream(threading.Thread):
    """GET /events with a session's cookie on a connection of its own; every event is recorded
    with the monotonic time its `event:` line arrived."""

    def __init__(self, port, cookie):
        super().__init__(daemon=True)
        self.port = port
        self.cookie = cookie
        self.events = []  # (time, type, data)
        self.status = None
        self.error = None
        self.connected = threading.Event()
        self.changed = threading.Condition()
        self.conn = None

    def run(self):
        try:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=None)
            self.conn.request("GET", "/events", headers={"Cookie": self.cookie,
                                                         "Accept": "text/event-stream"})
            r = self.conn.getresponse()
            self.status = r.status
            self.connected.set()
            if r.status != 200:
                return
            kind, at, data = None, None, []
            while True:
                line = r.readline()
                if not line:
                    break
                t = time.monotonic()
                line = line.decode("utf-8", "replace").rstrip("\r\n")
                if line.startswith("event:"):
                    kind, at = line[6:].strip(), t
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif line == "":
                    if kind or data:
                        with self.changed:
                            self.events.append((at or t, kind or "message", "\n".join(data)))
                            self.changed.notify_all()
                    kind, at, data = None, None, []
        except Exception as e:  # the stream ends when the benchmark closes it
            self.error = e
        finally:
            self.connected.set()
            with self.changed:
                self.changed.notify_all()

    def first(self, predicate, since=0.0, timeout=30.0):
        """The time of the first event after `since` that `predicate(type, data)` accepts;
        None when none came within `timeout`."""
        end = time.monotonic() + timeout
        with self.changed:
            while True:
                for at, kind, data in self.events:
                    if at >= since and predicate(kind, data):
                        return at
                left = end - time.monotonic()
                if left <= 0 or not self.is_alive():
                    return None
                self.changed.wait(left)

    def close(self):
        if self.conn is not None and self.conn.sock is not None:
            try:
                self.conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
