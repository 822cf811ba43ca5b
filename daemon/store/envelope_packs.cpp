// Packs of envelopes: the references the rows hold, the writer's builder and the readers'
// cache of the last pack.
#include "envelope_packs.h"

#include <sqlite3.h>

#include <stdexcept>

#include "envelope_compressor.h"

namespace baton {

namespace {

void put_leb128(std::uint64_t v, std::string& out) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}

// Reads one unsigned LEB128 at `pos`; false when cut short or longer than 64 bits.
bool get_leb128(std::string_view in, std::size_t& pos, std::uint64_t& v) {
    v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (pos >= in.size()) return false;
        const auto b = static_cast<unsigned char>(in[pos++]);
        const std::uint64_t bits = b & 0x7f;
        if (shift == 63 && bits > 1) return false;  // past 64 bits
        v |= bits << shift;
        if ((b & 0x80) == 0) return true;
    }
    return false;
}

}  // namespace

bool is_pack_ref(std::string_view stored) {
    return !stored.empty() && static_cast<unsigned char>(stored[0]) == pack_ref_tag;
}

void write_pack_ref(const pack_ref& r, std::string& out) {
    out.push_back(static_cast<char>(pack_ref_tag));
    put_leb128(static_cast<std::uint64_t>(r.pack), out);
    put_leb128(r.offset, out);
    put_leb128(r.size, out);
}

std::optional<pack_ref> read_pack_ref(std::string_view stored) {
    if (!is_pack_ref(stored)) return std::nullopt;
    std::size_t pos = 1;
    std::uint64_t pack = 0;
    pack_ref r;
    if (!get_leb128(stored, pos, pack) || !get_leb128(stored, pos, r.offset) ||
        !get_leb128(stored, pos, r.size) || pos != stored.size() || pack == 0 ||
        pack > static_cast<std::uint64_t>(INT64_MAX))
        return std::nullopt;
    r.pack = static_cast<std::int64_t>(pack);
    return r;
}

void pack_builder::begin(std::int64_t first) {
    id_ = first;
    bytes_.clear();
}

std::string_view pack_builder::add(std::string_view envelope) {
    ref_.clear();
    write_pack_ref({id_, bytes_.size(), envelope.size()}, ref_);
    bytes_.append(envelope);
    return ref_;
}

void pack_builder::next() {
    ++id_;
    bytes_.clear();
}

pack_reader::pack_reader(sqlite3* db, const envelope_compressor& compressor)
    : db_(db), compressor_(compressor) {}

const std::string& pack_reader::pack(std::int64_t id) {
    if (id == id_) return bytes_;
    if (!select_) {
        select_ = sqlite_statement(db_, "SELECT bytes FROM packs WHERE id = ?");
        if (!select_)
            throw std::runtime_error(std::string("cannot read packs: ") + sqlite3_errmsg(db_));
    }
    sqlite_reset_guard guard(select_);
    select_.bind_int64(1, id);
    const int rc = select_.step();
    if (rc == SQLITE_DONE)
        throw std::runtime_error("its pack " + std::to_string(id) + " is missing");
    if (rc != SQLITE_ROW)
        throw std::runtime_error("reading pack " + std::to_string(id) + ": " + sqlite3_errmsg(db_));
    id_ = 0;  // until the new bytes are in
    try {
        bytes_ = compressor_.unpack(select_.column_blob_view(0));
    } catch (const std::exception& e) {
        throw std::runtime_error("pack " + std::to_string(id) + ": " + e.what());
    }
    id_ = id;
    return bytes_;
}

std::string pack_reader::unpack(std::string_view stored) {
    if (!is_pack_ref(stored)) return compressor_.unpack(stored);
    const auto ref = read_pack_ref(stored);
    if (!ref) throw std::runtime_error("a damaged reference to a pack");
    if (ref->size == 0) return {};  // an empty envelope: its pack may hold nothing, stored or not
    const std::string& bytes = pack(ref->pack);
    if (ref->offset > bytes.size() || ref->size > bytes.size() - ref->offset)
        throw std::runtime_error("bytes " + std::to_string(ref->offset) + "+" +
                                 std::to_string(ref->size) + " lie past the end of pack " +
                                 std::to_string(ref->pack) + " (" + std::to_string(bytes.size()) +
                                 " bytes)");
    return bytes.substr(static_cast<std::size_t>(ref->offset), static_cast<std::size_t>(ref->size));
}

}  // namespace baton
