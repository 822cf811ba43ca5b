// Admission of inbound events.
#include "ingest.h"

#include <cassert>
#include <string_view>

#include "schema.h"

namespace baton {

// Literals compared as string views: a length check, then memcmp, with no strlen.
using namespace std::string_view_literals;

bool is_relay_topic(std::string_view topic) {
    auto dot = topic.find('.');
    auto head = topic.substr(0, dot);
    if (head == "task"sv || head == "exception"sv) return true;
    // Inbound topics have three parts (<department>.<object>.<verb>); what batond relays to a
    // department has two (finance.credit_check, sales.status, logistics.cancel).
    if (dot == std::string_view::npos) return false;
    return topic.find('.', dot + 1) == std::string_view::npos;
}

refusal admit_event(const ingest_rules& rules, std::string_view topic_frame,
                    std::string_view envelope_bytes, envelope& out, std::string& reason) {
    assert(rules.schemas);
    if (envelope_bytes.size() > rules.max_envelope_bytes) {
        reason = "limit: envelope is " + std::to_string(envelope_bytes.size()) +
                 " bytes, the maximum is " + std::to_string(rules.max_envelope_bytes);
        return refusal::limit;
    }
    if (refusal code = refusal::none;
        !decode_inbound(topic_frame, envelope_bytes, rules.limits, out, reason, code))
        return code;
    if (is_relay_topic(out.topic)) {
        reason = "forbidden: topic '" + reason_text(out.topic) + "' is published by batond only";
        return refusal::forbidden;
    }
    if (out.source == "baton"sv) {
        reason = "forbidden: source 'baton' is reserved for batond";
        return refusal::forbidden;
    }
    const auto* info = rules.schemas->find(out.topic);
    if (!info) {
        reason = "topic: unknown topic '" + reason_text(out.topic) + "'";
        return refusal::topic;
    }
    if (info->order_required && !out.order) {
        reason = "envelope: order: required for topic " + out.topic;
        return refusal::envelope;
    }
    if (!info->order_required && out.order) {
        reason = "envelope: order: not allowed for topic " + out.topic;
        return refusal::envelope;
    }
    std::string error = rules.schemas->validate(out.topic, out.data);
    if (!error.empty()) {
        reason = "schema: " + error;
        return refusal::schema;
    }
    return refusal::none;
}

}  // namespace baton
