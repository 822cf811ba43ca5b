#include "event_ref.h"

#include <cstring>
#include <ostream>

namespace baton {

namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;  // upper case too: only the canonical lower-case text is kept as bytes
}

}  // namespace

bool uuid_bytes(std::string_view s, char out[16]) {
    if (s.size() != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-') return false;
    // The 32 digits' places: the four dashes' places are passed over, and only those.
    int n = 0;
    for (std::size_t i = 0; i < 36;) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            ++i;
            continue;
        }
        const int hi = hex_digit(s[i]), lo = hex_digit(s[i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[n++] = static_cast<char>(hi << 4 | lo);
        i += 2;
    }
    return n == 16;
}

std::string uuid_text(std::string_view b) {
    static const char digits[] = "0123456789abcdef";
    std::string s(36, '-');
    std::size_t at = 0;
    for (std::size_t i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) ++at;
        const auto byte = static_cast<unsigned char>(b[i]);
        s[at++] = digits[byte >> 4];
        s[at++] = digits[byte & 15];
    }
    return s;
}

event_ref::event_ref(std::string_view id) {
    tag_ = 0;
    if (uuid_bytes(id, bytes_))
        tag_ = uuid_tag;
    else
        assign_text(id);
}

event_ref event_ref::from_uuid(const char bytes[16]) {
    event_ref r;
    std::memcpy(r.bytes_, bytes, 16);
    r.tag_ = uuid_tag;
    return r;
}

event_ref::event_ref(const event_ref& o) {
    tag_ = 0;
    if (o.tag_ == heap_tag)
        assign_text(o.text());
    else {
        std::memcpy(bytes_, o.bytes_, sizeof bytes_);
        tag_ = o.tag_;
    }
}

event_ref::event_ref(event_ref&& o) noexcept {
    std::memcpy(bytes_, o.bytes_, sizeof bytes_);
    tag_ = o.tag_;
    o.tag_ = 0;  // a heap block now belongs to this one
}

event_ref& event_ref::operator=(const event_ref& o) {
    if (this != &o) *this = event_ref(o);
    return *this;
}

event_ref& event_ref::operator=(event_ref&& o) noexcept {
    if (this != &o) {
        release();
        std::memcpy(bytes_, o.bytes_, sizeof bytes_);
        tag_ = o.tag_;
        o.tag_ = 0;
    }
    return *this;
}

const char* event_ref::heap_data() const {
    const char* p;
    std::memcpy(&p, bytes_, sizeof p);
    return p;
}

std::size_t event_ref::heap_size() const {
    std::size_t n;
    std::memcpy(&n, bytes_ + sizeof(char*), sizeof n);
    return n;
}

std::string_view event_ref::text() const {
    if (tag_ == heap_tag) return std::string_view(heap_data(), heap_size());
    return std::string_view(bytes_, tag_);
}

void event_ref::assign_text(std::string_view text) {
    if (text.size() <= max_inline) {
        std::memcpy(bytes_, text.data(), text.size());
        tag_ = static_cast<std::uint8_t>(text.size());
        return;
    }
    char* p = new char[text.size()];
    std::memcpy(p, text.data(), text.size());
    const std::size_t n = text.size();
    std::memcpy(bytes_, &p, sizeof p);
    std::memcpy(bytes_ + sizeof p, &n, sizeof n);
    tag_ = heap_tag;
}

void event_ref::release() noexcept {
    if (tag_ == heap_tag) delete[] heap_data();
    tag_ = 0;
}

std::string event_ref::str() const {
    if (tag_ == uuid_tag) return uuid_text(uuid());
    return std::string(text());
}

bool operator==(const event_ref& a, const event_ref& b) {
    if (a.tag_ != b.tag_) return false;
    if (a.tag_ == event_ref::uuid_tag) return std::memcmp(a.bytes_, b.bytes_, 16) == 0;
    return a.text() == b.text();
}

bool operator==(const event_ref& a, std::string_view b) {
    if (a.tag_ != event_ref::uuid_tag) return a.text() == b;
    char bytes[16];
    return uuid_bytes(b, bytes) && std::memcmp(a.bytes_, bytes, 16) == 0;
}

std::ostream& operator<<(std::ostream& out, const event_ref& id) {
    return out << id.str();
}

}  // namespace baton
