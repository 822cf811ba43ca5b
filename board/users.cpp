// The users file (users.h): the field checks, Argon2id hashing through libsodium, reading the
// YAML with precise errors and writing it back atomically.
#include "users.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "config_error.h"
#include "utf8.h"
#include "yaml_util.h"

namespace baton::board {

namespace {

constexpr std::size_t max_name = 64;
constexpr std::size_t max_display = 64;
constexpr std::size_t min_password = 8;
constexpr std::size_t max_password = 256;
constexpr std::string_view hash_prefix = "$argon2id$";

bool sodium_ready() {
    // sodium_init() is safe to call again; once is enough.
    static const bool ready = sodium_init() >= 0;
    return ready;
}

user_message problem(std::string field, std::string key, std::vector<std::string> args = {}) {
    return user_message{std::move(field), std::move(key), std::move(args)};
}

bool all_of_chars(std::string_view s, std::string_view extra) {
    for (char c : s) {
        const bool ok =
            (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || extra.find(c) != extra.npos;
        if (!ok) return false;
    }
    return true;
}

// The file's own error: the key path from `n`, the reason in English from the catalogue.
[[noreturn]] void fail(const yaml::node& n, const user_message& m) {
    n.fail(message_text(lang::en, m));
}

}  // namespace

std::string message_text(lang l, const user_message& m) {
    const auto& a = m.args;
    switch (a.size()) {
        case 0: return std::string(tr(l, m.key));
        case 1: return tr_fmt(l, m.key, {a[0]});
        case 2: return tr_fmt(l, m.key, {a[0], a[1]});
        case 3: return tr_fmt(l, m.key, {a[0], a[1], a[2]});
        default: return tr_fmt(l, m.key, {a[0], a[1], a[2], a[3]});
    }
}

std::optional<user_message> name_problem(std::string_view name) {
    if (name.empty() || name.size() > max_name || !all_of_chars(name, "._-"))
        return problem("name", "users.bad_name", {std::string(name.substr(0, max_name + 1))});
    return std::nullopt;
}

std::optional<user_message> display_problem(std::string_view display) {
    if (display.size() > max_display) return problem("display", "users.display_too_long");
    char32_t cp = 0;
    for (std::size_t at = 0; at < display.size();) {
        const std::size_t n = utf8_sequence(display, at, cp);
        if (n == 0) return problem("display", "users.bad_utf8");
        if (is_control(cp)) return problem("display", "users.display_control");
        at += n;
    }
    return std::nullopt;
}

std::optional<user_message> dept_problem(std::string_view dept) {
    if (dept.empty() || dept.size() > max_name || !all_of_chars(dept, "_"))
        return problem("dept", "users.bad_dept", {std::string(dept.substr(0, max_name + 1))});
    return std::nullopt;
}

std::optional<user_message> password_problem(std::string_view password) {
    if (password.size() < min_password) return problem("password", "users.password_short");
    if (password.size() > max_password) return problem("password", "users.password_long");
    return std::nullopt;
}

std::optional<user_message> hash_problem(std::string_view hash) {
    // crypto_pwhash_str_verify reads a C string of less than crypto_pwhash_STRBYTES.
    if (hash.compare(0, hash_prefix.size(), hash_prefix) != 0 ||
        hash.size() >= crypto_pwhash_STRBYTES || hash.find('\0') != hash.npos)
        return problem("hash", "users.bad_hash");
    return std::nullopt;
}

std::string hash_password(std::string_view password) {
    if (!sodium_ready()) throw std::runtime_error("libsodium cannot be initialised");
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        throw std::runtime_error("password hashing failed (out of memory?)");
    std::string hash(out);
    // libsodium 1.0.15 and later hash with Argon2id; an older one must not write weaker hashes
    // that the file would then refuse.
    if (hash_problem(hash)) throw std::runtime_error("libsodium did not produce an Argon2id hash");
    return hash;
}

bool verify_password(std::string_view hash, std::string_view password) {
    if (hash_problem(hash) || !sodium_ready()) return false;
    const std::string text(hash);  // NUL-terminated for libsodium
    return crypto_pwhash_str_verify(text.c_str(), password.data(), password.size()) == 0;
}

users_file::users_file(std::string path) : path_(std::move(path)) {}

std::unique_ptr<users_file> users_file::load(const std::string& path, bool allow_missing) {
    auto file = std::make_unique<users_file>(path);
    struct stat st {};
    if (allow_missing && ::stat(path.c_str(), &st) != 0 && errno == ENOENT) return file;

    yaml::node root(yaml::load_file(path), path, "");
    if (root.raw().IsNull()) return file;  // an empty file
    if (!root.is_map()) root.fail("expected a map with a 'users' list");
    root.expect_keys({"users"});
    if (!root.has("users")) return file;
    const auto list = root.child("users");
    list.expect_list();
    for (std::size_t i = 0; i < list.size(); ++i) {
        const auto n = list.item(i);
        n.expect_keys({"name", "display", "dept", "role", "lang", "hash", "disabled"});
        user_record r;
        r.who.name = n.require_string("name");
        if (auto p = name_problem(r.who.name)) fail(n.child("name"), *p);
        if (file->users_.count(r.who.name))
            fail(n.child("name"), problem("name", "users.duplicate", {r.who.name}));
        r.who.display = n.get_string("display", "");
        if (auto p = display_problem(r.who.display)) fail(n.child("display"), *p);
        r.who.dept = n.get_string("dept", "");
        if (!r.who.dept.empty())
            if (auto p = dept_problem(r.who.dept)) fail(n.child("dept"), *p);
        const std::string role_text = n.require_string("role");
        const auto level = parse_role(role_text);
        if (!level) fail(n.child("role"), problem("role", "users.bad_role", {role_text}));
        r.who.level = *level;
        r.who.lang = n.get_string("lang", "");
        if (r.who.lang != "" && r.who.lang != "en" && r.who.lang != "zh")
            fail(n.child("lang"), problem("lang", "users.bad_lang_file", {r.who.lang}));
        r.hash = n.require_string("hash");
        if (auto p = hash_problem(r.hash)) fail(n.child("hash"), *p);
        r.disabled = n.get_bool("disabled", false);
        file->users_.emplace(r.who.name, std::move(r));
    }
    return file;
}

void users_file::reload() {
    auto fresh = load(path_);
    std::lock_guard save_lock(save_mutex_);
    std::unique_lock lock(mutex_);
    users_ = std::move(fresh->users_);
}

std::optional<user_record> users_file::find(std::string_view name) const {
    std::shared_lock lock(mutex_);
    auto it = users_.find(name);
    if (it == users_.end()) return std::nullopt;
    return it->second;
}

std::vector<user_record> users_file::records() const {
    std::shared_lock lock(mutex_);
    std::vector<user_record> out;
    out.reserve(users_.size());
    for (const auto& [name, r] : users_) out.push_back(r);
    return out;
}

std::vector<person> users_file::people() const {
    std::shared_lock lock(mutex_);
    std::vector<person> out;
    for (const auto& [name, r] : users_)
        if (!r.disabled) out.push_back(r.who);
    return out;
}

std::optional<person> users_file::authenticate(std::string_view name,
                                               std::string_view password) const {
    // Made once, from a password nobody knows; verifying against it costs what a real check
    // costs.
    static const std::string stand_in = [] {
        unsigned char secret[32];
        randombytes_buf(secret, sizeof secret);
        return hash_password(
            std::string_view(reinterpret_cast<const char*>(secret), sizeof secret));
    }();
    const auto r = find(name);  // a copy: the slow check runs without the lock
    if (!r || r->disabled) {
        verify_password(stand_in, password);
        return std::nullopt;
    }
    if (!verify_password(r->hash, password)) return std::nullopt;
    return r->who;
}

void users_file::put(user_record r) {
    std::unique_lock lock(mutex_);
    std::string name = r.who.name;
    users_.insert_or_assign(std::move(name), std::move(r));
}

void users_file::save() const {
    std::lock_guard save_lock(save_mutex_);
    save_locked();
}

void users_file::store(user_record r) {
    std::lock_guard save_lock(save_mutex_);
    const std::string name = r.who.name;
    std::optional<user_record> before;
    {
        std::unique_lock lock(mutex_);
        auto it = users_.find(name);
        if (it != users_.end()) before = it->second;
        users_.insert_or_assign(name, std::move(r));
    }
    try {
        save_locked();
    } catch (...) {
        std::unique_lock lock(mutex_);
        if (before)
            users_.insert_or_assign(name, std::move(*before));
        else
            users_.erase(name);
        throw;
    }
}

void users_file::save_locked() const {
    YAML::Emitter out;
    out << YAML::BeginMap << YAML::Key << "users" << YAML::Value << YAML::BeginSeq;
    {
        std::shared_lock lock(mutex_);
        // Strings are double-quoted so that a display name such as "null" or "yes" reads back
        // as written.
        for (const auto& [name, r] : users_) {
            out << YAML::BeginMap;
            out << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << r.who.name;
            out << YAML::Key << "display" << YAML::Value << YAML::DoubleQuoted << r.who.display;
            out << YAML::Key << "dept" << YAML::Value << YAML::DoubleQuoted << r.who.dept;
            out << YAML::Key << "role" << YAML::Value << std::string(role_name(r.who.level));
            out << YAML::Key << "lang" << YAML::Value << YAML::DoubleQuoted << r.who.lang;
            out << YAML::Key << "hash" << YAML::Value << YAML::DoubleQuoted << r.hash;
            out << YAML::Key << "disabled" << YAML::Value << r.disabled;
            out << YAML::EndMap;
        }
    }
    out << YAML::EndSeq << YAML::EndMap;
    if (!out.good()) throw config_error(path_, "", "cannot write YAML: " + out.GetLastError());

    std::string text =
        "# baton-board users: name, display, dept, role (viewer|clerk|lead|admin), lang "
        "(en|zh|\"\"),"
        " hash (Argon2id, crypto_pwhash_str)\n"
        "# Written by baton-board (adduser, the users page); passwords are never stored.\n";
    text += out.c_str();
    text += '\n';

    const std::string tmp = path_ + ".tmp";
    auto trouble = [&](const std::string& what, int err) {
        return config_error(path_, "", what + ": " + std::strerror(err));
    };
    // The first user of a fresh install: its folder may not exist yet.
    if (const auto dir = std::filesystem::path(path_).parent_path(); !dir.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        if (ec)
            throw config_error(path_, "", "cannot create " + dir.string() + ": " + ec.message());
    }
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw trouble("cannot create " + tmp, errno);
    auto close_and_throw = [&](const std::string& what) {
        const int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        throw trouble(what, err);
    };
    // A left-over .tmp keeps its old mode through O_TRUNC; the hashes are for this user only.
    if (::fchmod(fd, 0600) != 0) close_and_throw("cannot set the mode of " + tmp);
    // adduser usually runs as root: the file stays the board's when it was the board's.
    struct stat old {};
    if (::stat(path_.c_str(), &old) == 0 &&
        (old.st_uid != ::geteuid() || old.st_gid != ::getegid()))
        if (::fchown(fd, old.st_uid, old.st_gid) != 0 && errno != EPERM)
            close_and_throw("cannot set the owner of " + tmp);
    for (std::size_t done = 0; done < text.size();) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) close_and_throw("cannot write " + tmp);
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) close_and_throw("cannot sync " + tmp);
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw trouble("cannot close " + tmp, err);
    }
    if (::rename(tmp.c_str(), path_.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw trouble("cannot rename " + tmp, err);
    }
    // The rename is durable only once the folder is.
    const auto slash = path_.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : path_.substr(0, slash + 1);
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

}  // namespace baton::board
