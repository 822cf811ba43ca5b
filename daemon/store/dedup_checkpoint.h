// The duplicate window kept over a restart. A clean stop writes the window as it stands (its
// ring, its index and its seed, byte for byte) to a file beside the store; the next start reads
// that file and only the journal after the row it reaches, instead of the window's whole part of
// the journal (up to 10,000,000 rows, seconds of a core).
//
// The file is a cache of what the journal holds, never the truth: a checkpoint that cannot be
// read, does not match the journal, or was written with a shorter window or fewer entries than
// now configured is not used, and the start reads the window from the journal as before. A
// checkpoint stays valid after the daemon writes more (or is killed): its rows are still the
// journal's, and the rows after it are read. The file is written whole to a temporary name and
// renamed over the last; an XXH3 checksum over all of it tells a torn or damaged file. The ring
// is written from its oldest entry, at position 0, so positions start small again each run.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "dedup.h"

namespace baton {

// The journal row a checkpoint reaches: its newest entry, checked against the journal's row of
// that seq before the checkpoint is used.
struct dedup_mark {
    std::int64_t seq = 0;
    std::int64_t received_ms = 0;
    std::uint64_t key = 0;
};

class dedup_checkpoint {
public:
    // The checkpoint's file for the store at `store_path`: baton.dedup beside baton.db.
    static std::string path_for(const std::string& store_path);

    // The row `w` reaches (its newest entry); nullopt when it is empty.
    static std::optional<dedup_mark> mark_of(const dedup_window& w);

    // Writes `w` to `path`; false with why (nothing of an earlier checkpoint is lost then).
    static bool write(const std::string& path, const dedup_window& w, std::string& error);

    // Reads the checkpoint at `path` into `w`, which must be empty and configured as the daemon
    // now is, and gives the row it reaches. Nullopt with why when it is not used: `why` is empty
    // when there is no file. `w` is unchanged then.
    static std::optional<dedup_mark> read(const std::string& path, dedup_window& w,
                                          std::string& why);

private:
    // The slot's layout and where the window's hash places a few keys, for a seed and a cell
    // count: a build that lays out or places them otherwise refuses the file.
    static std::uint64_t layout_of(std::uint64_t seed, std::uint64_t cells);
};

}  // namespace baton
