// Realistic ingest traffic for the benchmark: whole order lifecycles of an extrusion plant, each
// event a PROTOCOL.md envelope that passes schemas/*.yaml, with UUID-like random event ids from
// which the benchmark recovers an ack's event number without a lookup table.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace baton::bench {

// splitmix64: small, fast and good enough to make ids and quantities look random.
class random_source {
public:
    explicit random_source(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    // Uniform in [low, high].
    std::int64_t between(std::int64_t low, std::int64_t high) {
        return low + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(high - low + 1));
    }

private:
    std::uint64_t state_;
};

inline constexpr std::size_t event_id_bytes = 36;  // 8-4-4-4-12 hex digits, like a v4 UUID
inline constexpr unsigned max_producers = 256;
inline constexpr std::uint64_t max_events_per_producer = 1ULL << 40;

// A random-looking v4 UUID whose last 12 hex digits are a bijective scramble of (producer,
// index): every digit looks random to the daemon, and parse_event_id() inverts it exactly.
std::string make_event_id(random_source& rng, unsigned producer, std::uint64_t index);
// False when `id` is not one of ours.
bool parse_event_id(std::string_view id, unsigned& producer, std::uint64_t& index);

// One producer's stream of events. A prologue of sales.customer.updated announces the
// producer's own customers (tier, terms, a credit limit that covers their open orders); then
// `open_orders` orders are in progress at once, interleaved at random (as departments report on
// many orders at a time); each walks the nine steps of its lifecycle in order, and a finished
// order is replaced by a new one. Event ids and order ids are new in every run (`run_id`), as a
// real client's would be, so a second run against the same batond is not taken for duplicates;
// `seed` fixes everything else.
class order_traffic {
public:
    static constexpr int lifecycle_events = 9;
    static constexpr std::size_t customers_per_producer = 8;

    order_traffic(unsigned producer, std::uint64_t seed, std::uint64_t run_id,
                  std::size_t open_orders);

    // Encodes the producer's event number `index` into `topic` and `envelope` (MessagePack).
    void next(std::uint64_t index, std::string& topic, std::string& envelope);

    std::uint64_t orders_started() const { return orders_started_; }

    // Every order produced, shipped and delivered in full. By default 98.5 % of it is, and the
    // invoice bills the ordered amount: the desk flags a third of the orders (those of one line)
    // invoice_mismatch, and with nobody to resolve them they stay open, and in memory.
    void set_full_delivery(bool full) { yield_ = full ? 1.0 : 0.985; }

private:
    struct order_line {
        std::int64_t profile = 0;  // catalogue number: item PRF-<n>, die D-<n>
        int alloy = 0, temper = 0, finish = 0, length = 0;  // indexes into the option tables
        double qty_kg = 0;
        std::int64_t amount_cents = 0;
    };
    struct open_order {
        std::string id;      // SO-<run tag>-P<producer>-<number>
        int step = 0;        // index of the next lifecycle event
        int customer = 0;    // index into the customer table
        int line_count = 1;  // 1-3 order lines
        std::array<order_line, 3> lines;
        std::int64_t amount_cents = 0;
        double qty_kg = 0;
        int press_line = 1;  // P1..P4
        int start_day = 0;   // planned production start, days from the date table's origin
        int promised_day = 0;
    };

    void start_order(open_order& o);
    void announce_customer(std::uint64_t index, std::string& topic, std::string& envelope);
    const std::string& date(int day) const;  // YYYY-MM-DD of day (clamped to the table)

    unsigned producer_;
    random_source rng_;
    std::vector<open_order> open_;
    std::uint64_t orders_started_ = 0;
    double yield_ = 0.985;            // of the ordered quantity, produced, shipped and delivered
    int today_ = 0;                   // index of today in dates_
    random_source id_rng_;            // the random part of event ids
    std::string run_tag_;             // 5 characters of run_id, in every order id
    std::vector<std::string> dates_;  // today - 30 days .. today + 240 days
    std::array<std::string, 4> sources_;         // sales-erp.site<producer>, ...
    std::array<std::uint64_t, 4> source_seq_{};  // the envelope's per-source `seq`
    std::array<std::string, customers_per_producer> customer_ids_;  // C-P<producer>-<n>
    std::size_t customers_announced_ = 0;
};

}  // namespace baton::bench
