// Starts a real program (batond) as a child process for end-to-end tests, with its stderr in a
// file, and stops it with a signal.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace baton::testing {

// A loopback TCP port that was free a moment ago.
inline int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
        throw std::runtime_error("bind");
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

// What a child starts with besides its arguments, as `prlimit` or a service manager would set.
struct child_limits {
    std::optional<rlimit> nofile;  // RLIMIT_NOFILE (soft, hard) set before exec
};

class child_process {
public:
    child_process(const std::vector<std::string>& argv, const std::string& stderr_path,
                  const child_limits& limits = {}) {
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            int fd = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (fd >= 0) {
                ::dup2(fd, 2);
                ::dup2(fd, 1);
            }
            if (limits.nofile && ::setrlimit(RLIMIT_NOFILE, &*limits.nofile) != 0) ::_exit(126);
            std::vector<char*> args;
            for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
            args.push_back(nullptr);
            ::execv(args[0], args.data());
            ::_exit(127);
        }
    }
    ~child_process() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            wait();
        }
    }
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    void signal(int sig) { ::kill(pid_, sig); }
    pid_t pid() const { return pid_; }
    // Waits for the exit and returns the exit status (128 + signal when killed).
    int wait() {
        if (pid_ <= 0) return status_;
        int st = 0;
        ::waitpid(pid_, &st, 0);
        pid_ = -1;
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        return status_;
    }

private:
    pid_t pid_ = -1;
    int status_ = -1;
};

// Runs a program to completion and returns {exit status, stdout+stderr}.
inline std::pair<int, std::string> run_program(const std::vector<std::string>& argv,
                                               const std::string& output_path) {
    int status;
    {
        child_process p(argv, output_path);
        status = p.wait();
    }
    std::ifstream in(output_path);
    std::stringstream ss;
    ss << in.rdbuf();
    return {status, ss.str()};
}

}  // namespace baton::testing
