// baton_ingest_bench: drives batond's real loop (in this process, or an external batond) with full
// order lifecycles from several producers, and reports durable acked events/s, ack latency, and
// the raw ZeroMQ PUSH/PULL rate of the same messages on the same machine (DESIGN.md Performance).
// Also open-loop load at a fixed rate, a soak with a line a minute, and control queries alongside.
#include <poll.h>
#include <pthread.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <httplib.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "config.h"
#include "control_client.h"
#include "ingest_client.h"
#include "loop.h"
#include "order_traffic.h"
#include "value.h"

namespace {

using steady = std::chrono::steady_clock;
using baton::bench::order_traffic;

struct options {
    std::uint64_t events = 500000;
    double seconds = 0;  // > 0: run for this long instead of a fixed event count
    unsigned producers = 4;
    std::size_t window = 1000;
    std::size_t open_orders = 64;
    std::size_t batch_events = 1000;
    std::int64_t batch_wait_us = 2000;
    double snapshot_s = 0;      // > 0: snapshot.interval of the in-process daemon; else its default
    double retention_s = -1;    // >= 0: retention.closed of the in-process daemon; else its default
    double dedup_window_s = 0;  // > 0: dedup.window of the in-process daemon; else its default
    bool full_delivery = false;  // orders delivered in full (order_traffic::set_full_delivery)
    std::string schemas = std::string(BATON_SOURCE_DIR) + "/schemas";
    std::string data_parent;  // mkdtemp's folder; the system temp folder when empty
    bool keep_data = false;
    std::string endpoint;  // external batond's ingest; empty: run the loop in-process
    std::string control;   // external batond's control, for its batch counter
    std::string db_path;   // external batond's baton.db, for its size
    bool skip_raw = false;
    unsigned raw_runs = 3;  // the raw rate is the median of this many runs
    double ack_timeout_s = 30;
    std::uint64_t seed = 20240611;
    std::uint64_t run_id = 0;  // random per run: fresh event and order ids
    bool json = false;
    std::string log_level = "warn";
    int scrape_ms = 0;     // > 0: the in-process daemon's metrics listener on, scraped this often
    double rate = 0;       // > 0: open loop, this many events/s in total; 0: closed loop
    unsigned minutes = 0;  // > 0: a soak of this many minutes, with a line a minute
    int pid = 0;           // with --endpoint: the external batond, for its VmRSS
    unsigned query_clients = 0;       // threads asking `query` of the control socket meanwhile
    std::string query;                // a read-only control command without arguments, e.g. kpi
    std::uint64_t warmup_events = 0;  // sent and acked before the measured run, not counted
};

// --- latency figures -------------------------------------------------------------------------

// What a latency line reports, in µs. Percentiles are nearest-rank: the sample of rank q·(n−1),
// rounded down, counting from 0.
struct latency_summary {
    std::uint64_t count = 0;
    double p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, max_us = 0;

    nlohmann::json to_json() const {
        return {{"count", count}, {"p50", p50_us},   {"p90", p90_us},
                {"p99", p99_us},  {"p999", p999_us}, {"max", max_us}};
    }
};

// Exact, from every sample (in ns; reorders them).
latency_summary summarize(std::vector<std::int64_t>& ns) {
    latency_summary s;
    s.count = ns.size();
    if (ns.empty()) return s;
    auto at = [&](double q) {
        const auto k = static_cast<std::size_t>(q * static_cast<double>(ns.size() - 1));
        std::nth_element(ns.begin(), ns.begin() + static_cast<std::ptrdiff_t>(k), ns.end());
        return static_cast<double>(ns[k]) / 1000.0;
    };
    s.p50_us = at(0.50);
    s.p90_us = at(0.90);
    s.p99_us = at(0.99);
    s.p999_us = at(0.999);
    s.max_us = static_cast<double>(*std::max_element(ns.begin(), ns.end())) / 1000.0;
    return s;
}

// The latencies of a long run in fixed memory, so that a soak does not grow the RSS it reports
// with its own samples: 64 buckets per power of two, so a percentile (the middle of its bucket)
// is within 1/128 of the sample it stands for. The maximum is exact.
class latency_histogram {
public:
    void add(std::int64_t ns) {
        const auto v = static_cast<std::uint64_t>(std::max<std::int64_t>(ns, 0));
        ++buckets_[bucket_of(v)];
        ++count_;
        max_ = std::max(max_, v);
    }
    latency_summary summary() const {
        latency_summary s;
        s.count = count_;
        if (count_ == 0) return s;
        auto at = [&](double q) {
            const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_ - 1));
            std::uint64_t seen = 0;
            std::size_t i = 0;
            while ((seen += buckets_[i]) <= rank) ++i;
            return std::min(middle_of(i), static_cast<double>(max_)) / 1000.0;
        };
        s.p50_us = at(0.50);
        s.p90_us = at(0.90);
        s.p99_us = at(0.99);
        s.p999_us = at(0.999);
        s.max_us = static_cast<double>(max_) / 1000.0;
        return s;
    }

private:
    static constexpr unsigned sub_bits = 6;
    static constexpr std::uint64_t sub_buckets = 1 << sub_bits;  // per power of two

    // Below 64 ns one bucket per ns; above, 64 per power of two (the value's top 7 bits).
    static std::size_t bucket_of(std::uint64_t v) {
        if (v < sub_buckets) return v;
        const unsigned shift = 63 - static_cast<unsigned>(__builtin_clzll(v)) - sub_bits;
        return (shift + 1) * sub_buckets + ((v >> shift) - sub_buckets);
    }
    static double middle_of(std::size_t i) {
        if (i < sub_buckets) return static_cast<double>(i);
        const std::size_t shift = i / sub_buckets - 1;
        const std::uint64_t low = (sub_buckets + i % sub_buckets) << shift;
        return static_cast<double>(low) + static_cast<double>((1ULL << shift) - 1) / 2;
    }

    std::array<std::uint64_t, (64 - sub_bits) * sub_buckets> buckets_{};
    std::uint64_t count_ = 0;
    std::uint64_t max_ = 0;
};

// GETs /metrics every `every_ms` until stopped, as Prometheus would (but far more often).
class metrics_scraper {
public:
    metrics_scraper(int port, int every_ms)
        : thread_([this, port, every_ms] {
              httplib::Client c("127.0.0.1", port);
              c.set_read_timeout(5);
              std::unique_lock<std::mutex> lock(mutex_);
              while (!stop_) {
                  lock.unlock();
                  const auto t0 = steady::now();
                  auto res = c.Get("/metrics");
                  const auto took = steady::now() - t0;
                  lock.lock();
                  if (res && res->status == 200) {
                      ++scrapes_;
                      bytes_ = res->body.size();
                      took_ns_.push_back(
                          std::chrono::duration_cast<std::chrono::nanoseconds>(took).count());
                  } else {
                      ++failed_;
                  }
                  wake_.wait_for(lock, std::chrono::milliseconds(every_ms), [&] { return stop_; });
              }
          }) {}
    ~metrics_scraper() { stop(); }
    void stop() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        if (thread_.joinable()) thread_.join();
    }
    // "N scrapes (M failed), B bytes, p50 X ms, max Y ms"
    std::string summary() {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<std::int64_t> took = took_ns_;
        const latency_summary s = summarize(took);
        char line[160];
        std::snprintf(line, sizeof line,
                      "%d scrapes (%d failed), %zu bytes, p50 %.1f ms, max %.1f ms", scrapes_,
                      failed_, bytes_, s.p50_us / 1000, s.max_us / 1000);
        return line;
    }
    int failed() {
        std::lock_guard<std::mutex> lock(mutex_);
        return failed_;
    }

