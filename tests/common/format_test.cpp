// Tests of common/format: printable(), which every human-readable output of batonctl passes
// untrusted text through (control characters, invisible reordering and bad UTF-8 escaped).
#include "format.h"

#include <gtest/gtest.h>

#include <string>

namespace baton {
namespace {

TEST(format, printable_escapes_an_osc_title_sequence) {
    EXPECT_EQ(printable("\x1b]0;pwned\x07"), "\\x1b]0;pwned\\x07");
    EXPECT_EQ(printable("\x1b[2J\x1b[H"), "\\x1b[2J\\x1b[H");
}

TEST(format, printable_escapes_every_c0_control_del_and_c1) {
    EXPECT_EQ(printable(std::string("a\0b", 3)), "a\\x00b");
    EXPECT_EQ(printable("line\nnext\ttab\rcr"), "line\\nnext\\ttab\\rcr");
    EXPECT_EQ(printable("\x01\x1f\x7f"), "\\x01\\x1f\\x7f");
    EXPECT_EQ(printable("\xc2\x80\xc2\x9b\xc2\x9f"), "\\u0080\\u009b\\u009f");
}

TEST(format, printable_escapes_bidi_overrides_and_line_separators) {
    EXPECT_EQ(printable("SO-1\xe2\x80\xae"
                        "cba"),
              "SO-1\\u202ecba");
    EXPECT_EQ(printable("a\xe2\x80\xa8"
                        "b\xe2\x81\xa6"),
              "a\\u2028b\\u2066");
}

TEST(format, printable_escapes_bytes_that_are_not_utf8_one_by_one) {
    EXPECT_EQ(printable("ok\xff\xfe"), "ok\\xff\\xfe");
    EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");           // overlong '/'
    EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
    EXPECT_EQ(printable("cut \xe4\xb8"), "cut \\xe4\\xb8");
}

TEST(format, printable_keeps_printable_utf8_as_it_is) {
    for (const char* s : {"SO-2026-1187", "苏州铝业有限公司", "Müller & Söhne, Zürich",
                          "¥1,000 — ok", "emoji 🙂 and a\xe2\x80\x8d join", "back\\slash"})
        EXPECT_EQ(printable(s), s);
    EXPECT_EQ(printable(""), "");
}

}  // namespace
}  // namespace baton
