// video: viewers play a video like the real player does (acks with the
// highest index, a simulated buffer from a playout clock, throughput) and
// count frames that arrive before their playout deadline; and how far each
// steady-state frame's arrival strays from the frame schedule (pacing).

#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>

#include "benchmarks/bench_support.hpp"
#include "benchmarks/scenarios.hpp"
#include "net/video_messages.hpp"

namespace bench {

namespace {

double round2(double x) {
  return std::round(x * 100) / 100;
}

struct viewer {
  uint32_t stream_id = 0;
  bool started = false;
  bool done = false;
  bool stopping = false; ///< stop sent: no more acks
  uint8_t end_reason = 0;
  double fps = 25;
  uint32_t frames_total = 0;
  double t_play = 0;
  double t_first = -1;
  int64_t highest = -1;
  uint64_t received = 0, on_time = 0;
  uint64_t bytes_since_ack = 0, frames_since_ack = 0;
  double t_last_ack = 0;
  std::map<uint16_t, uint64_t> heights;
  /// A run of frames paced from one anchor: from PLAY, a seek or a resume.
  struct arrival {
    uint32_t run;
    uint32_t since_start; ///< index - the run's first index
    bool after_fill;      ///< the run began by filling the buffer
    double at;
  };
  std::vector<arrival> arrivals;
  std::vector<net::video_info> list; ///< warm-up viewer only
  bool have_list = false;
  // --seeks: the segment being received and where it started
  uint32_t segment = 0;
  uint32_t seg_start = 0;
  uint64_t seg_frames = 0;
  double t_seek = -1;       ///< when the pending seek was sent
  bool seek_ready = false;  ///< the current segment is playable
  double next_seek_at = -1; ///< when to seek (or pause) next
  size_t seeks_done = 0;
  // --pauses: the playout clock stops while paused
  uint32_t run = 0, run_start = 0;
  bool run_after_fill = true;
  double paused_at = -1;
  double paused_s = 0; ///< total time paused
  size_t pauses_done = 0;
};

} // namespace

result run_video(const options& o, const target& t) {
  result r;
  auto m = o.clients;
  r.figures["viewers"] = m;
  r.figures["video"] = o.video;
  r.figures["policy"] = o.policy;
  r.figures["startup_buffer_ms"] = o.startup_ms;
  // Acks that cross the server's VIDEO_END are ignored by a server of
  // protocol 3; older ones answered each with a non-fatal not_found, which
  // is counted (acks_refused_after_end) rather than failed. (A PLAY the
  // server cannot serve is not_found too, but then its viewer never
  // finishes, which is an error of its own.)
  r.benign = [](net::errc code) { return code == net::errc::not_found; };
  std::vector<viewer> vs(m + 1); // the last one warms the frame cache
  std::vector<double> startup_ms;
  std::vector<double> seek_first_ms, seek_ready_ms; // --seeks
  // Seeks and pauses are actions; a viewer that has any stops after them.
  bool actions = o.seeks > 0 || o.pauses > 0;
  // Media that makes a segment playable: what the player buffers first.
  auto ready_frames = [&](const viewer& v) {
    return std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(
                                     o.startup_ms / 1000 * v.fps)));
  };
  sim_loop loop{t.host, t.port, t.fingerprint};
  std::vector<sim_client*> cl(m + 1, nullptr);
  auto ack = [&](sim_client& c, viewer& v, double now) {
    // Once the last frame is in there is nothing left to credit, and the
    // server may already have ended the stream (an ack would be refused).
    if (v.highest < 0 || v.done || v.stopping ||
        (v.frames_total > 0 && v.highest + 1 >= int64_t{v.frames_total}))
      return;
    // The playout clock starts startup_ms after a segment's first frame.
    auto clock = v.paused_at >= 0 ? v.paused_at : now;
    auto played_ms = std::max(
        0.0, (clock - v.t_first - v.paused_s) * 1000 - o.startup_ms);
    auto buffered_ms = std::max(
        0.0, (v.highest + 1 - v.seg_start) / v.fps * 1000 - played_ms);
    auto dt = now - v.t_last_ack;
    auto kbps = dt > 0 ? v.bytes_since_ack * 8 / dt / 1000 : 0.0;
    c.core->send_frame(net::video_ack{
        v.stream_id, v.segment, static_cast<uint32_t>(v.highest),
        static_cast<uint32_t>(buffered_ms), static_cast<uint32_t>(kbps)});
    v.bytes_since_ack = v.frames_since_ack = 0;
    v.t_last_ack = now;
  };
  auto on_frame = [&](sim_client& c, const net::frame& f) {
    auto& v = vs[c.idx];
    auto now = now_s();
    switch (f.type) {
    case net::video_list::wire_type: {
      auto l = net::decode_payload<net::video_list>(f);
      if (l)
        v.list = l->videos;
      v.have_list = true;
      return;
    }
    case net::play_started::wire_type: {
      auto p = net::decode_payload<net::play_started>(f);
      if (!p)
        return r.error(c.name + ": malformed PLAY_STARTED");
      v.stream_id = p->stream_id;
      v.started = true;
      v.fps = p->info.fps_milli > 0 ? p->info.fps_milli / 1000.0 : 25;
      v.frames_total = p->info.frames;
      return;
    }
    case net::video_frame::wire_type: {
      auto vf = net::decode_payload<net::video_frame>(f);
      if (!vf)
        return r.error(c.name + ": malformed VIDEO_FRAME");
      if (vf->stream_id != v.stream_id)
        return; // a stopped warm-up stream's last frames
      if (vf->segment != v.segment)
        return; // sent before the server saw the last seek
      if (v.t_first < 0) {
        v.t_first = now;
        v.t_last_ack = now;
        if (c.idx < m && v.segment == 0)
          startup_ms.push_back((now - v.t_play) * 1000);
        if (v.t_seek >= 0)
          seek_first_ms.push_back((now - v.t_seek) * 1000);
      }
      if (v.highest >= 0 && int64_t{vf->index} <= v.highest)
        r.error(c.name + ": frame index " + std::to_string(vf->index) +
                " after " + std::to_string(v.highest));
      auto& j = vf->jpeg;
      if (j.size() < 4 || j[0] != 0xFF || j[1] != 0xD8)
        r.error(c.name + ": frame " + std::to_string(vf->index) +
                " is not a JPEG");
      auto deadline = v.t_first + o.startup_ms / 1000 +
                      (vf->index - v.seg_start) / v.fps;
      if (now <= deadline)
        ++v.on_time;
      v.highest = std::max<int64_t>(v.highest, vf->index);
      v.arrivals.push_back(
          {v.run, vf->index - v.run_start, v.run_after_fill, now});
      ++v.received;
      ++v.heights[vf->height];
      if (actions && !v.seek_ready && ++v.seg_frames >= ready_frames(v)) {
        v.seek_ready = true;
        if (v.t_seek >= 0)
          seek_ready_ms.push_back((now - v.t_seek) * 1000);
        v.next_seek_at = now + o.seek_every;
      }
      v.bytes_since_ack += f.payload.size();
      if (++v.frames_since_ack >= 5)
        ack(c, v, now);
      return;
    }
    case net::play_waiting::wire_type:
      // The warm-up's PLAY waits for the cache build (not measured).
      if (!net::decode_payload<net::play_waiting>(f))
        r.error(c.name + ": malformed PLAY_WAITING");
      return;
    case net::video_end::wire_type: {
      auto e = net::decode_payload<net::video_end>(f);
      if (!e)
        return r.error(c.name + ": malformed VIDEO_END");
      if (v.started && e->stream_id != v.stream_id)
        return;
      v.done = true;
      v.end_reason = e->reason;
      auto stopped = e->reason == static_cast<uint8_t>(net::end_reason::stopped);
      if (c.idx < m && e->reason != 0 && !(actions && stopped))
        r.error(c.name + ": playback ended: " + e->text);
      return;
    }
    default:
      r.error(c.name + ": unexpected frame type " + std::to_string(f.type));
    }
  };
  auto js = connect_all(loop, m + 1, "v", o, false, r, [&](sim_client& c) {
    client::client_events ev;
    auto cp = &c;
    cl[c.idx] = cp;
    ev.on_other_frame = [&, cp](const net::frame& f) { on_frame(*cp, f); };
    return ev;
  });
  if (!js.ok)
    return r;
  auto wait_until = [&](auto pred, double seconds) {
    auto end = now_s() + seconds;
    while (!pred() && now_s() < end)
      loop.poll(5);
    return pred();
  };
  // Warm-up: the catalog builds each rendition's frame cache at first use;
  // that one-off cost is not what this scenario measures.
  auto& wc = *cl[m];
  auto& wv = vs[m];
  wc.core->send_frame(net::video_list_request{});
  loop.flush(wc);
  if (!wait_until([&] { return wv.have_list; }, 30)) {
    r.failures.push_back("no VIDEO_LIST within 30 s");
    return r;
  }
  // A copy: the warm-up below resets `wv`, list included.
  std::optional<net::video_info> info;
  std::string ids;
  for (auto& vi : wv.list) {
    ids += " " + vi.id;
    if (vi.id == o.video)
      info = vi;
  }
  if (!info) {
    r.failures.push_back("video '" + o.video +
                         "' not on the server (has:" + ids + ")");
    return r;
  }
  if (!info->problem.empty()) {
    r.failures.push_back("video '" + o.video +
                         "' is unavailable: " + info->problem);
    return r;
  }
  std::vector<uint16_t> warm = info->heights;
  if (o.policy.rfind("fixed:", 0) == 0)
    warm = {static_cast<uint16_t>(std::stoi(o.policy.substr(6)))};
  auto tw = now_s();
  for (auto h : warm) {
    wv = viewer{};
    wc.core->send_frame(
        net::play_request{o.video, "fixed:" + std::to_string(h), 0});
    loop.flush(wc);
    if (!wait_until([&] { return wv.received > 0 || wv.done; }, 120)) {
      r.failures.push_back("warm-up of " + std::to_string(h) +
                           "p: no frame within 120 s");
      return r;
    }
    if (!wv.done) {
      wv.stopping = true;
      wc.core->send_frame(net::video_control{
          wv.stream_id, 0, static_cast<uint8_t>(net::video_op::stop), 0});
      loop.flush(wc);
      wait_until([&] { return wv.done; }, 10);
    }
  }
  r.figures["warmup_s"] = round2(now_s() - tw);
  r.figures["frames_per_viewer"] = info->frames;
  // --seeks: positions spread over the file (golden-ratio steps, shifted
  // per viewer), away from the last 5 s so each seek has media to play.
  auto control = [&](sim_client& c, viewer& v, net::video_op op) {
    c.core->send_frame(
        net::video_control{v.stream_id, v.segment, static_cast<uint8_t>(op), 0});
    loop.flush(c);
  };
  // --pauses first (each --pause-ms long; frames after a resume are paced
  // from a new anchor), then --seeks, then stop.
  auto next_action = [&](sim_client& c, viewer& v, size_t i, double now) {
    if (v.paused_at >= 0) {
      if (now < v.paused_at + o.pause_ms / 1000)
        return;
      control(c, v, net::video_op::resume);
      v.paused_s += now - v.paused_at;
      v.paused_at = -1;
      ++v.run;
      v.run_start = static_cast<uint32_t>(v.highest + 1);
      v.run_after_fill = false;
      v.next_seek_at = now + o.seek_every;
      return;
    }
    if (now < v.next_seek_at)
      return;
    if (v.pauses_done < o.pauses) {
      ++v.pauses_done;
      control(c, v, net::video_op::pause);
      v.paused_at = now;
      return;
    }
    if (v.seeks_done == o.seeks) {
      v.stopping = true;
      control(c, v, net::video_op::stop);
      return;
    }
    auto span = std::max<double>(0, double(info->duration_ms) - 5000);
    auto f = std::fmod(0.618034 * double(++v.seeks_done) + 0.1 * double(i), 1);
    auto ms = static_cast<int64_t>(f * span);
    v.segment = static_cast<uint32_t>(v.seeks_done);
    v.seg_start = net::frame_at_ms(info->fps_milli, ms);
    ++v.run;
    v.run_start = v.seg_start;
    v.run_after_fill = true;
    v.paused_s = 0;
    v.seg_frames = 0;
    v.highest = int64_t{v.seg_start} - 1;
    v.t_first = -1;
    v.t_seek = now;
    v.seek_ready = false;
    c.core->send_frame(net::video_control{
        v.stream_id, v.segment,
        static_cast<uint8_t>(net::video_op::seek_absolute), ms});
    loop.flush(c);
  };
  auto s0 = t.pid > 0 ? sample_proc(t.pid) : proc_sample{};
  auto b0 = self_cpu_s();
  auto t0 = now_s();
  for (size_t i = 0; i < m; ++i) {
    vs[i].t_play = now_s();
    cl[i]->core->send_frame(net::play_request{o.video, o.policy, 0});
    loop.flush(*cl[i]);
  }
  auto deadline = t0 + info->duration_ms / 1000.0 + o.startup_ms / 1000 + 60;
  auto next_progress = t0 + o.progress;
  size_t done = 0;
  while (done < m && now_s() < deadline) {
    loop.poll(5);
    auto now = now_s();
    done = 0;
    for (size_t i = 0; i < m; ++i) {
      auto& v = vs[i];
      done += v.done || cl[i]->closed;
      if (actions && !v.done && !v.stopping && v.seek_ready)
        next_action(*cl[i], v, i, now);
      if (!v.done && v.frames_since_ack > 0 && now - v.t_last_ack >= 0.2) {
        ack(*cl[i], v, now);
        loop.flush(*cl[i]);
      }
    }
    if (now > next_progress && !o.quiet) {
      next_progress = now + o.progress;
      uint64_t got = 0, ok = 0;
      for (size_t i = 0; i < m; ++i) {
        got += vs[i].received;
        ok += vs[i].on_time;
      }
      std::printf("# video t=%.0fs done=%zu/%zu frames=%llu on_time=%llu\n",
                  now - t0, done, m, (unsigned long long)got,
                  (unsigned long long)ok);
      std::fflush(stdout);
    }
  }
  auto wall = now_s() - t0;
  auto s1 = t.pid > 0 ? sample_proc(t.pid) : proc_sample{};
  uint64_t expected = 0, got = 0, on_time = 0;
  std::map<uint16_t, uint64_t> mix;
  for (size_t i = 0; i < m; ++i) {
    auto& v = vs[i];
    if (!v.done)
      r.error(cl[i]->name + ": playback did not finish");
    expected += v.frames_total;
    got += v.received;
    on_time += v.on_time;
    for (auto& [h, nf] : v.heights)
      mix[h] += nf;
  }
  // Pacing: in steady state frame i should arrive at anchor + i / fps. Per
  // viewer and run (PLAY, a seek and a resume each start one, whose frames
  // count from its first index) the anchor is the median of (arrival -
  // i / fps) over its steady frames (past --steady-after-ms of a run that
  // began by filling the buffer; all of a run after a resume); a frame's
  // deviation is its distance from it. Frames sent in pairs show as gaps
  // near 0 and twice the interval.
  // The pacer may also skip a slot on purpose (a client that reports more
  // than target + band buffered): a gap of 1.5 intervals or more is counted
  // as a skip; every shorter gap's distance from one interval is the frame's
  // slot deviation (pairs show there as a whole interval).
  std::vector<double> dev_ms, gap_ms, slot_dev_ms;
  uint64_t skips = 0;
  for (size_t i = 0; i < m; ++i) {
    auto& v = vs[i];
    auto interval_ms = 1000 / v.fps;
    for (size_t b = 0; b < v.arrivals.size();) {
      auto run = v.arrivals[b].run;
      std::vector<double> offsets;
      double prev = -1;
      size_t e = b;
      for (; e < v.arrivals.size() && v.arrivals[e].run == run; ++e) {
        auto& a = v.arrivals[e];
        if (a.after_fill && a.since_start / v.fps * 1000 < o.steady_after_ms)
          continue;
        offsets.push_back(a.at - a.since_start / v.fps);
        if (prev >= 0) {
          auto gap = (a.at - prev) * 1000;
          gap_ms.push_back(gap);
          if (gap >= 1.5 * interval_ms)
            ++skips;
          else
            slot_dev_ms.push_back(std::abs(gap - interval_ms));
        }
        prev = a.at;
      }
      b = e;
      if (offsets.empty())
        continue;
      auto sorted = offsets;
      auto anchor = percentile(sorted, 0.5);
      for (auto x : offsets)
        dev_ms.push_back(std::abs(x - anchor) * 1000);
    }
  }
  r.figures["pacing_frames"] = dev_ms.size();
  r.figures["pacing_dev_ms_p50"] = round2(percentile(dev_ms, 0.5));
  r.figures["pacing_dev_ms_p99"] = round2(percentile(dev_ms, 0.99));
  r.figures["pacing_dev_ms_max"] = round2(percentile(dev_ms, 1.0));
  r.figures["slot_dev_ms_p50"] = round2(percentile(slot_dev_ms, 0.5));
  r.figures["slot_dev_ms_p99"] = round2(percentile(slot_dev_ms, 0.99));
  r.figures["slot_skips"] = skips;
  r.figures["frame_gap_ms_p10"] = round2(percentile(gap_ms, 0.1));
  r.figures["frame_gap_ms_p50"] = round2(percentile(gap_ms, 0.5));
  r.figures["frame_gap_ms_p90"] = round2(percentile(gap_ms, 0.9));
  r.figures["frames_expected"] = expected;
  r.figures["frames_received"] = got;
  r.figures["frames_on_time"] = on_time;
  r.figures["on_time_pct"] =
      expected > 0 ? round2(100.0 * on_time / expected) : 0.0;
  auto st = startup_ms;
  r.figures["startup_ms_p50"] = round2(percentile(st, 0.5));
  r.figures["startup_ms_p99"] = round2(percentile(st, 0.99));
  if (o.seeks > 0) {
    // With seeks the on-time figures describe segments, not one playback;
    // pacing is judged per segment (after its first --steady-after-ms).
    r.figures["seeks"] = seek_ready_ms.size();
    r.figures["seek_first_frame_ms_p50"] =
        round2(percentile(seek_first_ms, 0.5));
    r.figures["seek_first_frame_ms_p99"] =
        round2(percentile(seek_first_ms, 0.99));
    r.figures["seek_playable_ms_p50"] = round2(percentile(seek_ready_ms, 0.5));
    r.figures["seek_playable_ms_p99"] = round2(percentile(seek_ready_ms, 0.99));
    r.figures["seek_playable_ms_max"] = round2(percentile(seek_ready_ms, 1.0));
    if (seek_ready_ms.size() < m * o.seeks)
      r.error(std::to_string(m * o.seeks - seek_ready_ms.size()) +
              " seeks never became playable");
  }
  nlohmann::ordered_json jm;
  for (auto& [h, nf] : mix)
    jm[std::to_string(h) + "p"] = nf;
  r.figures["rendition_frames"] = jm;
  r.figures["acks_refused_after_end"] = r.benign_count;
  r.figures["wall_s"] = round2(wall);
  r.figures["bench_cpu_pct"] = round2((self_cpu_s() - b0) / wall * 100);
  if (t.pid > 0) {
    auto cpu_pct = (s1.cpu_s - s0.cpu_s) / (s1.t - s0.t) * 100;
    r.figures["server_cpu_pct"] = round2(cpu_pct);
    r.figures["server_cpu_pct_per_viewer"] =
        std::round(cpu_pct / double(m) * 1000) / 1000;
    r.figures["server_rss_mib"] = round2(s1.rss_kb / 1024.0);
  }
  return r;
}

} // namespace bench
