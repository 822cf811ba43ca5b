// Parsing and cross-checking baton-alerts' YAML file (alerts_config.h).
#include "alerts_config.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "config_parts.h"
#include "curve_keys.h"
#include "format.h"
#include "paths.h"
#include "route_table.h"
#include "yaml_util.h"

namespace baton::adapters::alerts {

namespace {

namespace fs = std::filesystem;

alertmanager_url read_alertmanager_url(const yaml::node& n) {
    alertmanager_url u;
    u.url = n.as_string();
    webhook::http_target target;
    std::string error;
    if (!webhook::parse_url(u.url, target, error)) n.fail(error);
    if (target.path.find('?') != std::string::npos)
        n.fail("'" + u.url + "': a query is not supported (give the Alertmanager's base URL)");
    u.scheme_host_port = target.scheme_host_port;
    u.path_prefix = target.path;
    while (!u.path_prefix.empty() && u.path_prefix.back() == '/') u.path_prefix.pop_back();
    return u;
}

std::string read_password_file(const yaml::node& n, const std::string& path) {
    std::ifstream in(path);
    if (!in) n.fail("cannot read '" + path + "'");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (text.empty()) n.fail("'" + path + "' is empty");
    if (text.find('\n') != std::string::npos) n.fail("'" + path + "' holds more than one line");
    return text;
}

void read_batond(const yaml::node& root, alerts_config& c) {
    if (!root.has("batond")) return;
    auto bd = root.child("batond");
    bd.expect_map();
    bd.expect_keys({"control", "relay", "timeout"});
    c.control = webhook::zmq_endpoint(bd, "control", c.control);
    c.relay = webhook::zmq_endpoint(bd, "relay", c.relay);
    c.batond_timeout = webhook::positive_ms(bd, "timeout", c.batond_timeout);
}

void read_alertmanager(const yaml::node& root, const std::string& base, alerts_config& c) {
    if (!root.has("alertmanager")) root.child("alertmanager").fail("required key is missing");
    auto am = root.child("alertmanager");
    am.expect_map();
    am.expect_keys({"urls", "timeout", "retry", "basic_auth", "tls"});
    if (!am.has("urls")) am.child("urls").fail("required key is missing");
    auto urls = am.child("urls");
    urls.expect_list();
    if (urls.size() == 0) urls.fail("needs at least one Alertmanager URL");
    std::set<std::string> seen;
    for (std::size_t i = 0; i < urls.size(); ++i) {
        c.alertmanagers.push_back(read_alertmanager_url(urls.item(i)));
        const auto& u = c.alertmanagers.back();
        if (!seen.insert(u.scheme_host_port + u.path_prefix).second)
            urls.item(i).fail("'" + u.url + "' is listed twice");
    }
    c.post_timeout = webhook::positive_ms(am, "timeout", c.post_timeout);
    if (am.has("retry")) {
        auto retry = am.child("retry");
        retry.expect_map();
        retry.expect_keys({"initial", "max"});
        c.retry.initial = webhook::positive_ms(retry, "initial", c.retry.initial);
        c.retry.max = webhook::positive_ms(retry, "max", c.retry.max);
        if (c.retry.max < c.retry.initial)
            retry.child("max").fail("must not be shorter than retry.initial");
    }
    if (am.has("basic_auth")) {
        auto ba = am.child("basic_auth");
        ba.expect_map();
        ba.expect_keys({"username", "password_file"});
        basic_auth auth;
        auth.username = ba.require_string("username");
        if (auth.username.find(':') != std::string::npos)
            ba.child("username").fail("must not contain ':'");
        std::string file = resolve_path(base, ba.require_string("password_file"));
        auth.password = read_password_file(ba.child("password_file"), file);
        c.auth = std::move(auth);
    }
    if (am.has("tls")) {
        auto tls = am.child("tls");
        tls.expect_map();
        tls.expect_keys({"ca"});
        c.tls_ca = resolve_path(base, tls.require_string("ca"));
        std::error_code ec;
        if (!fs::is_regular_file(c.tls_ca, ec))
            tls.child("ca").fail("'" + c.tls_ca + "' is not a readable file");
    }
}

void read_alerts(const yaml::node& root, alerts_config& c) {
    if (!root.has("alerts")) return;
    auto a = root.child("alerts");
    a.expect_map();
    a.expect_keys({"board_url", "resend_every", "ends_after", "labels"});
    if (a.has("board_url")) {
        std::string url = a.child("board_url").as_string();
        webhook::http_target target;
        std::string error;
        if (!webhook::parse_url(url, target, error)) a.child("board_url").fail(error);
        while (!url.empty() && url.back() == '/') url.pop_back();
        c.board_url = url;
    }
    c.resend_every = webhook::positive_ms(a, "resend_every", c.resend_every);
    c.ends_after = webhook::positive_ms(a, "ends_after", c.ends_after);
    if (c.resend_every < std::chrono::seconds(1))
        a.child("resend_every").fail("must be at least 1s");
    if (c.ends_after < 2 * c.resend_every)
        a.child("ends_after")
            .fail("must be at least twice resend_every (" + duration_text(c.resend_every.count()) +
                  "), or Alertmanager resolves open alerts between two posts");
    if (a.has("labels")) {
        auto labels = a.child("labels");
        labels.expect_map();
        const auto& mapped = mapped_label_names();
        for (const auto& name : labels.keys()) {
            auto n = labels.child(name.c_str());
            if (!valid_label_name(name))
                n.fail("'" + name + "' is not a label name ([a-zA-Z_][a-zA-Z0-9_]*, not __...)");
            for (const auto& m : mapped)
                if (m == name) n.fail("'" + name + "' is set by baton-alerts itself");
            std::string v = n.as_string();
            if (v.empty()) n.fail("must not be empty (Alertmanager drops empty labels)");
            c.extra_labels[name] = v;
        }
    }
}

}  // namespace

const std::vector<std::string>& mapped_label_names() {
    static const std::vector<std::string> names{"alertname", "severity", "dept",  "tier",  "stage",
                                                "customer",  "order",    "scope", "source"};
    return names;
}

bool valid_label_name(const std::string& name) {
    if (name.empty() || name.rfind("__", 0) == 0) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        char ch = name[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
                  (i > 0 && ch >= '0' && ch <= '9');
        if (!ok) return false;
    }
    return true;
}

alerts_config load_alerts_config(const std::string& path) {
    alerts_config c;
    c.file = fs::absolute(path).lexically_normal().string();
    const std::string base = fs::path(c.file).parent_path().string();
    yaml::node root(yaml::load_file(path), path, "");
    if (!root.is_map()) root.fail("expected a map of settings");
    root.expect_keys({"batond", "curve", "state", "alertmanager", "alerts", "log_level"});
    read_batond(root, c);
    c.curve = parse_curve_section(root, base);
    c.state = resolve_path(base, root.require_string("state"));
    read_alertmanager(root, base, c);
    read_alerts(root, c);
    c.log_level = root.get_string("log_level", c.log_level);
    webhook::check_log_level(root, c.log_level);
    return c;
}

}  // namespace baton::adapters::alerts
