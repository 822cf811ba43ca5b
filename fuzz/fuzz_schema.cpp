// libFuzzer target: decode_msgpack, then schema_set::validate of every topic of the real schemas
// on the value (and on its `data`, for whole envelopes). Beyond "no crash": errors name a path
// under `data` in one short line, and a decoded value survives an encode/decode round trip.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "codec.h"
#include "fuzz_check.h"
#include "schema.h"

namespace {

using baton::fuzz::require;

struct loaded {
    baton::schema_set set;
    std::vector<std::string> topics;
};

const loaded& schemas() {
    static const loaded l = [] {
        loaded out{baton::schema_set::load(baton::fuzz::source_dir() + "/schemas"), {}};
        out.topics = out.set.topics();
        return out;
    }();
    return l;
}

// A path is at most 8 levels (decode_limits) of 64-byte keys; a quoted value is cut at 40 bytes.
constexpr std::size_t max_reason_bytes = 2048;

void validate_all(const baton::value& data) {
    for (const std::string& topic : schemas().topics) {
        const std::string error = schemas().set.validate(topic, data);
        if (error.empty()) {
            require(data.is_map(), "only a map is valid data", topic);
            continue;
        }
        require(error.compare(0, 4, "data") == 0, "a schema error starts with the path 'data'",
                error);
        require(baton::fuzz::is_one_line(error), "a schema error is one line", error);
        require(error.size() <= max_reason_bytes, "a schema error is short", error);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    baton::value v;
    std::string error;
    if (!baton::decode_msgpack(bytes, baton::decode_limits{}, v, error)) {
        require(error.compare(0, 7, "decode:") == 0 || error.compare(0, 6, "limit:") == 0,
                "a decode error starts with decode: or limit:", error);
        return 0;
    }
    require(error.empty(), "no error when decoding succeeds", error);
    // The codec: a decoded value encodes to bytes that decode to the same value.
    const std::string encoded = baton::encode_msgpack(v);
    baton::value back;
    require(baton::decode_msgpack(encoded, baton::decode_limits{}, back, error),
            "a decoded value decodes again once encoded", error);
    require(baton::encode_msgpack(back) == encoded, "encode(decode(encode(v))) == encode(v)");
    validate_all(v);
    if (const baton::value* inner = v.find("data")) validate_all(*inner);
    return 0;
}
