#include "benchmarks/bench_support.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace bench {

double now_s() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

double percentile(std::vector<double>& xs, double q) {
  if (xs.empty())
    return 0;
  auto k = static_cast<size_t>(std::min<double>(
      static_cast<double>(xs.size() - 1), std::floor(q * xs.size())));
  std::nth_element(xs.begin(), xs.begin() + k, xs.end());
  return xs[k];
}

uint64_t raise_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return 0;
  rl.rlim_cur = rl.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &rl);
  ::getrlimit(RLIMIT_NOFILE, &rl);
  return rl.rlim_cur;
}

double self_cpu_s() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

proc_sample sample_proc(pid_t pid) {
  proc_sample s;
  s.t = now_s();
  auto base = "/proc/" + std::to_string(pid);
  std::ifstream status{base + "/status"};
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0)
      s.rss_kb = std::strtoull(line.c_str() + 6, nullptr, 10);
  std::ifstream stat{base + "/stat"};
  std::string all((std::istreambuf_iterator<char>(stat)),
                  std::istreambuf_iterator<char>());
  auto paren = all.rfind(')');
  if (paren != std::string::npos) {
    // Fields after "(comm)": state is field 3; utime and stime are 14, 15.
    std::istringstream in{all.substr(paren + 2)};
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && in >> field; ++i) {
      if (i == 14)
        utime = std::stoull(field);
      if (i == 15)
        stime = std::stoull(field);
    }
    s.cpu_s = double(utime + stime) / double(::sysconf(_SC_CLK_TCK));
  }
  if (auto d = ::opendir((base + "/fd").c_str())) {
    while (auto e = ::readdir(d))
      if (e->d_name[0] != '.')
        ++s.fds;
    ::closedir(d);
  }
  return s;
}

std::string self_dir() {
  char buf[4096];
  auto n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0)
    return ".";
  std::string path(buf, static_cast<size_t>(n));
  return path.substr(0, path.rfind('/'));
}

namespace {

/// Runs a program to completion, output appended to `log`; its exit code.
int run(const std::vector<std::string>& argv, const std::string& log) {
  auto pid = ::fork();
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> args;
    for (auto& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

std::string read_file(const std::string& path) {
  std::ifstream in{path};
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

} // namespace

server_process::~server_process() {
  stop();
}

bool server_process::start(const std::string& bin,
                           const std::vector<std::string>& extra,
                           double sample_seconds, std::string& error,
                           double sample_fps) {
  char tmpl[] = "/tmp/chat-bench-XXXXXX";
  if (!::mkdtemp(tmpl)) {
    error = "cannot create a temporary directory";
    return false;
  }
  dir_ = tmpl;
  ::mkdir((dir_ + "/data").c_str(), 0700);
  ::mkdir((dir_ + "/videos").c_str(), 0700);
  auto log = dir_ + "/server.log";
  if (sample_seconds > 0) {
    auto gen = bin.substr(0, bin.rfind('/') + 1) + "make-sample-videos";
    std::ostringstream secs, fps;
    secs << sample_seconds;
    fps << sample_fps;
    if (run({gen, "--out", dir_ + "/videos", "--seconds", secs.str(), "--fps",
             fps.str()},
            dir_ + "/make-samples.log") != 0) {
      error = "make-sample-videos failed, see " + dir_ + "/make-samples.log";
      keep_dir = true;
      return false;
    }
  }
  // Defaults for a benchmark: the token bucket must not be what we measure,
  // and every simulated client comes from one address (127.0.0.1), so the
  // per-address admission limits are lifted. max-clients + max-unjoined
  // stay within the 20,000 open files of this box.
  std::vector<std::pair<std::string, std::string>> opts = {
      {"host", "127.0.0.1"},
      {"port", "0"},
      {"data-dir", dir_ + "/data"},
      {"videos", dir_ + "/videos"},
      {"message-rate", "1000000"},
      {"message-burst", "1000000"},
      {"max-clients", "12000"},
      {"max-unjoined", "4096"},
      {"max-unjoined-per-address", "4096"},
      {"connect-rate-per-address", "1000000"},
      {"connect-burst-per-address", "1000000"},
      {"log-level", "warning"},
  };
  for (size_t i = 0; i < extra.size(); ++i) {
    auto a = extra[i];
    if (a.rfind("--", 0) == 0)
      a = a.substr(2);
    std::string key = a, value;
    if (auto eq = a.find('='); eq != std::string::npos) {
      key = a.substr(0, eq);
      value = a.substr(eq + 1);
    } else if (i + 1 < extra.size() && extra[i + 1].rfind("--", 0) != 0) {
      value = extra[++i];
    }
    auto it = std::find_if(opts.begin(), opts.end(),
                           [&](auto& kv) { return kv.first == key; });
    if (it != opts.end())
      it->second = value;
    else
      opts.emplace_back(key, value);
  }
  args_ = {bin};
  for (auto& [k, v] : opts) {
    args_.push_back("--" + k);
    if (!v.empty())
      args_.push_back(v);
    if (k == "host")
      host_ = v;
  }
  pid_ = ::fork();
  if (pid_ == 0) {
    // cwd = the temp dir, so no config/server.ini is picked up by accident.
    if (::chdir(dir_.c_str()) != 0)
      ::_exit(126);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> args;
    for (auto& a : args_)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  auto deadline = now_s() + 60;
  while (now_s() < deadline) {
    auto text = read_file(log);
    auto fp = text.find("certificate fingerprint ");
    auto lp = text.find("listening on ");
    if (fp != std::string::npos && lp != std::string::npos &&
        text.find('\n', fp) != std::string::npos) {
      auto line = text.substr(lp + 13, text.find('\n', lp) - lp - 13);
      port_ =
          static_cast<uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
      fingerprint_ = text.substr(fp + 24, text.find('\n', fp) - fp - 24);
      return true;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      error = "chat-server exited: " + text;
      keep_dir = true;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  error = "chat-server did not print its port within 60 s";
  return false;
}

void server_process::stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    auto deadline = now_s() + 5;
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) != pid_) {
      if (now_s() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
  }
  if (!dir_.empty() && !keep_dir) {
    std::string cmd = "rm -rf '" + dir_ + "'";
    if (std::system(cmd.c_str()) != 0)
      keep_dir = true;
  }
  dir_.clear();
}

} // namespace bench
