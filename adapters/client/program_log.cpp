// The programs' logger (program_log.h).
#include "program_log.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace baton::adapters {

void log_to_stderr(const char* program) {
    spdlog::set_default_logger(spdlog::stderr_color_mt(program));
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
}

}  // namespace baton::adapters
