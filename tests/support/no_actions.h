// control_actions for tests of the control views alone: every change is refused.
#pragma once

#include <cstdint>
#include <string>

#include "control_views.h"

namespace baton::testing {

class no_actions final : public control_actions {
public:
    std::string act(desk_action, std::uint64_t, const std::string&, const std::string&,
                    const std::string&) override {
        return "no";
    }
    std::string reload() override { return "no"; }
};

}  // namespace baton::testing
