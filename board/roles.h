// Who may do what on the board: the four roles of the users file and the one table that says
// which role may take which action. Pages ask here before they show a button, the server asks
// again before it forwards the action to batond.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace baton::board {

// Each role can do everything the one before it can.
enum class role { viewer, clerk, lead, admin };

std::string_view role_name(role r);
std::optional<role> parse_role(std::string_view name);

// The logged-in person, as the users file knows them.
struct person {
    std::string name;     // login name; what batond records as `by`
    std::string display;  // shown on pages
    std::string dept;     // sales, finance, production, logistics, customer_service, ...
    role level = role::viewer;
    std::string lang;  // "en", "zh" or "" (the browser's Accept-Language decides)
};

enum class action {
    ack,        // acknowledge an exception
    resolve,    // resolve an exception
    task_done,  // mark a task done
    assign,     // give an unassigned exception or task to someone
    reassign,   // give one already assigned to someone else to another person
    users,      // add, change and disable users
};

std::string_view action_name(action a);

// Whether `who` may take `a` on a record owned by department `dept` and given to `assignee`
// ("" when it is its department's). One table (roles.cpp):
// - viewer: nothing.
// - clerk: ack anything (customer service chases every exception); resolve, task done and
//   assign on records that are theirs: given to them, or their department's and given to
//   nobody. (Passing on a record given to them is `assign`; the server asks for `reassign`
//   only when the record is given to someone else.)
// - lead: ack, resolve, task done, assign and reassign for any department.
// - admin: as lead, and users.
bool may(const person& who, action a, std::string_view dept = {}, std::string_view assignee = {});

}  // namespace baton::board
