// A main() for the fuzz targets where libFuzzer is not available (g++ builds, the test suite):
// runs every file of the given corpora, then deterministic mutations of them, so a smoke test
// finds shallow bugs in seconds and a crash reproduces from its iteration number alone.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <type_traits>
#include <vector>

// With ASan, a finding ends the process without a signal: a death callback saves the input.
#if defined(__SANITIZE_ADDRESS__)
#define BATON_HAVE_SANITIZER_API 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BATON_HAVE_SANITIZER_API 1
#endif
#endif
#ifdef BATON_HAVE_SANITIZER_API
#include <sanitizer/common_interface_defs.h>
#endif

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

// UBSan's runtime ends the process on its own, past the ASan death callback: make it abort, so
// the signal handler below saves the input (UBSAN_OPTIONS still overrides this).
extern "C" const char* __ubsan_default_options() {
    return "print_stacktrace=1:abort_on_error=1";
}

namespace {

const char* const usage =
    "usage: %s [--iterations N] [--seed S] [--max-len BYTES] [--only K] [--save K FILE]\n"
    "          [--crash-file FILE] CORPUS_DIR_OR_FILE...\n"
    "Runs every corpus file, then N mutations of them (iteration K is the same on every run\n"
    "with the same seed and corpus). --only K runs mutation K alone; --save K FILE writes it.\n";

struct options {
    std::uint64_t iterations = 20000;
    std::uint64_t seed = 1;
    std::size_t max_len = 65536;
    long long only = -1;
    long long save = -1;
    std::string save_path;
    std::string crash_path = "replay-crash.bin";
    std::vector<std::string> paths;
};

// splitmix64: small, and the same sequence on every platform.
class rng {
public:
    explicit rng(std::uint64_t state) : state_(state) {}
    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }

private:
    std::uint64_t state_;
};

// Bytes that change meaning in MessagePack (type markers) and in CSV (quote, delimiters, line
// ends), plus the usual boundary values.
constexpr unsigned char interesting[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x8f, 0x9f, 0xbf, 0xc0,
                                         0xc1, 0xc2, 0xc3, 0xc4, 0xc7, 0xca, 0xcb, 0xcc, 0xcd, 0xce,
                                         0xcf, 0xd0, 0xd3, 0xd4, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde,
                                         0xdf, 0xe0, 0xf0, 0xf4, 0xa0, 0x90, '"',  ';',  ',',  '\n',
                                         '\r', '\t', ' ',  '-',  '.',  '0',  '9',  '%',  'Z',  '+'};

std::string random_chunk(const std::vector<std::string>& seeds, rng& r) {
    const std::string& from = seeds[r.below(seeds.size())];
    if (from.empty()) return std::string(1, static_cast<char>(r.next()));
    std::size_t at = r.below(from.size());
    std::size_t len = 1 + r.below(std::min<std::size_t>(from.size() - at, 32));
    return from.substr(at, len);
}

void mutate(std::string& s, rng& r, const std::vector<std::string>& seeds) {
    const std::size_t pos = r.below(s.size() + 1);
    switch (r.below(11)) {
        case 0:  // flip a bit
            if (!s.empty()) s[pos % s.size()] ^= static_cast<char>(1u << r.below(8));
            break;
        case 1:  // any byte
            if (!s.empty()) s[pos % s.size()] = static_cast<char>(r.next());
            break;
        case 2:  // a byte that means something
            if (!s.empty())
                s[pos % s.size()] = static_cast<char>(interesting[r.below(sizeof interesting)]);
            break;
        case 3:  // small arithmetic, for lengths and counts
            if (!s.empty())
                s[pos % s.size()] = static_cast<char>(s[pos % s.size()] + 1 - 2 * r.below(2));
            break;
        case 4:  // insert bytes
            s.insert(pos, std::string(1 + r.below(4), static_cast<char>(r.next())));
            break;
        case 5:  // insert a byte that means something
            s.insert(pos, 1, static_cast<char>(interesting[r.below(sizeof interesting)]));
            break;
        case 6:  // erase a range
            if (pos < s.size()) s.erase(pos, 1 + r.below(std::min<std::size_t>(16, s.size())));
            break;
        case 7:  // truncate
            s.resize(pos);
            break;
        case 8:  // repeat a piece of itself
            if (!s.empty()) {
                std::size_t from = r.below(s.size());
                s.insert(pos, s.substr(from, 1 + r.below(s.size() - from)));
            }
            break;
        case 9:  // splice: this one's head, another seed's tail
        {
            const std::string& other = seeds[r.below(seeds.size())];
            s = s.substr(0, pos) + other.substr(r.below(other.size() + 1));
            break;
        }
        default:  // a piece of another seed, inserted
            s.insert(pos, random_chunk(seeds, r));
            break;
    }
}

// Mutation `k` on its own: each iteration has its own generator, so it can be rerun alone.
std::string mutation(const options& o, const std::vector<std::string>& seeds, std::uint64_t k) {
    rng r(o.seed * 0x2545F4914F6CDD1Dull ^ (k + 1) * 0x9E3779B97F4A7C15ull);
    std::string s = seeds[r.below(seeds.size())];
    for (std::size_t n = 1 + r.below(4); n > 0; --n) mutate(s, r, seeds);
    if (s.size() > o.max_len) s.resize(o.max_len);
    return s;
}

// ---- crash reporting (async-signal-safe: open, write, and what was prepared before) --------