private:
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    int scrapes_ = 0, failed_ = 0;
    std::size_t bytes_ = 0;
    std::vector<std::int64_t> took_ns_;
    std::thread thread_;  // last: starts once the rest is ready
};

std::int64_t ns_since(steady::time_point origin, steady::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t - origin).count();
}

double thread_cpu_s() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double process_cpu_s() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto s = [](const timeval& tv) {
        return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
    };
    return s(ru.ru_utime) + s(ru.ru_stime);
}

// Busy CPU seconds of the whole machine (every process), from /proc/stat: the benchmark shares
// its 2 cores with whatever else runs, and says so when that was not nothing.
double machine_busy_cpu_s() {
    std::ifstream in("/proc/stat");
    std::string cpu;
    unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
                       steal = 0;
    in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
    if (cpu != "cpu") return 0;
    return static_cast<double>(user + nice + system + irq + softirq + steal) /
           static_cast<double>(sysconf(_SC_CLK_TCK));
}

// A thread's scheduler times from /proc/self/task/<tid>/schedstat: seconds on a CPU and seconds
// runnable but waiting for one.
struct sched_times {
    double on_cpu_s = 0;
    double run_delay_s = 0;
};
sched_times thread_sched_times(long tid) {
    sched_times t;
    std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/schedstat");
    unsigned long long on_cpu = 0, delay = 0;
    if (in >> on_cpu >> delay) {
        t.on_cpu_s = static_cast<double>(on_cpu) * 1e-9;
        t.run_delay_s = static_cast<double>(delay) * 1e-9;
    }
    return t;
}

// VmRSS of a process in KiB, from /proc/<pid>/status ("self": this one); nullopt if unreadable.
std::optional<std::uint64_t> rss_kib(const std::string& pid) {
    std::ifstream in("/proc/" + pid + "/status");
    std::string key;
    while (in >> key) {
        std::uint64_t kib = 0;
        if (key == "VmRSS:") return in >> kib ? std::optional<std::uint64_t>(kib) : std::nullopt;
        in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
    }
    return std::nullopt;
}

// Every producer (and the raw pushers, and the query clients) connect first, then start
// together.
class start_gate {
public:
    explicit start_gate(unsigned parties) : waiting_(parties) {}
    // Returns when the gate opens: the start of the run for every party.
    steady::time_point arrive_and_wait() {
        std::unique_lock lock(mutex_);
        if (--waiting_ == 0) ready_.notify_all();
        open_.wait(lock, [&] { return opened_; });
        return opened_at_;
    }
    void wait_all_arrived() {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [&] { return waiting_ == 0; });
    }
    void open(steady::time_point at) {
        std::lock_guard lock(mutex_);
        opened_ = true;
        opened_at_ = at;
        open_.notify_all();
    }

private:
    std::mutex mutex_;
    std::condition_variable ready_, open_;
    unsigned waiting_;
    bool opened_ = false;
    steady::time_point opened_at_;
};

// Part `part` of `total` shared among `parts` as evenly as can be (the first ones take the rest).
std::uint64_t share_of(std::uint64_t total, unsigned parts, unsigned part) {
    return total / parts + (part < total % parts ? 1 : 0);
}

// --- the soak's lines, one a minute (--minutes) ---------------------------------------------

// Ack latencies by the minute of the run in which the ack came (those still in flight when the
// last minute ends count in it). The producers record; the main thread takes a minute once every
// producer's clock has passed its end. The whole run's latencies go into a histogram instead of
// a list, so that a long soak does not grow the benchmark's memory with them.
class minute_book {
public:
    minute_book(unsigned producers, unsigned minutes)
        : minutes_(minutes), current_(producers, 0), samples_(minutes) {}

    void begin(steady::time_point start) {
        std::lock_guard lock(mutex_);
        start_ = start;
    }
    void record(unsigned producer, steady::time_point acked_at, std::int64_t latency_ns) {
        std::lock_guard lock(mutex_);
        samples_[advance(producer, acked_at)].push_back(latency_ns);
        whole_run_.add(latency_ns);
    }
    // The producer's clock reads `now`, with no ack to record.
    void tick(unsigned producer, steady::time_point now) {
        std::lock_guard lock(mutex_);
        advance(producer, now);
    }
    // The producer is done: it records nothing more.
    void finish(unsigned producer) {
        std::lock_guard lock(mutex_);
        current_[producer] = minutes_;
        changed_.notify_all();
    }
    // Waits until every producer is past minute `m` (from 0), and sums up its acks.
    latency_summary take(unsigned m) {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] {
            return std::all_of(current_.begin(), current_.end(), [&](unsigned c) { return c > m; });
        });
        std::vector<std::int64_t> samples = std::move(samples_[m]);
        lock.unlock();
        return summarize(samples);
    }
    latency_summary whole_run() {
        std::lock_guard lock(mutex_);
        return whole_run_.summary();
    }

private:
    // The minute `t` falls in; the producer is past every earlier one.
    unsigned advance(unsigned producer, steady::time_point t) {
        const std::int64_t since_start =
            std::max<std::int64_t>(0, (t - start_) / std::chrono::minutes(1));
        const auto m = static_cast<unsigned>(std::min<std::int64_t>(since_start, minutes_ - 1));
        if (m > current_[producer]) {
            current_[producer] = m;
            changed_.notify_all();
        }
        return m;
    }

    std::mutex mutex_;
    std::condition_variable changed_;
    const unsigned minutes_;
    steady::time_point start_;
    std::vector<unsigned> current_;                   // per producer: the minute its clock is in
    std::vector<std::vector<std::int64_t>> samples_;  // per minute, until taken
    latency_histogram whole_run_;
};

// --- the ingest run ------------------------------------------------------------------------

// An open-loop event sent more than this after its time counts as sent late.
constexpr std::int64_t late_ns = 1000000;

struct producer_result {
    std::uint64_t sent = 0;
    std::uint64_t acked = 0;
    std::uint64_t nacked = 0;
    std::uint64_t unmatched = 0;  // replies whose id is not an event in flight
    std::uint64_t envelope_bytes = 0;
    std::size_t min_bytes = std::numeric_limits<std::size_t>::max();
    std::size_t max_bytes = 0;
    std::int64_t first_send_ns = std::numeric_limits<std::int64_t>::max();
    std::int64_t last_ack_ns = 0;
    std::vector<std::int64_t> latency_ns;  // empty in a soak: the minute_book has them
    std::uint64_t sent_late = 0;           // open loop: sent over late_ns after their time
    std::int64_t max_late_ns = 0;          // open loop: the furthest behind schedule
    std::string first_nack;
    bool timed_out = false;
    double cpu_s = 0;
};

