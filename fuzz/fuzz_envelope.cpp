// libFuzzer target: envelope decoding (inbound and relayed) and admit_event with the real
// schemas. Beyond "no crash": a refusal's reason is one line whose code is the refusal, and a
// decoded envelope encodes to bytes that decode to the same envelope.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "envelope.h"
#include "fuzz_check.h"
#include "ingest.h"
#include "schema.h"

namespace {

using baton::fuzz::require;

const baton::schema_set& schemas() {
    static const baton::schema_set set =
        baton::schema_set::load(baton::fuzz::source_dir() + "/schemas");
    return set;
}

void check_reason(std::string_view reason) {
    require(!reason.empty(), "a refusal has a reason");
    require(baton::fuzz::is_one_line(reason), "a refusal's reason is one line", reason);
    require(baton::refusal_of(reason) != baton::refusal::none,
            "a refusal's reason starts with its code", reason);
}

// What batond publishes must read back as what it was.
void check_round_trip(const baton::envelope& e, const baton::decode_limits& limits) {
    const std::string bytes = baton::encode_envelope(e);
    baton::envelope back;
    std::string reason;
    require(baton::decode_relayed(bytes, limits, back, reason),
            "an envelope that was decoded decodes again once encoded", reason);
    require(baton::encode_envelope(back) == bytes, "encode(decode(encode(e))) == encode(e)");
    require(back.id == e.id && back.source == e.source && back.topic == e.topic &&
                back.ts_ms == e.ts_ms && back.order == e.order && back.seq == e.seq &&
                back.cause == e.cause,
            "the round trip keeps every envelope key");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const baton::decode_limits limits;

    baton::envelope relayed;
    std::string reason;
    if (baton::decode_relayed(bytes, limits, relayed, reason)) {
        require(reason.empty(), "no reason when decoding succeeds", reason);
        check_round_trip(relayed, limits);
    } else {
        check_reason(reason);
    }

    // The envelope's own topic as the frame reaches the schema checks; a fixed one also tries
    // the frame/envelope mismatch.
    baton::ingest_rules rules;
    rules.schemas = &schemas();
    const std::string own_topic = relayed.topic;
    for (std::string_view frame :
         {std::string_view(own_topic), std::string_view("sales.order.placed")}) {
        baton::envelope in;
        std::string why;
        const baton::refusal r = baton::admit_event(rules, frame, bytes, in, why);
        if (r == baton::refusal::none) {
            require(why.empty(), "no reason when the event is admitted", why);
            require(in.topic == frame, "an admitted event's topic is its frame", in.topic);
            require(rules.schemas->find(in.topic) != nullptr, "an admitted topic is known");
            require(rules.schemas->validate(in.topic, in.data).empty(),
                    "an admitted event's data is valid");
            require(in.id.size() >= 1 && in.id.size() <= baton::max_name_bytes,
                    "an admitted event has an id of 1 to 64 bytes", in.id);
        } else {
            check_reason(why);
            require(baton::refusal_of(why) == r, "the reason's code is the refusal", why);
            require(in.id.size() <= baton::max_name_bytes, "a refusal's id is at most 64 bytes",
                    in.id);
        }
    }
    return 0;
}
