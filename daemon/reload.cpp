// Re-reading the configuration files, all or nothing.
#include "reload.h"

#include <spdlog/spdlog.h>

namespace baton {

std::string reload_files(daemon_state& s, security_config& security) {
    config next;
    loop_inputs in;
    try {
        next = load_config(s.cfg.file);
        in = load_inputs(next);
    } catch (const config_error& e) {
        ++s.stats.reloads_refused;
        return e.what();
    }
    const config& cfg = s.cfg;
    if (next.data_dir != cfg.data_dir || next.bus.ingest != cfg.bus.ingest ||
        next.bus.relay != cfg.bus.relay || next.bus.control != cfg.bus.control ||
        next.feed_path != cfg.feed_path)
        spdlog::warn(
            "reload: data_dir, bus endpoints and the feed path change only with a restart; the "
            "rest is applied now");
    if (next.metrics.enabled != cfg.metrics.enabled || next.metrics.host != cfg.metrics.host ||
        next.metrics.port != cfg.metrics.port ||
        next.metrics.stall_after_us != cfg.metrics.stall_after_us)
        spdlog::warn("reload: metrics.* changes only with a restart; the rest is applied now");
    s.schemas = std::move(in.schemas);  // s.rules.schemas points at this member
    s.flow = std::move(in.flow);
    s.seed_customers = std::move(in.customers);
    s.engine.set_flow(s.flow);
    s.engine.update_masters(s.seed_customers);
    s.desk.set_flow(s.flow, s.engine, s.clock.now_ms());  // deadlines from now on use the new SLAs
    s.cfg.log_level = next.log_level;
    spdlog::set_level(spdlog::level::from_str(s.cfg.log_level));
    s.cfg.batch = next.batch;
    s.cfg.snapshot = next.snapshot;
    s.cfg.retention = next.retention;
    if (next.storage_max_bytes != s.cfg.storage_max_bytes) {
        s.cfg.storage_max_bytes = next.storage_max_bytes;
        s.store.set_max_bytes(s.cfg.storage_max_bytes);
    }
    security = next.security;
    ++s.stats.reloads;
    spdlog::info("reloaded {}: {} topics, {} stages, {} customers, log level {}", s.cfg.file,
                 s.schemas.topics().size(), s.flow.stages.size(), s.seed_customers.size(),
                 s.cfg.log_level);
    return "";
}

}  // namespace baton
