// The POSTs to one Alertmanager (alertmanager_client.h).
#include "alertmanager_client.h"

#include <httplib.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace baton::adapters::alerts {

namespace {

std::string excerpt(const std::string& body) {
    std::string s = body.substr(0, 300);
    for (char& c : s)
        if (c == '\n' || c == '\r') c = ' ';
    return body.size() > 300 ? s + "..." : s;
}

std::string describe(httplib::Error e) {
    switch (e) {
        case httplib::Error::Connection: return "cannot connect (refused or unreachable)";
        case httplib::Error::ConnectionTimeout: return "connect timed out";
        case httplib::Error::Read: return "no answer (read failed or timed out)";
        case httplib::Error::Write: return "sending the request failed";
        case httplib::Error::SSLConnection: return "TLS handshake failed";
        case httplib::Error::SSLServerVerification: return "TLS certificate not trusted";
        default: return "HTTP error: " + httplib::to_string(e);
    }
}

}  // namespace

std::string alerts_json(const std::vector<outgoing_alert>& alerts, std::size_t first,
                        std::size_t count) {
    nlohmann::json body = nlohmann::json::array();
    const std::size_t end = std::min(alerts.size(), first + std::min(count, alerts.size()));
    for (std::size_t i = first; i < end; ++i) {
        const outgoing_alert& a = alerts[i];
        nlohmann::json item{{"labels", a.content.labels},
                            {"annotations", a.content.annotations},
                            {"endsAt", rfc3339(a.ends_at_ms)}};
        if (a.content.starts_at_ms > 0) item["startsAt"] = rfc3339(a.content.starts_at_ms);
        if (!a.content.generator_url.empty()) item["generatorURL"] = a.content.generator_url;
        body.push_back(std::move(item));
    }
    // Invalid UTF-8 (it cannot come from batond, which checks it) is replaced, not thrown.
    return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

alertmanager_client::alertmanager_client(const alertmanager_url& url,
                                         std::chrono::milliseconds timeout,
                                         std::optional<basic_auth> auth, std::string tls_ca)
    : url_(url), timeout_(timeout), auth_(std::move(auth)), tls_ca_(std::move(tls_ca)) {}

alertmanager_client::~alertmanager_client() = default;

post_result alertmanager_client::post(const std::vector<outgoing_alert>& alerts) {
    post_result overall{post_outcome::accepted, ""};
    for (std::size_t first = 0; first < alerts.size(); first += max_alerts_per_post) {
        post_result r = post_one(alerts_json(alerts, first, max_alerts_per_post));
        if (r.outcome == post_outcome::failed) return r;
        if (r.outcome == post_outcome::rejected) overall = r;
    }
    return overall;
}

post_result alertmanager_client::post_one(const std::string& body) {
    if (!client_) {
        client_ = std::make_unique<httplib::Client>(url_.scheme_host_port);
        client_->set_connection_timeout(timeout_);
        client_->set_read_timeout(timeout_);
        client_->set_write_timeout(timeout_);
        client_->set_keep_alive(true);
        if (auth_) client_->set_basic_auth(auth_->username, auth_->password);
        if (!tls_ca_.empty()) client_->set_ca_cert_path(tls_ca_);
    }
    post_result out;
    auto res = client_->Post(url_.path_prefix + "/api/v2/alerts", body, "application/json");
    if (!res) {
        out.detail = describe(res.error());
    } else if (res->status >= 200 && res->status < 300) {
        out.outcome = post_outcome::accepted;
        return out;
    } else {
        out.detail = "status " + std::to_string(res->status);
        if (!res->body.empty()) out.detail += ": " + excerpt(res->body);
        if (res->status == 400 || res->status == 422) out.outcome = post_outcome::rejected;
    }
    client_.reset();  // the next try starts from a fresh connection
    return out;
}

}  // namespace baton::adapters::alerts
