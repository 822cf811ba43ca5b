// The one error type of start-up and reload: which file, which key, and why.
#pragma once

#include <stdexcept>
#include <string>

namespace baton {

struct config_error : std::runtime_error {
    std::string file;    // path of the file at fault
    std::string key;     // key path inside it, e.g. "bus.subscribe[1].endpoint"; may be empty
    std::string reason;  // one line

    config_error(std::string file_, std::string key_, std::string reason_)
        : std::runtime_error(file_ + (key_.empty() ? "" : ": " + key_) + ": " + reason_),
          file(std::move(file_)),
          key(std::move(key_)),
          reason(std::move(reason_)) {}
};

}  // namespace baton
