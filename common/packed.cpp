// packed_writer and packed_document over msgpack-cxx: objects unpacked into a zone, strings
// referring to the input bytes, read by position.
#include "packed.h"

#include <msgpack.hpp>

#include <cstring>

#include <limits>

#include "codec.h"

namespace baton {

namespace {

struct string_buffer {
    std::string& out;
    void write(const char* data, std::size_t size) {
        if (size == 1)
            out.push_back(*data);  // a header byte: inline, where append is a call
        else
            out.append(data, size);
    }
};

const msgpack::object& object_of(const void* o) {
    return *static_cast<const msgpack::object*>(o);
}

bool reference_everything(msgpack::type::object_type, std::size_t, void*) {
    return true;
}

std::string_view text_of(const msgpack::object& o) {
    return std::string_view(o.via.str.ptr, o.via.str.size);
}

// decode_msgpack's refusals, with its reasons (codec.cpp), in the order it meets them.
bool accepted_object(const msgpack::object& o, std::string& error) {
    switch (o.type) {
        case msgpack::type::STR:
            if (is_utf8(text_of(o))) return true;
            error = "decode: string is not valid UTF-8";
            return false;
        case msgpack::type::BIN: error = "decode: bin values are not accepted"; return false;
        case msgpack::type::EXT: error = "decode: ext values are not accepted"; return false;
        case msgpack::type::ARRAY:
            for (std::uint32_t i = 0; i < o.via.array.size; ++i)
                if (!accepted_object(o.via.array.ptr[i], error)) return false;
            return true;
        case msgpack::type::MAP:
            for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
                const msgpack::object& key = o.via.map.ptr[i].key;
                if (key.type != msgpack::type::STR) {
                    error = "decode: map keys must be strings";
                    return false;
                }
                const std::string_view k = text_of(key);
                if (!is_utf8(k)) {
                    error = "decode: map key is not valid UTF-8";
                    return false;
                }
                for (std::uint32_t j = 0; j < i; ++j)
                    if (text_of(o.via.map.ptr[j].key) == k) {
                        error = "decode: duplicate map key '" + reason_text(k) + "'";
                        return false;
                    }
                if (!accepted_object(o.via.map.ptr[i].val, error)) return false;
            }
            return true;
        default: return true;
    }
}

}  // namespace

void packed_writer::array(std::size_t n) {
    string_buffer b{out_};
    msgpack::packer<string_buffer>(b).pack_array(static_cast<std::uint32_t>(n));
}

void packed_writer::map(std::size_t n) {
    string_buffer b{out_};
    msgpack::packer<string_buffer>(b).pack_map(static_cast<std::uint32_t>(n));
}

void packed_writer::nil() {
    string_buffer b{out_};
    msgpack::packer<string_buffer>(b).pack_nil();
}

void packed_writer::boolean(bool v) {
    string_buffer b{out_};
    msgpack::packer<string_buffer> pk(b);
    if (v)
        pk.pack_true();
    else
        pk.pack_false();
}

void packed_writer::integer(std::int64_t n) {
    string_buffer b{out_};
    msgpack::packer<string_buffer>(b).pack_int64(n);  // the shortest form that holds n
}

void packed_writer::uinteger(std::uint64_t n) {
    string_buffer b{out_};
    msgpack::packer<string_buffer>(b).pack_uint64(n);  // the shortest form that holds n
}

void packed_writer::item(const value& v) {
    encode_msgpack(v, out_);  // appends
}

void packed_writer::str(std::string_view s) {
    if (s.size() < 32) {
        // A fixstr (most keys and names): its header and bytes in one append.
        char buf[32];
        buf[0] = static_cast<char>(0xa0 | s.size());
        if (!s.empty()) std::memcpy(buf + 1, s.data(), s.size());
        out_.append(buf, s.size() + 1);
        return;
    }
    string_buffer b{out_};
    msgpack::packer<string_buffer> pk(b);
    pk.pack_str(static_cast<std::uint32_t>(s.size()));
    pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}

void packed_writer::bin(std::string_view s) {
    string_buffer b{out_};
    msgpack::packer<string_buffer> pk(b);
    pk.pack_bin(static_cast<std::uint32_t>(s.size()));
    pk.pack_bin_body(s.data(), static_cast<std::uint32_t>(s.size()));
}

