// Envelopes of one commit compressed together (store schema 6). zstd's work per frame is fixed
// (about 15,000 instructions, whatever the input): packed one by one, the ~2.35 envelopes an
// event stores (the event and its relay messages) cost the writer more than SQLite did. The
// writer lays a commit's envelopes end to end in packs of up to `pack_bytes`, stores each pack
// as one zstd frame in the `packs` table, and each journal and outbox row holds a reference to
// its bytes in the pack instead of the envelope.
//
// A stored envelope column is one of three forms, told apart by its first byte:
// - a reference into a pack: c1 (a byte that starts no MessagePack value and no zstd frame),
//   then the pack's id, the envelope's offset and its length in the pack's bytes, each an
//   unsigned LEB128;
// - a zstd frame of that one envelope (rows of schemas 4 and 5; envelope_compressor.h);
// - the envelope as received (rows stored before a store had a dictionary).
// A pack is a zstd frame, or the envelopes as they are when zstd saved nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sqlite_statement.h"

struct sqlite3;

namespace baton {

class envelope_compressor;

struct pack_ref {
    std::int64_t pack = 0;     // the packs row's id
    std::uint64_t offset = 0;  // of the envelope in the pack's (uncompressed) bytes
    std::uint64_t size = 0;
};

inline constexpr unsigned char pack_ref_tag = 0xc1;

bool is_pack_ref(std::string_view stored);
// The reference written as stored; appended to `out`.
void write_pack_ref(const pack_ref& r, std::string& out);
// nullopt when the bytes are not one well-formed reference (cut short, overlong, trailing).
std::optional<pack_ref> read_pack_ref(std::string_view stored);

// The writer's side: a commit's envelopes laid end to end. The journal asks `full_for` before
// each add, and stores the open pack (`id`, `bytes`) and calls `next` when it is full and when
// the commit ends.
class pack_builder {
public:
    // A pack closes before it passes this many bytes: a random read (one relay message of an
    // order) unpacks one pack, about 20 µs at this size, and zstd's fixed cost per frame is
    // spread over some 100 envelopes.
    static constexpr std::size_t pack_bytes = 32 * 1024;

    // A commit starts: its first pack will be stored with id `first`.
    void begin(std::int64_t first);
    // Whether the open pack holds envelopes and `size` more bytes would take it past the limit
    // (an envelope larger than the limit gets a pack of its own).
    bool full_for(std::size_t size) const {
        return !bytes_.empty() && bytes_.size() + size > pack_bytes;
    }
    // Appends `envelope` to the open pack; the reference to store for it (valid until the next
    // call).
    std::string_view add(std::string_view envelope);
    bool empty() const { return bytes_.empty(); }
    std::int64_t id() const { return id_; }
    std::string_view bytes() const { return bytes_; }
    // The open pack was stored: the next one opens empty, with the next id.
    void next();
    // The id the next commit's first pack gets.
    std::int64_t next_id() const { return bytes_.empty() ? id_ : id_ + 1; }

private:
    std::int64_t id_ = 1;
    std::string bytes_;
    std::string ref_;
};

// The readers' side: envelopes from stored column values, on the connection that read the rows
// (a reference is read in that connection's view). The last pack read is kept, so a scan in
// order unpacks each pack once. One per read: not for use by two threads.
class pack_reader {
public:
    pack_reader(sqlite3* db, const envelope_compressor& compressor);
    // The envelope as received. Throws std::runtime_error saying what is wrong: a damaged
    // reference, a pack that is missing or damaged, bytes past a pack's end.
    std::string unpack(std::string_view stored);

private:
    const std::string& pack(std::int64_t id);

    sqlite3* db_;
    const envelope_compressor& compressor_;
    sqlite_statement select_;  // prepared at the first reference
    std::int64_t id_ = 0;      // of the pack in `bytes_`; 0: none
    std::string bytes_;
};

}  // namespace baton
