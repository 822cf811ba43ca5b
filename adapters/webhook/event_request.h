// What one POST /events/<topic> becomes: the JSON body checked and turned into a baton envelope
// (PROTOCOL.md "Envelope"), or a rejection with a code and one precise line. No I/O here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "envelope.h"

namespace baton::adapters::webhook {

struct event_request {
    std::string topic;                         // from the path
    std::string body;                          // raw JSON text
    std::optional<std::string> source_header;  // X-Baton-Source, when the client sent one
};

struct event_rules {
    std::string source;                // the department system's name (config)
    bool allow_source_header = false;  // X-Baton-Source may override `source`
    std::size_t max_body_bytes = 64 * 1024;
};

struct event_rejection {
    int status = 400;    // 400 (bad event) or 413 (body too large)
    std::string reason;  // "decode: ...", "envelope: ...", "limit: ..."
    std::string id;      // the event id when the body named one
};

// Builds the envelope: v 1, id (body `id` or a fresh UUID v4), source, topic, ts (body `ts` in
// ms since the epoch, or `now_ms`), order, data. Returns a rejection for an unusable body.
// Schema checks are batond's: its nack reason goes back to the client unchanged.
std::optional<event_rejection> build_envelope(const event_request& request,
                                              const event_rules& rules, std::int64_t now_ms,
                                              envelope& out);

// A random UUID, version 4, lower-case with dashes.
std::string random_uuid();

}  // namespace baton::adapters::webhook
