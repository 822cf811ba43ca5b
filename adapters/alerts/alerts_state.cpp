// The JSON form of the alert book and its atomic file (alerts_state.h).
#include "alerts_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace baton::adapters::alerts {

namespace {

using json = nlohmann::json;
constexpr int state_version = 1;

json record_json(const exception_record& r) {
    return json{{"id", r.id},
                {"kind", r.kind},
                {"severity", r.severity},
                {"dept", r.dept},
                {"order", r.order},
                {"customer", r.customer},
                {"status", r.status},
                {"raised_at", r.raised_at_ms},
                {"resolved_at", r.resolved_at_ms},
                {"detail", r.detail},
                {"stage", r.stage},
                {"scope", r.scope},
                {"by", r.by},
                {"note", r.note},
                {"assignee", r.assignee},
                {"tier", r.tier},
                {"customer_name", r.customer_name},
                {"order_stage", r.order_stage},
                {"enriched", r.enriched}};
}

exception_record record_of(const json& j) {
    exception_record r;
    r.id = j.at("id").get<std::string>();
    r.kind = j.at("kind").get<std::string>();
    r.severity = j.at("severity").get<std::string>();
    r.dept = j.at("dept").get<std::string>();
    r.order = j.at("order").get<std::string>();
    r.customer = j.at("customer").get<std::string>();
    r.status = j.at("status").get<std::string>();
    r.raised_at_ms = j.at("raised_at").get<std::int64_t>();
    r.resolved_at_ms = j.at("resolved_at").get<std::int64_t>();
    r.detail = j.at("detail").get<std::string>();
    r.stage = j.at("stage").get<std::string>();
    r.scope = j.at("scope").get<std::string>();
    r.by = j.at("by").get<std::string>();
    r.note = j.at("note").get<std::string>();
    r.assignee = j.at("assignee").get<std::string>();
    r.tier = j.at("tier").get<std::string>();
    r.customer_name = j.at("customer_name").get<std::string>();
    r.order_stage = j.at("order_stage").get<std::string>();
    r.enriched = j.at("enriched").get<bool>();
    if (r.id.empty() || r.kind.empty() || r.status == "resolved")
        throw std::runtime_error("an open alert without id or kind, or resolved");
    return r;
}

json alert_json(const alert_content& a) {
    return json{{"labels", a.labels},
                {"annotations", a.annotations},
                {"starts_at", a.starts_at_ms},
                {"generator_url", a.generator_url}};
}

alert_content alert_of(const json& j) {
    alert_content a;
    a.labels = j.at("labels").get<label_set>();
    a.annotations = j.at("annotations").get<label_set>();
    a.starts_at_ms = j.at("starts_at").get<std::int64_t>();
    a.generator_url = j.at("generator_url").get<std::string>();
    if (a.labels.empty()) throw std::runtime_error("an alert without labels");
    return a;
}

[[noreturn]] void fail(const std::string& path, const std::string& what) {
    throw std::runtime_error("alerts state " + path + ": " + what + ": " + std::strerror(errno));
}

}  // namespace

std::string book_state_json(const book_state& state) {
    json entries = json::array();
    for (const auto& e : state.entries)
        entries.push_back(
            {{"record", record_json(e.record)}, {"stage", e.stage}, {"labels", e.posted_labels}});
    json resolutions = json::array();
    for (const auto& r : state.resolutions)
        resolutions.push_back(
            {{"alert", alert_json(r.alert)}, {"ends_at", r.ends_at_ms}, {"owed_by", r.owed_by}});
    json root{{"version", state_version}, {"alerts", entries}, {"resolutions", resolutions}};
    return root.dump(1) + "\n";
}

book_state parse_book_state(const std::string& text, const std::string& where) {
    book_state s;
    try {
        json root = json::parse(text);
        if (!root.is_object()) throw std::runtime_error("expected a JSON object");
        if (root.at("version").get<int>() != state_version)
            throw std::runtime_error("version " + root.at("version").dump() + " is not " +
                                     std::to_string(state_version));
        for (const auto& e : root.at("alerts")) {
            saved_entry saved;
            saved.record = record_of(e.at("record"));
            saved.stage = e.at("stage").get<std::string>();
            saved.posted_labels = e.at("labels").get<label_set>();
            s.entries.push_back(std::move(saved));
        }
        for (const auto& r : root.at("resolutions")) {
            saved_resolution saved;
            saved.alert = alert_of(r.at("alert"));
            saved.ends_at_ms = r.at("ends_at").get<std::int64_t>();
            saved.owed_by = r.at("owed_by").get<std::vector<std::string>>();
            s.resolutions.push_back(std::move(saved));
        }
    } catch (const std::exception& e) {
        throw std::runtime_error(where + ": not a saved alert book (" + e.what() +
                                 "); move it aside to start with an empty book");
    }
    return s;
}

book_state load_book_state(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return {};
    std::ifstream in(path);
    if (!in) throw std::runtime_error("alerts state " + path + ": cannot read it");
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_book_state(ss.str(), "alerts state " + path);
}

void save_book_state(const std::string& path, const book_state& state) {
    const std::string tmp = path + ".tmp";
    const std::string text = book_state_json(state);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) fail(path, "cannot create " + tmp);
    std::size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int saved = errno;
            ::close(fd);
            errno = saved;
            fail(path, "cannot write " + tmp);
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) {
        int saved = errno;
        ::close(fd);
        errno = saved;
        fail(path, "cannot fsync " + tmp);
    }
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0) fail(path, "cannot rename " + tmp);
    std::string folder = std::filesystem::path(path).parent_path().string();
    int dir = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        (void)::fsync(dir);
        ::close(dir);
    }
}

}  // namespace baton::adapters::alerts
