// The durable watermark: the last watermark value whose rows are safely in the outbox, kept in
// a small JSON file replaced atomically (write a temporary file, fsync, rename, fsync the
// folder), so a crash leaves either the old value or the new one, never a torn file.
#pragma once

#include <optional>
#include <string>

namespace baton::adapters::sql {

struct watermark_state {
    std::string table;  // what the value belongs to: a changed config must not reuse it
    std::string column;
    std::string type;   // "integer" or "text"
    std::string value;  // the watermark, as the database returned it
};

// The stored state, or nullopt when the file does not exist yet. Throws baton::config_error
// (the state file, the field, the reason) when it is unreadable or damaged.
std::optional<watermark_state> load_watermark(const std::string& path);

// Replaces the file atomically and durably; creates its folder. Throws std::runtime_error with
// the path and errno text.
void save_watermark(const std::string& path, const watermark_state& state);

}  // namespace baton::adapters::sql
