// Compiles schemas/<department>.yaml into a tree of field specs, and checks an event's `data`
// against it. Loading is strict and all-or-nothing (config_error with file, key, reason);
// checking allocates nothing until it has found the one line that says why an event is refused.
#include "schema.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <system_error>
#include <unordered_map>

#include "codec.h"
#include "config_error.h"
#include "dates.h"
#include "yaml_util.h"

namespace baton {

namespace {

constexpr const char* departments[] = {"sales", "production", "finance", "logistics"};

// A record remembers which of its fields it has seen in one 64-bit mask.
constexpr std::size_t max_record_fields = 64;

enum class field_type {
    string_type,
    int_type,
    number_type,
    bool_type,
    date_type,
    map_type,
    list_type,
    record_type
};

struct type_entry {
    const char* name;
    field_type type;
};
constexpr type_entry type_entries[] = {
    {"string", field_type::string_type}, {"int", field_type::int_type},
    {"number", field_type::number_type}, {"bool", field_type::bool_type},
    {"date", field_type::date_type},     {"map", field_type::map_type},
    {"list", field_type::list_type},     {"record", field_type::record_type},
};

struct field_spec {
    std::string name;  // key in the enclosing record; empty for list items and `data` itself
    field_type type = field_type::record_type;
    bool required = false;

    // int and number bounds; an int field uses the *_int pair, a number field the *_number one.
    bool has_min = false;
    bool has_max = false;
    std::int64_t min_int = 0;
    std::int64_t max_int = 0;
    double min_number = 0;
    double max_number = 0;

    // Bytes for a string, items for a list or a map.
    std::size_t min_size = 0;
    std::size_t max_size = std::numeric_limits<std::size_t>::max();

    std::vector<std::string> one_of;  // string enum; empty means any
    std::string one_of_text;          // "credit, prepay", ready for the message

