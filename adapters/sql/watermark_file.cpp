// Reading and atomically replacing the watermark file.
#include "watermark_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "config_error.h"

namespace baton::adapters::sql {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void io_failure(const std::string& what, const std::string& path) {
    throw std::runtime_error(what + " " + path + ": " + std::strerror(errno));
}

void write_all(int fd, const std::string& bytes, const std::string& path) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) io_failure("cannot write", path);
        done += static_cast<std::size_t>(n);
    }
}

void fsync_folder(const std::string& folder) {
    int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) io_failure("cannot open folder", folder);
    int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) io_failure("cannot fsync folder", folder);
}

}  // namespace

std::optional<watermark_state> load_watermark(const std::string& path) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return std::nullopt;
    std::ifstream in(path);
    if (!in) throw config_error(path, "", "cannot read the watermark file");
    std::stringstream ss;
    ss << in.rdbuf();
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(ss.str());
    } catch (const nlohmann::json::exception& e) {
        throw config_error(path, "", std::string("damaged watermark file: ") + e.what());
    }
    if (!j.is_object()) throw config_error(path, "", "damaged watermark file: not an object");
    watermark_state s;
    auto text = [&](const char* key, std::string& out) {
        auto it = j.find(key);
        if (it == j.end() || !it->is_string())
            throw config_error(path, key, "damaged watermark file: missing or not a string");
        out = it->get<std::string>();
    };
    text("table", s.table);
    text("column", s.column);
    text("type", s.type);
    text("value", s.value);
    return s;
}

void save_watermark(const std::string& path, const watermark_state& state) {
    nlohmann::json j = {{"table", state.table},
                        {"column", state.column},
                        {"type", state.type},
                        {"value", state.value}};
    const std::string bytes = j.dump() + "\n";
    fs::path p(path);
    std::string folder = p.parent_path().empty() ? "." : p.parent_path().string();
    std::error_code ec;
    fs::create_directories(folder, ec);
    const std::string tmp = path + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) io_failure("cannot create", tmp);
    try {
        write_all(fd, bytes, tmp);
        if (::fsync(fd) != 0) io_failure("cannot fsync", tmp);
    } catch (...) {
        ::close(fd);
        throw;
    }
    if (::close(fd) != 0) io_failure("cannot close", tmp);
    if (::rename(tmp.c_str(), path.c_str()) != 0) io_failure("cannot rename " + tmp + " to", path);
    fsync_folder(folder);
}

}  // namespace baton::adapters::sql
