// The catalogue (catalogue.h): one table, written in parts per area of the board, and the
// reader's formats of dates, numbers, money and durations.
#include "catalogue.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <unordered_map>

namespace baton::board {

namespace {

const std::vector<catalogue_entry> table = {
#include "catalogue_board.inc"
#include "catalogue_customer.inc"
#include "catalogue_frame.inc"
#include "catalogue_kpi.inc"
#include "catalogue_order.inc"
#include "catalogue_users.inc"
#include "catalogue_words.inc"
};

const std::unordered_map<std::string_view, const catalogue_entry*>& index() {
    static const auto built = [] {
        std::unordered_map<std::string_view, const catalogue_entry*> m;
        for (const auto& e : table) m.emplace(e.key, &e);
        return m;
    }();
    return built;
}

std::tm local(std::int64_t ms) {
    std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    localtime_r(&t, &tm);
    return tm;
}

}  // namespace

const std::vector<catalogue_entry>& catalogue() {
    return table;
}

std::string_view tr(lang l, std::string_view key) {
    const auto& m = index();
    auto it = m.find(key);
    if (it == m.end()) return key;
    return l == lang::zh ? it->second->zh : it->second->en;
}

std::string tr_fmt(lang l, std::string_view key, std::initializer_list<std::string_view> args) {
    std::string_view pattern = tr(l, key);
    std::string out;
    out.reserve(pattern.size() + 16);
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '{' && i + 2 < pattern.size() && pattern[i + 2] == '}' &&
            pattern[i + 1] >= '0' && pattern[i + 1] <= '9') {
            const std::size_t n = static_cast<std::size_t>(pattern[i + 1] - '0');
            if (n < args.size()) out += *(args.begin() + n);
            i += 2;
            continue;
        }
        out += pattern[i];
    }
    return out;
}

std::string term(lang l, std::string_view group, std::string_view name) {
    std::string key;
    key.reserve(group.size() + 1 + name.size());
    key.append(group).append(".").append(name);
    const auto& m = index();
    auto it = m.find(key);
    if (it == m.end()) return std::string(name);
    return l == lang::zh ? it->second->zh : it->second->en;
}

bool has_term(std::string_view group, std::string_view name) {
    std::string key;
    key.append(group).append(".").append(name);
    return index().count(key) > 0;
}

lang lang_from_accept(std::string_view header) {
    double best_zh = -1, best_en = -1;
    std::size_t pos = 0;
    while (pos <= header.size()) {
        std::size_t comma = header.find(',', pos);
        if (comma == std::string_view::npos) comma = header.size();
        std::string_view item = header.substr(pos, comma - pos);
        pos = comma + 1;
        std::string_view tag = item.substr(0, item.find(';'));
        while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
        while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
        double q = 1.0;
        if (auto qp = item.find(";q="); qp != std::string_view::npos) {
            std::string qs(item.substr(qp + 3));
            char* end = nullptr;
            q = std::strtod(qs.c_str(), &end);
            if (end == qs.c_str() || q < 0 || q > 1) q = 0;
        }
        auto starts = [&](std::string_view p) {
            if (tag.size() < p.size()) return false;
            for (std::size_t i = 0; i < p.size(); ++i)
                if (std::tolower(static_cast<unsigned char>(tag[i])) != p[i]) return false;
            return tag.size() == p.size() || tag[p.size()] == '-' || tag[p.size()] == '_';
        };
        if (q <= 0) continue;
        if (starts("zh") && q > best_zh) best_zh = q;
        if (starts("en") && q > best_en) best_en = q;
        if (comma == header.size()) break;
    }
    return best_zh > 0 && best_zh >= best_en ? lang::zh : lang::en;
}

std::optional<lang> parse_lang(std::string_view code) {
    if (code.substr(0, 2) == "zh") return lang::zh;
    if (code.substr(0, 2) == "en") return lang::en;
    return std::nullopt;
}

std::string_view lang_code(lang l) {
    return l == lang::zh ? "zh" : "en";
}

std::string_view html_lang(lang l) {
    return l == lang::zh ? "zh-CN" : "en";
}

