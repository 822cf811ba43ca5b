// Who may post to baton-webhook (README.md "Authentication"): each calling system proves itself
// with a bearer token or an HMAC-SHA256 signature of the body with a timestamp, and publishes
// only as its own source(s). No I/O here; secrets are compared in constant time.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "endpoint.h"
#include "event_request.h"

namespace baton::adapters::webhook {

inline const char* const signature_header_name = "X-Baton-Signature";

enum class caller_scheme {
    bearer,  // Authorization: Bearer <token>
    hmac,    // X-Baton-Signature: t=<unix seconds>,v1=<hex hmac-sha256(secret, "<t>.<body>")>
};

// One calling system of the config's `auth.callers`.
struct caller {
    std::string name;  // for the log; not a secret
    caller_scheme scheme = caller_scheme::bearer;
    std::string secret;                // the token, or the HMAC key; never logged
    std::vector<std::string> sources;  // it may publish as these; the first is its default
};

struct auth_config {
    std::vector<caller> callers;                    // none: no authentication at all
    std::chrono::seconds timestamp_tolerance{300};  // HMAC: |now - t| may be at most this
};

// The headers a request presents to prove who sent it (absent headers stay empty).
struct credentials {
    std::optional<std::string> authorization;  // Authorization
    std::optional<std::string> signature;      // X-Baton-Signature
};

class caller_auth {
public:
    explicit caller_auth(auth_config config);

    bool enabled() const { return !config_.callers.empty(); }
    // The WWW-Authenticate challenge of a 401: the schemes the configured callers use.
    const std::string& challenge() const { return challenge_; }

    // Sets `who` to the caller that `presented` proves for `body` at `now_s` (unix seconds), or
    // returns a 401 rejection "auth: <reason>". With X-Baton-Signature the signature is checked
    // (also when an Authorization header comes along); otherwise the bearer token. A reason
    // never quotes the presented header: it may hold a secret that was sent to the wrong place.
    std::optional<event_rejection> authenticate(const credentials& presented, std::string_view body,
                                                std::int64_t now_s, const caller*& who) const;

private:
    std::optional<event_rejection> check_token(const std::string& header, const caller*& who) const;
    std::optional<event_rejection> check_signature(const std::string& header, std::string_view body,
                                                   std::int64_t now_s, const caller*& who) const;

    auth_config config_;
    std::vector<std::array<unsigned char, 32>> token_digests_;  // SHA-256 per caller (bearer)
    std::string challenge_;
};

// The source `who` publishes `request` as: its first source, or the X-Baton-Source header when
// `allow_header` is set and the header names one of its sources. Another source is a 403
// rejection "auth: caller '<name>' may not publish as '<source>' ...".
std::optional<event_rejection> choose_source(const caller& who, const event_request& request,
                                             bool allow_header, std::string& source);

// HMAC-SHA256 under `secret` of "<t>.<body>", as 64 lower-case hex digits: the v1= value.
std::string body_signature(std::string_view secret, std::int64_t t, std::string_view body);

// A whole X-Baton-Signature value, "t=<t>,v1=<body_signature>", as a caller computes it.
std::string signature_header_value(std::string_view secret, std::int64_t t, std::string_view body);

using baton::is_loopback_host;  // common/endpoint.h

}  // namespace baton::adapters::webhook
