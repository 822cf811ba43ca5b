// value -> nlohmann::ordered_json -> text (keys keep their order). nlohmann stays out of every
// header.
#include "json.h"

#include <nlohmann/json.hpp>

#include <cstdio>

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
    std::string text =
        convert(v).dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    // nlohmann escapes C0 controls but writes DEL and the C1 controls (U+0080 to U+009F) as they
    // are, and a terminal may act on those (U+009B is CSI). JSON allows \u escapes for any
    // character, and outside strings the text is ASCII, so every such byte is inside a string.
    // Most text has neither byte: then it is returned as nlohmann wrote it.
    if (text.find_first_of("\x7f\xc2") == std::string::npos) return text;
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        const auto next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
        if (c == 0x7f) {
            out += "\\u007f";
        } else if (c == 0xc2 && next >= 0x80 && next <= 0x9f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(next));
            out += buf;
            ++i;
        } else {
            out += text[i];
        }
    }
    return out;
}

}  // namespace baton
