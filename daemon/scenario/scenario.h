// Flow scenarios (`batond --test-flow`, docs/scenarios.md): a YAML file that plays events, the
// clock and people's actions against the configured flow and says what must happen at each
// step. This is the file format and its strict parsing into plain structs; running them is
// scenario_runner.h. Every problem in a file is a config_error naming file, key path and line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config_error.h"
#include "control.h"
#include "customers_file.h"
#include "flow.h"
#include "refusal.h"
#include "value.h"

namespace baton {

class schema_set;

// The fake clock starts here unless a scenario says `start:` (a Monday, 08:00 UTC).
inline constexpr const char* scenario_default_start = "2026-03-02T08:00:00Z";

// An expected exception transition: a kind, and optionally what the record must say.
struct exception_expect {
    std::string kind;
    std::string severity;  // "" = any
    std::string dept;      // "" = any
    std::string detail;    // a substring of the detail; "" = any
    std::string scope;     // "" = any
};

// An expected task transition: a department, and optionally part of its action text.
struct task_expect {
    std::string dept;
    std::string action;  // a substring; "" = any
};

// A relayed message of `topic` whose data contains `data`. Expected trees keep every scalar as
// its YAML text (nil for null) and are compared by the type of the actual value.
struct relayed_data_expect {
    std::string topic;
    value data;
};

// What must hold after a step; each part is checked only when the file gives it.
struct step_expect {
    std::string order;  // the order the checks are about ("": the step's)
    std::optional<std::string> stage, holder;
    std::optional<std::vector<std::string>> relayed;  // in this order, others may be between
    std::vector<std::string> not_relayed;
    std::vector<relayed_data_expect> relayed_data;
    std::optional<std::vector<exception_expect>> raised, resolved, escalated, acknowledged;
    std::optional<std::vector<task_expect>> tasks_opened, tasks_done, tasks_escalated;
    std::optional<std::vector<std::string>> open;  // kinds open or acknowledged on the order
    std::optional<value> order_view;               // subset of the control command `order`
    std::optional<refusal> refused;                // the event must be refused with this code
};

struct scenario_event {
    std::string topic;
    std::string id;      // the envelope id ("" until the runner numbers it)
    std::string source;  // default: the topic's department
    std::optional<std::string> order;
    value data = value(value_map{});
};

// A person's action. The target is an exception kind open on the step's order or an id
// ("E-3"), a department with an open task on the order or an id ("T-2").
struct scenario_act {
    desk_action action = desk_action::ack;
    std::string target;
    std::string by = "scenario";
    std::string note;
};

struct scenario_step {
    int number = 0;          // 1-based, as reports name it
    int line = 0;            // in the file, 1-based
    std::int64_t at_ms = 0;  // since the start (`at`, or `after` added to the previous step)
    std::string order;       // the order the step is about ("" when none yet)
    std::optional<scenario_event> event;
    std::optional<scenario_act> act;
    step_expect expect;
};

struct scenario {
    std::string file;
    std::string name;
    std::string description;
    std::optional<flow_def> flow;                    // the flow with the file's overrides
    std::optional<std::vector<customer>> customers;  // the seed with the file's customers
    std::int64_t start_ms = 0;                       // ms since the Unix epoch
    std::vector<scenario_step> steps;
};

// What a scenario file is checked against: the topics, the flow file it overrides and the seed
// customers it extends.
struct scenario_context {
    const schema_set* schemas = nullptr;
    std::string flow_file;
    std::vector<customer> customers;
};

// Reads and checks one scenario file; throws config_error (file, key path, reason and line).
scenario load_scenario(const std::string& path, const scenario_context& ctx);

// The scenario files a command line names: each file as it is, each folder's *.yaml files
// sorted by name. Throws config_error for a path that does not exist or a folder without any.
std::vector<std::string> scenario_files(const std::vector<std::string>& paths);

// A time since the start as a step's `at` writes it: 0s, 7d12h, 1h30m.
std::string scenario_time_text(std::int64_t ms);

// "2026-03-02T08:00:00Z" (seconds and the Z optional, a date alone is midnight) in ms since the
// epoch; nullopt when it is not such a time.
std::optional<std::int64_t> parse_utc_time(const std::string& text);

}  // namespace baton
