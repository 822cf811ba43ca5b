// The duplicate window's checkpoint file (dedup_checkpoint.h). Its layout, in this machine's
// byte order (a file from another is refused by the order probe, and the window read from the
// journal):
//
//   header   the fields below, `checksum` last
//   ring     ring_size slots of (key, seq, received_ms), 24 bytes each
//   index    index_size cells of 4 bytes
//
// The ring starts with its oldest entry (head 0) and holds tail entries; the index's cells name
// those positions. The checksum is XXH3-64 over the header (its checksum field zero), the ring
// and the index.
#include "dedup_checkpoint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
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
    // The slot's layout and where the hash places keys with this seed: a batond that lays out
    // or places them otherwise (a checksum cannot tell) refuses the file instead of misreading.
    std::uint64_t layout;
    std::uint64_t checksum;
};
static_assert(sizeof(header) == 88, "the header has no padding");

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
        if (w <= 0) {
            if (w == 0) errno = ENOSPC;  // nothing written, and no error said
            return false;
        }
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

}  // namespace

std::string dedup_checkpoint::path_for(const std::string& store_path) {
    return (std::filesystem::path(store_path).parent_path() / "baton.dedup").string();
}

std::optional<dedup_mark> dedup_checkpoint::mark_of(const dedup_window& w) {
    if (w.size() == 0) return std::nullopt;
    const dedup_window::slot& newest = w.at(w.tail_ - 1);
    return dedup_mark{newest.seq, newest.received_ms, newest.key};
}

std::uint64_t dedup_checkpoint::layout_of(std::uint64_t seed, std::uint64_t cells) {
    using slot = dedup_window::slot;
    std::uint64_t v = offsetof(slot, key) | offsetof(slot, seq) << 8 |
                      offsetof(slot, received_ms) << 16 | sizeof(slot) << 24;
    for (std::uint64_t key : {1ULL, 0xfeedULL, 0x9e3779b97f4a7c15ULL})
        v = v * 1000003 ^ dedup_window::home_of(key, seed, cells);
    return v;
}

bool dedup_checkpoint::write(const std::string& path, const dedup_window& w, std::string& error) {
    if (w.size() == 0) {
        error = "the window is empty";
        return false;
    }
    using slot = dedup_window::slot;
    header h{};
    std::memcpy(h.magic, magic, sizeof magic);
    h.order_probe = order_probe;
    h.slot_bytes = sizeof(slot);
    h.window_ms = w.window_ms_;
    h.max_entries = w.max_entries_;
    h.seed = w.seed_;
    h.head = 0;  // the positions, less the oldest's
    h.tail = w.size();
    h.ring_size = w.ring_.size();
    h.index_size = w.index_.size();
    h.layout = layout_of(h.seed, h.index_size);
    // The ring from the oldest entry's slot round to it; the cells with the oldest's position
    // taken off theirs (mod 2^32, as cells hold them).
    const std::size_t first = static_cast<std::size_t>(w.head_ % w.ring_.size());
    const auto shift = static_cast<std::uint32_t>(w.head_);
    checksum sum;
    sum.add(&h, sizeof h);  // with its checksum field 0

    const std::string temp = path + ".tmp";
    const fd_closer f{::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
    if (f.fd < 0) {
        error = system_error("cannot create " + temp);
        return false;
    }
    auto put = [&](const void* data, std::size_t n) {
        sum.add(data, n);
        return write_all(f.fd, data, n);
    };
    bool ok = write_all(f.fd, &h, sizeof h) &&
              put(w.ring_.data() + first, (w.ring_.size() - first) * sizeof(slot)) &&
              put(w.ring_.data(), first * sizeof(slot));
    std::vector<std::uint32_t> cells;
    for (std::size_t at = 0; ok && at < w.index_.size(); at += cells.size()) {
        cells.assign(w.index_.begin() + static_cast<std::ptrdiff_t>(at),
                     w.index_.begin() +
                         static_cast<std::ptrdiff_t>(std::min(w.index_.size(), at + (1u << 16))));
        for (std::uint32_t& c : cells)
            if (c != 0) c -= shift;  // position p + 1 becomes (p - head) + 1, never 0
        ok = put(cells.data(), cells.size() * sizeof(std::uint32_t));
    }
    // Not synced: after a power cut a torn file fails its checksum, and the journal is read.
    h.checksum = sum.value();
    if (!ok || ::pwrite(f.fd, &h, sizeof h, 0) != static_cast<ssize_t>(sizeof h)) {
        error = system_error("cannot write " + temp);
        ::unlink(temp.c_str());
        return false;
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
    const std::uint64_t entries = h.tail;
    if (h.head != 0 || entries > h.ring_size || entries >= (1ULL << 31) ||
        (h.index_size & (h.index_size - 1)) != 0 || (h.index_size == 0) != (h.ring_size == 0) ||
        entries * 20 > h.index_size * 13) {
        why = "its header is inconsistent";
        return std::nullopt;
    }
    if (h.layout != layout_of(h.seed, h.index_size)) {
        why = "it was written by a batond that lays out or places the window's entries otherwise";
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
    header zeroed = h;
    zeroed.checksum = 0;
    checksum sum;
    sum.add(&zeroed, sizeof zeroed);
    sum.add(ring.data(), ring_bytes);
    sum.add(index.data(), index_bytes);
    if (sum.value() != h.checksum) {
        why = "its checksum does not match (a torn or damaged file)";
        return std::nullopt;
    }
    w.seed_ = h.seed;
    w.head_ = 0;
    w.tail_ = h.tail;
    w.ring_ = std::move(ring);
    w.index_ = std::move(index);
    while (w.size() > w.max_entries_) w.pop_oldest();  // fewer entries configured now
    return mark_of(w);
}

}  // namespace baton
