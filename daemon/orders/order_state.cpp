// Format 3 of the stored order state: the layout is the order of the calls below, the same in
// encode_order_state and read_format_3 (one array per order, one array per batch, shipment,
// invoice, payment and case; flat arrays of triples for quantities, milestones and visits).
#include "order_state.h"

#include <cstdint>
#include <cstring>
#include <iterator>

#include "codec.h"
#include "packed.h"
#include "quantities.h"

namespace baton {

namespace {

constexpr std::size_t order_fields = 31;

int milestone_number(std::string_view name) {
    return milestone_map::number_of(name);
}

class state_writer {
public:
    state_writer(std::string& out, std::int64_t base) : w(out), base_(base) {}

    // 0 (not yet) as nil; any other time as its distance from the base, in wrapping
    // arithmetic so every int64 round-trips.
    void time(std::int64_t t) {
        if (t == 0)
            w.nil();
        else
            w.integer(static_cast<std::int64_t>(static_cast<std::uint64_t>(t) -
                                                static_cast<std::uint64_t>(base_)));
    }
    // A UUID as its 16 bytes, any other id as its text.
    void event_id(const event_ref& id) {
        if (id.is_uuid())
            w.bin(id.uuid());
        else
            w.str(id.str());
    }
    template <typename S>
    void strings(const std::vector<S>& v) {
        w.array(v.size());
        for (const auto& s : v) w.str(static_cast<const std::string&>(s));
    }
    void quantities(const std::vector<line_qty>& qs) {
        w.array(qs.size() * 3);
        for (const auto& q : qs) {
            w.integer(q.line);
            w.integer(q.milli);
            w.str(q.unit.str());
        }
    }

    packed_writer w;

private:
    std::int64_t base_;
};

// Reads the fields of one array in order, from the bytes (packed_reader: no tree is built); an
// error names the array and the field. Each reader of a part reads all its fields, so the
// next part starts where it ends.
class state_reader {
public:
    state_reader(packed_reader& in, const char* what, std::size_t index, std::int64_t base,
                 std::size_t expected)
        : in_(in), what_(what), index_(index), base_(base) {
        std::size_t n = 0;
        try {
            n = in_.array();
        } catch (const packed_error& e) {
            fail("", e);
        }
        if (n != expected)
            throw packed_error(where() + ": " + std::to_string(n) + " fields, expected " +
                               std::to_string(expected));
    }

    // The reader at the next field, for a part read by hand (its errors go through fail()).
    packed_reader& next() { return in_; }
    std::string str(const char* name) {
        try {
            return std::string(next().str());
        } catch (const packed_error& e) {
            fail(name, e);
        }
    }
    interned word(const char* name) {
        try {
            return interned(next().str());
        } catch (const packed_error& e) {
            fail(name, e);
        }
    }
    std::int64_t integer(const char* name) {
        try {
            return next().integer();
        } catch (const packed_error& e) {
            fail(name, e);
        }
    }
    std::int64_t time(const char* name) {
        try {
            return time_of(next());
        } catch (const packed_error& e) {
            fail(name, e);
        }
    }
    std::int64_t time_of(packed_reader& in) const {
        if (in.next_is_nil()) {
            in.nil();
            return 0;
        }
        return static_cast<std::int64_t>(static_cast<std::uint64_t>(base_) +
                                         static_cast<std::uint64_t>(in.integer()));
    }
    event_ref event_id(const char* name) {
        try {
            return event_id_of(next());
        } catch (const packed_error& e) {
            fail(name, e);
        }
    }
    static event_ref event_id_of(packed_reader& in) {
        if (!in.next_is_bin()) return event_ref(in.str());
        const std::string_view b = in.bin();
        if (b.size() != 16)
            throw packed_error("an event id of " + std::to_string(b.size()) +
                               " bytes, expected 16");
        return event_ref::from_uuid(b.data());
    }
    template <typename S>
    std::vector<S> strings(const char* name) {
        try {
            packed_reader& in = next();
            const std::size_t n = in.array();
            std::vector<S> out;
            out.reserve(in.room(n));
            for (std::size_t i = 0; i < n; ++i) out.emplace_back(in.str());
            return out;
        } catch (const packed_error& e) {
            fail(name, e);
        }
    }
    std::vector<line_qty> quantities(const char* name) {
        try {
            packed_reader& in = next();
            const std::size_t n = in.array();
            if (n % 3 != 0) throw packed_error("not a list of triples");
            std::vector<line_qty> out;
            out.reserve(in.room(n) / 3);
            for (std::size_t i = 0; i < n; i += 3) {
                const auto line = static_cast<int>(in.integer());
                const std::int64_t milli = in.integer();
                out.push_back({line, milli, interned(in.str())});
            }
            return out;
        } catch (const packed_error& e) {
            fail(name, e);
        }
    }
    // The items of a list field, each read by `fn(reader, index)`.
    template <typename T, typename Fn>
    std::vector<T> list(const char* name, Fn fn) {
        packed_reader& in = next();
        std::size_t n = 0;
        try {
            n = in.array();
        } catch (const packed_error& e) {
            fail(name, e);
        }
        std::vector<T> out;
        out.reserve(in.room(n));
        for (std::size_t i = 0; i < n; ++i) out.push_back(fn(in, i));
        return out;
    }

