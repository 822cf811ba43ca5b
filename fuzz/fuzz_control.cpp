// libFuzzer target: a MessagePack control request through handle_control, against a context
// that answers with fixed values. Beyond "no crash": every reply is {ok: true, ...} or
// {ok: false, error}, and what reaches the context has passed the argument checks.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "codec.h"
#include "control.h"
#include "fuzz_check.h"

namespace {

using baton::fuzz::require;

bool is_one_of(const std::string& s, std::initializer_list<const char*> allowed) {
    for (const char* a : allowed)
        if (s == a) return true;
    return false;
}

// Fixed answers; each call checks the arguments handle_control promised to check. A call that
// answers with a refusal (an unknown order, a refused action) sets `refused`, so the
// reply check needs no list of which commands may be refused after asking.
class fixed_context : public baton::control_context {
public:
    int calls = 0;
    bool refused = false;

    baton::value status() override {
        ++calls;
        baton::value s;
        s.set("version", "0.1.0");
        s.set("relay_seq", 99ULL);
        return s;
    }
    std::optional<baton::value> order(const std::string& id) override {
        ++calls;
        require(!id.empty(), "order: the id is not empty");
        if (id != "SO-1001") {
            refused = true;
            return std::nullopt;
        }
        baton::value o;
        o.set("id", id);
        o.set("stage", "production");
        return o;
    }
    baton::value orders(const baton::orders_query& q) override {
        ++calls;
        require(q.limit > 0, "orders: the limit is positive");
        require(q.since_ms >= 0 && q.since_ms < q.until_ms, "orders: since is before until");
        return list_of("orders");
    }
    baton::value replay(std::uint64_t since, std::size_t limit) override {
        ++calls;
        require(since <= 9223372036854775807ULL, "replay: since fits a journal seq");
        require(limit > 0 && limit <= baton::max_replay, "replay: the limit is 1 to max_replay");
        return list_of("messages");
    }
    baton::value exceptions(const baton::exceptions_query& q) override {
        ++calls;
        const baton::exception_filter& f = q.filter;
        require(is_one_of(f.state, {"open", "acknowledged", "resolved", "all"}),
                "exceptions: the state is known", f.state);
        require(f.kind.empty() || baton::is_exception_kind(f.kind), "exceptions: the kind is known",
                f.kind);
        require(f.limit > 0, "exceptions: the limit is positive");
        require(q.severity.empty() ||
                    is_one_of(q.severity, {"warning", "low", "medium", "high", "critical"}),
                "exceptions: the severity is known", q.severity);
        require(q.since_ms >= 0 && q.since_ms < q.until_ms, "exceptions: since is before until");
        return list_of("exceptions");
    }
    baton::value tasks(const baton::task_filter& f) override {
        ++calls;
        require(is_one_of(f.state, {"open", "escalated", "done", "all"}),
                "tasks: the state is known", f.state);
        require(f.limit > 0, "tasks: the limit is positive");
        return list_of("tasks");
    }
    std::string act(baton::desk_action action, std::uint64_t id, const std::string& by,
                    const std::string& note, const std::string& to) override {
        require(to.size() <= 64, "act: 'to' is at most 64 bytes");
        ++calls;
        require(baton::find_control_command(baton::desk_action_name(action)) != nullptr,
                "act: the command is in the table", baton::desk_action_name(action));
        require(id > 0, "act: the id is positive");
        require(!by.empty() && by.size() <= 64, "act: 'by' is 1 to 64 bytes", by);
        require(note.size() <= 2000, "act: 'note' is at most 2000 bytes");
        if (id != 404) return "";
        refused = true;
        return "exception E-404 is not known";
    }
    baton::value kpi(const baton::kpi_query& q) override {
        ++calls;
        require(q.window.since_ms < q.window.until_ms, "kpi: since is before until");
        require(q.window.since_ms >= 0, "kpi: since is not negative");
        require(q.by.empty() || baton::is_kpi_grouping(q.by), "kpi: 'by' is known", q.by);
        require(q.every.empty() || baton::is_kpi_period(q.every), "kpi: 'every' is known", q.every);
        return list_of("stages");
    }
    std::optional<baton::value> customer(const std::string& id) override {
        ++calls;
        require(!id.empty(), "customer: the id is not empty");
        if (id != "C-1001") {
            refused = true;
            return std::nullopt;
        }
        baton::value c;
        c.set("id", id);
        return c;
    }
    baton::value customers(const baton::customers_query& q) override {
        ++calls;
        require(q.limit > 0, "customers: the limit is positive");
        require(q.tier.empty() || is_one_of(q.tier, {"key", "A", "B", "C"}),
                "customers: the tier is known", q.tier);
        return list_of("customers");
    }
    std::string reload() override {
        ++calls;
        return "";
    }

private:
    static baton::value list_of(const char* key) {
        baton::value r;
        r.set(key, baton::value(baton::value_list{}));
        return r;
    }
};

void check_reply(const baton::value& reply, const fixed_context& ctx) {
    require(reply.is_map() && !reply.as_map().empty(), "a reply is a map");
    const baton::member& first = reply.as_map().front();
    require(first.key == "ok" && first.val.is_bool(), "a reply starts with ok (bool)");
    if (first.val.as_bool()) {
        require(ctx.calls == 1, "a good request asks the context once");
        require(!ctx.refused, "a refusal by the context is not answered ok");
        return;
    }
    const baton::value* error = reply.find("error");
    require(error && error->is_string() && !error->as_string().empty(),
            "a refused request says why");
    // A refusal comes from the checks, before the context is asked, or from the context itself
    // (its one answer was a refusal), whatever the command.
    require(ctx.calls == 0 || (ctx.calls == 1 && ctx.refused),
            "a request refused by its checks does not reach the context", error->as_string());
}

// The dictionary (fuzz/dict/control.dict) is written by hand; every command of the table and
// every argument it takes must be in it, as a MessagePack fixstr, or the fuzzer finds them
// only by chance (it once took ~4 million runs to spell `reload`). Checked once per process.
void check_dictionary() {
    const std::string path = baton::fuzz::source_dir() + "/fuzz/dict/control.dict";
    std::ifstream in(path, std::ios::binary);
    require(static_cast<bool>(in), "the control dictionary is readable", path);
    std::ostringstream text;
    text << in.rdbuf();
    const std::string dict = text.str();
    // A word of up to 31 bytes is the fixstr marker 0xa0 + length, then the word: "\xa6reload".
    const auto require_word = [&](const std::string& word) {
        static const char hex[] = "0123456789abcdef";
        const unsigned marker = 0xa0u | static_cast<unsigned>(word.size() & 0x1f);
        const std::string entry =
            std::string("\"\\x") + hex[marker >> 4] + hex[marker & 0xf] + word + '"';
        require(word.size() < 32 && dict.find(entry) != std::string::npos,
                "fuzz/dict/control.dict has every command and argument of the table", word);
    };
    for (const auto& c : baton::control_commands()) {
        require_word(c.name);
        for (const char* a : c.arguments) require_word(a);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bool dictionary_checked = (check_dictionary(), true);
    (void)dictionary_checked;
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    baton::value request;
    std::string error;
    baton::value reply;
    fixed_context ctx;
    if (baton::decode_msgpack(bytes, baton::decode_limits{}, request, error))
        reply = baton::handle_control(request, ctx);
    else
        reply = baton::control_error(error);
    check_reply(reply, ctx);
    // The loop sends every reply: it must encode.
    const std::string encoded = baton::encode_msgpack(reply);
    require(!encoded.empty(), "a reply encodes");
    return 0;
}