// Waits until a message is there to read, or `until`. zmq::poll counts whole milliseconds,
// and an open-loop producer may send every 200 µs; so this waits on the socket's ZMQ_FD with
// ppoll, as zmq_poll does inside: the fd only says that something changed, ZMQ_EVENTS whether a
// message is there.
bool wait_for_message(zmq::socket_t& socket, steady::time_point until) {
    const int fd = socket.get(zmq::sockopt::fd);
    for (;;) {
        if (socket.get(zmq::sockopt::events) & ZMQ_POLLIN) return true;
        const auto left =
            std::chrono::duration_cast<std::chrono::nanoseconds>(until - steady::now());
        if (left.count() <= 0) return false;
        const timespec timeout{static_cast<time_t>(left.count() / 1000000000),
                               static_cast<long>(left.count() % 1000000000)};
        pollfd item{fd, POLLIN, 0};
        (void)ppoll(&item, 1, &timeout, nullptr);
    }
}

// Sends `quota` events on one DEALER (or, with --seconds and no --rate, until the deadline) and
// waits until every one of them is acked or nacked. Closed loop: it keeps up to `window` events
// in flight. Open loop (--rate): each event is due at a fixed time, and its latency counts from
// then, so a stall of the daemon shows in the latency of every event due during it instead of
// holding the sending back (coordinated omission); a producer behind schedule sends at once,
// and one with a full window waits.
void run_producer(zmq::context_t& context, const std::string& endpoint, unsigned producer,
                  const options& opt, std::uint64_t quota, steady::time_point origin,
                  start_gate& gate, minute_book* book, producer_result& r) {
    baton::adapters::ingest_client client(context, endpoint);
    zmq::socket_t& socket = client.socket();
    order_traffic traffic(producer, opt.seed, opt.run_id, opt.open_orders);
    traffic.set_full_delivery(opt.full_delivery);

    // Send times, preallocated and indexed by event number (recovered from the ack's id). With
    // --seconds or --rate a run may be long, so the array is a ring much larger than the window;
    // the event number is kept beside the time, so a stray ack cannot be taken for another event.
    const bool unlimited = quota == std::numeric_limits<std::uint64_t>::max();
    const bool open_loop = opt.rate > 0;
    std::size_t capacity = 1;
    while (capacity < (unlimited || open_loop ? opt.window * 8 : quota)) capacity <<= 1;
    const std::size_t mask = capacity - 1;
    std::vector<std::int64_t> sent_at(capacity, 0);
    std::vector<std::uint64_t> slot_event(capacity, std::numeric_limits<std::uint64_t>::max());
    if (!book) r.latency_ns.reserve(unlimited ? 1 << 22 : quota);

    std::string topic, envelope;
    zmq::message_t frames[3];
    std::size_t in_flight = 0;
    std::uint64_t next = 0;
    const bool timed = !open_loop && opt.seconds > 0;
    const auto ack_timeout = std::chrono::duration<double>(opt.ack_timeout_s);

    const steady::time_point start = gate.arrive_and_wait();
    const double cpu0 = thread_cpu_s();
    const steady::time_point deadline =
        start + std::chrono::duration_cast<steady::duration>(
                    std::chrono::duration<double>(timed ? opt.seconds : 0));
    // Open loop: event k of producer p is due at start + (k·producers + p) / rate, so the
    // producers take turns and the total is even.
    const std::int64_t start_ns = ns_since(origin, start);
    auto due_ns = [&](std::uint64_t k) {
        return start_ns + static_cast<std::int64_t>(
                              (static_cast<double>(k) * opt.producers + producer) / opt.rate * 1e9);
    };
    // The last reply, or the send that ended a spell with nothing in flight: the ack timeout
    // counts from there.
    steady::time_point last_reply = steady::now();

    for (;;) {
        const bool may_send = next < quota && !(timed && steady::now() >= deadline);
        while (may_send && in_flight < opt.window && next < quota) {
            if (open_loop && due_ns(next) > ns_since(origin, steady::now())) break;
            traffic.next(next, topic, envelope);
            const steady::time_point now_tp = steady::now();
            const std::int64_t now = ns_since(origin, now_tp);
            const std::int64_t from = open_loop ? due_ns(next) : now;  // latency counts from here
            if (open_loop) {
                if (now - from > late_ns) ++r.sent_late;
                r.max_late_ns = std::max(r.max_late_ns, now - from);
            }
            if (in_flight == 0) last_reply = now_tp;
            client.send(topic, envelope);
            if (next == 0) r.first_send_ns = from;
            sent_at[next & mask] = from;
            slot_event[next & mask] = next;
            r.envelope_bytes += envelope.size();
            r.min_bytes = std::min(r.min_bytes, envelope.size());
            r.max_bytes = std::max(r.max_bytes, envelope.size());
            ++next;
            ++in_flight;
        }
        const bool more = next < quota && !(timed && steady::now() >= deadline);
        if (in_flight == 0 && !more) break;
        // Wake for a reply, for the next event's time, or after 100 ms to check the timeout.
        steady::time_point until = steady::now() + std::chrono::milliseconds(100);
        if (open_loop && more && in_flight < opt.window)
            until = std::min(until, origin + std::chrono::nanoseconds(due_ns(next)));
        if (!wait_for_message(socket, until)) {
            if (book) book->tick(producer, steady::now());
            if (in_flight > 0 && steady::now() - last_reply > ack_timeout) {
                r.timed_out = true;
                break;
            }
            continue;
        }
        for (;;) {
            if (!socket.recv(frames[0], zmq::recv_flags::dontwait)) break;
            std::size_t count = 1;
            while (frames[count - 1].more()) {
                zmq::message_t extra;
                zmq::message_t& into = count < 3 ? frames[count] : extra;
                (void)socket.recv(into, zmq::recv_flags::none);
                ++count;
            }
            const steady::time_point now_tp = steady::now();
            const std::int64_t now = ns_since(origin, now_tp);
            last_reply = now_tp;
            const auto kind = frames[0].to_string_view();
            const bool ack = count == 2 && kind == "ack";
            const bool nack = count == 3 && kind == "nack";
            unsigned from = 0;
            std::uint64_t event = 0;
            const bool matched =
                (ack || nack) &&
                baton::bench::parse_event_id(frames[1].to_string_view(), from, event) &&
                from == producer && slot_event[event & mask] == event;
            if (nack) {
                // Counted (and the window slot given back) even when the id was unreadable, so
                // a run with refusals ends and shows the first reason instead of timing out.
                ++r.nacked;
                if (in_flight > 0) --in_flight;
                if (matched) slot_event[event & mask] = std::numeric_limits<std::uint64_t>::max();
                if (r.first_nack.empty())
                    r.first_nack = std::string(frames[1].to_string_view()) + ": " +
                                   std::string(frames[2].to_string_view());
                continue;
            }
            if (!matched) {
                ++r.unmatched;
                continue;
            }
            slot_event[event & mask] = std::numeric_limits<std::uint64_t>::max();
            --in_flight;
            ++r.acked;
            r.last_ack_ns = now;
            const std::int64_t latency = now - sent_at[event & mask];
            if (book)
                book->record(producer, now_tp, latency);
            else
                r.latency_ns.push_back(latency);
        }
    }
    if (book) book->finish(producer);
    r.sent = next;
    r.cpu_s = thread_cpu_s() - cpu0;
}

