// What the plant's logistics department does: the goods of an order leave in one to trucks_max
// trucks, each a named shipment carrying some lines (a big line split over two trucks), a day
// or three apart, so the rest waits as a backorder for the next truck; a delivery that fails
// is dispatched again under the same shipment number and delivered.
#include <algorithm>
#include <array>

#include "plant.h"
#include "plant_order.h"

namespace baton::adapters::simulator {

namespace {

constexpr std::array<const char*, 4> carriers = {"Spedition Meier GmbH", "Raben Logistics",
                                                 "DSV Road", "Transalu Kft"};
struct delivery_problem {
    const char* kind;
    const char* reason;
};
constexpr std::array<delivery_problem, 5> delivery_problems = {{
    {"closed", "goods-in closed on arrival, no one to unload"},
    {"refused", "customer refused the delivery: packaging damaged in transit"},
    {"address", "site address incomplete, driver could not find the unloading point"},
    {"vehicle", "truck breakdown on the motorway, goods back at the depot"},
    {"carrier", "carrier missed the unloading slot, rebooked by the customer"},
}};

}  // namespace

// Splits what was made into trucks: loads of one line each, the biggest split in two until
// there is a load per truck, then each load onto the lightest truck.
void plant::plan_trucks(sim_order& o) {
    o.trucks_planned = true;
    const int most = std::max(options_.trucks_max, 1);
    int n = 1;
    if (most > 1) {
        const double r = uniform();
        if (r >= 0.55) n = 2 + static_cast<int>((r - 0.55) / 0.45 * (most - 1));
        n = std::min(n, most);
    }
    std::vector<sim_order::load> loads;
    for (std::size_t i = 0; i < o.lines.size(); ++i)
        if (o.lines[i].good > 0) loads.push_back({i, o.lines[i].good});
    while (loads.size() < static_cast<std::size_t>(n)) {
        std::size_t biggest = loads.size();
        double biggest_kg = 0;
        for (std::size_t k = 0; k < loads.size(); ++k) {
            const auto& l = o.lines[loads[k].line];
            const bool splits = l.unit == "pcs" ? loads[k].qty >= 2 : loads[k].qty >= 200;
            if (splits && l.kg(loads[k].qty) > biggest_kg) {
                biggest = k;
                biggest_kg = l.kg(loads[k].qty);
            }
        }
        if (biggest == loads.size()) break;  // nothing left to split
        const auto& l = o.lines[loads[biggest].line];
        const double part = in_unit(l.unit, loads[biggest].qty * (0.4 + 0.2 * uniform()));
        loads.push_back({loads[biggest].line, in_unit(l.unit, loads[biggest].qty - part)});
        loads[biggest].qty = part;
    }
    n = std::max<int>(1, std::min<int>(n, static_cast<int>(loads.size())));
    std::stable_sort(loads.begin(), loads.end(), [&](const auto& a, const auto& b) {
        return o.lines[a.line].kg(a.qty) > o.lines[b.line].kg(b.qty);
    });
    o.trucks.assign(static_cast<std::size_t>(n), {});
    std::vector<double> kg(static_cast<std::size_t>(n), 0.0);
    for (const auto& load : loads) {
        const auto t =
            static_cast<std::size_t>(std::min_element(kg.begin(), kg.end()) - kg.begin());
        o.trucks[t].loads.push_back(load);
        kg[t] += o.lines[load.line].kg(load.qty);
    }
    for (auto& t : o.trucks) {
        std::sort(t.loads.begin(), t.loads.end(),
                  [](const auto& a, const auto& b) { return a.line < b.line; });
        t.fails = chance(options_.faults.delivery_fail);
    }
    stats_.shipments += o.trucks.size();
    if (o.trucks.size() > 1) ++stats_.split_orders;
    schedule(o.index, action_kind::dispatch, now_ms_);
}

void plant::dispatch(sim_order& o, std::uint32_t t) {
    sim_order::truck& truck = o.trucks[t];
    const account& a = accounts_[o.customer];
    if (++truck.attempts == 1) {
        truck.shipment = "DN-" + tag_ + "-" + pad(++next_shipment_, 5);
        // The rest waits for the next truck.
        if (t + 1 < o.trucks.size())
            schedule(o.index, action_kind::dispatch, now_ms_ + hours(12, 72), t + 1);
    }
    double kg = 0;
    value_list lines;
    for (const auto& l : truck.loads) {
        kg += o.lines[l.line].kg(l.qty);
        value v;
        v.set("line", static_cast<int>(l.line + 1));
        v.set("qty", l.qty);
        v.set("unit", o.lines[l.line].unit);
        lines.push_back(std::move(v));
    }
    kg = std::max(0.1, round_to(kg, 0.1));
    value d;
    d.set("vehicle", a.country + "-" + std::to_string(between(1000, 9999)) + " AL");
    d.set("qty", kg);
    d.set("unit", "kg");
    d.set("shipment", truck.shipment);
    d.set("carrier", carriers[next_random() % carriers.size()]);
    d.set("packages", static_cast<int>(kg / 800) + 1);
    d.set("gross_weight_kg", round_to(kg * 1.04, 0.1));
    d.set("expected_delivery", civil_date(today() + 2));
    d.set("partial", t + 1 < o.trucks.size());
    d.set("order_lines", value(std::move(lines)));
    emit(make(department::logistics, "logistics.shipment.dispatched", &o, std::move(d)), &o, true);
    if (truck.fails && truck.attempts == 1)
        schedule(o.index, action_kind::deliver, now_ms_ + hours(12, 48), t);
    else
        schedule(o.index, action_kind::deliver, now_ms_ + answer_after(18, 52, 110), t);
}

void plant::deliver(sim_order& o, std::uint32_t t) {
    sim_order::truck& truck = o.trucks[t];
    const account& a = accounts_[o.customer];
    if (truck.fails && truck.attempts == 1) {
        ++stats_.failed_deliveries;
        const delivery_problem& p = delivery_problems[next_random() % delivery_problems.size()];
        value d;
        d.set("reason", p.reason);
        d.set("kind", p.kind);
        d.set("shipment", truck.shipment);
        d.set("retry_date", civil_date(today() + 2));
        emit(make(department::logistics, "logistics.delivery.failed", &o, std::move(d)), &o, false);
        schedule(o.index, action_kind::dispatch, now_ms_ + hours(20, 48), t);
        return;
    }
    truck.delivered = true;
    double kg = 0;
    value_list lines;
    for (const auto& l : truck.loads) {
        kg += o.lines[l.line].kg(l.qty);
        value v;
        v.set("line", static_cast<int>(l.line + 1));
        v.set("qty", l.qty);
        v.set("unit", o.lines[l.line].unit);
        lines.push_back(std::move(v));
    }
    value d;
    d.set("qty", round_to(kg, 0.1));
    d.set("received_by", "goods-in " + a.city);
    d.set("unit", "kg");
    d.set("shipment", truck.shipment);
    d.set("damaged", false);
    d.set("remarks", o.trucks.size() == 1 ? std::string("delivered complete, CMR signed")
                                          : "part delivery " + std::to_string(t + 1) + " of " +
                                                std::to_string(o.trucks.size()) + ", CMR signed");
    d.set("order_lines", value(std::move(lines)));
    emit(make(department::logistics, "logistics.shipment.delivered", &o, std::move(d)), &o, true);
    if (!o.prepay)
        schedule(o.index, action_kind::invoice_shipment, now_ms_ + answer_after(2, 72, 260), t);
    const bool all = std::all_of(o.trucks.begin(), o.trucks.end(),
                                 [](const sim_order::truck& x) { return x.delivered; });
    if (!all) return;
    o.delivered = true;
    if (o.prepay) schedule(o.index, action_kind::invoice_order, now_ms_ + answer_after(2, 72, 260));
    if (o.complaint) schedule(o.index, action_kind::complaint, now_ms_ + hours(48, 240));
}

}  // namespace baton::adapters::simulator
