// JSON -> value: nlohmann parses (iteratively), then a walk with an explicit depth bound turns
// the tree into a value, so a hostile body cannot exhaust the stack.
#include "json_value.h"

#include <nlohmann/json.hpp>

namespace baton::adapters::webhook {

namespace {

using json = nlohmann::ordered_json;

bool convert(const json& j, value& out, std::size_t depth, std::string& error) {
    if (depth > max_json_depth) {
        error = "decode: JSON nested deeper than " + std::to_string(max_json_depth) + " levels";
        return false;
    }
    switch (j.type()) {
        case json::value_t::null: out = value(); return true;
        case json::value_t::boolean: out = value(j.get<bool>()); return true;
        case json::value_t::number_integer: out = value(j.get<std::int64_t>()); return true;
        case json::value_t::number_unsigned: out = value(j.get<std::uint64_t>()); return true;
        case json::value_t::number_float: out = value(j.get<double>()); return true;
        case json::value_t::string: out = value(j.get_ref<const std::string&>()); return true;
        case json::value_t::array: {
            value_list list;
            list.reserve(j.size());
            for (const auto& e : j) {
                list.emplace_back();
                if (!convert(e, list.back(), depth + 1, error)) return false;
            }
            out = value(std::move(list));
            return true;
        }
        case json::value_t::object: {
            value_map map;
            map.reserve(j.size());
            for (auto it = j.begin(); it != j.end(); ++it) {
                map.push_back(member{it.key(), value()});
                if (!convert(it.value(), map.back().val, depth + 1, error)) return false;
            }
            out = value(std::move(map));
            return true;
        }
        case json::value_t::binary:
        case json::value_t::discarded: break;
    }
    error = "decode: unsupported JSON value";
    return false;
}

// "[json.exception.parse_error.101] parse error at line 1, column 2: ..." -> "parse error at
// line 1, column 2: ..."
std::string without_exception_tag(const std::string& what) {
    if (!what.empty() && what[0] == '[') {
        auto end = what.find("] ");
        if (end != std::string::npos) return what.substr(end + 2);
    }
    return what;
}

}  // namespace

bool json_to_value(std::string_view text, value& out, std::string& error) {
    json parsed;
    try {
        // Duplicate object keys keep the last value, as nlohmann does; comments are refused.
        parsed = json::parse(text.begin(), text.end());
    } catch (const json::exception& e) {
        error = "decode: " + without_exception_tag(e.what());
        return false;
    }
    return convert(parsed, out, 1, error);
}

}  // namespace baton::adapters::webhook
