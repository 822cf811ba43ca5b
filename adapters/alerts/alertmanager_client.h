// One Alertmanager as baton-alerts talks to it: POST <url>/api/v2/alerts with a JSON array of
// alerts, at most `max_alerts_per_post` per request, over a keep-alive connection that is
// dropped after a failure.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alert_book.h"
#include "alerts_config.h"

namespace httplib {
class Client;
}

namespace baton::adapters::alerts {

inline constexpr std::size_t max_alerts_per_post = 500;

// The body of one POST (Alertmanager API v2 "postableAlerts").
std::string alerts_json(const std::vector<outgoing_alert>& alerts, std::size_t first = 0,
                        std::size_t count = static_cast<std::size_t>(-1));

enum class post_outcome {
    accepted,  // 2xx for every request
    rejected,  // 400 or 422: Alertmanager refused alerts as bad; sending them again won't help
    failed,    // no answer, 5xx, any other 4xx (401, 404: a wrong config): try again later
};

struct post_result {
    post_outcome outcome = post_outcome::failed;
    std::string detail;  // "status 503: ...", "cannot connect ...": for the log
};

class alertmanager_client {
public:
    alertmanager_client(const alertmanager_url& url, std::chrono::milliseconds timeout,
                        std::optional<basic_auth> auth, std::string tls_ca);
    ~alertmanager_client();
    alertmanager_client(const alertmanager_client&) = delete;
    alertmanager_client& operator=(const alertmanager_client&) = delete;

    // Posts every alert, split into requests of max_alerts_per_post. Stops at the first
    // request that fails (the caller sends everything again later); a rejected request does
    // not stop the others.
    post_result post(const std::vector<outgoing_alert>& alerts);

private:
    post_result post_one(const std::string& body);

    alertmanager_url url_;
    std::chrono::milliseconds timeout_;
    std::optional<basic_auth> auth_;
    std::string tls_ca_;
    std::unique_ptr<httplib::Client> client_;
};

}  // namespace baton::adapters::alerts
