// The alert book: Alertmanager's view as baton-alerts wants it (every open exception's alert)
// plus the resolutions some Alertmanager has not taken yet, and per Alertmanager what it still
// needs: changed alerts, owed resolutions, the next full resend, its backoff while it fails.
// No I/O and no clock of its own: the caller passes `now` (ms), so a test drives it by hand.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "alert_labels.h"
#include "backoff.h"

namespace baton::adapters::alerts {

struct book_timing {
    std::int64_t resend_every_ms = 60000;  // every open alert goes out again this often
    std::int64_t ends_after_ms = 300000;   // a firing alert's endsAt = now + this
    webhook::backoff_policy retry{std::chrono::milliseconds(1000), std::chrono::milliseconds(60000),
                                  2.0};
};

// One alert as it goes out in a POST.
struct outgoing_alert {
    alert_content content;
    std::int64_t ends_at_ms = 0;  // future: firing; now or past: resolved
};

// What one target is to be sent now, and what taking it settles.
struct delivery {
    std::size_t target = 0;
    bool full = false;  // every open alert (a resend, the first post, or a catch-up)
    std::vector<outgoing_alert> alerts;
    std::vector<std::string> open_ids;         // exceptions whose alert is in it
    std::vector<std::string> resolution_keys;  // label keys of the resolutions in it
    // The book's change number of each of them when the delivery was made: a POST under way
    // while the alert changes again settles only what it carried (0: not a pending change).
    std::vector<std::uint64_t> open_changes;
    std::vector<std::uint64_t> resolution_changes;
};

enum class book_change { none, added, updated, relabelled, resolved };

// What persists across a restart (alerts_state.h writes it as JSON).
struct saved_entry {
    exception_record record;
    std::string stage;        // the stable stage label ("" when none)
    label_set posted_labels;  // the label set Alertmanager knows it by
};
struct saved_resolution {
    alert_content alert;
    std::int64_t ends_at_ms = 0;
    std::vector<std::string> owed_by;  // target URLs that have not taken it
};
struct book_state {
    std::vector<saved_entry> entries;
    std::vector<saved_resolution> resolutions;
};

class alert_book {
public:
    alert_book(std::vector<std::string> target_urls, book_timing timing, label_options options);

    // A record from the relay or from batond's reply: open or acknowledged adds or updates its
    // alert (a changed label set resolves the old one), resolved resolves it. Applying the same
    // record twice changes nothing. A record that is not enriched keeps the tier, customer
    // name and stage the book has for it.
    book_change apply(const exception_record& r, std::int64_t now_ms);

    struct reconcile_counts {
        std::size_t added = 0, updated = 0, resolved = 0;
    };
    // batond's open set at start: alerts of exceptions no longer in it are resolved, the others
    // added or updated.
    reconcile_counts reconcile(const std::vector<exception_record>& open, std::int64_t now_ms);

    bool knows(const std::string& id) const { return entries_.count(id) != 0; }
    // Ids of open alerts still without tier, customer name and order stage.
    std::vector<std::string> unenriched() const;

    // What `target` should be sent now, or nullopt (nothing changed, or waiting out a backoff).
    std::optional<delivery> due(std::size_t target, std::int64_t now_ms);

    struct recovery {
        bool recovered = false;     // the target had been failing
        std::int64_t down_ms = 0;   // since its first failure
        std::size_t caught_up = 0;  // alerts in the POST that reached it
    };
    // The target took the delivery (2xx), or refused it as bad (400/422: it will not take it
    // later either, so it is dropped for that target all the same). Changes made after due()
    // handed out `d` (the POST ran meanwhile) stay owed.
    recovery delivered(const delivery& d, std::int64_t now_ms);

    struct failure {
        bool first = false;  // it had been working until now
        std::int64_t retry_in_ms = 0;
    };
    // The target did not answer, or answered 5xx or another 4xx: it gets everything at the
    // next try, after its backoff.
    failure failed(std::size_t target, std::int64_t now_ms);

    std::size_t targets() const { return targets_.size(); }
    const std::string& target_url(std::size_t t) const { return targets_[t].url; }
    bool target_failing(std::size_t t) const { return targets_[t].failing; }
    std::size_t open_count() const { return entries_.size(); }
    std::size_t resolution_count() const { return resolutions_.size(); }
    // The alert of an open exception, or null.
    const alert_content* alert_of(const std::string& id) const;

    // Persistence: changed() says whether snapshot() differs from the last mark_saved().
    book_state snapshot() const;
    // Loads a saved book (before any apply). Alerts whose labels come out differently now (the
    // config's labels changed) get their old label set resolved; resolutions owed only to URLs
    // no longer configured are dropped.
    void restore(const book_state& state, std::int64_t now_ms);
    bool changed() const { return changed_; }
    void mark_saved() { changed_ = false; }

private:
    struct entry {
        exception_record record;
        std::string stage;
        alert_content alert;
    };
    struct resolution {
        alert_content alert;
        std::int64_t ends_at_ms = 0;
        std::set<std::size_t> owed_by;
        std::uint64_t change = 0;  // the book's change number when it was made
    };
    struct target_state {
        std::string url;
        // Ids changed since the last post it took, with the change number of their last change.
        std::map<std::string, std::uint64_t> dirty;
        std::int64_t next_full_ms = 0;  // 0: a full post is due now
        bool failing = false;
        std::int64_t retry_at_ms = 0;
        std::int64_t down_since_ms = 0;
        webhook::backoff backoff;
    };

    void resolve_entry(const std::string& id, std::int64_t ends_at_ms);
    void add_resolution(const alert_content& alert, std::int64_t ends_at_ms);
    void mark_dirty(const std::string& id);
    void drop_resolution_of(const label_set& labels);

    book_timing timing_;
    label_options options_;
    std::map<std::string, entry> entries_;           // by exception id
    std::map<std::string, resolution> resolutions_;  // by label key
    std::vector<target_state> targets_;
    bool changed_ = false;
    std::uint64_t change_no_ = 0;  // counts changes: tells a change from a later one
};

}  // namespace baton::adapters::alerts
