// Strict envelope decoding and encoding.
#include "envelope.h"

#include <cassert>

#include <array>
#include <cstdio>
#include <string_view>

#include "packed.h"
#include "utf8.h"

namespace baton {

namespace {

constexpr std::array<std::string_view, 9> known_keys = {"v",     "id",  "source", "topic", "ts",
                                                        "order", "seq", "cause",  "data"};
// Each key's index in known_keys.
enum : std::size_t {
    key_v,
    key_id,
    key_source,
    key_topic,
    key_ts,
    key_order,
    key_seq,
    key_cause,
    key_data
};

// "U+001B": how a refusal names a character that cannot be shown.
std::string code_point_text(char32_t cp) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
    return buf;
}

// A name a person may see on a terminal (batonctl, logs): control characters could move the
// cursor, clear the screen or change a window title there, so an inbound one is refused.
bool name_is_well_formed(const std::string& s, bool inbound) {
    char32_t cp = 0;
    return !s.empty() && s.size() <= max_name_bytes &&
           (!inbound || find_control(s, cp) == std::string_view::npos);
}

// The integer as text, signed or not, for a refusal.
std::string integer_text(const value& v) {
    if (auto* i = std::get_if<std::int64_t>(&v.v)) return std::to_string(*i);
    if (auto* u = std::get_if<std::uint64_t>(&v.v)) return std::to_string(*u);
    return "";
}

// `inbound`: a client's event, where control characters are refused. What batond relays is
// read as written: an order accepted before they were refused still has its messages read.
// The name moves out of `v` into `out`.
bool read_name(value& v, const char* key, bool inbound, std::string& out, std::string& reason) {
    if (!v.is_string()) {
        reason = std::string("envelope: ") + key + ": expected string, got " + type_name(v);
        return false;
    }
    const auto& s = v.as_string();
    if (s.empty() || s.size() > max_name_bytes) {
        reason = std::string("envelope: ") + key + ": length " + std::to_string(s.size()) +
                 ", expected 1 to " + std::to_string(max_name_bytes) + " bytes";
        return false;
    }
    char32_t cp = 0;
    if (std::size_t at = inbound ? find_control(s, cp) : std::string::npos;
        at != std::string::npos) {
        reason = std::string("envelope: ") + key + ": control character " + code_point_text(cp) +
                 " at byte " + std::to_string(at) + " (counting from 0) is not allowed";
        return false;
    }
    out = std::move(v.as_string());
    return true;
}

// Every refusal after the MessagePack layer is an envelope: refusal (`code` says so).
bool decode(std::string_view bytes, const decode_limits& limits, bool relayed, envelope& out,
            std::string& reason, refusal& code) {
    value root;
    if (!decode_msgpack(bytes, limits, root, reason, code)) return false;
    code = refusal::envelope;
    if (!root.is_map()) {
        reason = std::string("envelope: expected a map, got ") + type_name(root);
        return false;
    }
    // One pass over the keys: each known one to its slot (the decoder refused duplicate keys),
    // and the first unknown one remembered.
    std::array<value*, known_keys.size()> slot{};
    const std::string* unknown = nullptr;
    for (auto& m : root.as_map()) {
        std::size_t k = 0;
        while (k < known_keys.size() && m.key != known_keys[k]) ++k;
        if (k < known_keys.size())
            slot[k] = &m.val;
        else if (!unknown)
            unknown = &m.key;
    }
    // Read the id first so every later refusal can name the event. It moves: nothing reads it
    // from the tree again.
    bool id_read = false;
    if (value* id = slot[key_id];
        id && id->is_string() && name_is_well_formed(id->as_string(), !relayed)) {
        out.id = std::move(id->as_string());
        id_read = true;
    }
    if (unknown) {
        reason = "envelope: unknown key '" + reason_text(*unknown) + "'";
        return false;
    }
    const value* v = slot[key_v];
    if (!v) {
        reason = "envelope: v: required key is missing";
        return false;
    }
    if (!v->is_integer()) {
        reason = std::string("envelope: v: expected uint, got ") + type_name(*v);
        return false;
    }
    if (!v->to_uint64(out.v) || out.v != envelope_version) {
        reason = "envelope: v: unsupported version " + integer_text(*v) + ", expected 1";
        return false;
    }
    for (const std::size_t k : {key_id, key_source, key_topic, key_ts, key_data})
        if (!slot[k]) {
            reason = "envelope: " + std::string(known_keys[k]) + ": required key is missing";
            return false;
        }
    // An id that was not read above is refused here, with the reason.
    if (!id_read && !read_name(*slot[key_id], "id", !relayed, out.id, reason)) return false;
    if (!read_name(*slot[key_source], "source", !relayed, out.source, reason)) return false;
    value& topic = *slot[key_topic];
    if (!topic.is_string()) {
        reason = std::string("envelope: topic: expected string, got ") + type_name(topic);
        return false;
    }
    if (topic.as_string().empty()) {
        reason = "envelope: topic: must not be empty";
        return false;
    }
    out.topic = std::move(topic.as_string());
    const value& ts = *slot[key_ts];
    if (!ts.is_integer()) {
        reason = std::string("envelope: ts: expected int (ms since epoch), got ") + type_name(ts);
        return false;
    }
    if (!ts.to_int64(out.ts_ms)) {  // a uint past INT64_MAX
        reason = "envelope: ts: " + integer_text(ts) +
                 " is out of range (ms since the epoch, at most 2^63-1)";
        return false;
    }
    if (value* order = slot[key_order]) {
        std::string o;
        if (!read_name(*order, "order", !relayed, o, reason)) return false;
        out.order = std::move(o);
    }
    if (const value* seq = slot[key_seq]) {
        std::uint64_t s = 0;
        if (!seq->is_integer()) {
            reason = std::string("envelope: seq: expected uint, got ") + type_name(*seq);
            return false;
        }
        if (!seq->to_uint64(s)) {  // a negative int
            reason = "envelope: seq: " + integer_text(*seq) + " is out of range (0 to 2^64-1)";
            return false;
        }
        out.seq = s;
    }
    if (value* cause = slot[key_cause]) {
        if (!relayed) {
            reason = "envelope: cause: only relayed messages carry a cause";
            return false;
        }
        if (!cause->is_string()) {
            reason = std::string("envelope: cause: expected string, got ") + type_name(*cause);
            return false;
        }
        out.cause = std::move(cause->as_string());
    }
    value* data = slot[key_data];
    if (!data->is_map()) {
        reason = std::string("envelope: data: expected map, got ") + type_name(*data);
        return false;
    }
    out.data = std::move(*data);
    return true;
}

}  // namespace

