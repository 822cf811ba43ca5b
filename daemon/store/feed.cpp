// Writing, rotating and catching up the exception feed file.
#include "feed.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "journal.h"

namespace baton {

namespace fs = std::filesystem;

feed_writer::feed_writer(std::string path, std::size_t max_bytes, int keep)
    : path_(std::move(path)), max_bytes_(max_bytes), keep_(keep) {
    std::error_code ec;
    fs::create_directories(fs::path(path_).parent_path(), ec);
    last_seq_ = seq_of_last_line(path_);
    if (last_seq_ == 0) last_seq_ = seq_of_last_line(path_ + ".1");
    open_file();
}

feed_writer::~feed_writer() {
    if (file_) std::fclose(file_);
}

void feed_writer::open_file() {
    file_ = std::fopen(path_.c_str(), "a");
    if (!file_) {
        ++write_errors_;
        spdlog::error("feed: cannot open {}: {}", path_, std::strerror(errno));
        return;
    }
    std::error_code ec;
    auto size = fs::file_size(path_, ec);
    size_ = ec ? 0 : static_cast<std::size_t>(size);
}

void feed_writer::rotate() {
    if (file_) std::fclose(file_);
    file_ = nullptr;
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

void feed_writer::append(const std::vector<std::pair<std::uint64_t, std::string>>& lines) {
    for (const auto& [seq, line] : lines) {
        if (seq <= last_seq_) continue;  // already in the file
        if (!file_) open_file();
        if (!file_) return;
        if (size_ > 0 && size_ + line.size() + 1 > max_bytes_) rotate();
        if (!file_) return;
        // A line and its newline go out together, flushed, before the line counts as written:
        // a full disk shows up at the flush, and the line is written again by catch_up().
        if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() ||
            std::fputc('\n', file_) == EOF || std::fflush(file_) != 0) {
            ++write_errors_;
            spdlog::error("feed: cannot write {}: {}", path_, std::strerror(errno));
            std::fclose(file_);
            file_ = nullptr;
            return;
        }
        size_ += line.size() + 1;
        last_seq_ = seq;
    }
}

void feed_writer::catch_up(const journal& store) {
    if (store.last_feed_seq() <= last_seq_) return;
    std::vector<std::pair<std::uint64_t, std::string>> missing;
    store.read_feed(last_seq_, [&](std::uint64_t seq, const std::string& line) {
        missing.emplace_back(seq, line);
    });
    spdlog::info("feed: writing {} stored lines missing from {}", missing.size(), path_);
    append(missing);
}

std::uint64_t feed_writer::seq_of_last_line(const std::string& file) const {
    std::ifstream in(file, std::ios::binary | std::ios::ate);
    if (!in) return 0;
    std::streamoff size = in.tellg();
    // The last complete line lies within the tail; lines are short.
    std::streamoff from = std::max<std::streamoff>(0, size - 65536);
    in.seekg(from);
    std::string tail(static_cast<std::size_t>(size - from), '\0');
    in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
    // The last line that parses: a power cut can leave half a line at the end.
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
