// The adapter's local outbox: every event is written here before it is sent and removed only
// when batond acked (or nacked) it, so an adapter that crashes between send and ack resends on
// restart with the same id. One SQLite file (WAL, synchronous=FULL).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

struct sqlite3;

namespace baton::adapters {

struct outbox_event {
    std::string id;  // the envelope's id
    std::string topic;
    std::string envelope;  // MessagePack bytes, exactly as they will be sent every time
    std::int64_t queued_ms = 0;
    std::int64_t seq = 0;  // position in the outbox, set by pending(); put() ignores it
};

class outbox {
public:
    // Opens or creates the file (and its folder). Throws std::runtime_error with the path.
    explicit outbox(const std::string& path);
    ~outbox();
    outbox(const outbox&) = delete;
    outbox& operator=(const outbox&) = delete;

    // Durable when it returns. Putting an id that is already pending keeps the first bytes.
    void put(const outbox_event& e);
    void put_all(const std::vector<outbox_event>& events);  // one transaction
    void remove(const std::string& id);
    void remove_all(const std::vector<std::string>& ids);  // one transaction
    // Oldest first, at most `limit`.
    std::vector<outbox_event> pending(std::size_t limit) const;
    // Oldest first, only those put after the event at `seq` (the outbox never reuses a seq).
    std::vector<outbox_event> pending_after(std::int64_t seq, std::size_t limit) const;
    std::size_t size() const;
    const std::string& path() const { return path_; }

private:
    void exec(const char* sql) const;
    [[noreturn]] void fail(const std::string& what) const;
    void insert(const outbox_event& e);
    void erase(const std::string& id);
    std::vector<outbox_event> select(std::int64_t after, std::size_t limit) const;

    std::string path_;
    sqlite3* db_ = nullptr;
};

}  // namespace baton::adapters