bool decode_inbound(std::string_view topic_frame, std::string_view bytes,
                    const decode_limits& limits, envelope& out, std::string& reason) {
    refusal code = refusal::none;
    return decode_inbound(topic_frame, bytes, limits, out, reason, code);
}

bool decode_inbound(std::string_view topic_frame, std::string_view bytes,
                    const decode_limits& limits, envelope& out, std::string& reason,
                    refusal& code) {
    if (!decode(bytes, limits, false, out, reason, code)) return false;
    if (topic_frame != out.topic) {
        code = refusal::topic;
        reason = "topic: frame says '" + reason_text(topic_frame) + "' but the envelope says '" +
                 reason_text(out.topic) + "'";
        return false;
    }
    return true;
}

bool decode_relayed(std::string_view bytes, const decode_limits& limits, envelope& out,
                    std::string& reason) {
    refusal code = refusal::none;
    return decode(bytes, limits, true, out, reason, code);
}

std::string encode_envelope(const envelope& e) {
    std::string out;
    packed_writer w(out);
    write_envelope_head(w, head_of(e));
    w.item(e.data);
    return out;
}

envelope_head head_of(const envelope& e) {
    envelope_head h;
    h.v = e.v;
    h.id = e.id;
    h.source = e.source;
    h.topic = e.topic;
    h.ts_ms = e.ts_ms;
    if (e.order) h.order = *e.order;
    h.seq = e.seq;
    if (e.cause) h.cause = *e.cause;
    return h;
}

void write_envelope_head(packed_writer& w, const envelope_head& e) {
    // Its size first, then every item in place: the output grows once, where an append per
    // item (19 for a relay message) cost most of writing one.
    const std::size_t pairs = 6 + (e.order ? 1 : 0) + (e.seq ? 1 : 0) + (e.cause ? 1 : 0);
    std::size_t size = packed_map_size(pairs) + packed_str_size(1) + packed_uint_size(e.v) +
                       packed_str_size(2) + packed_str_size(e.id.size()) + packed_str_size(6) +
                       packed_str_size(e.source.size()) + packed_str_size(5) +
                       packed_str_size(e.topic.size()) + packed_str_size(2) +
                       packed_int_size(e.ts_ms) + packed_str_size(4);
    if (e.order) size += packed_str_size(5) + packed_str_size(e.order->size());
    if (e.seq) size += packed_str_size(3) + packed_uint_size(*e.seq);
    if (e.cause) size += packed_str_size(5) + packed_str_size(e.cause->size());
    char* const start = w.extend(size);
    packed_cursor c(start);
    c.map(pairs);
    c.str("v");
    c.uinteger(e.v);
    c.text_field("id", e.id);
    c.text_field("source", e.source);
    c.text_field("topic", e.topic);
    c.int_field("ts", e.ts_ms);
    if (e.order) c.text_field("order", *e.order);
    if (e.seq) {
        c.str("seq");
        c.uinteger(*e.seq);
    }
    if (e.cause) c.text_field("cause", *e.cause);
    c.str("data");
    assert(c.end() == start + size);
}

}  // namespace baton
