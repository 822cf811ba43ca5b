// MessagePack read and written by position, without a value tree: for what batond stores of
// itself in bulk (order states), where building a value tree per row cost most of a restart.
// The msgpack library stays inside packed.cpp and codec.cpp; this header is light.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace baton {

struct value;

// Appends MessagePack to a string, one item at a time (an array's elements follow its header,
// a map's key and value pairs follow its header).
class packed_writer {
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
    // A map's key and its value.
    void text_field(std::string_view key, std::string_view text) {
        str(key);
        str(text);
    }
    void int_field(std::string_view key, std::int64_t n) {
        str(key);
        integer(n);
    }
    void bool_field(std::string_view key, bool b) {
        str(key);
        boolean(b);
    }
    // Items already encoded as MessagePack, appended as they are.
    void raw(std::string_view msgpack) { out_.append(msgpack); }
    // A value tree, as encode_msgpack writes it.
    void item(const value& v);

private:
    std::string& out_;
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

private:
    friend class packed_document;
    explicit packed_value(const void* o) : o_(o) {}
    const void* o_;  // a msgpack::object owned by the document's zone
};

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
