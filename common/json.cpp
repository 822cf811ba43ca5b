// value -> nlohmann::ordered_json -> text (keys keep their order). nlohmann stays out of every
// header.
#include "json.h"

#include <nlohmann/json.hpp>

namespace baton {

namespace {

nlohmann::ordered_json convert(const value& v) {
    switch (v.v.index()) {
        case 0: return nullptr;
        case 1: return v.as_bool();
        case 2: return std::get<std::int64_t>(v.v);
        case 3: return std::get<std::uint64_t>(v.v);
        case 4: return std::get<double>(v.v);
        case 5: return v.as_string();
        case 6: {
            auto a = nlohmann::ordered_json::array();
            for (const auto& e : v.as_list()) a.push_back(convert(e));
            return a;
        }
        case 7: {
            auto o = nlohmann::ordered_json::object();
            for (const auto& m : v.as_map()) o[m.key] = convert(m.val);
            return o;
        }
    }
    return nullptr;
}

}  // namespace

std::string to_json(const value& v, int indent) {
    // Strings were checked as UTF-8 on the way in; replace rather than throw if one was not.
    return convert(v).dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace baton
