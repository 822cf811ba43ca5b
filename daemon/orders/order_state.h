// An order's state as the snapshot log stores it. Format 3 is positional MessagePack written
// and read without a value tree (common/packed.h): no key names, times as distances from the
// order's first sighting, event UUIDs as 16 bytes, milestones by their number. Formats 1 and 2
// (maps, to_value) are still read, and rewritten as format 3 when the order is next stored.
#pragma once

#include <string>
#include <string_view>

#include "order.h"

namespace baton {

inline constexpr int order_state_format = 3;

std::string encode_order_state(const order& o);

// Reads a state of any format batond has written. False with `error` (one line naming the
// field, e.g. "format 3: batches[1] event: expected str, got int") when it cannot.
bool decode_order_state(std::string_view bytes, order& out, std::string& error);

}  // namespace baton
