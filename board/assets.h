// The board's own CSS and JavaScript, built into the binary from board/static (embed.cmake).
#pragma once

#include <string_view>

namespace baton::board {

struct asset {
    std::string_view name;  // file name under /static/
    std::string_view body;
    std::string_view type;  // Content-Type
};

// nullptr when there is no such file.
const asset* find_asset(std::string_view name);

}  // namespace baton::board
