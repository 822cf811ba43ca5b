// Every page of the board as a plain function: batond's reply (a decoded control reply) and the
// view context in, HTML out. No I/O here, so tests render each page from canned replies; the
// server (server.cpp) asks batond and hands the reply over.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "html.h"
#include "value.h"

namespace baton::board {

// The board's filters, as the query string carries them (checked by the server against the
// catalogue's vocabulary before batond is asked).
struct board_filter {
    std::string dept, kind, severity, customer, salesperson;
    bool mine = false;     // only what is given to the logged-in person
    std::size_t page = 1;  // 1-based
    std::size_t per_page = 50;
};
// The query string of a filter (for links: paging, the live refresh), without the page unless
// `with_page`.
std::string filter_query(const board_filter& f, bool with_page);

// The start page: counts per department and severity, the filter form, one page of open
// exceptions (reply of `exceptions` with `offset`: exceptions, total, counts), paging, and the
// live-update hook. `rows_only`: just the <tbody> rows and counts, for the live refresh.
std::string render_board(const view_ctx& v, const board_filter& f, const value& reply);
std::string render_board_fragment(const view_ctx& v, const board_filter& f, const value& reply);

// Tasks: the person's own (reply of `tasks` with assignee), then their department's.
std::string render_tasks(const view_ctx& v, const value& mine, const value& dept);

// An order (the `order` map of batond's `order` reply): header, stage timeline against the SLAs,
// milestones, quantities and backorder, batches, shipments, invoices, exceptions, tasks,
// relayed messages and the event history.
std::string render_order(const view_ctx& v, const value& order);

// A customer (the `customer` map of batond's `customer` reply).
std::string render_customer(const view_ctx& v, const value& customer);

// KPIs for a date range (reply of `kpi` with `every: week`), charts drawn by Chart.js from the
// data embedded in the page; and the same figures as CSV.
struct kpi_range {
    std::string from;   // YYYY-MM-DD or "" (from the beginning)
    std::string until;  // YYYY-MM-DD (exclusive) or "" (until now)
};
std::string render_kpi(const view_ctx& v, const kpi_range& range, const value& kpi);
std::string kpi_csv(const view_ctx& v, const value& kpi);

// Search results: orders (reply of `orders`, by id or customer PO) and customers (items of
// `customers` matching the text).
std::string render_search(const view_ctx& v, std::string_view query, const value& orders,
                          const value_list& customers);

// The login page (no session yet: `v.me` is empty, `v.csrf` the pre-session token).
std::string render_login(const view_ctx& v, std::string_view message, std::string_view name);

// An error page with the status's meaning and one line of reason.
std::string render_error(const view_ctx& v, int status, std::string_view message);

// Users (admin): the list and the form to add or change one. `message`: the result of the last
// change, shown on top ("" for none).
std::string render_users(const view_ctx& v, const std::vector<person>& users,
                         std::string_view message);

}  // namespace baton::board
