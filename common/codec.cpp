// msgpack-cxx on the boundary: parse with limits into a value tree, pack values back.
#include "codec.h"

#include <msgpack.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <variant>
#include <vector>

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

// Builds the value tree as msgpack-cxx's parser walks the bytes (its visitor interface): no
// msgpack::object tree in between, and no second walk. The limits are checked where the
// parser meets each claim, in the order msgpack-cxx's own object builder checks them. A
// refusal of what was parsed (bin, a key that is not a string or not UTF-8, a duplicate key, a
// string that is not UTF-8) is remembered and parsing goes on without building, so a frame
// that is also truncated or malformed is refused for that, as the parser reports it.
class tree_builder {
public:
    struct open_map {
        value_map* map;
        std::size_t next;  // the pair whose key comes next
    };
    // Reused between messages (one per thread), so a decode allocates only the tree.
    struct scratch {
        std::vector<value*> targets;
        std::vector<open_map> maps;
    };

    tree_builder(const decode_limits& limits, std::size_t frame_size, value& root, scratch& s)
        : limits_(limits), frame_size_(frame_size), targets_(s.targets), maps_(s.maps) {
        targets_.clear();
        maps_.clear();
        targets_.push_back(&root);
    }

    // Why parsing stopped (a limit), or what was refused after it went through.
    refusal stop_code = refusal::none;
    std::string stop_error;
    std::string refused;  // the first refusal of a parsed value: reported if parsing completes
    bool malformed = false;
    bool truncated = false;

