// Checks the credentials of a webhook request against the configured callers, with OpenSSL for
// SHA-256, HMAC and the constant-time comparison (CRYPTO_memcmp). Every caller is compared, so
// the time taken does not tell which caller (or how much of a secret) nearly matched.
#include "caller_auth.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cctype>
#include <cstring>
#include <initializer_list>
#include <stdexcept>

namespace baton::adapters::webhook {

namespace {

using digest = std::array<unsigned char, 32>;

const unsigned char* bytes(std::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());
}

digest sha256(std::string_view data) {
    digest out{};
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 ||
        len != out.size())
        throw std::runtime_error("OpenSSL: SHA-256 failed");
    return out;
}

digest hmac_sha256(std::string_view key, std::initializer_list<std::string_view> parts) {
    digest out{};
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
    EVP_MAC_CTX* ctx = mac ? EVP_MAC_CTX_new(mac) : nullptr;
    char sha256_name[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, sha256_name, 0),
                           OSSL_PARAM_construct_end()};
    bool ok = ctx && EVP_MAC_init(ctx, bytes(key), key.size(), params) == 1;
    for (std::string_view part : parts)
        ok = ok && EVP_MAC_update(ctx, bytes(part), part.size()) == 1;
    std::size_t len = 0;
    ok = ok && EVP_MAC_final(ctx, out.data(), &len, out.size()) == 1 && len == out.size();
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    if (!ok) throw std::runtime_error("OpenSSL: HMAC-SHA256 failed");
    return out;
}

