// The admission rules of an inbound event, in the order PROTOCOL.md implies: size, MessagePack,
// envelope, topic frame, reserved names, known topic, order key, schema. Pure: no I/O.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "codec.h"
#include "envelope.h"

namespace baton {

class schema_set;

// The refusal codes of PROTOCOL.md, in the order of the nack reason prefix.
enum class refusal { none, decode, envelope, schema, topic, forbidden, limit };
inline constexpr std::size_t refusal_count = 7;
const char* refusal_name(refusal r);          // "decode", ...
refusal refusal_of(std::string_view reason);  // from a reason's "code:" prefix

struct ingest_rules {
    const schema_set* schemas = nullptr;
    decode_limits limits;
    std::size_t max_envelope_bytes = 65536;  // larger envelope frames get "limit:"
};

// Checks one event. On refusal returns the code, sets `reason` (one line, starting with the
// code) and leaves in `out.id` the event id when it could be read.
refusal admit_event(const ingest_rules& rules, std::string_view topic_frame,
                    std::string_view envelope_bytes, envelope& out, std::string& reason);

// True for topics only batond publishes (relay, task.*, exception.*): a client may not send them.
bool is_relay_topic(std::string_view topic);

}  // namespace baton