    bool visit_nil() { return set(std::monostate{}); }
    bool visit_boolean(bool b) { return set(b); }
    bool visit_positive_integer(std::uint64_t u) { return set(u); }
    bool visit_negative_integer(std::int64_t i) {
        // int8..int64 may carry a non-negative number: it decodes as unsigned, as any other.
        if (i >= 0) return set(static_cast<std::uint64_t>(i));
        return set(i);
    }
    bool visit_float32(float f) { return set(static_cast<double>(f)); }
    bool visit_float64(double d) { return set(d); }
    bool visit_str(const char* data, std::uint32_t size) {
        if (size > limits_.max_string)
            return stop(refusal::limit, "limit: string longer than " +
                                            std::to_string(limits_.max_string) + " bytes");
        if (!building()) return true;
        const std::string_view s(data, size);
        if (in_key_) return key(s);
        if (!is_utf8(s)) return refuse("decode: string is not valid UTF-8");
        targets_.back()->v.emplace<std::string>(s);
        return true;
    }
    bool visit_bin(const char*, std::uint32_t size) {
        if (size > limits_.max_string)
            return stop(refusal::limit,
                        "limit: bin longer than " + std::to_string(limits_.max_string) + " bytes");
        return in_key_ ? refuse_key() : refuse("decode: bin values are not accepted");
    }
    bool visit_ext(const char*, std::uint32_t) {
        return stop(refusal::decode, "decode: ext values are not accepted");
    }
    bool start_array(std::uint32_t n) {
        if (n > limits_.max_array)
            return stop(refusal::limit, "limit: array longer than " +
                                            std::to_string(limits_.max_array) + " elements");
        if (!open_container()) return false;
        if (!building() || in_key_) return in_key_ ? refuse_key() : true;
        if (!claim(n)) return hold();
        auto& list = targets_.back()->v.emplace<value_list>(n);
        targets_.push_back(list.data());
        return true;
    }
    bool start_array_item() { return true; }
    bool end_array_item() {
        if (building()) ++targets_.back();
        return true;
    }
    bool end_array() { return close_container(); }
    bool start_map(std::uint32_t n) {
        if (n > limits_.max_map)
            return stop(refusal::limit,
                        "limit: map larger than " + std::to_string(limits_.max_map) + " pairs");
        if (!open_container()) return false;
        if (!building() || in_key_) return in_key_ ? refuse_key() : true;
        if (!claim(2 * static_cast<std::uint64_t>(n))) return hold();
        auto& map = targets_.back()->v.emplace<value_map>(n);
        maps_.push_back({&map, 0});
        targets_.push_back(nullptr);  // the slot of the pair's value, set by each key
        return true;
    }
    bool start_map_key() {
        in_key_ = true;
        return true;
    }
    bool end_map_key() {
        in_key_ = false;
        return true;
    }
    bool start_map_value() { return true; }
    bool end_map_value() {
        if (building()) ++maps_.back().next;
        return true;
    }
    bool end_map() { return close_container(true); }
    void parse_error(std::size_t, std::size_t) { malformed = true; }
    void insufficient_bytes(std::size_t, std::size_t) { truncated = true; }
    bool referenced() const { return false; }
    void set_referenced(bool) {}

private:
    bool building() const { return refused.empty() && !held_; }
    template <typename Scalar>
    bool set(Scalar x) {
        if (!building()) return true;
        if (in_key_) return refuse_key();
        targets_.back()->v.emplace<Scalar>(x);
        return true;
    }
    bool key(std::string_view k) {
        if (!is_utf8(k)) return refuse("decode: map key is not valid UTF-8");
        open_map& m = maps_.back();
        for (std::size_t j = 0; j < m.next; ++j)
            if ((*m.map)[j].key == k)
                return refuse("decode: duplicate map key '" + reason_text(k) + "'");
        member& pair = (*m.map)[m.next];
        pair.key.assign(k);
        targets_.back() = &pair.val;
        return true;
    }
    bool refuse_key() { return refuse("decode: map keys must be strings"); }
    bool refuse(std::string error) {
        if (refused.empty() && !held_) refused = std::move(error);
        return true;
    }
    // Every element of every container takes a byte of the frame at least (a map's pair two):
    // what all of them claim together must fit in the frame, or the parser will find it
    // truncated. Counted before anything is allocated for them, so a hostile frame's claims
    // cost at most a value per byte of the frame, at any depth.
    bool claim(std::uint64_t elements) {
        claimed_ += elements;
        return claimed_ <= frame_size_;
    }
    // A claim the frame cannot hold: parsing will fail, so building stops here.
    bool hold() {
        held_ = true;
        return true;
    }
    bool stop(refusal code, std::string error) {
        stop_code = code;
        stop_error = std::move(error);
        return false;
    }
    bool open_container() {
        if (depth_ >= limits_.max_depth)
            return stop(refusal::limit, "limit: nesting deeper than " +
                                            std::to_string(limits_.max_depth) + " levels");
        ++depth_;
        return true;
    }
    bool close_container(bool map = false) {
        --depth_;
        if (building()) {
            targets_.pop_back();
            if (map) maps_.pop_back();
        }
        return true;
    }

    const decode_limits& limits_;
    std::size_t frame_size_;
    std::vector<value*>& targets_;  // where the next value goes, innermost last
    std::vector<open_map>& maps_;
    std::size_t depth_ = 0;
    std::uint64_t claimed_ = 0;  // elements the containers opened so far claim
    bool in_key_ = false;
    bool held_ = false;
};

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
    thread_local tree_builder::scratch scratch;
    tree_builder builder(limits, bytes.size(), out, scratch);
    std::size_t offset = 0;
    bool parsed = false;
    try {
        parsed = msgpack::parse(bytes.data(), bytes.size(), offset, builder);
    } catch (const std::bad_alloc&) {  // the tree for an honest frame, on a full machine
        error = "decode: not valid MessagePack (std::bad_alloc)";
        return false;
    }
    if (!parsed) {
        if (!builder.stop_error.empty()) {
            code = builder.stop_code;
            error = std::move(builder.stop_error);
        } else if (builder.truncated) {
            error = "decode: truncated MessagePack (" + std::to_string(bytes.size()) + " bytes)";
        } else {
            error = "decode: not valid MessagePack (parse error)";
        }
        return false;
    }
    if (offset != bytes.size()) {
        error = "decode: " + std::to_string(bytes.size() - offset) +
                " trailing bytes after the MessagePack object";
        return false;
    }
    if (!builder.refused.empty()) {
        error = std::move(builder.refused);
        return false;
    }
    return true;
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