std::string to_hex(const digest& d) {
    static const char digits[] = "0123456789abcdef";
    std::string s;
    s.reserve(d.size() * 2);
    for (unsigned char b : d) {
        s.push_back(digits[b >> 4]);
        s.push_back(digits[b & 0x0F]);
    }
    return s;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool from_hex(std::string_view text, digest& out) {
    if (text.size() != out.size() * 2) return false;
    for (std::size_t i = 0; i < out.size(); ++i) {
        int hi = hex_digit(text[2 * i]);
        int lo = hex_digit(text[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = static_cast<unsigned char>(hi << 4 | lo);
    }
    return true;
}

bool same(const digest& a, const digest& b) {
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

event_rejection unauthorized(std::string reason) {
    return {401, "auth: " + std::move(reason), {}};
}

const char* const malformed_signature =
    "malformed X-Baton-Signature header (expected t=<unix seconds>,v1=<64 hex digits of "
    "HMAC-SHA256>)";

// "t=1795000000,v1=5257a8...": the timestamp and the v1 signatures (several during a secret
// rotation, as Stripe sends them). Other schemes are skipped, so a new one can be added.
bool parse_signature(std::string_view header, std::int64_t& t, std::vector<digest>& signatures) {
    bool have_t = false;
    std::size_t items = 0;
    while (!header.empty()) {
        if (++items > 8) return false;
        std::size_t comma = header.find(',');
        std::string_view item = trim(header.substr(0, comma));
        header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
        std::size_t eq = item.find('=');
        if (eq == std::string_view::npos) return false;
        std::string_view key = item.substr(0, eq);
        std::string_view text = item.substr(eq + 1);
        if (key == "t") {
            if (have_t || text.empty() || text.size() > 12) return false;
            t = 0;
            for (char c : text) {
                if (c < '0' || c > '9') return false;
                t = t * 10 + (c - '0');
            }
            have_t = true;
        } else if (key == "v1") {
            digest d{};
            if (!from_hex(text, d)) return false;
            signatures.push_back(d);
        }
    }
    return have_t && !signatures.empty();
}

}  // namespace

caller_auth::caller_auth(auth_config config) : config_(std::move(config)) {
    bool bearer = false;
    bool hmac = false;
    for (const caller& c : config_.callers) {
        token_digests_.push_back(c.scheme == caller_scheme::bearer ? sha256(c.secret) : digest{});
        (c.scheme == caller_scheme::bearer ? bearer : hmac) = true;
    }
    if (bearer) challenge_ = "Bearer realm=\"baton-webhook\"";
    if (hmac) challenge_ += std::string(bearer ? ", " : "") + "Baton-HMAC realm=\"baton-webhook\"";
}

std::optional<event_rejection> caller_auth::authenticate(const credentials& presented,
                                                         std::string_view body, std::int64_t now_s,
                                                         const caller*& who) const {
    who = nullptr;
    if (presented.signature) return check_signature(*presented.signature, body, now_s, who);
    if (presented.authorization) return check_token(*presented.authorization, who);
    return unauthorized(
        "missing credentials: send Authorization: Bearer <token>, or X-Baton-Signature: "
        "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">");
}

std::optional<event_rejection> caller_auth::check_token(const std::string& header,
                                                        const caller*& who) const {
    std::string_view h = trim(header);
    const std::size_t space = h.find(' ');
    std::string scheme(h.substr(0, space));
    for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view token =
        space == std::string_view::npos ? std::string_view() : trim(h.substr(space + 1));
    if (scheme != "bearer" || token.empty())
        return unauthorized("malformed Authorization header (expected 'Bearer <token>')");

    const digest presented = sha256(token);
    const caller* found = nullptr;
    for (std::size_t i = 0; i < config_.callers.size(); ++i) {
        const caller& c = config_.callers[i];
        bool match = same(presented, token_digests_[i]);  // every caller, no early exit
        if (match && c.scheme == caller_scheme::bearer) found = &c;
    }
    if (!found) return unauthorized("unknown token");
    who = found;
    return std::nullopt;
}

std::optional<event_rejection> caller_auth::check_signature(const std::string& header,
                                                            std::string_view body,
                                                            std::int64_t now_s,
                                                            const caller*& who) const {
    std::int64_t t = 0;
    std::vector<digest> signatures;
    if (!parse_signature(header, t, signatures)) return unauthorized(malformed_signature);

    const std::int64_t tolerance = config_.timestamp_tolerance.count();
    const std::int64_t age = now_s - t;
    if (age > tolerance)
        return unauthorized("stale timestamp: signed " + std::to_string(age) +
                            " s ago, more than the tolerance of " + std::to_string(tolerance) +
                            " s (a replayed request, or the caller's clock is off)");
    if (-age > tolerance)
        return unauthorized("timestamp " + std::to_string(-age) +
                            " s in the future, more than the tolerance of " +
                            std::to_string(tolerance) + " s (the caller's clock is off)");

    const std::string t_text = std::to_string(t);
    const caller* found = nullptr;
    for (const caller& c : config_.callers) {
        if (c.scheme != caller_scheme::hmac) continue;
        const digest expected = hmac_sha256(c.secret, {t_text, ".", body});
        for (const digest& s : signatures)
            if (same(expected, s)) found = &c;
    }
    if (!found)
        return unauthorized(
            "bad signature: no caller's secret signs this timestamp and body (sign the exact "
            "bytes sent, as HMAC-SHA256 of \"<t>.<body>\")");
    who = found;
    return std::nullopt;
}

std::optional<event_rejection> choose_source(const caller& who, const event_request& request,
                                             bool allow_header, std::string& source) {
    if (who.sources.empty())
        return event_rejection{
            403, "auth: caller '" + who.name + "' has no source to publish as", {}};
    source = who.sources.front();
    if (!allow_header || !request.source_header || request.source_header->empty())
        return std::nullopt;
    for (const std::string& s : who.sources)
        if (s == *request.source_header) {
            source = s;
            return std::nullopt;
        }
    std::string list;
    for (const std::string& s : who.sources) list += (list.empty() ? "" : ", ") + s;
    std::string named = request.source_header->substr(0, 64);
    for (char& c : named)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return event_rejection{403,
                           "auth: caller '" + who.name + "' may not publish as '" + named +
                               "' (its sources: " + list + ")",
                           {}};
}

std::string body_signature(std::string_view secret, std::int64_t t, std::string_view body) {
    return to_hex(hmac_sha256(secret, {std::to_string(t), ".", body}));
}

std::string signature_header_value(std::string_view secret, std::int64_t t, std::string_view body) {
    return "t=" + std::to_string(t) + ",v1=" + body_signature(secret, t, body);
}

}  // namespace baton::adapters::webhook
