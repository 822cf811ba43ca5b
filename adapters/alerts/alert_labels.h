// From batond's exception record to an Alertmanager alert: the label set that identifies it and
// the annotations people read (README.md "Labels and annotations"). Pure functions: no clock,
// no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "value.h"

namespace baton::adapters::alerts {

// What baton-alerts keeps of an exception record (docs/protocol.md "Exception and task data"),
// read alike from a relayed `exception.<kind>` message and an item of the `exceptions` reply.
struct exception_record {
    std::string id;        // "E-7"
    std::string kind;      // "qc_failed"
    std::string severity;  // warning, low, medium, high, critical
    std::string dept;
    std::string order;     // "" when none
    std::string customer;  // "" when none
    std::string status;    // open, acknowledged, resolved
    std::int64_t raised_at_ms = 0;
    std::int64_t resolved_at_ms = 0;  // 0 while not resolved
    std::string detail;
    std::string stage;  // the stage a stage-bound kind watches; "" for the others
    std::string scope;  // batch, shipment, invoice, case, source; "" for most kinds
    std::string by;     // who acknowledged or resolved it last
    std::string note;
    std::string assignee;
    // Only in the `exceptions` reply (enrichment); "" from the relay.
    std::string tier;
    std::string customer_name;
    std::string order_stage;  // the order's stage when asked
    bool enriched = false;    // tier, customer_name and order_stage came from batond's reply

    bool resolved() const { return status == "resolved"; }
};

bool operator==(const exception_record& a, const exception_record& b);
inline bool operator!=(const exception_record& a, const exception_record& b) {
    return !(a == b);
}

// Reads a record: the relayed `data` (with `status` after the change) or a reply item (`state`
// being open, acknowledged or resolved). Keys it does not know are ignored (the protocol may
// add some). False with `error` (one line) when `id`, `kind` or `severity` is missing or a
// known key has the wrong type.
bool parse_exception_record(const value& v, exception_record& out, std::string& error);

using label_set = std::map<std::string, std::string>;

// What the alert says besides its times.
struct alert_content {
    label_set labels;
    label_set annotations;
    std::int64_t starts_at_ms = 0;
    std::string generator_url;
};

bool operator==(const alert_content& a, const alert_content& b);
inline bool operator!=(const alert_content& a, const alert_content& b) {
    return !(a == b);
}

struct label_options {
    std::string board_url;   // no trailing slash
    label_set extra_labels;  // alerts.labels
};

// The stage label of a record: its own `stage` when it has one, else the one remembered from
// when baton-alerts first saw it (`stable_stage`), else the order's stage now.
std::string stage_label(const exception_record& r, const std::string& stable_stage);

// The alert of an open (or acknowledged) record. `stage` is stage_label()'s result, kept by the
// caller for the life of the alert so the label set does not move with the order.
alert_content alert_for(const exception_record& r, const std::string& stage,
                        const label_options& options);

// One text per label set, to key maps by it: name=value pairs, escaped, in name order.
std::string label_key(const label_set& labels);

// RFC 3339 in UTC with milliseconds, "2026-11-18T09:30:00.250Z".
std::string rfc3339(std::int64_t ms);

// Percent-encodes all but RFC 3986's unreserved characters, for a path segment.
std::string url_escape(const std::string& text);

}  // namespace baton::adapters::alerts