const char* packed_value::type_name() const {
    switch (object_of(o_).type) {
        case msgpack::type::NIL: return "nil";
        case msgpack::type::BOOLEAN: return "bool";
        case msgpack::type::POSITIVE_INTEGER:
        case msgpack::type::NEGATIVE_INTEGER: return "int";
        case msgpack::type::FLOAT32:
        case msgpack::type::FLOAT64: return "float";
        case msgpack::type::STR: return "str";
        case msgpack::type::BIN: return "bin";
        case msgpack::type::ARRAY: return "array";
        case msgpack::type::MAP: return "map";
        case msgpack::type::EXT: return "ext";
    }
    return "unknown";
}

namespace {

[[noreturn]] void wrong_type(const packed_value& v, const char* expected) {
    throw packed_error(std::string("expected ") + expected + ", got " + v.type_name());
}

}  // namespace

bool packed_value::accepted(std::string& error) const {
    return accepted_object(object_of(o_), error);
}

bool packed_value::is_nil() const {
    return object_of(o_).type == msgpack::type::NIL;
}

bool packed_value::is_str() const {
    return object_of(o_).type == msgpack::type::STR;
}

bool packed_value::is_bin() const {
    return object_of(o_).type == msgpack::type::BIN;
}

bool packed_value::is_int() const {
    const auto t = object_of(o_).type;
    return t == msgpack::type::POSITIVE_INTEGER || t == msgpack::type::NEGATIVE_INTEGER;
}

bool packed_value::is_number() const {
    const auto t = object_of(o_).type;
    return is_int() || t == msgpack::type::FLOAT32 || t == msgpack::type::FLOAT64;
}

bool packed_value::is_map() const {
    return object_of(o_).type == msgpack::type::MAP;
}

bool packed_value::is_array() const {
    return object_of(o_).type == msgpack::type::ARRAY;
}

double packed_value::as_double() const {
    const auto& o = object_of(o_);
    switch (o.type) {
        case msgpack::type::POSITIVE_INTEGER: return static_cast<double>(o.via.u64);
        case msgpack::type::NEGATIVE_INTEGER: return static_cast<double>(o.via.i64);
        case msgpack::type::FLOAT32:
        case msgpack::type::FLOAT64: return o.via.f64;
        default: wrong_type(*this, "number");
    }
}

std::size_t packed_value::map_size() const {
    const auto& o = object_of(o_);
    if (o.type != msgpack::type::MAP) wrong_type(*this, "map");
    return o.via.map.size;
}

namespace {

// Pair `i` of the map `o` (`v` is its view, for the type check and the error).
const msgpack::object_kv& pair_at(const packed_value& v, const msgpack::object& o, std::size_t i) {
    const std::size_t n = v.map_size();
    if (i >= n)
        throw packed_error("pair " + std::to_string(i) + " is missing (the map has " +
                           std::to_string(n) + ")");
    return o.via.map.ptr[i];
}

}  // namespace

packed_value packed_value::key(std::size_t i) const {
    return packed_value(&pair_at(*this, object_of(o_), i).key);
}

packed_value packed_value::value_at(std::size_t i) const {
    return packed_value(&pair_at(*this, object_of(o_), i).val);
}

bool packed_value::as_bool() const {
    const auto& o = object_of(o_);
    if (o.type != msgpack::type::BOOLEAN) wrong_type(*this, "bool");
    return o.via.boolean;
}

