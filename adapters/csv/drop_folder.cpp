// One pass over the drop folder: settle check, CSV reading, mapping, sending through the outbox,
// and moving the file aside with its error report once batond has answered every event.
#include "drop_folder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <zmq.hpp>

#include "csv_reader.h"
#include "reliable_sender.h"
#include "text_decoder.h"

namespace baton::adapters::csv {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

bool ends_with(const std::string& s, std::string_view suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix.data(), suffix.size()) == 0;
}

// Names a writer uses while a file is not finished yet.
bool is_unfinished_name(const std::string& name) {
    return ends_with(name, ".tmp") || ends_with(name, ".part") || ends_with(name, "~");
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

bool read_whole(const fs::path& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::ostringstream ss;
    ss << in.rdbuf();
    out = ss.str();
    return !in.bad();
}

// done/orders_0611.csv, or done/orders_0611.2.csv when a file of that name was done before.
fs::path unique_target(const fs::path& dir, const std::string& name) {
    fs::path target = dir / name;
    const std::string stem = fs::path(name).stem().string();
    const std::string ext = fs::path(name).extension().string();
    for (int n = 2; fs::exists(target); ++n) target = dir / (stem + "." + std::to_string(n) + ext);
    return target;
}

// done/orders_0611.csv -> done/orders_0611.errors.csv
fs::path report_path(const fs::path& target) {
    return target.parent_path() / (target.stem().string() + ".errors.csv");
}

void write_atomically(const fs::path& path, const std::string& text) {
    fs::path tmp = path;
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << text;
        out.flush();
        if (!out)
            throw fs::filesystem_error("cannot write", tmp,
                                       std::make_error_code(std::errc::io_error));
    }
    fs::rename(tmp, path);
}

// rename(2), or copy and remove when done/ is on another file system.
void move_file(const fs::path& from, const fs::path& to) {
    std::error_code ec;
    fs::rename(from, to, ec);
    if (!ec) return;
    if (ec != std::errc::cross_device_link) throw fs::filesystem_error("cannot move", from, to, ec);
    fs::copy_file(from, to, fs::copy_options::overwrite_existing);
    fs::remove(from);
}

// Every column the mapping reads.
std::vector<std::string> columns_of(const mapping& m) {
    std::vector<std::string> cols;
    auto add = [&](const std::string& c) {
        if (!c.empty() && std::find(cols.begin(), cols.end(), c) == cols.end()) cols.push_back(c);
    };
    add(m.order_column);
    for (const auto& c : m.id_columns) add(c);
    add(m.ts_column);
    add(m.group_by);
    for (const auto& f : m.fields)
        if (!f.constant) add(f.column);
    return cols;
}

std::string quoted_list(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "'" : ", '") + n + "'";
    return out;
}

}  // namespace

const char* to_string(file_outcome o) {
    switch (o) {
        case file_outcome::done: return "done";
        case file_outcome::failed: return "failed";
        case file_outcome::waiting: return "waiting";
    }
    return "?";
}

struct drop_folder::attempt {
    std::unordered_map<std::string, std::vector<std::size_t>> records;  // id -> record indexes
    std::unordered_map<std::string, ingest_reply> replies;              // id -> answer
};

drop_folder::drop_folder(zmq::context_t& context, adapter_config config,
                         std::vector<mapping> mappings)
    : config_(std::move(config)), mappings_(std::move(mappings)) {
    sender_options o;
    o.endpoint = config_.ingest;
    o.outbox_path = config_.outbox;
    o.resend_after = config_.resend_after;
    o.curve = config_.curve;
    sender_ = std::make_unique<reliable_sender>(context, o);
    sender_->on_reply([this](const ingest_reply& r) {
        if (current_ && current_->records.count(r.id)) current_->replies[r.id] = r;
    });
}

drop_folder::~drop_folder() = default;

std::size_t drop_folder::pending() const {
    return sender_->pending();
}

