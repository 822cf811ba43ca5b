// The roles table (roles.h).
#include "roles.h"

#include <array>

namespace baton::board {

namespace {

struct role_row {
    role level;
    std::string_view name;
};
constexpr std::array<role_row, 4> roles{{{role::viewer, "viewer"},
                                         {role::clerk, "clerk"},
                                         {role::lead, "lead"},
                                         {role::admin, "admin"}}};

// What each action needs: the least role, and whether a clerk needs the record to be theirs
// (their department's, or given to them).
struct action_row {
    action a;
    std::string_view name;
    role least;
    bool own_only_below_lead;
};
constexpr std::array<action_row, 6> actions{{
    {action::ack, "ack", role::clerk, false},
    {action::resolve, "resolve", role::clerk, true},
    {action::task_done, "task_done", role::clerk, true},
    {action::assign, "assign", role::clerk, true},
    {action::reassign, "reassign", role::lead, false},
    {action::users, "users", role::admin, false},
}};

}  // namespace

std::string_view role_name(role r) {
    for (const auto& row : roles)
        if (row.level == r) return row.name;
    return "viewer";
}

std::optional<role> parse_role(std::string_view name) {
    for (const auto& row : roles)
        if (row.name == name) return row.level;
    return std::nullopt;
}

std::string_view action_name(action a) {
    for (const auto& row : actions)
        if (row.a == a) return row.name;
    return "";
}

bool may(const person& who, action a, std::string_view dept, std::string_view assignee) {
    for (const auto& row : actions) {
        if (row.a != a) continue;
        if (who.level < row.least) return false;
        if (who.level >= role::lead || !row.own_only_below_lead) return true;
        // Theirs: given to them, or their department's and given to nobody else.
        return (!assignee.empty() && assignee == who.name) ||
               (assignee.empty() && !dept.empty() && dept == who.dept);
    }
    return false;
}

}  // namespace baton::board