// One thread per producer, each with its share of `events` (unlimited: each sends until the
// deadline), all waiting at `gate`.
std::vector<std::thread> start_producers(zmq::context_t& context, const std::string& endpoint,
                                         const options& opt, std::uint64_t events,
                                         steady::time_point origin, start_gate& gate,
                                         minute_book* book, std::vector<producer_result>& results) {
    const bool unlimited = events == std::numeric_limits<std::uint64_t>::max();
    std::vector<std::thread> producers;
    for (unsigned p = 0; p < opt.producers; ++p) {
        const std::uint64_t quota = unlimited ? events : share_of(events, opt.producers, p);
        producers.emplace_back(
            [&context, &endpoint, &opt, &gate, &results, p, quota, origin, book] {
                run_producer(context, endpoint, p, opt, quota, origin, gate, book, results[p]);
            });
    }
    return producers;
}

// --warmup-events: the same traffic, closed loop, sent and acked before the measured run so
// that the queries have orders to work on. Its run id differs from the measured run's in the
// bits the order ids take (the run tag), so no id of one is a duplicate of the other's. Returns
// what went wrong, or an empty string.
std::string warm_up(zmq::context_t& context, const std::string& endpoint, options opt) {
    opt.run_id ^= 0x5bd1e995;
    opt.rate = 0;
    opt.seconds = 0;
    std::vector<producer_result> results(opt.producers);
    start_gate gate(opt.producers);
    std::vector<std::thread> producers = start_producers(context, endpoint, opt, opt.warmup_events,
                                                         steady::now(), gate, nullptr, results);
    gate.wait_all_arrived();
    gate.open(steady::now());
    for (auto& t : producers) t.join();
    for (const auto& r : results) {
        if (!r.first_nack.empty()) return "nacked: " + r.first_nack;
        if (r.timed_out) return "timed out waiting for acks";
        if (r.acked != r.sent || r.unmatched) return "not every event was acked";
    }
    return {};
}

// --- control queries during the run (--query-clients) ---------------------------------------

// The control commands --query may name: those that read and take no argument.
const std::vector<std::string> read_queries = {"status", "orders", "exceptions",
                                               "tasks",  "kpi",    "customers"};

struct query_figures {
    std::uint64_t done = 0;    // answered ok: true
    std::uint64_t failed = 0;  // answered ok: false, or not within the ack timeout
    std::string first_error;
    double seconds = 0;  // from the start of the run until the last client stopped
    latency_summary latency;

    double per_s() const { return seconds > 0 ? static_cast<double>(done) / seconds : 0; }
};

// `clients` threads, each with a control client of its own, ask `query` again as soon as the
// answer to the last one came, from the start of the measured run until stop(): the dashboards
// and batonctl users of a plant, beside the ingest.
class query_load {
public:
    query_load(zmq::context_t& context, const std::string& control, const std::string& query,
               unsigned clients, double timeout_s, start_gate& gate)
        : clients_(clients) {
        for (auto& c : clients_)
            c.thread = std::thread([&, query, control, timeout_s] {
                ask_until_stopped(context, control, query, timeout_s, gate, c);
            });
    }
    ~query_load() { stop(); }
    // Each client stops after its current query.
    void stop() {
        stop_ = true;
        for (auto& c : clients_)
            if (c.thread.joinable()) c.thread.join();
    }
    query_figures figures() {
        stop();
        query_figures f;
        std::vector<std::int64_t> latencies;
        for (auto& c : clients_) {
            f.done += c.done;
            f.failed += c.failed;
            if (f.first_error.empty()) f.first_error = c.first_error;
            f.seconds = std::max(f.seconds, std::chrono::duration<double>(c.end - c.start).count());
            latencies.insert(latencies.end(), c.latency_ns.begin(), c.latency_ns.end());
        }
        f.latency = summarize(latencies);
        return f;
    }

private:
    struct client {
        std::thread thread;
        std::uint64_t done = 0, failed = 0;
        std::string first_error;
        std::vector<std::int64_t> latency_ns;
        steady::time_point start, end;
    };

    void ask_until_stopped(zmq::context_t& context, const std::string& control,
                           const std::string& query, double timeout_s, start_gate& gate,
                           client& c) {
        baton::adapters::control_client control_client(context, control);
        baton::value request;
        request.set("cmd", query);
        const auto timeout = std::chrono::milliseconds(static_cast<std::int64_t>(timeout_s * 1000));
        c.start = gate.arrive_and_wait();
        while (!stop_) {
            std::string error;
            const steady::time_point t0 = steady::now();
            const std::optional<baton::value> reply = control_client.call(request, timeout, &error);
            const std::int64_t took = ns_since(t0, steady::now());
            const baton::value* ok = reply ? reply->find("ok") : nullptr;
            if (ok && ok->is_bool() && ok->as_bool()) {
                ++c.done;
                c.latency_ns.push_back(took);
                continue;
            }
            ++c.failed;
            if (c.first_error.empty()) {
                const baton::value* why = reply ? reply->find("error") : nullptr;
                c.first_error = why && why->is_string() ? why->as_string() : error;
            }
        }
        c.end = steady::now();
    }

    std::vector<client> clients_;
    std::atomic<bool> stop_{false};
};

// The `status` counters of a batond's control socket: (events, batches), or nullopt.
std::optional<std::pair<std::uint64_t, std::uint64_t>> daemon_counters(zmq::context_t& context,
                                                                       const std::string& control) {
    if (control.empty()) return std::nullopt;
    try {
        baton::adapters::control_client client(context, control);
        baton::value request;
        request.set("cmd", "status");
        const std::optional<baton::value> v = client.call(request, std::chrono::milliseconds(5000));
        if (!v) return std::nullopt;
        const baton::value* events = v->find("events");
        const baton::value* counters = v->find("counters");
        const baton::value* batches = counters ? counters->find("batches") : nullptr;
        std::uint64_t e = 0, b = 0;
        if (!events || !batches || !events->to_uint64(e) || !batches->to_uint64(b))
            return std::nullopt;
        return std::make_pair(e, b);
    } catch (const zmq::error_t&) {
        return std::nullopt;
    }
}

std::uint64_t file_size_or_zero(const std::filesystem::path& p) {
    std::error_code ec;
    auto n = std::filesystem::file_size(p, ec);
    return ec ? 0 : n;
}

// --- the raw PUSH/PULL run -----------------------------------------------------------------

