#!/usr/bin/env python3
"""End-to-end: people work baton-board in a real browser (headless Chromium through Selenium)
against a real batond. A finance clerk sees a credit hold appear live, acknowledges it with a
note (batond and its feed record her as `by`), sees it vanish live when ops resolve it
elsewhere; a viewer cannot act, not even with a forged form; the order and KPI pages draw;
a Chinese clerk gets the board in Chinese.

Run by ctest (`board.browser`, label e2e), or by hand:

  python3 tests/e2e/board_browser_test.py --source . --artefacts /tmp/board-artefacts

Exit codes: 0 passed; 1 failed (one line "FAIL: ..." says what); 77 skipped, only when
chromium, chromedriver or python3-selenium is not installed.
"""

import argparse
import os
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import board_harness as h  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SKIP = 77

PASSWORDS = {"anna": "anna-ledger-2231", "li.na": "lina-kefu-8812", "viewer1": "viewer-wall-0420"}
NOTE = "called the customer"


def skip_reason():
    """Why the browser cannot run here, or None. Only a missing browser, driver or Selenium is
    a reason to skip."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if h.use_debian_python(["selenium"]):
        missing.append("python3-selenium (the selenium module)")
    if missing:
        return "not installed: " + ", ".join(missing) + " (scripts/deps installs them)"
    return None


def check(condition, message):
    if not condition:
        raise h.Failure(message)


class Browser:
    """Chromium headless through chromedriver, with explicit waits."""

    def __init__(self, base, artefacts, profile):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.ui import WebDriverWait

        self.By, self.ec, self.WebDriverWait = By, ec, WebDriverWait
        self.base = base
        self.artefacts = artefacts
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}",
                  "--lang=en-US", "--window-size=1400,1000"):
            options.add_argument(a)
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        # Every EventSource a page opens is kept in window.batonSources, so the test can wait
        # until the live stream is open before it publishes (the page's own script keeps its
        # EventSource to itself).
        self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": """
            (function () {
              var Original = window.EventSource;
              if (!Original) return;
              window.batonSources = [];
              function Tracked(url, init) {
                var s = new Original(url, init);
                window.batonSources.push(s);
                return s;
              }
              Tracked.prototype = Original.prototype;
              Tracked.CONNECTING = 0; Tracked.OPEN = 1; Tracked.CLOSED = 2;
              window.EventSource = Tracked;
            })();"""})

    def get(self, path):
        self.driver.get(self.base + path)

    def wait(self, what, condition, timeout=10, poll=0.05, seen=None):
        """Waits for `condition(driver)`, looking again when an element was replaced by a live
        refresh or the page was half loaded. `seen()` says what the page showed instead."""
        from selenium.common.exceptions import WebDriverException

        try:
            return self.WebDriverWait(self.driver, timeout, poll_frequency=poll,
                                      ignored_exceptions=[WebDriverException]
                                      ).until(condition)
        except Exception as e:
            shown = ""
            if seen:
                try:
                    shown = f"; the page shows {seen()!r}"
                except Exception as x:
                    shown = f"; (what it shows: {type(x).__name__})"
            raise h.Failure(f"{what}: not within {timeout:g} s (page {self.driver.current_url}, "
                            f"title {self.driver.title!r}{shown}) [{type(e).__name__}]") from None

    def visible(self, css, what, timeout=10):
        return self.wait(what, self.ec.visibility_of_element_located((self.By.CSS_SELECTOR, css)),
                         timeout)

    def present(self, css, what, timeout=10):
        return self.wait(what, self.ec.presence_of_element_located((self.By.CSS_SELECTOR, css)),
                         timeout)

    def all(self, css):
        return self.driver.find_elements(self.By.CSS_SELECTOR, css)

    def one(self, css):
        found = self.all(css)
        check(found, f"{css} is not on {self.driver.current_url}")
        return found[0]

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def path(self):
        from urllib.parse import urlsplit

        return urlsplit(self.driver.current_url).path

    def screenshot(self, name):
        path = os.path.join(self.artefacts, name)
        self.driver.save_screenshot(path)
        print(f"screenshot: {path}", flush=True)
        return path

    def click_and_load(self, css, what, timeout=10):
        """Clicks `css` and waits until the browser has loaded the next page (a form posted and
        redirected, a link followed)."""
        from selenium.common.exceptions import WebDriverException

        self.js("window.batonOldPage = true;")
        self.one(css).click()
        try:
            self.WebDriverWait(self.driver, timeout, poll_frequency=0.05,
                               ignored_exceptions=[WebDriverException]).until(
                lambda d: d.execute_script("return window.batonOldPage !== true && "
                                           "document.readyState === 'complete';"))
        except Exception as e:
            raise h.Failure(f"{what}: no new page within {timeout:g} s after clicking {css} "
                            f"(page {self.driver.current_url}) [{type(e).__name__}]") from None

    def login(self, name, password):
        self.get("/login")
        self.visible("#login-form", "the login form on /login")
        for css, text in (("#name", name), ("#password", password)):
            field = self.one(css)
            field.clear()
            field.send_keys(text)
        self.click_and_load("#login", f"logging in as {name}")

    def post_from_page(self, path, fields, csrf="page"):
        """POSTs a form with fetch() from the page, with the page's own CSRF token (or `csrf`
        when it is not "page", or none when it is None); returns the HTTP status."""
        return self.driver.execute_async_script("""
            var done = arguments[arguments.length - 1];
            var fields = arguments[1], csrf = arguments[2];
            if (csrf === 'page') {
              var input = document.querySelector('input[name=csrf]');
              if (!input) { done('no csrf field on the page'); return; }
              csrf = input.value;
            }
            if (csrf !== null) fields.csrf = csrf;
            fetch(arguments[0], {method: 'POST', body: new URLSearchParams(fields),
                                 credentials: 'same-origin', redirect: 'manual'})
              .then(function (r) { done(r.status); })
              .catch(function (e) { done('fetch failed: ' + e); });""", path, fields, csrf)

    def live_open(self, timeout=10):
        """Waits until the page's server-sent-event stream (/events) is open."""
        self.wait("the board's /events stream is open (EventSource readyState 1)",
                  lambda d: d.execute_script(
                      "return (window.batonSources || []).some(function (s) {"
                      " return s.url.indexOf('/events') >= 0 && s.readyState === 1; });"),
                  timeout)

    def quit(self):
        self.driver.quit()


