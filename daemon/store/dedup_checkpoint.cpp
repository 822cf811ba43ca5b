// The duplicate window's checkpoint file (dedup_checkpoint.h). Its layout, in this machine's
// byte order (a file from another is refused by the order probe, and the window read from the
// journal):
//
//   header   the fields below, `checksum` last
//   ring     ring_size slots of (key, seq, received_ms), 24 bytes each
//   index    index_size cells of 4 bytes
//
// The checksum is XXH3-64 over the header (its checksum field zero), the ring and the index.
#include "dedup_checkpoint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

namespace baton {

namespace {

constexpr char magic[8] = {'B', 'A', 'T', 'O', 'N', 'D', 'W', '1'};
constexpr std::uint32_t order_probe = 0x01020304;

struct header {
    char magic[8];
    std::uint32_t order_probe;
    std::uint32_t slot_bytes;  // sizeof a ring slot, so a change of it is never misread
    std::int64_t window_ms;    // the window's settings when it was written
    std::uint64_t max_entries;
    std::uint64_t seed;
    std::uint64_t head, tail;  // the ring's absolute positions
    std::uint64_t ring_size;   // slots
    std::uint64_t index_size;  // cells, a power of two
    std::uint64_t checksum;
};
static_assert(sizeof(header) == 80, "the header has no padding");

// A file descriptor closed when it goes out of scope.
struct fd_closer {
    int fd;
    ~fd_closer() {
        if (fd >= 0) ::close(fd);
    }
};

bool write_all(int fd, const void* data, std::size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

// False at the file's end as at an error (errno 0 then).
bool read_all(int fd, void* data, std::size_t n) {
    char* p = static_cast<char*>(data);
    while (n > 0) {
        const ssize_t r = ::read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            if (r == 0) errno = 0;
            return false;
        }
        p += r;
        n -= static_cast<std::size_t>(r);
    }
    return true;
}

std::string system_error(const std::string& what) {
    return what + ": " + (errno ? std::strerror(errno) : "the file ends early");
}

class checksum {
public:
    checksum() : state_(XXH3_createState(), &XXH3_freeState) {
        if (!state_) throw std::bad_alloc();
        XXH3_64bits_reset(state_.get());
    }
    void add(const void* data, std::size_t n) { XXH3_64bits_update(state_.get(), data, n); }
    std::uint64_t value() const { return XXH3_64bits_digest(state_.get()); }

private:
    std::unique_ptr<XXH3_state_t, XXH_errorcode (*)(XXH3_state_t*)> state_;
};

std::uint64_t checksum_of(header h, const void* ring, std::size_t ring_bytes, const void* index,
                          std::size_t index_bytes) {
    h.checksum = 0;
    checksum c;
    c.add(&h, sizeof h);
    c.add(ring, ring_bytes);
    c.add(index, index_bytes);
    return c.value();
}

}  // namespace

std::string dedup_checkpoint::path_for(const std::string& store_path) {
    return (std::filesystem::path(store_path).parent_path() / "baton.dedup").string();
}

std::optional<dedup_mark> dedup_checkpoint::mark_of(const dedup_window& w) {
    if (w.size() == 0) return std::nullopt;
    const dedup_window::slot& newest = w.at(w.tail_ - 1);
    return dedup_mark{newest.seq, newest.received_ms, newest.key};
}

bool dedup_checkpoint::write(const std::string& path, const dedup_window& w, std::string& error) {
    header h{};
    std::memcpy(h.magic, magic, sizeof magic);
    h.order_probe = order_probe;
    h.slot_bytes = sizeof(dedup_window::slot);
    h.window_ms = w.window_ms_;
    h.max_entries = w.max_entries_;
    h.seed = w.seed_;
    h.head = w.head_;
    h.tail = w.tail_;
    h.ring_size = w.ring_.size();
    h.index_size = w.index_.size();
    const std::size_t ring_bytes = w.ring_.size() * sizeof(dedup_window::slot);
    const std::size_t index_bytes = w.index_.size() * sizeof(std::uint32_t);
    h.checksum = checksum_of(h, w.ring_.data(), ring_bytes, w.index_.data(), index_bytes);

    const std::string temp = path + ".tmp";
    {
        const fd_closer f{::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
        if (f.fd < 0) {
            error = system_error("cannot create " + temp);
            return false;
        }
        // Not synced: after a power cut a torn file fails its checksum, and the journal is read.
        if (!write_all(f.fd, &h, sizeof h) || !write_all(f.fd, w.ring_.data(), ring_bytes) ||
            !write_all(f.fd, w.index_.data(), index_bytes)) {
            error = system_error("cannot write " + temp);
            ::unlink(temp.c_str());
            return false;
        }
    }
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        error = system_error("cannot rename " + temp + " to " + path);
        ::unlink(temp.c_str());
        return false;
    }
    return true;
}

std::optional<dedup_mark> dedup_checkpoint::read(const std::string& path, dedup_window& w,
                                                 std::string& why) {
    why.clear();
    const fd_closer f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (f.fd < 0) {
        if (errno != ENOENT) why = system_error("cannot open it");
        return std::nullopt;
    }
    struct stat st {};
    if (::fstat(f.fd, &st) != 0) {
        why = system_error("cannot stat it");
        return std::nullopt;
    }
    header h{};
    if (!read_all(f.fd, &h, sizeof h)) {
        why = system_error("cannot read its header");
        return std::nullopt;
    }
    if (std::memcmp(h.magic, magic, sizeof magic) != 0) {
        why = "it is not a checkpoint of batond's duplicate window (or one of another version)";
        return std::nullopt;
    }
    if (h.order_probe != order_probe || h.slot_bytes != sizeof(dedup_window::slot)) {
        why = "it was written by a batond built for another machine";
        return std::nullopt;
    }
    // Every size is checked before anything is allocated for it.
    const std::uint64_t file_bytes = static_cast<std::uint64_t>(st.st_size);
    const std::uint64_t cap = file_bytes / sizeof(std::uint32_t);
    if (h.ring_size > cap || h.index_size > cap ||
        file_bytes != sizeof h + h.ring_size * sizeof(dedup_window::slot) +
                          h.index_size * sizeof(std::uint32_t)) {
        why = "its size (" + std::to_string(file_bytes) + " bytes) does not match its header";
        return std::nullopt;
    }
    const std::uint64_t entries = h.tail - h.head;
    if (h.tail < h.head || entries > h.ring_size || entries >= (1ULL << 31) ||
        (h.index_size & (h.index_size - 1)) != 0 || (h.index_size == 0) != (h.ring_size == 0) ||
        entries * 20 > h.index_size * 13) {
        why = "its header is inconsistent";
        return std::nullopt;
    }
    // The checkpoint may hold less than the journal would give now: not when it was written with
    // a shorter window, or fewer entries, than the daemon keeps now.
    if (h.window_ms < w.window_ms_ || h.max_entries < w.max_entries_) {
        why = "it was written with a smaller duplicate window (" + std::to_string(h.window_ms) +
              " ms, " + std::to_string(h.max_entries) + " entries) than now configured";
        return std::nullopt;
    }
    if (entries == 0) {
        why = "it holds no entries";
        return std::nullopt;
    }
    std::vector<dedup_window::slot> ring(h.ring_size);
    std::vector<std::uint32_t> index(h.index_size);
    const std::size_t ring_bytes = ring.size() * sizeof(dedup_window::slot);
    const std::size_t index_bytes = index.size() * sizeof(std::uint32_t);
    if (!read_all(f.fd, ring.data(), ring_bytes) || !read_all(f.fd, index.data(), index_bytes)) {
        why = system_error("cannot read it");
        return std::nullopt;
    }
    if (checksum_of(h, ring.data(), ring_bytes, index.data(), index_bytes) != h.checksum) {
        why = "its checksum does not match (a torn or damaged file)";
        return std::nullopt;
    }
    w.seed_ = h.seed;
    w.head_ = h.head;
    w.tail_ = h.tail;
    w.ring_ = std::move(ring);
    w.index_ = std::move(index);
    while (w.size() > w.max_entries_) w.pop_oldest();  // fewer entries configured now
    return mark_of(w);
}

}  // namespace baton
