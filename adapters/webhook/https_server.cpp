// Loads a certificate chain and its private key into an OpenSSL context, with one precise line
// for whatever is wrong, and hands that context to cpp-httplib's SSLServer.
#include "https_server.h"

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace baton::adapters::webhook {

namespace {

// The first error OpenSSL queued (the cause; later ones only say where it surfaced).
std::string openssl_reason() {
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (e == 0) return "unknown error";
    if (const char* reason = ERR_reason_error_string(e)) return reason;
    char text[256];
    ERR_error_string_n(e, text, sizeof text);
    return text;
}

bool readable(const std::string& path, std::string& reason) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) {
        reason = path + ": cannot open: " + std::strerror(errno);
        return false;
    }
    std::fclose(f);
    return true;
}

// An encrypted key would make OpenSSL ask for its passphrase on the terminal: refuse instead.
int no_passphrase(char*, int, int, void*) {
    return -1;
}

bool load_pair(SSL_CTX& ctx, const tls_files& files, tls_problem& problem) {
    ERR_clear_error();
    problem.key = "cert";
    if (!readable(files.cert, problem.reason)) return false;
    if (SSL_CTX_use_certificate_chain_file(&ctx, files.cert.c_str()) != 1) {
        problem.reason = files.cert + ": not a PEM certificate (OpenSSL: " + openssl_reason() + ")";
        return false;
    }
    problem.key = "key";
    if (!readable(files.key, problem.reason)) return false;
    BIO* bio = BIO_new_file(files.key.c_str(), "r");
    EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio, nullptr, no_passphrase, nullptr) : nullptr;
    BIO_free(bio);
    if (!key) {
        problem.reason = files.key + ": not a PEM private key, or an encrypted one (OpenSSL: " +
                         openssl_reason() + ")";
        return false;
    }
    bool matches = SSL_CTX_use_PrivateKey(&ctx, key) == 1 && SSL_CTX_check_private_key(&ctx) == 1;
    EVP_PKEY_free(key);
    if (!matches) {
        ERR_clear_error();
        problem.reason = files.key + ": does not match the certificate " + files.cert;
        return false;
    }
    SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
    return true;
}

}  // namespace

std::optional<tls_problem> check_tls_files(const tls_files& files) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx)
        return tls_problem{"cert", "OpenSSL: cannot create a TLS context: " + openssl_reason()};
    tls_problem problem;
    bool ok = load_pair(*ctx, files, problem);
    SSL_CTX_free(ctx);
    if (ok) return std::nullopt;
    return problem;
}

// cpp-httplib sets SO_REUSEPORT by default: a second process on the same port would start and
// share the connections with the first. SO_REUSEADDR alone lets a restart bind at once while
// "address in use" still says so.
void reuse_address_only(httplib::Server& server) {
    server.set_socket_options([](socket_t sock) {
        int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
}

std::string what_of(std::exception_ptr ep) {
    try {
        if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
    }
    return "unknown error";
}

std::unique_ptr<httplib::Server> make_http_server(const std::optional<tls_files>& tls,
                                                  std::string& error) {
    if (!tls) {
        auto server = std::make_unique<httplib::Server>();
        reuse_address_only(*server);
        return server;
    }
    tls_problem problem{"cert", "OpenSSL: cannot create a TLS context"};
    auto server = std::make_unique<httplib::SSLServer>(
        [&](SSL_CTX& ctx) { return load_pair(ctx, *tls, problem); });
    if (!server->is_valid()) {
        error = std::string("tls.") + problem.key + ": " + problem.reason;
        return nullptr;
    }
    reuse_address_only(*server);
    return server;
}

}  // namespace baton::adapters::webhook
