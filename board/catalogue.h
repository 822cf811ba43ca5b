// Every word the board shows, in English and Simplified Chinese: one table (catalogue.cpp,
// built from the catalogue_*.inc parts), looked up by key. Also how dates, numbers, money and
// durations are written for a reader of each language.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace baton::board {

enum class lang { en, zh };

struct catalogue_entry {
    const char* key;
    const char* en;
    const char* zh;
};

// The whole table, in the order written (the test checks both languages of every key).
const std::vector<catalogue_entry>& catalogue();

// The text of `key`; the key itself when the catalogue lacks it (a test proves every key a
// page uses is there).
std::string_view tr(lang l, std::string_view key);
// The same with {0}, {1}, ... replaced by `args` (already escaped for HTML by the caller when
// the result goes into a page).
std::string tr_fmt(lang l, std::string_view key, std::initializer_list<std::string_view> args);
// A word of batond's vocabulary: `group` is kind, stage, dept, severity, state, tier, role,
// shipment, ageing ...; "<group>.<name>" from the catalogue, else `name` as batond wrote it
// (a plant's own stage names, say).
std::string term(lang l, std::string_view group, std::string_view name);
// Whether the catalogue has "<group>.<name>" (a filter value must be one of batond's words).
bool has_term(std::string_view group, std::string_view name);

// From an Accept-Language header: zh for the first acceptable zh* range that outranks every en*
// range, else en (q-values honoured; "*" and unknown languages ignored).
lang lang_from_accept(std::string_view accept_language);
std::optional<lang> parse_lang(std::string_view code);  // "en", "zh" (also "zh-CN", "en-US")
std::string_view lang_code(lang l);                     // "en", "zh"
std::string_view html_lang(lang l);                     // "en", "zh-CN"

// A moment in the board's time zone (the process's TZ): en "2026-12-01 14:05",
// zh "2026年12月1日 14:05". 0 is "—".
std::string fmt_time(lang l, std::int64_t ms);
// The day only: en "2026-12-01", zh "2026年12月1日"; from ms or from "YYYY-MM-DD" text.
std::string fmt_day(lang l, std::int64_t ms);
std::string fmt_date_text(lang l, std::string_view yyyy_mm_dd);
// How long: en "3d 4h", "5h 12m", "40m"; zh "3天4小时", "5小时12分", "40分".
std::string fmt_duration(lang l, std::int64_t ms);
// Integers and decimals with thousands separators: "12,345", "1,234.5".
std::string fmt_number(lang l, double n, int decimals = 0);
// Money in cents with the currency: en "CNY 1,234.56", zh "¥1,234.56" (currency "CNY"); other
// currencies are written before the number in both languages.
std::string fmt_money(lang l, std::int64_t cents, std::string_view currency = "CNY");
// A share 0..1 as a percentage: "87.5%".
std::string fmt_percent(lang l, double share);

}  // namespace baton::board
