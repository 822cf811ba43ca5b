// The poll cycle of baton-sql: read, map, outbox, watermark, send.
#include "sql_adapter.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <zmq.hpp>

#include "config_error.h"
#include "duration.h"
#include "envelope.h"
#include "query.h"
#include "watermark_file.h"

namespace baton::adapters::sql {

namespace {

constexpr std::size_t logged_rejections_per_batch = 10;        // the rest are counted, not listed
constexpr auto longest_wait = std::chrono::milliseconds(200);  // how soon `stop` is noticed

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

std::chrono::microseconds retry_delay(std::chrono::microseconds interval, int failures) {
    const std::chrono::microseconds cap = std::max<std::chrono::microseconds>(
        interval, std::chrono::duration_cast<std::chrono::microseconds>(retry_backoff_cap));
    std::chrono::microseconds d = interval;
    for (int i = 1; i < failures && d < cap; ++i) d *= 2;
    return std::min(d, cap);
}

std::optional<std::string> start_watermark(const sql_config& config) {
    const std::string type = to_string(config.watermark_kind);
    auto state = load_watermark(config.state_path);
    if (!state) return config.start_after;
    if (state->table != config.table || state->column != config.watermark_column ||
        state->type != type)
        throw config_error(config.state_path, "",
                           "holds the watermark of " + state->table + "." + state->column + " (" +
                               state->type + "), but the config reads " + config.table + "." +
                               config.watermark_column + " (" + type +
                               "); give the config its own state file, or remove this one to "
                               "start over from watermark.start_after");
    if (config.watermark_kind == watermark_type::integer && !is_integer_watermark(state->value))
        throw config_error(config.state_path, "value",
                           "'" + state->value + "' is not an integer watermark");
    return state->value;
}

sql_adapter::sql_adapter(sql_config config, zmq::context_t& context) : config_(std::move(config)) {
    if (!config_.time_zone.empty()) {
        std::string why;
        zone_ = load_time_zone(config_.time_zone, why);
        if (!zone_) throw config_error(config_.file, "database.time_zone", why);
    }
    db_ = open_source(config_);
    reader_ = std::make_unique<table_reader>(*db_, config_);
    reader_->check();

    watermark_ = start_watermark(config_);

    sender_options options;
    options.endpoint = config_.ingest_endpoint;
    options.outbox_path = config_.outbox_path;
    options.resend_after = std::chrono::milliseconds(config_.resend_after_us / 1000);
    options.curve = config_.curve;
    sender_ = std::make_unique<reliable_sender>(context, options);
    sender_->on_reply([this](const ingest_reply& r) {
        if (r.acked) {
            ++counters_.acked;
            return;
        }
        ++counters_.nacked;
        spdlog::warn("batond refused event {}: {}", r.id, r.reason);
    });
}

sql_adapter::~sql_adapter() = default;

// The mapping reads a date-time without a zone in the machine's zone; with database.time_zone it
// means that zone's wall clock instead (a DATETIME of an ERP in Shanghai read in Frankfurt).
void sql_adapter::apply_time_zone(const row_batch& batch, std::vector<mapped_event>& events) const {
    const mapping& m = config_.row_mapping;
    if (!zone_ || m.ts_column.empty() || !m.ts_format.empty()) return;
    for (auto& e : events) {
        if (e.rows.empty() || e.rows.front() >= batch.rows.size()) continue;
        const row& r = batch.rows[e.rows.front()];
        auto cell = r.find(m.ts_column);
        if (cell == r.end()) continue;
        if (auto wall = wall_clock_ms(cell->second)) e.ts_ms = zone_->to_utc_ms(*wall);
    }
}

std::string sql_adapter::fallback_id(const std::string& watermark, std::size_t tie) const {
    // map_rows fits ids longer than 64 bytes (start kept, hash of the whole appended).
    std::string id = config_.table + ":" + watermark;
    if (tie > 0) id += ":" + std::to_string(tie + 1);
    return id;
}

poll_result sql_adapter::poll_batch() {
    row_batch batch = reader_->read(watermark_);
    poll_result result;
    result.rows = batch.rows.size();
    result.more = batch.full;
    if (batch.rows.empty()) return result;
    counters_.rows_read += batch.rows.size();

    // Rows sharing a watermark value come in a fixed order (table_query::order_ties); the
    // second, third, ... of them get ":2", ":3" after the watermark in their fallback id.
    std::vector<std::string> ids(batch.rows.size());
    std::size_t tie = 0;
    for (std::size_t i = 0; i < batch.rows.size(); ++i) {
        tie = (i > 0 && batch.watermarks[i] == batch.watermarks[i - 1]) ? tie + 1 : 0;
        ids[i] = fallback_id(batch.watermarks[i], tie);
        if (tie > 0 && !warned_ties_ && config_.row_mapping.id_columns.empty()) {
            warned_ties_ = true;
            spdlog::warn(
                "{}: rows share the watermark value '{}'; without id columns in the "
                "mapping their events are told apart by their order only (set `id` "
                "in the mapping for ids that never depend on it)",
                config_.table, batch.watermarks[i]);
        }
    }

    std::vector<row_error> errors;
    std::vector<mapped_event> mapped = map_rows(
        config_.row_mapping, batch.rows, [&](std::size_t i) { return ids.at(i); }, errors);
    apply_time_zone(batch, mapped);

    for (std::size_t k = 0; k < errors.size(); ++k) {
        if (k == logged_rejections_per_batch) {
            spdlog::error("{}: {} more rows of this batch rejected", config_.table,
                          errors.size() - k);
            break;
        }
        const auto& e = errors[k];
        const std::string wm = e.row < batch.watermarks.size() ? batch.watermarks[e.row] : "?";
        spdlog::error("{}: row with {} = {} rejected and skipped: {}", config_.table,
                      config_.watermark_column, wm, e.reason);
    }
    counters_.rows_rejected += errors.size();
    result.rejected = errors.size();

    std::vector<envelope> events;
    events.reserve(mapped.size());
    const std::int64_t now = now_ms();
    for (auto& m : mapped) {
        envelope e;
        e.id = m.id;
        e.source = config_.row_mapping.source;
        e.topic = config_.row_mapping.topic;
        e.ts_ms = m.ts_ms != 0 ? m.ts_ms : now;
        if (!m.order.empty()) e.order = m.order;
        e.data = std::move(m.data);
        events.push_back(std::move(e));
    }
    // The order matters: the events are durable in the outbox before the watermark moves past
    // their rows. A crash in between re-reads the rows; their ids are stable, so the outbox
    // keeps the first copy and batond acks any copy it already has without applying it again.
    if (!events.empty()) sender_->submit_all(events);
    counters_.events_submitted += events.size();
    result.events = events.size();

    watermark_ = batch.watermarks.back();
    save_watermark(config_.state_path, {config_.table, config_.watermark_column,
                                        to_string(config_.watermark_kind), *watermark_});
    spdlog::info("{}: {} rows read, {} events queued, {} rejected; watermark {} = {}",
                 config_.table, result.rows, result.events, result.rejected,
                 config_.watermark_column, *watermark_);
    return result;
}

bool sql_adapter::drain(std::chrono::milliseconds timeout) {
    for (;;) {
        if (sender_->pending() >= config_.max_pending && !sender_->flush(timeout)) return false;
        poll_result r = poll_batch();
        sender_->poll(std::chrono::milliseconds(0));
        if (!r.more) break;
    }
    return sender_->flush(timeout);
}

void sql_adapter::run(const std::atomic<bool>& stop) {
    using clock = std::chrono::steady_clock;
    const auto interval = std::chrono::microseconds(config_.poll_interval_us);
    spdlog::info(
        "reading {} of {} after {} = {} every {}; sending to {}; {} events waiting in "
        "the outbox",
        config_.table, db_->describe(), config_.watermark_column,
        watermark_ ? *watermark_ : std::string("(the first row)"),
        format_duration_us(config_.poll_interval_us), config_.ingest_endpoint, sender_->pending());
    auto next = clock::now();
    std::string last_error;  // a failing database is logged when its message changes
    int failures = 0;        // failed polls in a row: the wait before the next one doubles
    bool backlog_logged = false;
    while (!stop.load()) {
        auto now = clock::now();
        if (now >= next) {
            next = now + interval;
            if (sender_->pending() >= config_.max_pending) {
                if (!backlog_logged)
                    spdlog::warn(
                        "{} events wait for batond; reading no new rows until they "
                        "are acked",
                        sender_->pending());
                backlog_logged = true;
            } else {
                backlog_logged = false;
                try {
                    poll_result r = poll_batch();
                    if (r.more) next = now;
                    if (!last_error.empty()) spdlog::info("{}: reading again", config_.table);
                    last_error.clear();
                    failures = 0;
                } catch (const source_error& e) {
                    ++counters_.read_errors;
                    const auto delay = retry_delay(interval, ++failures);
                    next = now + delay;
                    if (e.what() != last_error)
                        spdlog::error(
                            "{}: cannot read ({}), retrying in {} and then less often "
                            "(up to every {}): {}",
                            config_.table, db_->describe(), format_duration_us(delay.count()),
                            format_duration_us(retry_delay(interval, 64).count()), e.what());
                    last_error = e.what();
                }
            }
        }
        auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - clock::now());
        sender_->poll(std::clamp(wait, std::chrono::milliseconds(0), longest_wait));
    }
}

}  // namespace baton::adapters::sql
