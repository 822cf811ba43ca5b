// Building the shared state of batond.
#include "daemon_state.h"

namespace baton {

loop_inputs load_inputs(const config& cfg) {
    loop_inputs in;
    in.schemas = schema_set::load(cfg.schemas_dir);
    in.flow = load_flow(cfg.flow_file);
    in.customers = load_customers(cfg.customers_file);
    return in;
}

daemon_state::daemon_state(const config& c, loop_inputs in, const clock_source& clk)
    : cfg(c),
      schemas(std::move(in.schemas)),
      flow(std::move(in.flow)),
      seed_customers(std::move(in.customers)),
      clock(clk),
      store(c.data_dir),
      dedup(c.dedup.window_us / 1000, c.dedup.max_entries),
      engine(flow, customer_book(seed_customers)),
      desk(flow),
      feed(c.feed_path, c.feed_max_bytes, c.feed_keep, &clk),
      started_ms(clk.now_ms()) {
    rules.schemas = &schemas;
    rules.limits = cfg.limits.decode;
    rules.max_envelope_bytes = cfg.limits.max_envelope_bytes;
}

}  // namespace baton
