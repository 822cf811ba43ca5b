// Quantities, values, payments and ageing of an order (quantities.h).
#include "quantities.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "dates.h"

namespace baton {

std::int64_t to_milli(double qty) {
    if (!(qty > 0)) return 0;
    if (qty > 1e12) qty = 1e12;
    return std::llround(qty * 1000.0);
}

std::string milli_text(std::int64_t milli) {
    std::string s = std::to_string(milli / 1000);
    std::int64_t frac = std::llabs(milli % 1000);
    if (milli < 0 && milli > -1000) s = "-" + s;
    if (frac != 0) {
        std::string f = std::to_string(frac);
        f.insert(0, 3 - f.size(), '0');
        while (!f.empty() && f.back() == '0') f.pop_back();
        s += "." + f;
    }
    return s;
}

namespace {

__extension__ typedef __int128 wide;  // GCC and Clang's 128-bit integer

// wanted * bp / 10000, rounded down.
std::int64_t share(std::int64_t wanted, int bp) {
    return mul_div(wanted, bp, 10000);
}

}  // namespace

std::int64_t mul_div(std::int64_t a, std::int64_t b, std::int64_t c) {
    if (c == 0) return 0;
    return static_cast<std::int64_t>(static_cast<wide>(a) * b / c);
}

bool covers(std::int64_t got, std::int64_t wanted, int tolerance_bp) {
    return got >= wanted - share(wanted, tolerance_bp);
}

bool within(std::int64_t got, std::int64_t wanted, int tolerance_bp) {
    const std::int64_t slack = share(wanted, tolerance_bp);
    return got >= wanted - slack && got <= wanted + slack;
}

namespace {

// Problems kept per order: enough to show a person, bounded for a hostile sender.
constexpr std::size_t max_problems = 20;

// Adds a fact's quantities to the lines (`field` picks the total). A quantity without a line
// counts for a one-line order; a unit other than the line's is not counted.
void add(order_totals& t, const std::vector<line_qty>& qs, std::int64_t line_totals::*field,
         const char* what) {
    for (const auto& q : qs) {
        int no = q.line;
        if (no == 0 && t.lines.size() == 1) no = t.lines.front().no;
        // Lines are numbered 1, 2, ... in list order (lines_of): line n is at n - 1.
        const bool known = no >= 1 && static_cast<std::size_t>(no) <= t.lines.size();
        if (!known) {
            if (!t.lines.empty() && t.problems.size() < max_problems)
                t.problems.push_back({std::string(what) + " names line " + std::to_string(no) +
                                      ", which the order does not have"});
            continue;
        }
        auto it = t.lines.begin() + (no - 1);
        if (!q.unit.empty() && !it->unit.empty() && q.unit != it->unit) {
            if (t.problems.size() >= max_problems) continue;
            t.problems.push_back({std::string(what) + " of " + milli_text(q.milli) + " " + q.unit +
                                  " for line " + std::to_string(it->no) + ", which is in " +
                                  it->unit + ": not counted"});
            continue;
        }
        (*it).*field += q.milli;
    }
}

bool names_no_line(const std::vector<line_qty>& qs) {
    return std::all_of(qs.begin(), qs.end(), [](const line_qty& q) { return q.line == 0; });
}

}  // namespace

order_totals totals_of(const order& o) {
    order_totals t;
    t.lines.reserve(o.line_items.size());
    for (const auto& l : o.line_items) {
        line_totals lt;
        lt.no = l.no;
        lt.item = l.item;
        lt.unit = l.unit;
        lt.ordered = l.ordered_milli;
        t.lines.push_back(std::move(lt));
    }
    const bool one_line = t.lines.size() == 1;
    // An order whose lines are unknown: whatever a fact covered, it covered the whole order.
    const bool no_lines = t.lines.empty();
    for (const auto& b : o.batches) {
        if (!b.completed) continue;
        // A completion without lines on a multi-line order is the whole order, as it always was.
        if (b.whole || no_lines || (!one_line && names_no_line(b.good) && names_no_line(b.scrap)))
            t.produced_whole = true;
        else {
            add(t, b.good, &line_totals::good, "a batch");
            add(t, b.scrap, &line_totals::scrap, "a batch's scrap");
        }
    }
    for (const auto& s : o.shipments) {
        const bool whole =
            s.whole || no_lines || (!one_line && names_no_line(s.sent) && !s.sent.empty());
        if (s.state != shipment_state::failed) {
            if (whole)
                t.dispatched_whole = true;
            else {
                add(t, s.sent, &line_totals::dispatched, "a shipment");
                if (s.state == shipment_state::on_road)
                    add(t, s.sent, &line_totals::on_road, "a shipment");
                // What arrived beyond what the dispatch note said was dispatched all the same.
                if (s.state == shipment_state::delivered) {
                    // (A quantity without a line is the one line's, as add() counts it.)
                    auto line_of = [&](const line_qty& q) {
                        return q.line == 0 && one_line ? t.lines.front().no : q.line;
                    };
                    std::map<int, std::int64_t> sent, extra;
                    for (const auto& q : s.sent) sent[line_of(q)] += q.milli;
                    for (const auto& q : s.received) extra[line_of(q)] += q.milli;
                    std::vector<line_qty> beyond;
                    for (const auto& q : s.received) {
                        const int no = line_of(q);
                        if (extra[no] > sent[no]) {
                            beyond.push_back({no, extra[no] - sent[no], q.unit});
                            extra[no] = sent[no];  // once per line
                        }
                    }
                    std::vector<quantity_problem> kept = t.problems;
                    add(t, beyond, &line_totals::dispatched, "a delivery");
                    t.problems = std::move(kept);  // the delivery reports its own problems
                }
            }
        }
        if (s.state == shipment_state::delivered) {
            const bool whole_received =
                s.whole || no_lines ||
                (!one_line && names_no_line(s.received) && !s.received.empty());
            if (whole_received)
                t.delivered_whole = true;
            else
                add(t, s.received, &line_totals::delivered, "a delivery");
        }
    }
    // The same problem found twice (sent, then on the road) is one problem.
    std::vector<quantity_problem> unique;
    for (auto& p : t.problems)
        if (std::none_of(unique.begin(), unique.end(),
                         [&](const quantity_problem& u) { return u.detail == p.detail; }))
            unique.push_back(std::move(p));
    t.problems = std::move(unique);
    return t;
}

namespace {

std::int64_t got_of(const line_totals& l, measure m) {
    switch (m) {
        case measure::good: return l.good;
        case measure::dispatched: return l.dispatched;
        case measure::delivered: return l.delivered;
    }
    return 0;
}

bool whole_of(const order_totals& t, measure m) {
    switch (m) {
        case measure::good: return t.produced_whole;
        case measure::dispatched: return t.dispatched_whole || t.delivered_whole;
        case measure::delivered: return t.delivered_whole;
    }
    return false;
}

const char* measure_name(measure m) {
    switch (m) {
        case measure::good: return "produced";
        case measure::dispatched: return "dispatched";
        case measure::delivered: return "delivered";
    }
    return "";
}

}  // namespace

bool covered(const order_totals& t, measure m, const tolerances& tol) {
    if (whole_of(t, m)) return true;
    if (t.lines.empty()) return false;
    return std::all_of(t.lines.begin(), t.lines.end(), [&](const line_totals& l) {
        return covers(got_of(l, m), l.ordered, tol.of(l.unit));
    });
}

std::vector<std::string> shortfalls(const order_totals& t, measure m, const tolerances& tol) {
    std::vector<std::string> out;
    if (whole_of(t, m)) return out;
    for (const auto& l : t.lines) {
        const std::int64_t got = got_of(l, m);
        if (covers(got, l.ordered, tol.of(l.unit))) continue;
        out.push_back("line " + std::to_string(l.no) + (l.item.empty() ? "" : " (" + l.item + ")") +
                      ": " + milli_text(l.ordered - got) + " " + l.unit + " of " +
                      milli_text(l.ordered) + " not " + measure_name(m));
    }
    return out;
}

std::vector<backorder_line> backorder(const order_totals& t) {
    std::vector<backorder_line> out;
    if (t.dispatched_whole || t.delivered_whole) return out;
    for (const auto& l : t.lines) {
        const std::int64_t sent = std::max(l.dispatched, l.delivered);
        if (l.ordered > sent) out.push_back({l.no, l.item, l.unit, l.ordered - sent});
    }
    return out;
}

std::int64_t line_value_cents(const order& o, const line_totals& l, std::int64_t milli) {
    if (milli <= 0 || l.ordered <= 0) return 0;
    // Far more than ordered is a sender's error, not money: value at most 1000 times the line.
    milli = std::min(milli, l.ordered * 1000);
    // The line's own value, when the order gave it.
    for (const auto& li : o.line_items)
        if (li.no == l.no && li.amount_cents >= 0)
            return mul_div(li.amount_cents, milli, li.ordered_milli);
    // Else its share of what the lines with a value leave of the order's amount.
    std::int64_t rest = o.amount_cents;
    std::int64_t pool_qty = 0;
    std::size_t without = 0;
    bool one_unit = true;
    for (const auto& li : o.line_items) {
        if (li.amount_cents >= 0) {
            rest -= li.amount_cents;
            continue;
        }
        ++without;
        pool_qty += li.ordered_milli;
        if (li.unit != l.unit) one_unit = false;
    }
    if (rest <= 0 || without == 0) return 0;
    // The line's share of the rest, then the part of it that `milli` is.
    const std::int64_t line_share = one_unit && pool_qty > 0
                                        ? mul_div(rest, l.ordered, pool_qty)
                                        : rest / static_cast<std::int64_t>(without);
    return mul_div(line_share, milli, l.ordered);
}

std::int64_t delivered_value_cents(const order& o, const order_totals& t) {
    if (t.delivered_whole) return o.amount_cents;
    std::int64_t v = 0;
    for (const auto& l : t.lines) v += line_value_cents(o, l, l.delivered);
    return v;
}

std::int64_t shipment_value_cents(const order& o, const order_totals& t, const shipment& s) {
    const auto& qs = s.state == shipment_state::delivered ? s.received : s.sent;
    if (s.whole || (t.lines.size() > 1 && names_no_line(qs) && !qs.empty())) return o.amount_cents;
    std::int64_t v = 0;
    for (const auto& q : qs) {
        int no = q.line == 0 && t.lines.size() == 1 ? t.lines.front().no : q.line;
        for (const auto& l : t.lines)
            if (l.no == no && (q.unit.empty() || q.unit == l.unit))
                v += line_value_cents(o, l, q.milli);
    }
    return v;
}

std::int64_t allocate_payments(order& o) {
    for (auto& inv : o.invoices) {
        inv.paid_cents = 0;
        inv.settled_ms = 0;
    }
    // Invoices oldest first for payments that name none: by due date, then as issued.
    std::vector<invoice*> oldest;
    for (auto& inv : o.invoices) oldest.push_back(&inv);
    std::stable_sort(oldest.begin(), oldest.end(),
                     [](const invoice* a, const invoice* b) { return a->due_date < b->due_date; });
    auto settle = [](invoice& inv, std::int64_t& amount, std::int64_t at_ms) {
        const std::int64_t take = std::min(amount, inv.amount_cents - inv.paid_cents);
        if (take <= 0) return;
        inv.paid_cents += take;
        amount -= take;
        if (inv.paid_cents >= inv.amount_cents && inv.settled_ms == 0) inv.settled_ms = at_ms;
    };
    // Payments in the order received; a payment for an invoice not (yet) issued waits in the
    // pool for the others.
    std::int64_t unapplied = 0;
    std::vector<std::pair<std::int64_t, std::int64_t>> pool;  // amount, at
    for (const auto& p : o.payments) {
        std::int64_t amount = p.amount_cents;
        if (!p.invoice.empty())
            if (invoice* inv = o.find_invoice(p.invoice)) settle(*inv, amount, p.at_ms);
        if (amount > 0) pool.push_back({amount, p.at_ms});
    }
    for (auto& [amount, at] : pool) {
        for (invoice* inv : oldest) {
            if (amount <= 0) break;
            // Money paid before the invoice existed settles it when it is issued.
            settle(*inv, amount, std::max(at, inv->issued_ms));
        }
        unapplied += amount;
    }
    return unapplied;
}

otif_result otif_of(const order& o, const tolerances& tol) {
    otif_result r;
    auto delivered = o.milestones.find("delivered");
    r.delivered = delivered != o.milestones.end();
    auto promised = date_start_ms(o.promised_date);
    const std::int64_t deadline =
        promised ? *promised + day_ms : std::numeric_limits<std::int64_t>::max();
    if (r.delivered) r.on_time = delivered->second.at_ms < deadline;
    const order_totals all = totals_of(o);
    if (all.delivered_whole || all.lines.empty()) {
        r.in_full = r.delivered;
        r.otif = r.on_time && r.in_full;
        r.lines = all.lines.size();
        r.lines_otif = r.otif ? r.lines : 0;
        return r;
    }
    // What arrived by the deadline: the same totals over the shipments delivered by then.
    order by_then = o;
    for (auto& s : by_then.shipments)
        if (s.state == shipment_state::delivered && s.answered_ms >= deadline)
            s.state = shipment_state::on_road;
    const order_totals timely = totals_of(by_then);
    r.in_full = true;
    r.lines = all.lines.size();
    for (std::size_t i = 0; i < all.lines.size(); ++i) {
        const auto& l = all.lines[i];
        if (!within(l.delivered, l.ordered, tol.of(l.unit))) r.in_full = false;
        const auto& t = timely.lines[i];
        if (within(t.delivered, t.ordered, tol.of(t.unit))) ++r.lines_otif;
    }
    r.otif = r.lines_otif == r.lines;
    return r;
}

int ageing_bucket(std::int64_t days) {
    if (days < 0) return -1;
    if (days <= 30) return 0;
    if (days <= 60) return 1;
    if (days <= 90) return 2;
    return 3;
}

std::int64_t days_overdue(const std::string& due_date, std::int64_t now_ms) {
    auto start = date_start_ms(due_date);
    if (!start) return std::numeric_limits<std::int64_t>::min();
    const std::int64_t since = now_ms - (*start + day_ms);
    if (since < 0) return -1 - (-since - 1) / day_ms;
    return since / day_ms;
}

}  // namespace baton
