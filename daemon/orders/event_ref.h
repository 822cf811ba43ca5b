// The id of the event that proved something about an order (a milestone, a batch's completion,
// a dispatch, a payment), as the order keeps it: in 24 bytes, with nothing on the heap for the
// ids clients send. A UUID in its canonical lower-case text (8-4-4-4-12) is kept as its 16
// bytes; any other text as it is, inline up to 22 bytes and on the heap beyond. The form
// follows from the text alone, so two refs are equal exactly when their texts are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

namespace baton {

class event_ref {
public:
    event_ref() noexcept { tag_ = 0; }
    // Implicit, so an id from an envelope or a test's literal is taken as it comes.
    event_ref(std::string_view id);
    event_ref(const std::string& id) : event_ref(std::string_view(id)) {}
    event_ref(const char* id) : event_ref(std::string_view(id)) {}
    // From the 16 bytes of a UUID (a stored state keeps them so).
    static event_ref from_uuid(const char bytes[16]);

    event_ref(const event_ref& o);
    event_ref(event_ref&& o) noexcept;
    event_ref& operator=(const event_ref& o);
    event_ref& operator=(event_ref&& o) noexcept;
    ~event_ref() { release(); }

    bool empty() const { return tag_ == 0; }
    // Whether it is a UUID kept as its 16 bytes (uuid()).
    bool is_uuid() const { return tag_ == uuid_tag; }
    std::string_view uuid() const { return std::string_view(bytes_, 16); }
    // The id's text.
    std::string str() const;

    friend bool operator==(const event_ref& a, const event_ref& b);
    friend bool operator==(const event_ref& a, std::string_view b);
    friend bool operator==(const event_ref& a, const std::string& b) {
        return a == std::string_view(b);
    }
    friend bool operator==(const event_ref& a, const char* b) { return a == std::string_view(b); }

private:
    static constexpr std::uint8_t max_inline = 22;
    static constexpr std::uint8_t uuid_tag = 0xfe;
    static constexpr std::uint8_t heap_tag = 0xff;

    // Inline text (tag_ = its length), the UUID's 16 bytes (uuid_tag), or a heap block's pointer
    // and length (heap_tag), copied in and out with memcpy.
    const char* heap_data() const;
    std::size_t heap_size() const;
    std::string_view text() const;  // not for a UUID
    void assign_text(std::string_view text);
    void release() noexcept;

    char bytes_[23];
    std::uint8_t tag_;
};
static_assert(sizeof(event_ref) == 24);

std::ostream& operator<<(std::ostream& out, const event_ref& id);

// A UUID in canonical lower-case text as its 16 bytes (else false), and back.
bool uuid_bytes(std::string_view text, char out[16]);
std::string uuid_text(std::string_view bytes16);

}  // namespace baton
