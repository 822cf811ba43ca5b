// The envelope of PROTOCOL.md: one MessagePack map per event or relayed message. Decoding is
// strict (unknown keys, wrong types and bad lengths are refused with a precise reason).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "codec.h"
#include "value.h"

namespace baton {

inline constexpr std::uint64_t envelope_version = 1;
inline constexpr std::size_t max_name_bytes = 64;  // id, source, order

struct envelope {
    std::uint64_t v = envelope_version;
    std::string id;
    std::string source;
    std::string topic;
    std::int64_t ts_ms = 0;            // when it happened, ms since the Unix epoch
    std::optional<std::string> order;  // order id, for order topics
    std::optional<std::uint64_t> seq;  // per-source counter; global relay sequence on relay
    std::optional<std::string> cause;  // relay only: id of the causing event
    value data = value(value_map{});
};

// Reads an inbound envelope (a client's event). On failure returns false, sets `reason` to one
// line starting with its code (decode:, limit:, envelope:, topic:) and `id` to the event id
// when it could be read (empty otherwise).
bool decode_inbound(std::string_view topic_frame, std::string_view bytes,
                    const decode_limits& limits, envelope& out, std::string& reason);
// The same, with the refusal code (decode, limit, envelope or topic) beside the reason.
bool decode_inbound(std::string_view topic_frame, std::string_view bytes,
                    const decode_limits& limits, envelope& out, std::string& reason, refusal& code);

// Reads a relayed envelope (what batond publishes); `cause` is allowed here.
bool decode_relayed(std::string_view bytes, const decode_limits& limits, envelope& out,
                    std::string& reason);

// The MessagePack bytes of an envelope; keys absent from it are left out.
std::string encode_envelope(const envelope& e);

// An envelope's fields without its data, referring to strings held elsewhere: what a writer
// needs to encode one without copying them.
struct envelope_head {
    std::uint64_t v = envelope_version;
    std::string_view id;
    std::string_view source;
    std::string_view topic;
    std::int64_t ts_ms = 0;
    std::optional<std::string_view> order;
    std::optional<std::uint64_t> seq;
    std::optional<std::string_view> cause;
};
envelope_head head_of(const envelope& e);

class packed_writer;
// The envelope as encode_envelope writes it, up to and including the key "data": the caller
// writes data's value next, straight from what it holds (no value tree).
void write_envelope_head(packed_writer& w, const envelope_head& e);

}  // namespace baton