bool drop_folder::is_complete(const std::string& name, std::uintmax_t size,
                              fs::file_time_type mtime) {
    const auto now = std::chrono::steady_clock::now();
    const bool old_enough = fs::file_time_type::clock::now() - mtime >= config_.settle;
    auto it = seen_.find(name);
    if (it == seen_.end()) {
        seen_.emplace(name, observation{size, mtime, now});
        return old_enough;
    }
    observation& o = it->second;
    if (o.size != size || o.mtime != mtime) {
        o = observation{size, mtime, now};  // still being written
        return false;
    }
    // The observation also covers an mtime in the future (a clock that is ahead on a share).
    return old_enough || now - o.unchanged_since >= config_.settle;
}

std::vector<file_report> drop_folder::scan_once() {
    struct candidate {
        fs::path path;
        fs::file_time_type mtime;
        const mapping* m;
    };
    std::vector<candidate> files;
    std::set<std::string> present;
    std::error_code ec;
    fs::directory_iterator it(config_.folder, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const fs::directory_entry& entry = *it;
        std::error_code entry_ec;
        if (!entry.is_regular_file(entry_ec)) continue;
        const std::string name = entry.path().filename().string();
        if (name.empty() || name[0] == '.' || ends_with(name, ".errors.csv")) continue;
        present.insert(name);
        if (is_unfinished_name(name)) continue;
        const mapping* m = match_file(mappings_, name);
        if (!m) {
            if (unmatched_logged_.insert(name).second)
                spdlog::info("{}: no mapping matches this file; left alone", name);
            continue;
        }
        auto size = entry.file_size(entry_ec);
        auto mtime = entry.last_write_time(entry_ec);
        if (entry_ec) continue;  // gone between listing and stat
        if (!is_complete(name, size, mtime)) {
            spdlog::debug("{}: still being written (changed less than {} ms ago)", name,
                          config_.settle.count());
            continue;
        }
        files.push_back({entry.path(), mtime, m});
    }
    if (ec) {
        std::string why = "cannot list the folder " + config_.folder + ": " + ec.message();
        if (why != folder_error_) spdlog::error("{}", why);
        folder_error_ = why;
        return {};
    }
    folder_error_.clear();
    for (auto s = seen_.begin(); s != seen_.end();)
        s = present.count(s->first) ? std::next(s) : seen_.erase(s);
    for (auto u = unmatched_logged_.begin(); u != unmatched_logged_.end();)
        u = present.count(*u) ? std::next(u) : unmatched_logged_.erase(u);

    // Oldest export first: an amendment exported after the order must follow it.
    std::sort(files.begin(), files.end(), [](const candidate& a, const candidate& b) {
        return a.mtime != b.mtime ? a.mtime < b.mtime : a.path < b.path;
    });
    std::vector<file_report> reports;
    for (const auto& f : files) {
        if (stop_ && stop_->load()) break;
        reports.push_back(process_file(f.path, *f.m));
        if (reports.back().outcome != file_outcome::waiting) seen_.erase(reports.back().file);
        // batond is not answering: the next files would only wait too.
        if (reports.back().outcome == file_outcome::waiting && sender_->pending() > 0) break;
    }
    return reports;
}

