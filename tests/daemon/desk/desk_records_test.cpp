// Tests of daemon/desk_records: exception and task records survive the store (to_value, then
// MessagePack, then back) with every kind, state and severity; their stored form and the names
// of states and transitions are exactly what the store, the feed and the clients have read
// since the first release; a record stored by an older batond reads back the same.
#include "desk_records.h"

#include <gtest/gtest.h>

#include <cstring>

#include <string>

#include "codec.h"
#include "desk_print.h"
#include "json.h"

namespace baton {
namespace {

constexpr exception_state exception_states[] = {
    exception_state::open, exception_state::acknowledged, exception_state::resolved};
constexpr task_state task_states[] = {task_state::open, task_state::escalated, task_state::done};
constexpr severity severities[] = {severity::warning, severity::low, severity::medium,
                                   severity::high, severity::critical};

value through_msgpack(const value& v) {
    value out;
    std::string error;
    EXPECT_TRUE(decode_msgpack(encode_msgpack(v), decode_limits{}, out, error)) << error;
    return out;
}

exception_record sample_exception() {
    exception_record e;
    e.id = 42;
    e.kind = exception_kind::payment_overdue;
    e.order = "SO-26-0042";
    e.customer = "C-2002";
    e.dept = "finance";
    e.level = severity::high;
    e.state = exception_state::acknowledged;
    e.detail = "SO-26-0042 has been in payment for 6d; SLA 3d; holder finance";
    e.stage = "payment";
    e.since_ms = 1795000000000;
    e.scope = "";
    e.resolve_on = {"paid", ""};
    e.step = 2;
    e.raised_ms = 1795259200000;
    e.updated_ms = 1795518400000;
    e.resolved_ms = 0;
    e.by = "a.lead";
    e.note = "customer pays on Friday";
    return e;
}

// A record a person has worked: assigned, with steps in its history.
exception_record worked_exception() {
    exception_record e = sample_exception();
    e.assignee = "li.na";
    e.history = {{1795259200000, "baton", "raised", "", ""},
                 {1795300000000, "a.lead", "assigned", "li.na", "她负责 this one"},
                 {1795518400000, "li.na", "acknowledged", "", "customer pays on Friday"}};
    return e;
}

task_record sample_task() {
    task_record t;
    t.id = 7;
    t.dept = "sales";
    t.order = "SO-26-0042";
    t.action = "sales: ask C-2002 to pay SO-26-0042";
    t.state = task_state::escalated;
    t.exception_id = 42;
    t.opened_ms = 1795259200000;
    t.due_ms = 1795273600000;
    t.closed_ms = 0;
    t.by = "";
    t.note = "";
    return t;
}

TEST(desk_records, exceptions_of_every_kind_state_and_severity_survive_the_store) {
    int n = 0;
    for (const char* name : exception_kinds)
        for (exception_state state : exception_states)
            for (severity level : severities) {
                exception_record e = sample_exception();
                e.id = static_cast<std::uint64_t>(++n);
                e.kind = kind_from(name).value();
                e.state = state;
                e.level = level;
                const value stored = through_msgpack(to_value(e));
                SCOPED_TRACE(to_json(stored));
                EXPECT_EQ(stored.find("kind")->as_string(), name);
                EXPECT_EQ(stored.find("state")->as_string(), state_name(state));
                EXPECT_EQ(stored.find("severity")->as_string(), severity_name(level));
                expect_same(exception_from_stored(encode_msgpack(stored)), e);
            }
    EXPECT_EQ(n, 15 * 3 * 5);
}

TEST(desk_records, tasks_of_every_state_survive_the_store) {
    for (task_state state : task_states) {
        task_record t = sample_task();
        t.state = state;
        const value stored = through_msgpack(to_value(t));
        EXPECT_EQ(stored.find("state")->as_string(), state_name(state));
        expect_same(task_from_stored(encode_msgpack(stored)), t);
    }
    task_record without_exception = sample_task();
    without_exception.exception_id = 0;
    EXPECT_EQ(to_value(without_exception).find("exception")->as_string(), "");
    expect_same(task_from_stored(encode_msgpack(to_value(without_exception))), without_exception);
}

TEST(desk_records, state_and_transition_names_are_the_ones_on_the_wire) {
    EXPECT_STREQ(state_name(exception_state::open), "open");
    EXPECT_STREQ(state_name(exception_state::acknowledged), "acknowledged");
    EXPECT_STREQ(state_name(exception_state::resolved), "resolved");
    EXPECT_STREQ(state_name(task_state::open), "open");
    EXPECT_STREQ(state_name(task_state::escalated), "escalated");
    EXPECT_STREQ(state_name(task_state::done), "done");
    EXPECT_STREQ(transition_name(exception_transition::raised), "raised");
    EXPECT_STREQ(transition_name(exception_transition::acknowledged), "acknowledged");
    EXPECT_STREQ(transition_name(exception_transition::escalated), "escalated");
    EXPECT_STREQ(transition_name(exception_transition::resolved), "resolved");
    EXPECT_STREQ(transition_name(exception_transition::updated), "updated");
    EXPECT_STREQ(transition_name(task_transition::opened), "opened");
    EXPECT_STREQ(transition_name(task_transition::escalated), "escalated");
    EXPECT_STREQ(transition_name(task_transition::done), "done");
    for (exception_state s : exception_states) EXPECT_EQ(exception_state_from(state_name(s)), s);
    for (task_state s : task_states) EXPECT_EQ(task_state_from(state_name(s)), s);
    EXPECT_EQ(exception_state_from("done"), std::nullopt);
    EXPECT_EQ(task_state_from("resolved"), std::nullopt);
}

// The stored form, field by field and in order, as batond has always written it; the person it
// is assigned to and its history came later, at the end.
TEST(desk_records, the_stored_form_is_unchanged) {
    EXPECT_EQ(to_json(to_value(sample_exception())),
              R"({"id":"E-42","kind":"payment_overdue","severity":"high","dept":"finance",)"
              R"("order":"SO-26-0042","customer":"C-2002","state":"acknowledged",)"
              R"("raised_at":1795259200000,"updated_at":1795518400000,"resolved_at":0,)"
              R"("detail":"SO-26-0042 has been in payment for 6d; SLA 3d; holder finance",)"
              R"("stage":"payment","since":1795000000000,"scope":"","resolve_on":["paid",""],)"
              R"("step":2,"by":"a.lead","note":"customer pays on Friday","assignee":"",)"
              R"("history":[]})");
    EXPECT_EQ(to_json(to_value(sample_task())),
              R"({"id":"T-7","dept":"sales","order":"SO-26-0042",)"
              R"("action":"sales: ask C-2002 to pay SO-26-0042","due_at":1795273600000,)"
              R"("state":"escalated","exception":"E-42","opened_at":1795259200000,)"
              R"("closed_at":0,"by":"","note":"","assignee":"","history":[]})");
}

// A record as an older batond stored it: names for kind and state, fields it did not write.
TEST(desk_records, a_record_stored_by_an_older_batond_reads_back) {
    value old;
    old.set("id", "E-9");
    old.set("kind", "case_overdue");
    old.set("severity", "critical");
    old.set("dept", "production");
    old.set("order", "SO-1");
    old.set("customer", "C-3003");
    old.set("state", "resolved");
    old.set("raised_at", 100);
    old.set("resolved_at", 300);
    old.set("detail", "case K-1 (complaint) on SO-1 has been open for 5d; streaks");
    old.set("scope", "K-1");
    old.set("by", "baton");
    old.set("note", "case closed: sent again");
    const exception_record e = exception_from_stored(encode_msgpack(old));
    EXPECT_EQ(e.id, 9u);
    EXPECT_EQ(e.kind, exception_kind::case_overdue);
    EXPECT_EQ(e.level, severity::critical);
    EXPECT_EQ(e.state, exception_state::resolved);
    EXPECT_EQ(e.scope, "K-1");
    EXPECT_EQ(e.raised_ms, 100);
    EXPECT_EQ(e.updated_ms, 0);  // not written: zero, as before
    EXPECT_EQ(e.resolved_ms, 300);
    EXPECT_TRUE(e.resolve_on.empty());
    EXPECT_EQ(e.step, 0);
    EXPECT_EQ(e.note, "case closed: sent again");

    value old_task;
    old_task.set("id", "T-3");
    old_task.set("dept", "production");
    old_task.set("order", "SO-1");
    old_task.set("action", "production: answer case K-1 on SO-1");
    old_task.set("state", "done");
    old_task.set("exception", "E-9");
    old_task.set("due_at", 500);
    const task_record t = task_from_stored(encode_msgpack(old_task));
    EXPECT_EQ(t.id, 3u);
    EXPECT_EQ(t.state, task_state::done);
    EXPECT_EQ(t.exception_id, 9u);
    EXPECT_EQ(t.due_ms, 500);
}

TEST(desk_records, a_worked_record_keeps_its_assignee_answer_and_history) {
    const exception_record e = worked_exception();
    expect_same(exception_from_stored(encode_msgpack(to_value(e))), e);
    task_record t = sample_task();
    t.answer = "finance.payment.received";
    t.assignee = "wang.wei";
    t.history = {{1795259200000, "baton", "opened", "", ""},
                 {1795260000000, "a.lead", "assigned", "wang.wei", ""}};
    expect_same(task_from_stored(encode_msgpack(to_value(t))), t);
}

// Fields of another type than batond writes read as empty or zero (never a throw), fields
// nobody knows are passed over, and history steps that are not maps read as empty steps.
TEST(desk_records, fields_of_another_type_read_as_empty_or_zero) {
    value odd;
    odd.set("id", 7);
    odd.set("kind", "credit_hold");
    odd.set("dept", value(value_list{value("finance")}));
    odd.set("raised_at", "yesterday");
    odd.set("updated_at", 2.5);
    odd.set("resolved_at", static_cast<unsigned long long>(1) << 63);  // past int64
    odd.set("since", -5);
    odd.set("resolve_on", value(value_list{value("paid"), value(3), value("released")}));
    odd.set("history", value(value_list{value("raised"), value(value_map{})}));
    odd.set("colour", "blue");
    const exception_record e = exception_from_stored(encode_msgpack(odd));
    EXPECT_EQ(e.id, 0u);
    EXPECT_EQ(e.kind, exception_kind::credit_hold);
    EXPECT_EQ(e.dept, "");
    EXPECT_EQ(e.raised_ms, 0);
    EXPECT_EQ(e.updated_ms, 0);
    EXPECT_EQ(e.resolved_ms, 0);
    EXPECT_EQ(e.since_ms, -5);
    EXPECT_EQ(e.resolve_on, (std::vector<std::string>{"paid", "released"}));
    ASSERT_EQ(e.history.size(), 2u);
    EXPECT_EQ(steps_of(e.history), (std::vector<std::string>{"0||||", "0||||"}));

    // Names of another type read as an unknown name does: feed_gap, low, open.
    value typed;
    typed.set("kind", 3);
    typed.set("severity", true);
    typed.set("state", value(value_list{}));
    const exception_record t = exception_from_stored(encode_msgpack(typed));
    EXPECT_EQ(t.kind, exception_kind::feed_gap);
    EXPECT_EQ(t.level, severity::low);
    EXPECT_EQ(t.state, exception_state::open);
    value typed_task;
    typed_task.set("state", 2);
    EXPECT_EQ(task_from_stored(encode_msgpack(typed_task)).state, task_state::open);
}

// A record stored without a kind reads as feed_gap, as one of a kind nobody knows (the record's
// default kind is another).
TEST(desk_records, a_record_without_a_kind_reads_as_a_feed_gap) {
    value bare;
    bare.set("id", "E-3");
    ASSERT_NE(exception_record{}.kind, exception_kind::feed_gap);
    EXPECT_EQ(exception_from_stored(encode_msgpack(bare)).kind, exception_kind::feed_gap);
}

// Bytes that are not one MessagePack map, or hold what a value tree refused, give an error that
// says why (a start turns it into "a stored exception is unreadable: ..."), with the reasons
// decode_msgpack gives.
TEST(desk_records, bytes_that_are_not_a_record_are_refused_with_the_reason) {
    const std::string whole = encode_msgpack(to_value(sample_exception()));
    auto why = [](auto read, const std::string& bytes) {
        try {
            read(bytes);
        } catch (const std::runtime_error& e) {
            return std::string(e.what());
        }
        return std::string("read without an error");
    };
    auto exception = [](const std::string& b) { (void)exception_from_stored(b); };
    auto task = [](const std::string& b) { (void)task_from_stored(b); };
    EXPECT_EQ(why(exception, whole), "read without an error");
    EXPECT_NE(why(exception, whole.substr(0, whole.size() / 2)).find("truncated"),
              std::string::npos);
    EXPECT_NE(why(exception, whole + "x").find("trailing"), std::string::npos);
    EXPECT_EQ(why(task, encode_msgpack(value("T-1"))), "expected a map, got str");
    EXPECT_EQ(why(task, std::string()), "empty");
    EXPECT_EQ(why(exception, encode_msgpack(value(value_list{}))), "expected a map, got array");

    // A map of two pairs, written byte by byte: each refusal as decode_msgpack words it.
    auto map2 = [](const std::string& k1, const std::string& v1, const std::string& k2,
                   const std::string& v2) { return std::string("\x82") + k1 + v1 + k2 + v2; };
    const std::string dept =
        "\xa4"
        "dept";
    const std::string sales =
        "\xa5"
        "sales";
    EXPECT_EQ(why(task, map2(dept, sales, dept, sales)), "decode: duplicate map key 'dept'");
    EXPECT_EQ(why(task, map2(std::string(1, '\x01'), sales, dept, sales)),
              "decode: map keys must be strings");
    EXPECT_EQ(why(task, map2(dept, "\xa2\xff\xfe", "\xa4note", sales)),
              "decode: string is not valid UTF-8");
    EXPECT_EQ(why(task, map2(dept, sales, "\xa2\xc3\x28", sales)),
              "decode: map key is not valid UTF-8");
    EXPECT_EQ(why(task, map2(dept, std::string("\xc4\x01x", 3), "\xa4note", sales)),
              "decode: bin values are not accepted");
    // Inside a history step, as anywhere in the record.
    value nested = to_value(sample_exception());
    value step;
    step.set("at", 1);
    nested.set("history", value(value_list{step}));
    std::string bytes = encode_msgpack(nested);
    const std::size_t at = bytes.rfind(
        "\xa2"
        "at");
    ASSERT_NE(at, std::string::npos);
    bytes.replace(at, 3, std::string("\xa2\xff\xfe", 3));
    EXPECT_EQ(why(exception, bytes), "decode: map key is not valid UTF-8");

    // A damaged count (2^32 - 1 steps in a history, names in resolve_on) is refused as bytes that
    // end early, with nothing reserved for what it claims.
    for (const char* list : {"history", "resolve_on"}) {
        const std::string claim = std::string("\x81") + char(0xa0 + std::strlen(list)) + list +
                                  std::string("\xdd\xff\xff\xff\xff\xc0", 6);
        EXPECT_EQ(why(exception, claim),
                  "truncated MessagePack (" + std::to_string(claim.size()) + " bytes)")
            << list;
    }
}

TEST(desk_records, names_nobody_wrote_read_leniently) {
    value odd;
    odd.set("id", "E-5");
    odd.set("kind", "moon_phase");
    odd.set("severity", "apocalyptic");
    odd.set("state", "pondering");
    const exception_record e = exception_from_stored(encode_msgpack(odd));
    EXPECT_EQ(e.id, 5u);
    EXPECT_EQ(e.kind, exception_kind::feed_gap);  // only a person resolves it
    EXPECT_EQ(e.level, severity::low);
    EXPECT_EQ(e.state, exception_state::open);
    value odd_task;
    odd_task.set("state", "pondering");
    EXPECT_EQ(task_from_stored(encode_msgpack(odd_task)).state, task_state::open);
}

}  // namespace
}  // namespace baton