const std::string* current_input = nullptr;
char current_label[512] = "";
char crash_path[512] = "replay-crash.bin";

void write_text(const char* s) {
    ssize_t ignored = ::write(2, s, std::strlen(s));
    (void)ignored;
}

void save_current_input() {
    if (!current_input) return;
    int fd = ::open(crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        const char* p = current_input->data();
        std::size_t left = current_input->size();
        while (left > 0) {
            ssize_t n = ::write(fd, p, left);
            if (n <= 0) break;
            p += n;
            left -= static_cast<std::size_t>(n);
        }
        ::close(fd);
    }
    write_text("replay: crashed on ");
    write_text(current_label);
    write_text("; the input is saved in ");
    write_text(crash_path);
    write_text("\n");
    current_input = nullptr;  // once, even when both a sanitizer and a signal report it
}

extern "C" void on_crash_signal(int sig) {
    save_current_input();
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

void install_crash_handlers() {
    for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, on_crash_signal);
#ifdef BATON_HAVE_SANITIZER_API
    __sanitizer_set_death_callback(save_current_input);
#endif
}

void run(const std::string& input, const char* label) {
    std::snprintf(current_label, sizeof current_label, "%s", label);
    current_input = &input;
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
    current_input = nullptr;
}

// ---- arguments and corpora ---------------------------------------------------------------

bool parse_number(const char* text, unsigned long long& out) {
    char* end = nullptr;
    out = std::strtoull(text, &end, 10);
    return end != text && *end == '\0';
}

bool parse_args(int argc, char** argv, options& o) {
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        unsigned long long n = 0;
        auto number = [&](auto& out) {
            if (i + 1 >= argc || !parse_number(argv[i + 1], n)) return false;
            out = static_cast<std::remove_reference_t<decltype(out)>>(n);
            ++i;
            return true;
        };
        if (a == "--iterations") {
            if (!number(o.iterations)) return false;
        } else if (a == "--seed") {
            if (!number(o.seed)) return false;
        } else if (a == "--max-len") {
            if (!number(o.max_len)) return false;
        } else if (a == "--only") {
            if (!number(o.only)) return false;
        } else if (a == "--save") {
            if (!number(o.save) || i + 1 >= argc) return false;
            o.save_path = argv[++i];
        } else if (a == "--crash-file") {
            if (i + 1 >= argc) return false;
            o.crash_path = argv[++i];
        } else if (!a.empty() && a[0] == '-') {
            return false;
        } else {
            o.paths.push_back(a);
        }
    }
    return !o.paths.empty();
}

bool read_file(const std::filesystem::path& p, std::string& out) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return false;
    out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return true;
}

// The corpus files, sorted so the seed indexes (and so the mutations) do not depend on the
// order the file system lists them in.
bool load_corpus(const options& o, std::vector<std::filesystem::path>& files,
                 std::vector<std::string>& seeds) {
    namespace fs = std::filesystem;
    for (const auto& path : o.paths) {
        std::error_code ec;
        if (fs::is_directory(path, ec)) {
            for (const auto& e : fs::directory_iterator(path, ec))
                if (e.is_regular_file()) files.push_back(e.path());
        } else if (fs::is_regular_file(path, ec)) {
            files.push_back(path);
        } else {
            std::fprintf(stderr, "replay: %s: no such file or folder\n", path.c_str());
            return false;
        }
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
        std::string s;
        if (!read_file(f, s)) {
            std::fprintf(stderr, "replay: %s: cannot read\n", f.c_str());
            return false;
        }
        seeds.push_back(std::move(s));
    }
    if (seeds.empty()) seeds.emplace_back();
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    if (!parse_args(argc, argv, o)) {
        std::fprintf(stderr, usage, argv[0]);
        return 2;
    }
    std::vector<std::filesystem::path> files;
    std::vector<std::string> seeds;
    if (!load_corpus(o, files, seeds)) return 2;
    std::snprintf(crash_path, sizeof crash_path, "%s", o.crash_path.c_str());

    if (o.save >= 0) {
        std::string s = mutation(o, seeds, static_cast<std::uint64_t>(o.save));
        std::ofstream out(o.save_path, std::ios::binary);
        out.write(s.data(), static_cast<std::streamsize>(s.size()));
        return out ? 0 : 1;
    }
    install_crash_handlers();
    const auto start = std::chrono::steady_clock::now();
    char label[512];
    if (o.only >= 0) {
        std::snprintf(label, sizeof label, "mutation %lld", o.only);
        run(mutation(o, seeds, static_cast<std::uint64_t>(o.only)), label);
        std::printf("replay: mutation %lld ran without a crash\n", o.only);
        return 0;
    }
    for (std::size_t i = 0; i < files.size(); ++i) {
        std::snprintf(label, sizeof label, "corpus file %s", files[i].c_str());
        run(seeds[i], label);
    }
    for (std::uint64_t k = 0; k < o.iterations; ++k) {
        std::snprintf(label, sizeof label,
                      "mutation %llu (rerun: --seed %llu --only %llu with the same corpus)",
                      static_cast<unsigned long long>(k), static_cast<unsigned long long>(o.seed),
                      static_cast<unsigned long long>(k));
        run(mutation(o, seeds, k), label);
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("replay: %zu corpus files and %llu mutations in %.2f s, no crash\n", files.size(),
                static_cast<unsigned long long>(o.iterations), seconds);
    return 0;
}
