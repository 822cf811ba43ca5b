// MessagePack read and written by position, without a value tree: for what batond stores of
// itself in bulk (order states), where building a value tree per row cost most of a restart.
// The msgpack library stays inside packed.cpp and codec.cpp; this header is light.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace baton {

struct value;

// A map's key and its value, for a writer of items (`str`, `integer`, `boolean`): the fields of
// packed_writer and packed_cursor alike.
template <typename Writer>
class packed_fields {
public:
    void text_field(std::string_view key, std::string_view text) {
        self().str(key);
        self().str(text);
    }
    void int_field(std::string_view key, std::int64_t n) {
        self().str(key);
        self().integer(n);
    }
    void bool_field(std::string_view key, bool b) {
        self().str(key);
        self().boolean(b);
    }

private:
    Writer& self() { return static_cast<Writer&>(*this); }
};

// Appends MessagePack to a string, one item at a time (an array's elements follow its header,
// a map's key and value pairs follow its header).
class packed_writer : public packed_fields<packed_writer> {
public:
    explicit packed_writer(std::string& out) : out_(out) {}
    void array(std::size_t n);
    void map(std::size_t n);
    void nil();
    void boolean(bool b);
    void integer(std::int64_t n);
    void uinteger(std::uint64_t n);
    void str(std::string_view s);
    void bin(std::string_view b);
    // Items already encoded as MessagePack, appended as they are.
    void raw(std::string_view msgpack) { out_.append(msgpack); }
    // `n` bytes appended, for the caller to write in place with a packed_cursor: one growth of
    // the output for a run of items whose size is known, where each item appended is a call.
    char* extend(std::size_t n) {
        const std::size_t at = out_.size();
        out_.resize(at + n);
        return out_.data() + at;
    }
    // A value tree, as encode_msgpack writes it.
    void item(const value& v);

private:
    std::string& out_;
};

// The size of an item as packed_writer and packed_cursor write it (the shortest form, as
// msgpack-cxx's packer chooses it).
constexpr std::size_t packed_uint_size(std::uint64_t n) {
    return n < 128 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < 0x100000000 ? 5 : 9;
}
constexpr std::size_t packed_int_size(std::int64_t n) {
    if (n >= 0) return packed_uint_size(static_cast<std::uint64_t>(n));
    return n >= -32 ? 1 : n >= -128 ? 2 : n >= -32768 ? 3 : n >= -2147483648LL ? 5 : 9;
}
constexpr std::size_t packed_str_size(std::size_t bytes) {
    return bytes + (bytes < 32 ? 1 : bytes < 0x100 ? 2 : bytes < 0x10000 ? 3 : 5);
}
constexpr std::size_t packed_map_size(std::size_t pairs) {
    return pairs < 16 ? 1 : pairs < 0x10000 ? 3 : 5;
}
constexpr std::size_t packed_array_size(std::size_t items) {
    return packed_map_size(items);  // the same widths
}
// A map's key and its value.
constexpr std::size_t packed_text_field_size(std::string_view key, std::string_view text) {
    return packed_str_size(key.size()) + packed_str_size(text.size());
}
constexpr std::size_t packed_int_field_size(std::string_view key, std::int64_t n) {
    return packed_str_size(key.size()) + packed_int_size(n);
}
constexpr std::size_t packed_bool_field_size(std::string_view key) {
    return packed_str_size(key.size()) + 1;
}

