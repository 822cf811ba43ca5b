// Exception and task ids as people write them.
#include "record_id.h"

namespace baton {

bool is_exception_kind(const std::string& kind) {
    for (const char* k : exception_kinds)
        if (kind == k) return true;
    return false;
}

std::string exception_id_text(std::uint64_t id) {
    return "E-" + std::to_string(id);
}
std::string task_id_text(std::uint64_t id) {
    return "T-" + std::to_string(id);
}

std::optional<std::uint64_t> parse_record_id(const std::string& text, char prefix) {
    std::string digits = text;
    if (digits.size() > 2 && (digits[0] == prefix || digits[0] == prefix + ('a' - 'A')) &&
        digits[1] == '-')
        digits = digits.substr(2);
    if (digits.empty() || digits.size() > 18) return std::nullopt;
    for (char c : digits)
        if (c < '0' || c > '9') return std::nullopt;
    std::uint64_t id = std::stoull(digits);
    if (id == 0) return std::nullopt;
    return id;
}

}  // namespace baton
