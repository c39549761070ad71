#pragma once

// Shared set-up of integration suites: a real chat-server on port 0 and
// real chat-clients driven through stdin.

#include <algorithm>
#include <fstream>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <vector>

#include <caf/test/unit_test.hpp>

#include "tests/process.hpp"

namespace test_support {

/// Resident memory of process `pid` in KiB (from /proc), -1 if unknown.
inline long rss_kib(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      long kib = 0;
      in >> kib;
      return kib;
    }
    std::getline(in, key);
  }
  return -1;
}

/// RSS bounds hold only without AddressSanitizer, whose quarantine keeps
/// freed memory resident (the figures are still printed under it).
#if defined(__SANITIZE_ADDRESS__)
constexpr bool rss_is_meaningful = false;
#else
constexpr bool rss_is_meaningful = true;
#endif

/// Checks `kib < bound` where memory figures mean something.
#define CHECK_RSS_LESS(kib, bound)                                             \
  do {                                                                         \
    if (test_support::rss_is_meaningful)                                       \
      CAF_CHECK_LESS(kib, bound);                                              \
    else                                                                       \
      CAF_MESSAGE("RSS bound not checked under AddressSanitizer");             \
  } while (false)

struct live_server {
  temp_dir dir;
  std::unique_ptr<process> proc;
  uint16_t port = 0;
  std::string fingerprint;

  /// Starts chat-server on 127.0.0.1, port 0, with `extra` options.
  explicit live_server(std::vector<std::string> extra = {}) {
    ::mkdir((dir / "videos").c_str(), 0755);
    std::vector<std::string> args{binary("chat-server"),
                                  "--config",
                                  "/dev/null",
                                  "--port",
                                  "0",
                                  "--data-dir",
                                  dir / "data",
                                  "--directory-coalesce-ms",
                                  "20"};
    if (std::find(extra.begin(), extra.end(), "--videos") == extra.end()) {
      args.push_back("--videos");
      args.push_back(dir / "videos");
    }
    args.insert(args.end(), extra.begin(), extra.end());
    proc = std::make_unique<process>(args);
    auto m = proc->wait_for_regex(
        "listening on 127\\.0\\.0\\.1:([0-9]+)\\s+certificate fingerprint "
        "(SHA256:[0-9A-F:]+)");
    CAF_REQUIRE(m);
    port = static_cast<uint16_t>(std::stoi((*m)[1]));
    fingerprint = (*m)[2];
  }

  /// Starts a chat-client with its own home directory (identity, pins).
  /// `home` defaults to a directory per name (same name, same identity).
  std::unique_ptr<process> client(const std::string& name,
                                  std::vector<std::string> extra = {},
                                  std::string home = "") {
    if (home.empty())
      home = dir / ("home-" + name);
    std::vector<std::string> args{binary("chat-client"), "--port",
                                  std::to_string(port), "--home", home};
    if (!name.empty()) {
      args.push_back("--name");
      args.push_back(name);
    }
    args.insert(args.end(), extra.begin(), extra.end());
    return std::make_unique<process>(args);
  }

  /// A client that has joined and seen the menu.
  std::unique_ptr<process> joined(const std::string& name) {
    auto c = client(name);
    CAF_REQUIRE(c->wait_for("joined as " + name));
    CAF_REQUIRE(c->wait_for("4) quit"));
    return c;
  }

  /// As joined(name), once `witness`, already in the room, has seen it join.
  std::unique_ptr<process> joined(const std::string& name, process& witness) {
    auto c = joined(name);
    CAF_REQUIRE(witness.wait_for("* " + name + " joined"));
    return c;
  }
};

/// Drives menu item 2 of `from`: message `text` to `to`.
inline void send_message(process& from, const std::string& to,
                         const std::string& text) {
  auto mark = from.output().size();
  from.write("2\n");
  CAF_REQUIRE(from.wait_for("to (", std::chrono::seconds{10}, mark));
  from.write(to + "\n");
  CAF_REQUIRE(from.wait_for("message: ", std::chrono::seconds{10}, mark));
  from.write(text + "\n");
  CAF_REQUIRE(from.wait_for("sent to", std::chrono::seconds{10}, mark));
}

/// Plays video_2 to its end on a new client `name` started with `extra`
/// (which should include --check-frame-codes, whose line ends the summary),
/// quits, and returns the client's output.
inline std::string play_video_2(live_server& srv, const std::string& name,
                                std::vector<std::string> extra) {
  auto c = srv.client(name, std::move(extra));
  CAF_REQUIRE(c->wait_for("joined as " + name));
  c->write("3\n");
  CAF_REQUIRE(c->wait_for("video_2"));
  c->write("video_2\n");
  CAF_REQUIRE(c->wait_for("frame codes:", std::chrono::seconds{60}));
  c->write("4\n");
  CAF_CHECK_EQUAL(c->wait_exit(), 0);
  return c->output();
}

} // namespace test_support
