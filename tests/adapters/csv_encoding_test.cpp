// Unit tests of baton-csv's text decoder and encoding options: GB18030, Big5 and UTF-16 exports
// (bytes made here with iconv from UTF-8) read to the exact UTF-8 text, an undecodable byte named
// by line and byte, and the config's refusal of encodings iconv does not know.
#include "text_decoder.h"

#include <gtest/gtest.h>

#include "csv_config.h"
#include "csv_reader.h"
#include "encoded_text.h"
#include "temp_dir.h"

namespace baton::adapters::csv {
namespace {

std::string encode(const std::string& utf8, const char* encoding) {
    return testing::encoded(utf8, encoding);
}

std::string decode(std::string_view bytes, const std::string& encoding) {
    std::string out;
    decode_failure failure;
    EXPECT_TRUE(decode_to_utf8(bytes, encoding, out, failure)) << failure.reason;
    return out;
}

decode_failure failure_of(std::string_view bytes, const std::string& encoding) {
    std::string out;
    decode_failure failure;
    EXPECT_FALSE(decode_to_utf8(bytes, encoding, out, failure));
    EXPECT_TRUE(out.empty()) << "nothing half-decoded is handed on";
    return failure;
}

table read(std::string_view text, char delimiter) {
    table t;
    std::string error;
    EXPECT_TRUE(read_table(text, delimiter, t, error)) << error;
    return t;
}

const std::string chinese_export =
    "订单号,客户,品名,数量\n"
    "SO-2001,华东铝业有限公司,6063-T5 铝合金门窗型材,1200\n"
    "SO-2002,\"广东兴发铝业, 佛山\",断桥隔热型材 6060-T66,350\n";

TEST(text_decoder, a_gb18030_export_reads_as_the_exact_utf8_text) {
    const std::string bytes = encode(chinese_export, "GB18030");
    ASSERT_NE(bytes, chinese_export);
    EXPECT_FALSE(is_valid_utf8(bytes)) << "the test input really is GB18030";
    table t = read(decode(bytes, "gb18030"), ',');
    EXPECT_EQ(t.header, (std::vector<std::string>{"订单号", "客户", "品名", "数量"}));
    ASSERT_EQ(t.records.size(), 2u);
    EXPECT_EQ(t.records[0].cells, (std::vector<std::string>{"SO-2001", "华东铝业有限公司",
                                                            "6063-T5 铝合金门窗型材", "1200"}));
    EXPECT_EQ(t.records[1].cells[1], "广东兴发铝业, 佛山");
    EXPECT_EQ(t.records[1].cells[2], "断桥隔热型材 6060-T66");
    EXPECT_TRUE(t.records[1].error.empty());
    // GBK is a subset: the same bytes read the same as gbk.
    EXPECT_EQ(decode(bytes, "gbk"), chinese_export);
}

TEST(text_decoder, an_undecodable_byte_is_named_by_line_and_byte) {
    const std::string line1 = encode("订单号,客户,品名\n", "GB18030");
    const std::string line2 = encode("SO-1,华东铝业,型材\n", "GB18030");
    const std::string line3_start = encode("SO-2,华南", "GB18030");
    const std::string bytes = line1 + line2 + line3_start + "\x81 ,x\nSO-3,a,b\n";
    decode_failure f = failure_of(bytes, "gb18030");
    EXPECT_EQ(f.line, 3u);
    EXPECT_EQ(f.line_byte, line3_start.size() + 1);
    EXPECT_EQ(f.file_byte, line1.size() + line2.size() + line3_start.size() + 1);
    EXPECT_EQ(f.reason, "line 3, byte 10 (file byte " + std::to_string(f.file_byte) +
                            "): not valid gb18030: bytes 0x81 0x20");

    // Cut off inside a character at the end of the file.
    f = failure_of(line1 + "SO-9,\xC8", "gb18030");
    EXPECT_EQ(f.line, 2u);
    EXPECT_EQ(f.line_byte, 6u);
    EXPECT_EQ(f.reason, "line 2, byte 6 (file byte " + std::to_string(line1.size() + 6) +
                            "): the file ends inside a gb18030 character: byte 0xc8");
}

TEST(text_decoder, utf16_honours_the_byte_order_mark_and_counts_lines_in_code_units) {
    // Excel's "Unicode text": UTF-16LE with a byte-order mark, tab between cells.
    const std::string text = "客户\t品名\r\n华东铝业有限公司\t6063-T5 铝合金门窗型材\r\n";
    const std::string le = "\xFF\xFE" + encode(text, "UTF-16LE");
    table t = read(decode(le, "utf-16"), '\t');
    ASSERT_EQ(t.records.size(), 1u);
    EXPECT_EQ(t.records[0].cells,
              (std::vector<std::string>{"华东铝业有限公司", "6063-T5 铝合金门窗型材"}));
    EXPECT_EQ(t.header[0], "客户") << "the byte-order mark is not part of the first name";
    EXPECT_EQ(decode(le, "utf-16le"), text);
    // The mark wins over the name; without one, utf-16 is little-endian as Windows writes it.
    EXPECT_EQ(decode("\xFE\xFF" + encode(text, "UTF-16BE"), "utf-16le"), text);
    EXPECT_EQ(decode(encode(text, "UTF-16LE"), "utf-16"), text);
    EXPECT_EQ(decode(encode(text, "UTF-16BE"), "utf-16be"), text);

    // A lone low surrogate on line 2; the U+0A0D in line 1 is not a line break.
    const std::string line1 = encode("\u0A0Da\n", "UTF-16LE");
    const std::string bad =
        "\xFF\xFE" + line1 + encode("xy", "UTF-16LE") + std::string("\x00\xDC", 2);
    decode_failure f = failure_of(bad, "utf-16");
    EXPECT_EQ(f.line, 2u);
    EXPECT_EQ(f.line_byte, 5u);
    EXPECT_EQ(f.file_byte, 2 + line1.size() + 5);
    EXPECT_NE(f.reason.find("not valid utf-16: bytes 0x00 0xdc"), std::string::npos) << f.reason;
    f = failure_of("\xFF\xFE" + encode("ab", "UTF-16LE") + "c", "utf-16");
    EXPECT_NE(f.reason.find("the file ends inside a utf-16 character"), std::string::npos)
        << f.reason;
}

TEST(text_decoder, big5_and_shift_jis_exports_read_as_utf8) {
    const std::string big5 = "客戶,品名\n台灣鋁業股份有限公司,鋁合金門窗型材\n";
    EXPECT_EQ(decode(encode(big5, "BIG5"), "big5"), big5);
    const std::string sjis = "顧客,品名\n日本軽金属,アルミ押出形材\n";
    EXPECT_EQ(decode(encode(sjis, "SHIFT_JIS"), "shift_jis"), sjis);
    const std::string polish = "klient\nZakład Łódź\n";
    EXPECT_EQ(decode(encode(polish, "WINDOWS-1250"), "windows-1250"), polish);
}

TEST(text_decoder, windows_1252_keeps_its_old_reading_and_a_utf8_mark_means_utf8) {
    // The five bytes Windows-1252 leaves unassigned keep their C1 code points (iconv refuses
    // them), so a file that was read before is read the same now.
    EXPECT_EQ(decode("M\xFCller \x80 \x81", "windows-1252"), "M\xC3\xBCller \xE2\x82\xAC \xC2\x81");
    EXPECT_EQ(decode("K\xF6ln", "cp1252"), "K\xC3\xB6ln");
    // Excel's "CSV UTF-8" in a folder configured for gb18030: the mark says what the file is.
    const std::string utf8 = "\xEF\xBB\xBF客户\n华东铝业\n";
    EXPECT_EQ(decode(utf8, "gb18030"), utf8);
}

TEST(text_decoder, encoding_names_are_checked_with_iconv_and_lower_cased) {
    EXPECT_EQ(normalise_encoding("GB18030"), "gb18030");
    EXPECT_EQ(check_encoding("gb18030"), "");
    EXPECT_EQ(check_encoding("shift_jis"), "");
    EXPECT_EQ(check_encoding("windows-1258"), "");
    EXPECT_EQ(check_encoding("utf-16"), "");
    EXPECT_EQ(check_encoding("gbk2"),
              "'gbk2' is not an encoding iconv knows (e.g. gb18030, gbk, big5, shift_jis, "
              "windows-1252, utf-16)");
    EXPECT_NE(check_encoding("gb18030//IGNORE"), "");
    EXPECT_NE(check_encoding(""), "");
    EXPECT_TRUE(is_utf8_encoding("utf-8"));
    EXPECT_TRUE(is_utf8_encoding("utf8"));
    EXPECT_FALSE(is_utf8_encoding("utf-16"));
}

const char* config_text = "folder: drop\nmappings: mappings.yaml\noutbox: var/o.db\n";

std::string mapping_text(const std::string& second_encoding) {
    return R"(
mappings:
  - name: cn-orders
    match: "dingdan_*.csv"
    encoding: GB18030
    topic: sales.order.placed
    source: sales-erp-cn
    fields:
      customer: {column: customer}
  - name: tw-orders
    match: "tw_*.csv"
    encoding: )" +
           second_encoding +
           R"(
    topic: sales.order.placed
    source: sales-erp-tw
    fields:
      customer: {column: customer}
  - name: plain
    match: "*.csv"
    topic: sales.order.placed
    source: sales-erp
    fields:
      customer: {column: customer}
)";
}

