// Writing, rotating and catching up the exception feed file; keeping it whole lines only
// after a power cut or a failed write, and logging write failures without flooding the log.
#include "feed.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "clock.h"
#include "journal.h"

namespace baton {

namespace fs = std::filesystem;

namespace {

const system_clock_source system_clock;

}  // namespace

feed_writer::feed_writer(std::string path, std::size_t max_bytes, int keep,
                         const clock_source* clock)
    : path_(std::move(path)),
      max_bytes_(max_bytes),
      keep_(keep),
      clock_(clock ? *clock : system_clock) {
    if (path_.empty()) return;  // no file
    std::error_code ec;
    fs::create_directories(fs::path(path_).parent_path(), ec);
    open_file();  // first, so a torn last line is gone before the last seq is read
    last_seq_ = seq_of_last_line(path_);
    if (last_seq_ == 0) last_seq_ = seq_of_last_line(path_ + ".1");
}

feed_writer::~feed_writer() {
    close_file();
}

void feed_writer::open_file() {
    fd_ = ::open(path_.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
    if (fd_ < 0) {
        failed("cannot open");
        return;
    }
    struct stat st {};
    // Not a regular file (a test's /dev/full, a pipe): it has no size to keep whole.
    size_ =
        ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode) ? static_cast<std::size_t>(st.st_size) : 0;
    drop_torn_tail();
}

void feed_writer::close_file() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

// A last line without its '\n' (a power cut in mid-write, or a failed write whose remains
// could not be cut off) would have the next line appended to it, and neither could be read.
// It is cut off here; the store still has that line, and catch_up() writes it again.
void feed_writer::drop_torn_tail() {
    std::size_t keep = size_;
    char block[4096];
    while (keep > 0) {
        const std::size_t from = keep > sizeof block ? keep - sizeof block : 0;
        const std::size_t n = keep - from;
        if (::pread(fd_, block, n, static_cast<off_t>(from)) != static_cast<ssize_t>(n))
            return;  // unreadable: leave it as it is
        const char* nl = static_cast<const char*>(::memrchr(block, '\n', n));
        if (nl) {
            keep = from + static_cast<std::size_t>(nl - block) + 1;
            break;
        }
        keep = from;
    }
    if (keep == size_) return;
    if (::ftruncate(fd_, static_cast<off_t>(keep)) != 0) {
        spdlog::warn("feed: cannot cut off the torn last line of {}: {}", path_,
                     std::strerror(errno));
        return;
    }
    spdlog::warn("feed: cut off a torn last line of {} ({} bytes); the store's copy follows", path_,
                 size_ - keep);
    size_ = keep;
}

void feed_writer::rotate() {
    close_file();
    std::error_code ec;
    fs::remove(path_ + "." + std::to_string(keep_), ec);
    for (int i = keep_ - 1; i >= 1; --i)
        fs::rename(path_ + "." + std::to_string(i), path_ + "." + std::to_string(i + 1), ec);
    if (keep_ >= 1)
        fs::rename(path_, path_ + ".1", ec);
    else
        fs::remove(path_, ec);
    open_file();
}

// A line and its newline go out in one write before the line counts as written. If only part
// of it went out (a full disk), that part is cut off again, so the file keeps whole lines.
bool feed_writer::write_line(const std::string& line) {
    buffer_.assign(line);
    buffer_ += '\n';
    const char* p = buffer_.data();
    std::size_t left = buffer_.size();
    while (left > 0) {
        const ssize_t n = ::write(fd_, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int error = n < 0 ? errno : EIO;
            if (left != buffer_.size()) (void)::ftruncate(fd_, static_cast<off_t>(size_));
            errno = error;
            return false;
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    size_ += buffer_.size();
    return true;
}

void feed_writer::append(const std::vector<std::pair<std::uint64_t, std::string>>& lines) {
    write_lines(lines, false);
}

void feed_writer::catch_up(const journal& store) {
    if (store.last_feed_seq() <= last_seq_) return;
    std::vector<std::pair<std::uint64_t, std::string>> missing;
    store.read_feed(last_seq_, [&](std::uint64_t seq, const std::string& line) {
        missing.emplace_back(seq, line);
    });
    // While writes fail this runs at every commit; failed() and succeeded() say what matters.
    if (!failing_)
        spdlog::info("feed: writing {} stored lines missing from {}", missing.size(), path_);
    write_lines(missing, true);
}

// Feed seqs follow each other. A line whose predecessor is not in the file (a write of it
// failed) waits: written now, it would make catch_up(), which resumes after the last line
// written, skip the lines between for good. The store's lines are taken as they come.
void feed_writer::write_lines(const std::vector<std::pair<std::uint64_t, std::string>>& lines,
                              bool from_store) {
    for (const auto& [seq, line] : lines) {
        if (seq <= last_seq_) continue;                   // already in the file
        if (!from_store && seq != last_seq_ + 1) return;  // catch_up() fills the gap first
        if (path_.empty()) {
            last_seq_ = seq;  // no file to write
            continue;
        }
        if (fd_ < 0) open_file();
        if (fd_ < 0) return;
        if (size_ > 0 && size_ + line.size() + 1 > max_bytes_) rotate();
        if (fd_ < 0) return;
        if (!write_line(line)) {
            // Reopened at the next attempt, which cuts off whatever a partial write left if
            // write_line() could not.
            failed("cannot write");
            close_file();
            return;
        }
        last_seq_ = seq;
        succeeded();
    }
}

// The first failure is logged at once, then one line per error_log_interval_ms at most with
// the number of failures since the previous line (a full disk fails at every commit).
void feed_writer::failed(const char* what) {
    const int error = errno;
    ++write_errors_;
    last_error_ = std::string(what) + " " + path_ + ": " + std::strerror(error);
    const std::int64_t now_us = clock_.steady_us();
    if (!failing_) {
        failing_ = true;
        failing_since_ms_ = clock_.now_ms();
        failures_in_run_ = 1;
        failures_not_logged_ = 0;
        last_log_us_ = now_us;
        spdlog::error("feed: {}; the lines stay in the store and are written once it works again",
                      last_error_);
        return;
    }
    ++failures_in_run_;
    ++failures_not_logged_;
    if (now_us - last_log_us_ >= error_log_interval_ms * 1000) {
        spdlog::error("feed: still failing: {} ({} more failures in the last {} s)", last_error_,
                      failures_not_logged_, (now_us - last_log_us_) / 1000000);
        failures_not_logged_ = 0;
        last_log_us_ = now_us;
    }
}

void feed_writer::succeeded() {
    if (!failing_) return;
    spdlog::warn("feed: writing {} again after {} s and {} failures", path_,
                 std::max<std::int64_t>(0, clock_.now_ms() - failing_since_ms_) / 1000,
                 failures_in_run_);
    failing_ = false;
    failing_since_ms_ = 0;
}

std::uint64_t feed_writer::seq_of_last_line(const std::string& file) const {
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) return 0;  // e.g. a device: nothing to read back
    std::ifstream in(file, std::ios::binary | std::ios::ate);
    if (!in) return 0;
    std::streamoff size = in.tellg();
    if (size <= 0) return 0;
    // The last complete line lies within the tail; lines are short.
    std::streamoff from = std::max<std::streamoff>(0, size - 65536);
    in.seekg(from);
    std::string tail(static_cast<std::size_t>(size - from), '\0');
    in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
    // The last line that parses (a rotated file from an older batond may end in half a line).
    while (!tail.empty()) {
        while (!tail.empty() && tail.back() == '\n') tail.pop_back();
        auto nl = tail.rfind('\n');
        std::string last = nl == std::string::npos ? tail : tail.substr(nl + 1);
        auto j = nlohmann::json::parse(last, nullptr, false);
        if (!j.is_discarded() && j.is_object() && j.contains("fseq") &&
            j["fseq"].is_number_unsigned())
            return j["fseq"].get<std::uint64_t>();
        tail.resize(nl == std::string::npos ? 0 : nl);
    }
    return 0;
}

}  // namespace baton
