// chat-bench: drives many simulated clients (the real client library: TLS,
// framing, protocol; for prebuilt envelopes a frame-level client of the
// bench's own) against chat-server and prints what it measured.

#include <cstdio>
#include <iostream>
#include <sstream>

#include <boost/program_options.hpp>

#include "benchmarks/bench_support.hpp"
#include "benchmarks/scenarios.hpp"

namespace po = boost::program_options;

namespace {

const char* scenarios_help = R"(scenarios:
  connect  N clients connect, finish TLS, join; waits until every client's
           directory lists all N. Reports connects/s, time to convergence,
           join latency (connect start -> WELCOME + snapshot), server RSS per
           client 1 s after convergence, and server CPU (% and CPU-s) and
           RSS per client at the end while the N clients sit idle (--idle).
  relay    N clients in pairs (or each to the next --fanout K clients) send
           --size byte messages at an aggregate --rate SENDs/s, open loop
           (scheduled by time) for --duration s. --envelopes real seals every
           message (client_core::send_text, recipient verifies + decrypts);
           prebuilt seals once per flow and resends it (the bench's frame-
           level client; delivery counted at the DELIVER frame). Reports
           delivered/s, loss after --drain s, latency p50/p99/p999 (send
           time kept in a FIFO per flow: TCP and the server keep per-pair
           order), server CPU-seconds per million messages, errors.
  video    N viewers play --video with --policy; frames are checked (index
           increasing, JPEG marker, no decode), acked like the real player
           (every 5 frames or 200 ms: highest index, buffer from a playout
           clock, throughput). A frame is on time if it arrives before
           first-frame time + --startup-ms + index/fps. Reports on-time %,
           startup time, rendition mix, server CPU per viewer. The bench runs
           make-sample-videos (--seconds) for a server it starts, and warms
           the frame cache with one playback before measuring.
  churn    keeps N clients cycling for --duration s: connect, join, send
           --messages to an anchor client, leave by QUIT or abrupt close
           (alternating). Reports joins/s, server RSS and fds before and
           after (--settle), errors, whether the directory emptied.
  smoke    each scenario at small scale against its own server (CTest);
           fails on loss, errors or convergence failure only.

Without --port the bench starts BUILD/chat-server --port 0 with a temporary
data and videos directory and these defaults (override with --server-arg):
--message-rate 1000000 --message-burst 1000000 (the token bucket would
otherwise refuse a benchmark's rates) --max-clients 12000 --max-unjoined 4096
--max-unjoined-per-address 4096 --connect-rate-per-address 1000000
--connect-burst-per-address 1000000 (every simulated client comes from
127.0.0.1) --log-level warning.
Exit code: 1 on loss > 0, errors > 0 or a convergence failure; never on speed.
)";

struct run_config {
  std::string scenario;
  bench::options o;
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string fingerprint;
  std::string server_bin;
  std::vector<std::string> server_args;
  double sample_seconds = 10;
  double sample_fps = 25;
  bool keep_tmp = false;
};

void print_table(const std::string& title, const nlohmann::ordered_json& j) {
  std::cout << "== " << title << " ==\n";
  for (auto& [k, v] : j.items()) {
    if (k == "scenario")
      continue;
    std::string value = v.is_string() ? v.get<std::string>() : v.dump();
    std::printf("  %-28s %s\n", k.c_str(), value.c_str());
  }
}

int run_one(const run_config& rc) {
  bench::server_process server;
  server.keep_dir = rc.keep_tmp;
  bench::target t{rc.host, rc.port, rc.fingerprint, -1};
  std::string server_cmd = "external";
  if (rc.port == 0) {
    std::string err;
    auto samples = rc.scenario == "video" ? rc.sample_seconds : 0.0;
    if (!server.start(rc.server_bin, rc.server_args, samples, err,
                      rc.sample_fps)) {
      std::cerr << "chat-bench: cannot start the server: " << err << "\n";
      return 1;
    }
    t = {server.host(), server.port(), server.fingerprint(), server.pid()};
    server_cmd.clear();
    for (auto& a : server.args())
      server_cmd += (server_cmd.empty() ? "" : " ") + a;
    if (!rc.o.quiet)
      std::cout << "# server: " << server_cmd << "\n";
  }
  bench::result r;
  try {
    if (rc.scenario == "connect")
      r = bench::run_connect(rc.o, t);
    else if (rc.scenario == "relay")
      r = bench::run_relay(rc.o, t);
    else if (rc.scenario == "video")
      r = bench::run_video(rc.o, t);
    else if (rc.scenario == "churn")
      r = bench::run_churn(rc.o, t);
  } catch (const std::exception& e) {
    r.failures.push_back(std::string{"exception: "} + e.what());
  }
  nlohmann::ordered_json j;
  j["scenario"] = rc.scenario;
  for (auto& [k, v] : r.figures.items())
    j[k] = v;
  j["loss"] = r.loss;
  j["errors"] = r.errors;
  j["failures"] = r.failures;
  if (!r.error_samples.empty())
    j["error_samples"] = r.error_samples;
  j["server"] = server_cmd;
  print_table(rc.scenario, j);
  std::cout << j.dump() << std::endl;
  return (r.loss > 0 || r.errors > 0 || !r.failures.empty()) ? 1 : 0;
}

int run_smoke(run_config base) {
  base.o.quiet = true;
  base.o.progress = 1e9;
  auto t0 = bench::now_s();
  int failed = 0;
  auto step = [&](const std::string& scenario, auto tweak) {
    auto rc = base;
    rc.scenario = scenario;
    tweak(rc);
    failed += run_one(rc) != 0;
  };
  step("connect", [](run_config& rc) {
    rc.o.clients = 50;
    rc.o.idle = 1;
  });
  for (auto mode : {"real", "prebuilt"})
    step("relay", [mode](run_config& rc) {
      rc.o.clients = 20;
      rc.o.duration = 2;
      rc.o.rate = 500;
      rc.o.envelopes = mode;
    });
  step("video", [](run_config& rc) {
    rc.o.clients = 3;
    rc.o.policy = "fixed:240";
    rc.sample_seconds = 2;
  });
  step("churn", [](run_config& rc) {
    rc.o.clients = 5;
    rc.o.duration = 3;
    rc.o.settle = 1;
  });
  std::printf("smoke: %d of 5 runs failed, %.1f s\n", failed,
              bench::now_s() - t0);
  return failed == 0 ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
  run_config rc;
  auto& o = rc.o;
  uint32_t port = 0;
  po::options_description desc{"chat-bench SCENARIO [options]"};
  // clang-format off
  desc.add_options()
    ("help,h", "print this help and exit")
    ("clients,n", po::value(&o.clients)->default_value(o.clients),
     "clients (connect, relay), viewers (video), concurrent clients (churn)")
    ("duration", po::value(&o.duration)->default_value(o.duration),
     "relay and churn: seconds of load")
    ("rate", po::value(&o.rate)->default_value(o.rate),
     "relay: aggregate SENDs per second (each SEND is one envelope)")
    ("size", po::value(&o.size)->default_value(o.size),
     "relay: plaintext bytes per message")
    ("fanout", po::value(&o.fanout)->default_value(o.fanout),
     "relay: recipients per sender (1 = fixed pairs)")
    ("envelopes", po::value(&o.envelopes)->default_value(o.envelopes),
     "relay: real (seal each message) | prebuilt (seal once per flow)")
    ("engine", po::value(&o.engine)->default_value(o.engine),
     "connect: library (the client library: keys, trust store, full "
     "directory) | frames (the bench's frame-level client: names only, a "
     "bit per name; for 10,000 clients)")
    ("idle", po::value(&o.idle)->default_value(o.idle),
     "connect: seconds the joined clients sit idle while server CPU is "
     "measured")
    ("inflight", po::value(&o.inflight)->default_value(o.inflight),
     "connects (TCP + TLS + HELLO) in flight at once")
    ("connect-rate", po::value(&o.connect_rate)->default_value(o.connect_rate),
     "connects started per second at most (0 = bounded by --inflight only)")
    ("timeout", po::value(&o.timeout)->default_value(o.timeout),
     "seconds allowed for all clients to join and converge")
    ("drain", po::value(&o.drain)->default_value(o.drain),
     "relay: seconds to wait for undelivered messages at the end")
    ("settle", po::value(&o.settle)->default_value(o.settle),
     "churn: seconds to wait before the final server sample")
    ("messages", po::value(&o.messages)->default_value(o.messages),
     "churn: messages each connection sends before leaving")
    ("video", po::value(&o.video)->default_value(o.video),
     "video: video id to play")
    ("policy", po::value(&o.policy)->default_value(o.policy),
     "video: fixed:<height> | adaptive | thirds")
    ("startup-ms", po::value(&o.startup_ms)->default_value(o.startup_ms),
     "video: playout starts this long after the first frame")
    ("steady-after-ms",
     po::value(&o.steady_after_ms)->default_value(o.steady_after_ms),
     "video: pacing figures count frames past this much media time")
    ("seeks", po::value(&o.seeks)->default_value(o.seeks),
     "video: seeks per viewer, to positions spread over the file; reports "
     "how long until the first frame and until --startup-ms of media "
     "arrived (then stops)")
    ("pauses", po::value(&o.pauses)->default_value(o.pauses),
     "video: pauses per viewer (before the seeks), each --pause-ms long and "
     "--seek-every s after the last; pacing after a resume counts from it")
    ("pause-ms", po::value(&o.pause_ms)->default_value(o.pause_ms),
     "video: length of each pause")
    ("seek-every", po::value(&o.seek_every)->default_value(o.seek_every),
     "video: seconds of playback between one seek becoming playable and "
     "the next (pacing after a seek: more than --steady-after-ms)")
    ("seconds", po::value(&rc.sample_seconds)->default_value(10),
     "video: length of the sample videos the bench generates")
    ("sample-fps", po::value(&rc.sample_fps)->default_value(25),
     "video: frame rate of the synthetic sample (video_2) it generates")
    ("progress", po::value(&o.progress)->default_value(o.progress),
     "seconds between progress lines")
    ("host", po::value(&rc.host)->default_value(rc.host),
     "server address (with --port)")
    ("port", po::value(&port)->default_value(0),
     "target a running server; 0 = start one (then server metrics)")
    ("fingerprint", po::value(&rc.fingerprint),
     "pin the target's certificate (default: accept any)")
    ("server-bin", po::value(&rc.server_bin),
     "chat-server to start (default: next to chat-bench)")
    ("server-arg", po::value(&rc.server_args)->composing(),
     "extra chat-server argument, e.g. --server-arg=--scheduler-threads=1 "
     "(repeatable; overrides the bench defaults)")
    ("keep-tmp", po::bool_switch(&rc.keep_tmp),
     "keep the temporary server directory (server.log)");
  // clang-format on
  po::options_description hidden;
  hidden.add_options()("scenario", po::value(&rc.scenario));
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("scenario", 1);
  po::variables_map vm;
  try {
    po::store(
        po::command_line_parser(argc, argv).options(all).positional(pos).run(),
        vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << "chat-bench: " << e.what() << "\n";
    return 2;
  }
  if (vm.count("help") || rc.scenario.empty()) {
    std::cout << desc << "\n" << scenarios_help;
    return rc.scenario.empty() && !vm.count("help") ? 2 : 0;
  }
  if (port > 65535) {
    std::cerr << "chat-bench: --port out of range\n";
    return 2;
  }
  rc.port = static_cast<uint16_t>(port);
  if (rc.server_bin.empty())
    rc.server_bin = bench::self_dir() + "/chat-server";
  auto limit = bench::raise_fd_limit();
  if (!o.quiet && rc.scenario != "smoke")
    std::cout << "# open files limit " << limit << "\n";
  if (rc.scenario == "smoke")
    return run_smoke(rc);
  if (rc.scenario != "connect" && rc.scenario != "relay" &&
      rc.scenario != "video" && rc.scenario != "churn") {
    std::cerr << "chat-bench: unknown scenario '" << rc.scenario
              << "' (see --help)\n";
    return 2;
  }
  return run_one(rc);
}
