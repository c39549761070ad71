#pragma once

// chat-bench plumbing: the clock, percentiles, the server it starts and the
// figures it reads about that server from /proc.

#include <cstdint>
#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

namespace bench {

/// Seconds on the monotonic clock.
double now_s();

/// The q-quantile (0..1) of `xs` (sorted in place); 0 when empty.
double percentile(std::vector<double>& xs, double q);

/// Raises RLIMIT_NOFILE to its hard limit; returns the new soft limit.
uint64_t raise_fd_limit();

/// CPU seconds this process used (user + system).
double self_cpu_s();

/// What /proc says about a process.
struct proc_sample {
  double t = 0;        ///< now_s() when sampled
  uint64_t rss_kb = 0; ///< VmRSS
  double cpu_s = 0;    ///< utime + stime
  uint64_t fds = 0;    ///< entries of /proc/<pid>/fd
};

proc_sample sample_proc(pid_t pid);

/// A chat-server child process with a temporary data and videos directory.
class server_process {
public:
  ~server_process();

  /// Starts `bin` with `--port 0` and the defaults below, overridden by
  /// `extra` ("--key=value" or "--key value"); with `sample_seconds` > 0
  /// make-sample-videos fills the videos directory first (video_2 at
  /// `sample_fps`).
  bool start(const std::string& bin, const std::vector<std::string>& extra,
             double sample_seconds, std::string& error,
             double sample_fps = 25);

  void stop();

  pid_t pid() const {
    return pid_;
  }
  const std::string& host() const {
    return host_;
  }
  uint16_t port() const {
    return port_;
  }
  const std::string& fingerprint() const {
    return fingerprint_;
  }
  /// The arguments the server was started with (for the report).
  const std::vector<std::string>& args() const {
    return args_;
  }
  const std::string& dir() const {
    return dir_;
  }
  bool keep_dir = false;

private:
  pid_t pid_ = -1;
  std::string dir_;
  std::string host_ = "127.0.0.1";
  uint16_t port_ = 0;
  std::string fingerprint_;
  std::vector<std::string> args_;
};

/// Directory of the running chat-bench executable (where chat-server is).
std::string self_dir();

} // namespace bench
