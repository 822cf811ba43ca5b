// The security section of baton.yaml and the access decisions made on a ZAP User-Id. (Key
// files and Z85 keys are in common/curve.h, shared with the clients.)
#include "security.h"

#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "paths.h"
#include "yaml_util.h"

namespace baton {

namespace fs = std::filesystem;

const char* control_right_name(control_right r) {
    switch (r) {
        case control_right::none: return "none";
        case control_right::read: return "read";
        case control_right::operator_: return "operator";
    }
    return "none";
}

namespace {

// A client name is a ZAP User-Id and appears in logs and refusals: a plain word.
bool valid_client_name(const std::string& name) {
    if (name.empty() || name.size() > 64) return false;
    for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' &&
            c != '@')
            return false;
    return true;
}

// A topic is covered by a prefix when it equals it or continues it at a dot ("sales" and
// "sales." both cover "sales.order.placed"; "sale" covers nothing of it).
bool topic_allowed(const std::vector<std::string>& prefixes, std::string_view topic) {
    for (const auto& p : prefixes) {
        if (p == "*") return true;
        if (topic.size() < p.size() || topic.compare(0, p.size(), p) != 0) continue;
        if (topic.size() == p.size() || p.back() == '.' || topic[p.size()] == '.') return true;
    }
    return false;
}

bool source_allowed(const std::vector<std::string>& sources, std::string_view source) {
    for (const auto& s : sources)
        if (s == "*" || s == source) return true;
    return false;
}

std::vector<std::string> string_list(const yaml::node& parent, const char* key) {
    std::vector<std::string> out;
    if (!parent.has(key)) return out;
    auto list = parent.child(key);
    list.expect_list();
    for (std::size_t i = 0; i < list.size(); ++i) {
        auto item = list.item(i);
        std::string s = item.as_string();
        if (s.empty() || s.size() > 64) item.fail("expected 1 to 64 characters");
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace

// --- the config section --------------------------------------------------------------------

security_config parse_security(const yaml::node& n, const std::string& base_dir) {
    security_config s;
    n.expect_keys({"curve", "server_secret_key", "clients", "insecure"});
    s.curve = n.get_bool("curve", s.curve);
    s.insecure = n.get_bool("insecure", s.insecure);
    if (n.has("server_secret_key")) {
        auto key = n.child("server_secret_key");
        s.server_secret_key_file = resolve_path(base_dir, n.require_string("server_secret_key"));
        struct stat st {};
        if (::stat(s.server_secret_key_file.c_str(), &st) != 0)
            key.fail("cannot read " + s.server_secret_key_file + ": " + std::strerror(errno));
        if (st.st_mode & (S_IROTH | S_IWOTH))
            key.fail(s.server_secret_key_file +
                     " is readable or writable by every user; chmod 600 it (a secret key must "
                     "stay secret)");
        s.server_secret_key = read_key_file(s.server_secret_key_file, key.path());
        s.server_public_key = curve_public_of(s.server_secret_key);
        if (s.server_public_key.empty()) key.fail("not a usable CURVE secret key");
    }
    if (n.has("clients")) {
        auto list = n.child("clients");
        list.expect_list();
        std::map<std::string, std::string> names, keys;  // -> key path of the first use
        for (std::size_t i = 0; i < list.size(); ++i) {
            auto c = list.item(i);
            c.expect_keys({"name", "public_key", "sources", "topics", "control"});
            client_acl acl;
            acl.name = c.require_string("name");
            if (!valid_client_name(acl.name))
                c.child("name").fail("'" + acl.name +
                                     "': expected 1 to 64 letters, digits, '-', '_', '.' or '@'");
            if (auto [it, fresh] = names.emplace(acl.name, c.path()); !fresh)
                c.child("name").fail("client '" + acl.name + "' is already defined at " +
                                     it->second);
            // A Z85 key in the file, or the path of a .key file (an existing file wins, so a
            // 40-character path is never mistaken for a key).
            const std::string text = c.require_string("public_key");
            const std::string path = resolve_path(base_dir, text);
            std::error_code ec;
            if (fs::is_regular_file(path, ec))
                acl.public_key = read_key_file(path, c.child("public_key").path());
            else if (is_z85_key(text))
                acl.public_key = text;
            else
                c.child("public_key")
                    .fail("'" + text +
                          "' is neither a 40-character Z85 key nor a readable key file");
            if (auto [it, fresh] = keys.emplace(acl.public_key, c.path()); !fresh)
                c.child("public_key").fail("the same key is already given to " + it->second);
            acl.sources = string_list(c, "sources");
            acl.topics = string_list(c, "topics");
            const std::string control = c.get_string("control", "none");
            if (control == "none")
                acl.control = control_right::none;
            else if (control == "read")
                acl.control = control_right::read;
            else if (control == "operator")
                acl.control = control_right::operator_;
            else
                c.child("control").fail("expected none, read or operator, got '" + control + "'");
            s.clients.push_back(std::move(acl));
        }
    }
    if (s.curve && s.server_secret_key_file.empty())
        n.child("server_secret_key")
            .fail("required when curve is true (batonctl keygen batond writes one)");
    if (s.curve && s.clients.empty())
        n.child("clients").fail("curve is true but no client is listed: nobody could connect");
    return s;
}

// --- access rules ---------------------------------------------------------------------------

namespace {

// No User-Id: not a CURVE peer at all. A User-Id not in the list: removed by a reload since the
// client connected.
std::string unknown_client(std::string_view user) {
    if (user.empty()) return "forbidden: the peer is not an authenticated client";
    return "forbidden: client '" + std::string(user) + "' is no longer in security.clients";
}

}  // namespace

access_policy::access_policy(const security_config& s) : enabled_(s.curve), clients_(s.clients) {
    for (std::size_t i = 0; i < clients_.size(); ++i) {
        by_key_.emplace(z85_key_bytes(clients_[i].public_key), i);
        by_name_.emplace(clients_[i].name, i);
    }
}

const client_acl* access_policy::find_key(std::string_view key_bytes) const {
    auto it = by_key_.find(key_bytes);
    return it == by_key_.end() ? nullptr : &clients_[it->second];
}

const client_acl* access_policy::find_name(std::string_view name) const {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : &clients_[it->second];
}

std::string access_policy::check_publish(std::string_view user, std::string_view topic,
                                         std::string_view source) const {
    if (!enabled_) return "";
    const client_acl* c = find_name(user);
    if (!c) return unknown_client(user);
    if (!topic_allowed(c->topics, topic))
        return "forbidden: client '" + c->name + "' may not publish topic '" + std::string(topic) +
               "'";
    if (!source_allowed(c->sources, source))
        return "forbidden: client '" + c->name + "' may not use source '" + std::string(source) +
               "'";
    return "";
}

std::string access_policy::check_control(std::string_view user, control_right needed) const {
    if (!enabled_) return "";
    const client_acl* c = find_name(user);
    if (!c) return unknown_client(user);
    if (c->control == control_right::none)
        return "forbidden: client '" + c->name + "' may not use the control socket";
    if (c->control == control_right::read && needed == control_right::operator_)
        return "forbidden: client '" + c->name + "' is read-only";
    return "";
}

}  // namespace baton