std::int64_t packed_value::as_int() const {
    const auto& o = object_of(o_);
    if (o.type == msgpack::type::NEGATIVE_INTEGER) return o.via.i64;
    if (o.type != msgpack::type::POSITIVE_INTEGER) wrong_type(*this, "int");
    if (o.via.u64 > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        throw packed_error("integer " + std::to_string(o.via.u64) + " is above 2^63-1");
    return static_cast<std::int64_t>(o.via.u64);
}

std::string_view packed_value::as_str() const {
    const auto& o = object_of(o_);
    if (o.type != msgpack::type::STR) wrong_type(*this, "str");
    return {o.via.str.ptr, o.via.str.size};
}

std::string_view packed_value::as_bin() const {
    const auto& o = object_of(o_);
    if (o.type != msgpack::type::BIN) wrong_type(*this, "bin");
    return {o.via.bin.ptr, o.via.bin.size};
}

std::size_t packed_value::size() const {
    const auto& o = object_of(o_);
    if (o.type != msgpack::type::ARRAY) wrong_type(*this, "array");
    return o.via.array.size;
}

packed_value packed_value::at(std::size_t i) const {
    const std::size_t n = size();
    if (i >= n)
        throw packed_error("item " + std::to_string(i) + " is missing (the array has " +
                           std::to_string(n) + ")");
    return packed_value(&object_of(o_).via.array.ptr[i]);
}

struct packed_document::impl {
    msgpack::object_handle handle;
};

packed_document::packed_document() : impl_(std::make_unique<impl>()) {}
packed_document::~packed_document() = default;

namespace {

// Keys and string values at the top level of a map; everything deeper only walked over.
class map_strings_visitor : public msgpack::null_visitor {
public:
    map_strings_visitor(const std::string_view* names, std::size_t n, std::string_view* out)
        : names_(names), n_(n), out_(out), wanted_(n) {}

    bool map_at_top = false;

    bool start_map(std::uint32_t) {
        if (depth_ == 0) map_at_top = true;
        ++depth_;
        return true;
    }
    bool end_map() {
        --depth_;
        return true;
    }
    bool start_array(std::uint32_t) {
        ++depth_;
        return true;
    }
    bool end_array() {
        --depth_;
        return true;
    }
    bool start_map_key() {
        if (depth_ == 1) {
            in_key_ = true;
            wanted_ = n_;  // until a string key names one
        }
        return true;
    }
    bool end_map_key() {
        in_key_ = false;
        return true;
    }
    bool end_map_value() {
        if (depth_ == 1) wanted_ = n_;
        return true;
    }
    bool visit_str(const char* data, std::uint32_t size) {
        if (depth_ != 1 || !map_at_top) return true;  // deeper, or items of a top-level array
        const std::string_view s(data, size);
        if (in_key_) {
            wanted_ = n_;
            for (std::size_t i = 0; i < n_; ++i)
                if (names_[i] == s) wanted_ = i;
        } else if (wanted_ < n_) {
            out_[wanted_] = s;
        }
        return true;
    }

private:
    const std::string_view* names_;
    std::size_t n_;
    std::string_view* out_;
    int depth_ = 0;
    bool in_key_ = false;
    std::size_t wanted_;  // the name whose value comes next; n_: none
};

}  // namespace

bool packed_map_strings(std::string_view bytes, const std::string_view* names, std::size_t n,
                        std::string_view* out) {
    if (bytes.empty()) return false;
    map_strings_visitor v(names, n, out);
    std::size_t offset = 0;
    bool parsed = false;
    try {
        parsed = msgpack::parse(bytes.data(), bytes.size(), offset, v);
    } catch (const std::exception&) {  // msgpack-cxx throws for some malformed input
        return false;
    }
    return parsed && offset == bytes.size() && v.map_at_top;
}

bool packed_document::parse(std::string_view bytes, std::string& error) {
    if (bytes.empty()) {
        error = "empty";
        return false;
    }
    std::size_t offset = 0;
    try {
        impl_->handle =
            msgpack::unpack(bytes.data(), bytes.size(), offset, reference_everything, nullptr);
    } catch (const msgpack::insufficient_bytes&) {
        error = "truncated MessagePack (" + std::to_string(bytes.size()) + " bytes)";
        return false;
    } catch (const std::exception& e) {
        error = std::string("not valid MessagePack (") + e.what() + ")";
        return false;
    }
    if (offset != bytes.size()) {
        error =
            std::to_string(bytes.size() - offset) + " trailing bytes after the MessagePack object";
        return false;
    }
    return true;
}

packed_value packed_document::root() const {
    return packed_value(&impl_->handle.get());
}

// packed_reader: the MessagePack format's first byte says the type and, for the fix forms, the
// length or count; the other forms give it in the 1, 2, 4 or 8 bytes after, big-endian.

bool packed_reader::next_is_str() const {
    if (at_end()) return false;
    const unsigned b = byte0();
    return (b >= 0xa0 && b <= 0xbf) || (b >= 0xd9 && b <= 0xdb);
}

bool packed_reader::next_is_int() const {
    if (at_end()) return false;
    const unsigned b = byte0();
    return b <= 0x7f || b >= 0xe0 || (b >= 0xcc && b <= 0xd3);
}

bool packed_reader::next_is_number() const {
    return next_is_int() || (!at_end() && (byte0() == 0xca || byte0() == 0xcb));
}

bool packed_reader::next_is_array() const {
    if (at_end()) return false;
    const unsigned b = byte0();
    return (b >= 0x90 && b <= 0x9f) || b == 0xdc || b == 0xdd;
}

bool packed_reader::next_is_map() const {
    if (at_end()) return false;
    const unsigned b = byte0();
    return (b >= 0x80 && b <= 0x8f) || b == 0xde || b == 0xdf;
}

bool packed_reader::next_is_ext() const {
    if (at_end()) return false;
    const unsigned b = byte0();
    return (b >= 0xc7 && b <= 0xc9) || (b >= 0xd4 && b <= 0xd8);
}

const char* packed_reader::next_type_name() const {
    if (at_end()) return "nothing";
    const unsigned b = byte0();
    if (b == 0xc0) return "nil";
    if (b == 0xc2 || b == 0xc3) return "bool";
    if (next_is_int()) return "int";
    if (b == 0xca || b == 0xcb) return "float";
    if (next_is_str()) return "str";
    if (next_is_bin()) return "bin";
    if (next_is_array()) return "array";
    if (next_is_map()) return "map";
    if (next_is_ext()) return "ext";
    return "unknown";
}

void packed_reader::wrong(const char* expected) const {
    if (at_end()) truncated();
    throw packed_error(std::string("expected ") + expected + ", got " + next_type_name());
}

void packed_reader::truncated() const {
    throw packed_error("truncated MessagePack (" + std::to_string(end_ - begin_) + " bytes)");
}

void packed_reader::need(std::size_t n) const {
    if (left() < n) truncated();
}

std::uint64_t packed_reader::big_endian(std::size_t n) {
    need(n);
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = v << 8 | static_cast<unsigned char>(p_[i]);
    p_ += n;
    return v;
}

std::string_view packed_reader::take(std::size_t n) {
    need(n);
    const std::string_view out(p_, n);
    p_ += n;
    return out;
}

void packed_reader::nil() {
    if (!next_is_nil()) wrong("nil");
    ++p_;
}

std::int64_t packed_reader::integer() {
    if (!next_is_int()) wrong("int");
    const unsigned b = byte0();
    ++p_;
    if (b <= 0x7f) return b;
    if (b >= 0xe0) return static_cast<std::int8_t>(b);
    if (b >= 0xcc && b <= 0xcf) {  // uint 8, 16, 32, 64
        const std::uint64_t u = big_endian(std::size_t{1} << (b - 0xcc));
        if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            throw packed_error("integer " + std::to_string(u) + " is above 2^63-1");
        return static_cast<std::int64_t>(u);
    }
    switch (b) {  // int 8, 16, 32, 64
        case 0xd0: return static_cast<std::int8_t>(big_endian(1));
        case 0xd1: return static_cast<std::int16_t>(big_endian(2));
        case 0xd2: return static_cast<std::int32_t>(big_endian(4));
        default: return static_cast<std::int64_t>(big_endian(8));
    }
}

double packed_reader::number() {
    if (at_end()) wrong("number");
    const unsigned b = byte0();
    if (b == 0xca) {
        ++p_;
        const auto bits = static_cast<std::uint32_t>(big_endian(4));
        float f;
        std::memcpy(&f, &bits, 4);
        return f;
    }
    if (b == 0xcb) {
        ++p_;
        const std::uint64_t bits = big_endian(8);
        double d;
        std::memcpy(&d, &bits, 8);
        return d;
    }
    if (!next_is_int()) wrong("number");
    // An unsigned integer above int64 is still a number.
    if (b == 0xcf) {
        ++p_;
        return static_cast<double>(big_endian(8));
    }
    return static_cast<double>(integer());
}

std::string_view packed_reader::str() {
    if (!next_is_str()) wrong("str");
    const unsigned b = byte0();
    ++p_;
    const std::size_t n = b <= 0xbf ? (b & 0x1f) : big_endian(std::size_t{1} << (b - 0xd9));
    return take(n);
}

std::string_view packed_reader::bin() {
    if (!next_is_bin()) wrong("bin");
    const unsigned b = byte0();
    ++p_;
    return take(big_endian(std::size_t{1} << (b - 0xc4)));
}

std::uint32_t packed_reader::array() {
    if (!next_is_array()) wrong("array");
    const unsigned b = byte0();
    ++p_;
    if (b <= 0x9f) return b & 0x0f;
    return static_cast<std::uint32_t>(big_endian(b == 0xdc ? 2 : 4));
}

std::uint32_t packed_reader::map() {
    if (!next_is_map()) wrong("map");
    const unsigned b = byte0();
    ++p_;
    if (b <= 0x8f) return b & 0x0f;
    return static_cast<std::uint32_t>(big_endian(b == 0xde ? 2 : 4));
}

void packed_reader::skip() {
    // Items still to pass over: the one asked for, then what each container holds.
    std::uint64_t pending = 1;
    while (pending > 0) {
        --pending;
        if (at_end()) truncated();
        const unsigned b = byte0();
        if (next_is_array()) {
            pending += array();
        } else if (next_is_map()) {
            pending += 2 * std::uint64_t{map()};
        } else if (next_is_str()) {
            str();
        } else if (next_is_bin()) {
            bin();
        } else if (next_is_int()) {
            ++p_;
            if (b >= 0xcc && b <= 0xcf) take(std::size_t{1} << (b - 0xcc));
            if (b >= 0xd0 && b <= 0xd3) take(std::size_t{1} << (b - 0xd0));
        } else if (b == 0xc0 || b == 0xc2 || b == 0xc3) {
            ++p_;
        } else if (b == 0xca || b == 0xcb) {
            ++p_;
            take(b == 0xca ? 4 : 8);
        } else if (b >= 0xd4 && b <= 0xd8) {  // fixext 1, 2, 4, 8, 16: a type byte and data
            ++p_;
            take(1 + (std::size_t{1} << (b - 0xd4)));
        } else if (b >= 0xc7 && b <= 0xc9) {  // ext 8, 16, 32: a length, a type byte, data
            ++p_;
            const std::uint64_t n = big_endian(std::size_t{1} << (b - 0xc7));
            take(1 + n);
        } else {
            throw packed_error("not valid MessagePack (byte 0xc1)");
        }
    }
}

bool packed_whole(std::string_view bytes, std::string& error) {
    if (bytes.empty()) {
        error = "empty";
        return false;
    }
    packed_reader in(bytes);
    try {
        in.skip();
    } catch (const packed_error& e) {
        error = e.what();
        return false;
    }
    if (!in.at_end()) {
        error = std::to_string(in.left()) + " trailing bytes after the MessagePack object";
        return false;
    }
    return true;
}

bool packed_acceptable(std::string_view bytes, std::string& error) {
    // The containers open around the next item: how many items each still holds (a map's keys
    // and values both count), and where its keys start in `keys`, for the duplicate check.
    struct open_container {
        std::uint64_t left;
        bool map;
        std::size_t keys_from;
    };
    std::vector<open_container> open;
    std::vector<std::string_view> keys;
    packed_reader in(bytes);
    open.push_back({1, false, 0});  // the one item, as if in a list
    try {
        while (!open.empty()) {
            open_container& c = open.back();
            if (c.left == 0) {
                keys.resize(c.keys_from);
                open.pop_back();
                continue;
            }
            const bool key = c.map && c.left % 2 == 0;  // a map's pairs: key, then value
            --c.left;
            if (key) {
                if (!in.next_is_str()) {
                    error = "decode: map keys must be strings";
                    return false;
                }
                const std::string_view k = in.str();
                if (!is_utf8(k)) {
                    error = "decode: map key is not valid UTF-8";
                    return false;
                }
                for (std::size_t i = c.keys_from; i < keys.size(); ++i)
                    if (keys[i] == k) {
                        error = "decode: duplicate map key '" + reason_text(k) + "'";
                        return false;
                    }
                keys.push_back(k);
            } else if (in.next_is_str()) {
                if (!is_utf8(in.str())) {
                    error = "decode: string is not valid UTF-8";
                    return false;
                }
            } else if (in.next_is_bin()) {
                error = "decode: bin values are not accepted";
                return false;
            } else if (in.next_is_ext()) {
                error = "decode: ext values are not accepted";
                return false;
            } else if (in.next_is_array()) {
                const std::uint32_t n = in.array();  // `c` is not used after the push
                open.push_back({n, false, keys.size()});
            } else if (in.next_is_map()) {
                const std::uint32_t n = in.map();
                open.push_back({2 * std::uint64_t{n}, true, keys.size()});
            } else {
                in.skip();  // nil, a bool, a number
            }
        }
    } catch (const packed_error& e) {  // bytes packed_whole did not check first
        error = e.what();
        return false;
    }
    return true;
}

}  // namespace baton
