// What the plant's production department does: new dies, the order split into press runs
// (batches) by die and alloy, each scheduled, started and completed with its own plan and the
// quantities of its lines; quality-control failures followed by a re-run batch; a last batch
// that comes out short, re-run later (or the order amended down by sales); and the plan
// confirmed again after sales amends a scheduled order.
#include <algorithm>
#include <array>
#include <utility>

#include "plant.h"
#include "plant_order.h"

namespace baton::adapters::simulator {

namespace {

constexpr std::array<const char*, 3> die_makers = {"Exco Dies", "Bohler Matrizen",
                                                   "Castool Tooling"};
struct qc_defect {
    const char* defect;
    const char* detail;
};
constexpr std::array<qc_defect, 6> qc_defects = {{
    {"die_lines", "die lines on the visible face beyond the agreed limit sample"},
    {"dimension", "wall thickness 0.15 mm under tolerance (EN 755-9) at the die exit"},
    {"twist", "twist of 1.2 degrees per metre on the long profiles, limit 1.0"},
    {"coating_thickness", "powder coating 48 um on the inner faces, 60 um required"},
    {"blisters", "blisters in the anodic layer after sealing, batch held"},
    {"hardness", "hardness 9 HW after ageing, 12 HW required for the temper"},
}};

}  // namespace

void plant::after_credit(sim_order& o) {
    if (o.new_die)
        schedule(o.index, action_kind::die_ready,
                 now_ms_ + (o.late_die ? hours(10.5 * 24, 20 * 24) : hours(5 * 24, 7.5 * 24)));
    else
        schedule(o.index, action_kind::plan_batches, now_ms_ + answer_after(2, 16, 48));
}

void plant::die_ready(sim_order& o) {
    if (o.late_die) ++stats_.late_dies;
    value d;
    d.set("die", "D-" + std::to_string(o.lines[0].die));
    d.set("supplier", die_makers[next_random() % die_makers.size()]);
    d.set("trial_passed", true);
    d.set("cost_cents", ll(between(250, 900) * 1000));
    emit(make(department::production, "production.die.ready", &o, std::move(d)), &o, true);
    schedule(o.index, action_kind::plan_batches, now_ms_ + answer_after(2, 16, 48));
}

// One press run per die and alloy (lines on the same die and alloy run together), at most
// batches_max: the rest join the last run. Each gets its own plan, a day or two apart.
void plant::plan_batches(sim_order& o) {
    std::vector<std::vector<std::size_t>> groups;
    std::vector<std::pair<int, std::string>> keys;
    for (std::size_t i = 0; i < o.lines.size(); ++i) {
        const std::pair<int, std::string> key{o.lines[i].die, o.lines[i].alloy};
        auto it = std::find(keys.begin(), keys.end(), key);
        if (it == keys.end()) {
            keys.push_back(key);
            groups.push_back({i});
        } else {
            groups[static_cast<std::size_t>(it - keys.begin())].push_back(i);
        }
    }
    const auto most = static_cast<std::size_t>(std::max(options_.batches_max, 1));
    while (groups.size() > most) {
        auto last = std::move(groups.back());
        groups.pop_back();
        groups.back().insert(groups.back().end(), last.begin(), last.end());
    }
    o.scheduled = true;
    std::int64_t day = today() + between(2, 8);
    for (auto& g : groups) {
        const std::uint32_t b = add_batch(o, std::move(g), false, day);
        announce_batch(o, b, false);
        day += between(0, 2);
    }
    if (o.amend_after_schedule) {
        // Mostly before production starts, sometimes while it runs.
        const double lead_h =
            static_cast<double>((o.batches.front().planned_start_day - today()) * 24) + 12;
        schedule(o.index, action_kind::amend_after_schedule, now_ms_ + hours(2, lead_h));
    }
}

std::uint32_t plant::add_batch(sim_order& o, std::vector<std::size_t> lines, bool rerun,
                               std::int64_t first_day) {
    sim_order::batch b;
    b.id = "B-" + tag_ + "-" + pad(++next_batch_, 5);
    b.rejected.assign(lines.size(), 0.0);
    b.planned.assign(lines.size(), 0.0);
    b.lines = std::move(lines);
    b.rerun = rerun;
    b.fails_qc = chance(options_.faults.qc_fail);
    b.press_line = static_cast<int>(between(1, 4));
    b.planned_start_day = first_day;
    b.planned_finish_day = first_day + (rerun ? between(0, 1) : between(1, 3));
    ++stats_.batches;
    if (rerun) ++stats_.reruns;
    o.batches.push_back(std::move(b));
    return static_cast<std::uint32_t>(o.batches.size() - 1);
}

// production.order.scheduled for a batch: a new plan (then it starts on its day), or the same
// plan confirmed after an amendment (rescheduled).
void plant::announce_batch(sim_order& o, std::uint32_t i, bool rescheduled) {
    const sim_order::batch& b = o.batches[i];
    value d;
    d.set("planned_start", civil_date(b.planned_start_day));
    d.set("planned_finish", civil_date(b.planned_finish_day));
    d.set("line", "P" + std::to_string(b.press_line));
    const std::string& finish = o.lines[b.lines.front()].finish;
    if (finish == "anodised") d.set("finishing_line", "ANOD-1");
    if (finish == "powder_coated" || finish == "thermal_break") d.set("finishing_line", "PC-2");
    d.set("rescheduled", rescheduled);
    d.set("batch", b.id);
    emit(make(department::production, "production.order.scheduled", &o, std::move(d)), &o,
         !rescheduled);
    if (!rescheduled)
        schedule(o.index, action_kind::start_batch, b.planned_start_day * day_ms + hours(6, 14), i);
}

void plant::start_batch(sim_order& o, std::uint32_t i) {
    sim_order::batch& b = o.batches[i];
    b.started = true;
    // An original run makes what its lines ask for now; a re-run its plan, set when planned.
    if (!b.rerun)
        for (std::size_t k = 0; k < b.lines.size(); ++k) {
            const auto& l = o.lines[b.lines[k]];
            b.planned[k] = std::max(0.0, l.qty - l.good);
        }
    const std::int64_t hour = (now_ms_ % day_ms) / hour_ms;
    value d;
    d.set("line", "P" + std::to_string(b.press_line));
    d.set("shift", hour >= 6 && hour < 14 ? "early" : hour >= 14 && hour < 22 ? "late" : "night");
    d.set("billet_lot",
          "BL-" + std::to_string(between(10000, 99999)) + "/" + o.lines[b.lines.front()].alloy);
    d.set("batch", b.id);
    emit(make(department::production, "production.order.started", &o, std::move(d)), &o, true);
    // Done on the planned finish day, or (slow_answer) well after it.
    b.complete_ms = std::max(now_ms_ + hours(4, 8), b.planned_finish_day * day_ms + hours(10, 22));
    if (chance(options_.faults.slow_answer)) {
        ++stats_.slow_answers;
        b.complete_ms += hours(30, 60);
    }
    double planned_total = 0;
    for (double q : b.planned) planned_total += q;
    if (b.fails_qc && planned_total > 0)
        schedule(o.index, action_kind::qc_fail,
                 now_ms_ + static_cast<std::int64_t>(static_cast<double>(b.complete_ms - now_ms_) *
                                                     (0.3 + 0.5 * uniform())),
                 i);
    else
        schedule(o.index, action_kind::complete_batch, b.complete_ms, i);
}

// QC rejects part of the run: it still completes (the rejected bars as scrap), and production
// plans a re-run batch for what was rejected, to start once this run is done.
void plant::fail_qc(sim_order& o, std::uint32_t i) {
    ++stats_.qc_failures;
    sim_order::batch& b = o.batches[i];
    const double share = 0.05 + 0.35 * uniform();
    value_list lines;
    std::vector<std::size_t> rerun_lines;
    std::vector<double> rerun_plan;
    double total_kg = 0;
    for (std::size_t k = 0; k < b.lines.size(); ++k) {
        const auto& l = o.lines[b.lines[k]];
        double rejected = in_unit(l.unit, b.planned[k] * share);
        if (rejected <= 0 && b.planned[k] > 0) rejected = l.unit == "pcs" ? 1 : 0.1;
        rejected = std::min(rejected, b.planned[k]);
        if (rejected <= 0) continue;
        b.rejected[k] = rejected;
        rerun_lines.push_back(b.lines[k]);
        rerun_plan.push_back(rejected);
        total_kg += l.kg(rejected);
        value v;
        v.set("line", static_cast<int>(b.lines[k] + 1));
        v.set("qty", rejected);
        v.set("unit", l.unit);
        lines.push_back(std::move(v));
    }
    const qc_defect& q = qc_defects[next_random() % qc_defects.size()];
    const std::string press = "P" + std::to_string(b.press_line);
    value d;
    d.set("detail",
          std::string(q.detail) + " (" + o.id + ", batch " + b.id + ", line " + press + ")");
    d.set("qty", std::max(0.1, round_to(total_kg, 0.1)));
    d.set("unit", "kg");
    d.set("defect", q.defect);
    d.set("line", press);
    d.set("rework", chance(0.3));
    d.set("inspector", inspectors[next_random() % inspectors.size()]);
    d.set("batch", b.id);
    d.set("order_lines", value(std::move(lines)));
    emit(make(department::production, "production.qc.failed", &o, std::move(d)), &o, false);
    const std::int64_t completes = std::max(b.complete_ms, now_ms_ + hours(2, 8));
    const std::int64_t first_day = std::max(today(), day_of(completes)) + between(1, 3);
    const std::uint32_t r = add_batch(o, std::move(rerun_lines), true, first_day);
    o.batches[r].planned = std::move(rerun_plan);
    announce_batch(o, r, false);
    schedule(o.index, action_kind::complete_batch, completes, i);
}

// A run is done: its lines' good quantities (the plan, a little over, less what QC rejected)
// and scrap. The last run of a short_run order comes out short. Once every run is done the
// order is produced, or short and waiting for a remedy.
void plant::complete_batch(sim_order& o, std::uint32_t i) {
    sim_order::batch& b = o.batches[i];
    b.completed = true;
    const bool last = o.all_batches_completed();
    // The line this short run leaves short (beyond batond's tolerance), if it can.
    std::size_t short_entry = b.lines.size();
    double short_total = 0;
    if (last && o.short_run && !o.short_done) {
        o.short_done = true;
        for (std::size_t k = 0; k < b.lines.size() && short_entry == b.lines.size(); ++k) {
            const auto& l = o.lines[b.lines[k]];
            const double target =
                l.unit == "pcs"
                    ? l.qty - std::max(1.0, std::round(l.qty * 0.03 * (1 + 2 * uniform())))
                    : in_unit(l.unit, l.qty * (0.85 + 0.11 * uniform()));
            if (target > l.good && target < b.planned[k] + l.good) {
                short_entry = k;
                short_total = target;
            }
        }
        if (short_entry < b.lines.size()) ++stats_.short_runs;
    }
    value_list lines;
    double good_kg = 0, scrap_kg = 0;
    for (std::size_t k = 0; k < b.lines.size(); ++k) {
        auto& l = o.lines[b.lines[k]];
        double good;
        if (k == short_entry)
            good = in_unit(l.unit, short_total - l.good);
        else if (l.unit == "pcs")
            good = b.planned[k] + static_cast<double>(between(0, 2)) - b.rejected[k];
        else
            good = in_unit(l.unit, b.planned[k] * (1.0 + 0.02 * uniform()) - b.rejected[k]);
        good = std::max(0.0, good);
        const double scrap =
            b.rejected[k] + (l.unit == "pcs"
                                 ? static_cast<double>(between(0, 3))
                                 : in_unit(l.unit, b.planned[k] * (0.005 + 0.02 * uniform())));
        l.good += good;
        good_kg += l.kg(good);
        scrap_kg += l.kg(scrap);
        value v;
        v.set("line", static_cast<int>(b.lines[k] + 1));
        v.set("qty_good", good);
        v.set("qty_scrap", scrap);
        v.set("unit", l.unit);
        lines.push_back(std::move(v));
    }
    value d;
    d.set("qty_good", round_to(good_kg, 0.1));
    d.set("qty_scrap", round_to(scrap_kg, 0.1));
    d.set("unit", "kg");
    d.set("line", "P" + std::to_string(b.press_line));
    d.set("packages", static_cast<int>(good_kg / 800) + 1);
    d.set("batch", b.id);
    d.set("order_lines", value(std::move(lines)));
    emit(make(department::production, "production.order.completed", &o, std::move(d)), &o, true);
    if (!last || o.produced) return;
    bool covered = true;
    for (const auto& l : o.lines) covered = covered && covers(l.good, l.qty, l.unit);
    if (covered) {
        o.produced = true;
        after_production(o);
    } else {
        // Short after the last run: production and sales decide what to do.
        schedule(o.index, action_kind::remedy_short, now_ms_ + hours(12, 60));
    }
}

// Short after the last run: production re-runs what is missing (3 in 5), or sales agrees the
// shorter quantity with the customer and amends the order down.
void plant::remedy_short(sim_order& o) {
    if (o.produced) return;
    if (!chance(0.6)) {
        amend_short_down(o);
        return;
    }
    ++stats_.short_reruns;
    std::vector<std::size_t> lines;
    std::vector<double> plan;
    for (std::size_t i = 0; i < o.lines.size(); ++i) {
        const auto& l = o.lines[i];
        if (covers(l.good, l.qty, l.unit)) continue;
        lines.push_back(i);
        plan.push_back(std::max(l.unit == "pcs" ? 1.0 : 0.1, in_unit(l.unit, l.qty - l.good)));
    }
    const std::uint32_t r = add_batch(o, std::move(lines), true, today() + between(1, 3));
    o.batches[r].planned = std::move(plan);
    o.batches[r].fails_qc = false;  // one misfortune per re-run is enough
    announce_batch(o, r, false);
}

// Production answers an amendment of a scheduled order: the plan of its next run (or its last
// one), confirmed as it stands.
void plant::confirm_plan(sim_order& o) {
    if (o.batches.empty()) return;
    ++stats_.confirmations;
    std::uint32_t i = static_cast<std::uint32_t>(o.batches.size() - 1);
    for (std::uint32_t k = 0; k < o.batches.size(); ++k)
        if (!o.batches[k].completed) {
            i = k;
            break;
        }
    announce_batch(o, i, true);
}

// The whole order is made: late cancellation, prepayment, or the trucks.
void plant::after_production(sim_order& o) {
    if (o.cancel_late) {
        schedule(o.index, action_kind::cancel_late, now_ms_ + hours(2, 30));
        return;
    }
    if (o.prepay && !o.paid) {
        if (!o.payment_planned) {
            o.payment_planned = true;
            schedule(o.index, action_kind::prepayment,
                     now_ms_ + (o.slow_pay ? hours(80, 200) : hours(8, 50)));
        }
        return;
    }
    schedule(o.index, action_kind::plan_trucks, now_ms_ + answer_after(3, 16, 40));
}

}  // namespace baton::adapters::simulator