    std::unique_ptr<field_spec> items;  // list
    std::vector<field_spec> fields;     // record, in file order
    std::uint64_t required_mask = 0;    // record: bit i set when fields[i] is required
};

struct topic_entry {
    std::string name;
    schema_set::topic_info info;
    field_spec data;   // a record
    std::string file;  // where it was defined, to name both files of a duplicate
};

// ---------------------------------------------------------------------------------------------
// Loading

bool is_lower_name(std::string_view s) {
    if (s.empty() || s[0] < 'a' || s[0] > 'z') return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

std::string format_number(double d) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, d);
    return std::string(buf, r.ptr);
}

// Keys of a YAML map in file order. yaml-cpp keeps duplicate keys and `[]` returns the first,
// so a repeated key would silently drop a definition: refuse it instead.
std::vector<std::string> unique_keys(const yaml::node& n, const char* what) {
    n.expect_map();
    std::vector<std::string> out;
    for (const auto& kv : n.raw()) {
        if (!kv.first.IsScalar()) n.fail(std::string(what) + " must be plain strings");
        std::string k = kv.first.Scalar();
        if (std::find(out.begin(), out.end(), k) != out.end())
            n.child(k.c_str()).fail("duplicate " + std::string(what));
        out.push_back(std::move(k));
    }
    return out;
}

std::size_t get_size(const yaml::node& n, const char* key, std::size_t fallback) {
    if (!n.has(key)) return fallback;
    std::int64_t v = n.child(key).as_int();
    if (v < 0) n.child(key).fail("must not be negative");
    return static_cast<std::size_t>(v);
}

double get_finite(const yaml::node& n, const char* key) {
    double v = n.child(key).as_number();
    if (!std::isfinite(v)) n.child(key).fail("must be a finite number");
    return v;
}

void compile_fields(const yaml::node& n, field_spec& record);

field_spec compile_field(const yaml::node& n, std::string name, bool is_list_item) {
    n.expect_map();
    field_spec spec;
    spec.name = std::move(name);

    if (!n.has("type")) n.child("type").fail("required key is missing");
    std::string type = n.child("type").as_string();
    auto t = std::find_if(std::begin(type_entries), std::end(type_entries),
                          [&](const type_entry& e) { return type == e.name; });
    if (t == std::end(type_entries))
        n.child("type").fail("unknown type '" + type +
                             "' (expected one of: string, int, number, bool, date, map, list, "
                             "record)");
    spec.type = t->type;

    switch (spec.type) {
        case field_type::string_type:
            n.expect_keys({"type", "required", "min_length", "max_length", "enum"});
            break;
        case field_type::int_type:
        case field_type::number_type: n.expect_keys({"type", "required", "min", "max"}); break;
        case field_type::bool_type:
        case field_type::date_type: n.expect_keys({"type", "required"}); break;
        case field_type::map_type: n.expect_keys({"type", "required", "max_items"}); break;
        case field_type::list_type:
            n.expect_keys({"type", "required", "items", "min_items", "max_items"});
            break;
        case field_type::record_type: n.expect_keys({"type", "required", "fields"}); break;
    }

    if (is_list_item && n.raw()["required"].IsDefined())
        n.child("required").fail("has no meaning for list items");
    spec.required = n.get_bool("required", false);

    auto check_order = [&](const char* min_key, const char* max_key, const std::string& min_text,
                           const std::string& max_text, bool inverted) {
        if (inverted)
            n.child(min_key).fail(std::string(min_key) + " " + min_text + " is above " + max_key +
                                  " " + max_text);
    };

    switch (spec.type) {
        case field_type::string_type: {
            spec.min_size = get_size(n, "min_length", 0);
            spec.max_size = get_size(n, "max_length", spec.max_size);
            check_order("min_length", "max_length", std::to_string(spec.min_size),
                        std::to_string(spec.max_size), spec.min_size > spec.max_size);
            if (n.has("enum")) {
                yaml::node list = n.child("enum");
                list.expect_list();
                if (list.size() == 0) list.fail("must list at least one value");
                for (std::size_t i = 0; i < list.size(); ++i) {
                    yaml::node item = list.item(i);
                    std::string v = item.as_string();
                    if (std::find(spec.one_of.begin(), spec.one_of.end(), v) != spec.one_of.end())
                        item.fail("duplicate value '" + v + "'");
                    if (v.size() < spec.min_size || v.size() > spec.max_size)
                        item.fail("'" + v + "' does not fit min_length/max_length");
                    spec.one_of_text += (spec.one_of.empty() ? "" : ", ") + v;
                    spec.one_of.push_back(std::move(v));
                }
            }
            break;
        }
        case field_type::int_type:
            spec.has_min = n.has("min");
            spec.has_max = n.has("max");
            if (spec.has_min) spec.min_int = n.child("min").as_int();
            if (spec.has_max) spec.max_int = n.child("max").as_int();
            check_order("min", "max", std::to_string(spec.min_int), std::to_string(spec.max_int),
                        spec.has_min && spec.has_max && spec.min_int > spec.max_int);
            break;
        case field_type::number_type:
            spec.has_min = n.has("min");
            spec.has_max = n.has("max");
            if (spec.has_min) spec.min_number = get_finite(n, "min");
            if (spec.has_max) spec.max_number = get_finite(n, "max");
            check_order("min", "max", format_number(spec.min_number),
                        format_number(spec.max_number),
                        spec.has_min && spec.has_max && spec.min_number > spec.max_number);
            break;
        case field_type::bool_type:
        case field_type::date_type: break;
        case field_type::map_type: spec.max_size = get_size(n, "max_items", spec.max_size); break;
        case field_type::list_type:
            spec.min_size = get_size(n, "min_items", 0);
            spec.max_size = get_size(n, "max_items", spec.max_size);
            check_order("min_items", "max_items", std::to_string(spec.min_size),
                        std::to_string(spec.max_size), spec.min_size > spec.max_size);
            if (!n.has("items")) n.child("items").fail("required key is missing");
            spec.items = std::make_unique<field_spec>(compile_field(n.child("items"), "", true));
            break;
        case field_type::record_type:
            if (!n.has("fields")) n.child("fields").fail("required key is missing");
            compile_fields(n.child("fields"), spec);
            break;
    }
    return spec;
}

void compile_fields(const yaml::node& n, field_spec& record) {
    std::vector<std::string> names = unique_keys(n, "field name");
    if (names.size() > max_record_fields)
        n.fail("more than " + std::to_string(max_record_fields) + " fields");
    record.fields.reserve(names.size());
    for (std::string& name : names) {
        yaml::node child = n.child(name.c_str());
        if (!is_lower_name(name))
            child.fail(
                "field name must be lower-case letters, digits and _, starting with a "
                "letter");
        record.fields.push_back(compile_field(child, std::move(name), false));
        if (record.fields.back().required)
            record.required_mask |= std::uint64_t{1} << (record.fields.size() - 1);
    }
}

}  // namespace

