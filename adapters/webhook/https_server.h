// HTTPS for baton-webhook: the certificate and key named by the config's `tls:` section, checked
// once at config load (so --check-config catches them) and loaded again into the server. Without
// `tls:` the server is plain HTTP.
#pragma once

#include <exception>
#include <memory>
#include <optional>
#include <string>

namespace httplib {
class Server;
}

namespace baton::adapters::webhook {

struct tls_files {
    std::string cert;  // absolute path: PEM certificate, then any intermediate certificates
    std::string key;   // absolute path: PEM private key (not encrypted)
};

// What is wrong with a pair: the config key at fault ("cert" or "key") and one line.
struct tls_problem {
    const char* key = "cert";
    std::string reason;
};

// Reads both files as the server will: nullopt when the certificate and the key load and belong
// together; otherwise the file at fault and why ("cannot open", "not a PEM certificate", "does
// not match the certificate", ...).
std::optional<tls_problem> check_tls_files(const tls_files& files);

// An httplib::SSLServer for `tls` (TLS 1.2 or later), or a plain httplib::Server for nullopt.
// nullptr with `error` set when the files cannot be loaded (changed since the config check).
// What an exception thrown by a request handler says, for the log and the 500 answer.
std::string what_of(std::exception_ptr ep);

std::unique_ptr<httplib::Server> make_http_server(const std::optional<tls_files>& tls,
                                                  std::string& error);

}  // namespace baton::adapters::webhook
