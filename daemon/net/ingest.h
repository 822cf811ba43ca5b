// The admission rules of an inbound event, in the order PROTOCOL.md implies: size, MessagePack,
// envelope, topic frame, reserved names, known topic, order key, schema. Pure: no I/O.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "codec.h"
#include "envelope.h"
#include "refusal.h"

namespace baton {

class schema_set;

struct ingest_rules {
    const schema_set* schemas = nullptr;
    decode_limits limits;
    std::size_t max_envelope_bytes = 65536;  // larger envelope frames get "limit:"
};

// Checks one event. On refusal returns the code and sets `reason` (one line, starting with the
// code): together the {code, text} of the nack. Leaves in `out.id` the event id when it could
// be read.
refusal admit_event(const ingest_rules& rules, std::string_view topic_frame,
                    std::string_view envelope_bytes, envelope& out, std::string& reason);

// True for topics only batond publishes (relay, task.*, exception.*): a client may not send them.
bool is_relay_topic(std::string_view topic);

}  // namespace baton
