// The stored order state (format 3): every field round-trips, older formats are still read,
// it is smaller than the map it replaced, and damaged bytes give an error naming the field.
#include "order_state.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "codec.h"
#include "packed.h"

namespace baton {
namespace {

// An order with every field set, and the awkward values each encoding trick must survive:
// upper-case and non-UUID event ids, a milestone outside the table, times before the first
// sighting and at 0, journal seqs that do not grow, the extremes of int64.
order full_order() {
    order o;
    o.id = "SO-2026-000417";
    o.customer = "C-1001";
    o.placed = true;
    o.cancelled = false;
    o.prepay_switched = true;
    o.new_die = true;
    o.cancel_reason = "客户取消";
    o.amount_cents = 12345678;
    o.paid_cents = 2000000;
    o.charge_cents = std::numeric_limits<std::int64_t>::max();
    o.deposit_cents = 300000;
    o.open_counted_cents = -5;
    o.promised_date = "2027-01-15";
    o.terms = "prepay";
    o.salesperson = "王芳";
    o.customer_po = "PO-88";
    value lines(value_list{});
    for (int i = 0; i < 3; ++i) {
        value l;
        l.set("item", "PRF-" + std::to_string(i));
        l.set("die", "D-" + std::to_string(i));
        l.set("qty", 1000.5 + i);
        l.set("unit", "kg");
        l.set("amount_cents", static_cast<long long>(100000 * (i + 1)));
        lines.as_list().push_back(std::move(l));
    }
    set_lines(o, lines);
    o.planned_start = "2026-12-20";
    o.planned_finish = "2026-12-28";
    const std::int64_t t = 1796196924304;
    o.first_seen_ms = t;
    production_batch b;
    b.id = "B-1";
    b.press_line = "P2";
    b.planned_start = "2026-12-20";
    b.planned_finish = "2026-12-22";
    b.started = true;
    b.completed = true;
    b.event_id = "0d6f3a4e-8f1b-4c2a-9e7d-5b3c1a2f4e6d";
    b.good = {{1, 990500, "kg"}, {2, 1001000, ""}};
    b.scrap = {{1, 10000, "kg"}};
    b.qc_failures = 2;
    b.scheduled_ms = t + 1000;
    b.completed_ms = t + 86400000LL * 70;  // past a 32-bit distance
    o.batches = {b, production_batch{}};
    o.batches[1].id = "B-2";
    shipment s;
    s.id = "T-9";
    s.vehicle = "沪A12345";
    s.carrier = "顺丰";
    s.expected_delivery = "2026-12-30";
    s.state = shipment_state::failed;
    s.whole = false;
    s.dispatch_noted = true;
    s.sent = {{1, 500000, "kg"}};
    s.received = {{1, 499000, "kg"}};
    s.dispatched_ms = t + 5;
    s.answered_ms = t - 5;  // before the first sighting
    s.failure = "road closed";
    s.event_id = "0D6F3A4E-8F1B-4C2A-9E7D-5B3C1A2F4E6D";  // upper case: kept as text
    o.shipments = {s};
    invoice inv;
    inv.id = "INV-1";
    inv.shipment = "T-9";
    inv.amount_cents = 6000000;
    inv.invoice_date = "2026-12-31";
    inv.due_date = "2027-01-30";
    inv.issued_ms = t + 10;
    inv.paid_cents = 2000000;
    inv.settled_ms = 0;
    o.invoices = {inv};
    o.payments = {{"INV-1", 2000000, t + 11, "pay-7"}, {"", 1, 0, ""}};
    o.milestones["placed"] = {t, "6a0b8f7e-1c2d-4e3f-8a9b-0c1d2e3f4a5b"};
    o.milestones["paid"] = {t + 11, "pay-7"};
    o.milestones["quality_checked"] = {std::numeric_limits<std::int64_t>::min(), "x"};
    o.holds = {"credit", "quality"};
    o.stage = "production";
    o.holder = "production";
    o.stage_since_ms = t + 1000;
    o.departments = {"sales", "finance", "production"};
    order_case c;
    c.id = "CASE-1";
    c.kind = "complaint";
    c.state = "closed";
    c.detail = "表面划伤";
    c.resolution = "credit";
    c.opened_ms = t + 20;
    c.closed_ms = t + 30;
    c.departments = {"production", "sales"};
    c.complaint_kind = "surface";
    c.line = 2;
    c.outcome = "credit_note";
    c.root_cause = "die wear";
    c.credit_cents = 5000;
    o.cases = {c};
    o.events = {1, 7, 400000, 399999, std::numeric_limits<std::int64_t>::max()};
    o.visits = {{"credit_review", t, t + 500}, {"production", t + 1000, 0}};
    return o;
}

// Compared as their encoded map: what to_value writes is every field batond keeps.
std::string as_map(const order& o) {
    return encode_msgpack(to_value(o));
}

order round_trip(const order& o) {
    order back;
    std::string error;
    EXPECT_TRUE(decode_order_state(encode_order_state(o), back, error)) << error;
    return back;
}

TEST(order_state, every_field_of_an_order_comes_back_as_it_was) {
    const order o = full_order();
    const order back = round_trip(o);
    EXPECT_EQ(as_map(back), as_map(o));
    // What to_value leaves out or derives, compared directly.
    EXPECT_EQ(back.lines, o.lines);
    ASSERT_EQ(back.line_items.size(), 3u);
    EXPECT_EQ(back.line_items[2].ordered_milli, o.line_items[2].ordered_milli);
    EXPECT_EQ(back.line_items[1].amount_cents, 200000);
    EXPECT_EQ(back.quantity_problems, o.quantity_problems);
    EXPECT_EQ(back.shipments[0].event_id, "0D6F3A4E-8F1B-4C2A-9E7D-5B3C1A2F4E6D");
    EXPECT_EQ(back.batches[0].event_id, "0d6f3a4e-8f1b-4c2a-9e7d-5b3c1a2f4e6d");
    EXPECT_EQ(back.events, o.events);
    EXPECT_EQ(back.visits[1].left_ms, 0);
    EXPECT_EQ(back.invoices[0].settled_ms, 0);
    EXPECT_EQ(back.shipments[0].answered_ms, o.shipments[0].answered_ms);
    EXPECT_EQ(back.milestones.at("quality_checked").at_ms,
              std::numeric_limits<std::int64_t>::min());
}

// The line items come from the stored lines without a value tree, exactly as lines_of reads
// them from a value: odd quantities, amounts that are not amounts, lines that are not maps.
TEST(order_state, line_items_are_read_as_lines_of_reads_them) {
    value lines(value_list{});
    auto line = [&](std::initializer_list<std::pair<const char*, value>> fields) {
        value l;
        for (const auto& [k, v] : fields) l.set(k, v);
        lines.as_list().push_back(std::move(l));
    };
    line({{"item", "PRF-1"}, {"die", "D-1"}, {"unit", "kg"}, {"qty", 12.345}});
    line({{"item", "PRF-2"}, {"qty", static_cast<long long>(7)}, {"amount_cents", 0LL}});
    line({{"qty", "seven"}, {"amount_cents", -5LL}, {"unit", 3LL}});
    line({{"amount_cents", value(static_cast<unsigned long long>(1) << 63)}});
    line(
        {{"amount_cents", 1.5}, {"qty", static_cast<unsigned long long>(18446744073709551615ull)}});
    lines.as_list().push_back(value("not a line"));
    order o;
    o.id = "SO-1";
    set_lines(o, lines);
    const order back = round_trip(o);
    const std::vector<order_line> want = lines_of(lines);
    ASSERT_EQ(back.line_items.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        SCOPED_TRACE("line " + std::to_string(i));
        EXPECT_EQ(back.line_items[i].no, want[i].no);
        EXPECT_EQ(back.line_items[i].item, want[i].item);
        EXPECT_EQ(back.line_items[i].die, want[i].die);
        EXPECT_EQ(back.line_items[i].unit, want[i].unit);
        EXPECT_EQ(back.line_items[i].ordered_milli, want[i].ordered_milli);
        EXPECT_EQ(back.line_items[i].amount_cents, want[i].amount_cents);
    }
    EXPECT_EQ(back.line_items[0].ordered_milli, 12345);
    EXPECT_EQ(back.line_items[1].amount_cents, 0);
    EXPECT_EQ(back.line_items[2].amount_cents, -1);
    EXPECT_EQ(back.line_items[3].amount_cents, -1);
}

TEST(order_state, an_empty_order_comes_back_empty) {
    order o;
    o.id = "SO-1";
    const order back = round_trip(o);
    EXPECT_EQ(as_map(back), as_map(o));
    EXPECT_TRUE(back.lines.empty());
    EXPECT_TRUE(back.line_items.empty());
}

TEST(order_state, a_state_stored_as_a_map_by_an_older_batond_is_still_read) {
    const order o = full_order();
    order back;
    std::string error;
    ASSERT_TRUE(decode_order_state(encode_msgpack(to_value(o)), back, error)) << error;
    EXPECT_EQ(as_map(back), as_map(o));
}

TEST(order_state, it_is_less_than_half_the_size_of_the_map) {
    const order o = full_order();
    const std::size_t map = encode_msgpack(to_value(o)).size();
    const std::size_t packed = encode_order_state(o).size();
    EXPECT_LT(packed * 2, map) << "format 3 " << packed << " bytes, format 2 " << map;
}

TEST(order_state, every_cut_of_the_bytes_is_an_error_and_never_a_crash) {
    const std::string bytes = encode_order_state(full_order());
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        order back;
        std::string error;
        EXPECT_FALSE(decode_order_state(bytes.substr(0, n), back, error)) << n;
        EXPECT_FALSE(error.empty()) << n;
    }
}

TEST(order_state, a_field_of_the_wrong_type_is_named) {
    std::string bytes;
    packed_writer w(bytes);
    w.array(31);
    w.integer(order_state_format);
    w.str("SO-1");
    w.integer(0);
    w.integer(1001);  // customer: must be a string
    for (int i = 4; i < 31; ++i) w.nil();
    order back;
    std::string error;
    EXPECT_FALSE(decode_order_state(bytes, back, error));
    EXPECT_EQ(error, "format 3: order customer: expected str, got int");
}

TEST(order_state, damage_inside_a_batch_names_the_batch_and_field) {
    order o = full_order();
    o.batches[1].event_id = "0d6f3a4e-8f1b-4c2a-9e7d-5b3c1a2f4e6d";
    std::string bytes = encode_order_state(o);
    // The second batch's event id is the second occurrence of its 16 bytes: make it 15.
    const std::string uuid_bin("\xc4\x10\x0d\x6f\x3a\x4e", 6);
    const auto first = bytes.find(uuid_bin);
    const auto second = bytes.find(uuid_bin, first + 1);
    ASSERT_NE(second, std::string::npos);
    bytes[second + 1] = '\x0f';
    bytes.erase(second + 2, 1);
    order back;
    std::string error;
    EXPECT_FALSE(decode_order_state(bytes, back, error));
    EXPECT_EQ(error, "format 3: batches[1] event: an event id of 15 bytes, expected 16");
}

// A list's count is read from the bytes: a damaged one claiming four billion items is refused
// as bytes that end too soon, in every list, without reserving room for what is not there.
TEST(order_state, a_list_claiming_more_items_than_its_bytes_hold_is_refused) {
    const std::string huge("\xdd\xff\xff\xff\xff", 5);
    const int lists[] = {15, 18, 19, 20, 21, 22, 23, 27, 28, 29, 30};
    for (const int damaged : lists) {
        std::string bytes;
        packed_writer w(bytes);
        w.array(31);
        for (int i = 0; i < 31; ++i) {
            if (i == damaged) {
                if (i == 15)
                    w.bin(huge);  // the lines' own bytes
                else
                    w.raw(huge);
                break;
            }
            if (i == 0)
                w.integer(order_state_format);
            else if (i == 1)
                w.str("SO-1");
            else if (i == 15 || i == 26)
                w.nil();
            else if (i >= 18 && i <= 30 && i != 24 && i != 25)
                w.array(0);
            else if (i == 2 || i == 4 || (i >= 6 && i <= 10))
                w.integer(0);
            else
                w.str("");
        }
        order back;
        std::string error;
        EXPECT_FALSE(decode_order_state(bytes, back, error)) << damaged;
        EXPECT_NE(error.find("truncated MessagePack"), std::string::npos)
            << damaged << ": " << error;
    }
    // And a batch's quantities.
    std::string batch;
    {
        packed_writer w(batch);
        w.array(11);
        w.str("B1");
        for (int i = 0; i < 3; ++i) w.str("");
        w.integer(0);
        w.str("");  // no event
        w.raw(huge);
    }
    order one;
    one.id = "SO-1";
    one.batches.push_back({});
    std::string valid = encode_order_state(one);
    const auto at = valid.find(std::string("\x9b\xa0", 2));  // the batch: 11 fields, id ""
    ASSERT_NE(at, std::string::npos);
    valid = valid.substr(0, at) + batch;
    order back;
    std::string error;
    EXPECT_FALSE(decode_order_state(valid, back, error));
    EXPECT_NE(error.find("batches[0] good: truncated MessagePack"), std::string::npos) << error;
}

TEST(order_state, an_unknown_format_is_refused_by_number) {
    std::string bytes;
    packed_writer w(bytes);
    w.array(2);
    w.integer(4);
    w.str("SO-1");
    order back;
    std::string error;
    EXPECT_FALSE(decode_order_state(bytes, back, error));
    EXPECT_EQ(error, "format 4 is unknown (this batond reads 1 to 3)");
}

TEST(order_state, an_unknown_milestone_number_is_an_error) {
    order o;
    o.id = "SO-1";
    o.milestones["placed"] = {5, "e"};
    std::string bytes = encode_order_state(o);
    // "placed" is number 0 (positive fixint 0x00) right after the milestones' array header.
    const auto at = bytes.find(std::string("\x93\x00", 2));
    ASSERT_NE(at, std::string::npos);
    bytes[at + 1] = '\x7f';
    order back;
    std::string error;
    EXPECT_FALSE(decode_order_state(bytes, back, error));
    EXPECT_EQ(error, "format 3: order milestones: unknown milestone number 127");
}

}  // namespace
}  // namespace baton
