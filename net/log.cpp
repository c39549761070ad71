#include "net/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace net {

namespace {

std::atomic<int> threshold{static_cast<int>(log_level::info)};
std::mutex out_mtx;

const char* tag(log_level lvl) {
  switch (lvl) {
  case log_level::error:
    return "ERROR";
  case log_level::warning:
    return "WARN ";
  case log_level::info:
    return "INFO ";
  case log_level::debug:
    return "DEBUG";
  }
  return "?";
}

} // namespace

void set_log_level(log_level lvl) {
  threshold = static_cast<int>(lvl);
}

namespace {

const std::pair<const char*, log_level> level_names[] = {
    {"error", log_level::error},
    {"warning", log_level::warning},
    {"info", log_level::info},
    {"debug", log_level::debug}};

} // namespace

bool parse_log_level(const std::string& text, log_level& out) {
  for (auto& [name, lvl] : level_names)
    if (text == name) {
      out = lvl;
      return true;
    }
  return false;
}

const char* log_level_name(log_level lvl) {
  for (auto& [name, l] : level_names)
    if (l == lvl)
      return name;
  return "info";
}

bool log_enabled(log_level lvl) {
  return static_cast<int>(lvl) <= threshold.load(std::memory_order_relaxed);
}

void log_line(log_level lvl, const std::string& text) {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto secs = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
  std::lock_guard<std::mutex> guard{out_mtx};
  std::fprintf(stderr, "%s.%03d %s %s\n", stamp, static_cast<int>(ms), tag(lvl),
               text.c_str());
}

} // namespace net
