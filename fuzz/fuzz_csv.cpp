// libFuzzer target: a department's CSV export through read_table (',' and ';', UTF-8,
// Windows-1252 and GB18030 through text_decoder) and map_rows with the example mappings and one of
// every field type. Beyond "no crash": good rows re-read as written, and every mapped event is one
// batond can decode.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "csv_reader.h"
#include "envelope.h"
#include "fuzz_check.h"
#include "mapping.h"
#include "text_decoder.h"

namespace {

namespace csv = baton::adapters::csv;
using baton::adapters::field_rule;
using baton::adapters::mapping;
using baton::fuzz::require;

field_rule rule(const char* field, const char* column, const char* type, const char* format = "",
                bool required = true) {
    field_rule r;
    r.field = field;
    r.column = column;
    r.type = type;
    r.format = format;
    r.required = required;
    return r;
}

// The example mappings (sales orders grouped into lines, cancellations), plus two that use what
// they do not: decimal '.', epoch and formatted event times with zones, ints, fallback ids.
const std::vector<mapping>& mappings() {
    static const std::vector<mapping> all = [] {
        std::vector<mapping> out = baton::adapters::load_mappings(
            baton::fuzz::source_dir() + "/adapters/csv/example/mappings.yaml");
        mapping epoch;
        epoch.name = "fuzz-epoch";
        epoch.topic = "production.order.started";
        epoch.source = "fuzz-mes";
        epoch.order_column = "order_no";
        epoch.id_columns = {"order_no", "article"};
        epoch.ts_column = "created_at";
        epoch.ts_format = "epoch_s";
        epoch.fields = {rule("qty", "qty", "number"),
                        rule("length_mm", "length_mm", "int"),
                        rule("amount_cents", "total", "cents"),
                        rule("due", "due", "date", "%e.%m.%y"),
                        rule("new_die", "new_die", "bool"),
                        rule("note", "customer_po", "string", "", false)};
        out.push_back(epoch);
        mapping zoned;
        zoned.name = "fuzz-zoned";
        zoned.topic = "logistics.shipment.dispatched";
        zoned.source = "fuzz-wms";
        zoned.ts_column = "created_at";
        zoned.ts_format = "%d.%m.%Y %T%z";
        zoned.group_by = "customer_no";
        zoned.decimal = ',';
        zoned.fields = {rule("customer", "customer_no", "string"),
                        rule("items[].qty", "qty", "number"),
                        rule("items[].due", "due", "date", "%F"),
                        rule("items[].cents", "total", "cents", "", false)};
        out.push_back(zoned);
        return out;
    }();
    return all;
}

// A good row written with format_record reads back as the same cells.
void check_round_trip(const std::vector<std::string>& cells, char delimiter) {
    bool blank = true;
    for (const auto& c : cells) blank = blank && c.find_first_not_of(" \t") == std::string::npos;
    if (blank) return;  // blank rows are left out by design
    std::vector<std::string> header;
    for (std::size_t i = 0; i < cells.size(); ++i) header.push_back("c" + std::to_string(i));
    const std::string text =
        csv::format_record(header, delimiter) + csv::format_record(cells, delimiter);
    csv::table t;
    std::string error;
    require(csv::read_table(text, delimiter, t, error), "a written table reads back", error);
    require(t.records.size() == 1, "a written row reads back as one row", text);
    require(t.records[0].error.empty(), "a written row reads back without error",
            t.records[0].error + " in " + text);
    require(t.records[0].cells == cells, "a written row reads back as the same cells", text);
}

void check_event(const mapping& m, const baton::adapters::mapped_event& ev, std::size_t rows) {
    require(!ev.rows.empty(), "an event comes from at least one row");
    for (std::size_t r : ev.rows) require(r < rows, "an event's rows are rows of the input");
    // What the adapter sends: batond must be able to read it (sizes aside, which it may refuse).
    baton::envelope e;
    e.id = ev.id;
    e.source = m.source;
    e.topic = m.topic;
    e.ts_ms = ev.ts_ms;
    if (!ev.order.empty()) e.order = ev.order;
    e.data = ev.data;
    baton::decode_limits roomy;
    roomy.max_string = 1 << 20;
    roomy.max_array = 1 << 20;
    baton::envelope back;
    std::string reason;
    require(baton::decode_inbound(m.topic, baton::encode_envelope(e), roomy, back, reason),
            "a mapped event is an envelope batond can read", reason);
}

void map_table(const csv::table& t) {
    std::vector<baton::adapters::row> rows;
    for (const csv::record& rec : t.records) {
        if (!rec.error.empty()) continue;
        baton::adapters::row r;
        for (std::size_t i = 0; i < t.header.size(); ++i)
            if (!t.header[i].empty()) r[t.header[i]] = rec.cells[i];
        rows.push_back(std::move(r));
    }
    for (const mapping& m : mappings()) {
        std::vector<baton::adapters::row_error> errors;
        const auto events = baton::adapters::map_rows(
            m, rows, [](std::size_t i) { return "fuzz.csv:" + std::to_string(i + 2); }, errors);
        for (const auto& e : errors) {
            require(e.row < rows.size(), "a row error names a row of the input");
            require(!e.reason.empty(), "a row error says why");
        }
        for (const auto& ev : events) check_event(m, ev, rows.size());
    }
}

void read_and_map(std::string_view text, char delimiter) {
    csv::table t;
    std::string error;
    if (!csv::read_table(text, delimiter, t, error)) {
        require(!error.empty(), "a file that cannot be read says why");
        return;
    }
    require(t.header_line >= 1, "the header has a line number");
    std::size_t last_line = t.header_line;
    for (const csv::record& rec : t.records) {
        require(rec.line > last_line, "rows come in line order");
        last_line = rec.line;
        if (!rec.error.empty()) continue;
        require(rec.cells.size() == t.header.size(), "a good row has a cell per column");
        for (const auto& c : rec.cells)
            require(csv::is_valid_utf8(c), "a good row's cells are UTF-8", c);
        check_round_trip(rec.cells, delimiter);
    }
    map_table(t);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    read_and_map(text, ';');
    read_and_map(text, ',');
    const std::string converted = csv::windows1252_to_utf8(text);
    require(csv::is_valid_utf8(converted), "Windows-1252 text converts to valid UTF-8");
    if (converted != text) read_and_map(converted, ';');
    std::string decoded;
    csv::decode_failure failure;
    if (csv::decode_to_utf8(text, "gb18030", decoded, failure)) {
        // A UTF-8 byte-order mark passes the bytes through for the reader's row checks.
        require(text.substr(0, 3) == "\xEF\xBB\xBF" || csv::is_valid_utf8(decoded),
                "decoded GB18030 is valid UTF-8");
    } else {
        require(failure.line >= 1 && failure.file_byte >= 1 && failure.file_byte <= size &&
                    failure.line_byte <= failure.file_byte,
                "a decoding failure points into the file", failure.reason);
    }
    return 0;
}
