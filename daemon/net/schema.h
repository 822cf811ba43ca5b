// The topic schemas of schemas/<department>.yaml, compiled once into plain structs so that
// checking an event's `data` on the ingest path is a walk over a small tree, with no YAML and
// no allocation unless the event is refused.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "value.h"

namespace baton {

// A schema file names its department and maps each topic to whether the envelope carries an
// `order` and to the fields of `data`:
//
//   department: sales
//   topics:
//     sales.order.placed:
//       order: true
//       fields:
//         customer: {type: string, required: true, min_length: 1, max_length: 64}
//         lines: {type: list, min_items: 1, items: {type: record, fields: {...}}}
//
// Types and their keys (all take `required`, default false, except list items):
//   string (min_length, max_length in bytes, enum)   int (min, max; msgpack integers only)
//   number (min, max; int or float)   bool   date (YYYY-MM-DD, a real calendar day)
//   map (free-form, max_items)   list (items, min_items, max_items)   record (fields)
// Unknown fields, in `data` or in a record, are refused.
class schema_set {
public:
    struct topic_info {
        std::string department;  // "sales"
        bool order_required;     // the envelope must carry `order` (false: must not carry it)
    };

    schema_set();
    ~schema_set();
    schema_set(schema_set&&) noexcept;
    schema_set& operator=(schema_set&&) noexcept;

    // Loads and compiles every *.yaml file in `folder` (sorted by name). Throws
    // baton::config_error (file, key path, reason) for any problem, so a reload either gets a
    // whole new set or keeps the old one.
    static schema_set load(const std::string& folder);

    // Nullptr when the topic is not in any schema.
    const topic_info* find(std::string_view topic) const;

    // Checks the envelope's `data` for a known topic (precondition: find(topic) != nullptr).
    // Returns "" when valid, else one line with the path and the reason, e.g.
    // "data.lines[2].qty: expected number, got string".
    std::string validate(std::string_view topic, const value& data) const;

    std::vector<std::string> topics() const;  // sorted

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace baton