// The same [topic, envelope] messages (a pool generated by the same lifecycle code), P PUSH
// sockets to one PULL over tcp loopback; messages/s from the start until the last one arrives.
double run_raw(unsigned producers, std::uint64_t total, const options& opt, double& mean_bytes,
               double& other_cores) {
    std::vector<std::pair<std::string, std::string>> pool;
    order_traffic traffic(0, opt.seed + 1, opt.run_id, opt.open_orders);
    traffic.set_full_delivery(opt.full_delivery);
    std::uint64_t bytes = 0;
    for (std::uint64_t i = 0; i < 8192; ++i) {
        std::pair<std::string, std::string> m;
        traffic.next(i, m.first, m.second);
        bytes += m.second.size();
        pool.push_back(std::move(m));
    }
    mean_bytes = static_cast<double>(bytes) / static_cast<double>(pool.size());

    zmq::context_t context(1);
    zmq::socket_t pull(context, zmq::socket_type::pull);
    pull.bind("tcp://127.0.0.1:*");
    const std::string endpoint = pull.get(zmq::sockopt::last_endpoint);

    start_gate gate(producers);
    std::vector<std::thread> pushers;
    for (unsigned p = 0; p < producers; ++p) {
        const std::uint64_t quota = share_of(total, producers, p);
        pushers.emplace_back([&, p, quota] {
            zmq::socket_t push(context, zmq::socket_type::push);
            push.connect(endpoint);
            gate.arrive_and_wait();
            std::size_t i = p * 977;
            for (std::uint64_t n = 0; n < quota; ++n, ++i) {
                const auto& m = pool[i % pool.size()];
                std::array<zmq::const_buffer, 2> msg = {zmq::buffer(m.first),
                                                        zmq::buffer(m.second)};
                zmq::send_multipart(push, msg);
            }
        });
    }
    // Let the connections come up so the timing is of the transfer, not of the handshake.
    gate.wait_all_arrived();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const double machine0 = machine_busy_cpu_s(), process0 = process_cpu_s();
    const steady::time_point t0 = steady::now();
    gate.open(t0);
    zmq::message_t frame;
    std::uint64_t received = 0;
    while (received < total) {
        if (!pull.recv(frame)) continue;
        if (!frame.more()) ++received;
    }
    const double seconds = std::chrono::duration<double>(steady::now() - t0).count();
    other_cores =
        std::max(0.0, machine_busy_cpu_s() - machine0 - (process_cpu_s() - process0)) / seconds;
    for (auto& t : pushers) t.join();
    return static_cast<double>(total) / seconds;
}

std::string with_thousands(double x) {
    std::string digits = std::to_string(static_cast<long long>(x + 0.5));
    std::string out;
    int n = 0;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it, ++n) {
        if (n && n % 3 == 0 && *it != '-') out.insert(out.begin(), ',');
        out.insert(out.begin(), *it);
    }
    return out;
}

// --- what the run prints ----------------------------------------------------------------------

std::string rss_text(std::optional<std::uint64_t> kib) {
    if (!kib) return "-";
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(*kib) / 1024);
    return text;
}

std::string p50_p99_max_text(const latency_summary& s) {
    char text[96];
    std::snprintf(text, sizeof text, "p50 %.0f  p99 %.0f  max %.0f", s.p50_us, s.p99_us, s.max_us);
    return text;
}

struct minute_line {
    unsigned minute = 0;  // from 1
    latency_summary latency;
    std::optional<std::uint64_t> rss_kib;

    double acked_per_s() const { return static_cast<double>(latency.count) / 60; }
    nlohmann::json to_json() const {
        return {{"minute", minute},
                {"acked", latency.count},
                {"acked_per_s", acked_per_s()},
                {"ack_latency_us", latency.to_json()},
                {"rss_kib", rss_kib ? nlohmann::json(*rss_kib) : nlohmann::json(nullptr)}};
    }
};

void print_soak_header(std::FILE* out, const options& opt, bool in_process,
                       std::optional<std::uint64_t> rss_at_start) {
    std::string load = "closed loop, window " + std::to_string(opt.window) + " per producer";
    if (opt.rate > 0) load = "open loop at " + with_thousands(opt.rate) + " events/s";
    std::string whose = "batond: give its --pid";
    if (in_process)
        whose = "this process (the in-process batond and the benchmark)";
    else if (opt.pid > 0)
        whose = "batond (pid " + std::to_string(opt.pid) + ")";
    std::fprintf(out,
                 "soak: %u minute%s, %s; acks, rate and ack latency (µs) of each minute, the "
                 "last with the acks after it; VmRSS of %s, %s at the start\n",
                 opt.minutes, opt.minutes == 1 ? "" : "s", load.c_str(), whose.c_str(),
                 rss_text(rss_at_start).c_str());
    std::fflush(out);
}

void print_minute_line(std::FILE* out, const minute_line& m) {
    std::fprintf(out, "  minute %3u  %11s acked  %9s/s  %s  VmRSS %s\n", m.minute,
                 with_thousands(static_cast<double>(m.latency.count)).c_str(),
                 with_thousands(m.acked_per_s()).c_str(), p50_p99_max_text(m.latency).c_str(),
                 rss_text(m.rss_kib).c_str());
    std::fflush(out);
}

}  // namespace

