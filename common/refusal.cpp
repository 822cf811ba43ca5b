// Names of the refusal codes.
#include "refusal.h"

namespace baton {

const char* refusal_name(refusal r) {
    switch (r) {
        case refusal::none: return "none";
        case refusal::decode: return "decode";
        case refusal::envelope: return "envelope";
        case refusal::schema: return "schema";
        case refusal::topic: return "topic";
        case refusal::forbidden: return "forbidden";
        case refusal::limit: return "limit";
    }
    return "none";
}

refusal refusal_of(std::string_view reason) {
    auto colon = reason.find(':');
    if (colon == std::string_view::npos) return refusal::none;
    auto code = reason.substr(0, colon);
    for (auto r : {refusal::decode, refusal::envelope, refusal::schema, refusal::topic,
                   refusal::forbidden, refusal::limit})
        if (code == refusal_name(r)) return r;
    return refusal::none;
}

}  // namespace baton
