// Exactly-once, in-order delivery over an at-most-once PUB/SUB: the relay seq is global, so the
// SUB takes every topic and filters here, any jump in seq is filled from the control socket's
// `replay`, and the last processed seq is saved (write, fsync, rename) after each delivery.
#include "relay_follower.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "codec.h"
#include "control_client.h"

namespace baton::adapters {

namespace {

using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::uint64_t replay_batch = 1000;          // messages asked for per `replay`
constexpr milliseconds control_timeout{3000};         // one `replay` round trip
constexpr std::chrono::seconds quiet_check{2};        // silent this long: ask for missed tails
constexpr std::size_t max_messages_per_poll = 10000;  // then return to the caller

// batond is trusted: its envelopes may be as large as it made them.
decode_limits trusted_limits() {
    decode_limits l;
    l.max_array = 1 << 20;
    l.max_map = 1 << 16;
    l.max_string = 1 << 24;
    l.max_depth = 32;
    return l;
}

bool log_allowed(steady::time_point& last) {
    auto now = steady::now();
    if (last != steady::time_point() && now - last < std::chrono::seconds(1)) return false;
    last = now;
    return true;
}

bool wanted(const std::vector<std::string>& prefixes, const std::string& topic) {
    if (prefixes.empty()) return true;
    for (const auto& p : prefixes)
        if (topic.compare(0, p.size(), p) == 0) return true;
    return false;
}

std::uint64_t load_state(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return 0;
    std::ifstream in(path);
    if (!in) throw std::runtime_error("relay follower state " + path + ": cannot read it");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    std::uint64_t seq = 0;
    auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), seq);
    if (text.empty() || err != std::errc() || end != text.data() + text.size())
        throw std::runtime_error("relay follower state " + path +
                                 ": expected the last processed relay seq, got '" +
                                 text.substr(0, 40) + "'");
    return seq;
}

[[noreturn]] void state_error(const std::string& path, const std::string& what) {
    throw std::runtime_error("relay follower state " + path + ": " + what + ": " +
                             std::strerror(errno));
}

}  // namespace

relay_follower::relay_follower(zmq::context_t& context, follower_options options)
    : options_(std::move(options)) {
    if (options_.state_path.empty())
        throw std::invalid_argument("relay_follower: state_path is required");
    std::filesystem::path parent = std::filesystem::path(options_.state_path).parent_path();
    if (!parent.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(parent, ec);
        if (ec)
            throw std::runtime_error("relay follower state " + options_.state_path +
                                     ": cannot create its folder: " + ec.message());
    }
    last_seq_ = load_state(options_.state_path);
    // Subscribe first (PROTOCOL.md "relay"), replay on the first poll.
    sub_ = std::make_unique<zmq::socket_t>(context, zmq::socket_type::sub);
    sub_->set(zmq::sockopt::linger, 0);
    sub_->set(zmq::sockopt::rcvhwm, 100000);
    sub_->set(zmq::sockopt::subscribe, "");
    if (options_.curve) apply_curve_client(*sub_, *options_.curve);
    sub_->connect(options_.relay);
    control_ = options_.curve
                   ? std::make_unique<control_client>(context, options_.control, *options_.curve)
                   : std::make_unique<control_client>(context, options_.control);
}

relay_follower::~relay_follower() {
    if (!dirty_) return;
    try {
        save();
    } catch (const std::exception& e) {
        // Only filtered messages are unsaved: a restart looks at them again, harmlessly.
        spdlog::warn("{}", e.what());
    }
}

void relay_follower::save() {
    const std::string& path = options_.state_path;
    const std::string tmp = path + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) state_error(path, "cannot create " + tmp);
    const std::string text = std::to_string(last_seq_) + "\n";
    std::size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int saved = errno;
            ::close(fd);
            errno = saved;
            state_error(path, "cannot write " + tmp);
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) {
        int saved = errno;
        ::close(fd);
        errno = saved;
        state_error(path, "cannot fsync " + tmp);
    }
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0) state_error(path, "cannot rename " + tmp);
    // The rename itself is durable only once its folder is.
    std::string folder = std::filesystem::path(path).parent_path().string();
    int dir = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        (void)::fsync(dir);
        ::close(dir);
    }
    dirty_ = false;
}

bool relay_follower::deliver(const relayed_message& m,
                             const std::function<bool(const relayed_message&)>& h) {
    if (m.seq <= last_seq_) return true;  // a duplicate (replay and SUB overlap)
    if (!wanted(options_.topics, m.topic)) {
        last_seq_ = m.seq;
        dirty_ = true;  // saved at the end of the poll: seeing it again after a crash is harmless
        return true;
    }
    // Until the handler returns true the message is not processed: if it refuses (or throws),
    // the next poll replays from here.
    const bool was_caught_up = caught_up_;
    caught_up_ = false;
    if (!h(m)) return false;
    caught_up_ = was_caught_up;
    last_seq_ = m.seq;
    if (batching_)
        dirty_ = true;  // poll_batch saves once the whole batch is handled
    else
        save();
    return true;
}

