// The pool of control clients (batond_link.h).
#include "batond_link.h"

#include "control_client.h"

namespace baton::board {

batond_link::batond_link(zmq::context_t& context, std::string endpoint,
                         std::optional<curve_client_keys> curve, std::chrono::milliseconds timeout,
                         std::size_t clients)
    : endpoint_(std::move(endpoint)), timeout_(timeout) {
    for (std::size_t i = 0; i < clients; ++i) {
        if (curve)
            idle_.push_back(std::make_unique<adapters::control_client>(context, endpoint_, *curve));
        else
            idle_.push_back(std::make_unique<adapters::control_client>(context, endpoint_));
    }
}

batond_link::~batond_link() = default;

batond_reply batond_link::call(const value& req) {
    std::unique_ptr<adapters::control_client> client;
    {
        std::unique_lock<std::mutex> lock(mutex_);
        free_.wait(lock, [&] { return !idle_.empty(); });
        client = std::move(idle_.back());
        idle_.pop_back();
    }
    batond_reply r;
    std::string error;
    auto reply = client->call(req, timeout_, &error);
    {
        std::lock_guard<std::mutex> lock(mutex_);
        idle_.push_back(std::move(client));
    }
    free_.notify_one();
    if (!reply) {
        r.error = error.empty() ? "no reply from " + endpoint_ : error;
        return r;
    }
    r.reached = true;
    const value* ok = reply->find("ok");
    r.ok = ok && ok->is_bool() && ok->as_bool();
    if (const value* e = reply->find("error"); e && e->is_string()) r.error = e->as_string();
    r.body = std::move(*reply);
    return r;
}

value request(const char* cmd) {
    value v;
    v.set("cmd", cmd);
    return v;
}

}  // namespace baton::board