def publish_credit_hold(ingest, events, order, customer):
    """Places `order` and rejects its credit; returns the wall-clock time (s) of the
    rejection's ack."""
    placed = events.order_placed(order, customer)
    rejected = events.credit_rejected(order)
    acks = ingest.publish([placed, rejected])
    return time.time() - (time.monotonic() - acks[rejected[1]["id"]])


def credit_hold_of(batond, order):
    """The id of the order's one open exception, a credit_hold."""
    found = batond.exceptions_of_order(order)
    check(len(found) == 1 and found[0]["kind"] == "credit_hold",
          f"batond should hold {order} with one credit_hold, has {found}")
    return found[0]["id"]


def row_css(exception_id):
    return f'#exceptions tr[data-id="{exception_id}"]'


def run(args, work, procs):
    source = os.path.abspath(args.source)
    batond = h.Batond(args.batond, args.batonctl, source, work)
    procs.append(batond)
    batond.start()
    print(f"batond: control {batond.control}, ingest {batond.ingest}", flush=True)

    board = h.Board(args.board, work, batond)
    board.adduser("anna", PASSWORDS["anna"], "Anna Schmidt", "finance", "clerk", "en")
    board.adduser("li.na", PASSWORDS["li.na"], "李娜", "customer_service", "clerk", "zh")
    board.adduser("viewer1", PASSWORDS["viewer1"], "Wall Screen", "sales", "viewer", "en")
    procs.append(board)
    board.start()
    print(f"baton-board: {board.base}", flush=True)

    ingest = h.Ingest(batond.ingest)
    procs.append(ingest)
    events = h.Events(f"browser-{os.getpid()}")
    key_customer = "C-1001"  # config/customers.yaml: Nordfassaden GmbH, tier key

    profile = tempfile.mkdtemp(prefix="chromium-", dir=work.path)
    b = Browser(board.base, args.artefacts, profile)
    procs.append(b)

    # A wrong password is refused, on the page and with 401.
    b.login("anna", "not-her-password")
    message = b.visible("#login-message", "#login-message after a wrong password")
    check(message.text.strip(), "#login-message is empty after a wrong password")
    check(b.path() == "/login", f"a wrong password should stay on /login, went to {b.path()}")
    probe = h.HttpSession(board.port)
    page = probe.get("/login")
    refused = probe.post_form("/login", {"csrf": h.csrf_of(page.text), "name": "anna",
                                         "password": "not-her-password", "next": "/"})
    check(refused.status == 401, f"POST /login with a wrong password answered {refused.status}, "
                                 "expected 401")
    probe.close()

    # Anna logs in: an empty board.
    b.login("anna", PASSWORDS["anna"])
    b.present("#board-live", "the board after anna logs in")
    check(b.path() == "/", f"after logging in anna should be on /, is on {b.path()}")
    me = b.one("#me").text
    check("Anna Schmidt" in me, f"#me should show 'Anna Schmidt', shows {me!r}")
    check(not b.all("#exceptions tr[data-id]"),
          "the board should have no exception rows before any event")
    check(b.all("#no-exceptions") or b.all("#exceptions"),
          "the empty board should show #no-exceptions or an empty #exceptions table")
    b.live_open()
    check("off" not in (b.one("#live").get_attribute("class") or ""),
          "the #live badge says the stream is off while it is open")

    # A credit hold appears without a reload. The page notes when the first row appears.
    b.js("""
        window.marker = 1;
        window.rowSeenAt = null;
        new MutationObserver(function () {
          if (!window.rowSeenAt && document.querySelector('#exceptions tr[data-id]'))
            window.rowSeenAt = Date.now();
        }).observe(document.getElementById('board-live'), {childList: true, subtree: true});""")
    refreshes = b.js("return window.batonRefreshes || 0;")
    order = "SO-BRW-1001"
    acked_at = publish_credit_hold(ingest, events, order, key_customer)
    b.wait(f"a row for {order} appears on the board without a reload",
           lambda d: d.execute_script("return window.rowSeenAt;"), timeout=5, poll=0.02)
    seen_ms = b.js("return window.rowSeenAt;") - acked_at * 1000
    exc = credit_hold_of(batond, order)
    print(f"live: {exc} on the board {seen_ms:.0f} ms after batond acked the event", flush=True)
    row = b.all(row_css(exc))
    check(row, f"the row that appeared is not {exc}: rows "
               f"{[r.get_attribute('data-id') for r in b.all('#exceptions tr[data-id]')]}")
    check(b.js("return window.marker;") == 1,
          "the page was reloaded (window.marker is gone): the row should come live")
    check(b.js("return window.batonRefreshes;") > refreshes,
          "window.batonRefreshes did not grow although the rows were refreshed")
    cls = row[0].get_attribute("class").split()
    check("sev-high" in cls and "state-open" in cls,
          f"row {exc} of a key customer's credit hold should have sev-high state-open, has {cls}")
    detail = b.one(row_css(exc) + " .detail").text
    check(order in detail, f"row {exc}'s .detail should name {order}: {detail!r}")

    # A form without the session's CSRF token is refused, even from her own page.
    for label, token in (("without a csrf field", None), ("with a wrong csrf", "x" * 43)):
        status = b.post_from_page(f"/exception/{exc}", {"do": "ack", "note": "no csrf",
                                                        "back": "/"}, csrf=token)
        check(status == 403, f"anna's POST /exception/{exc} {label} answered {status!r}, "
                             "expected 403")
    record = batond.exception(exc)
    check(record["state"] == "open", f"{exc} should still be open after forms without the CSRF "
                                     f"token: {record}")

    # Anna acknowledges it with a note.
    b.one(row_css(exc) + " details.act summary").click()
    note = b.visible(row_css(exc) + " details.act textarea[name=note]", "the note field")
    note.send_keys(NOTE)
    b.click_and_load(row_css(exc) + " details.act button.ack", "acknowledging " + exc)
    b.present(row_css(exc), f"row {exc} after the acknowledgement")
    check(b.path() == "/", f"after the acknowledgement the browser should be back on /, is on "
                           f"{b.path()}")
    b.wait(f"row {exc}'s .acked-by shows Anna Schmidt",
           lambda d: b.one(row_css(exc) + " .acked-by").text.strip() == "Anna Schmidt",
           seen=lambda: b.one(row_css(exc) + " .acked-by").text)
    cls = b.one(row_css(exc)).get_attribute("class").split()
    check("state-acknowledged" in cls, f"row {exc} should be state-acknowledged, has {cls}")
    b.screenshot("board.png")

    record = batond.exception(exc)
    check(record and record["state"] == "acknowledged",
          f"batonctl exceptions: {exc} should be acknowledged: {record}")
    check(record["by"] == "anna", f"batonctl exceptions: {exc} by should be 'anna', is "
                                  f"{record['by']!r}")
    check(record["note"] == NOTE, f"batonctl exceptions: {exc} note should be {NOTE!r}, is "
                                  f"{record['note']!r}")
    steps = [s for s in record["history"] if s.get("what") == "acknowledged"]
    check(steps and steps[-1].get("by") == "anna" and steps[-1].get("note") == NOTE,
          f"{exc}'s history should end its acknowledgement with anna and the note: "
          f"{record['history']}")
    h.wait_for(f"a feed line acknowledging {exc} by anna with the note",
               lambda: [x for x in batond.feed_lines()
                        if x.get("id") == exc and x.get("state") == "acknowledged"
                        and x.get("by") == "anna" and x.get("note") == NOTE], 5)

    # She gives it to li.na: the row shows li.na's display name, batond records the assignment.
    b.one(row_css(exc) + " details.act summary").click()
    to = b.visible(row_css(exc) + " details.act input[name=to]", "the assign-to field")
    to.send_keys("li.na")
    b.click_and_load(row_css(exc) + " details.act button.assign", "assigning " + exc)
    b.wait(f"row {exc}'s .assignee shows 李娜",
           lambda d: "李娜" in b.one(row_css(exc) + " .assignee").text,
           seen=lambda: [(r.get_attribute("data-id"), r.find_element(b.By.CSS_SELECTOR,
                                                                    ".assignee").text)
                         for r in b.all("#exceptions tr[data-id]")])
    record = batond.exception(exc)
    check(record["assignee"] == "li.na", f"batonctl exceptions: {exc} should be assigned to "
                                         f"li.na: {record}")
    last = record["history"][-1]
    check(last.get("what") == "assigned" and last.get("by") == "anna"
          and last.get("to") == "li.na",
          f"{exc}'s last history step should be anna assigning it to li.na: {last}")

    # The other pages from the navigation: finance's task for the hold, the order found by
    # search, the customer.
    for link in ("#nav-board", "#nav-tasks", "#nav-kpi", "#nav-search"):
        check(b.all(link), f"the navigation link {link} is missing")
    b.click_and_load("#nav-tasks", "following #nav-tasks")
    b.wait("/tasks lists finance's task for the held order",
           lambda d: b.path() == "/tasks" and order in d.find_element(b.By.TAG_NAME, "main").text)
    b.click_and_load("#nav-search", "following #nav-search")
    query = b.visible("#search #q", "the search field on /search")
    query.send_keys(order)
    query.submit()
    # An exact order number may lead straight to the order.
    b.wait(f"/search?q={order} finds the order (a link in #found-orders, or the order's page)",
           lambda d: b.path() == f"/order/{order}" or d.find_elements(
               b.By.CSS_SELECTOR, f'#found-orders a[href="/order/{order}"]'))
    b.get("/search?q=nordfassaden")
    b.present(f'#found-customers a[href="/customer/{key_customer}"]',
              f"/search?q=nordfassaden lists {key_customer} (Nordfassaden GmbH) in "
              "#found-customers")
    b.get("/customer/" + key_customer)
    b.present("#customer-facts", f"/customer/{key_customer}")
    check(order in b.one("main").text, f"/customer/{key_customer} should list {order}")
    b.click_and_load("#nav-board", "following #nav-board")
    b.present(row_css(exc), f"row {exc} back on the board")

    # Ops resolve it elsewhere: the row goes away live.
    b.live_open()
    b.js("window.marker = 2;")
    batond.ctl("resolve", exc, "--by", "ops", "--note", "customer paid in advance")
    b.wait(f"row {exc} disappears after `batonctl resolve`",
           lambda d: not d.find_elements(b.By.CSS_SELECTOR, row_css(exc)), timeout=5, poll=0.02)
    check(b.js("return window.marker;") == 2,
          "the page was reloaded when the row went away: it should go live")
    b.present("#no-exceptions", "#no-exceptions once the only exception is resolved")

    # Log out.
    b.click_and_load("#logout", "logging out")
    b.wait("the login page after #logout", lambda d: b.path() == "/login")
    b.get("/")
    b.wait("/ without a session leads to the login page", lambda d: b.path() == "/login")

    # A viewer sees the board but cannot act, not even with a forged form.
    order2 = "SO-BRW-1002"
    publish_credit_hold(ingest, events, order2, key_customer)
    exc2 = credit_hold_of(batond, order2)
    b.login("viewer1", PASSWORDS["viewer1"])
    b.present(row_css(exc2), f"row {exc2} on the viewer's board")
    check(not b.all("details.act"), "a viewer should see no details.act on the board")
    status = b.post_from_page(f"/exception/{exc2}", {"do": "ack", "note": "forged",
                                                     "back": "/"})
    check(status == 403, f"a viewer's forged POST /exception/{exc2} (with the page's csrf) "
                         f"answered {status!r}, expected 403")
    record = batond.exception(exc2)
    check(record["state"] == "open" and record["by"] == "",
          f"{exc2} should still be open after the viewer's forged POST: {record}")

    # The order page draws the timeline.
    b.get("/order/" + order2)
    b.present("svg#timeline", f"svg#timeline on /order/{order2}")
    visits = b.all("svg#timeline g.visit")
    check(len(visits) >= 1, f"/order/{order2}: svg#timeline should have at least one g.visit")
    stages = [v.get_attribute("data-stage") for v in visits]
    check("credit_review" in stages, f"/order/{order2}: the timeline should show credit_review, "
                                     f"shows {stages}")
    check(b.all("svg#timeline rect.ontime, svg#timeline rect.overdue, svg#timeline rect.nosla"),
          f"/order/{order2}: the timeline has no bar (rect.ontime, .overdue or .nosla)")
    for section in ("#exceptions", "#relayed", "#events"):
        check(b.all(section), f"/order/{order2}: section {section} is missing")
    check(exc2 in b.one("#exceptions").text,
          f"/order/{order2}: #exceptions should list {exc2}")
    b.screenshot("order.png")

    # The KPI page: four charts, the dwell chart not blank. An order that passed credit review
    # gives the dwell chart a bar.
    ingest.publish([events.order_placed("SO-BRW-1003", "C-1002"),
                    events.credit_approved("SO-BRW-1003")])
    b.get("/kpi")
    b.wait("window.kpiChartsDrawn === 4 on /kpi",
           lambda d: d.execute_script("return window.kpiChartsDrawn;") == 4, timeout=15)
    painted = b.js("""
        var c = document.getElementById('chart-dwell');
        var data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        var n = 0;
        for (var i = 3; i < data.length; i += 4) if (data[i] !== 0) n++;
        return [n, c.width, c.height];""")
    check(painted[0] > 0, f"the dwell chart #chart-dwell is blank ({painted[1]}x{painted[2]} "
                          "pixels, none painted)")
    csv = b.one("a#kpi-csv").get_attribute("href")
    check("/kpi.csv" in csv, f"a#kpi-csv should lead to /kpi.csv, leads to {csv}")
    b.screenshot("kpi.png")

    # The Chinese clerk gets Chinese pages; the switch turns them English and back.
    b.get("/")
    b.click_and_load("#logout", "logging out")
    b.wait("the login page after the viewer's #logout", lambda d: b.path() == "/login")
    b.login("li.na", PASSWORDS["li.na"])
    b.present(row_css(exc2), f"row {exc2} on li.na's board")

    def chinese(d):
        return (d.find_element(b.By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
                and "未处理异常" in d.find_element(b.By.TAG_NAME, "h1").text)

    b.wait("li.na's board in Chinese (html lang zh-CN, h1 with 未处理异常)", chinese)
    check("李娜" in b.one("#me").text, f"#me should show 李娜: {b.one('#me').text!r}")
    b.screenshot("board-zh.png")
    b.click_and_load("#lang-switch", "switching the language")
    b.wait("English after #lang-switch (h1 'Open exceptions', html lang not zh-CN)",
           lambda d: "Open exceptions" in d.find_element(b.By.TAG_NAME, "h1").text
           and d.find_element(b.By.TAG_NAME, "html").get_attribute("lang") != "zh-CN")
    b.click_and_load("#lang-switch", "switching the language back")
    b.wait("Chinese again after the second #lang-switch", chinese)

    for name in ("board.png", "board-zh.png", "order.png", "kpi.png"):
        path = os.path.join(args.artefacts, name)
        check(os.path.getsize(path) > 1000, f"screenshot {path} is empty")
    check(board.child.running(), "baton-board exited during the test")
    check(batond.child.running(), "batond exited during the test")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--batond")
    p.add_argument("--board")
    p.add_argument("--batonctl")
    p.add_argument("--source", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    p.add_argument("--artefacts", default=None, help="folder for the screenshots")
    p.add_argument("--keep", action="store_true", help="keep the work folder (logs, databases)")
    args = p.parse_args()

    reason = skip_reason()
    if reason:
        print(f"SKIP: {reason}", flush=True)
        return SKIP
    missing = h.use_debian_python(["zmq", "msgpack"])
    if missing:
        print(f"FAIL: python modules missing: {', '.join(missing)} (Debian's python3-zmq and "
              "python3-msgpack; scripts/deps installs them)", flush=True)
        return 1

    h.install_signal_exit()
    try:
        h.find_binaries(args, os.path.abspath(args.source))
    except h.Failure as e:
        print(f"FAIL: {e}", flush=True)
        return 1
    args.artefacts = os.path.abspath(args.artefacts or os.path.join(
        os.path.abspath(args.source), "build", "artefacts"))
    os.makedirs(args.artefacts, exist_ok=True)
    for stale in ("failure.png", "failure.html"):
        if os.path.exists(os.path.join(args.artefacts, stale)):
            os.remove(os.path.join(args.artefacts, stale))

    work = h.WorkDir("baton-board-browser-", keep=args.keep)
    procs = []
    failed = True
    started = time.monotonic()
    try:
        run(args, work, procs)
        failed = False
    except h.Failure as e:
        print(f"FAIL: {e}", flush=True)
    except Exception:
        print("FAIL: unexpected error:\n" + traceback.format_exc(), flush=True)
    finally:
        for proc in procs:
            if failed and isinstance(proc, Browser):
                try:
                    proc.screenshot("failure.png")
                    path = os.path.join(args.artefacts, "failure.html")
                    with open(path, "w", encoding="utf-8") as f:
                        f.write(proc.driver.page_source)
                    print(f"page source: {path}", flush=True)
                except Exception:
                    pass
        for proc in reversed(procs):
            try:
                proc.quit() if isinstance(proc, Browser) else (
                    proc.close() if isinstance(proc, h.Ingest) else proc.stop())
            except Exception as e:
                print(f"stopping {type(proc).__name__}: {e}", flush=True)
        if failed:
            for name, log in (("batond", work.file("batond.log")),
                              ("baton-board", work.file("board.log"))):
                if os.path.exists(log):
                    print(f"--- {name} log (last lines) ---\n{h.tail(log)}", flush=True)
        work.close(failed)
    if failed:
        return 1
    print(f"PASS board.browser in {time.monotonic() - started:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
