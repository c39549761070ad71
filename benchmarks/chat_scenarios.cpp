// connect and relay: joins, directory convergence, end-to-end routing.

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <algorithm>
#include <deque>
#include <iostream>
#include <map>

#include "benchmarks/bench_support.hpp"
#include "benchmarks/scenarios.hpp"
#include "net/envelope.hpp"

namespace bench {

namespace {

double round2(double x) {
  return std::round(x * 100) / 100;
}

void progress(const options& o, const std::string& line) {
  if (!o.quiet)
    std::cout << "# " << line << std::endl;
}

/// The digits after the name prefix: the client's index.
size_t index_of(const std::string& name, size_t prefix_len) {
  return static_cast<size_t>(
      std::strtoull(name.c_str() + prefix_len, nullptr, 10));
}

} // namespace

joined_set connect_all(sim_loop& loop, size_t n, const std::string& prefix,
                       const options& o, bool converge, result& r,
                       const events_for& extra, engine kind) {
  joined_set js;
  auto t_keys = now_s();
  std::vector<net::identity> ids;
  ids.reserve(n);
  for (size_t i = 0; i < n; ++i)
    ids.push_back(net::identity::generate());
  r.figures["keygen_s"] = round2(now_s() - t_keys);
  size_t joined = 0, converged = 0, lost = 0, next = 0;
  auto prev_lost = loop.on_lost;
  loop.on_lost = [&, prev_lost](sim_client& c, const std::string& why) {
    if (!c.joined)
      ++lost;
    if (prev_lost)
      prev_lost(c, why);
    else
      r.error(c.name + ": " + why);
  };
  auto check = [&](sim_client& c) {
    if (!c.converged && c.has_engine() &&
        c.with_engine([](auto& e) { return e.directory().size(); }) == n) {
      c.converged = true;
      if (++converged == n)
        js.t_converged = now_s();
    }
  };
  for (size_t i = 0; i < n; ++i) {
    auto c = std::make_unique<sim_client>();
    c->idx = i;
    c->name = prefix + std::to_string(i);
    c->kind = kind;
    js.clients.push_back(std::move(c));
  }
  js.t0 = now_s();
  auto next_progress = js.t0 + o.progress;
  for (;;) {
    auto now = now_s();
    if (joined + lost >= n && (!converge || converged == n))
      break;
    if (now > js.t0 + o.timeout) {
      r.failures.push_back("connect: after " + std::to_string(o.timeout) +
                           " s only " + std::to_string(joined) + "/" +
                           std::to_string(n) + " joined, " +
                           std::to_string(converged) + " directories complete");
      break;
    }
    while (next < n && next - joined - lost < o.inflight &&
           (o.connect_rate <= 0 ||
            double(next) < o.connect_rate * (now - js.t0) + 1)) {
      auto& c = *js.clients[next];
      auto ev = extra ? extra(c) : client::client_events{};
      auto user_welcome = ev.on_welcome;
      ev.on_welcome = [&, user_welcome, cp = &c](const std::string& name) {
        cp->joined = true;
        cp->t_welcome = now_s();
        js.join_ms.push_back((cp->t_welcome - cp->t_start) * 1000);
        if (++joined == n)
          js.t_all_joined = cp->t_welcome;
        check(*cp);
        if (user_welcome)
          user_welcome(name);
      };
      auto user_dir = ev.on_directory;
      ev.on_directory = [&, user_dir, cp = &c](auto& j, auto& l, bool snap) {
        check(*cp);
        if (user_dir)
          user_dir(j, l, snap);
      };
      auto user_error = ev.on_error;
      ev.on_error = [&, user_error, cp = &c](
                        net::errc code, const std::string& text, bool fatal) {
        if (!fatal && r.benign && r.benign(code))
          ++r.benign_count;
        else
          r.error(cp->name + ": " + text);
        if (user_error)
          user_error(code, text, fatal);
      };
      ev.on_name_refused = [&, cp = &c](const std::string& why) {
        r.error(cp->name + ": name refused: " + why);
      };
      if (!loop.open(c, std::move(ev), std::move(ids[next]))) {
        r.error(c.name + ": no socket: " + std::strerror(errno));
        ++lost;
      }
      ++next;
    }
    loop.poll(1);
    if (now > next_progress) {
      next_progress = now + o.progress;
      progress(o, "connect: " + std::to_string(joined) + "/" +
                      std::to_string(n) + " joined, " +
                      std::to_string(converged) + " directories complete");
    }
  }
  if (joined == n && js.t_all_joined == 0)
    js.t_all_joined = now_s();
  js.ok = joined == n && (!converge || converged == n);
  loop.on_lost = prev_lost;
  return js;
}

void report_join(const joined_set& js, size_t n, result& r) {
  auto lat = js.join_ms;
  r.figures["connects_per_s"] =
      js.t_all_joined > js.t0 ? round2(n / (js.t_all_joined - js.t0)) : 0.0;
  r.figures["all_joined_s"] = round2(js.t_all_joined - js.t0);
  r.figures["convergence_s"] =
      js.t_converged > 0 ? round2(js.t_converged - js.t0) : -1.0;
  r.figures["join_ms_p50"] = round2(percentile(lat, 0.50));
  r.figures["join_ms_p99"] = round2(percentile(lat, 0.99));
  r.figures["join_ms_max"] = round2(percentile(lat, 1.0));
}

result run_connect(const options& o, const target& t) {
  result r;
  if (o.engine != "library" && o.engine != "frames") {
    r.failures.push_back("--engine: library or frames, not '" + o.engine +
                         "'");
    return r;
  }
  auto n = o.clients;
  r.figures["clients"] = n;
  sim_loop loop{t.host, t.port, t.fingerprint};
  proc_sample before, after;
  if (t.pid > 0)
    before = sample_proc(t.pid);
  auto cpu0 = self_cpu_s();
  r.figures["engine"] = o.engine;
  auto js = connect_all(loop, n, "c", o, true, r, {},
                        o.engine == "frames" ? engine::frames
                                             : engine::library);
  r.figures["bench_cpu_s_connect"] = round2(self_cpu_s() - cpu0);
  // Everything the server sent until every directory was complete: TLS
  // handshakes (~4 KB each), WELCOMEs and the directory frames.
  r.figures["bytes_in_connect_mb"] = round2(loop.bytes_in() / 1e6);
  report_join(js, n, r);
  // Let coalesced deltas and write buffers settle before sampling memory.
  auto settle = now_s() + 1;
  while (now_s() < settle)
    loop.poll(10);
  if (t.pid > 0) {
    after = sample_proc(t.pid);
    r.figures["server_rss_before_mib"] = round2(before.rss_kb / 1024.0);
    r.figures["server_rss_after_mib"] = round2(after.rss_kb / 1024.0);
    r.figures["rss_per_client_kib"] =
        round2(double(after.rss_kb - std::min(after.rss_kb, before.rss_kb)) /
               double(n));
    r.figures["server_fds"] = after.fds;
    r.figures["server_cpu_s_connect"] = round2(after.cpu_s - before.cpu_s);
  }
  if (js.ok && o.idle > 0) {
    progress(o, "connect: all joined and converged; idle for " +
                    std::to_string(o.idle) + " s");
    auto s0 = t.pid > 0 ? sample_proc(t.pid) : proc_sample{};
    auto b0 = self_cpu_s();
    auto end = now_s() + o.idle;
    while (now_s() < end)
      loop.poll(100);
    r.figures["idle_s"] = o.idle;
    r.figures["bench_idle_cpu_pct"] =
        round2((self_cpu_s() - b0) / o.idle * 100);
    if (t.pid > 0) {
      auto s1 = sample_proc(t.pid);
      r.figures["server_idle_cpu_pct"] =
          round2((s1.cpu_s - s0.cpu_s) / (s1.t - s0.t) * 100);
      r.figures["server_idle_cpu_s"] = round2(s1.cpu_s - s0.cpu_s);
      // At rest after the storm: what a connection keeps, not its peak.
      r.figures["server_rss_idle_end_mib"] = round2(s1.rss_kb / 1024.0);
      r.figures["rss_per_client_idle_end_kib"] = round2(
          double(s1.rss_kb - std::min(s1.rss_kb, before.rss_kb)) / double(n));
    }
  }
  size_t still = 0;
  for (auto& c : js.clients)
    still += !c->closed;
  if (still != n)
    r.error(std::to_string(n - still) + " connections lost");
  return r;
}

namespace {

struct flow {
  uint32_t from = 0, to = 0;
  std::deque<double> sent_at;
  uint64_t sent = 0, delivered = 0;
  net::bytes envelope; ///< prebuilt mode
};

/// Before the load starts, each flow's sender fetches its recipient's keys
/// (the directory lists names only), so no measured message waits for a
/// KEYS answer. False (with a failure) when they do not come in time.
bool fetch_keys(sim_loop& loop, joined_set& js, const std::vector<flow>& flows,
                const options& o, result& r) {
  auto t0 = now_s();
  std::map<uint32_t, std::vector<std::string>> wanted;
  for (auto& f : flows)
    wanted[f.from].push_back(js.clients[f.to]->name);
  for (auto& [from, names] : wanted) {
    auto& c = *js.clients[from];
    if (c.core)
      c.core->request_keys(names);
    else
      c.frames->request_keys(names);
    loop.flush(c);
  }
  auto has = [&](const flow& f) {
    auto& c = *js.clients[f.from];
    auto& peer = js.clients[f.to]->name;
    return c.core ? c.core->has_keys(peer) : c.frames->keys().count(peer) > 0;
  };
  while (!std::all_of(flows.begin(), flows.end(), has)) {
    if (now_s() > t0 + o.timeout) {
      r.failures.push_back("keys: not every sender got its recipients' keys "
                           "within the timeout");
      return false;
    }
    loop.poll(10);
  }
  r.figures["keys_s"] = round2(now_s() - t0);
  return true;
}

} // namespace

result run_relay(const options& o, const target& t) {
  result r;
  auto n = o.clients;
  auto k = o.fanout;
  bool prebuilt = o.envelopes == "prebuilt";
  r.figures["clients"] = n;
  r.figures["envelopes"] = o.envelopes;
  r.figures["fanout"] = k;
  r.figures["size"] = o.size;
  r.figures["rate_target"] = o.rate;
  r.figures["duration_s"] = o.duration;
  if (o.envelopes != "prebuilt" && o.envelopes != "real") {
    r.failures.push_back("--envelopes must be real or prebuilt");
    return r;
  }
  if (n < 2 || k < 1 || k >= n || (k == 1 && n % 2 != 0)) {
    r.failures.push_back("relay needs an even number of clients >= 2 "
                         "(pairs) or fanout < clients");
    return r;
  }
  // Flow f = sender s to its j-th recipient: pairs are s <-> s^1, fanout
  // sends to the next k clients (mod n).
  std::vector<flow> flows(n * k);
  auto flow_of = [&](size_t s, size_t rcpt) -> flow* {
    if (k == 1)
      return (rcpt == (s ^ 1u)) ? &flows[s] : nullptr;
    auto j = (rcpt + n - s) % n;
    return (j >= 1 && j <= k) ? &flows[s * k + j - 1] : nullptr;
  };
  for (size_t s = 0; s < n; ++s)
    for (size_t j = 1; j <= k; ++j) {
      auto& f = flows[s * k + j - 1];
      f.from = static_cast<uint32_t>(s);
      f.to = static_cast<uint32_t>(k == 1 ? (s ^ 1u) : (s + j) % n);
    }
  std::vector<double> lat;
  lat.reserve(static_cast<size_t>(o.rate * o.duration) + 16);
  uint64_t delivered = 0, sent = 0;
  double t_last = 0;
  auto on_delivery = [&](sim_client& rc, const std::string& from,
                         const std::string* text) {
    auto now = now_s();
    auto s = index_of(from, 1);
    auto f = s < n ? flow_of(s, rc.idx) : nullptr;
    if (!f || f->sent_at.empty())
      return r.error(rc.name + ": unexpected message from " + from);
    if (text) {
      auto seq = std::strtoull(text->c_str(), nullptr, 10);
      if (seq != f->delivered)
        r.error(rc.name + ": from " + from + " got #" + std::to_string(seq) +
                ", expected #" + std::to_string(f->delivered));
    }
    lat.push_back((now - f->sent_at.front()) * 1000);
    f->sent_at.pop_front();
    ++f->delivered;
    ++delivered;
    t_last = now;
  };
  sim_loop loop{t.host, t.port, t.fingerprint};
  auto js = connect_all(
      loop, n, "r", o, true, r,
      [&](sim_client& c) {
        client::client_events ev;
        auto cp = &c;
        ev.on_message = [&, cp](const std::string& from,
                                const std::string& text,
                                bool) { on_delivery(*cp, from, &text); };
        ev.on_warning = [&, cp](const std::string& text) {
          r.error(cp->name + ": " + text);
        };
        return ev;
      },
      prebuilt ? engine::frames : engine::library);
  report_join(js, n, r);
  if (!js.ok)
    return r;
  auto& clients = js.clients;
  if (!fetch_keys(loop, js, flows, o, r))
    return r;
  auto padding = std::string(o.size, 'x');
  if (prebuilt) {
    for (auto& c : clients)
      c->frames->on_deliver = [&, cp = c.get()](const net::deliver& d) {
        on_delivery(*cp, d.from, nullptr);
      };
    for (auto& f : flows) {
      auto& sender = *clients[f.from]->frames;
      auto& peer = clients[f.to]->name;
      auto env = net::seal_envelope(sender.identity(), sender.name(), peer,
                                    sender.keys().at(peer).x25519_key, 1,
                                    0, padding);
      if (!env) {
        r.failures.push_back("cannot seal: " + net::describe(env.error()));
        return r;
      }
      f.envelope = std::move(*env);
    }
  }
  auto s0 = t.pid > 0 ? sample_proc(t.pid) : proc_sample{};
  auto b0 = self_cpu_s();
  auto t0 = now_s();
  auto end = t0 + o.duration;
  auto next_progress = t0 + o.progress;
  size_t rr = 0;
  size_t lat_mark = 0;
  uint64_t progress_delivered = 0;
  double max_lag = 0;
  std::vector<sim_client*> touched;
  std::string text;
  for (auto now = t0; now < end; now = now_s()) {
    auto due = static_cast<uint64_t>((now - t0) * o.rate);
    if (due > sent)
      max_lag = std::max(max_lag, (now - t0) - double(sent) / o.rate);
    while (sent < due) {
      auto& f = flows[rr];
      rr = (rr + 1) % flows.size();
      auto& c = *clients[f.from];
      if (c.closed)
        continue; // counted as an error when it was lost
      f.sent_at.push_back(now);
      if (prebuilt) {
        c.frames->send_envelope(clients[f.to]->name, f.envelope);
      } else {
        text = std::to_string(f.sent) + ' ';
        if (text.size() < o.size)
          text.append(o.size - text.size(), 'x');
        auto rep = c.core->send_text({clients[f.to]->name}, text);
        if (rep.sent.empty()) {
          r.error(c.name + ": send refused");
          f.sent_at.pop_back();
          continue;
        }
      }
      ++f.sent;
      ++sent;
      touched.push_back(&c);
    }
    for (auto c : touched)
      loop.flush(*c);
    touched.clear();
    loop.poll(1);
    if (now > next_progress) {
      std::vector<double> slice(lat.begin() + lat_mark, lat.end());
      lat_mark = lat.size();
      char line[256];
      std::snprintf(line, sizeof(line),
                    "relay t=%.0fs sent=%llu delivered=%llu (%.0f/s) "
                    "p99=%.1fms errors=%llu",
                    now - t0, (unsigned long long)sent,
                    (unsigned long long)delivered,
                    (delivered - progress_delivered) / o.progress,
                    percentile(slice, 0.99), (unsigned long long)r.errors);
      progress_delivered = delivered;
      progress(o, line);
      next_progress = now + o.progress;
    }
  }
  auto drain_end = now_s() + o.drain;
  while (delivered < sent && now_s() < drain_end)
    loop.poll(5);
  auto s1 = t.pid > 0 ? sample_proc(t.pid) : proc_sample{};
  auto wall = now_s() - t0;
  auto bench_cpu = self_cpu_s() - b0;
  r.loss = sent - delivered;
  r.figures["sent"] = sent;
  r.figures["delivered"] = delivered;
  r.figures["send_rate"] = round2(sent / o.duration);
  r.figures["delivered_per_s"] =
      t_last > t0 ? round2(delivered / (t_last - t0)) : 0.0;
  r.figures["latency_ms_p50"] = round2(percentile(lat, 0.50));
  r.figures["latency_ms_p99"] = round2(percentile(lat, 0.99));
  r.figures["latency_ms_p999"] = round2(percentile(lat, 0.999));
  r.figures["latency_ms_max"] = round2(percentile(lat, 1.0));
  r.figures["bench_lag_max_ms"] = round2(max_lag * 1000);
  r.figures["bench_cpu_pct"] = round2(bench_cpu / wall * 100);
  if (t.pid > 0) {
    auto cpu = s1.cpu_s - s0.cpu_s;
    r.figures["server_cpu_pct"] = round2(cpu / (s1.t - s0.t) * 100);
    r.figures["server_cpu_s_per_million"] =
        delivered > 0 ? round2(cpu / (delivered / 1e6)) : 0.0;
    r.figures["server_rss_mib"] = round2(s1.rss_kb / 1024.0);
  }
  return r;
}

} // namespace bench
