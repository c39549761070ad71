#pragma once

// Runs a real program (chat-server, chat-client) for integration tests:
// stdin is a pipe we write to, stdout+stderr are captured, and the test
// waits for text with a deadline instead of sleeping.

#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <poll.h>
#include <regex>
#include <signal.h>
#include <string>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "tests/temp_dir.hpp"

namespace test_support {

class process {
public:
  /// Starts `argv[0]` with arguments; stderr goes to the same capture.
  explicit process(std::vector<std::string> argv) {
    // Writing to a program that already exited must fail, not kill us.
    ::signal(SIGPIPE, SIG_IGN);
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
      return;
    auto parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      // A failed CAF_REQUIRE aborts the test binary without running
      // destructors: the child must not outlive it.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent)
        ::_exit(127);
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      ::dup2(out[1], 2);
      std::vector<char*> args;
      for (auto& a : argv)
        args.push_back(a.data());
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      std::perror("execv");
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
    ::fcntl(stdout_, F_SETFL, O_NONBLOCK);
  }

  process(const process&) = delete;
  process& operator=(const process&) = delete;

  ~process() {
    if (pid_ > 0 && !exit_code_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (stdin_ >= 0)
      ::close(stdin_);
    if (stdout_ >= 0)
      ::close(stdout_);
  }

  bool running() const {
    return pid_ > 0 && !exit_code_;
  }

  pid_t pid() const {
    return pid_;
  }

  void write(const std::string& text) {
    auto p = text.data();
    auto n = text.size();
    while (n > 0) {
      auto w = ::write(stdin_, p, n);
      if (w <= 0)
        return;
      p += w;
      n -= static_cast<size_t>(w);
    }
  }

  void close_stdin() {
    if (stdin_ >= 0)
      ::close(stdin_);
    stdin_ = -1;
  }

  /// Everything the program printed so far.
  const std::string& output() {
    pump(std::chrono::milliseconds{0});
    return out_;
  }

  /// Waits until the output after `from` contains `text`; returns the
  /// offset just past it, or nullopt on timeout.
  std::optional<size_t>
  wait_for(const std::string& text,
           std::chrono::milliseconds timeout = std::chrono::seconds{10},
           size_t from = 0) {
    auto deadline = clock::now() + timeout;
    for (;;) {
      auto pos = out_.find(text, from);
      if (pos != std::string::npos)
        return pos + text.size();
      auto left = deadline - clock::now();
      if (left <= clock::duration::zero())
        return std::nullopt;
      pump(std::chrono::duration_cast<std::chrono::milliseconds>(left));
    }
  }

  /// Like wait_for, with a regex; returns the match.
  std::optional<std::smatch>
  wait_for_regex(const std::string& re,
                 std::chrono::milliseconds timeout = std::chrono::seconds{10}) {
    std::regex rx{re};
    auto deadline = clock::now() + timeout;
    for (;;) {
      std::smatch m;
      if (std::regex_search(out_, m, rx))
        return m;
      auto left = deadline - clock::now();
      if (left <= clock::duration::zero())
        return std::nullopt;
      pump(std::chrono::duration_cast<std::chrono::milliseconds>(left));
    }
  }

  /// Waits for the exit; the exit code (or 128+signal), nullopt on timeout.
  std::optional<int>
  wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds{10}) {
    auto deadline = clock::now() + timeout;
    while (!exit_code_) {
      int status = 0;
      auto r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exit_code_ =
            WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      if (clock::now() > deadline)
        return std::nullopt;
      pump(std::chrono::milliseconds{20});
    }
    pump(std::chrono::milliseconds{0});
    return exit_code_;
  }

  void signal(int sig) {
    if (running())
      ::kill(pid_, sig);
  }

private:
  using clock = std::chrono::steady_clock;

  void pump(std::chrono::milliseconds wait) {
    pollfd fd{stdout_, POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(wait.count())) <= 0)
      return;
    char buf[65536];
    for (;;) {
      auto n = ::read(stdout_, buf, sizeof(buf));
      if (n <= 0)
        return;
      out_.append(buf, static_cast<size_t>(n));
    }
  }

  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  std::string out_;
  std::optional<int> exit_code_;
};

inline std::string binary(const std::string& name) {
  return std::string{CHATROOM_BINARY_DIR} + "/" + name;
}

} // namespace test_support
