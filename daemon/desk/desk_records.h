// The exception desk's records: an exception and a coordination task, their states, what can
// happen to them, and their stored form. Inside batond states are enums; the names below are
// what the store, the feed, the relay and the control socket read, unchanged since they began.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "desk_kinds.h"
#include "value.h"

namespace baton {

enum class exception_state : std::uint8_t { open, acknowledged, resolved };
enum class task_state : std::uint8_t { open, escalated, done };

// What just happened to a record: the `state` of a feed line and of a relay message.
enum class exception_transition : std::uint8_t {
    raised,
    acknowledged,
    escalated,
    resolved,
    updated,   // stored only: bookkeeping nobody needs to see
    assigned,  // given to a person
};
enum class task_transition : std::uint8_t { opened, escalated, done, assigned };

// One thing that happened to a record, in its history: when, who ("baton" for batond itself),
// what (a transition's name), to whom it was assigned, and the note.
struct record_step {
    std::int64_t at_ms = 0;
    std::string by;
    std::string what;
    std::string to;
    std::string note;
};
// A record keeps its first step and its latest ones, at most this many in all.
inline constexpr std::size_t max_history = 100;
void add_step(std::vector<record_step>& history, record_step step);

const char* state_name(exception_state s);
const char* state_name(task_state s);
const char* transition_name(exception_transition t);
const char* transition_name(task_transition t);
std::optional<exception_state> exception_state_from(const std::string& name);
std::optional<task_state> task_state_from(const std::string& name);

struct exception_record {
    std::uint64_t id = 0;
    exception_kind kind = exception_kind::stage_overdue;
    std::string order;  // "" for feed_gap
    std::string customer;
    std::string dept;  // the department that owns it
    severity level = severity::low;
    exception_state state = exception_state::open;
    std::string detail;                   // one line a person understands
    std::string stage;                    // stage-bound kinds: the stage it watches
    std::int64_t since_ms = 0;            // stage-bound kinds: when the order entered that stage
    std::string scope;                    // feed_gap: the source; cases: the case id
    std::vector<std::string> resolve_on;  // milestones whose arrival removes the cause
    int step = 0;  // timer steps taken: 0 warning, 1 overdue, 2.. escalations
    std::int64_t raised_ms = 0;
    std::int64_t updated_ms = 0;
    std::int64_t resolved_ms = 0;
    std::string by;  // who acknowledged or resolved it ("baton" when it resolved itself)
    std::string note;
    std::string assignee;              // the person it is given to ("" : the department)
    std::vector<record_step> history;  // every raise, action and change, oldest first
};

struct task_record {
    std::uint64_t id = 0;
    std::string dept;
    std::string order;
    std::string action;  // "finance: review credit hold on SO-123"
    task_state state = task_state::open;
    std::uint64_t exception_id = 0;  // 0: a follow-up of a fact, not of an exception
    std::string answer;  // follow-ups: the topic on its order that closes it ("" : people only)
    std::int64_t opened_ms = 0;
    std::int64_t due_ms = 0;
    std::int64_t closed_ms = 0;
    std::string by;
    std::string note;
    std::string assignee;
    std::vector<record_step> history;
};

// The stored form, and the record read back from its MessagePack bytes. Reading is lenient, as
// it always was: a missing field, or one of another type, reads as empty or zero, an unknown
// severity as low, an unknown state as open; a kind this batond does not know reads as
// feed_gap (which only a person resolves); fields it does not know are passed over. Throws
// std::runtime_error saying why when the bytes are not one MessagePack map, or hold what
// decode_msgpack refuses (a key twice in a map, a key that is not a string, text that is not
// UTF-8, bin or ext values).
value to_value(const exception_record& e);
exception_record exception_from_stored(std::string_view bytes);
value to_value(const task_record& t);
task_record task_from_stored(std::string_view bytes);

}  // namespace baton
