// The refusal codes of the wire (docs/protocol.md, "nack codes"): every refused event gets a
// nack whose reason is one line starting with its code. Inside batond a refusal travels as
// {code, text} — the code is never read back from the text; refusal_of() is for clients, which
// get only the text off the wire.
#pragma once

#include <cstddef>
#include <string_view>

namespace baton {

enum class refusal { none, decode, envelope, schema, topic, forbidden, limit };
inline constexpr std::size_t refusal_count = 7;
const char* refusal_name(refusal r);  // "decode", ...
// The code of a nack reason as received ("schema: data.x: ..." -> schema); none when the text
// starts with no known code.
refusal refusal_of(std::string_view reason);

}  // namespace baton