struct schema_set::impl {
    // Entries never move once made, so the index may key on views of their names.
    std::vector<std::unique_ptr<topic_entry>> entries;
    std::unordered_map<std::string_view, const topic_entry*> by_name;

    const topic_entry* lookup(std::string_view topic) const {
        auto it = by_name.find(topic);
        return it == by_name.end() ? nullptr : it->second;
    }

    void load_file(const std::string& path);
};

void schema_set::impl::load_file(const std::string& path) {
    yaml::node root(yaml::load_file(path), path, "");
    root.expect_keys({"department", "topics"});
    std::string department = root.require_string("department");
    if (std::find_if(std::begin(departments), std::end(departments),
                     [&](const char* d) { return department == d; }) == std::end(departments))
        root.child("department")
            .fail("'" + department + "' is not one of sales, production, finance, logistics");

    if (!root.has("topics")) root.child("topics").fail("required key is missing");
    yaml::node topics = root.child("topics");
    for (std::string& name : unique_keys(topics, "topic")) {
        yaml::node t = topics.child(name.c_str());
        std::size_t first_dot = name.find('.');
        std::size_t second_dot =
            first_dot == std::string::npos ? first_dot : name.find('.', first_dot + 1);
        if (second_dot == std::string::npos || name.find('.', second_dot + 1) != std::string::npos)
            t.fail("a topic is <department>.<object>.<verb>, three parts");
        std::string_view view(name);
        std::string_view parts[] = {view.substr(0, first_dot),
                                    view.substr(first_dot + 1, second_dot - first_dot - 1),
                                    view.substr(second_dot + 1)};
        for (std::string_view p : parts)
            if (!is_lower_name(p))
                t.fail(
                    "each part of a topic must be lower-case letters, digits and _, "
                    "starting with a letter");
        if (parts[0] != department)
            t.fail("topic is outside department '" + department + "' of this file");
        if (const topic_entry* other = lookup(name))
            t.fail("duplicate topic, already defined in " + other->file);

        t.expect_keys({"order", "fields"});
        if (!t.has("order")) t.child("order").fail("required key is missing");
        if (!t.has("fields")) t.child("fields").fail("required key is missing");

        auto entry = std::make_unique<topic_entry>();
        entry->info.department = department;
        entry->info.order_required = t.child("order").as_bool();
        entry->file = path;
        compile_fields(t.child("fields"), entry->data);
        entry->name = std::move(name);
        by_name.emplace(entry->name, entry.get());
        entries.push_back(std::move(entry));
    }
}

schema_set::schema_set() : impl_(std::make_unique<impl>()) {}
schema_set::~schema_set() = default;
schema_set::schema_set(schema_set&&) noexcept = default;
schema_set& schema_set::operator=(schema_set&&) noexcept = default;

schema_set schema_set::load(const std::string& folder) {
    namespace fs = std::filesystem;
    std::vector<std::string> files;
    std::error_code ec;
    fs::directory_iterator it(folder, ec);
    if (ec) throw config_error(folder, "", "cannot read schema folder: " + ec.message());
    for (; it != fs::directory_iterator(); it.increment(ec)) {
        const fs::path& p = it->path();
        std::string base = p.filename().string();
        // Editors leave hidden lock and swap files next to the real ones.
        if (base.empty() || base[0] == '.' || p.extension() != ".yaml") continue;
        std::error_code type_ec;
        if (!fs::is_regular_file(p, type_ec)) continue;
        files.push_back(p.string());
    }
    if (ec) throw config_error(folder, "", "cannot read schema folder: " + ec.message());
    if (files.empty()) throw config_error(folder, "", "no *.yaml schema files in the folder");
    std::sort(files.begin(), files.end());

    schema_set out;
    for (const std::string& file : files) {
        try {
            out.impl_->load_file(file);
        } catch (const YAML::Exception& e) {
            // Conversions yaml-cpp refuses deep inside a node the strict helper did not cover.
            throw config_error(file, "", e.what());
        }
    }
    return out;
}

