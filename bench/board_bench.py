#!/usr/bin/env python3
"""baton-board under load: 10,000 open exceptions and 200 live pages.

Starts batond and baton-board (tests/e2e/board_harness.py), raises one credit_hold per order
for customers without a credit limit (nothing else is raised), logs in, times the board's
pages over one keep-alive connection, then opens live streams (GET /events) and times how long
a new exception takes to reach every one of them. Prints a Markdown table for bench/README.md.

  python3 bench/board_bench.py                      # binaries from ./build
  python3 bench/board_bench.py --orders 10000 --streams 200 --repeat 20
"""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import board_harness as h  # noqa: E402

# Customers of the benchmark, added to the source tree's book: no credit limit (so placing an
# order raises no `limit` hold), one per tier, so the board shows high, medium and low rows.
BENCH_CUSTOMERS = [("C-BENCH-K", "Bench Key Fassaden", "key"),
                   ("C-BENCH-A", "Bench A Windows", "A"),
                   ("C-BENCH-B", "Bench B Frames", "B")]



def pages(orders, page_size=50):
    """The pages timed: the first, one in the middle (100 of 200 with 10,000 exceptions), a
    filtered one, and the fragment the live refresh loads. Asked again, these come from the
    board's reply cache until the next notice; the last series asks a different page each time
    ({n} is the sample's number), so batond is asked for every one of them."""
    middle = max(1, (orders + page_size - 1) // page_size // 2)
    return [("board, a new page each time (batond asked)", "/?page={n}"),
            ("board, page 1", "/"),
            (f"board, page {middle}", f"/?page={middle}"),
            ("board, filtered (finance, high)", "/?dept=finance&severity=high"),
            ("fragment /board/rows", "/board/rows")]


def customers_file(work, source):
    with open(os.path.join(source, "config", "customers.yaml"), encoding="utf-8") as f:
        text = f.read().rstrip("\n") + "\n"
    for cid, name, tier in BENCH_CUSTOMERS:
        text += (f"  - id: {cid}\n    name: {name}\n    tier: {tier}\n    terms: credit\n"
                 f"    credit_limit_cents: 0\n")
    return work.write("batond/customers.yaml", text)


def ms(seconds):
    return seconds * 1000.0


def summary(values):
    return {p: h.percentile(values, p) for p in (50, 90, 99, 100)}


def load_exceptions(batond, ingest, events, orders):
    """One credit_hold per order; returns the seconds it took until all were acked."""
    batch = []
    for i in range(orders):
        order = f"SO-BENCH-{i + 1:06d}"
        customer = BENCH_CUSTOMERS[i % len(BENCH_CUSTOMERS)][0]
        batch.append(events.order_placed(order, customer))
        batch.append(events.credit_rejected(order))
    start = time.monotonic()
    ingest.publish(batch, window=4000, timeout=120)
    took = time.monotonic() - start
    want = orders
    h.wait_for(f"batond has {want} open exceptions",
               lambda: batond.status().get("exceptions_open", 0) >= want, 60, 0.2)
    return took


def time_pages(session, samples, orders):
    rows = []
    for label, path in pages(orders):
        times, size = [], 0
        for n in range(samples):
            r = session.get(path.replace("{n}", str(n + 1)))
            if r.status != 200:
                raise h.Failure(f"GET {path} answered {r.status}: {r.text[:300]}")
            if b"data-id=" not in r.body:
                raise h.Failure(f"GET {path}: no exception row in the page")
            times.append(r.seconds)
            size = len(r.body)
        rows.append((label, path, summary([ms(t) for t in times]), size))
    return rows


def open_streams(board, session, count):
    cookie = session.cookie_header()
    streams = [h.SseStream(board.port, cookie) for _ in range(count)]
    for s in streams:
        s.start()
    for s in streams:
        if not s.connected.wait(30):
            raise h.Failure("a live stream got no answer to GET /events in 30 s "
                            f"({sum(1 for x in streams if x.status == 200)} of {count} open)")
        if s.status != 200:
            raise h.Failure(f"GET /events answered {s.status} ({s.error})")
    return streams


def live_round(batond, ingest, relay, events, streams, order, customer, timeout=30):
    """Places `order` (no exception), then rejects its credit: returns (seconds from sending
    the rejection to its ack, seconds from sending to batond's `exception.credit_hold` on the
    relay, [seconds from sending to each stream's `event: exception`])."""
    ingest.publish([events.order_placed(order, customer)])
    rejected = events.credit_rejected(order)
    sent = time.monotonic()
    acks = ingest.publish([rejected])
    acked = acks[rejected[1]["id"]] - sent
    needle = f'"order":"{order}"'

    def about_order(kind, data):
        return kind == "exception" and needle in data.replace(" ", "")

    delays = []
    for s in streams:
        at = s.first(about_order, since=sent, timeout=max(0.0, sent + timeout - time.monotonic()))
        if at is None:
            got = sum(1 for x in streams if x.first(about_order, since=sent, timeout=0))
            raise h.Failure(f"{order}: only {got} of {len(streams)} streams received the "
                            f"`event: exception` within {timeout} s")
        delays.append(at - sent)
    relayed = relay.first(order, timeout=5)
    if relayed is None:
        raise h.Failure(f"{order}: batond's exception message was not seen on the relay")
    return acked, relayed - sent, delays


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--batond")
    p.add_argument("--board")
    p.add_argument("--batonctl")
    p.add_argument("--source", default=os.path.join(HERE, ".."))
    p.add_argument("--orders", type=int, default=10000, help="open exceptions to make")
    p.add_argument("--streams", type=int, default=200, help="live pages (GET /events)")
    p.add_argument("--repeat", type=int, default=20, help="new exceptions timed on the streams")
    p.add_argument("--samples", type=int, default=50, help="requests per page")
    p.add_argument("--threads", type=int, default=None,
                   help="baton-board http.threads (default: the board's own, 256)")
    p.add_argument("--keep", action="store_true", help="keep the work folder")
    args = p.parse_args()

    missing = h.use_debian_python(["zmq", "msgpack"])
    if missing:
        print(f"missing python modules: {', '.join(missing)} (python3-zmq, python3-msgpack)")
        return 1
    h.install_signal_exit()
    source = os.path.abspath(args.source)
    h.find_binaries(args, source)

    work = h.WorkDir("baton-board-bench-", keep=args.keep)
    batond = board = ingest = relay = None
    streams = []
    failed = True
    try:
        batond = h.Batond(args.batond, args.batonctl, source, work,
                          customers=customers_file(work, source))
        batond.start()
        ingest = h.Ingest(batond.ingest)
        events = h.Events(f"bench-{os.getpid()}")

        print(f"making {args.orders} open exceptions ({2 * args.orders} events) ...", flush=True)
        took = load_exceptions(batond, ingest, events, args.orders)
        print(f"  acked in {took:.1f} s ({2 * args.orders / took:.0f} events/s)", flush=True)

        board = h.Board(args.board, work, batond, threads=args.threads)
        board.adduser("bench", "bench-password-1", "Bench Clerk", "finance", "clerk", "en")
        board.start()
        session = h.HttpSession(board.port)
        session.login("bench", "bench-password-1")
        session.get("/")  # warm: the first request also loads the users file and catalogue
        rss_idle = board.rss_kib()

        print(f"timing pages ({args.samples} requests each) ...", flush=True)
        page_rows = time_pages(session, args.samples, args.orders)

        print(f"opening {args.streams} live streams ...", flush=True)
        streams = open_streams(board, session, args.streams)
        # One round not counted: every stream has been through one event.
        relay = h.RelayWatch(batond.relay)
        relay.start()
        live_round(batond, ingest, relay, events, streams, "SO-LIVE-WARM",
                   BENCH_CUSTOMERS[0][0])
        rounds, all_delays, acks, relayed, fanout = [], [], [], [], []
        for r in range(args.repeat):
            acked, on_relay, delays = live_round(batond, ingest, relay, events, streams,
                                                 f"SO-LIVE-{r + 1:03d}",
                                                 BENCH_CUSTOMERS[r % len(BENCH_CUSTOMERS)][0])
            acks.append(acked)
            relayed.append(on_relay)
            fanout += [d - on_relay for d in delays]
            all_delays += delays
            rounds.append(summary([ms(d) for d in delays]))
        rss_streams = board.rss_kib()
        threads = board.threads()
        open_left = sum(1 for s in streams if s.is_alive())

        # The same pages again while the streams are open.
        page_rows_live = time_pages(session, max(10, args.samples // 5), args.orders)
        failed = False
    finally:
        # Every part is stopped even when stopping another fails.
        steps = [s.close for s in streams]
        steps += [x for x in (relay and relay.close, ingest and ingest.close,
                              board and board.stop, batond and batond.stop) if x]
        for step in steps:
            try:
                step()
            except Exception as e:
                print(f"stopping: {e!r}")
        if failed:
            for name in ("board.log", "batond.log"):
                if os.path.exists(work.file(name)):
                    print(f"--- {name} ---\n{h.tail(work.file(name))}")
        work.close(failed)

    cmd = "python3 bench/board_bench.py" + "".join(
        f" --{k} {getattr(args, k)}" for k in ("orders", "streams", "repeat", "samples"))
    print()
    print(f"`{cmd}`")
    print()
    print(f"{args.orders} open exceptions (credit holds; {2 * args.orders} events acked in "
          f"{took:.1f} s), one logged-in clerk of finance, one keep-alive connection:")
    print()
    print("| page | request | p50 ms | p90 ms | p99 ms | max ms | bytes |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for label, path, s, size in page_rows:
        print(f"| {label} | `GET {path}` | {s[50]:.1f} | {s[90]:.1f} | {s[99]:.1f} | "
              f"{s[100]:.1f} | {size:,} |")
    print()
    print(f"The same with {args.streams} live streams open "
          f"({max(10, args.samples // 5)} requests each):")
    print()
    print("| page | p50 ms | p90 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|")
    for label, _, s, _ in page_rows_live:
        print(f"| {label} | {s[50]:.1f} | {s[90]:.1f} | {s[99]:.1f} | {s[100]:.1f} |")
    print()
    total = summary([ms(d) for d in all_delays])
    print(f"A new exception on {args.streams} live streams, from sending the event to each "
          f"stream's `event: exception` line, {args.repeat} rounds:")
    print()
    print("| | p50 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|")
    print(f"| all {len(all_delays)} deliveries | {total[50]:.1f} | {total[99]:.1f} | "
          f"{total[100]:.1f} |")
    worst = max(rounds, key=lambda s: s[100])
    best = min(rounds, key=lambda s: s[100])
    print(f"| fastest round | {best[50]:.1f} | {best[99]:.1f} | {best[100]:.1f} |")
    print(f"| slowest round | {worst[50]:.1f} | {worst[99]:.1f} | {worst[100]:.1f} |")
    a = summary([ms(x) for x in acks])
    print(f"| batond's ack of the event | {a[50]:.1f} | {a[99]:.1f} | {a[100]:.1f} |")
    rl = summary([ms(x) for x in relayed])
    print(f"| batond's `exception.credit_hold` on the relay (a SUB socket of the bench) | "
          f"{rl[50]:.1f} | {rl[99]:.1f} | {rl[100]:.1f} |")
    fo = summary([ms(x) for x in fanout])
    print(f"| the board's part: from the relay message to each stream | {fo[50]:.1f} | "
          f"{fo[99]:.1f} | {fo[100]:.1f} |")
    print()
    print(f"baton-board memory: VmRSS {rss_idle / 1024:.1f} MiB logged in, "
          f"{rss_streams / 1024:.1f} MiB with {args.streams} streams open "
          f"({threads} threads; {open_left} streams still open at the end)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except h.Failure as e:
        print(f"FAIL: {e}")
        sys.exit(1)
