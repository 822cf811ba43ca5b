// msgpack-cxx on the boundary: unpack with limits, convert to value, pack values back.
#include "codec.h"

#include <msgpack.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "utf8.h"

namespace baton {

namespace {

struct string_buffer {
    std::string& out;
    void write(const char* data, std::size_t size) {
        if (size == 1)
            out.push_back(*data);  // a header byte: inline, where append is a call
        else
            out.append(data, size);
    }
};

bool reference_everything(msgpack::type::object_type, std::size_t, void*) {
    return true;
}

bool convert(const msgpack::object& o, value& out, std::string& error) {
    switch (o.type) {
        case msgpack::type::NIL: out = value(); return true;
        case msgpack::type::BOOLEAN: out = value(o.via.boolean); return true;
        case msgpack::type::POSITIVE_INTEGER:
            out = value(static_cast<unsigned long long>(o.via.u64));
            return true;
        case msgpack::type::NEGATIVE_INTEGER:
            out = value(static_cast<long long>(o.via.i64));
            return true;
        case msgpack::type::FLOAT32:
        case msgpack::type::FLOAT64: out = value(o.via.f64); return true;
        case msgpack::type::STR: {
            std::string_view s(o.via.str.ptr, o.via.str.size);
            if (!is_utf8(s)) {
                error = "decode: string is not valid UTF-8";
                return false;
            }
            out.v.emplace<std::string>(s);
            return true;
        }
        case msgpack::type::ARRAY: {
            value_list list;
            list.resize(o.via.array.size);
            for (std::uint32_t i = 0; i < o.via.array.size; ++i)
                if (!convert(o.via.array.ptr[i], list[i], error)) return false;
            out = value(std::move(list));
            return true;
        }
        case msgpack::type::MAP: {
            value_map map;
            map.resize(o.via.map.size);
            for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
                const auto& kv = o.via.map.ptr[i];
                if (kv.key.type != msgpack::type::STR) {
                    error = "decode: map keys must be strings";
                    return false;
                }
                std::string_view key(kv.key.via.str.ptr, kv.key.via.str.size);
                if (!is_utf8(key)) {
                    error = "decode: map key is not valid UTF-8";
                    return false;
                }
                for (std::uint32_t j = 0; j < i; ++j)
                    if (map[j].key == key) {
                        error = "decode: duplicate map key '" + reason_text(key) + "'";
                        return false;
                    }
                map[i].key.assign(key);
                if (!convert(kv.val, map[i].val, error)) return false;
            }
            out = value(std::move(map));
            return true;
        }
        case msgpack::type::BIN: error = "decode: bin values are not accepted"; return false;
        case msgpack::type::EXT: error = "decode: ext values are not accepted"; return false;
    }
    error = "decode: unknown MessagePack type";
    return false;
}

// msgpack-cxx's pack_double writes a double with an integral value as an int (1.0 -> 1, and
// -0.0 -> 0), so a value would change type on the wire; float64 is written here instead.
void pack_float64(string_buffer& out, double d) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &d, sizeof bits);
    char buf[9];
    buf[0] = static_cast<char>(0xcb);
    for (int i = 0; i < 8; ++i) buf[1 + i] = static_cast<char>((bits >> (56 - 8 * i)) & 0xff);
    out.write(buf, sizeof buf);
}

template <typename Packer>
void pack_value(Packer& pk, string_buffer& raw, const value& v) {
    switch (v.v.index()) {
        case 0: pk.pack_nil(); break;
        case 1: v.as_bool() ? pk.pack_true() : pk.pack_false(); break;
        case 2: pk.pack_int64(std::get<std::int64_t>(v.v)); break;
        case 3: pk.pack_uint64(std::get<std::uint64_t>(v.v)); break;
        case 4: pack_float64(raw, std::get<double>(v.v)); break;
        case 5: {
            const auto& s = v.as_string();
            pk.pack_str(static_cast<std::uint32_t>(s.size()));
            pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
            break;
        }
        case 6: {
            const auto& l = v.as_list();
            pk.pack_array(static_cast<std::uint32_t>(l.size()));
            for (const auto& e : l) pack_value(pk, raw, e);
            break;
        }
        case 7: {
            const auto& m = v.as_map();
            pk.pack_map(static_cast<std::uint32_t>(m.size()));
            for (const auto& e : m) {
                pk.pack_str(static_cast<std::uint32_t>(e.key.size()));
                pk.pack_str_body(e.key.data(), static_cast<std::uint32_t>(e.key.size()));
                pack_value(pk, raw, e.val);
            }
            break;
        }
    }
}

}  // namespace

