// The security section of baton.yaml, CURVE key files (batonctl keygen writes them, batond and
// the clients read them) and the access decisions made on a ZAP User-Id.
#include "security.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <zmq.hpp>

#include "config.h"
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

bool is_operator_command(std::string_view cmd) {
    return cmd == "ack" || cmd == "resolve" || cmd == "task_done" || cmd == "reload";
}

// --- keys ----------------------------------------------------------------------------------

std::string z85_key_bytes(std::string_view text) {
    if (text.size() != curve_key_chars) return "";
    std::string z(text);  // zmq_z85_decode wants a terminated string
    std::string out(curve_key_bytes, '\0');
    if (!zmq_z85_decode(reinterpret_cast<std::uint8_t*>(out.data()), z.c_str())) return "";
    return out;
}

bool is_z85_key(std::string_view text) {
    return !z85_key_bytes(text).empty();
}

std::string z85_key_text(std::string_view bytes) {
    if (bytes.size() != curve_key_bytes) return "";
    char out[curve_key_chars + 1] = {};
    if (!zmq_z85_encode(out, reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()))
        return "";
    return std::string(out, curve_key_chars);
}

namespace {

std::string trimmed(const std::string& s) {
    const char* space = " \t\r\n";
    auto b = s.find_first_not_of(space);
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(space) - b + 1);
}

// A client name is a ZAP User-Id and appears in logs and refusals: a plain word.
bool valid_client_name(const std::string& name) {
    if (name.empty() || name.size() > 64) return false;
    for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' &&
            c != '@')
            return false;
    return true;
}

// A name for key files: no folders, no hidden files.
bool valid_key_name(const std::string& name) {
    return valid_client_name(name) && name[0] != '.' && name.find('@') == std::string::npos;
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

std::string read_key_file(const std::string& path, const std::string& key) {
    std::ifstream in(path);
    if (!in)
        throw config_error(path, key, std::string("cannot open key file: ") + std::strerror(errno));
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = trimmed(ss.str());
    if (!is_z85_key(text))
        throw config_error(path, key,
                           "not a CURVE key file (expected one 40-character Z85 key, as "
                           "batonctl keygen writes)");
    return text;
}

std::string curve_public_of(const std::string& secret_z85) {
    char pub[curve_key_chars + 1] = {};
    if (zmq_curve_public(pub, secret_z85.c_str()) != 0) return "";
    return std::string(pub, curve_key_chars);
}

curve_key_pair generate_curve_key_pair() {
    char pub[curve_key_chars + 1] = {};
    char sec[curve_key_chars + 1] = {};
    if (zmq_curve_keypair(pub, sec) != 0)
        throw std::runtime_error(std::string("cannot make a CURVE key pair: ") +
                                 zmq_strerror(zmq_errno()));
    return {std::string(pub, curve_key_chars), std::string(sec, curve_key_chars)};
}

namespace {

// Creates `path` with exactly `mode` (whatever the umask) and `text`; fails when it exists.
void write_new_file(const std::string& path, const std::string& text, mode_t mode) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) throw std::runtime_error("cannot create " + path + ": " + std::strerror(errno));
    bool ok = ::fchmod(fd, mode) == 0 &&
              ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
              ::fsync(fd) == 0;
    int saved = errno;
    ::close(fd);
    if (!ok) {
        ::unlink(path.c_str());
        throw std::runtime_error("cannot write " + path + ": " + std::strerror(saved));
    }
}

}  // namespace

curve_key_pair write_key_pair(const std::string& dir, const std::string& name) {
    if (!valid_key_name(name))
        throw std::runtime_error("key name '" + name +
                                 "' must be letters, digits, '-', '_' or '.' (not first), at "
                                 "most 64");
    const std::string pub_path = (fs::path(dir) / (name + ".key")).string();
    const std::string sec_path = (fs::path(dir) / (name + ".secret")).string();
    std::error_code ec;
    for (const auto& p : {pub_path, sec_path})
        if (fs::symlink_status(p, ec).type() != fs::file_type::not_found)
            throw std::runtime_error(p + " exists; refusing to overwrite a key");
    if (!fs::exists(dir, ec)) {
        // A new folder for keys is private: it will hold secrets.
        if (!fs::create_directories(dir, ec) && ec)
            throw std::runtime_error("cannot create " + dir + ": " + ec.message());
        fs::permissions(dir, fs::perms::owner_all, ec);
    }
    curve_key_pair pair = generate_curve_key_pair();
    write_new_file(sec_path, pair.secret_key + "\n", 0600);
    try {
        write_new_file(pub_path, pair.public_key + "\n", 0644);
    } catch (...) {
        ::unlink(sec_path.c_str());
        throw;
    }
    return pair;
}

curve_client_keys load_client_keys(const std::string& server_key, const std::string& key) {
    curve_client_keys k;
    if (is_z85_key(server_key))
        k.server_public_key = server_key;
    else
        k.server_public_key = read_key_file(server_key, "server key");
    k.public_key = read_key_file(key + ".key", "public key");
    k.secret_key = read_key_file(key + ".secret", "secret key");
    if (curve_public_of(k.secret_key) != k.public_key)
        throw config_error(key + ".secret", "",
                           "does not belong to the public key in " + key + ".key");
    return k;
}

void apply_curve_client(zmq::socket_t& socket, const curve_client_keys& keys) {
    socket.set(zmq::sockopt::curve_serverkey, keys.server_public_key);
    socket.set(zmq::sockopt::curve_publickey, keys.public_key);
    socket.set(zmq::sockopt::curve_secretkey, keys.secret_key);
}

// --- endpoints -----------------------------------------------------------------------------

bool is_loopback_endpoint(const std::string& endpoint) {
    if (endpoint.rfind("ipc://", 0) == 0 || endpoint.rfind("inproc://", 0) == 0) return true;
    if (endpoint.rfind("tcp://", 0) != 0) return false;
    std::string address = endpoint.substr(6);
    auto colon = address.rfind(':');
    if (colon == std::string::npos) return false;
    std::string host = address.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    if (host == "localhost") return true;
    in_addr v4{};
    if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
    in6_addr v6{};
    if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
        in6_addr loop = IN6ADDR_LOOPBACK_INIT;
        return std::memcmp(&v6, &loop, sizeof v6) == 0;
    }
    return false;  // "*", an interface name, a host name: may be reachable from elsewhere
}

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

std::string access_policy::check_control(std::string_view user, std::string_view cmd) const {
    if (!enabled_) return "";
    const client_acl* c = find_name(user);
    if (!c) return unknown_client(user);
    if (c->control == control_right::none)
        return "forbidden: client '" + c->name + "' may not use the control socket";
    if (c->control == control_right::read && is_operator_command(cmd))
        return "forbidden: client '" + c->name + "' is read-only";
    return "";
}

}  // namespace baton