bool relay_follower::catch_up(const std::function<bool(const relayed_message&)>& handle) {
    static steady::time_point last_log;
    for (;;) {
        value request;
        request.set("cmd", "replay");
        request.set("since", static_cast<unsigned long long>(last_seq_));
        request.set("limit", static_cast<unsigned long long>(replay_batch));
        std::string error;
        auto reply = control_->call(request, control_timeout, &error);
        last_heard_ = steady::now();
        if (!reply) {
            if (log_allowed(last_log))
                spdlog::warn("relay follower: replay since {} failed: {}", last_seq_, error);
            return false;
        }
        const value* ok = reply->find("ok");
        const value* messages = reply->find("messages");
        if (!ok || !ok->is_bool() || !ok->as_bool() || !messages || !messages->is_list()) {
            const value* e = reply->find("error");
            if (log_allowed(last_log))
                spdlog::warn("relay follower: replay since {} refused: {}", last_seq_,
                             e && e->is_string() ? e->as_string() : "malformed reply");
            return false;
        }
        for (const value& item : messages->as_list()) {
            relayed_message m;
            const value* seq = item.find("seq");
            const value* topic = item.find("topic");
            const value* env = item.find("envelope");
            if (!seq || !seq->to_uint64(m.seq) || !topic || !topic->is_string() || !env) {
                if (log_allowed(last_log))
                    spdlog::error("relay follower: malformed replay entry after seq {}", last_seq_);
                return false;
            }
            if (m.seq <= last_seq_) continue;
            if (m.seq != last_seq_ + 1)
                spdlog::warn("relay follower: batond no longer holds relay seq {}..{}; skipped",
                             last_seq_ + 1, m.seq - 1);
            m.topic = topic->as_string();
            std::string reason;
            if (!decode_relayed(encode_msgpack(*env), trusted_limits(), m.env, reason)) {
                // Replaying it again would give the same bytes: step over it, loudly.
                spdlog::error("relay follower: relay seq {} ({}) unreadable, skipped: {}", m.seq,
                              m.topic, reason);
                last_seq_ = m.seq;
                dirty_ = true;
                continue;
            }
            if (!deliver(m, handle)) return false;
            if (!first_catch_up_) ++gaps_filled_;
        }
        std::uint64_t head = 0;
        const value* relay_seq = reply->find("relay_seq");
        bool has_head = relay_seq && relay_seq->to_uint64(head);
        if (messages->as_list().empty() ||
            (has_head ? last_seq_ >= head : messages->as_list().size() < replay_batch))
            break;
    }
    caught_up_ = true;
    first_catch_up_ = false;
    if (dirty_ && !batching_) save();
    return true;
}

bool relay_follower::on_live(const relayed_message& m,
                             const std::function<bool(const relayed_message&)>& h) {
    if (m.seq <= last_seq_) return true;
    if (m.seq != last_seq_ + 1) {
        spdlog::debug("relay follower: got seq {} after {}; replaying the gap", m.seq, last_seq_);
        if (!catch_up(h)) {
            caught_up_ = false;
            return false;
        }
        if (m.seq <= last_seq_) return true;
        // batond publishes only what it committed, so replay should have covered it.
        spdlog::warn("relay follower: replay stopped at seq {} before the live seq {}", last_seq_,
                     m.seq);
    }
    return deliver(m, h);
}

void relay_follower::poll(milliseconds wait,
                          const std::function<bool(const relayed_message&)>& handle) {
    poll_once(wait, handle);
    if (dirty_) save();
}

void relay_follower::poll_batch(
    milliseconds wait, std::size_t max,
    const std::function<bool(const std::vector<relayed_message>&)>& handle_batch) {
    const std::uint64_t before = last_seq_;
    std::vector<relayed_message> batch;
    batching_ = true;
    // Refusing the message past `max` leaves it unprocessed: the next call replays from it.
    poll_once(wait, [&](const relayed_message& m) {
        if (batch.size() >= max) return false;
        batch.push_back(m);
        return true;
    });
    batching_ = false;
    bool handled = true;
    if (!batch.empty()) {
        try {
            handled = handle_batch(batch);
        } catch (...) {
            last_seq_ = before;
            caught_up_ = false;
            dirty_ = false;
            throw;
        }
    }
    if (!handled) {
        // Back to where the batch began; batond's replay hands the same messages over again.
        last_seq_ = before;
        caught_up_ = false;
        dirty_ = false;
        return;
    }
    if (dirty_) save();
}

void relay_follower::poll_once(milliseconds wait,
                               const std::function<bool(const relayed_message&)>& handle) {
    static steady::time_point last_log;
    try {
        if (!caught_up_ && !catch_up(handle)) return;
        zmq::pollitem_t item{sub_->handle(), 0, ZMQ_POLLIN, 0};
        zmq::poll(&item, 1, wait);
        if (!(item.revents & ZMQ_POLLIN)) {
            // Nothing on the SUB: a message lost at the tail of a burst (slow joiner, full
            // queue) shows no gap until the next one, so ask now and then.
            if (steady::now() - last_heard_ >= quiet_check) catch_up(handle);
        } else {
            last_heard_ = steady::now();
            for (std::size_t n = 0; n < max_messages_per_poll; ++n) {
                std::vector<zmq::message_t> frames;
                if (!zmq::recv_multipart(*sub_, std::back_inserter(frames),
                                         zmq::recv_flags::dontwait))
                    break;
                relayed_message m;
                std::string reason;
                if (frames.size() != 2 ||
                    !decode_relayed(frames[1].to_string_view(), trusted_limits(), m.env, reason) ||
                    !m.env.seq) {
                    // Its seq will show up as a gap, filled from replay.
                    if (log_allowed(last_log))
                        spdlog::warn("relay follower: unreadable relay message skipped: {}",
                                     reason.empty() ? "no seq or wrong frame count" : reason);
                    continue;
                }
                m.seq = *m.env.seq;
                m.topic = frames[0].to_string();
                if (!on_live(m, handle)) break;
            }
        }
    } catch (const zmq::error_t& e) {
        if (log_allowed(last_log)) spdlog::warn("relay follower: {}", e.what());
    }
}

}  // namespace baton::adapters
