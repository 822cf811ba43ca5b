// Parsing and cross-checking baton-webhook's YAML file.
#include "webhook_config.h"

#include <spdlog/common.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config_parts.h"
#include "curve_keys.h"
#include "endpoint.h"
#include "paths.h"
#include "yaml_util.h"

namespace baton::adapters::webhook {

namespace {

void check_name(const yaml::node& n, const std::string& name, const char* what) {
    if (name.empty() || name.size() > 64)
        n.fail(std::string("expected ") + what + " of 1-64 bytes");
    for (char c : name)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
            n.fail(std::string("a ") + what + " may not hold spaces or control characters");
}

// A caller's secret from `<file_key>` (a file, relative to the config's folder) or `<env_key>`
// (an environment variable). Trailing white space (the newline of `echo`) is dropped. A reason
// names the file or the variable, never the secret.
std::string read_secret(const yaml::node& n, const char* file_key, const char* env_key,
                        const std::string& base, bool token) {
    std::string secret;
    std::string where;
    const char* at = n.has(file_key) ? file_key : env_key;
    if (n.has(file_key)) {
        where = resolve_path(base, n.require_string(file_key));
        std::ifstream in(where, std::ios::binary);
        if (!in) n.child(file_key).fail(where + ": cannot open: " + std::strerror(errno));
        std::ostringstream text;
        text << in.rdbuf();
        secret = text.str();
    } else {
        std::string variable = n.require_string(env_key);
        where = "environment variable " + variable;
        const char* v = std::getenv(variable.c_str());
        if (!v) n.child(env_key).fail(where + " is not set");
        secret = v;
    }
    while (!secret.empty() && std::isspace(static_cast<unsigned char>(secret.back())))
        secret.pop_back();
    if (secret.size() < 16 || secret.size() > 4096)
        n.child(at).fail(where + ": the secret has " + std::to_string(secret.size()) +
                         " bytes; use 16-4096 (e.g. openssl rand -hex 32)");
    if (token)
        for (char c : secret)
            if (c <= 0x20 || c == 0x7f || static_cast<unsigned char>(c) > 0x7f)
                n.child(at).fail(where +
                                 ": a token travels in a header: printable ASCII without spaces");
    return secret;
}

// `auth:` callers, each with one credential and the sources it may publish as (absent: the
// top-level `source`, filled in by the caller of this function).
auth_config parse_auth(const yaml::node& root, const std::string& base) {
    auth_config a;
    if (!root.has("auth")) return a;
    const yaml::node auth = root.child("auth");
    auth.expect_map();
    auth.expect_keys({"callers", "timestamp_tolerance"});
    std::int64_t tolerance_us = auth.get_duration_us(
        "timestamp_tolerance", std::int64_t{a.timestamp_tolerance.count()} * 1000000);
    if (tolerance_us < 1000000 || tolerance_us > 3600LL * 1000000)
        auth.child("timestamp_tolerance").fail("expected 1s-1h");
    a.timestamp_tolerance = std::chrono::seconds(tolerance_us / 1000000);

    if (!auth.has("callers"))
        auth.child("callers").fail(
            "required: the calling systems, each with a name and token_file, token_env, "
            "secret_file or secret_env");
    const yaml::node callers = auth.child("callers");
    callers.expect_list();
    if (callers.size() == 0) callers.fail("needs at least one caller");
    for (std::size_t i = 0; i < callers.size(); ++i) {
        const yaml::node n = callers.item(i);
        n.expect_map();
        n.expect_keys({"name", "token_file", "token_env", "secret_file", "secret_env", "sources"});
        caller c;
        c.name = n.require_string("name");
        check_name(n.child("name"), c.name, "name");
        for (const caller& earlier : a.callers)
            if (earlier.name == c.name)
                n.child("name").fail("caller '" + c.name + "' appears twice");

        int given = 0;
        for (const char* key : {"token_file", "token_env", "secret_file", "secret_env"})
            given += n.has(key) ? 1 : 0;
        if (given != 1)
            n.fail(
                "needs exactly one of token_file or token_env (Authorization: Bearer), "
                "secret_file or secret_env (X-Baton-Signature); got " +
                std::to_string(given));
        const bool token = n.has("token_file") || n.has("token_env");
        c.scheme = token ? caller_scheme::bearer : caller_scheme::hmac;
        c.secret = token ? read_secret(n, "token_file", "token_env", base, true)
                         : read_secret(n, "secret_file", "secret_env", base, false);
        for (const caller& earlier : a.callers)
            if (earlier.secret == c.secret)
                n.fail("has the same secret as caller '" + earlier.name +
                       "': each caller needs its own, or the adapter could not tell them apart");

        if (n.has("sources")) {
            const yaml::node sources = n.child("sources");
            sources.expect_list();
            if (sources.size() == 0) sources.fail("needs at least one source");
            for (std::size_t j = 0; j < sources.size(); ++j) {
                std::string s = sources.item(j).as_string();
                check_name(sources.item(j), s, "source");
                if (s == "baton") sources.item(j).fail("'baton' is reserved for batond");
                c.sources.push_back(s);
            }
        }
        a.callers.push_back(std::move(c));
    }
    return a;
}

}  // namespace

webhook_config load_webhook_config(const std::string& path) {
    namespace fs = std::filesystem;
    webhook_config c;
    c.file = fs::absolute(path).lexically_normal().string();
    const std::string base = fs::path(c.file).parent_path().string();
    yaml::node root(yaml::load_file(path), path, "");
    if (!root.is_map()) root.fail("expected a map of settings");
    root.expect_keys({"http", "source", "allow_source_header", "batond", "outbox", "log_level",
                      "curve", "auth", "tls", "insecure"});

    if (root.has("http")) {
        auto http = root.child("http");
        http.expect_keys({"host", "port", "threads", "max_body_bytes", "reply_timeout"});
        c.host = http.get_string("host", c.host);
        if (c.host.empty()) http.child("host").fail("must not be empty");
        std::int64_t port = http.get_int("port", c.port);
        if (port < 0 || port > 65535) http.child("port").fail("expected a port, 0-65535");
        c.port = static_cast<int>(port);
        std::int64_t threads = http.get_int("threads", static_cast<std::int64_t>(c.threads));
        if (threads < 1 || threads > 1024) http.child("threads").fail("expected 1-1024");
        c.threads = static_cast<std::size_t>(threads);
        std::int64_t max_body =
            http.get_int("max_body_bytes", static_cast<std::int64_t>(c.max_body_bytes));
        if (max_body < 1 || max_body > (1 << 20))
            http.child("max_body_bytes").fail("expected 1-1048576 bytes");
        c.max_body_bytes = static_cast<std::size_t>(max_body);
        c.reply_timeout = positive_ms(http, "reply_timeout", c.reply_timeout);
    }

    c.source = root.get_string("source", "");
    c.allow_source_header = root.get_bool("allow_source_header", false);
    c.auth = parse_auth(root, base);
    if (c.source.empty() && !c.allow_source_header && c.auth.callers.empty())
        root.child("source").fail(
            "required: the name of the department system posting here (e.g. sales-crm), unless "
            "allow_source_header is true");
    if (c.source.size() > 64) root.child("source").fail("longer than 64 bytes");
    if (c.source == "baton") root.child("source").fail("'baton' is reserved for batond");
    for (std::size_t i = 0; i < c.auth.callers.size(); ++i) {
        caller& who = c.auth.callers[i];
        if (!who.sources.empty()) continue;
        if (c.source.empty())
            root.child("auth").child("callers").item(i).child("sources").fail(
                "required: the source(s) caller '" + who.name +
                "' may publish as, since the top-level source is not set");
        who.sources.push_back(c.source);
    }

    c.insecure = root.get_bool("insecure", false);
    if (!is_loopback_host(c.host) && c.auth.callers.empty() && !c.insecure)
        root.child("http").child("host").fail(
            "'" + c.host +
            "' is reachable from other machines: add auth callers (a token or an HMAC secret "
            "each), or set insecure: true to take events from anyone who reaches the port");
    c.tls = parse_tls(root, base);

    if (root.has("batond")) {
        auto bd = root.child("batond");
        bd.expect_keys({"ingest", "resend_after"});
        c.ingest = bd.get_string("ingest", c.ingest);
        if (!is_zmq_endpoint(c.ingest, false))
            bd.child("ingest").fail("'" + c.ingest +
                                    "' is not a ZeroMQ endpoint (tcp://host:port or ipc://path)");
        c.resend_after = positive_ms(bd, "resend_after", c.resend_after);
    }

    c.outbox = resolve_path(base, root.require_string("outbox"));
    c.log_level = root.get_string("log_level", c.log_level);
    check_log_level(root, c.log_level);
    c.curve = parse_curve_section(root, base);
    return c;
}

}  // namespace baton::adapters::webhook
