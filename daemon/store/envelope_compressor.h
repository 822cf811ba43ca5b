// Stored envelopes compressed with zstd against a dictionary trained on the store's own first
// envelopes: the journal's and the outbox's ~300-byte MessagePack envelopes repeat their keys,
// topics, sources and vocabularies, so a dictionary takes even one to about a third, where
// zstd alone, with no history inside one small envelope, saves little. The journal packs a
// commit's envelopes together (envelope_packs.h); until a dictionary exists (the first ~1 MiB
// of envelopes of a store) a pack is compressed plainly. A stored blob that is a zstd frame
// (magic 28 b5 2f fd, which no MessagePack map starts with) names its dictionary, or none.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace baton {

// A trained dictionary: its zstd id and its bytes, as the store keeps them.
struct envelope_dictionary {
    std::uint32_t id = 0;
    std::string bytes;
};

class envelope_compressor {
public:
    // Training starts once `training_bytes` of envelopes were offered (samples are copied).
    explicit envelope_compressor(std::size_t training_bytes = 1 << 20);
    ~envelope_compressor();
    envelope_compressor(const envelope_compressor&) = delete;
    envelope_compressor& operator=(const envelope_compressor&) = delete;

    // Before the first sample: how many bytes of envelopes training waits for.
    void set_training_bytes(std::size_t bytes) { training_bytes_ = bytes; }

    // Any thread: the dictionaries the store holds become readable; the last one given with
    // `write` is the one new envelopes are packed with (writer side).
    void add(const envelope_dictionary& d, bool write);

    // The writer's side (one thread at a time).
    // Gathers `envelope` as a training sample while there is no dictionary to write with, and
    // starts training on a thread of its own once enough are gathered.
    void sample(std::string_view envelope);
    // A dictionary trained since, not yet stored: the caller stores it in the transaction that
    // first packs with it (pack(..., true)), then calls promote() once that commits.
    const envelope_dictionary* trained();
    void promote();
    // The bytes to store for `envelope` (valid until the next call): compressed with the
    // dictionary in use (or the trained one, with `with_trained`), plainly before there is
    // one, or the bytes themselves when zstd saves nothing.
    std::string_view pack(std::string_view envelope, bool with_trained = false);
    bool writing() const { return writer_ != nullptr; }

    // Any thread: the envelope as received from stored bytes. Throws std::runtime_error for a
    // frame that cannot be read (its dictionary unknown, or damaged).
    std::string unpack(std::string_view stored) const;
    static bool is_packed(std::string_view stored);

    struct dictionary_handles;  // zstd's compression and decompression dictionaries

private:
    void train(std::string samples, std::vector<std::size_t> sizes);
    std::string training_error() const;  // why the last training failed

    std::size_t training_bytes_;
    // Readers' dictionaries by id.
    mutable std::shared_mutex dictionaries_mutex_;
    std::map<std::uint32_t, std::shared_ptr<const dictionary_handles>> by_id_;
    // The writer's.
    std::shared_ptr<const dictionary_handles> writer_;
    struct compression_context;
    std::unique_ptr<compression_context> cctx_;
    std::string packed_;
    std::string samples_;
    std::vector<std::size_t> sample_sizes_;
    std::thread trainer_;
    mutable std::mutex trained_mutex_;
    std::optional<envelope_dictionary> trained_;  // guarded by trained_mutex_ until taken
    std::optional<envelope_dictionary> pending_;  // taken, waiting for its commit
    std::shared_ptr<const dictionary_handles> pending_handles_;
    std::string training_error_;  // guarded by trained_mutex_
    bool training_ = false;
    int failures_ = 0;
};

}  // namespace baton
