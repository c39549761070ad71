// churn: clients connect, join, send a few messages and leave (QUIT or an
// abrupt close, alternating), continuously; the server must not grow.

#include <cmath>
#include <cstdio>
#include <deque>
#include <iostream>
#include <unordered_map>

#include "benchmarks/bench_support.hpp"
#include "benchmarks/scenarios.hpp"

namespace bench {

namespace {

double round2(double x) {
  return std::round(x * 100) / 100;
}

} // namespace

result run_churn(const options& o, const target& t) {
  result r;
  auto concurrency = std::max<size_t>(1, o.clients);
  r.figures["concurrency"] = concurrency;
  r.figures["duration_s"] = o.duration;
  r.figures["messages_per_connection"] = o.messages;
  sim_loop loop{t.host, t.port, t.fingerprint};
  // The anchor stays for the whole run and receives every message (counted
  // per sender at the DELIVER level: a churner may be gone, and its join
  // delta not yet seen, when its message arrives).
  std::unordered_map<std::string, uint64_t> received;
  uint64_t delivered = 0;
  options anchor_opts = o;
  anchor_opts.quiet = true;
  auto anchor_set =
      connect_all(loop, 1, "anchor", anchor_opts, true, r, {}, engine::frames);
  if (!anchor_set.ok)
    return r;
  auto& anchor = *anchor_set.clients[0];
  anchor.frames->on_deliver = [&](const net::deliver& d) {
    ++received[d.from];
    ++delivered;
  };
  auto settle_until = now_s() + 1;
  while (now_s() < settle_until)
    loop.poll(10);
  auto s0 = t.pid > 0 ? sample_proc(t.pid) : proc_sample{};
  enum class stage { joining, sent, leaving, done };
  struct churner {
    sim_client c;
    stage st = stage::joining;
    double deadline = 0;
    bool abrupt = false;
  };
  std::deque<std::unique_ptr<churner>> live;
  uint64_t started = 0, joins = 0, quits = 0, drops = 0, sent = 0;
  std::vector<double> join_ms;
  loop.on_lost = [&](sim_client& c, const std::string& why) {
    r.error(c.name + ": " + why);
  };
  auto start_one = [&] {
    auto ch = std::make_unique<churner>();
    auto cp = ch.get();
    ch->c.idx = started;
    ch->c.name = "h" + std::to_string(started);
    ch->abrupt = started % 2 == 1;
    ch->deadline = now_s() + 10;
    client::client_events ev;
    ev.on_welcome = [&, cp](const std::string&) {
      cp->c.joined = true;
      ++joins;
      join_ms.push_back((now_s() - cp->c.t_start) * 1000);
      for (size_t i = 0; i < o.messages; ++i) {
        auto rep = cp->c.core->send_text({anchor.name},
                                         "churn message " + std::to_string(i));
        // The first waits for the anchor's keys (KEYS); all go out then.
        if (rep.sent.empty() && rep.waiting.empty())
          r.error(cp->c.name + ": send refused: " +
                  (rep.refused.empty() ? "" : rep.refused[0].second));
        else
          ++sent;
      }
      cp->st = stage::sent;
    };
    ev.on_error = [&, cp](net::errc, const std::string& text, bool) {
      r.error(cp->c.name + ": " + text);
    };
    ev.on_name_refused = [&, cp](const std::string& why) {
      r.error(cp->c.name + ": name refused: " + why);
    };
    if (!loop.open(ch->c, std::move(ev), net::identity::generate())) {
      r.error(ch->c.name + ": no socket");
      return;
    }
    ++started;
    live.push_back(std::move(ch));
  };
  auto t0 = now_s();
  auto end = t0 + o.duration;
  auto next_progress = t0 + o.progress;
  for (;;) {
    auto now = now_s();
    bool running = now < end;
    while (running && live.size() < concurrency)
      start_one();
    for (auto& ch : live) {
      auto& c = ch->c;
      if (ch->st == stage::sent && !c.closed &&
          received[c.name] >= o.messages) {
        if (ch->abrupt) {
          loop.drop(c);
          ++drops;
          ch->st = stage::done;
        } else {
          loop.leave(c);
          ++quits;
          ch->st = stage::leaving;
        }
      }
      if (c.closed && ch->st != stage::done) {
        if (ch->st != stage::leaving)
          r.error(c.name + ": closed before leaving");
        ch->st = stage::done;
      }
      if (ch->st != stage::done && now > ch->deadline) {
        r.error(c.name + ": stuck (joined=" + std::to_string(c.joined) +
                ", received " + std::to_string(received[c.name]) + "/" +
                std::to_string(o.messages) + ")");
        loop.drop(c);
        ch->st = stage::done;
      }
    }
    while (!live.empty() && live.front()->st == stage::done)
      live.pop_front();
    // Finished ones in the middle are skipped later; keep the deque short.
    for (auto it = live.begin(); it != live.end();)
      it = (*it)->st == stage::done ? live.erase(it) : it + 1;
    if (!running && live.empty())
      break;
    loop.poll(1);
    if (now > next_progress && !o.quiet) {
      next_progress = now + o.progress;
      char line[200];
      std::snprintf(line, sizeof(line),
                    "churn t=%.0fs joins=%llu quits=%llu drops=%llu "
                    "errors=%llu",
                    now - t0, (unsigned long long)joins,
                    (unsigned long long)quits, (unsigned long long)drops,
                    (unsigned long long)r.errors);
      std::cout << "# " << line << std::endl;
    }
  }
  auto wall = now_s() - t0;
  auto settle_end = now_s() + o.settle;
  while (now_s() < settle_end)
    loop.poll(50);
  r.loss = sent - delivered;
  r.figures["connects"] = started;
  r.figures["joins"] = joins;
  r.figures["quits"] = quits;
  r.figures["drops"] = drops;
  r.figures["joins_per_s"] = round2(joins / wall);
  r.figures["messages_sent"] = sent;
  r.figures["messages_delivered"] = delivered;
  auto lat = join_ms;
  r.figures["join_ms_p50"] = round2(percentile(lat, 0.5));
  r.figures["join_ms_p99"] = round2(percentile(lat, 0.99));
  auto dir = anchor.frames->directory().size();
  r.figures["anchor_directory_after"] = dir;
  if (dir != 1)
    r.failures.push_back("directory still lists " + std::to_string(dir - 1) +
                         " departed clients after the settle period");
  if (t.pid > 0) {
    auto s1 = sample_proc(t.pid);
    r.figures["server_rss_start_mib"] = round2(s0.rss_kb / 1024.0);
    r.figures["server_rss_end_mib"] = round2(s1.rss_kb / 1024.0);
    r.figures["server_fds_start"] = s0.fds;
    r.figures["server_fds_end"] = s1.fds;
    r.figures["server_cpu_pct"] =
        round2((s1.cpu_s - s0.cpu_s) / (s1.t - s0.t) * 100);
    if (s1.fds > s0.fds + 4) // a few: timers, caches may open lazily
      r.failures.push_back("server has " + std::to_string(s1.fds - s0.fds) +
                           " more open fds after churn");
  }
  return r;
}

} // namespace bench
