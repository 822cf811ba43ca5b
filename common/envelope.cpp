// Strict envelope decoding and encoding.
#include "envelope.h"

#include <array>
#include <cstdio>
#include <string_view>

#include "packed.h"
#include "utf8.h"

namespace baton {

// Literals compared as string views: a length check, then memcmp, with no strlen.
using namespace std::string_view_literals;

namespace {

constexpr std::array<std::string_view, 9> known_keys = {"v",     "id",  "source", "topic", "ts",
                                                        "order", "seq", "cause",  "data"};

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
    // Read the id first so every later refusal can name the event.
    if (const value* id = root.find("id");
        id && id->is_string() && name_is_well_formed(id->as_string(), !relayed))
        out.id = id->as_string();

    for (const auto& m : root.as_map()) {
        bool known = false;
        for (auto k : known_keys) known = known || m.key == k;
        if (!known) {
            reason = "envelope: unknown key '" + reason_text(m.key) + "'";
            return false;
        }
    }
    const value* v = root.find("v");
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
    for (const char* key : {"id", "source", "topic", "ts", "data"})
        if (!root.find(key)) {
            reason = std::string("envelope: ") + key + ": required key is missing";
            return false;
        }
    if (!read_name(*root.find("id"), "id", !relayed, out.id, reason)) return false;
    if (!read_name(*root.find("source"), "source", !relayed, out.source, reason)) return false;
    value& topic = *root.find("topic");
    if (!topic.is_string()) {
        reason = std::string("envelope: topic: expected string, got ") + type_name(topic);
        return false;
    }
    if (topic.as_string().empty()) {
        reason = "envelope: topic: must not be empty";
        return false;
    }
    out.topic = std::move(topic.as_string());
    const value& ts = *root.find("ts");
    if (!ts.is_integer()) {
        reason = std::string("envelope: ts: expected int (ms since epoch), got ") + type_name(ts);
        return false;
    }
    if (!ts.to_int64(out.ts_ms)) {  // a uint past INT64_MAX
        reason = "envelope: ts: " + integer_text(ts) +
                 " is out of range (ms since the epoch, at most 2^63-1)";
        return false;
    }
    if (value* order = root.find("order")) {
        std::string o;
        if (!read_name(*order, "order", !relayed, o, reason)) return false;
        out.order = std::move(o);
    }
    if (const value* seq = root.find("seq")) {
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
    if (const value* cause = root.find("cause")) {
        if (!relayed) {
            reason = "envelope: cause: only relayed messages carry a cause";
            return false;
        }
        if (!cause->is_string()) {
            reason = std::string("envelope: cause: expected string, got ") + type_name(*cause);
            return false;
        }
        out.cause = cause->as_string();
    }
    value* data = nullptr;
    for (auto& m : root.as_map())
        if (m.key == "data"sv) data = &m.val;
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
    w.map(6 + (e.order ? 1 : 0) + (e.seq ? 1 : 0) + (e.cause ? 1 : 0));
    w.str("v");
    w.uinteger(e.v);
    w.text_field("id", e.id);
    w.text_field("source", e.source);
    w.text_field("topic", e.topic);
    w.int_field("ts", e.ts_ms);
    if (e.order) w.text_field("order", *e.order);
    if (e.seq) {
        w.str("seq");
        w.uinteger(*e.seq);
    }
    if (e.cause) w.text_field("cause", *e.cause);
    w.str("data");
}

}  // namespace baton
