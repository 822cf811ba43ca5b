// A throwaway PostgreSQL server for one test: initdb and pg_ctl of Debian's postgresql package in
// a temporary folder, listening only on a unix socket in that folder (or, given a password, also
// on a loopback TCP port where the user postgres must give it: for ODBC), run as an unprivileged
// user (PostgreSQL refuses root); stopped, and its folder deleted, when the object goes away.
#pragma once

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "process.h"

namespace baton::testing {

class postgres_server {
public:
    // Starts a server, or says in skip_reason() why it cannot here, or in error() why it failed.
    // tcp_password empty: the unix socket only, trust. Otherwise also 127.0.0.1:port(), where
    // the user postgres logs in with this password (scram-sha-256); the socket stays trusted.
    explicit postgres_server(std::string tcp_password = "")
        : tcp_password_(std::move(tcp_password)) {
        bin_ = find_bin();
        if (bin_.empty()) {
            skip_reason_ =
                "no initdb and pg_ctl in /usr/lib/postgresql/*/bin (Debian package postgresql)";
            return;
        }
        if (::geteuid() == 0 && !pick_user()) {
            skip_reason_ = "running as root and there is no user nobody to run PostgreSQL as";
            return;
        }
        std::string pattern = (std::filesystem::temp_directory_path() / "baton-pg-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) {
            error_ = "mkdtemp failed";
            return;
        }
        dir_ = pattern;
        // The server's user writes the data folder, its log and its socket here.
        if (as_user_ && ::chown(dir_.c_str(), uid_, gid_) != 0) {
            error_ = "cannot chown " + dir_ + " to the user nobody";
            return;
        }
        port_ = free_port();
        std::vector<std::string> initdb = {bin_ + "/initdb", "-D", data(), "-U",       "postgres",
                                           "--no-locale",    "-E", "UTF8", "--no-sync"};
        if (tcp_password_.empty()) {
            initdb.push_back("--auth=trust");
        } else {
            const std::string pwfile = dir_ + "/pwfile";
            std::ofstream(pwfile) << tcp_password_ << "\n";
            if (as_user_ && ::chown(pwfile.c_str(), uid_, gid_) != 0) {
                error_ = "cannot chown " + pwfile + " to the user nobody";
                return;
            }
            initdb.insert(initdb.end(), {"--auth-local=trust", "--auth-host=scram-sha-256",
                                         "--pwfile=" + pwfile});
        }
        auto [init_status, init_output] = run(initdb, "initdb.out");
        if (init_status != 0) {
            error_ = "initdb failed (" + std::to_string(init_status) + "): " + init_output;
            return;
        }
        // Only the unix socket (listen_addresses empty) unless TCP was asked for: the port merely
        // names it, so no TCP port can be taken by anyone else in the meantime. No fsync: the
        // data is thrown away.
        start();
    }

    // Starts the server on the same data folder and socket; false (and error()) when it fails.
    bool start() {
        const std::string listen = tcp_password_.empty() ? "" : "127.0.0.1";
        const std::string options = "-p " + std::to_string(port_) + " -k " + dir_ +
                                    " -c listen_addresses=" + listen +
                                    " -c fsync=off -c shared_buffers=16MB"
                                    " -c dynamic_shared_memory_type=mmap";
        auto [start_status, start_output] =
            run({bin_ + "/pg_ctl", "-D", data(), "-l", dir_ + "/server.log", "-o", options, "-w",
                 "-t", "60", "start"},
                "pg_ctl-start.out");
        started_ = true;  // stop it even if pg_ctl gave up waiting
        if (start_status != 0) {
            error_ = "pg_ctl start failed (" + std::to_string(start_status) + "): " + start_output +
                     "\nserver.log:\n" + read(dir_ + "/server.log");
            return false;
        }
        running_ = true;
        return true;
    }

    // Stops the server at once (clients see their connections drop), keeping its data.
    void stop() {
        if (!started_) return;
        auto [status, output] = run(
            {bin_ + "/pg_ctl", "-D", data(), "-m", "immediate", "-w", "stop"}, "pg_ctl-stop.out");
        if (status != 0) kill_postmaster();
        started_ = false;
        running_ = false;
    }

    ~postgres_server() {
        stop();
        if (!dir_.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(dir_, ec);
        }
    }
    postgres_server(const postgres_server&) = delete;
    postgres_server& operator=(const postgres_server&) = delete;

    bool running() const { return running_; }
    const std::string& skip_reason() const { return skip_reason_; }
    const std::string& error() const { return error_; }
    // A libpq connection string for the database postgres as its superuser.
    std::string conninfo() const {
        return "host=" + dir_ + " port=" + std::to_string(port_) + " user=postgres dbname=postgres";
    }
    int port() const { return port_; }

private:
    // The newest installed major version that has both programs.
    static std::string find_bin() {
        std::vector<std::string> found;
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
            const std::string bin = e.path().string() + "/bin";
            if (::access((bin + "/initdb").c_str(), X_OK) == 0 &&
                ::access((bin + "/pg_ctl").c_str(), X_OK) == 0)
                found.push_back(bin);
        }
        if (found.empty()) return {};
        auto major = [](const std::string& bin) {
            return std::atoi(std::filesystem::path(bin).parent_path().filename().c_str());
        };
        return *std::max_element(found.begin(), found.end(),
                                 [&](const auto& a, const auto& b) { return major(a) < major(b); });
    }

    bool pick_user() {
        const passwd* pw = ::getpwnam("nobody");
        if (!pw || pw->pw_uid == 0) return false;
        as_user_ = true;
        uid_ = pw->pw_uid;
        gid_ = pw->pw_gid;
        return true;
    }

    std::string data() const { return dir_ + "/data"; }

    // Runs a PostgreSQL program, through setpriv as the unprivileged user when we are root.
    std::pair<int, std::string> run(std::vector<std::string> argv, const std::string& output) {
        if (as_user_) {
            argv.insert(argv.begin(), {"/usr/bin/setpriv", "--reuid=" + std::to_string(uid_),
                                       "--regid=" + std::to_string(gid_), "--clear-groups"});
        }
        return run_program(argv, dir_ + "/" + output);
    }

    // pg_ctl stop failed: the postmaster's pid is the first line of postmaster.pid.
    void kill_postmaster() {
        std::ifstream in(data() + "/postmaster.pid");
        long pid = 0;
        if (in >> pid && pid > 0) ::kill(static_cast<pid_t>(pid), SIGKILL);
    }

    static std::string read(const std::string& path) {
        std::ifstream in(path);
        return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }

    std::string tcp_password_;
    std::string bin_;
    std::string dir_;
    int port_ = 0;
    bool as_user_ = false;
    uid_t uid_ = 0;
    gid_t gid_ = 0;
    bool started_ = false;
    bool running_ = false;
    std::string skip_reason_;
    std::string error_;
};

}  // namespace baton::testing