TEST(csv_config, encodings_are_set_per_file_pattern_with_the_global_one_as_default) {
    testing::temp_dir dir;
    dir.write("drop/.keep", "");
    dir.write("mappings.yaml", mapping_text("big5"));
    adapter_config c =
        load_config(dir.write("csv.yaml", std::string(config_text) + "encoding: Windows-1252\n"));
    EXPECT_EQ(c.encoding, "windows-1252");
    std::vector<mapping> m = load_csv_mappings(c);
    ASSERT_EQ(m.size(), 3u);
    EXPECT_EQ(encoding_for(c, *match_file(m, "dingdan_0611.csv")), "gb18030");
    EXPECT_EQ(encoding_for(c, *match_file(m, "tw_0611.csv")), "big5");
    EXPECT_EQ(encoding_for(c, *match_file(m, "orders_0611.csv")), "windows-1252");

    c = load_config(dir.write("csv.yaml", config_text));
    EXPECT_EQ(c.encoding, "utf-8") << "the default";
}

TEST(csv_config, an_encoding_iconv_does_not_know_is_refused_with_file_key_and_reason) {
    testing::temp_dir dir;
    dir.write("drop/.keep", "");
    dir.write("mappings.yaml", mapping_text("gbk2"));
    const std::string path =
        dir.write("csv.yaml", std::string(config_text) + "encoding: latin99\n");
    try {
        load_config(path);
        ADD_FAILURE() << "latin99 accepted";
    } catch (const config_error& e) {
        EXPECT_EQ(e.file, path);
        EXPECT_EQ(e.key, "encoding");
        EXPECT_EQ(e.reason.rfind("'latin99' is not an encoding iconv knows (e.g. gb18030,", 0), 0u)
            << e.reason;
    }
    adapter_config c = load_config(dir.write("csv.yaml", config_text));
    try {
        load_csv_mappings(c);
        ADD_FAILURE() << "gbk2 accepted";
    } catch (const config_error& e) {
        EXPECT_EQ(e.file, dir / "mappings.yaml");
        EXPECT_EQ(e.key, "mappings[1].encoding");
        EXPECT_EQ(e.reason,
                  "'gbk2' is not an encoding iconv knows (e.g. gb18030, gbk, big5, shift_jis, "
                  "windows-1252, utf-16)");
    }
}

}  // namespace
}  // namespace baton::adapters::csv
