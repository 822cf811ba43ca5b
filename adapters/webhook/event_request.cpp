// Checks a webhook body field by field. The body mirrors the envelope minus what the adapter
// fills in itself (v, source, topic), so a department system only sends what it knows.
#include "event_request.h"

#include <cstdio>
#include <random>

#include "json_value.h"

namespace baton::adapters::webhook {

namespace {

bool valid_topic(const std::string& topic, std::string& reason) {
    if (topic.empty()) {
        reason = "topic: missing; POST to /events/<topic>, e.g. /events/sales.order.placed";
        return false;
    }
    if (topic.size() > 128) {
        reason = "topic: longer than 128 bytes";
        return false;
    }
    for (char c : topic) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok) {
            reason = "topic: '" + topic + "' may only hold letters, digits, '.', '_' and '-'";
            return false;
        }
    }
    return true;
}

bool valid_name(const std::string& s, const char* what, std::string& reason) {
    if (s.empty() || s.size() > max_name_bytes) {
        reason = std::string("envelope: ") + what + ": expected 1-" +
                 std::to_string(max_name_bytes) + " bytes, got " + std::to_string(s.size());
        return false;
    }
    return true;
}

// JSON's names for what the client sent, not MessagePack's.
std::string json_type(const value& v) {
    if (v.is_nil()) return "null";
    if (v.is_bool()) return "boolean";
    if (v.is_integer()) return "integer";
    if (v.is_number()) return "number";
    if (v.is_string()) return "string";
    if (v.is_list()) return "array";
    return "object";
}

event_rejection reject(std::string reason, std::string id = {}, int status = 400) {
    return event_rejection{status, std::move(reason), std::move(id)};
}

}  // namespace

std::string random_uuid() {
    thread_local std::mt19937_64 rng = [] {
        std::random_device rd;
        std::seed_seq seed{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
        return std::mt19937_64(seed);
    }();
    std::uint64_t hi = rng();
    std::uint64_t lo = rng();
    hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
    lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 10
    char text[37];
    std::snprintf(text, sizeof text, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                  static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                  static_cast<unsigned>(lo >> 48),
                  static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
    return text;
}

std::optional<event_rejection> build_envelope(const event_request& request,
                                              const event_rules& rules, std::int64_t now_ms,
                                              envelope& out) {
    if (request.body.size() > rules.max_body_bytes)
        return reject("limit: body of " + std::to_string(request.body.size()) +
                          " bytes is larger than " + std::to_string(rules.max_body_bytes),
                      {}, 413);
    std::string reason;
    if (!valid_topic(request.topic, reason)) return reject(reason);

    value body;
    if (!json_to_value(request.body, body, reason)) return reject(reason);
    if (!body.is_map())
        return reject(std::string("envelope: body must be a JSON object, got ") + json_type(body));

    // The id first, so every later rejection can name the event the client named; a generated
    // id is not worth telling for an event that was never accepted.
    envelope e;
    std::string named;
    if (const value* id = body.find("id")) {
        if (!id->is_string())
            return reject(std::string("envelope: id: expected string, got ") + json_type(*id));
        if (!valid_name(id->as_string(), "id", reason)) return reject(reason);
        e.id = id->as_string();
        named = e.id;
    } else {
        e.id = random_uuid();
    }

    for (const auto& m : body.as_map())
        if (m.key != "id" && m.key != "order" && m.key != "data" && m.key != "ts")
            return reject("envelope: unknown key '" + m.key + "' (expected order, data, id, ts)",
                          named);

    if (rules.allow_source_header && request.source_header && !request.source_header->empty())
        e.source = *request.source_header;
    else
        e.source = rules.source;
    if (e.source.empty())
        return reject("envelope: source: missing; send the X-Baton-Source header", named);
    if (!valid_name(e.source, "source", reason)) return reject(reason, named);

    e.topic = request.topic;

    e.ts_ms = now_ms;
    if (const value* ts = body.find("ts")) {
        if (!ts->is_integer() || !ts->to_int64(e.ts_ms) || e.ts_ms < 0)
            return reject(
                "envelope: ts: expected milliseconds since the epoch (a non-negative "
                "integer), got " +
                    std::string(json_type(*ts)),
                named);
    }

    if (const value* order = body.find("order"); order && !order->is_nil()) {
        if (!order->is_string())
            return reject(std::string("envelope: order: expected string, got ") + json_type(*order),
                          named);
        if (!valid_name(order->as_string(), "order", reason)) return reject(reason, named);
        e.order = order->as_string();
    }

    if (const value* data = body.find("data"); data && !data->is_nil()) {
        if (!data->is_map())
            return reject(std::string("envelope: data: expected object, got ") + json_type(*data),
                          named);
        e.data = *data;
    } else {
        e.data = value(value_map{});
    }

    out = std::move(e);
    return std::nullopt;
}

}  // namespace baton::adapters::webhook
