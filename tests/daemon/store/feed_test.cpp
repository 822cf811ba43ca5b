// Tests of daemon/store/feed: rotation by size keeps the newest files, catch-up writes what the
// store has and the file lacks, the file keeps whole lines after a power cut or a write cut short,
// and write failures are counted, shown and logged without flooding the log.
#include "feed.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "clock.h"
#include "journal.h"
#include "temp_dir.h"

namespace baton {
namespace {

namespace fs = std::filesystem;
using baton::testing::temp_dir;
using feed_lines = std::vector<std::pair<std::uint64_t, std::string>>;

class fake_clock final : public clock_source {
public:
    std::int64_t now_ms() const override { return now_ms_; }
    std::int64_t steady_us() const override { return now_ms_ * 1000; }
    void advance_ms(std::int64_t ms) { now_ms_ += ms; }

private:
    std::int64_t now_ms_ = 1700000000000;
};

// The default logger writes into a string while this lives.
class captured_log {
public:
    captured_log() : previous_(spdlog::default_logger()) {
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
        sink->set_pattern("%l %v");
        spdlog::set_default_logger(std::make_shared<spdlog::logger>("feed_test", sink));
    }
    ~captured_log() { spdlog::set_default_logger(previous_); }
    captured_log(const captured_log&) = delete;
    captured_log& operator=(const captured_log&) = delete;

