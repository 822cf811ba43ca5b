// Watermark-ordered batches, start-up probes of the table and its columns.
#include "table_reader.h"

#include "config_error.h"

namespace baton::adapters::sql {

table_reader::table_reader(source& db, const sql_config& config) : db_(db), config_(config) {
    query_.table = config.table;
    for (const auto& u : config.columns()) query_.columns.push_back(u.column);
    query_.watermark = config.watermark_column;
    query_.batch = config.batch;
    // Without id columns an event is named after its row's watermark (and its place among
    // rows sharing it), so that place must not change from one read to the next.
    query_.order_ties = config.row_mapping.id_columns.empty();
    query_.placeholder = db.placeholder(1);
    query_.dialect = db.dialect();
    // columns() puts the watermark first.
    watermark_index_ = 0;
}

void table_reader::check() const {
    try {
        db_.query(query_.probe_table(), {});
    } catch (const source_error& e) {
        throw config_error(
            config_.file, "table",
            "cannot read '" + config_.table + "' (" + db_.describe() + "): " + e.what());
    }
    for (const auto& u : config_.columns()) {
        try {
            db_.query(query_.probe_column(u.column), {});
        } catch (const source_error& e) {
            throw config_error(u.file, u.key,
                               "column '" + u.column + "' of '" + config_.table + "': " + e.what());
        }
    }
}

sql_param table_reader::watermark_param(const std::string& value) const {
    return {value, config_.watermark_kind == watermark_type::integer};
}

void table_reader::append(const sql_rows& rows, row_batch& out) const {
    for (const auto& cells : rows) {
        row r;
        for (std::size_t i = 0; i < query_.columns.size() && i < cells.size(); ++i)
            r[query_.columns[i]] = cells[i].value_or("");
        std::string wm = cells.at(watermark_index_).value_or("");
        if (config_.watermark_kind == watermark_type::integer && !is_integer_watermark(wm))
            throw source_error("watermark column '" + query_.watermark + "' holds '" + wm +
                               "', not an integer (set watermark.type: text for text values)");
        out.rows.push_back(std::move(r));
        out.watermarks.push_back(std::move(wm));
    }
}

row_batch table_reader::read(const std::optional<std::string>& after) {
    sql_rows rows = after ? db_.query(query_.select_after(), {watermark_param(*after)})
                          : db_.query(query_.select_first(), {});
    row_batch out;
    out.full = rows.size() >= query_.batch;
    if (!out.full) {
        append(rows, out);
        return out;
    }
    // The batch may have cut through rows sharing the last watermark value: drop those and
    // read all of them at once.
    const sql_cell last = rows.back().at(watermark_index_);
    while (!rows.empty() && rows.back().at(watermark_index_) == last) rows.pop_back();
    append(rows, out);
    append(db_.query(query_.select_equal(), {watermark_param(last.value_or(""))}), out);
    return out;
}

}  // namespace baton::adapters::sql
