// The ZAP handler thread: answers libzmq's ZAP 1.0 requests from the access policy, and counts
// and logs (rate-limited) every handshake it refuses or that libzmq broke off before asking.
#include "zap.h"

#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <system_error>
#include <thread>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "log_limiter.h"

namespace baton {

namespace {

// ZMQ_ZAP_ENFORCE_DOMAIN is a DRAFT option in the libzmq 4.3 headers (hidden unless
// ZMQ_BUILD_DRAFT_API), yet the library implements it; its number is fixed by libzmq.
#ifdef ZMQ_ZAP_ENFORCE_DOMAIN
constexpr int zap_enforce_domain_option = ZMQ_ZAP_ENFORCE_DOMAIN;
#else
constexpr int zap_enforce_domain_option = 93;
#endif

// Handshake failures a socket monitor reports (stable since libzmq 4.3).
constexpr int handshake_failure_events =
    ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL;

// The monotonic clock in ms, for the rate limit of the refusal log.
std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::string key_prefix(const std::string& key_bytes) {
    if (key_bytes.size() != curve_key_bytes) return "(no key)";
    return z85_key_text(key_bytes).substr(0, 8) + "...";
}

std::atomic<std::uint64_t> monitor_serial{0};

// What a handshake failure most likely means, for the person reading the log.
std::string failure_text(std::uint16_t event, std::uint32_t detail) {
    if (event != ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) return "no detail";
    switch (detail) {
        case ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH: return "the client does not use CURVE";
        case ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC:
            return "cryptographic error (the client has the wrong server public key?)";
        default: return fmt::format("ZMTP protocol error 0x{:x}", detail);
    }
}  // unique monitor endpoints within a process

}  // namespace

struct zap_handler::impl {
    impl(zap_handler& owner, zmq::context_t& context, std::shared_ptr<const access_policy> p)
        : self(owner), policy(std::move(p)), zap(context, zmq::socket_type::rep) {
        zap.set(zmq::sockopt::linger, 0);
        zap.bind(zap_endpoint);
        wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (wake_fd < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
    }

    ~impl() {
        if (wake_fd >= 0) ::close(wake_fd);
    }

    void watch(zmq::context_t& context, const std::string& name, zmq::socket_t& server) {
        const std::string endpoint = "inproc://baton.zap.monitor." + std::to_string(::getpid()) +
                                     "." + std::to_string(++monitor_serial);
        if (zmq_socket_monitor(server.handle(), endpoint.c_str(), handshake_failure_events) != 0)
            throw zmq::error_t();
        zmq::socket_t pair(context, zmq::socket_type::pair);
        pair.set(zmq::sockopt::linger, 0);
        pair.connect(endpoint);
        monitors.push_back(std::move(pair));
        monitor_names.push_back(name);
        watched.push_back(&server);
    }

    void run() {
        std::vector<zmq::pollitem_t> items;
        items.push_back({zap.handle(), 0, ZMQ_POLLIN, 0});
        items.push_back({nullptr, wake_fd, ZMQ_POLLIN, 0});
        for (auto& m : monitors) items.push_back({m.handle(), 0, ZMQ_POLLIN, 0});
        for (;;) {
            try {
                zmq::poll(items.data(), items.size(), std::chrono::milliseconds(-1));
            } catch (const zmq::error_t& e) {
                if (e.num() == EINTR) continue;
                if (e.num() == ETERM) return;
                spdlog::error("ZAP handler: {}", e.what());
                return;
            }
            if (items[1].revents & ZMQ_POLLIN) return;
            try {
                if (items[0].revents & ZMQ_POLLIN) answer();
                for (std::size_t i = 0; i < monitors.size(); ++i)
                    if (items[2 + i].revents & ZMQ_POLLIN) read_monitor(i);
            } catch (const zmq::error_t& e) {
                if (e.num() == ETERM) return;
                spdlog::error("ZAP handler: {}", e.what());
            }
        }
    }

    // One ZAP request: [version, request id, domain, address, identity, mechanism,
    // credentials...]; the reply: [version, request id, status, text, user id, metadata].
    void answer() {
        std::vector<zmq::message_t> frames;
        if (!zmq::recv_multipart(zap, std::back_inserter(frames), zmq::recv_flags::dontwait))
            return;
        auto frame = [&](std::size_t i) {
            return i < frames.size() ? frames[i].to_string() : std::string();
        };
        const std::shared_ptr<const access_policy> judge = current_policy();
        const std::string request_id = frame(1);
        const std::string address = frame(3);
        const std::string key = frames.size() >= 7 ? frame(6) : std::string();
        std::string status = "200", text = "OK", user;
        if (frames.size() < 6 || frame(0) != "1.0") {
            status = "500";
            text = "malformed ZAP request";
        } else if (frame(2) != zap_domain) {
            status = "400";
            text = "unknown ZAP domain '" + frame(2) + "'";
        } else if (frame(5) != "CURVE") {
            status = "400";
            text = "mechanism " + frame(5) + " refused: batond requires CURVE";
        } else if (frames.size() != 7 || key.size() != curve_key_bytes) {
            status = "400";
            text = "malformed CURVE credentials";
        } else if (const client_acl* client = judge->find_key(key)) {
            user = client->name;
        } else {
            status = "400";
            text = "unknown key";
        }
        std::array<zmq::const_buffer, 6> reply = {zmq::str_buffer("1.0"),
                                                  zmq::buffer(request_id.data(), request_id.size()),
                                                  zmq::buffer(status.data(), status.size()),
                                                  zmq::buffer(text.data(), text.size()),
                                                  zmq::buffer(user.data(), user.size()),
                                                  zmq::const_buffer()};
        (void)zmq::send_multipart(zap, reply);
        if (status == "200") {
            ++self.accepted_;
            spdlog::debug("CURVE client '{}' connected from {}", user, address);
            return;
        }
        ++self.refused_;
        std::uint64_t suppressed = 0;
        if (refusal_log.allow(steady_ms(), suppressed))
            spdlog::warn("refused a handshake from {} with key {}: {}{}",
                         address.empty() ? "(unknown address)" : address, key_prefix(key), text,
                         log_limiter::more(suppressed));
    }

    // A monitor event: [uint16 event + uint32 value, endpoint].
    void read_monitor(std::size_t i) {
        std::vector<zmq::message_t> frames;
        if (!zmq::recv_multipart(monitors[i], std::back_inserter(frames),
                                 zmq::recv_flags::dontwait))
            return;
        if (frames.size() != 2 || frames[0].size() < 6) return;
        std::uint16_t event = 0;
        std::uint32_t detail = 0;
        std::memcpy(&event, frames[0].data(), sizeof event);
        std::memcpy(&detail, static_cast<const char*>(frames[0].data()) + 2, sizeof detail);
        if (!(event & handshake_failure_events)) return;
        ++self.failed_;
        std::uint64_t suppressed = 0;
        if (refusal_log.allow(steady_ms(), suppressed))
            spdlog::warn("refused a handshake on {} ({}): {}{}", monitor_names[i],
                         frames[1].to_string(), failure_text(event, detail),
                         log_limiter::more(suppressed));
    }

    std::shared_ptr<const access_policy> current_policy() {
        std::lock_guard<std::mutex> lock(policy_mutex);
        return policy;
    }

    zap_handler& self;
    std::mutex policy_mutex;
    std::shared_ptr<const access_policy> policy;  // under policy_mutex
    zmq::socket_t zap;
    std::vector<zmq::socket_t> monitors;
    std::vector<std::string> monitor_names;
    std::vector<zmq::socket_t*> watched;  // owned by the caller, who destroys us first
    int wake_fd = -1;
    log_limiter refusal_log{10};
    std::thread thread;
};

zap_handler::zap_handler(zmq::context_t& context, std::shared_ptr<const access_policy> policy,
                         const std::vector<std::pair<std::string, zmq::socket_t*>>& watched)
    : impl_(std::make_unique<impl>(*this, context, std::move(policy))) {
    for (const auto& [name, socket] : watched) impl_->watch(context, name, *socket);
    // The sockets move to the thread here; thread creation orders the memory as libzmq asks.
    impl_->thread = std::thread([this] { impl_->run(); });
}

zap_handler::~zap_handler() {
    std::uint64_t one = 1;
    [[maybe_unused]] auto r = ::write(impl_->wake_fd, &one, sizeof one);
    impl_->thread.join();
    // A monitor whose reader is gone could hold up the socket's I/O thread: stop them first.
    for (zmq::socket_t* s : impl_->watched) zmq_socket_monitor(s->handle(), nullptr, 0);
    // inproc unbind is immediate, unlike close: a restarted loop may bind again at once.
    try {
        impl_->zap.unbind(zap_endpoint);
    } catch (const zmq::error_t&) {
    }
}

void zap_handler::set_policy(std::shared_ptr<const access_policy> policy) {
    std::lock_guard<std::mutex> lock(impl_->policy_mutex);
    impl_->policy = std::move(policy);
}

void apply_curve_server(zmq::socket_t& socket, const security_config& security) {
    socket.set(zmq::sockopt::curve_server, true);
    socket.set(zmq::sockopt::curve_secretkey, security.server_secret_key);
    socket.set(zmq::sockopt::zap_domain, zap_domain);
    const int on = 1;
    if (zmq_setsockopt(socket.handle(), zap_enforce_domain_option, &on, sizeof on) != 0)
        throw zmq::error_t();  // an older libzmq: refuse to run with an unenforced domain
}

}  // namespace baton
