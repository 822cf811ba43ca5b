// Turns a whole file's bytes, in any encoding glibc's iconv knows (gb18030, big5, shift_jis,
// windows-125x, utf-16 with a byte-order mark, ...), into UTF-8 for the CSV reader. A byte that
// does not decode stops the file, named by its line and byte in the original file.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace baton::adapters::csv {

// How the config stores an encoding name: lower case ("GB18030" -> "gb18030").
std::string normalise_encoding(std::string_view name);

// "" when files in `encoding` can be decoded (iconv_open accepts it as a source), else the
// reason: "'gbk2' is not an encoding iconv knows (e.g. gb18030, gbk, big5, ...)".
std::string check_encoding(const std::string& encoding);

// UTF-8 files are not converted here: the CSV reader checks them row by row.
bool is_utf8_encoding(const std::string& encoding);

struct decode_failure {
    std::size_t line = 0;       // 1-based line of the original file
    std::size_t line_byte = 0;  // 1-based byte within that line
    std::size_t file_byte = 0;  // 1-based byte within the file
    std::string reason;  // "line 3, byte 17 (file byte 96): not valid gb18030: bytes 0x81 0x20"
};

// Converts `bytes` from `encoding` (checked with check_encoding) to UTF-8 in `out`. A UTF-16 or
// UTF-32 byte-order mark decides the byte order and is dropped (without one: little-endian, as
// Windows writes); windows-1252 never fails (the five unassigned bytes keep their C1 code
// points, as Windows does). False on an invalid or cut-off sequence, with `failure` set.
bool decode_to_utf8(std::string_view bytes, const std::string& encoding, std::string& out,
                    decode_failure& failure);

// Windows-1252 bytes (what many Windows programs write) as UTF-8.
std::string windows1252_to_utf8(std::string_view text);

}  // namespace baton::adapters::csv
