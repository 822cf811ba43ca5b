// MessagePack <-> value: the only place that includes msgpack. Decoding is bounded by explicit
// limits so a hostile frame cannot make the daemon allocate for sizes it merely claims.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "refusal.h"
#include "value.h"

namespace baton {

struct decode_limits {
    std::size_t max_array = 1024;    // elements in one array
    std::size_t max_map = 128;       // pairs in one map
    std::size_t max_string = 16384;  // bytes in one string
    std::size_t max_depth = 8;       // nesting of arrays and maps

    // For what batond wrote itself (snapshots, records, the journal it admitted, the outbox):
    // read back without the limits of untrusted input, since anything it accepted must always
    // be readable again.
    static decode_limits trusted() { return {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}; }
};

// Decodes exactly one MessagePack object filling the whole of `bytes`. On failure returns false
// and sets `error` to a one-line reason that starts with its code: "decode: ..." for bytes that
// are not valid MessagePack (or not the subset we accept: string map keys, UTF-8 strings, no
// bin/ext), "limit: ..." for sizes above the limits. `out` is built as the bytes are read: after
// a failure it holds part of the tree, to be discarded.
bool decode_msgpack(std::string_view bytes, const decode_limits& limits, value& out,
                    std::string& error);
// The same, with the refusal code of the error (decode or limit) beside its text.
bool decode_msgpack(std::string_view bytes, const decode_limits& limits, value& out,
                    std::string& error, refusal& code);

// Appends the MessagePack encoding of `v` to `out`.
void encode_msgpack(const value& v, std::string& out);
std::string encode_msgpack(const value& v);

// True when `s` is well-formed UTF-8.
bool is_utf8(std::string_view s);

// Untrusted text quoted in a one-line reason: at most `limit` bytes (a UTF-8 sequence is not
// cut; "..." marks the cut), control characters (C0, DEL, C1) and bytes that are not UTF-8 as
// '?', so a reason is always one line of valid UTF-8.
std::string reason_text(std::string_view s, std::size_t limit = 64);

}  // namespace baton
