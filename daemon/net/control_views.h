// The control views: batond's answers to the control commands, read from the shared state —
// status (counts, relay seq, storage, counters), one order with its pieces, history, exceptions
// and tasks, the orders list, exceptions, tasks, KPIs, customers and a replay of the outbox. What
// changes state (a person's action, a reload) is handed to `control_actions`, which the loop
// implements because a change must be committed and published before the reply.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "batch.h"
#include "control.h"
#include "daemon_state.h"

namespace baton {

class control_actions {
public:
    virtual ~control_actions() = default;
    virtual std::string act(desk_action action, std::uint64_t id, const std::string& by,
                            const std::string& note, const std::string& to) = 0;
    virtual std::string reload() = 0;
};

// Figures that live with the sockets (the ZAP handler's), for `status`.
struct socket_counters {
    std::uint64_t auth_refused = 0;
    std::uint64_t handshakes_failed = 0;
};

class control_views final : public control_context {
public:
    control_views(daemon_state& state, const batch_stage& stage, control_actions& actions,
                  std::function<socket_counters()> sockets)
        : s_(state), stage_(stage), actions_(actions), sockets_(std::move(sockets)) {}

    value status() override;
    std::optional<value> order(const std::string& id) override;
    value orders(const orders_query& q) override;
    value replay(std::uint64_t since, std::size_t limit) override;
    value exceptions(const exceptions_query& q) override;
    value tasks(const task_filter& f) override;
    value kpi(const kpi_query& q) override;
    std::optional<value> customer(const std::string& id) override;
    value customers(const customers_query& q) override;
    std::string act(desk_action action, std::uint64_t id, const std::string& by,
                    const std::string& note, const std::string& to) override {
        return actions_.act(action, id, by, note, to);
    }
    std::string reload() override { return actions_.reload(); }

private:
    // The open and acknowledged exceptions, most severe first.
    std::vector<const exception_record*> open_exceptions() const;

    daemon_state& s_;
    const batch_stage& stage_;
    control_actions& actions_;
    std::function<socket_counters()> sockets_;
};

}  // namespace baton
