// The names of exception kinds and the ids of exceptions ("E-17") and coordination tasks ("T-5")
// as people read and type them, shared by batond's control commands and its clients.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace baton {

// The exception kinds as the wire, the feed and the clients name them (docs/protocol.md).
inline constexpr const char* exception_kinds[] = {
    "stage_overdue",   "delivery_at_risk", "delivery_late",   "credit_hold",    "payment_overdue",
    "die_overdue",     "qc_failed",        "delivery_failed", "case_overdue",   "invoice_missing",
    "out_of_sequence", "unknown_order",    "feed_gap",        "short_produced", "invoice_mismatch"};
bool is_exception_kind(const std::string& kind);

std::string exception_id_text(std::uint64_t id);  // "E-17"
std::string task_id_text(std::uint64_t id);       // "T-5"
// Accepts "E-17", "e-17" or "17" for an exception (prefix 'E') or a task (prefix 'T').
std::optional<std::uint64_t> parse_record_id(const std::string& text, char prefix);

}  // namespace baton
