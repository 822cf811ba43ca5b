// <state>/alerts.json: the alert book across restarts (open alerts with their stable stage and
// posted label set, resolutions each Alertmanager still owes), written atomically (write a
// temporary file, fsync, rename, fsync the folder).
#pragma once

#include <string>

#include "alert_book.h"

namespace baton::adapters::alerts {

std::string book_state_json(const book_state& state);
// Throws std::runtime_error "<where>: <reason>" when `text` is not a saved book.
book_state parse_book_state(const std::string& text, const std::string& where);

// A missing file is an empty book; an unreadable or corrupt one throws std::runtime_error
// naming the file and what is wrong with it (baton-alerts then stops: it would otherwise forget
// the alerts it posted and leave them firing).
book_state load_book_state(const std::string& path);
// Throws std::runtime_error naming the file when it cannot be written.
void save_book_state(const std::string& path, const book_state& state);

}  // namespace baton::adapters::alerts
