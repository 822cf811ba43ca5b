// zstd with a dictionary per store: trained once on a thread of its own, stored by the journal
// in the transaction of the first envelopes packed with it, and kept for reading forever.
#include "envelope_compressor.h"

#include <spdlog/spdlog.h>
#include <zdict.h>
#include <zstd.h>

#include <stdexcept>

namespace baton {

namespace {

constexpr std::size_t dictionary_capacity = 16 * 1024;
// Level 1: at the envelopes' size it packs within 4 % of level 3 (85 against 82 bytes) in
// four fifths of the time; this runs on the writer's thread for every envelope.
constexpr int level = 1;
// Fewer samples than this teach a dictionary nothing (zstd's trainer wants many).
constexpr std::size_t min_samples = 200;
constexpr int max_failures = 3;
// A stored envelope is at most the envelope size limit; a frame claiming more is damaged.
constexpr unsigned long long max_unpacked = 64ull << 20;

struct dctx_deleter {
    void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

ZSTD_DCtx* thread_dctx() {
    thread_local std::unique_ptr<ZSTD_DCtx, dctx_deleter> dctx(ZSTD_createDCtx());
    return dctx.get();
}

}  // namespace

struct envelope_compressor::dictionary_handles {
    explicit dictionary_handles(const envelope_dictionary& dict)
        : id(dict.id),
          c(ZSTD_createCDict(dict.bytes.data(), dict.bytes.size(), level)),
          d(ZSTD_createDDict(dict.bytes.data(), dict.bytes.size())) {
        if (!c || !d) {
            ZSTD_freeCDict(c);
            ZSTD_freeDDict(d);
            throw std::runtime_error("zstd refused dictionary " + std::to_string(id));
        }
    }
    ~dictionary_handles() {
        ZSTD_freeCDict(c);
        ZSTD_freeDDict(d);
    }
    dictionary_handles(const dictionary_handles&) = delete;
    dictionary_handles& operator=(const dictionary_handles&) = delete;

