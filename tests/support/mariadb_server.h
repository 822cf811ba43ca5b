// A throwaway MariaDB server for the ODBC tests: mariadb-install-db and mariadbd of Debian's
// mariadb-server in a temporary folder, listening on a free loopback port (and a unix socket the
// test uses as root), with a database `erp` and a user with a password for ODBC over TCP.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "process.h"

namespace baton::testing {

class mariadb_server {
public:
    // Installs and starts a server, or says in skip_reason() why it cannot here, or in error()
    // why it failed.
    mariadb_server() {
        for (const char* p : {"/usr/sbin/mariadbd", "/usr/sbin/mysqld"})
            if (::access(p, X_OK) == 0) {
                server_bin_ = p;
                break;
            }
        if (server_bin_.empty()) {
            skip_reason_ = "no mariadbd in /usr/sbin (Debian package mariadb-server)";
            return;
        }
        std::string pattern =
            (std::filesystem::temp_directory_path() / "baton-mariadb-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) {
            error_ = "mkdtemp failed";
            return;
        }
        dir_ = pattern;
        port_ = free_port();
        // Each server keeps its temporary tables in its own folder: with the shared /tmp, a
        // bootstrap running beside another test's once failed with "Could not remove
        // temporary table '/tmp/#sql-temptable-…'" and "Unknown table 'mysql.tmp_proxies_priv'".
        std::filesystem::create_directories(tmp());
        std::vector<std::string> install = {"/usr/bin/mariadb-install-db",
                                            "--no-defaults",
                                            "--datadir=" + data(),
                                            "--tmpdir=" + tmp(),
                                            "--auth-root-authentication-method=normal",
                                            "--skip-test-db"};
        if (::geteuid() == 0) install.push_back("--user=root");
        // A failed bootstrap is tried once more on an empty data folder before the test fails.
        auto [status, output] = run_program(install, dir_ + "/install.out");
        if (status != 0) {
            std::error_code ec;
            std::filesystem::remove_all(data(), ec);
            auto [again, output_again] = run_program(install, dir_ + "/install.out");
            if (again != 0) {
                error_ = "mariadb-install-db failed twice (" + std::to_string(status) + ", " +
                         std::to_string(again) + "): " + output + "\n--- second try:\n" +
                         output_again;
                return;
            }
        }
        if (!start()) return;
        std::string out;
        if (!sql("CREATE DATABASE erp CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci; "
                 "CREATE USER 'baton'@'127.0.0.1' IDENTIFIED BY '" +
                     password() + "'; GRANT ALL ON erp.* TO 'baton'@'127.0.0.1';",
                 &out, ""))
            error_ = "cannot create the database and user: " + out;
    }

    ~mariadb_server() {
        stop();
        if (!dir_.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(dir_, ec);
        }
    }
    mariadb_server(const mariadb_server&) = delete;
    mariadb_server& operator=(const mariadb_server&) = delete;

    // Starts mariadbd on the same data and port and waits until it answers (up to 30 s).
    bool start() {
        std::vector<std::string> argv = {server_bin_,
                                         "--no-defaults",
                                         "--datadir=" + data(),
                                         "--tmpdir=" + tmp(),
                                         "--socket=" + socket(),
                                         "--port=" + std::to_string(port_),
                                         "--bind-address=127.0.0.1",
                                         "--pid-file=" + dir_ + "/mariadbd.pid",
                                         "--log-error=" + dir_ + "/error.log",
                                         "--skip-log-bin",
                                         "--skip-name-resolve",
                                         "--innodb-buffer-pool-size=16M",
                                         "--innodb-flush-log-at-trx-commit=0",
                                         "--character-set-server=utf8mb4",
                                         "--collation-server=utf8mb4_unicode_ci"};
        if (::geteuid() == 0) argv.push_back("--user=root");
        server_ = std::make_unique<child_process>(argv, dir_ + "/mariadbd.out");
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (std::chrono::steady_clock::now() < until) {
            if (sql("SELECT 1", nullptr, "")) {
                running_ = true;
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        error_ = "mariadbd did not answer within 30 s; error.log:\n" + read(dir_ + "/error.log");
        return false;
    }

    // Shuts the server down (SIGTERM) and waits until it is gone.
    void stop() {
        if (!server_) return;
        server_->signal(SIGTERM);
        server_->wait();
        server_.reset();
        running_ = false;
    }

    // Runs statements as root through the unix socket in `database` ("" : none); false (with
    // the client's output) when they fail.
    bool sql(const std::string& statements, std::string* output = nullptr,
             const std::string& database = "erp") {
        std::vector<std::string> argv = {"/usr/bin/mariadb", "--no-defaults",
                                         "--socket=" + socket(), "-uroot",
                                         "--default-character-set=utf8mb4"};
        if (!database.empty()) argv.push_back(database);
        argv.insert(argv.end(), {"-e", statements});
        auto [status, out] = run_program(argv, dir_ + "/client.out");
        std::filesystem::remove(dir_ + "/client.out");
        if (output) *output = out;
        return status == 0;
    }

    bool running() const { return running_; }
    const std::string& skip_reason() const { return skip_reason_; }
    const std::string& error() const { return error_; }
    int port() const { return port_; }
    // An ODBC connection string for database erp, without the credentials.
    std::string connection() const {
        return "Driver=MariaDB Unicode;Server=127.0.0.1;Port=" + std::to_string(port_) +
               ";Database=erp;";
    }
    static std::string user() { return "baton"; }
    static std::string password() { return "Pw-7f3q;x}z"; }  // ';' and '}' need braces in ODBC

private:
    std::string data() const { return dir_ + "/data"; }
    std::string socket() const { return dir_ + "/mariadbd.sock"; }
    std::string tmp() const { return dir_ + "/tmp"; }

    static std::string read(const std::string& path) {
        std::ifstream in(path);
        return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }

    std::string server_bin_;
    std::string dir_;
    int port_ = 0;
    std::unique_ptr<child_process> server_;
    bool running_ = false;
    std::string skip_reason_;
    std::string error_;
};

}  // namespace baton::testing
