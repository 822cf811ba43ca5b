// CURVE keys as every part of baton uses them: Z85 text, key files (batonctl keygen writes
// them; batond and every client read them), key pairs, and the CURVE options of a client socket.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace zmq {
class socket_t;
}

namespace baton {

inline constexpr std::size_t curve_key_bytes = 32;  // a CURVE key, binary
inline constexpr std::size_t curve_key_chars = 40;  // ... and as Z85 text

// True when `text` is 40 characters of Z85 that decode to a 32-byte key.
bool is_z85_key(std::string_view text);
// The 32 bytes of a Z85 key; empty when `text` is not one.
std::string z85_key_bytes(std::string_view text);
// The Z85 text of 32 key bytes.
std::string z85_key_text(std::string_view bytes);

// Reads a key file: one Z85 key, whitespace around it ignored. Throws config_error naming
// `path` and `key` (the config key that named the file, may be empty).
std::string read_key_file(const std::string& path, const std::string& key = "");

// The public key belonging to a secret key, both Z85.
std::string curve_public_of(const std::string& secret_z85);

struct curve_key_pair {
    std::string public_key;  // Z85
    std::string secret_key;  // Z85
};
curve_key_pair generate_curve_key_pair();

// Writes `dir`/NAME.key (public, mode 0644) and `dir`/NAME.secret (secret, mode 0600), the
// format read_key_file reads; creates `dir` (mode 0700) when missing. Refuses (throws
// std::runtime_error, writes nothing) when NAME is not a plain file name or either file exists.
// Returns the pair written.
curve_key_pair write_key_pair(const std::string& dir, const std::string& name);

// What a CURVE client needs: the server's public key and its own pair, all Z85.
struct curve_client_keys {
    std::string server_public_key;
    std::string public_key;
    std::string secret_key;
};

// `server_key` is a Z85 key or a file holding one (e.g. batond.key); `key` names a pair
// written by write_key_pair, without the extension: `key`.key and `key`.secret are read.
// Throws config_error.
curve_client_keys load_client_keys(const std::string& server_key, const std::string& key);

// Sets a client socket (before connect) to CURVE with these keys.
void apply_curve_client(zmq::socket_t& socket, const curve_client_keys& keys);

}  // namespace baton
