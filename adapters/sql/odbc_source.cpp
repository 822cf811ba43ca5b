// ODBC source over unixODBC: connect (DSN or connection string), prepared statements with bound
// parameters, every column read with SQLGetData in chunks as text, diagnostics as one line.
#include "odbc_source.h"

#include <sql.h>
#include <sqlext.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace baton::adapters::sql {

namespace {

constexpr std::size_t chunk_bytes = 8192;  // one SQLGetData call; longer values come in pieces

bool ok(SQLRETURN r) {
    return r == SQL_SUCCESS || r == SQL_SUCCESS_WITH_INFO;
}

// Braces quote a value in a connection string; a '}' inside is doubled. Only a value that needs
// them gets them: psqlODBC takes UID={postgres} as the user "{postgres}".
std::string braced(const std::string& v) {
    const bool plain = !v.empty() && v.find_first_of(";{}=") == std::string::npos &&
                       v.front() != ' ' && v.back() != ' ';
    if (plain) return v;
    std::string out = "{";
    for (char c : v) {
        out += c;
        if (c == '}') out += '}';
    }
    return out + "}";
}

void replace_all(std::string& s, const std::string& what, const std::string& with) {
    if (what.empty()) return;
    for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + with.size()))
        s.replace(at, what.size(), with);
}

// UTF-8 to UTF-16 for a wide parameter; input is valid UTF-8 (it came from batond or a config).
std::u16string utf16_of(const std::string& in) {
    std::u16string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size();) {
        const auto b = static_cast<unsigned char>(in[i]);
        char32_t c = b;
        std::size_t n = 1;
        if (b >= 0xF0) {
            c = b & 0x07;
            n = 4;
        } else if (b >= 0xE0) {
            c = b & 0x0F;
            n = 3;
        } else if (b >= 0xC0) {
            c = b & 0x1F;
            n = 2;
        }
        if (i + n > in.size()) {
            out += u'\uFFFD';
            break;
        }
        for (std::size_t k = 1; k < n; ++k)
            c = (c << 6) | (static_cast<unsigned char>(in[i + k]) & 0x3F);
        i += n;
        if (c >= 0x10000) {
            c -= 0x10000;
            out += static_cast<char16_t>(0xD800 + (c >> 10));
            out += static_cast<char16_t>(0xDC00 + (c & 0x3FF));
        } else {
            out += static_cast<char16_t>(c);
        }
    }
    return out;
}

bool ascii(const std::string& s) {
    for (char c : s)
        if (static_cast<unsigned char>(c) >= 0x80) return false;
    return true;
}

// UTF-16 (SQLWCHAR, two bytes in unixODBC) to UTF-8; a lone surrogate becomes U+FFFD.
std::string utf8_of(const std::u16string& in) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        char32_t c = in[i];
        if (c >= 0xD800 && c <= 0xDBFF && i + 1 < in.size() && in[i + 1] >= 0xDC00 &&
            in[i + 1] <= 0xDFFF) {
            c = 0x10000 + ((c - 0xD800) << 10) + (in[i + 1] - 0xDC00);
            ++i;
        } else if (c >= 0xD800 && c <= 0xDFFF) {
            c = 0xFFFD;
        }
        if (c < 0x80) {
            out += static_cast<char>(c);
        } else if (c < 0x800) {
            out += static_cast<char>(0xC0 | (c >> 6));
            out += static_cast<char>(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            out += static_cast<char>(0xE0 | (c >> 12));
            out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (c & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (c >> 18));
            out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (c & 0x3F));
        }
    }
    return out;
}

// Drivers may write a DECIMAL below one as ".50" or "-.50"; the mapping wants a digit first.
void lead_zero(std::string& number) {
    if (!number.empty() && number[0] == '.')
        number.insert(0, "0");
    else if (number.size() > 1 && number[0] == '-' && number[1] == '.')
        number.insert(1, "0");
}