void drop_folder::run(const std::atomic<bool>& stop) {
    stop_ = &stop;
    while (!stop.load()) {
        try {
            scan_once();
            // Events left in the outbox by an earlier run still go out between files.
            if (sender_->pending() > 0) sender_->poll(0ms);
        } catch (const std::exception& e) {
            spdlog::error("pass over {} failed: {}", config_.folder, e.what());
        }
        auto until = std::chrono::steady_clock::now() + config_.poll_interval;
        while (!stop.load() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(
                std::min<std::chrono::milliseconds>(50ms, config_.poll_interval));
    }
    stop_ = nullptr;
}

bool drop_folder::wait_for_answers(attempt& a) {
    const auto deadline = std::chrono::steady_clock::now() + config_.ack_timeout;
    while (a.replies.size() < a.records.size()) {
        if (stop_ && stop_->load()) return false;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        bool outbox_empty = sender_->flush(std::min<std::chrono::milliseconds>(left, 100ms));
        if (outbox_empty && a.replies.size() < a.records.size()) return false;
    }
    return true;
}

file_report drop_folder::fail_file(file_report rep, const fs::path& path, std::size_t line,
                                   const std::string& reason) {
    rep.outcome = file_outcome::failed;
    rep.reason = reason;
    try {
        fs::create_directories(config_.failed_dir);
        fs::path target = unique_target(config_.failed_dir, rep.file);
        std::string report =
            format_record({"file_line", "error"}, config_.delimiter) +
            format_record({line ? std::to_string(line) : "", reason}, config_.delimiter);
        write_atomically(report_path(target), report);
        move_file(path, target);
        rep.moved_to = target.string();
        rep.error_report = report_path(target).string();
        spdlog::error("{}: not read: {} (moved to {})", rep.file, reason, rep.moved_to);
    } catch (const fs::filesystem_error& e) {
        rep.outcome = file_outcome::waiting;
        rep.reason = reason + "; and it cannot be moved aside: " + e.what();
        spdlog::error("{}: {}", rep.file, rep.reason);
    }
    return rep;
}

file_report drop_folder::process_file(const fs::path& path, const mapping& m) {
    file_report rep;
    rep.file = path.filename().string();
    rep.mapping = m.name;

    std::error_code ec;
    auto size = fs::file_size(path, ec);
    if (!ec && size > config_.max_file_bytes)
        return fail_file(rep, path, 0,
                         "the file has " + std::to_string(size) + " bytes, more than max_file_mb");
    std::string text;
    if (ec || !read_whole(path, text)) {
        rep.outcome = file_outcome::waiting;
        rep.reason = "cannot read the file" + (ec ? ": " + ec.message() : std::string());
        spdlog::error("{}: {}", rep.file, rep.reason);
        return rep;
    }
    const std::string& encoding = encoding_for(config_, m);
    if (!is_utf8_encoding(encoding)) {
        std::string decoded;
        decode_failure failure;
        if (!decode_to_utf8(text, encoding, decoded, failure))
            return fail_file(rep, path, failure.line, failure.reason);
        text = std::move(decoded);
    }

    table t;
    std::string why;
    if (!read_table(text, config_.delimiter, t, why)) return fail_file(rep, path, 0, why);
    std::vector<std::string> missing;
    for (const auto& c : columns_of(m))
        if (std::find(t.header.begin(), t.header.end(), c) == t.header.end()) missing.push_back(c);
    if (!missing.empty()) {
        std::string reason = "the header has no column " + quoted_list(missing) + " (mapping '" +
                             m.name + "' reads it)";
        const char other = config_.delimiter == ';' ? ',' : ';';
        if (t.header.size() == 1 && t.header[0].find(other) != std::string::npos)
            reason += std::string("; the file looks ") + other +
                      "-separated: set delimiter in the config";
        return fail_file(rep, path, t.header_line, reason);
    }
    rep.rows = t.records.size();

    // Rows that cannot go in, by record index, with the reason.
    std::map<std::size_t, std::string> bad;
    std::vector<row> rows;
    std::vector<std::size_t> record_of;  // row index -> record index
    for (std::size_t k = 0; k < t.records.size(); ++k) {
        const record& rec = t.records[k];
        if (!rec.error.empty()) {
            bad[k] = rec.error;
            continue;
        }
        row r;
        for (std::size_t i = 0; i < t.header.size(); ++i)
            if (!t.header[i].empty()) r[t.header[i]] = rec.cells[i];
        rows.push_back(std::move(r));
        record_of.push_back(k);
    }
    auto line_of_row = [&](std::size_t i) { return t.records[record_of[i]].line; };
    std::vector<row_error> row_errors;
    std::vector<mapped_event> events = map_rows(
        m, rows, [&](std::size_t i) { return rep.file + ":" + std::to_string(line_of_row(i)); },
        row_errors);
    for (const auto& e : row_errors) bad[record_of[e.row]] = e.reason;

    // Two events of one file with one id: the second would be taken for a duplicate.
    attempt a;
    std::vector<envelope> envelopes;
    std::unordered_map<std::string, std::size_t> first_line;
    const std::int64_t now = now_ms();
    for (auto& ev : events) {
        auto [seen, added] = first_line.emplace(ev.id, line_of_row(ev.rows.front()));
        if (!added) {
            for (std::size_t r : ev.rows)
                bad[record_of[r]] = "event id '" + ev.id + "' is also the id of line " +
                                    std::to_string(seen->second) +
                                    " (the id columns must differ between events, rows of one "
                                    "event need group_by)";
            continue;
        }
        auto& recs = a.records[ev.id];
        for (std::size_t r : ev.rows) recs.push_back(record_of[r]);
        envelope e;
        e.id = ev.id;
        e.source = m.source;
        e.topic = m.topic;
        e.ts_ms = ev.ts_ms != 0 ? ev.ts_ms : now;
        if (!ev.order.empty()) e.order = ev.order;
        e.data = std::move(ev.data);
        envelopes.push_back(std::move(e));
    }

    if (!envelopes.empty()) {
        current_ = &a;
        bool answered = false;
        try {
            sender_->submit_all(envelopes);  // in the outbox before anything is sent
            answered = wait_for_answers(a);
        } catch (...) {
            current_ = nullptr;
            throw;
        }
        current_ = nullptr;
        if (!answered) {
            rep.outcome = file_outcome::waiting;
            rep.reason = "batond answered " + std::to_string(a.replies.size()) + " of " +
                         std::to_string(a.records.size()) + " events within " +
                         std::to_string(config_.ack_timeout.count()) +
                         " ms; the rest wait in the outbox and the file stays";
            spdlog::warn("{}: {}", rep.file, rep.reason);
            return rep;
        }
        for (const auto& [id, reply] : a.replies) {
            if (reply.acked) {
                ++rep.events;
                continue;
            }
            for (std::size_t k : a.records[id]) bad[k] = "refused by batond: " + reply.reason;
        }
    }

    rep.bad_rows = bad.size();
    try {
        fs::create_directories(config_.done_dir);
        fs::path target = unique_target(config_.done_dir, rep.file);
        if (!bad.empty()) {
            std::vector<std::string> head{"file_line", "error"};
            head.insert(head.end(), t.header.begin(), t.header.end());
            std::string report = format_record(head, config_.delimiter);
            for (const auto& [k, reason] : bad) {
                std::vector<std::string> cells{std::to_string(t.records[k].line), reason};
                cells.insert(cells.end(), t.records[k].cells.begin(), t.records[k].cells.end());
                report += format_record(cells, config_.delimiter);
            }
            write_atomically(report_path(target), report);
            rep.error_report = report_path(target).string();
        }
        move_file(path, target);
        rep.moved_to = target.string();
    } catch (const fs::filesystem_error& e) {
        // Every event is answered: a later pass sends them again and batond acks duplicates.
        rep.outcome = file_outcome::waiting;
        rep.reason = std::string("cannot move the file to done: ") + e.what();
        spdlog::error("{}: {}", rep.file, rep.reason);
        return rep;
    }
    if (rep.bad_rows > 0)
        spdlog::warn("{}: {} rows, {} events in, {} bad rows (see {})", rep.file, rep.rows,
                     rep.events, rep.bad_rows, rep.error_report);
    else
        spdlog::info("{}: {} rows, {} events in (moved to {})", rep.file, rep.rows, rep.events,
                     rep.moved_to);
    return rep;
}

}  // namespace baton::adapters::csv