    std::uint32_t id;
    ZSTD_CDict* c;
    ZSTD_DDict* d;
};

struct envelope_compressor::compression_context {
    // ZSTD_compress_usingCDict writes frames with the content size (a reader allocates
    // once), the dictionary's id (to read it with) and no checksum (SQLite's pages are the
    // store's integrity).
    compression_context() : cctx(ZSTD_createCCtx()) {}
    ~compression_context() { ZSTD_freeCCtx(cctx); }
    ZSTD_CCtx* cctx;
};

envelope_compressor::envelope_compressor(std::size_t training_bytes)
    : training_bytes_(training_bytes), cctx_(std::make_unique<compression_context>()) {}

envelope_compressor::~envelope_compressor() {
    if (trainer_.joinable()) trainer_.join();
}

void envelope_compressor::add(const envelope_dictionary& d, bool write) {
    auto handles = std::make_shared<const dictionary_handles>(d);
    {
        std::unique_lock lock(dictionaries_mutex_);
        by_id_[d.id] = handles;
    }
    if (write) writer_ = std::move(handles);
}

void envelope_compressor::sample(std::string_view envelope) {
    if (writer_ || pending_ || training_ || failures_ >= max_failures) return;
    samples_.append(envelope);
    sample_sizes_.push_back(envelope.size());
    // After a failed training, try again on more.
    if (samples_.size() < (training_bytes_ << failures_) || sample_sizes_.size() < min_samples)
        return;
    training_ = true;
    if (trainer_.joinable()) trainer_.join();  // a failed one, finished
    trainer_ = std::thread(&envelope_compressor::train, this, std::move(samples_),
                           std::move(sample_sizes_));
    samples_.clear();
    sample_sizes_.clear();
}

void envelope_compressor::train(std::string samples, std::vector<std::size_t> sizes) {
    std::string dict(dictionary_capacity, '\0');
    const std::size_t n = ZDICT_trainFromBuffer(dict.data(), dict.size(), samples.data(),
                                                sizes.data(), static_cast<unsigned>(sizes.size()));
    std::lock_guard lock(trained_mutex_);
    if (ZDICT_isError(n)) {
        training_error_ = ZDICT_getErrorName(n);
        trained_ = envelope_dictionary{};  // id 0: failed
        return;
    }
    dict.resize(n);
    const unsigned id = ZDICT_getDictID(dict.data(), dict.size());
    if (id == 0) {
        training_error_ = "the trained dictionary has no id";
        trained_ = envelope_dictionary{};
        return;
    }
    training_error_.clear();
    trained_ = envelope_dictionary{id, std::move(dict)};
}

const envelope_dictionary* envelope_compressor::trained() {
    if (pending_) return &*pending_;
    if (!training_) return nullptr;
    std::optional<envelope_dictionary> done;
    {
        std::lock_guard lock(trained_mutex_);
        done.swap(trained_);
    }
    if (!done) return nullptr;  // still training
    training_ = false;
    bool known = false;
    {
        std::shared_lock lock(dictionaries_mutex_);
        known = done->id != 0 && by_id_.count(done->id) != 0;
    }
    if (done->id == 0 || known) {
        ++failures_;
        std::string why = known ? "its id is taken" : training_error();
        spdlog::warn("envelopes: training a compression dictionary failed ({}); {}", why,
                     failures_ < max_failures ? "trying again on more envelopes"
                                              : "packs stay compressed without one");
        return nullptr;
    }
    pending_handles_ = std::make_shared<const dictionary_handles>(*done);
    {
        // Readable from now on: a reader that sees the first pack packed with it (the commit
        // that stores it) must find it, even before promote(). No frame names it before then.
        std::unique_lock lock(dictionaries_mutex_);
        by_id_[done->id] = pending_handles_;
    }
    pending_ = std::move(done);
    return &*pending_;
}

void envelope_compressor::promote() {
    if (!pending_) return;
    writer_ = std::move(pending_handles_);
    pending_.reset();
}

std::string_view envelope_compressor::pack(std::string_view envelope, bool with_trained) {
    const dictionary_handles* h = with_trained ? pending_handles_.get() : writer_.get();
    if (envelope.empty()) return envelope;
    packed_.resize(ZSTD_compressBound(envelope.size()));
    // Without a dictionary yet, plainly: a pack of many envelopes has history of its own.
    const std::size_t n = h ? ZSTD_compress_usingCDict(cctx_->cctx, packed_.data(), packed_.size(),
                                                       envelope.data(), envelope.size(), h->c)
                            : ZSTD_compressCCtx(cctx_->cctx, packed_.data(), packed_.size(),
                                                envelope.data(), envelope.size(), level);
    // Stored as received when zstd fails or saves nothing: always readable.
    if (ZSTD_isError(n) || n >= envelope.size()) return envelope;
    return std::string_view(packed_.data(), n);
}

bool envelope_compressor::is_packed(std::string_view stored) {
    return stored.size() >= 4 && static_cast<unsigned char>(stored[0]) == 0x28 &&
           static_cast<unsigned char>(stored[1]) == 0xb5 &&
           static_cast<unsigned char>(stored[2]) == 0x2f &&
           static_cast<unsigned char>(stored[3]) == 0xfd;
}

std::string envelope_compressor::unpack(std::string_view stored) const {
    if (!is_packed(stored)) return std::string(stored);
    const unsigned id = ZSTD_getDictID_fromFrame(stored.data(), stored.size());
    const unsigned long long size = ZSTD_getFrameContentSize(stored.data(), stored.size());
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > max_unpacked)
        throw std::runtime_error("a zstd frame with a damaged header");
    std::shared_ptr<const dictionary_handles> h;
    if (id != 0) {  // 0: compressed without one
        std::shared_lock lock(dictionaries_mutex_);
        if (auto it = by_id_.find(id); it != by_id_.end()) h = it->second;
        if (!h)
            throw std::runtime_error("stored compressed with dictionary " + std::to_string(id) +
                                     ", which the store does not hold");
    }
    std::string out(static_cast<std::size_t>(size), '\0');
    const std::size_t n = h ? ZSTD_decompress_usingDDict(thread_dctx(), out.data(), out.size(),
                                                         stored.data(), stored.size(), h->d)
                            : ZSTD_decompressDCtx(thread_dctx(), out.data(), out.size(),
                                                  stored.data(), stored.size());
    if (ZSTD_isError(n) || n != size)
        throw std::runtime_error(std::string("a damaged zstd frame (") +
                                 (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short") + ")");
    return out;
}

std::string envelope_compressor::training_error() const {  // for the log
    std::lock_guard lock(trained_mutex_);
    return training_error_;
}

}  // namespace baton