int main(int argc, char** argv) {
    options opt;
    CLI::App app{
        "baton_ingest_bench: durable acked events/s and ack latency of batond's ingest "
        "socket under full order lifecycles from several producers, next to the raw "
        "ZeroMQ PUSH/PULL rate of the same messages on the same machine.",
        "baton_ingest_bench"};
    CLI::Option* events_option =
        app.add_option("-n,--events", opt.events, "Events to send in total")
            ->capture_default_str()
            ->check(CLI::PositiveNumber);
    CLI::Option* seconds_option =
        app.add_option("-s,--seconds", opt.seconds,
                       "Send for this many seconds instead of a fixed number of events");
    app.add_option("-p,--producers", opt.producers, "Producer threads, one DEALER each")
        ->capture_default_str()
        ->check(CLI::Range(1u, baton::bench::max_producers));
    app.add_option("-w,--window", opt.window, "Events each producer keeps in flight (unacked)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--open-orders", opt.open_orders,
                   "Orders each producer has in progress at once, their events interleaved")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--batch-events", opt.batch_events,
                   "batch.max_events of the in-process daemon (group commit size)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--batch-wait-us", opt.batch_wait_us,
                   "batch.max_wait_us of the in-process daemon")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--snapshot-s", opt.snapshot_s,
                   "snapshot.interval of the in-process daemon in seconds (default: its own)");
    app.add_option("--retention-s", opt.retention_s,
                   "retention.closed of the in-process daemon in seconds: closed orders leave "
                   "memory this long after they closed (0: never; default: its own, 30 days)");
    app.add_flag("--full-delivery", opt.full_delivery,
                 "Deliver every order in full (by default 98.5 % of it is delivered and the "
                 "invoice bills the ordered amount: a third of the orders get an "
                 "invoice_mismatch exception that nobody resolves, and stay in memory)");
    app.add_option("--dedup-window-s", opt.dedup_window_s,
                   "dedup.window of the in-process daemon in seconds (default: its own, 24 h)");
    app.add_option("--schemas", opt.schemas, "Schemas folder of the in-process daemon")
        ->capture_default_str()
        ->check(CLI::ExistingDirectory);
    app.add_option("--data-dir", opt.data_parent,
                   "Folder in which a fresh data_dir is made (default: the system temp folder); "
                   "put it on the disk you want to measure")
        ->check(CLI::ExistingDirectory);
    app.add_flag("--keep-data", opt.keep_data, "Keep the data_dir (baton.db) after the run");
    app.add_option("--endpoint", opt.endpoint,
                   "Drive an already-running batond at this ingest endpoint (tcp://host:port) "
                   "instead of the in-process loop");
    app.add_option("--control", opt.control,
                   "With --endpoint: its control endpoint, to read the batch counter");
    app.add_option("--db", opt.db_path, "With --endpoint: its baton.db, to report the file size");
    app.add_flag("--skip-raw", opt.skip_raw, "Do not measure the raw PUSH/PULL rate");
    app.add_option("--raw-runs", opt.raw_runs,
                   "Raw PUSH/PULL runs (of as many messages as were acked); the median is kept")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--ack-timeout", opt.ack_timeout_s,
                   "Give up when no reply arrives for this many seconds with events in flight")
        ->capture_default_str();
    app.add_option("--seed", opt.seed,
                   "Seed of the traffic generator (quantities, customers, interleaving); event "
                   "and order ids are new in every run")
        ->capture_default_str();
    app.add_option("--log-level", opt.log_level, "Log level of the in-process daemon")
        ->capture_default_str();
    app.add_flag("--json", opt.json, "Print the summary as one JSON line");
    app.add_option("--scrape-ms", opt.scrape_ms,
                   "Turn on the in-process daemon's metrics listener (metrics.listen, a free "
                   "loopback port) and GET /metrics every this many ms during the run")
        ->check(CLI::Range(1, 600000));
    app.add_option("--rate", opt.rate,
                   "Open loop: send this many events/s in total, each producer on a fixed "
                   "schedule of its share; ack latency counts from each event's scheduled time. "
                   "With --seconds or --minutes, rate x seconds events are sent")
        ->check(CLI::Range(1.0, 1e7));
    app.add_option("--minutes", opt.minutes,
                   "A soak: run this many minutes and print a line a minute (acks, rate, "
                   "p50/p99 ack latency, VmRSS)")
        ->check(CLI::PositiveNumber)
        ->excludes(events_option)
        ->excludes(seconds_option);
    CLI::Option* endpoint_option = app.get_option("--endpoint");
    app.add_option("--pid", opt.pid,
                   "With --endpoint: the external batond's process id, for its VmRSS in the "
                   "soak's lines")
        ->check(CLI::PositiveNumber)
        ->needs(endpoint_option);
    CLI::Option* query_option =
        app.add_option("--query", opt.query,
                       "The control query the query clients ask (a read-only "
                       "command without arguments)")
            ->check(CLI::IsMember(read_queries));
    query_option->needs(app.add_option("--query-clients", opt.query_clients,
                                       "Threads that each ask --query of the control socket, one "
                                       "request after another, for the whole measured run")
                            ->check(CLI::PositiveNumber)
                            ->needs(query_option));
    app.add_option("--warmup-events", opt.warmup_events,
                   "Before the measured run, send this many events of the same traffic and "
                   "wait for their acks (not counted), so that queries have orders to work on")
        ->check(CLI::PositiveNumber);
    app.final_callback([&] {
        if (opt.query_clients > 0 && !opt.endpoint.empty() && opt.control.empty())
            throw CLI::RequiresError("--query-clients with --endpoint", "--control");
    });
    CLI11_PARSE(app, argc, argv);
    if (opt.minutes > 0) opt.seconds = 60.0 * opt.minutes;
    std::random_device entropy;
    opt.run_id = (std::uint64_t{entropy()} << 32) ^ entropy();

    spdlog::set_default_logger(spdlog::stderr_color_mt("batond"));
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    spdlog::set_level(spdlog::level::from_str(opt.log_level));

    const bool in_process = opt.endpoint.empty();
    std::filesystem::path data_dir;
    std::unique_ptr<zmq::context_t> daemon_context;
    std::unique_ptr<baton::loop> daemon;
    std::thread daemon_thread;
    std::atomic<long> daemon_tid{0};
    double snapshot_interval_s = 0;
    std::string endpoint = opt.endpoint;
    std::string control = opt.control;

    if (in_process) {
        const std::filesystem::path parent = opt.data_parent.empty()
                                                 ? std::filesystem::temp_directory_path()
                                                 : std::filesystem::path(opt.data_parent);
        std::string pattern = (parent / "baton-bench-XXXXXX").string();
        if (!mkdtemp(pattern.data())) {
            std::perror(("baton_ingest_bench: mkdtemp " + pattern).c_str());
            return 1;
        }
        data_dir = pattern;
        baton::config cfg;
        cfg.data_dir = data_dir.string();
        cfg.schemas_dir = std::filesystem::absolute(opt.schemas).lexically_normal().string();
        cfg.flow_file = std::string(BATON_SOURCE_DIR) + "/config/flow.yaml";
        cfg.customers_file = std::string(BATON_SOURCE_DIR) + "/config/customers.yaml";
        cfg.feed_path = (data_dir / "exceptions.jsonl").string();
        cfg.log_level = opt.log_level;
        cfg.bus.ingest = "tcp://127.0.0.1:*";
        cfg.bus.relay = "tcp://127.0.0.1:*";
        cfg.bus.control = "tcp://127.0.0.1:*";
        cfg.batch.max_events = opt.batch_events;
        cfg.batch.max_wait_us = opt.batch_wait_us;
        if (opt.snapshot_s > 0)
            cfg.snapshot.interval_us = static_cast<std::int64_t>(opt.snapshot_s * 1e6);
        if (opt.retention_s >= 0)
            cfg.retention.closed_us = static_cast<std::int64_t>(opt.retention_s * 1e6);
        if (opt.dedup_window_s > 0)
            cfg.dedup.window_us = static_cast<std::int64_t>(opt.dedup_window_s * 1e6);
        if (opt.scrape_ms > 0) {
            cfg.metrics.enabled = true;
            cfg.metrics.host = "127.0.0.1";
            cfg.metrics.port = 0;
        }
        snapshot_interval_s = static_cast<double>(cfg.snapshot.interval_us) * 1e-6;
        try {
            daemon_context = std::make_unique<zmq::context_t>(1);
            daemon = std::make_unique<baton::loop>(cfg, baton::load_inputs(cfg), *daemon_context);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "baton_ingest_bench: cannot start the daemon: %s\n", e.what());
            return 1;
        }
        endpoint = daemon->ingest_endpoint();
        control = daemon->control_endpoint();
        daemon_thread = std::thread([&] {
            daemon_tid.store(static_cast<long>(syscall(SYS_gettid)));
            daemon->run();
        });
    }

    // Stops the in-process daemon (its journal closed, so the WAL is checkpointed into baton.db)
    // and returns the size of the database, removing its data_dir unless --keep-data.
    auto stop_daemon = [&]() -> std::uint64_t {
        if (!in_process) return 0;
        daemon->stop();
        daemon_thread.join();
        daemon.reset();
        daemon_context.reset();
        const std::uint64_t bytes =
            file_size_or_zero(data_dir / "baton.db") + file_size_or_zero(data_dir / "baton.db-wal");
        if (!opt.keep_data) {
            std::error_code ec;
            std::filesystem::remove_all(data_dir, ec);
        }
        return bytes;
    };

    // Producers get their own context: they are clients, as they would be in another process.
    zmq::context_t client_context(1);
    if (opt.warmup_events > 0) {
        if (const std::string error = warm_up(client_context, endpoint, opt); !error.empty()) {
            std::fprintf(stderr, "baton_ingest_bench: warm-up: %s\n", error.c_str());
            stop_daemon();
            return 1;
        }
    }
    const auto before = daemon_counters(client_context, control);

    // The soak's lines give the VmRSS of the process that holds the daemon.
    std::optional<std::string> rss_pid;
    if (in_process)
        rss_pid = "self";
    else if (opt.pid > 0)
        rss_pid = std::to_string(opt.pid);
    auto rss_now = [&] { return rss_pid ? rss_kib(*rss_pid) : std::nullopt; };
    const std::optional<std::uint64_t> rss_at_start = rss_now();

    // Closed loop: a count, or as many as the window allows until --seconds. Open loop: a count,
    // or rate x seconds.
    const bool open_loop = opt.rate > 0;
    std::uint64_t events = opt.events;
    if (opt.seconds > 0)
        events = open_loop ? static_cast<std::uint64_t>(std::llround(opt.rate * opt.seconds))
                           : std::numeric_limits<std::uint64_t>::max();
    std::vector<producer_result> results(opt.producers);
    start_gate gate(opt.producers + opt.query_clients);
    std::unique_ptr<minute_book> book;
    if (opt.minutes > 0) book = std::make_unique<minute_book>(opt.producers, opt.minutes);
    const steady::time_point origin = steady::now();
    std::vector<std::thread> producers =
        start_producers(client_context, endpoint, opt, events, origin, gate, book.get(), results);
    std::unique_ptr<query_load> queries;
    if (opt.query_clients > 0)
        queries = std::make_unique<query_load>(client_context, control, opt.query,
                                               opt.query_clients, opt.ack_timeout_s, gate);
    gate.wait_all_arrived();
    std::unique_ptr<metrics_scraper> scraper;
    if (in_process && opt.scrape_ms > 0)
        scraper = std::make_unique<metrics_scraper>(daemon->metrics_port(), opt.scrape_ms);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // connections up
    const double process_cpu0 = process_cpu_s();
    const double machine_cpu0 = machine_busy_cpu_s();
    const sched_times daemon_sched0 = thread_sched_times(daemon_tid.load());
    const steady::time_point wall0 = steady::now();
    if (book) book->begin(wall0);
    gate.open(wall0);

    // The soak's lines come as the minutes end (on stderr with --json, which prints one line).
    std::vector<minute_line> minutes;
    if (book) {
        std::FILE* out = opt.json ? stderr : stdout;
        print_soak_header(out, opt, in_process, rss_at_start);
        for (unsigned m = 0; m < opt.minutes; ++m) {
            minutes.push_back({m + 1, book->take(m), rss_now()});
            print_minute_line(out, minutes.back());
        }
    }
    for (auto& t : producers) t.join();
    if (scraper) scraper->stop();
    if (queries) queries->stop();
    const double wall_all = std::chrono::duration<double>(steady::now() - wall0).count();
    const double process_cpu = process_cpu_s() - process_cpu0;
    const double other_cpu = std::max(0.0, machine_busy_cpu_s() - machine_cpu0 - process_cpu);
    const sched_times daemon_sched1 = thread_sched_times(daemon_tid.load());
    const double daemon_cpu = in_process ? daemon_sched1.on_cpu_s - daemon_sched0.on_cpu_s : 0;
    const double daemon_run_delay =
        in_process ? daemon_sched1.run_delay_s - daemon_sched0.run_delay_s : 0;

    const auto after = daemon_counters(client_context, control);

    producer_result total;
    std::vector<std::int64_t> latencies;
    double producers_cpu = 0;
    bool timed_out = false;
    for (auto& r : results) {
        total.sent += r.sent;
        total.acked += r.acked;
        total.nacked += r.nacked;
        total.unmatched += r.unmatched;
        total.envelope_bytes += r.envelope_bytes;
        total.min_bytes = std::min(total.min_bytes, r.min_bytes);
        total.max_bytes = std::max(total.max_bytes, r.max_bytes);
        if (r.sent) total.first_send_ns = std::min(total.first_send_ns, r.first_send_ns);
        total.last_ack_ns = std::max(total.last_ack_ns, r.last_ack_ns);
        total.sent_late += r.sent_late;
        total.max_late_ns = std::max(total.max_late_ns, r.max_late_ns);
        if (total.first_nack.empty()) total.first_nack = r.first_nack;
        timed_out = timed_out || r.timed_out;
        producers_cpu += r.cpu_s;
        latencies.insert(latencies.end(), r.latency_ns.begin(), r.latency_ns.end());
        r.latency_ns = {};
    }
    const latency_summary ack_latency = book ? book->whole_run() : summarize(latencies);
    const std::optional<query_figures> query =
        queries ? std::optional(queries->figures()) : std::nullopt;

    std::uint64_t db_bytes = stop_daemon();
    if (!in_process && !opt.db_path.empty())
        db_bytes = file_size_or_zero(opt.db_path) + file_size_or_zero(opt.db_path + "-wal");

    const double wall_s =
        total.acked ? static_cast<double>(total.last_ack_ns - total.first_send_ns) * 1e-9 : 0;
    const double acked_per_s = wall_s > 0 ? static_cast<double>(total.acked) / wall_s : 0;
    const double mean_bytes =
        total.sent ? static_cast<double>(total.envelope_bytes) / static_cast<double>(total.sent)
                   : 0;

    // A short loopback transfer varies from run to run by tens of percent; the median of a few
    // runs is what the ratio uses. An open-loop run's rate is the one it was given, so it is
    // not set beside the raw rate.
    double raw_per_s = 0, raw_mean_bytes = 0, raw_other_cores = 0;
    std::vector<double> raw_rates;
    if (!opt.skip_raw && !open_loop && total.acked > 0) {
        for (unsigned i = 0; i < opt.raw_runs; ++i) {
            double other = 0;
            raw_rates.push_back(run_raw(opt.producers, total.acked, opt, raw_mean_bytes, other));
            raw_other_cores = std::max(raw_other_cores, other);
        }
        std::vector<double> sorted = raw_rates;
        std::sort(sorted.begin(), sorted.end());
        raw_per_s = sorted[sorted.size() / 2];
    }
    const double ratio = raw_per_s > 0 ? acked_per_s / raw_per_s : 0;

    std::optional<std::uint64_t> batches;
    if (before && after) batches = after->second - before->second;

    if (opt.json) {
        nlohmann::json j;
        j["mode"] = in_process ? "in-process" : "external";
        j["endpoint"] = endpoint;
        j["events"] = total.acked;
        j["sent"] = total.sent;
        j["nacks"] = total.nacked;
        j["first_nack"] = total.first_nack;
        j["unmatched_replies"] = total.unmatched;
        j["timed_out"] = timed_out;
        j["producers"] = opt.producers;
        j["window"] = opt.window;
        j["open_orders"] = opt.open_orders;
        if (in_process) {
            j["batch_max_events"] = opt.batch_events;
            j["batch_max_wait_us"] = opt.batch_wait_us;
            j["snapshot_interval_s"] = snapshot_interval_s;
        }
        j["envelope_bytes"] = {{"mean", mean_bytes},
                               {"min", total.sent ? total.min_bytes : 0},
                               {"max", total.max_bytes}};
        j["wall_s"] = wall_s;
        j["acked_per_s"] = acked_per_s;
        j["ack_latency_us"] = ack_latency.to_json();
        j["ack_latency_from"] = open_loop ? "scheduled send" : "send";
        if (open_loop)
            j["open_loop"] = {{"target_per_s", opt.rate},
                              {"sent_over_1ms_late", total.sent_late},
                              {"max_late_us", static_cast<double>(total.max_late_ns) / 1000}};
        j["raw_push_pull_per_s"] = raw_per_s;
        j["raw_push_pull_runs"] = raw_rates;
        j["raw_mean_bytes"] = raw_mean_bytes;
        j["ratio"] = ratio;
        j["batches"] = batches ? nlohmann::json(*batches) : nlohmann::json(nullptr);
        j["sqlite_bytes"] = db_bytes;
        j["cpu_s"] = {
            {"wall", wall_all},           {"process", process_cpu},
            {"daemon_loop", daemon_cpu},  {"daemon_loop_waiting_for_cpu", daemon_run_delay},
            {"producers", producers_cpu}, {"other_processes", other_cpu}};
        j["other_cores"] = {{"ingest", other_cpu / wall_all}, {"raw", raw_other_cores}};
        j["cpus"] = std::thread::hardware_concurrency();
        if (scraper) j["metrics_scrapes"] = scraper->summary();
        j["warmup_events"] = opt.warmup_events;
        if (query)
            j["queries"] = {{"query", opt.query},
                            {"clients", opt.query_clients},
                            {"done", query->done},
                            {"failed", query->failed},
                            {"first_error", query->first_error},
                            {"per_s", query->per_s()},
                            {"latency_us", query->latency.to_json()}};
        if (book) {
            j["rss_kib_at_start"] =
                rss_at_start ? nlohmann::json(*rss_at_start) : nlohmann::json(nullptr);
            j["minutes"] = nlohmann::json::array();
            for (const minute_line& m : minutes) j["minutes"].push_back(m.to_json());
        }
        std::printf("%s\n", j.dump().c_str());
    } else {
        std::printf("baton ingest benchmark (%s batond, %s)\n",
                    in_process ? "in-process" : "external", endpoint.c_str());
        std::printf("  events            %s acked of %s sent, %s nacks%s\n",
                    with_thousands(static_cast<double>(total.acked)).c_str(),
                    with_thousands(static_cast<double>(total.sent)).c_str(),
                    with_thousands(static_cast<double>(total.nacked)).c_str(),
                    timed_out ? " (TIMED OUT waiting for acks)" : "");
        if (!total.first_nack.empty())
            std::printf("  first nack        %s\n", total.first_nack.c_str());
        if (total.unmatched)
            std::printf("  unmatched replies %llu\n",
                        static_cast<unsigned long long>(total.unmatched));
        std::printf("  producers         %u, window %zu events each, %zu open orders each\n",
                    opt.producers, opt.window, opt.open_orders);
        if (open_loop)
            std::printf(
                "  open loop         %s events/s in total (%s/s per producer); %s events sent "
                "over 1 ms after their time, the latest %.1f ms\n",
                with_thousands(opt.rate).c_str(), with_thousands(opt.rate / opt.producers).c_str(),
                with_thousands(static_cast<double>(total.sent_late)).c_str(),
                static_cast<double>(total.max_late_ns) / 1e6);
        if (opt.warmup_events > 0)
            std::printf("  warm-up           %s events sent and acked before the run\n",
                        with_thousands(static_cast<double>(opt.warmup_events)).c_str());
        if (in_process)
            std::printf(
                "  daemon config     batch.max_events %zu, batch.max_wait_us %lld, "
                "snapshot every %g s\n",
                opt.batch_events, static_cast<long long>(opt.batch_wait_us), snapshot_interval_s);
        if (scraper)
            std::printf("  metrics listener  on, GET /metrics every %d ms: %s\n", opt.scrape_ms,
                        scraper->summary().c_str());
        std::printf("  envelope bytes    mean %.0f (min %zu, max %zu)\n", mean_bytes,
                    total.sent ? total.min_bytes : 0, total.max_bytes);
        std::printf("  wall time         %.3f s (first send to last ack)\n", wall_s);
        std::printf("  acked events/s    %s\n", with_thousands(acked_per_s).c_str());
        std::printf("  ack latency µs    p50 %.0f  p90 %.0f  p99 %.0f  p99.9 %.0f  max %.0f%s\n",
                    ack_latency.p50_us, ack_latency.p90_us, ack_latency.p99_us, ack_latency.p999_us,
                    ack_latency.max_us,
                    open_loop ? " (from each event's scheduled send time)" : "");
        if (query) {
            std::printf(
                "  control queries   %u clients asking '%s': %s answered (%s failed), %s/s; "
                "latency µs %s\n",
                opt.query_clients, opt.query.c_str(),
                with_thousands(static_cast<double>(query->done)).c_str(),
                with_thousands(static_cast<double>(query->failed)).c_str(),
                with_thousands(query->per_s()).c_str(), p50_p99_max_text(query->latency).c_str());
            if (!query->first_error.empty())
                std::printf("  first query error %s\n", query->first_error.c_str());
        }
        if (raw_per_s > 0) {
            std::string runs;
            for (double r : raw_rates) runs += (runs.empty() ? "" : ", ") + with_thousands(r);
            std::printf(
                "  raw PUSH/PULL     %s msgs/s (%u PUSH -> 1 PULL, tcp loopback, mean %.0f "
                "bytes; median of %s)\n",
                with_thousands(raw_per_s).c_str(), opt.producers, raw_mean_bytes, runs.c_str());
            std::printf("  ratio             %.3f (acked / raw)\n", ratio);
        }
        if (batches)
            std::printf(
                "  daemon batches    %s (%.0f events/batch)\n",
                with_thousands(static_cast<double>(*batches)).c_str(),
                *batches ? static_cast<double>(total.acked) / static_cast<double>(*batches) : 0.0);
        if (db_bytes)
            std::printf("  sqlite file       %.1f MB (%.0f bytes/event)\n",
                        static_cast<double>(db_bytes) / 1e6,
                        total.acked
                            ? static_cast<double>(db_bytes) / static_cast<double>(total.acked)
                            : 0.0);
        std::printf("  cpu               %.2f s in %.2f s wall (%.2f cores): ", process_cpu,
                    wall_all, wall_all > 0 ? process_cpu / wall_all : 0.0);
        if (in_process)
            std::printf("daemon loop %.2f s, producers %.2f s, zmq I/O threads %.2f s\n",
                        daemon_cpu, producers_cpu,
                        std::max(0.0, process_cpu - daemon_cpu - producers_cpu));
        else
            std::printf("producers %.2f s\n", producers_cpu);
        if (in_process)
            std::printf(
                "  daemon loop       on a cpu %.0f%% of the time, runnable but waiting for a "
                "cpu %.0f%%, blocked or idle %.0f%%\n",
                100 * daemon_cpu / wall_all, 100 * daemon_run_delay / wall_all,
                std::max(0.0, 100 * (wall_all - daemon_cpu - daemon_run_delay) / wall_all));
        // An external batond on this machine is one of the "other processes": no verdict then.
        const bool noisy = (in_process && other_cpu / wall_all > 0.1) || raw_other_cores > 0.1;
        std::printf(
            "  machine           %u cpus; other processes%s used %.2f cores during the "
            "ingest run, %.2f during the raw run%s\n",
            std::thread::hardware_concurrency(),
            in_process ? "" : " (an external batond here included)", other_cpu / wall_all,
            raw_other_cores, noisy ? " (NOISY: rerun on a quiet machine)" : "");
    }
    const bool ok = total.nacked == 0 && total.unmatched == 0 && !timed_out &&
                    total.acked == total.sent && total.acked > 0 &&
                    (!scraper || scraper->failed() == 0) && (!query || query->failed == 0);
    return ok ? 0 : 1;
}
