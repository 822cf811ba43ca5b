// Strict reading of baton-csv's config file: unknown keys, bad durations and missing folders are
// refused with the file, the key and the reason.
#include "csv_config.h"

#include <filesystem>

#include "curve_keys.h"
#include "text_decoder.h"
#include "yaml_util.h"

namespace baton::adapters::csv {
namespace {

namespace fs = std::filesystem;

std::string resolve(const fs::path& base, const std::string& p) {
    fs::path path = (fs::path(p).is_absolute() ? fs::path(p) : base / p).lexically_normal();
    if (!path.has_filename() && path.has_parent_path()) path = path.parent_path();  // "drop/"
    return path.string();
}

std::chrono::milliseconds duration(const yaml::node& root, const char* key,
                                   std::chrono::milliseconds fallback, bool allow_zero) {
    std::int64_t us = root.get_duration_us(key, fallback.count() * 1000);
    if (us < 0 || (!allow_zero && us == 0)) root.child(key).fail("must be more than 0");
    return std::chrono::milliseconds(us / 1000);
}

}  // namespace

adapter_config load_config(const std::string& path) {
    yaml::node root(yaml::load_file(path), path, "");
    root.expect_map();
    root.expect_keys({"folder", "mappings", "ingest", "outbox", "done", "failed", "poll_interval",
                      "settle", "ack_timeout", "resend_after", "delimiter", "encoding",
                      "max_file_mb", "log_level", "curve"});
    adapter_config c;
    c.file = path;
    const fs::path base = fs::path(path).parent_path();

    c.folder = resolve(base, root.require_string("folder"));
    c.mappings_file = resolve(base, root.require_string("mappings"));
    c.outbox = resolve(base, root.require_string("outbox"));
    c.ingest = root.get_string("ingest", c.ingest);
    if (c.ingest.find("://") == std::string::npos)
        root.child("ingest").fail("expected a ZeroMQ endpoint like tcp://127.0.0.1:7710");
    c.done_dir = resolve(c.folder, root.get_string("done", "done"));
    c.failed_dir = resolve(c.folder, root.get_string("failed", "failed"));

    c.poll_interval = duration(root, "poll_interval", c.poll_interval, false);
    c.settle = duration(root, "settle", c.settle, true);
    c.ack_timeout = duration(root, "ack_timeout", c.ack_timeout, false);
    c.resend_after = duration(root, "resend_after", c.resend_after, false);

    std::string delimiter = root.get_string("delimiter", ",");
    if (delimiter == "," || delimiter == ";")
        c.delimiter = delimiter[0];
    else if (delimiter == "tab" || delimiter == "\t")
        c.delimiter = '\t';
    else
        root.child("delimiter").fail("expected \",\", \";\" or tab, got '" + delimiter + "'");

    c.encoding = normalise_encoding(root.get_string("encoding", c.encoding));
    if (std::string why = check_encoding(c.encoding); !why.empty())
        root.child("encoding").fail(why);

    std::int64_t max_mb = root.get_int("max_file_mb", static_cast<std::int64_t>(256));
    if (max_mb < 1) root.child("max_file_mb").fail("must be at least 1 (MiB)");
    c.max_file_bytes = static_cast<std::uint64_t>(max_mb) << 20;

    c.log_level = root.get_string("log_level", c.log_level);
    static const char* levels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
    bool known = false;
    for (const char* l : levels) known |= c.log_level == l;
    if (!known)
        root.child("log_level").fail("expected trace, debug, info, warn, error, critical or off");
    c.curve = parse_curve_section(root, base.string());

    // Cross-field checks, after everything parsed.
    std::error_code ec;
    if (!fs::is_directory(c.folder, ec))
        root.child("folder").fail("'" + c.folder + "' is not a folder");
    if (fs::path(c.outbox).parent_path() == fs::path(c.folder))
        root.child("outbox").fail("must not be inside the drop folder");
    return c;
}

std::vector<mapping> load_csv_mappings(const adapter_config& c) {
    std::vector<mapping> mappings = load_mappings(c.mappings_file);
    for (std::size_t i = 0; i < mappings.size(); ++i) {
        mapping& m = mappings[i];
        if (m.encoding.empty()) continue;
        m.encoding = normalise_encoding(m.encoding);
        if (std::string why = check_encoding(m.encoding); !why.empty())
            throw config_error(c.mappings_file, "mappings[" + std::to_string(i) + "].encoding",
                               why);
    }
    return mappings;
}

const std::string& encoding_for(const adapter_config& c, const mapping& m) {
    return m.encoding.empty() ? c.encoding : m.encoding;
}

}  // namespace baton::adapters::csv
