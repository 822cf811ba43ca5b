// Temporary file, durable rows, rotation and the side state of one output (output_file.h).
#include "output_file.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace baton::adapters::csv_out {

namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail_io(const std::string& what, const std::string& path) {
    throw std::runtime_error(what + " " + path + ": " + std::strerror(errno));
}

void write_all(int fd, const std::string& bytes, std::uint64_t offset, const std::string& path) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::pwrite(fd, bytes.data() + done, bytes.size() - done,
                             static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            fail_io("cannot write", path);
        }
        done += static_cast<std::size_t>(n);
    }
}

void sync_folder(const std::string& folder) {
    int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0) fail_io("cannot open folder", folder);
    ::fsync(fd);
    ::close(fd);
}

std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::string sanitized(const std::string& pattern) {
    std::string s;
    for (char c : pattern) s += (c == '{' || c == '}') ? '_' : c;
    return s;
}

}  // namespace

std::string file_name(const std::string& pattern, const std::string& date, std::uint64_t seq,
                      std::uint64_t n) {
    std::string out;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (pattern.compare(i, 6, "{date}") == 0) {
            out += date;
            i += 5;
        } else if (pattern.compare(i, 5, "{seq}") == 0) {
            out += std::to_string(seq);
            i += 4;
        } else if (pattern.compare(i, 3, "{n}") == 0) {
            out += std::to_string(n);
            i += 2;
        } else {
            out += pattern[i];
        }
    }
    return out;
}

output_file::output_file(const file_output& config, clock_zone zone)
    : config_(config),
      zone_(zone),
      encoder_(config.encoding),
      state_path_(path(".csv-out." + sanitized(config.name) + ".state")) {
    load_state();
}

output_file::~output_file() {
    if (fd_ >= 0) ::close(fd_);
}

std::string output_file::path(const std::string& name) const {
    return (fs::path(config_.folder) / name).string();
}

bool output_file::wants(const std::string& topic) const {
    for (const auto& p : config_.topics)
        if (topic.compare(0, p.size(), p) == 0) return true;
    return false;
}

std::string output_file::header_bytes() {
    std::string out = config_.bom ? encoder_.bom_bytes() : "";
    std::uint64_t replaced = 0;
    for (std::size_t i = 0; i < config_.columns.size(); ++i) {
        if (i) out += encoder_.encode(std::string(1, config_.delimiter), replaced);
        out += encoder_.encode(quote_cell(config_.columns[i].name, config_.delimiter), replaced);
    }
    out += encoder_.encode(config_.line_end, replaced);
    if (replaced)
        spdlog::error("{}: {} character(s) of the header cannot be written in {}; written as '?'",
                      config_.key, replaced, config_.encoding);
    return out;
}

std::string output_file::row_bytes(const relayed_message& m) {
    const value env = envelope_as_value(m);
    std::string out;
    std::uint64_t suppressed = 0;
    for (std::size_t i = 0; i < config_.columns.size(); ++i) {
        const column& c = config_.columns[i];
        std::uint64_t replaced = 0;
        if (i) out += encoder_.encode(std::string(1, config_.delimiter), replaced);
        std::string problem;
        std::string text = cell_text(c, env, zone_, problem);
        if (!problem.empty()) {
            ++cell_problems_;
            if (log_limit_.allow(steady_ms(), suppressed))
                spdlog::error("{}: seq {} column '{}': {}; the cell is empty{}", config_.key, m.seq,
                              c.name, problem, log_limiter::more(suppressed));
        }
        out += encoder_.encode(quote_cell(text, config_.delimiter), replaced);
        if (replaced) {
            replaced_ += replaced;
            if (log_limit_.allow(steady_ms(), suppressed))
                spdlog::error(
                    "{}: seq {} column '{}': {} character(s) cannot be written in {}; written "
                    "as '?'{}",
                    config_.key, m.seq, c.name, replaced, config_.encoding,
                    log_limiter::more(suppressed));
        }
    }
    std::uint64_t none = 0;
    out += encoder_.encode(config_.line_end, none);
    return out;
}

void output_file::write(const relayed_message& m, std::int64_t now_ms) {
    if (m.seq <= last_seq_) return;  // written before a crash or a restart
    tick(now_ms);
    if (!open_) open_new(m.seq, now_ms);
    std::string row = row_bytes(m);
    const std::string tmp = path(open_->tmp);
    write_all(fd_, row, open_->bytes, tmp);
    if (::fdatasync(fd_) != 0) fail_io("cannot sync", tmp);
    open_->bytes += row.size();
    open_->rows += 1;
    last_seq_ = m.seq;
    ++rows_written_;
    save_state();  // now the row counts as written
    if (config_.rotate == rotation::rows && open_->rows >= config_.rows) complete();
}

