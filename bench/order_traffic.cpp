// The order lifecycles of the benchmark, written straight to MessagePack with msgpack-cxx's
// packer (as a client in any language would), so the producers spend little of the 2 cores
// that they share with the daemon.
#include "order_traffic.h"

#include <chrono>
#include <cstdio>
#include <msgpack.hpp>

#include "dates.h"

namespace baton::bench {

namespace {

// A bijection of 48-bit numbers (multiply, xorshift, multiply) that makes consecutive event
// numbers look random; each step is invertible, so parse_event_id() undoes it.
constexpr std::uint64_t mask48 = (1ULL << 48) - 1;
constexpr std::uint64_t scramble_mul1 = 0x9e3779b97f4bULL;  // odd, so invertible mod 2^48
constexpr std::uint64_t scramble_mul2 = 0xd6e8feb86659ULL;
constexpr std::uint64_t scramble_add = 0x5deece66dULL;

constexpr std::uint64_t inverse_mod_2_64(std::uint64_t a) {
    std::uint64_t x = a;  // Newton: each step doubles the correct low bits
    for (int i = 0; i < 6; ++i) x *= 2 - a * x;
    return x;
}
constexpr std::uint64_t scramble_inv1 = inverse_mod_2_64(scramble_mul1) & mask48;
constexpr std::uint64_t scramble_inv2 = inverse_mod_2_64(scramble_mul2) & mask48;
static_assert(((scramble_mul1 * scramble_inv1) & mask48) == 1);
static_assert(((scramble_mul2 * scramble_inv2) & mask48) == 1);

std::uint64_t scramble(std::uint64_t x) {
    x = (x * scramble_mul1 + scramble_add) & mask48;
    x ^= x >> 24;  // a shift of half the width or more is its own inverse
    return (x * scramble_mul2) & mask48;
}

std::uint64_t unscramble(std::uint64_t x) {
    x = (x * scramble_inv2) & mask48;
    x ^= x >> 24;
    return ((x - scramble_add) * scramble_inv1) & mask48;
}

constexpr char hex_digits[] = "0123456789abcdef";

void put_hex(char* out, std::uint64_t v, int digits) {
    for (int i = digits - 1; i >= 0; --i, v >>= 4) out[i] = hex_digits[v & 0xf];
}

// Each producer has its own customers (C-P<producer>-<n>), announced by the prologue with
// credit limits that cover their open orders, so the lifecycles take the normal path.
struct customer_profile {
    const char* name;
    const char* tier;
    const char* terms;
    std::int64_t credit_limit_cents;
    const char* country;
    const char* ship_city;
};

constexpr std::array<customer_profile, order_traffic::customers_per_producer> customers = {{
    {"Nordfassaden GmbH", "key", "credit", 1000000000, "DE", "Hamburg"},
    {"Alu Windows Ltd", "A", "credit", 600000000, "GB", "Leeds"},
    {"Solar Frames BV", "B", "credit", 400000000, "NL", "Eindhoven"},
    {"Kovacs Epito Kft", "C", "prepay", 300000000, "HU", "Gyor"},
    {"Okna Wroclaw Sp. z o.o.", "A", "credit", 600000000, "PL", "Wroclaw"},
    {"Brnenske Fasady s.r.o.", "B", "credit", 400000000, "CZ", "Brno"},
    {"Transilvania Profile SRL", "C", "prepay", 300000000, "RO", "Cluj-Napoca"},
    {"Donau Metallbau GmbH", "key", "credit", 1000000000, "AT", "Linz"},
}};
constexpr std::array<const char*, 4> account_managers = {"k.fischer", "l.moreau", "p.dvorak",
                                                         "e.szabo"};

constexpr std::array<const char*, 5> alloys = {"6060", "6063", "6005A", "6061", "6082"};
constexpr std::array<const char*, 3> tempers = {"T5", "T6", "T66"};
constexpr std::array<const char*, 4> finishes = {"mill", "anodised", "powder_coated",
                                                 "thermal_break"};
constexpr std::array<const char*, 4> currencies = {"EUR", "EUR", "EUR", "PLN"};
constexpr std::array<const char*, 3> shifts = {"early", "late", "night"};
constexpr std::array<const char*, 4> carriers = {"Spedition Meier GmbH", "Raben Logistics",
                                                 "DSV Road", "Transalu Kft"};
constexpr std::array<const char*, 4> credit_officers = {"a.kowalska", "j.weber", "m.novak",
                                                        "s.baker"};
constexpr std::array<std::int64_t, 4> cut_lengths_mm = {3000, 5000, 6000, 6500};

struct string_sink {
    std::string* out;
    void write(const char* data, std::size_t size) { out->append(data, size); }
};
using packer = msgpack::packer<string_sink>;

void pack_str(packer& pk, std::string_view s) {
    pk.pack_str(static_cast<std::uint32_t>(s.size()));
    pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}
void put(packer& pk, std::string_view key, std::string_view s) {
    pack_str(pk, key);
    pack_str(pk, s);
}
void put(packer& pk, std::string_view key, const char* s) {
    put(pk, key, std::string_view(s));
}
void put(packer& pk, std::string_view key, const std::string& s) {
    put(pk, key, std::string_view(s));
}
void put(packer& pk, std::string_view key, std::int64_t n) {
    pack_str(pk, key);
    pk.pack(n);
}
void put(packer& pk, std::string_view key, int n) {
    put(pk, key, std::int64_t{n});
}
void put(packer& pk, std::string_view key, double x) {
    pack_str(pk, key);
    pk.pack_double(x);
}
void put(packer& pk, std::string_view key, bool b) {
    pack_str(pk, key);
    b ? pk.pack_true() : pk.pack_false();
}

// The department systems that report, one source each (per producer: .site<producer>).
constexpr std::array<const char*, 4> systems = {"sales-erp", "finance-ledger", "production-mes",
                                                "logistics-tms"};

struct topic_source {
    const char* topic;
    int system;  // index into systems
};

// The lifecycle of DESIGN.md's default flow, in the order the departments report it.
constexpr std::array<topic_source, order_traffic::lifecycle_events> lifecycle = {{
    {"sales.order.placed", 0},
    {"finance.credit.approved", 1},
    {"production.order.scheduled", 2},
    {"production.order.started", 2},
    {"production.order.completed", 2},
    {"finance.payment.received", 1},
    {"logistics.shipment.dispatched", 3},
    {"logistics.shipment.delivered", 3},
    {"finance.invoice.issued", 1},
}};

double round_to(double x, double step) {
    return static_cast<double>(static_cast<std::int64_t>(x / step + 0.5)) * step;
}

}  // namespace

std::string make_event_id(random_source& rng, unsigned producer, std::uint64_t index) {
    const std::uint64_t tagged = (std::uint64_t{producer} << 40) | index;
    const std::uint64_t node = scramble(tagged);
    const std::uint64_t r1 = rng.next();
    const std::uint64_t r2 = rng.next();
    std::string id(event_id_bytes, '-');
    put_hex(&id[0], r1 >> 32, 8);
    put_hex(&id[9], r1 >> 16, 4);
    put_hex(&id[14], r1, 4);
    id[14] = '4';  // version 4 (random)
    put_hex(&id[19], r2, 4);
    id[19] = hex_digits[8 + ((r2 >> 16) & 3)];  // RFC 4122 variant
    put_hex(&id[24], node, 12);
    return id;
}

bool parse_event_id(std::string_view id, unsigned& producer, std::uint64_t& index) {
    if (id.size() != event_id_bytes) return false;
    std::uint64_t node = 0;
    for (std::size_t i = 24; i < event_id_bytes; ++i) {
        const char c = id[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = static_cast<unsigned>(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = static_cast<unsigned>(c - 'a' + 10);
        else
            return false;
        node = node << 4 | d;
    }
    const std::uint64_t tagged = unscramble(node);
    producer = static_cast<unsigned>(tagged >> 40);
    index = tagged & (max_events_per_producer - 1);
    return true;
}

order_traffic::order_traffic(unsigned producer, std::uint64_t seed, std::uint64_t run_id,
                             std::size_t open_orders)
    : producer_(producer),
      rng_(seed ^ (0x51ed270b27ULL * (producer + 1))),
      id_rng_(run_id ^ (0x2545f4914f6cdd1dULL * (producer + 1))) {
    constexpr char base32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";  // Crockford: no I, L, O, U
    for (int i = 0; i < 5; ++i) run_tag_ += base32[(run_id >> (5 * i)) & 31];
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const std::int64_t today = std::chrono::duration_cast<std::chrono::hours>(now).count() / 24;
    today_ = 30;
    for (std::int64_t d = today - 30; d <= today + 240; ++d) dates_.push_back(civil_date(d));
    open_.resize(open_orders == 0 ? 1 : open_orders);
    for (std::size_t k = 0; k < customers_per_producer; ++k) {
        char id[32];
        std::snprintf(id, sizeof id, "C-P%u-%03zu", producer, k + 1);
        customer_ids_[k] = id;
    }
    for (std::size_t i = 0; i < systems.size(); ++i)
        sources_[i] = std::string(systems[i]) + ".site" + std::to_string(producer);
    // Every order starts with its sales.order.placed; picking the next order at random spreads
    // them over the lifecycle within a few events each.
    for (auto& o : open_) start_order(o);
}

const std::string& order_traffic::date(int day) const {
    if (day < 0) day = 0;
    if (day >= static_cast<int>(dates_.size())) day = static_cast<int>(dates_.size()) - 1;
    return dates_[static_cast<std::size_t>(day)];
}

void order_traffic::start_order(open_order& o) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "SO-%s-P%u-%07llu", run_tag_.c_str(), producer_,
                  static_cast<unsigned long long>(++orders_started_));
    o.id = buf;
    o.step = 0;
    o.customer = static_cast<int>(rng_.between(0, customers.size() - 1));
    o.line_count = static_cast<int>(rng_.between(1, 3));
    o.amount_cents = 0;
    o.qty_kg = 0;
    for (int i = 0; i < o.line_count; ++i) {
        order_line& l = o.lines[static_cast<std::size_t>(i)];
        l.profile = rng_.between(10000, 99999);
        l.alloy = static_cast<int>(rng_.next() % alloys.size());
        l.temper = static_cast<int>(rng_.next() % tempers.size());
        l.finish = static_cast<int>(rng_.next() % finishes.size());
        l.length = static_cast<int>(rng_.next() % cut_lengths_mm.size());
        l.qty_kg = round_to(static_cast<double>(rng_.between(200, 4000)), 0.5);
        l.amount_cents = static_cast<std::int64_t>(l.qty_kg) * rng_.between(380, 690);
        o.qty_kg += l.qty_kg;
        o.amount_cents += l.amount_cents;
    }
    o.press_line = static_cast<int>(rng_.between(1, 4));
    o.start_day = today_ + static_cast<int>(rng_.between(3, 12));
    o.promised_day = o.start_day + static_cast<int>(rng_.between(10, 30));
}

void order_traffic::announce_customer(std::uint64_t index, std::string& topic,
                                      std::string& envelope) {
    const std::size_t k = customers_announced_++;
    const customer_profile& c = customers[k];
    const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
    topic.assign("sales.customer.updated");
    envelope.clear();
    string_sink sink{&envelope};
    packer pk(sink);
    pk.pack_map(7);  // no `order`: customer master data is not about one order
    put(pk, "v", 1);
    put(pk, "id", make_event_id(id_rng_, producer_, index));
    put(pk, "source", sources_[0]);
    put(pk, "topic", topic);
    put(pk, "ts", now_ms);
    pack_str(pk, "seq");
    pk.pack(++source_seq_[0]);
    pack_str(pk, "data");
    pk.pack_map(8);
    put(pk, "customer", customer_ids_[k]);
    put(pk, "name", c.name);
    put(pk, "tier", c.tier);
    put(pk, "terms", c.terms);
    put(pk, "credit_limit_cents", c.credit_limit_cents);
    put(pk, "payment_days", std::string_view(c.terms) == "credit" ? 60 : 0);
    put(pk, "country", c.country);
    put(pk, "account_manager", account_managers[k % account_managers.size()]);
}

void order_traffic::next(std::uint64_t index, std::string& topic, std::string& envelope) {
    if (customers_announced_ < customers_per_producer) {
        announce_customer(index, topic, envelope);
        return;
    }
    open_order& o = open_[rng_.next() % open_.size()];
    if (o.step >= lifecycle_events) start_order(o);
    const int step = o.step++;
    const topic_source& ts = lifecycle[static_cast<std::size_t>(step)];
    const customer_profile& customer = customers[static_cast<std::size_t>(o.customer)];
    const std::string& customer_id = customer_ids_[static_cast<std::size_t>(o.customer)];
    const char* currency = currencies[static_cast<std::size_t>(o.customer) % currencies.size()];
    const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
    const std::string suffix = o.id.substr(3);  // <run tag>-P<producer>-<number>
    char buf[128];

    topic.assign(ts.topic);
    envelope.clear();
    string_sink sink{&envelope};
    packer pk(sink);
    const auto system = static_cast<std::size_t>(ts.system);
    pk.pack_map(8);
    put(pk, "v", 1);
    put(pk, "id", make_event_id(id_rng_, producer_, index));
    put(pk, "source", sources_[system]);
    put(pk, "topic", ts.topic);
    put(pk, "ts", now_ms);
    put(pk, "order", o.id);
    pack_str(pk, "seq");
    pk.pack(++source_seq_[system]);
    pack_str(pk, "data");

    switch (step) {
        case 0: {  // sales.order.placed
            pk.pack_map(9);
            put(pk, "customer", customer_id);
            std::snprintf(buf, sizeof buf, "PO-%lld",
                          static_cast<long long>(rng_.between(100000, 999999)));
            put(pk, "customer_po", buf);
            pack_str(pk, "lines");
            pk.pack_array(static_cast<std::uint32_t>(o.line_count));
            for (int i = 0; i < o.line_count; ++i) {
                const order_line& l = o.lines[static_cast<std::size_t>(i)];
                pk.pack_map(8);
                std::snprintf(buf, sizeof buf, "PRF-%lld", static_cast<long long>(l.profile));
                put(pk, "item", buf);
                std::snprintf(buf, sizeof buf, "D-%lld", static_cast<long long>(l.profile));
                put(pk, "die", buf);
                put(pk, "alloy", alloys[static_cast<std::size_t>(l.alloy)]);
                put(pk, "temper", tempers[static_cast<std::size_t>(l.temper)]);
                put(pk, "finish", finishes[static_cast<std::size_t>(l.finish)]);
                put(pk, "length_mm", cut_lengths_mm[static_cast<std::size_t>(l.length)]);
                put(pk, "qty", l.qty_kg);
                put(pk, "unit", "kg");
            }
            put(pk, "amount_cents", o.amount_cents);
            put(pk, "currency", currency);
            put(pk, "promised_date", date(o.promised_day));
            put(pk, "new_die", false);
            put(pk, "terms", customer.terms);
            put(pk, "incoterm", "DAP");
            break;
        }
        case 1: {  // finance.credit.approved
            pk.pack_map(4);
            put(pk, "by", credit_officers[rng_.next() % credit_officers.size()]);
            std::snprintf(buf, sizeof buf,
                          "credit check passed: exposure after this order %lld of limit %lld "
                          "cents, no overdue items, terms unchanged",
                          static_cast<long long>(o.amount_cents + rng_.between(0, 2000000)),
                          static_cast<long long>(customer.credit_limit_cents));
            put(pk, "reason", buf);
            put(pk, "limit_cents", customer.credit_limit_cents);
            put(pk, "valid_until", date(today_ + 30));
            break;
        }
        case 2: {  // production.order.scheduled
            pk.pack_map(5);
            put(pk, "planned_start", date(o.start_day));
            put(pk, "planned_finish", date(o.start_day + 2));
            std::snprintf(buf, sizeof buf, "P%d", o.press_line);
            put(pk, "line", buf);
            put(pk, "finishing_line", o.press_line % 2 ? "ANOD-1" : "PC-2");
            put(pk, "rescheduled", false);
            break;
        }
        case 3: {  // production.order.started
            pk.pack_map(3);
            std::snprintf(buf, sizeof buf, "P%d", o.press_line);
            put(pk, "line", buf);
            put(pk, "shift", shifts[rng_.next() % shifts.size()]);
            std::snprintf(buf, sizeof buf, "BL-%lld/%s/cast-house-2/homogenised-8h",
                          static_cast<long long>(rng_.between(10000, 99999)),
                          alloys[rng_.next() % alloys.size()]);
            put(pk, "billet_lot", buf);
            break;
        }
        case 4: {  // production.order.completed
            pk.pack_map(5);
            put(pk, "qty_good", round_to(o.qty_kg * yield_, 0.1));
            put(pk, "qty_scrap", round_to(o.qty_kg * 0.015, 0.1));
            put(pk, "unit", "kg");
            std::snprintf(buf, sizeof buf, "P%d", o.press_line);
            put(pk, "line", buf);
            put(pk, "packages", static_cast<int>(o.qty_kg / 500) + 1);
            break;
        }
        case 5: {  // finance.payment.received
            pk.pack_map(5);
            put(pk, "amount_cents", o.amount_cents);
            put(pk, "currency", currency);
            put(pk, "method", "bank_transfer");
            std::snprintf(buf, sizeof buf, "RF%02lld %s remittance %s",
                          static_cast<long long>(rng_.between(10, 99)), customer_id.c_str(),
                          o.id.c_str());
            put(pk, "reference", buf);
            put(pk, "value_date", date(today_));
            break;
        }
        case 6: {  // logistics.shipment.dispatched
            pk.pack_map(9);
            std::snprintf(buf, sizeof buf, "HH-AL %lld",
                          static_cast<long long>(rng_.between(1000, 9999)));
            put(pk, "vehicle", buf);
            put(pk, "qty", round_to(o.qty_kg * yield_, 0.1));
            put(pk, "unit", "kg");
            put(pk, "shipment", "DN-" + suffix);
            put(pk, "carrier", carriers[rng_.next() % carriers.size()]);
            put(pk, "packages", static_cast<int>(o.qty_kg / 500) + 1);
            put(pk, "gross_weight_kg", round_to(o.qty_kg * 1.04, 0.1));
            put(pk, "expected_delivery", date(o.start_day + 4));
            put(pk, "partial", false);
            break;
        }
        case 7: {  // logistics.shipment.delivered
            pk.pack_map(6);
            put(pk, "qty", round_to(o.qty_kg * yield_, 0.1));
            std::snprintf(buf, sizeof buf, "goods-in %s, gate %lld", customer.ship_city,
                          static_cast<long long>(rng_.between(1, 6)));
            put(pk, "received_by", buf);
            put(pk, "unit", "kg");
            put(pk, "shipment", "DN-" + suffix);
            put(pk, "damaged", false);
            put(pk, "remarks",
                "delivered complete, packaging intact, profiles inspected at "
                "unloading, CMR signed and returned to the driver");
            break;
        }
        default: {  // finance.invoice.issued
            pk.pack_map(5);
            put(pk, "invoice", "INV-" + suffix);
            put(pk, "amount_cents", o.amount_cents);
            put(pk, "currency", currency);
            put(pk, "invoice_date", date(today_));
            put(pk, "due_date", date(today_ + 30));
            break;
        }
    }
}

}  // namespace baton::bench