    [[noreturn]] void fail(const char* name, const packed_error& e) const {
        throw packed_error(where() + (*name ? std::string(" ") + name : std::string()) + ": " +
                           e.what());
    }

private:
    std::string where() const {
        std::string w = what_;
        if (index_ != npos) w += "[" + std::to_string(index_) + "]";
        return w;
    }

public:
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

private:
    packed_reader& in_;
    const char* what_;
    std::size_t index_;
    std::int64_t base_;
};

void write_batch(state_writer& s, const production_batch& b) {
    s.w.array(11);
    s.w.str(b.id);
    s.w.str(b.press_line);
    s.w.str(b.planned_start);
    s.w.str(b.planned_finish);
    s.w.integer((b.started ? 1 : 0) | (b.completed ? 2 : 0) | (b.whole ? 4 : 0));
    s.event_id(b.event_id);
    s.quantities(b.good);
    s.quantities(b.scrap);
    s.w.integer(b.qc_failures);
    s.time(b.scheduled_ms);
    s.time(b.completed_ms);
}

production_batch read_batch(packed_reader& in, std::size_t i, std::int64_t base) {
    state_reader r(in, "batches", i, base, 11);
    production_batch b;
    b.id = r.str("id");
    b.press_line = r.str("press_line");
    b.planned_start = r.str("planned_start");
    b.planned_finish = r.str("planned_finish");
    const std::int64_t flags = r.integer("flags");
    b.started = flags & 1;
    b.completed = flags & 2;
    b.whole = flags & 4;
    b.event_id = r.event_id("event");
    b.good = r.quantities("good");
    b.scrap = r.quantities("scrap");
    b.qc_failures = static_cast<int>(r.integer("qc_failures"));
    b.scheduled_ms = r.time("scheduled_at");
    b.completed_ms = r.time("completed_at");
    return b;
}

void write_shipment(state_writer& s, const shipment& x) {
    s.w.array(12);
    s.w.str(x.id);
    s.w.str(x.vehicle);
    s.w.str(x.carrier);
    s.w.str(x.expected_delivery);
    s.w.integer(static_cast<int>(x.state));
    s.w.integer((x.whole ? 1 : 0) | (x.dispatch_noted ? 2 : 0));
    s.quantities(x.sent);
    s.quantities(x.received);
    s.time(x.dispatched_ms);
    s.time(x.answered_ms);
    s.w.str(x.failure);
    s.event_id(x.event_id);
}

shipment read_shipment(packed_reader& in, std::size_t i, std::int64_t base) {
    state_reader r(in, "shipments", i, base, 12);
    shipment x;
    x.id = r.str("id");
    x.vehicle = r.str("vehicle");
    x.carrier = r.str("carrier");
    x.expected_delivery = r.str("expected_delivery");
    const std::int64_t state = r.integer("state");
    if (state < 0 || state > static_cast<int>(shipment_state::failed))
        r.fail("state", packed_error("unknown shipment state " + std::to_string(state)));
    x.state = static_cast<shipment_state>(state);
    const std::int64_t flags = r.integer("flags");
    x.whole = flags & 1;
    x.dispatch_noted = flags & 2;
    x.sent = r.quantities("sent");
    x.received = r.quantities("received");
    x.dispatched_ms = r.time("dispatched_at");
    x.answered_ms = r.time("answered_at");
    x.failure = r.str("failure");
    x.event_id = r.event_id("event");
    return x;
}

void write_invoice(state_writer& s, const invoice& x) {
    s.w.array(8);
    s.w.str(x.id);
    s.w.str(x.shipment);
    s.w.integer(x.amount_cents);
    s.w.str(x.invoice_date);
    s.w.str(x.due_date);
    s.time(x.issued_ms);
    s.w.integer(x.paid_cents);
    s.time(x.settled_ms);
}

invoice read_invoice(packed_reader& in, std::size_t i, std::int64_t base) {
    state_reader r(in, "invoices", i, base, 8);
    invoice x;
    x.id = r.str("id");
    x.shipment = r.str("shipment");
    x.amount_cents = r.integer("amount_cents");
    x.invoice_date = r.str("invoice_date");
    x.due_date = r.str("due_date");
    x.issued_ms = r.time("issued_at");
    x.paid_cents = r.integer("paid_cents");
    x.settled_ms = r.time("settled_at");
    return x;
}

void write_payment(state_writer& s, const payment& x) {
    s.w.array(4);
    s.w.str(x.invoice);
    s.w.integer(x.amount_cents);
    s.time(x.at_ms);
    s.event_id(x.event_id);
}

payment read_payment(packed_reader& in, std::size_t i, std::int64_t base) {
    state_reader r(in, "payments", i, base, 4);
    payment x;
    x.invoice = r.str("invoice");
    x.amount_cents = r.integer("amount_cents");
    x.at_ms = r.time("at");
    x.event_id = r.event_id("event");
    return x;
}

void write_case(state_writer& s, const order_case& c) {
    s.w.array(13);
    s.w.str(c.id);
    s.w.str(c.kind);
    s.w.str(c.state);
    s.w.str(c.detail);
    s.w.str(c.resolution);
    s.time(c.opened_ms);
    s.time(c.closed_ms);
    s.strings(c.departments);
    s.w.str(c.complaint_kind);
    s.w.integer(c.line);
    s.w.str(c.outcome);
    s.w.str(c.root_cause);
    s.w.integer(c.credit_cents);
}

order_case read_case(packed_reader& in, std::size_t i, std::int64_t base) {
    state_reader r(in, "cases", i, base, 13);
    order_case c;
    c.id = r.str("id");
    c.kind = r.str("kind");
    c.state = r.str("state");
    c.detail = r.str("detail");
    c.resolution = r.str("resolution");
    c.opened_ms = r.time("opened");
    c.closed_ms = r.time("closed");
    c.departments = r.strings<std::string>("departments");
    c.complaint_kind = r.str("complaint_kind");
    c.line = static_cast<int>(r.integer("line"));
    c.outcome = r.str("outcome");
    c.root_cause = r.str("root_cause");
    c.credit_cents = r.integer("credit_cents");
    return c;
}

// The order lines of the stored `lines`, as lines_of (order.h) reads them from a value: the
// same fields, read straight from the MessagePack bytes. The bytes must be exactly one item;
// what is not a list of maps (or a field of another type) is passed over, as a value's reader
// passes over it.
std::vector<order_line> lines_of(std::string_view bytes) {
    packed_reader in(bytes);
    std::vector<order_line> out;
    if (!in.next_is_array()) {
        in.skip();
    } else {
        const std::size_t n = in.array();
        out.reserve(in.room(n));
        for (std::size_t i = 0; i < n; ++i) {
            order_line line;
            line.no = static_cast<int>(i) + 1;
            if (!in.next_is_map()) {
                in.skip();
                out.push_back(std::move(line));
                continue;
            }
            const std::size_t pairs = in.map();
            for (std::size_t k = 0; k < pairs; ++k) {
                if (!in.next_is_str()) {  // a key that is not a name: passed over, with its value
                    in.skip();
                    in.skip();
                    continue;
                }
                const std::string_view name = in.str();
                if (name == "item" && in.next_is_str()) {
                    line.item = in.str();
                } else if (name == "die" && in.next_is_str()) {
                    line.die = in.str();
                } else if (name == "unit" && in.next_is_str()) {
                    line.unit = in.str();
                } else if (name == "qty" && in.next_is_number()) {
                    line.ordered_milli = to_milli(in.number());
                } else if (name == "amount_cents" && in.next_is_int()) {
                    // An integer of int64 that is not negative, as value::to_int64 takes it.
                    packed_reader past = in;
                    past.skip();  // bytes that end inside it are an error, as for any item
                    try {
                        const std::int64_t cents = in.integer();
                        if (cents >= 0) line.amount_cents = cents;
                    } catch (const packed_error&) {  // above 2^63-1: not an amount
                        in = past;
                    }
                } else {
                    in.skip();
                }
            }
            out.push_back(std::move(line));
        }
    }
    if (!in.at_end())
        throw packed_error(std::to_string(in.left()) +
                           " trailing bytes after the MessagePack object");
    return out;
}

template <typename T, typename Fn>
void write_list(state_writer& s, const std::vector<T>& items, Fn fn) {
    s.w.array(items.size());
    for (const auto& item : items) fn(s, item);
}

order read_format_3(std::string_view bytes) {
    // The base of the times is the third field: read first, so the times can be read in order.
    std::int64_t base = 0;
    try {
        packed_reader ahead(bytes);
        const std::size_t n = ahead.array();
        if (n < 3)
            throw packed_error("item 2 is missing (the array has " + std::to_string(n) + ")");
        ahead.skip();
        ahead.skip();
        base = ahead.integer();
    } catch (const packed_error& e) {
        throw packed_error(std::string("first_seen: ") + e.what());
    }
    packed_reader in(bytes);
    state_reader r(in, "order", state_reader::npos, base, order_fields);
    order o;
    r.integer("format");
    o.id = r.str("id");
    o.first_seen_ms = r.integer("first_seen");
    o.customer = r.word("customer");
    const std::int64_t flags = r.integer("flags");
    o.placed = flags & 1;
    o.cancelled = flags & 2;
    o.prepay_switched = flags & 4;
    o.new_die = flags & 8;
    o.cancel_reason = r.str("cancel_reason");
    o.amount_cents = r.integer("amount_cents");
    o.paid_cents = r.integer("paid_cents");
    o.charge_cents = r.integer("charge_cents");
    o.deposit_cents = r.integer("deposit_cents");
    o.open_counted_cents = r.integer("open_counted_cents");
    o.promised_date = r.word("promised_date");
    o.terms = r.word("terms");
    o.salesperson = r.word("salesperson");
    o.customer_po = r.str("customer_po");
    try {
        packed_reader& lines = r.next();
        if (lines.next_is_nil()) {
            lines.nil();
        } else {
            const std::string_view encoded = lines.bin();
            o.line_items = lines_of(encoded);
            o.lines.assign(encoded);
        }
    } catch (const packed_error& e) {
        r.fail("lines", e);
    }
    o.planned_start = r.word("planned_start");
    o.planned_finish = r.word("planned_finish");
    o.batches = r.list<production_batch>(
        "batches", [&](packed_reader& v, std::size_t i) { return read_batch(v, i, base); });
    o.shipments = r.list<shipment>(
        "shipments", [&](packed_reader& v, std::size_t i) { return read_shipment(v, i, base); });
    o.invoices = r.list<invoice>(
        "invoices", [&](packed_reader& v, std::size_t i) { return read_invoice(v, i, base); });
    o.payments = r.list<payment>(
        "payments", [&](packed_reader& v, std::size_t i) { return read_payment(v, i, base); });
    try {
        packed_reader& ms = r.next();
        const std::size_t n = ms.array();
        if (n % 3 != 0) throw packed_error("not a list of triples");
        o.milestones.reserve(ms.room(n) / 3);
        for (std::size_t i = 0; i < n; i += 3) {
            std::string_view key;
            if (ms.next_is_int()) {
                const std::int64_t no = ms.integer();
                if (no < 0 || no >= static_cast<std::int64_t>(std::size(milestone_names)))
                    throw packed_error("unknown milestone number " + std::to_string(no));
                key = milestone_names[no];
            } else {
                key = ms.str();
            }
            const std::int64_t at = r.time_of(ms);
            o.milestones.emplace(key, milestone{at, state_reader::event_id_of(ms)});
        }
    } catch (const packed_error& e) {
        r.fail("milestones", e);
    }
    o.holds = r.strings<interned>("holds");
    o.stage = r.word("stage");
    o.holder = r.word("holder");
    o.stage_since_ms = r.time("stage_since");
    o.departments = r.strings<interned>("departments");
    o.cases = r.list<order_case>(
        "cases", [&](packed_reader& v, std::size_t i) { return read_case(v, i, base); });
    try {
        packed_reader& events = r.next();
        const std::size_t n = events.array();
        o.events.reserve(events.room(n));
        std::int64_t seq = 0;
        for (std::size_t i = 0; i < n; ++i) {
            seq = static_cast<std::int64_t>(static_cast<std::uint64_t>(seq) +
                                            static_cast<std::uint64_t>(events.integer()));
            o.events.push_back(seq);
        }
    } catch (const packed_error& e) {
        r.fail("events", e);
    }
    try {
        packed_reader& visits = r.next();
        const std::size_t n = visits.array();
        if (n % 3 != 0) throw packed_error("not a list of triples");
        o.visits.reserve(visits.room(n) / 3);
        for (std::size_t i = 0; i < n; i += 3) {
            const interned stage(visits.str());
            const std::int64_t entered = r.time_of(visits);
            o.visits.push_back({stage, entered, r.time_of(visits)});
        }
    } catch (const packed_error& e) {
        r.fail("visits", e);
    }
    if (!in.at_end())
        throw packed_error(std::to_string(in.left()) +
                           " trailing bytes after the MessagePack object");
    o.quantity_problems = !totals_of(o).problems.empty();
    return o;
}

}  // namespace

std::string encode_order_state(const order& o) {
    std::string out;
    out.reserve(512 + o.lines.size());
    state_writer s(out, o.first_seen_ms);
    auto& w = s.w;
    w.array(order_fields);
    w.integer(order_state_format);
    w.str(o.id);
    w.integer(o.first_seen_ms);
    w.str(o.customer.str());
    w.integer((o.placed ? 1 : 0) | (o.cancelled ? 2 : 0) | (o.prepay_switched ? 4 : 0) |
              (o.new_die ? 8 : 0));
    w.str(o.cancel_reason);
    w.integer(o.amount_cents);
    w.integer(o.paid_cents);
    w.integer(o.charge_cents);
    w.integer(o.deposit_cents);
    w.integer(o.open_counted_cents);
    w.str(o.promised_date.str());
    w.str(o.terms.str());
    w.str(o.salesperson.str());
    w.str(o.customer_po);
    if (o.lines.empty())
        w.nil();
    else
        w.bin(o.lines);
    w.str(o.planned_start.str());
    w.str(o.planned_finish.str());
    write_list(s, o.batches, write_batch);
    write_list(s, o.shipments, write_shipment);
    write_list(s, o.invoices, write_invoice);
    write_list(s, o.payments, write_payment);
    w.array(o.milestones.size() * 3);
    for (const auto& [name, m] : o.milestones) {
        if (const int n = milestone_number(name.str()); n >= 0)
            w.integer(n);
        else
            w.str(name.str());
        s.time(m.at_ms);
        s.event_id(m.event_id);
    }
    s.strings(o.holds);
    w.str(o.stage.str());
    w.str(o.holder.str());
    s.time(o.stage_since_ms);
    s.strings(o.departments);
    write_list(s, o.cases, write_case);
    // Journal seqs as the distance from the one before: they grow, so most take a byte or two.
    w.array(o.events.size());
    std::int64_t previous = 0;
    for (const std::int64_t seq : o.events) {
        w.integer(static_cast<std::int64_t>(static_cast<std::uint64_t>(seq) -
                                            static_cast<std::uint64_t>(previous)));
        previous = seq;
    }
    w.array(o.visits.size() * 3);
    for (const auto& v : o.visits) {
        w.str(v.stage.str());
        s.time(v.entered_ms);
        s.time(v.left_ms);
    }
    return out;
}

bool decode_order_state(std::string_view bytes, order& out, std::string& error) {
    if (!bytes.empty() && (static_cast<unsigned char>(bytes[0]) & 0xf0) != 0x90 &&
        static_cast<unsigned char>(bytes[0]) != 0xdc &&
        static_cast<unsigned char>(bytes[0]) != 0xdd) {
        // Not an array: a map of format 1 or 2.
        value v;
        if (!decode_msgpack(bytes, decode_limits::trusted(), v, error)) return false;
        if (!v.is_map()) {
            error = "format 2: not a map";
            return false;
        }
        out = order_from_value(v);
        return true;
    }
    try {
        packed_reader in(bytes);
        if (in.array() == 0) throw packed_error("item 0 is missing (the array has 0)");
        const std::int64_t format = in.integer();
        if (format != order_state_format) {
            error = "format " + std::to_string(format) + " is unknown (this batond reads 1 to " +
                    std::to_string(order_state_format) + ")";
            return false;
        }
        out = read_format_3(bytes);
    } catch (const packed_error& e) {
        error = std::string("format 3: ") + e.what();
        return false;
    }
    return true;
}

}  // namespace baton
