// Strict envelope decoding and encoding.
#include "envelope.h"

#include <array>

namespace baton {

namespace {

constexpr std::array<std::string_view, 9> known_keys = {"v",     "id",  "source", "topic", "ts",
                                                        "order", "seq", "cause",  "data"};

bool read_name(const value& v, const char* key, std::string& out, std::string& reason) {
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
    out = s;
    return true;
}

bool decode(std::string_view bytes, const decode_limits& limits, bool relayed, envelope& out,
            std::string& reason) {
    value root;
    if (!decode_msgpack(bytes, limits, root, reason)) return false;
    if (!root.is_map()) {
        reason = std::string("envelope: expected a map, got ") + type_name(root);
        return false;
    }
    // Read the id first so every later refusal can name the event.
    if (const value* id = root.find("id"); id && id->is_string() && !id->as_string().empty() &&
                                           id->as_string().size() <= max_name_bytes)
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
    if (!v->to_uint64(out.v)) {
        reason = std::string("envelope: v: expected uint, got ") + type_name(*v);
        return false;
    }
    if (out.v != envelope_version) {
        reason = "envelope: v: unsupported version " + std::to_string(out.v) + ", expected 1";
        return false;
    }
    for (const char* key : {"id", "source", "topic", "ts", "data"})
        if (!root.find(key)) {
            reason = std::string("envelope: ") + key + ": required key is missing";
            return false;
        }
    if (!read_name(*root.find("id"), "id", out.id, reason)) return false;
    if (!read_name(*root.find("source"), "source", out.source, reason)) return false;
    const value& topic = *root.find("topic");
    if (!topic.is_string()) {
        reason = std::string("envelope: topic: expected string, got ") + type_name(topic);
        return false;
    }
    if (topic.as_string().empty()) {
        reason = "envelope: topic: must not be empty";
        return false;
    }
    out.topic = topic.as_string();
    if (!root.find("ts")->to_int64(out.ts_ms)) {
        reason = std::string("envelope: ts: expected int (ms since epoch), got ") +
                 type_name(*root.find("ts"));
        return false;
    }
    if (const value* order = root.find("order")) {
        std::string o;
        if (!read_name(*order, "order", o, reason)) return false;
        out.order = std::move(o);
    }
    if (const value* seq = root.find("seq")) {
        std::uint64_t s = 0;
        if (!seq->to_uint64(s)) {
            reason = std::string("envelope: seq: expected uint, got ") + type_name(*seq);
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
        if (m.key == "data") data = &m.val;
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
    if (!decode(bytes, limits, false, out, reason)) return false;
    if (topic_frame != out.topic) {
        reason = "topic: frame says '" + reason_text(topic_frame) + "' but the envelope says '" +
                 reason_text(out.topic) + "'";
        return false;
    }
    return true;
}

bool decode_relayed(std::string_view bytes, const decode_limits& limits, envelope& out,
                    std::string& reason) {
    return decode(bytes, limits, true, out, reason);
}

std::string encode_envelope(const envelope& e) {
    value_map m;
    m.reserve(9);
    m.push_back({"v", value(static_cast<unsigned long long>(e.v))});
    m.push_back({"id", value(e.id)});
    m.push_back({"source", value(e.source)});
    m.push_back({"topic", value(e.topic)});
    m.push_back({"ts", value(static_cast<long long>(e.ts_ms))});
    if (e.order) m.push_back({"order", value(*e.order)});
    if (e.seq) m.push_back({"seq", value(static_cast<unsigned long long>(*e.seq))});
    if (e.cause) m.push_back({"cause", value(*e.cause)});
    m.push_back({"data", e.data});
    return encode_msgpack(value(std::move(m)));
}

}  // namespace baton