void output_file::tick(std::int64_t now_ms) {
    if (open_ && config_.rotate == rotation::day && compact_date(now_ms, zone_) != open_->day)
        complete();
}

void output_file::open_new(std::uint64_t seq, std::int64_t now_ms) {
    open_file f;
    f.day = compact_date(now_ms, zone_);
    f.final = file_name(config_.name, f.day, seq, next_n_);
    f.tmp = "." + f.final + ".tmp";
    const std::string tmp = path(f.tmp);
    if (fd_ >= 0) ::close(fd_);
    fd_ = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) fail_io("cannot create", tmp);
    std::string header = header_bytes();
    write_all(fd_, header, 0, tmp);
    if (::fdatasync(fd_) != 0) fail_io("cannot sync", tmp);
    f.bytes = header.size();
    ++next_n_;
    open_ = f;
    save_state();
    spdlog::info("{}: writing {} (becomes {} when complete)", config_.key, f.tmp, f.final);
}

void output_file::complete() {
    if (!open_) return;
    if (fd_ >= 0) {
        if (::fsync(fd_) != 0) fail_io("cannot sync", path(open_->tmp));
        ::close(fd_);
        fd_ = -1;
    }
    // Never replace a file a consumer may not have taken yet: name.1.csv, name.2.csv, ...
    std::string final = open_->final;
    std::error_code ec;
    for (int k = 1; fs::exists(path(final), ec); ++k) {
        fs::path p(open_->final);
        final = p.stem().string() + "." + std::to_string(k) + p.extension().string();
    }
    if (::rename(path(open_->tmp).c_str(), path(final).c_str()) != 0)
        fail_io("cannot rename", path(open_->tmp));
    sync_folder(config_.folder);
    spdlog::info("{}: {} complete ({} rows)", config_.key, final, open_->rows);
    open_.reset();
    ++files_completed_;
    save_state();
}

void output_file::save_state() {
    std::ostringstream s;
    s << "last_seq " << last_seq_ << "\nnext_n " << next_n_ << "\n";
    if (open_)
        s << "open " << open_->day << " " << open_->rows << " " << open_->bytes << " "
          << open_->final << "\n";
    const std::string text = s.str();
    const std::string next = state_path_ + ".new";
    int fd = ::open(next.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail_io("cannot create", next);
    try {
        write_all(fd, text, 0, next);
    } catch (...) {
        ::close(fd);
        throw;
    }
    if (::fsync(fd) != 0) {
        ::close(fd);
        fail_io("cannot sync", next);
    }
    ::close(fd);
    if (::rename(next.c_str(), state_path_.c_str()) != 0) fail_io("cannot rename", next);
    sync_folder(config_.folder);
}

void output_file::load_state() {
    std::ifstream in(state_path_);
    if (!in) return;  // a new output
    std::string word;
    while (in >> word) {
        if (word == "last_seq") {
            in >> last_seq_;
        } else if (word == "next_n") {
            in >> next_n_;
        } else if (word == "open") {
            open_file f;
            in >> f.day >> f.rows >> f.bytes;
            std::getline(in >> std::ws, f.final);
            f.tmp = "." + f.final + ".tmp";
            open_ = f;
        } else {
            throw std::runtime_error(state_path_ + ": unreadable state ('" + word + "')");
        }
    }
    if (!in.eof()) throw std::runtime_error(state_path_ + ": unreadable state");
    if (!open_) return;

    const std::string tmp = path(open_->tmp);
    std::error_code ec;
    if (!fs::exists(tmp, ec)) {
        // Renamed just before a crash, or removed by someone: nothing left to continue.
        if (!fs::exists(path(open_->final), ec))
            spdlog::error("{}: {} is gone; its rows are lost, a new file starts", config_.key, tmp);
        open_.reset();
        save_state();
        return;
    }
    fd_ = ::open(tmp.c_str(), O_RDWR | O_CLOEXEC);
    if (fd_ < 0) fail_io("cannot open", tmp);
    // Rows after the recorded length were not recorded: the relay hands them over again.
    if (::ftruncate(fd_, static_cast<off_t>(open_->bytes)) != 0) fail_io("cannot truncate", tmp);
    if (::fsync(fd_) != 0) fail_io("cannot sync", tmp);
    const std::string header = header_bytes();
    std::string start(header.size(), '\0');
    ssize_t n = ::pread(fd_, start.data(), start.size(), 0);
    if (n != static_cast<ssize_t>(header.size()) || start != header) {
        spdlog::warn(
            "{}: the columns or the encoding changed since {} was started; it is "
            "completed as it is",
            config_.key, open_->tmp);
        complete();
        return;
    }
    spdlog::info("{}: continuing {} ({} rows, last seq {})", config_.key, open_->tmp, open_->rows,
                 last_seq_);
}

}  // namespace baton::adapters::csv_out