bool decode_msgpack(std::string_view bytes, const decode_limits& limits, value& out,
                    std::string& error, refusal& code) {
    code = refusal::decode;
    if (bytes.empty()) {
        error = "decode: empty frame";
        return false;
    }
    msgpack::unpack_limit limit(limits.max_array, limits.max_map, limits.max_string,
                                limits.max_string, 0, limits.max_depth);
    std::size_t offset = 0;
    // One zone per thread, kept between messages: no chunk allocated per message. Strings and
    // keys refer to `bytes` rather than being copied into it: convert() copies what it keeps
    // before this returns.
    thread_local msgpack::zone zone;
    zone.clear();
    msgpack::object root;
    try {
        root = msgpack::unpack(zone, bytes.data(), bytes.size(), offset, reference_everything,
                               nullptr, limit);
    } catch (const msgpack::array_size_overflow&) {
        code = refusal::limit;
        error = "limit: array longer than " + std::to_string(limits.max_array) + " elements";
        return false;
    } catch (const msgpack::map_size_overflow&) {
        code = refusal::limit;
        error = "limit: map larger than " + std::to_string(limits.max_map) + " pairs";
        return false;
    } catch (const msgpack::str_size_overflow&) {
        code = refusal::limit;
        error = "limit: string longer than " + std::to_string(limits.max_string) + " bytes";
        return false;
    } catch (const msgpack::bin_size_overflow&) {
        code = refusal::limit;
        error = "limit: bin longer than " + std::to_string(limits.max_string) + " bytes";
        return false;
    } catch (const msgpack::ext_size_overflow&) {
        error = "decode: ext values are not accepted";
        return false;
    } catch (const msgpack::depth_size_overflow&) {
        code = refusal::limit;
        error = "limit: nesting deeper than " + std::to_string(limits.max_depth) + " levels";
        return false;
    } catch (const msgpack::insufficient_bytes&) {
        error = "decode: truncated MessagePack (" + std::to_string(bytes.size()) + " bytes)";
        return false;
    } catch (const std::exception& e) {
        error = "decode: not valid MessagePack (" + reason_text(e.what()) + ")";
        return false;
    }
    if (offset != bytes.size()) {
        error = "decode: " + std::to_string(bytes.size() - offset) +
                " trailing bytes after the MessagePack object";
        return false;
    }
    return convert(root, out, error);
}

bool decode_msgpack(std::string_view bytes, const decode_limits& limits, value& out,
                    std::string& error) {
    refusal code = refusal::none;
    return decode_msgpack(bytes, limits, out, error, code);
}

void encode_msgpack(const value& v, std::string& out) {
    string_buffer buffer{out};
    msgpack::packer<string_buffer> pk(buffer);
    pack_value(pk, buffer, v);
}

std::string encode_msgpack(const value& v) {
    std::string out;
    encode_msgpack(v, out);
    return out;
}

bool is_utf8(std::string_view s) {
    std::size_t i = 0;
    char32_t cp = 0;
    while (i < s.size()) {
        // Runs of ASCII, eight bytes at a time: most of what plants send.
        while (i + 8 <= s.size()) {
            std::uint64_t word = 0;
            std::memcpy(&word, s.data() + i, sizeof word);
            if (word & 0x8080808080808080ULL) break;
            i += 8;
        }
        while (i < s.size() && static_cast<unsigned char>(s[i]) < 0x80) ++i;
        if (i == s.size()) break;
        const std::size_t len = utf8_sequence(s, i, cp);
        if (len == 0) return false;
        i += len;
    }
    return true;
}

std::string reason_text(std::string_view s, std::size_t limit) {
    std::string out;
    out.reserve(std::min(s.size(), limit) + 3);
    std::size_t i = 0;
    while (i < s.size()) {
        char32_t cp = 0;
        const std::size_t len = utf8_sequence(s, i, cp);
        const std::size_t step = len == 0 ? 1 : len;
        if (i + step > limit) break;  // never cut a sequence
        if (len == 0 || is_control(cp))
            out += '?';
        else
            out.append(s.substr(i, len));
        i += step;
    }
    if (i < s.size()) out += "...";
    return out;
}

}  // namespace baton