std::string timestamp_text(const SQL_TIMESTAMP_STRUCT& t) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02u:%02u:%02u", t.year, t.month, t.day, t.hour,
                  t.minute, t.second);
    std::string s = buf;
    if (t.fraction != 0) {  // nanoseconds; kept, so a watermark compares equal to its row
        std::snprintf(buf, sizeof buf, ".%09lu", static_cast<unsigned long>(t.fraction));
        std::string f = buf;
        while (f.back() == '0') f.pop_back();
        s += f;
    }
    return s;
}

enum class fetch_as { text, wide_text, timestamp, date, time, number };

fetch_as fetch_kind(SQLSMALLINT type) {
    switch (type) {
        case SQL_WCHAR:
        case SQL_WVARCHAR:
        case SQL_WLONGVARCHAR: return fetch_as::wide_text;
        case SQL_TYPE_TIMESTAMP:
        case SQL_DATETIME: return fetch_as::timestamp;
        case SQL_TYPE_DATE: return fetch_as::date;
        case SQL_TYPE_TIME: return fetch_as::time;
        case SQL_DECIMAL:
        case SQL_NUMERIC: return fetch_as::number;
        default: return fetch_as::text;  // integers, floats, bits and character data as text
    }
}

}  // namespace

struct odbc_source::handles {
    SQLHENV env = SQL_NULL_HENV;
    SQLHDBC dbc = SQL_NULL_HDBC;
    bool connected = false;
};

namespace {

// A statement handle freed on every way out.
struct statement {
    SQLHSTMT h = SQL_NULL_HSTMT;
    ~statement() {
        if (h != SQL_NULL_HSTMT) SQLFreeHandle(SQL_HANDLE_STMT, h);
    }
};

// "SQLSTATE message" of the first diagnostic record, one line.
std::pair<std::string, std::string> diagnostic(SQLSMALLINT type, SQLHANDLE h) {
    SQLCHAR state[6] = {0};
    SQLINTEGER native = 0;
    SQLCHAR text[1024] = {0};
    SQLSMALLINT len = 0;
    if (h == SQL_NULL_HANDLE ||
        !ok(SQLGetDiagRec(type, h, 1, state, &native, text, sizeof text, &len)))
        return {"", "no diagnostic from the driver"};
    std::string msg(reinterpret_cast<char*>(text));
    for (char& c : msg)
        if (c == '\n' || c == '\r') c = ' ';
    return {reinterpret_cast<char*>(state), msg};
}

}  // namespace

odbc_source::odbc_source(odbc_settings settings)
    : settings_(std::move(settings)), h_(std::make_unique<handles>()) {
    description_ =
        "odbc " + (settings_.dsn.empty() ? settings_.connection : "DSN=" + settings_.dsn);
    if (!settings_.user.empty()) description_ += " user " + settings_.user;
    connect();
}

odbc_source::~odbc_source() {
    disconnect();
    if (h_->env != SQL_NULL_HENV) SQLFreeHandle(SQL_HANDLE_ENV, h_->env);
}

bool odbc_source::connected() const {
    return h_->connected;
}

std::string odbc_source::placeholder(int) const {
    return "?";
}

void odbc_source::disconnect() {
    if (h_->dbc == SQL_NULL_HDBC) return;
    if (h_->connected) SQLDisconnect(h_->dbc);
    SQLFreeHandle(SQL_HANDLE_DBC, h_->dbc);
    h_->dbc = SQL_NULL_HDBC;
    h_->connected = false;
}

