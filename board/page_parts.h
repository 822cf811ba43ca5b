// The cells, tables, sections and facts the order, customer and KPI pages are built from, so
// the pages share one look and one way of writing "—" for what batond's reply leaves out.
// Values are read with reply.h; a missing key never fails a page.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "html.h"
#include "value.h"

namespace baton::board {

std::string td(const std::string& html);
std::string td_num(const std::string& html);  // right-aligned, for figures

// A data table whose header cells are catalogue texts; a key written "#key" heads a numeric
// (right-aligned) column. `foot` (rows) goes into a <tfoot> when not empty.
std::string table(const view_ctx& v, std::initializer_list<std::string_view> heads,
                  const std::string& rows, const std::string& foot = {});
// The same with an id, for a table a script or a test looks up.
std::string table(const view_ctx& v, std::string_view id,
                  std::initializer_list<std::string_view> heads, const std::string& rows,
                  const std::string& foot = {});

// <section id="…"><h2>catalogue text</h2>body</section>
std::string section(const view_ctx& v, std::string_view id, std::string_view title_key,
                    const std::string& body);

// One fact of a <dl class="facts">: the catalogue text as <dt>, `html` as <dd> (with `cls`).
std::string fact(const view_ctx& v, std::string_view key, const std::string& html,
                 std::string_view cls = {});

// A string of the reply, escaped; "—" when empty.
std::string text(const value& x, std::string_view key);
// Cents of the reply in the view's currency; "—" when not an integer.
std::string money(const view_ctx& v, const value& x, std::string_view key);
// A vocabulary word, "—" for an empty name.
std::string word(const view_ctx& v, std::string_view group, const std::string& name);
// The vocabulary words of a list of names, joined by ", " ("" for none).
std::string words_of(const view_ctx& v, const value& x, std::string_view key,
                     std::string_view group);

// Quantities are counted in thousandths of their unit: up to three decimals, no trailing zeros.
std::string qty_of(const view_ctx& v, double n);
std::string qty(const view_ctx& v, const value& x, std::string_view key);

}  // namespace baton::board