// Writes items into bytes already there (packed_writer::extend), exactly as packed_writer
// would append them: for a run of items whose total size the caller adds up with the sizes
// above. It does not check the end; the caller's sum is the bound.
class packed_cursor : public packed_fields<packed_cursor> {
public:
    explicit packed_cursor(char* at) : p_(at) {}
    void map(std::size_t pairs) { header(pairs, 0x80, 0xde, 0xdf); }
    void array(std::size_t items) { header(items, 0x90, 0xdc, 0xdd); }
    void boolean(bool b) { byte(b ? 0xc3 : 0xc2); }
    void str(std::string_view s) {
        const std::size_t n = s.size();
        if (n < 32)
            byte(0xa0 | n);
        else if (n < 0x100)
            tagged(0xd9, n, 1);
        else if (n < 0x10000)
            tagged(0xda, n, 2);
        else
            tagged(0xdb, n, 4);
        if (n != 0) std::memcpy(p_, s.data(), n);  // an empty view's data may be null
        p_ += n;
    }
    void uinteger(std::uint64_t n) {
        if (n < 128)
            byte(n);
        else if (n < 0x100)
            tagged(0xcc, n, 1);
        else if (n < 0x10000)
            tagged(0xcd, n, 2);
        else if (n < 0x100000000)
            tagged(0xce, n, 4);
        else
            tagged(0xcf, n, 8);
    }
    void integer(std::int64_t n) {
        if (n >= 0)
            uinteger(static_cast<std::uint64_t>(n));
        else if (n >= -32)
            byte(static_cast<std::uint64_t>(n));  // a negative fixint: its low byte
        else if (n >= -128)
            tagged(0xd0, static_cast<std::uint64_t>(n), 1);
        else if (n >= -32768)
            tagged(0xd1, static_cast<std::uint64_t>(n), 2);
        else if (n >= -2147483648LL)
            tagged(0xd2, static_cast<std::uint64_t>(n), 4);
        else
            tagged(0xd3, static_cast<std::uint64_t>(n), 8);
    }
    // Items already encoded as MessagePack, as they are.
    void raw(std::string_view msgpack) {
        if (!msgpack.empty()) std::memcpy(p_, msgpack.data(), msgpack.size());
        p_ += msgpack.size();
    }
    char* end() const { return p_; }

private:
    void byte(std::uint64_t b) { *p_++ = static_cast<char>(b & 0xff); }
    // A map's or an array's header: its fix form, or the 16- or 32-bit count's type.
    void header(std::size_t n, unsigned fix, unsigned type16, unsigned type32) {
        if (n < 16)
            byte(fix | n);
        else if (n < 0x10000)
            tagged(type16, n, 2);
        else
            tagged(type32, n, 4);
    }
    // A type byte, then the low `bytes` bytes of `n`, big-endian.
    void tagged(unsigned type, std::uint64_t n, int bytes) {
        byte(type);
        for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) byte(n >> shift);
    }
    char* p_;
};

// A read of the wrong type, or an index past the end.
class packed_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// One item of a parsed document: valid while the document (and the bytes it was parsed from)
// lives. The readers throw packed_error on a type that does not match.
class packed_value {
public:
    bool is_nil() const;
    bool is_str() const;
    bool is_bin() const;
    bool is_int() const;
    bool is_number() const;  // an int or a float
    bool is_map() const;
    bool is_array() const;
    bool as_bool() const;
    std::int64_t as_int() const;  // positive or negative integer that fits in int64
    std::string_view as_str() const;
    std::string_view as_bin() const;
    double as_double() const;  // any number
    std::size_t size() const;  // of an array
    packed_value at(std::size_t i) const;
    std::size_t map_size() const;  // pairs of a map
    packed_value key(std::size_t i) const;
    packed_value value_at(std::size_t i) const;
    // The MessagePack type's name, for error messages ("str", "int", "array", ...).
    const char* type_name() const;
    // Whether this item and everything in it is what decode_msgpack accepts (string map keys,
    // none twice in a map, UTF-8 strings and keys, no bin or ext values): for what a value tree
    // used to read, so that a reader without one refuses the same bytes. False with
    // decode_msgpack's reason in `error`.
    bool accepted(std::string& error) const;

private:
    friend class packed_document;
    explicit packed_value(const void* o) : o_(o) {}
    const void* o_;  // a msgpack::object owned by the document's zone
};