void odbc_source::connect() {
    auto fail = [&](const std::string& what, SQLSMALLINT type, SQLHANDLE h) {
        auto [state, msg] = diagnostic(type, h);
        std::string line = what + ": " + (state.empty() ? "" : state + " ") + msg;
        replace_all(line, settings_.password, "***");
        disconnect();
        throw source_error(line);
    };
    if (h_->env == SQL_NULL_HENV) {
        if (!ok(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &h_->env)))
            throw source_error("unixODBC could not allocate an environment");
        SQLSetEnvAttr(h_->env, SQL_ATTR_ODBC_VERSION, reinterpret_cast<SQLPOINTER>(SQL_OV_ODBC3),
                      0);
    }
    if (!ok(SQLAllocHandle(SQL_HANDLE_DBC, h_->env, &h_->dbc)))
        fail("cannot allocate a connection", SQL_HANDLE_ENV, h_->env);
    const auto seconds = static_cast<SQLULEN>((settings_.query_timeout_us + 999'999) / 1'000'000);
    SQLSetConnectAttr(h_->dbc, SQL_ATTR_LOGIN_TIMEOUT, reinterpret_cast<SQLPOINTER>(seconds), 0);

    std::string conn = settings_.dsn.empty() ? settings_.connection : "DSN=" + settings_.dsn;
    if (!conn.empty() && conn.back() != ';') conn += ';';
    if (!settings_.user.empty()) conn += "UID=" + braced(settings_.user) + ";";
    if (!settings_.password.empty()) conn += "PWD=" + braced(settings_.password) + ";";
    SQLCHAR out[1024];
    SQLSMALLINT out_len = 0;
    SQLRETURN r = SQLDriverConnect(h_->dbc, nullptr,
                                   reinterpret_cast<SQLCHAR*>(const_cast<char*>(conn.c_str())),
                                   SQL_NTS, out, sizeof out, &out_len, SQL_DRIVER_NOPROMPT);
    if (!ok(r)) fail("cannot connect", SQL_HANDLE_DBC, h_->dbc);
    h_->connected = true;

    // The database's identifier quote (MySQL: a backtick) and row-limit syntax.
    SQLCHAR buf[64] = {0};
    SQLSMALLINT len = 0;
    if (ok(SQLGetInfo(h_->dbc, SQL_IDENTIFIER_QUOTE_CHAR, buf, sizeof buf, &len)) && len == 1 &&
        buf[0] != ' ')
        dialect_.quote = static_cast<char>(buf[0]);
    buf[0] = 0;
    if (ok(SQLGetInfo(h_->dbc, SQL_DBMS_NAME, buf, sizeof buf, &len))) {
        dbms_ = reinterpret_cast<char*>(buf);
        dialect_.top = dbms_.find("SQL Server") != std::string::npos;
    }
}

void odbc_source::begin() {
    in_transaction_ = false;
    if (!h_->connected) connect();
    if (!ok(SQLSetConnectAttr(h_->dbc, SQL_ATTR_AUTOCOMMIT,
                              reinterpret_cast<SQLPOINTER>(SQL_AUTOCOMMIT_OFF), SQL_IS_UINTEGER))) {
        auto [state, msg] = diagnostic(SQL_HANDLE_DBC, h_->dbc);
        std::string line = "autocommit off: " + (state.empty() ? "" : state + " ") + msg;
        replace_all(line, settings_.password, "***");
        disconnect();  // the next begin() starts from a fresh connection
        throw source_error(line);
    }
    in_transaction_ = true;
}

void odbc_source::commit() {
    if (!h_->connected) throw source_error("connection lost inside a transaction");
    if (!ok(SQLEndTran(SQL_HANDLE_DBC, h_->dbc, SQL_COMMIT))) {
        auto [state, msg] = diagnostic(SQL_HANDLE_DBC, h_->dbc);
        std::string line = "commit: " + (state.empty() ? "" : state + " ") + msg;
        replace_all(line, settings_.password, "***");
        rollback();
        throw source_error(line);
    }
    SQLSetConnectAttr(h_->dbc, SQL_ATTR_AUTOCOMMIT, reinterpret_cast<SQLPOINTER>(SQL_AUTOCOMMIT_ON),
                      SQL_IS_UINTEGER);
    in_transaction_ = false;
}

void odbc_source::rollback() noexcept {
    const bool open = in_transaction_;
    in_transaction_ = false;
    if (!open || !h_->connected) return;
    if (!ok(SQLEndTran(SQL_HANDLE_DBC, h_->dbc, SQL_ROLLBACK)) ||
        !ok(SQLSetConnectAttr(h_->dbc, SQL_ATTR_AUTOCOMMIT,
                              reinterpret_cast<SQLPOINTER>(SQL_AUTOCOMMIT_ON), SQL_IS_UINTEGER)))
        disconnect();  // in doubt: a fresh connection has no half-done transaction
}

sql_rows odbc_source::query(const std::string& sql, const std::vector<sql_param>& params) {
    if (!h_->connected) {
        // A new connection would run the rest of a batch outside its transaction.
        if (in_transaction_) throw source_error("connection lost inside a transaction");
        connect();
    }
    statement st;
    // Any failure: one line with the SQLSTATE; a lost connection is dropped for the next call.
    auto fail = [&](const std::string& what, SQLSMALLINT type, SQLHANDLE h) {
        auto [state, msg] = diagnostic(type, h);
        SQLUINTEGER dead = SQL_CD_FALSE;
        const bool lost =
            state.rfind("08", 0) == 0 ||
            (ok(SQLGetConnectAttr(h_->dbc, SQL_ATTR_CONNECTION_DEAD, &dead, 0, nullptr)) &&
             dead == SQL_CD_TRUE);
        std::string line = (lost ? "connection lost: " : "") + what + ": " +
                           (state.empty() ? "" : state + " ") + msg;
        replace_all(line, settings_.password, "***");
        if (lost) {
            if (st.h != SQL_NULL_HSTMT) SQLFreeHandle(SQL_HANDLE_STMT, st.h);
            st.h = SQL_NULL_HSTMT;
            disconnect();
        }
        throw source_error(line);
    };
    if (!ok(SQLAllocHandle(SQL_HANDLE_STMT, h_->dbc, &st.h)))
        fail("cannot allocate a statement", SQL_HANDLE_DBC, h_->dbc);
    const auto seconds = static_cast<SQLULEN>((settings_.query_timeout_us + 999'999) / 1'000'000);
    SQLSetStmtAttr(st.h, SQL_ATTR_QUERY_TIMEOUT, reinterpret_cast<SQLPOINTER>(seconds), 0);
    if (!ok(SQLPrepare(st.h, reinterpret_cast<SQLCHAR*>(const_cast<char*>(sql.c_str())), SQL_NTS)))
        fail("prepare", SQL_HANDLE_STMT, st.h);

    // The bound values must stay put until SQLExecute: sized once, never reallocated.
    std::vector<SQLBIGINT> integers(params.size());
    std::vector<SQLLEN> lengths(params.size());
    std::vector<std::u16string> utf16(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
        const auto n = static_cast<SQLUSMALLINT>(i + 1);
        SQLRETURN r;
        if (params[i].null) {
            lengths[i] = SQL_NULL_DATA;
            r = SQLBindParameter(st.h, n, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_VARCHAR, 1, 0, nullptr,
                                 0, &lengths[i]);
        } else if (!params[i].integer && !ascii(params[i].text)) {
            // Text beyond ASCII travels as UTF-16 (NVARCHAR): the driver's idea of the 8-bit
            // client character set cannot garble Chinese names that way.
            utf16[i] = utf16_of(params[i].text);
            lengths[i] = static_cast<SQLLEN>(utf16[i].size() * sizeof(char16_t));
            r = SQLBindParameter(st.h, n, SQL_PARAM_INPUT, SQL_C_WCHAR, SQL_WVARCHAR,
                                 std::max<SQLULEN>(1, utf16[i].size()), 0, utf16[i].data(),
                                 lengths[i], &lengths[i]);
        } else if (params[i].integer) {
            integers[i] = std::strtoll(params[i].text.c_str(), nullptr, 10);
            lengths[i] = 0;
            r = SQLBindParameter(st.h, n, SQL_PARAM_INPUT, SQL_C_SBIGINT, SQL_BIGINT, 0, 0,
                                 &integers[i], 0, &lengths[i]);
        } else {
            lengths[i] = static_cast<SQLLEN>(params[i].text.size());
            r = SQLBindParameter(st.h, n, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_VARCHAR,
                                 std::max<SQLULEN>(1, params[i].text.size()), 0,
                                 const_cast<char*>(params[i].text.data()), lengths[i], &lengths[i]);
        }
        if (!ok(r)) fail("bind parameter " + std::to_string(n), SQL_HANDLE_STMT, st.h);
    }
    SQLRETURN r = SQLExecute(st.h);
    if (!ok(r) && r != SQL_NO_DATA) fail("query", SQL_HANDLE_STMT, st.h);

    SQLSMALLINT cols = 0;
    if (!ok(SQLNumResultCols(st.h, &cols))) fail("result columns", SQL_HANDLE_STMT, st.h);
    std::vector<fetch_as> kinds;
    for (SQLUSMALLINT c = 1; c <= static_cast<SQLUSMALLINT>(cols); ++c) {
        SQLCHAR name[256];
        SQLSMALLINT name_len = 0, type = 0, digits = 0, nullable = 0;
        SQLULEN size = 0;
        if (!ok(SQLDescribeCol(st.h, c, name, sizeof name, &name_len, &type, &size, &digits,
                               &nullable)))
            fail("describe column " + std::to_string(c), SQL_HANDLE_STMT, st.h);
        kinds.push_back(fetch_kind(type));
    }

    sql_rows rows;
    std::string chunk(chunk_bytes, '\0');
    while (cols > 0) {
        r = SQLFetch(st.h);
        if (r == SQL_NO_DATA) break;
        if (!ok(r)) fail("fetch", SQL_HANDLE_STMT, st.h);
        std::vector<sql_cell> row;
        row.reserve(kinds.size());
        for (std::size_t c = 0; c < kinds.size(); ++c) {
            const auto col = static_cast<SQLUSMALLINT>(c + 1);
            const std::string where = "column " + std::to_string(col);
            SQLLEN ind = 0;
            if (kinds[c] == fetch_as::timestamp || kinds[c] == fetch_as::date ||
                kinds[c] == fetch_as::time) {
                SQL_TIMESTAMP_STRUCT t{};
                if (!ok(SQLGetData(st.h, col, SQL_C_TYPE_TIMESTAMP, &t, sizeof t, &ind)))
                    fail(where, SQL_HANDLE_STMT, st.h);
                if (ind == SQL_NULL_DATA) {
                    row.emplace_back(std::nullopt);
                    continue;
                }
                std::string text = timestamp_text(t);
                if (kinds[c] == fetch_as::date) text.resize(10);
                if (kinds[c] == fetch_as::time) text = text.substr(11);
                row.emplace_back(std::move(text));
                continue;
            }
            // Character data in chunks: each call fills the buffer but for its terminator,
            // until SQL_SUCCESS says the rest fitted.
            const bool wide = kinds[c] == fetch_as::wide_text;
            const SQLSMALLINT ctype = wide ? SQL_C_WCHAR : SQL_C_CHAR;
            const std::size_t term = wide ? sizeof(SQLWCHAR) : 1;
            std::string bytes;
            bool null = false;
            for (;;) {
                r = SQLGetData(st.h, col, ctype, chunk.data(), static_cast<SQLLEN>(chunk.size()),
                               &ind);
                if (r == SQL_NO_DATA) break;
                if (!ok(r)) fail(where, SQL_HANDLE_STMT, st.h);
                if (ind == SQL_NULL_DATA) {
                    null = true;
                    break;
                }
                const std::size_t room = chunk.size() - term;
                const bool more = ind == SQL_NO_TOTAL || static_cast<std::size_t>(ind) > room;
                bytes.append(chunk.data(), more ? room : static_cast<std::size_t>(ind));
                if (!more || r == SQL_SUCCESS) break;
            }
            if (null) {
                row.emplace_back(std::nullopt);
                continue;
            }
            if (wide) {
                static_assert(sizeof(SQLWCHAR) == sizeof(char16_t), "unixODBC's 2-byte SQLWCHAR");
                std::u16string units(bytes.size() / 2, u'\0');
                std::memcpy(units.data(), bytes.data(), units.size() * sizeof(char16_t));
                bytes = utf8_of(units);
            } else if (kinds[c] == fetch_as::number) {
                lead_zero(bytes);
            }
            row.emplace_back(std::move(bytes));
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

}  // namespace baton::adapters::sql
