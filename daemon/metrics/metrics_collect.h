// Takes a metrics snapshot from the loop's state, on the loop's thread, when a scrape asked.
// The counters and histograms are copied every time (a few hundred bytes). The labelled gauges
// (orders by stage and holder, exceptions by kind, severity and dept, tasks by dept) need a
// walk of the orders and the desk, so they are counted again only when the last count is
// older than 50 times what it took: however often batond is scraped, counting takes at most
// about 2 % of the loop's time. A label set once seen stays (at 0), so a series never just
// vanishes; every flow stage is there from the start.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "metrics_snapshot.h"

namespace baton {

struct daemon_state;
class batch_stage;
struct socket_counters;

class metrics_collector {
public:
    std::shared_ptr<const metrics_snapshot> collect(const daemon_state& s, const batch_stage& stage,
                                                    const socket_counters& sockets);
    // Counts the labelled gauges now, whatever their age (tests; the first snapshot).
    std::shared_ptr<const label_gauges> count_labels(const daemon_state& s);

private:
    std::map<std::pair<std::string, std::string>, std::uint64_t> orders_;  // stage, holder
    std::map<std::tuple<std::string, std::string, std::string>, std::uint64_t> exceptions_;
    std::map<std::string, std::uint64_t> tasks_;  // by dept
    std::shared_ptr<const label_gauges> labels_;
    std::int64_t counted_us_ = 0;  // steady µs when the last count ended
    std::int64_t cost_us_ = 0;     // what it took
};

}  // namespace baton