    // The lines that contain `part`.
    std::vector<std::string> lines_with(const std::string& part) const {
        std::vector<std::string> found;
        std::istringstream in(out_.str());
        for (std::string l; std::getline(in, l);)
            if (l.find(part) != std::string::npos) found.push_back(l);
        return found;
    }

private:
    std::ostringstream out_;
    std::shared_ptr<spdlog::logger> previous_;
};

// Every line is 64 bytes with its newline, whatever its seq, so sizes are easy to reason about.
std::string line(std::uint64_t seq) {
    std::string l = R"({"fseq":)" + std::to_string(seq) + R"(,"state":"opened","pad":")";
    l.append(63 - l.size() - 2, 'x');
    return l + "\"}";
}

feed_lines lines(std::uint64_t first, std::uint64_t last) {
    feed_lines out;
    for (std::uint64_t s = first; s <= last; ++s) out.emplace_back(s, line(s));
    return out;
}

// The file's expected text: the lines first..last, each with its newline.
std::string text(std::uint64_t first, std::uint64_t last) {
    std::string t;
    for (std::uint64_t s = first; s <= last; ++s) t += line(s) + '\n';
    return t;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void store_feed(journal& store, std::uint64_t first, std::uint64_t last) {
    journal_batch batch;
    batch.feed = lines(first, last);
    store.commit(batch);
}

// Files may not grow past the size limit while it lives: a write that crosses it stops there
// (a short write) and the next one fails with EFBIG, as on a disk that fills up mid-line.
class file_size_limit {
public:
    explicit file_size_limit(rlim_t bytes) {
        getrlimit(RLIMIT_FSIZE, &previous_);
        previous_handler_ = signal(SIGXFSZ, SIG_IGN);  // else the signal ends the process
        rlimit limit = previous_;
        limit.rlim_cur = bytes;
        if (setrlimit(RLIMIT_FSIZE, &limit) != 0) ADD_FAILURE() << "setrlimit failed";
    }
    ~file_size_limit() {
        setrlimit(RLIMIT_FSIZE, &previous_);
        signal(SIGXFSZ, previous_handler_);
    }
    file_size_limit(const file_size_limit&) = delete;
    file_size_limit& operator=(const file_size_limit&) = delete;

private:
    rlimit previous_{};
    sighandler_t previous_handler_ = SIG_DFL;
};

TEST(feed_writer, rotates_by_size_and_keeps_only_the_newest_files) {
    temp_dir dir;
    const std::string path = dir / "feed.jsonl";
    {
        feed_writer w(path, 3 * 64, 2);  // three lines a file
        w.append(lines(1, 10));
        w.append(lines(11, 20));
        EXPECT_EQ(w.last_seq(), 20u);
        EXPECT_EQ(w.write_errors(), 0u);
    }
    EXPECT_EQ(read_text(path), text(19, 20));
    EXPECT_EQ(read_text(path + ".1"), text(16, 18));
    EXPECT_EQ(read_text(path + ".2"), text(13, 15));
    EXPECT_FALSE(fs::exists(path + ".3"));
}

TEST(feed_writer, with_keep_zero_a_full_file_is_dropped) {
    temp_dir dir;
    const std::string path = dir / "feed.jsonl";
    feed_writer w(path, 3 * 64, 0);
    w.append(lines(1, 5));
    EXPECT_EQ(read_text(path), text(4, 5));
    EXPECT_FALSE(fs::exists(path + ".1"));
}

TEST(feed_writer, a_new_writer_resumes_after_the_last_line_in_the_file) {
    temp_dir dir;
    const std::string path = dir / "feed.jsonl";
    feed_writer(path, 1 << 20, 2).append(lines(1, 3));
    feed_writer w(path, 1 << 20, 2);
    EXPECT_EQ(w.last_seq(), 3u);
    w.append(lines(1, 5));  // the first three are in the file already
    EXPECT_EQ(read_text(path), text(1, 5));
}

TEST(feed_writer, catch_up_writes_the_stored_lines_the_file_lacks_once_and_in_order) {
    temp_dir dir;
    const std::string path = dir / "feed.jsonl";
    journal store(dir / "state");
    store_feed(store, 1, 5);
    feed_writer(path, 1 << 20, 2).append(lines(1, 2));

    feed_writer w(path, 1 << 20, 2);
    w.catch_up(store);
    EXPECT_EQ(read_text(path), text(1, 5));
    store_feed(store, 6, 8);
    w.catch_up(store);
    w.catch_up(store);
    EXPECT_EQ(read_text(path), text(1, 8));
    EXPECT_EQ(w.last_seq(), 8u);
}

TEST(feed_writer, a_torn_last_line_is_cut_off_and_written_again_from_the_store) {
    temp_dir dir;
    const std::string path = dir.write("feed.jsonl", text(1, 3) + line(4).substr(0, 20));
    journal store(dir / "state");
    store_feed(store, 1, 6);

    feed_writer w(path, 1 << 20, 2);
    EXPECT_EQ(w.last_seq(), 3u);
    w.catch_up(store);
    EXPECT_EQ(read_text(path), text(1, 6));
}

TEST(feed_writer, a_last_line_that_lost_only_its_newline_is_written_again_whole) {
    temp_dir dir;
    const std::string path = dir.write("feed.jsonl", text(1, 3) + line(4));  // no '\n'
    journal store(dir / "state");
    store_feed(store, 1, 6);

    feed_writer w(path, 1 << 20, 2);
    w.catch_up(store);
    EXPECT_EQ(read_text(path), text(1, 6));
}

TEST(feed_writer, a_write_cut_short_by_a_full_disk_leaves_no_fragment_and_loses_no_line) {
    temp_dir dir;
    const std::string path = dir / "feed.jsonl";
    journal store(dir / "state");
    store_feed(store, 1, 4);  // the store commits before the feed is written
    feed_writer w(path, 1 << 20, 2);
    w.append(lines(1, 2));
    {
        file_size_limit full(2 * 64 + 10);  // room for 10 bytes of line 3
        w.append(lines(3, 3));
    }
    EXPECT_EQ(w.write_errors(), 1u);
    EXPECT_EQ(w.last_seq(), 2u);
    EXPECT_EQ(read_text(path), text(1, 2));

    w.append(lines(4, 4));  // line 3 first: it comes from the store
    EXPECT_EQ(read_text(path), text(1, 2));
    w.catch_up(store);
    EXPECT_EQ(read_text(path), text(1, 4));
    EXPECT_EQ(w.write_errors(), 1u);
}

TEST(feed_writer, write_errors_are_logged_at_once_then_once_an_interval_with_their_count) {
    temp_dir dir;
    const std::string path = dir / "feed.jsonl";
    fs::create_symlink("/dev/full", path);  // every write fails with ENOSPC, even for root
    fake_clock clock;
    const std::int64_t start_ms = clock.now_ms();
    captured_log log;
    feed_writer w(path, 1 << 20, 2, &clock);
    EXPECT_FALSE(w.failing());
    EXPECT_EQ(w.failing_since_ms(), 0);

    w.append(lines(1, 1));
    EXPECT_TRUE(w.failing());
    EXPECT_EQ(w.write_errors(), 1u);
    EXPECT_EQ(w.failing_since_ms(), start_ms);
    EXPECT_EQ(w.last_error(), "cannot write " + path + ": No space left on device");
    EXPECT_EQ(log.lines_with("cannot write").size(), 1u);

    for (int i = 0; i < 100; ++i) {  // ten seconds of commits
        clock.advance_ms(100);
        w.append(lines(1, 1));
    }
    EXPECT_EQ(w.write_errors(), 101u);
    EXPECT_EQ(log.lines_with("cannot write").size(), 1u);

    clock.advance_ms(feed_writer::error_log_interval_ms);
    w.append(lines(1, 1));
    auto logged = log.lines_with("cannot write");
    ASSERT_EQ(logged.size(), 2u);
    EXPECT_NE(logged[1].find("101 more failures in the last 40 s"), std::string::npos) << logged[1];
    EXPECT_EQ(w.failing_since_ms(), start_ms);

    fs::remove(path);  // room again: the next open makes a regular file
    clock.advance_ms(1000);
    w.append(lines(1, 1));
    EXPECT_FALSE(w.failing());
    EXPECT_EQ(w.failing_since_ms(), 0);
    EXPECT_EQ(w.write_errors(), 102u);
    EXPECT_EQ(w.last_error(), "cannot write " + path + ": No space left on device");
    EXPECT_EQ(read_text(path), text(1, 1));
    auto recovered = log.lines_with("again after");
    ASSERT_EQ(recovered.size(), 1u);
    EXPECT_NE(recovered[0].find("after 41 s and 102 failures"), std::string::npos) << recovered[0];
    EXPECT_EQ(log.lines_with("cannot write").size(), 2u);
}

TEST(feed_writer, a_feed_that_cannot_be_opened_is_failing_until_it_can) {
    temp_dir dir;
    dir.write("not-a-folder", "");
    const std::string path = dir / "not-a-folder/feed.jsonl";
    fake_clock clock;
    captured_log log;
    feed_writer w(path, 1 << 20, 2, &clock);
    EXPECT_TRUE(w.failing());
    EXPECT_EQ(w.write_errors(), 1u);
    EXPECT_EQ(w.last_error(), "cannot open " + path + ": Not a directory");
    w.append(lines(1, 2));
    EXPECT_EQ(w.write_errors(), 2u);
    EXPECT_EQ(log.lines_with("cannot open").size(), 1u);

    fs::remove(dir / "not-a-folder");
    fs::create_directory(dir / "not-a-folder");
    w.append(lines(1, 2));
    EXPECT_FALSE(w.failing());
    EXPECT_EQ(read_text(path), text(1, 2));
}

}  // namespace
}  // namespace baton
