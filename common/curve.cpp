// CURVE keys: Z85 text, key files (batonctl keygen writes them; batond and every client read
// them), key pairs, and a client socket's CURVE options.
#include "curve.h"

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

#include "config_error.h"

namespace baton {

namespace fs = std::filesystem;

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

// A name for key files: a plain word, no folders, no hidden files.
bool valid_key_name(const std::string& name) {
    if (name.empty() || name.size() > 64 || name[0] == '.') return false;
    for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
            return false;
    return true;
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

}  // namespace baton
