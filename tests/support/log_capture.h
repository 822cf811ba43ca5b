// Captures what spdlog's default logger writes while it lives, to check a log line was (or was
// not) written; the previous default logger comes back at the end.
#pragma once

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace baton::testing {

class log_capture {
public:
    log_capture()
        : previous_(spdlog::default_logger()),
          sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(4096)) {
        auto logger = std::make_shared<spdlog::logger>("capture", sink_);
        logger->set_level(spdlog::level::trace);
        spdlog::set_default_logger(logger);
    }
    ~log_capture() { spdlog::set_default_logger(previous_); }
    log_capture(const log_capture&) = delete;
    log_capture& operator=(const log_capture&) = delete;

    // Every line written so far, one per line.
    std::string text() const {
        std::string out;
        for (const auto& line : sink_->last_formatted()) out += line;
        return out;
    }
    bool contains(const std::string& part) const { return text().find(part) != std::string::npos; }

private:
    std::shared_ptr<spdlog::logger> previous_;
    std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
};

}  // namespace baton::testing
