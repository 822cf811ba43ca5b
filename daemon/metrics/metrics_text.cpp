// Snapshot -> prometheus::MetricFamily -> text. No registry: the families are built per scrape
// from plain values, so nothing of prometheus-cpp runs on the loop's thread.
#include "metrics_text.h"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <limits>
#include <sstream>
#include <utility>
#include <vector>

#include "metrics_snapshot.h"
#include "refusal.h"

namespace baton {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

using labels = std::vector<ClientMetric::Label>;

// The families of one scrape, in the order they are added.
class families {
public:
    void gauge(const char* name, const char* help, double v, labels l = {}) {
        ClientMetric m;
        m.label = std::move(l);
        m.gauge.value = v;
        family(name, help, MetricType::Gauge).metric.push_back(std::move(m));
    }
    void counter(const char* name, const char* help, std::uint64_t v, labels l = {}) {
        ClientMetric m;
        m.label = std::move(l);
        m.counter.value = static_cast<double>(v);
        family(name, help, MetricType::Counter).metric.push_back(std::move(m));
    }
    // A gauge family that may have no series (no open exception yet): HELP and TYPE anyway.
    void declare_gauge(const char* name, const char* help) {
        family(name, help, MetricType::Gauge);
    }
    void histogram_family(const char* name, const char* help, const histogram& h) {
        ClientMetric m;
        m.histogram.sample_count = h.count();
        m.histogram.sample_sum = h.sum();
        const auto& bounds = h.bounds();
        for (std::size_t i = 0; i <= bounds.size(); ++i) {
            ClientMetric::Bucket b;
            b.upper_bound = i < bounds.size() ? bounds[i] : std::numeric_limits<double>::infinity();
            b.cumulative_count = h.cumulative(i);
            m.histogram.bucket.push_back(b);
        }
        family(name, help, MetricType::Histogram).metric.push_back(std::move(m));
    }
    std::string text() const {
        std::ostringstream out;
        prometheus::TextSerializer().Serialize(out, list_);
        return out.str();
    }

private:
    MetricFamily& family(const char* name, const char* help, MetricType type) {
        for (auto& f : list_)
            if (f.name == name) return f;
        MetricFamily f;
        f.name = name;
        f.help = help;
        f.type = type;
        list_.push_back(std::move(f));
        return list_.back();
    }
    std::vector<MetricFamily> list_;
};

double seconds(std::int64_t ms) {
    return static_cast<double>(ms) / 1000.0;
}

void write_counters(families& f, const metrics_snapshot& m) {
    const counters& c = m.stats;
    f.counter("baton_events_received_total",
              "Envelopes read from the ingest socket, before admission (refused and duplicates "
              "included).",
              c.received);
    f.counter("baton_events_acked_total", "Events from the ingest socket committed and acked.",
              c.accepted);
    f.counter("baton_events_subscribed_total", "Events from subscribe connectors committed.",
              c.subscribed);
    f.counter("baton_duplicates_total",
              "Events acked again without being applied (same source and id as an earlier one).",
              c.duplicates);
    for (auto code : {refusal::decode, refusal::envelope, refusal::schema, refusal::topic,
                      refusal::forbidden, refusal::limit})
        f.counter("baton_nacks_total", "Ingest events refused with a nack, by refusal code.",
                  c.nacks[static_cast<std::size_t>(code)],
                  {{"code", std::string(refusal_name(code))}});
    f.counter("baton_subscribe_refused_total",
              "Events from subscribe connectors dropped because they were refused.",
              c.subscribe_refused);
    f.counter("baton_feed_gaps_total", "Sequence gaps seen from subscribed sources (feed_gap).",
              c.feed_gaps);
    f.counter("baton_batches_total", "Batches committed, one transaction each.", c.batches);
    f.counter("baton_commit_failures_total", "Batch commits that failed (storage failing).",
              c.commit_failures);
    f.counter("baton_control_requests_total", "Requests read from the control socket.",
              c.control_requests);
    f.counter("baton_control_forbidden_total",
              "Control requests refused for want of rights (CURVE).", c.control_forbidden);
    f.counter("baton_auth_refused_total", "CURVE keys refused by the ZAP handler.", m.auth_refused);
    f.counter("baton_handshakes_failed_total",
              "Handshakes that failed: peers without CURVE or with the wrong server key.",
              m.handshakes_failed);
    f.counter("baton_reloads_total", "Reloads applied (SIGHUP or the reload command).", c.reloads);
    f.counter("baton_reloads_refused_total", "Reloads refused because a file was invalid.",
              c.reloads_refused);
    f.counter("baton_feed_write_errors_total",
              "Failed opens and writes of the exception feed file.", m.feed_write_errors);
}

void write_histograms(families& f, const loop_histograms& h) {
    f.histogram_family("baton_ack_latency_seconds",
                       "Time from reading an ingest event to sending its ack (after its batch "
                       "committed); duplicates acked at once are not included.",
                       h.ack_latency);
    f.histogram_family("baton_batch_events", "Events per committed batch.", h.batch_events);
    f.histogram_family("baton_commit_seconds",
                       "Time of one batch commit: the transaction including fsync.",
                       h.commit_seconds);
}

void write_state(families& f, const metrics_snapshot& m) {
    const char* orders_help = "Orders not closed or cancelled, by current stage and holder.";
    const char* exceptions_help = "Exceptions open or acknowledged, by kind, severity and dept.";
    const char* tasks_help = "Coordination tasks open or escalated, by department.";
    f.declare_gauge("baton_orders_open", orders_help);
    f.declare_gauge("baton_exceptions_open", exceptions_help);
    f.declare_gauge("baton_tasks_open", tasks_help);
    if (m.labels) {
        for (const auto& r : m.labels->orders)
            f.gauge("baton_orders_open", orders_help, static_cast<double>(r.orders),
                    {{"holder", r.holder}, {"stage", r.stage}});
        for (const auto& r : m.labels->exceptions)
            f.gauge("baton_exceptions_open", exceptions_help, static_cast<double>(r.open),
                    {{"dept", r.dept}, {"kind", r.kind}, {"severity", r.severity}});
        for (const auto& r : m.labels->tasks)
            f.gauge("baton_tasks_open", tasks_help, static_cast<double>(r.open),
                    {{"dept", r.dept}});
    }
    f.gauge("baton_timers_pending", "Deadlines in the timer queue.",
            static_cast<double>(m.timers_pending));
    f.gauge("baton_relay_seq", "Sequence number of the last committed relay message.",
            static_cast<double>(m.relay_seq));
    f.gauge("baton_journal_events", "Events in the journal (its last sequence number).",
            static_cast<double>(m.journal_events));
    f.gauge("baton_dedup_entries", "Source and id pairs in the duplicate window.",
            static_cast<double>(m.dedup_entries));
    f.gauge("baton_storage_failing", "1 while the database cannot be written, else 0.",
            m.storage_failing ? 1 : 0);
    f.gauge("baton_feed_failing", "1 while the exception feed file cannot be written, else 0.",
            m.feed_failing ? 1 : 0);
    f.gauge("baton_batch_waiting_events",
            "Events admitted but not yet committed and acked (the open batch and the one being "
            "committed).",
            static_cast<double>(m.batch_waiting));
}

}  // namespace

std::string render_metrics(const metrics_snapshot* m, const scrape_facts& facts) {
    families f;
    f.gauge("baton_build_info", "The running batond's version; always 1.", 1,
            {{"version", facts.version}});
    f.gauge("baton_start_time_seconds", "When batond started, seconds since the Unix epoch.",
            seconds(facts.started_ms));
    if (m) {
        write_counters(f, *m);
        write_histograms(f, m->histograms);
        write_state(f, *m);
    }
    if (facts.last_turn_ms > 0)
        f.gauge("baton_loop_last_turn_timestamp_seconds",
                "When the event loop last turned, seconds since the Unix epoch (read at scrape "
                "time: a stalled loop shows here).",
                seconds(facts.last_turn_ms));
    f.gauge("baton_ready",
            "1 when the state is loaded and storage is writable (what /readyz says), else 0.",
            facts.ready ? 1 : 0);
    return f.text();
}

}  // namespace baton