std::string fmt_time(lang l, std::int64_t ms) {
    if (ms <= 0) return "—";
    const std::tm tm = local(ms);
    char buf[64];
    if (l == lang::zh)
        std::snprintf(buf, sizeof buf, "%d年%d月%d日 %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                      tm.tm_mday, tm.tm_hour, tm.tm_min);
    else
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                      tm.tm_mday, tm.tm_hour, tm.tm_min);
    return buf;
}

std::string fmt_day(lang l, std::int64_t ms) {
    if (ms <= 0) return "—";
    const std::tm tm = local(ms);
    char buf[48];
    if (l == lang::zh)
        std::snprintf(buf, sizeof buf, "%d年%d月%d日", tm.tm_year + 1900, tm.tm_mon + 1,
                      tm.tm_mday);
    else
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                      tm.tm_mday);
    return buf;
}

std::string fmt_date_text(lang l, std::string_view d) {
    if (d.empty()) return "—";
    int y = 0, m = 0, day = 0;
    std::string s(d);
    if (l == lang::en || std::sscanf(s.c_str(), "%d-%d-%d", &y, &m, &day) != 3) return s;
    char buf[48];
    std::snprintf(buf, sizeof buf, "%d年%d月%d日", y, m, day);
    return buf;
}

std::string fmt_duration(lang l, std::int64_t ms) {
    if (ms < 0) ms = 0;
    const std::int64_t s = ms / 1000;
    const long long d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60;
    char buf[64];
    if (l == lang::zh) {
        if (d > 0)
            std::snprintf(buf, sizeof buf, h ? "%lld天%lld小时" : "%lld天", d, h);
        else if (h > 0)
            std::snprintf(buf, sizeof buf, m ? "%lld小时%lld分" : "%lld小时", h, m);
        else if (m > 0)
            std::snprintf(buf, sizeof buf, "%lld分", m);
        else
            std::snprintf(buf, sizeof buf, "%lld秒", static_cast<long long>(s));
    } else {
        if (d > 0)
            std::snprintf(buf, sizeof buf, h ? "%lldd %lldh" : "%lldd", d, h);
        else if (h > 0)
            std::snprintf(buf, sizeof buf, m ? "%lldh %lldm" : "%lldh", h, m);
        else if (m > 0)
            std::snprintf(buf, sizeof buf, "%lldm", m);
        else
            std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(s));
    }
    return buf;
}

std::string fmt_number(lang, double n, int decimals) {
    if (!std::isfinite(n)) return "—";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals < 0 ? 0 : decimals, std::fabs(n));
    std::string digits(buf);
    const std::size_t dot = digits.find('.');
    std::string whole = digits.substr(0, dot);
    std::string out;
    for (std::size_t i = 0; i < whole.size(); ++i) {
        if (i > 0 && (whole.size() - i) % 3 == 0) out += ',';
        out += whole[i];
    }
    if (dot != std::string::npos) out += digits.substr(dot);
    const bool zero = out.find_first_not_of("0.,") == std::string::npos;
    return (n < 0 && !zero ? "-" : "") + out;
}

std::string fmt_money(lang l, std::int64_t cents, std::string_view currency) {
    const bool negative = cents < 0;
    const unsigned long long abs_cents = negative ? 0ULL - static_cast<unsigned long long>(cents)
                                                  : static_cast<unsigned long long>(cents);
    std::string whole = std::to_string(abs_cents / 100);
    std::string grouped;
    for (std::size_t i = 0; i < whole.size(); ++i) {
        if (i > 0 && (whole.size() - i) % 3 == 0) grouped += ',';
        grouped += whole[i];
    }
    char frac[4];
    std::snprintf(frac, sizeof frac, "%02llu", abs_cents % 100);
    std::string number = (negative ? "-" : "") + grouped + "." + frac;
    if (currency == "CNY" && l == lang::zh) return "¥" + number;
    if (currency.empty()) return number;
    return std::string(currency) + " " + number;
}

std::string fmt_percent(lang l, double share) {
    if (!std::isfinite(share)) return "—";
    return fmt_number(l, share * 100.0, 1) + "%";
}

}  // namespace baton::board