const schema_set::topic_info* schema_set::find(std::string_view topic) const {
    if (!impl_) return nullptr;
    const topic_entry* t = impl_->lookup(topic);
    return t ? &t->info : nullptr;
}

std::vector<std::string> schema_set::topics() const {
    std::vector<std::string> out;
    if (!impl_) return out;
    out.reserve(impl_->entries.size());
    for (const auto& e : impl_->entries) out.push_back(e->name);
    std::sort(out.begin(), out.end());
    return out;
}

// ---------------------------------------------------------------------------------------------
// Checking

namespace {

// The path to the value being checked, kept on the stack: rendered only when a check fails.
struct path_frame {
    const path_frame* parent;
    std::string_view key;  // unused for a list item
    std::size_t index;     // list items only
    bool is_item;
};

// Untrusted text in a message: at most `limit` bytes (not cutting a UTF-8 sequence), control
// characters and bytes that are not UTF-8 replaced, so the reason stays one short line of UTF-8.
void append_clean(std::string& out, std::string_view s, std::size_t limit) {
    out += reason_text(s, limit);
}

void append_quoted(std::string& out, std::string_view s) {
    out += '\'';
    append_clean(out, s, 40);
    out += '\'';
}

void append_path(std::string& out, const path_frame& f) {
    if (f.parent) append_path(out, *f.parent);
    if (f.is_item) {
        out += '[';
        out += std::to_string(f.index);
        out += ']';
        return;
    }
    if (f.parent) out += '.';
    append_clean(out, f.key, 64);
}

std::string path_prefix(const path_frame& at) {
    std::string out;
    append_path(out, at);
    out += ": ";
    return out;
}

bool fail(std::string& error, const path_frame& at, std::string_view reason) {
    error = path_prefix(at);
    error += reason;
    return false;
}

bool fail_type(std::string& error, const path_frame& at, const char* expected, const value& v) {
    error = path_prefix(at);
    error += "expected ";
    error += expected;
    error += ", got ";
    error += type_name(v);
    return false;
}

std::string value_text(const value& v) {
    if (auto* i = std::get_if<std::int64_t>(&v.v)) return std::to_string(*i);
    if (auto* u = std::get_if<std::uint64_t>(&v.v)) return std::to_string(*u);
    return format_number(v.to_double());
}

bool fail_below(std::string& error, const path_frame& at, const std::string& got,
                const std::string& bound) {
    return fail(error, at, got + " is below the minimum " + bound);
}

bool fail_above(std::string& error, const path_frame& at, const std::string& got,
                const std::string& bound) {
    return fail(error, at, got + " is above the maximum " + bound);
}

bool check_value(const field_spec& spec, const value& v, const path_frame& at, std::string& error);

bool check_record(const field_spec& spec, const value& v, const path_frame& at,
                  std::string& error) {
    if (!v.is_map()) return fail_type(error, at, "map", v);
    std::uint64_t seen = 0;
    for (const member& m : v.as_map()) {
        path_frame here{&at, m.key, 0, false};
        // Records hold a dozen fields: a scan (length compared first) beats hashing the key.
        std::size_t i = 0;
        while (i < spec.fields.size() && spec.fields[i].name != m.key) ++i;
        if (i == spec.fields.size()) return fail(error, here, "unknown field");
        std::uint64_t bit = std::uint64_t{1} << i;
        if (seen & bit) return fail(error, here, "duplicate field");
        seen |= bit;
        if (!check_value(spec.fields[i], m.val, here, error)) return false;
    }
    if ((seen & spec.required_mask) != spec.required_mask) {
        for (std::size_t i = 0; i < spec.fields.size(); ++i) {
            if (spec.fields[i].required && !(seen & (std::uint64_t{1} << i))) {
                path_frame here{&at, spec.fields[i].name, 0, false};
                return fail(error, here, "required field is missing");
            }
        }
    }
    return true;
}

bool check_size(const field_spec& spec, std::size_t size, const char* what, const path_frame& at,
                std::string& error) {
    if (size < spec.min_size)
        return fail(error, at,
                    std::to_string(size) + " " + what + ", at least " +
                        std::to_string(spec.min_size) + " required");
    if (size > spec.max_size)
        return fail(error, at,
                    std::to_string(size) + " " + what + ", at most " +
                        std::to_string(spec.max_size) + " allowed");
    return true;
}

bool check_value(const field_spec& spec, const value& v, const path_frame& at, std::string& error) {
    switch (spec.type) {
        case field_type::string_type: {
            if (!v.is_string()) return fail_type(error, at, "string", v);
            const std::string& s = v.as_string();
            if (s.size() < spec.min_size)
                return fail_below(error, at, "length " + std::to_string(s.size()),
                                  std::to_string(spec.min_size));
            if (s.size() > spec.max_size)
                return fail_above(error, at, "length " + std::to_string(s.size()),
                                  std::to_string(spec.max_size));
            if (!spec.one_of.empty() &&
                std::find(spec.one_of.begin(), spec.one_of.end(), s) == spec.one_of.end()) {
                std::string reason;
                append_quoted(reason, s);
                return fail(error, at, reason + " is not one of " + spec.one_of_text);
            }
            return true;
        }
        case field_type::int_type: {
            if (!v.is_integer()) return fail_type(error, at, "int", v);
            std::int64_t i = 0;
            if (!v.to_int64(i)) {
                // A uint above INT64_MAX is above any bound a schema can write.
                if (spec.has_max)
                    return fail_above(error, at, value_text(v), std::to_string(spec.max_int));
                return true;
            }
            if (spec.has_min && i < spec.min_int)
                return fail_below(error, at, value_text(v), std::to_string(spec.min_int));
            if (spec.has_max && i > spec.max_int)
                return fail_above(error, at, value_text(v), std::to_string(spec.max_int));
            return true;
        }
        case field_type::number_type: {
            if (!v.is_number()) return fail_type(error, at, "number", v);
            double d = v.to_double();
            if (!std::isfinite(d))
                return fail(error, at, value_text(v) + " is not a finite number");
            if (spec.has_min && d < spec.min_number)
                return fail_below(error, at, value_text(v), format_number(spec.min_number));
            if (spec.has_max && d > spec.max_number)
                return fail_above(error, at, value_text(v), format_number(spec.max_number));
            return true;
        }
        case field_type::bool_type: return v.is_bool() ? true : fail_type(error, at, "bool", v);
        case field_type::date_type: {
            if (!v.is_string()) return fail_type(error, at, "date", v);
            if (is_date(v.as_string())) return true;
            std::string reason = "expected a date YYYY-MM-DD, got ";
            append_quoted(reason, v.as_string());
            return fail(error, at, reason);
        }
        case field_type::map_type:
            if (!v.is_map()) return fail_type(error, at, "map", v);
            return check_size(spec, v.as_map().size(), "items", at, error);
        case field_type::list_type: {
            if (!v.is_list()) return fail_type(error, at, "list", v);
            const value_list& list = v.as_list();
            if (!check_size(spec, list.size(), "items", at, error)) return false;
            for (std::size_t i = 0; i < list.size(); ++i) {
                path_frame here{&at, {}, i, true};
                if (!check_value(*spec.items, list[i], here, error)) return false;
            }
            return true;
        }
        case field_type::record_type: return check_record(spec, v, at, error);
    }
    return true;
}

}  // namespace

std::string schema_set::validate(std::string_view topic, const value& data) const {
    const topic_entry* t = impl_ ? impl_->lookup(topic) : nullptr;
    assert(t && "validate() of a topic that find() does not know");
    std::string error;
    path_frame root{nullptr, "data", 0, false};
    if (!t)
        fail(error, root, "topic is not in any schema");  // release builds: refuse, don't crash
    else
        check_record(t->data, data, root, error);
    return error;
}

}  // namespace baton
