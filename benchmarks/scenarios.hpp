#pragma once

// The chat-bench scenarios. Each runs against `target` (a server the bench
// started, or one given by --host/--port) and fills a result: figures for
// the table and JSON line, plus the failures that make the exit code 1.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "benchmarks/sim_loop.hpp"
#include "net/error.hpp"

namespace bench {

struct options {
  size_t clients = 100;
  double duration = 10;               ///< relay, churn (s)
  double rate = 1000;                 ///< relay: aggregate SENDs per second
  size_t size = 100;                  ///< relay: plaintext bytes per message
  size_t fanout = 1;                  ///< relay: recipients per sender
  std::string envelopes = "prebuilt"; ///< relay: real | prebuilt
  double idle = 30;                   ///< connect: idle CPU window (s)
  std::string engine = "library";     ///< connect: library | frames
  size_t inflight = 64;               ///< handshakes in flight at once
  double connect_rate = 0; ///< connects per second, 0 = only inflight
  double timeout = 120;    ///< connect + convergence deadline (s)
  double drain = 5;        ///< relay: wait for stragglers (s)
  double settle = 5;       ///< churn: wait before the end sample (s)
  size_t messages = 3;     ///< churn: messages per connection
  std::string video = "video_2";
  std::string policy = "fixed:720";
  double startup_ms = 1500; ///< video: playout starts this long after frame 0
  /// video: pacing is judged on frames past this much media time (the
  /// server fills the buffer target first, as fast as it can)
  double steady_after_ms = 3000;
  /// video: seeks per viewer (0 = play through); each lands at a spread-out
  /// position, the next follows `seek_every` s after the last one became
  /// playable.
  size_t seeks = 0;
  double seek_every = 1;
  /// video: pauses per viewer before any seek, each `pause_ms` long.
  size_t pauses = 0;
  double pause_ms = 1000;
  double progress = 5;      ///< progress line period (s)
  bool quiet = false;       ///< no progress lines (smoke)
};

/// Where the clients connect; pid > 0 when the bench owns the server.
struct target {
  std::string host;
  uint16_t port = 0;
  std::string fingerprint;
  int pid = -1;
};

/// What a scenario reports.
struct result {
  nlohmann::ordered_json figures;
  uint64_t loss = 0;
  uint64_t errors = 0;
  std::vector<std::string> failures; ///< convergence failures etc.
  std::vector<std::string> error_samples;
  /// Codes of non-fatal server ERRORs that are a known, harmless race
  /// (counted apart).
  std::function<bool(net::errc)> benign;
  uint64_t benign_count = 0;
  void error(const std::string& what) {
    ++errors;
    if (error_samples.size() < 5)
      error_samples.push_back(what);
  }
};

/// Clients that connected and joined, with their join latencies.
struct joined_set {
  std::vector<std::unique_ptr<sim_client>> clients;
  std::vector<double> join_ms;
  double t0 = 0, t_all_joined = 0, t_converged = 0;
  bool ok = false;
};

/// Per-client callbacks a scenario adds to the connect phase's own.
using events_for = std::function<client::client_events(sim_client&)>;

/// Connects `n` clients named prefix0..n-1 running `kind` (bounded
/// handshakes in flight) and waits until all joined and, if `converge`,
/// every directory lists all n.
joined_set connect_all(sim_loop& loop, size_t n, const std::string& prefix,
                       const options& o, bool converge, result& r,
                       const events_for& extra = {},
                       engine kind = engine::library);

result run_connect(const options& o, const target& t);
result run_relay(const options& o, const target& t);
result run_video(const options& o, const target& t);
result run_churn(const options& o, const target& t);

} // namespace bench
