// The exception log feed: one JSON object per line in a file, rotated by size. Lines are
// written after the transaction that stored them commits; at start the writer appends whatever
// the store has that the file lacks, so the file and the store hold the same lines.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace baton {

class journal;

class feed_writer {
public:
    // `max_bytes`: rotate when the file would grow past it; `keep`: rotated files kept
    // (path.1 newest ... path.N oldest).
    feed_writer(std::string path, std::size_t max_bytes, int keep);
    ~feed_writer();
    feed_writer(const feed_writer&) = delete;
    feed_writer& operator=(const feed_writer&) = delete;

    // Appends (feed seq, JSON line) pairs. Never throws; a write error is logged and counted,
    // and the lines are written again by the next catch_up().
    void append(const std::vector<std::pair<std::uint64_t, std::string>>& lines);
    // Writes the stored lines the file does not have yet.
    void catch_up(const journal& store);

    std::uint64_t last_seq() const { return last_seq_; }
    std::uint64_t write_errors() const { return write_errors_; }

private:
    void open_file();
    void rotate();
    std::uint64_t seq_of_last_line(const std::string& file) const;

    std::string path_;
    std::size_t max_bytes_;
    int keep_;
    std::FILE* file_ = nullptr;
    std::size_t size_ = 0;
    std::uint64_t last_seq_ = 0;  // the last feed seq written
    std::uint64_t write_errors_ = 0;
};

}  // namespace baton