// The string values of some keys of a top-level map, in one pass over the bytes with nothing
// allocated (for the few fields of a stored envelope): `out[i]` is the value of `names[i]`, a
// view into `bytes`, and stays as it was where that key is absent or its value is not a string.
// False when the bytes are not exactly one MessagePack map.
bool packed_map_strings(std::string_view bytes, const std::string_view* names, std::size_t n,
                        std::string_view* out);

// Reads MessagePack items one after another, straight from the bytes, with nothing built or
// allocated: for a reader that knows the layout (a stored order state), where a document's
// tree would be built only to be read once in order. Strings and bins are views into the
// bytes. Throws packed_error on a type that does not match ("expected str, got int"), on bytes
// that end inside an item ("truncated MessagePack (N bytes)", as packed_document says it), and
// on a byte that starts no item.
class packed_reader {
public:
    explicit packed_reader(std::string_view bytes)
        : begin_(bytes.data()), p_(bytes.data()), end_(bytes.data() + bytes.size()) {}

    bool at_end() const { return p_ == end_; }
    std::size_t left() const { return static_cast<std::size_t>(end_ - p_); }
    // A count read from the bytes, bounded by what they can still hold (an item takes a byte
    // at least): what to reserve for it, so damaged bytes cannot ask for gigabytes.
    std::size_t room(std::size_t count) const { return count < left() ? count : left(); }
    // What the next item is, without reading it.
    bool next_is_nil() const { return !at_end() && byte0() == 0xc0; }
    bool next_is_bin() const { return !at_end() && byte0() >= 0xc4 && byte0() <= 0xc6; }
    bool next_is_str() const;
    bool next_is_int() const;
    bool next_is_number() const;  // an int or a float
    bool next_is_array() const;
    bool next_is_map() const;
    bool next_is_ext() const;
    // The MessagePack type's name, as packed_value::type_name gives it.
    const char* next_type_name() const;

    void nil();
    std::int64_t integer();  // positive or negative, fitting in int64
    double number();         // any int or float
    std::string_view str();
    std::string_view bin();
    std::uint32_t array();  // the header: its items follow
    std::uint32_t map();    // the header: its key and value pairs follow
    // Passes over the next item and all it holds (without recursion, whatever its depth).
    void skip();

private:
    unsigned byte0() const { return static_cast<unsigned char>(*p_); }
    [[noreturn]] void wrong(const char* expected) const;
    [[noreturn]] void truncated() const;
    void need(std::size_t n) const;
    std::uint64_t big_endian(std::size_t n);  // the next n bytes, consumed
    std::string_view take(std::size_t n);     // the next n bytes, consumed

    const char* begin_;
    const char* p_;
    const char* end_;
};

// Whether exactly one MessagePack item fills the bytes, read with a packed_reader (nothing
// built): false with the reason packed_document::parse would give ("empty", "truncated
// MessagePack (N bytes)", "N trailing bytes after the MessagePack object"), except for a byte
// that starts no item: "not valid MessagePack (byte 0xc1)" where msgpack-cxx says "(parse
// error)".
bool packed_whole(std::string_view bytes, std::string& error);

// Whether decode_msgpack takes the one item that fills the bytes (packed_whole first): false
// with its reason, as packed_value::accepted gives it for the same item (a key twice in a map,
// a key that is not a string, text that is not UTF-8, bin or ext values). One pass over the
// bytes at any depth, without recursion and without a document's tree.
bool packed_acceptable(std::string_view bytes, std::string& error);

// Exactly one MessagePack object filling the bytes, parsed in place: strings and bins refer to
// the bytes, so they must outlive the document.
class packed_document {
public:
    packed_document();
    ~packed_document();
    packed_document(const packed_document&) = delete;
    packed_document& operator=(const packed_document&) = delete;

    // False with `error` ("truncated ...", "trailing bytes ...", "not valid MessagePack ...").
    bool parse(std::string_view bytes, std::string& error);
    packed_value root() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace baton
