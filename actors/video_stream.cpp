#include "actors/video_stream.hpp"

#include <algorithm>

namespace actors {

const char* video_stream_state::name = "video_stream";

namespace {

using self_ptr = video_stream_actor::stateful_pointer<video_stream_state>;

void finish(self_ptr self, net::end_reason reason, std::string text) {
  auto& st = self->state;
  if (st.done)
    return;
  st.done = true;
  // The pacer is linked, but a normal exit does not end linked actors.
  if (st.pacer)
    self->send_exit(st.pacer, caf::exit_reason::user_shutdown);
  net::video_end end;
  end.stream_id = st.id;
  end.reason = static_cast<uint8_t>(reason);
  end.frames_sent = st.frames_sent;
  end.text = std::move(text);
  self->send(st.sink, std::move(end));
  self->quit(caf::exit_reason::normal);
}

void send_next(self_ptr self) {
  auto& st = self->state;
  auto& src = *st.source;
  if (st.done)
    return;
  if (st.next >= src.time.frames) {
    finish(self, net::end_reason::finished, "");
    return;
  }
  auto r = st.abr->choose(st.next);
  auto& rendition = src.renditions[r];
  auto jpeg = rendition.store->frame(src.rendition_frame(r, st.next));
  if (!jpeg) {
    finish(self, net::end_reason::error,
           "cannot read frame " + std::to_string(st.next) + " of " + src.id +
               " " + std::to_string(rendition.height) + "p");
    return;
  }
  outgoing_video_frame f;
  f.stream_id = st.id;
  f.segment = st.segment;
  f.index = st.next;
  f.height = rendition.height;
  f.pts_us = net::pts_of(src.time.fps_milli, st.next);
  f.jpeg = std::move(jpeg);
  st.meter.on_sent(f.jpeg->size());
  self->send(st.sink, std::move(f));
  ++st.next;
  ++st.frames_sent;
  ++st.segment_sent;
  if (st.next >= src.time.frames)
    finish(self, net::end_reason::finished, "");
}

// What may be in flight: half a second of the link's last measured
// capacity (a saturated window, at most 2 s old), in frames of the current
// rendition; otherwise the pacer's own bound. A step down of the link
// then stops the 1080p frames queueing behind the down-switch.
void narrow_window(self_ptr self, caf::actor_clock::time_point now) {
  auto& st = self->state;
  uint32_t frames = 0;
  auto& r = st.source->renditions[st.abr->current()];
  if (st.capacity_kbps > 0 && now - st.capacity_at < std::chrono::seconds{2} &&
      r.bitrate_kbps > 0) {
    auto n = uint64_t{st.capacity_kbps} * st.source->time.fps_milli / 2 /
             (uint64_t{r.bitrate_kbps} * 1000);
    frames = static_cast<uint32_t>(std::clamp<uint64_t>(n, 2, 100000));
  }
  if (frames == st.window)
    return;
  st.window = frames;
  self->send(st.pacer, window_atom::value, frames);
}

// Where the client's playout is, in ms: what it received minus what it
// still buffers; the segment start before its first ack.
int64_t position_ms(self_ptr self) {
  auto& st = self->state;
  auto fps = st.source->time.fps_milli;
  if (!st.have_ack)
    return static_cast<int64_t>(net::pts_of(fps, st.segment_start) / 1000);
  auto received_ms =
      static_cast<int64_t>(net::pts_of(fps, st.last_ack.index + 1) / 1000);
  return std::max<int64_t>(0, received_ms - st.last_ack.buffer_ms);
}

/// a + b, clamped to int64's range (the offset is untrusted input).
int64_t saturating_add(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum))
    return b > 0 ? INT64_MAX : INT64_MIN;
  return sum;
}

void seek_to(self_ptr self, uint32_t segment, int64_t ms) {
  auto& st = self->state;
  auto& t = st.source->time;
  auto idx = net::frame_at_ms(t.fps_milli, ms);
  if (idx >= t.frames) {
    finish(self, net::end_reason::finished,
           "seek to " + std::to_string(ms) + " ms is past the end (" +
               std::to_string(t.duration_ms()) + " ms)");
    return;
  }
  st.segment = segment;
  st.next = idx;
  st.segment_start = idx;
  st.segment_sent = 0;
  st.have_ack = false;
  st.meter.reset();
  self->send(st.pacer, caf::reset_atom::value);
}

} // namespace

net::result<video::abr_policy> make_abr(const video::video_source& source,
                                        const video::policy_spec& policy,
                                        const video::abr_settings& s) {
  std::vector<video::rendition_profile> profiles;
  for (auto& r : source.renditions)
    profiles.push_back({r.height, r.bitrate_kbps});
  return video::abr_policy::make(policy, std::move(profiles),
                                 source.time.frames, source.time.fps_milli, s);
}

pacer_settings make_pacer_settings(const stream_settings& s,
                                   uint32_t fps_milli) {
  pacer_settings pc;
  pc.frame_interval = caf::timespan{
      std::max<int64_t>(1, int64_t{1000000000000} / std::max(fps_milli, 1u))};
  pc.buffer_target_ms = std::max<uint32_t>(s.buffer_target_ms, 1);
  auto target_frames = static_cast<uint32_t>(uint64_t{pc.buffer_target_ms} *
                                             fps_milli / 1000000);
  auto window = s.max_in_flight != 0 ? s.max_in_flight
                                     : std::max<uint32_t>(8, 2 * target_frames);
  pc.max_in_flight =
      std::clamp<uint32_t>(window, 1, std::max(1u, s.max_in_flight_cap));
  pc.band = default_pacer_band(pc.frame_interval, pc.buffer_target_ms);
  return pc;
}

video_stream_actor::behavior_type
video_stream(video_stream_actor::stateful_pointer<video_stream_state> self,
             video_sink sink, uint32_t stream_id,
             video::video_source_ptr source, video::policy_spec policy,
             stream_settings cfg) {
  auto& st = self->state;
  st.sink = std::move(sink);
  st.id = stream_id;
  st.source = std::move(source);
  self->monitor(st.sink);
  self->set_down_handler([=](caf::down_msg& dm) {
    if (dm.source == self->state.sink)
      self->quit(dm.reason);
  });
  if (!st.source || st.source->renditions.empty() ||
      st.source->time.frames == 0) {
    finish(self, net::end_reason::error, "video has no frames");
    return {[](next_atom) {}, [](net::video_ack&) {},
            [](net::video_control&) {}};
  }
  auto pacing = make_pacer_settings(cfg, st.source->time.fps_milli);
  auto abr_cfg = cfg.abr;
  abr_cfg.low_buffer_ms = pacing.buffer_target_ms / 4;
  abr_cfg.high_buffer_ms = pacing.buffer_target_ms * 3 / 4;
  abr_cfg.buffer_target_ms = pacing.buffer_target_ms;
  auto abr = make_abr(*st.source, policy, abr_cfg);
  if (!abr) {
    finish(self, net::end_reason::error, net::describe(abr.error()));
    return {[](next_atom) {}, [](net::video_ack&) {},
            [](net::video_control&) {}};
  }
  st.abr.emplace(std::move(*abr));
  self->send(st.sink, net::play_started{stream_id, st.source->info(),
                                        policy.to_string()});
  st.pacer = self->spawn<caf::linked>(
      frame_pacer, caf::actor_cast<pacer_sink>(self), pacing);
  return {
      [=](next_atom) { send_next(self); },
      [=](net::video_ack& ack) {
        auto& st = self->state;
        // An ack from before the last seek (it crossed the seek on the
        // wire) says nothing about the buffer now: ignored, silently.
        if (ack.stream_id != st.id || st.done || ack.segment != st.segment)
          return;
        st.abr->observe(ack.buffer_ms, ack.throughput_kbps);
        // An index outside what this segment sent confirms nothing.
        if (ack.index < st.segment_start ||
            ack.index >= st.segment_start + st.segment_sent)
          return;
        st.have_ack = true;
        st.last_ack = ack;
        auto received = ack.index - st.segment_start + 1;
        auto now = self->clock().now();
        if (auto kbps = st.meter.on_ack(received, now)) {
          st.abr->observe_capacity(*kbps);
          st.capacity_kbps = *kbps;
          st.capacity_at = now;
        }
        narrow_window(self, now);
        self->send(st.pacer, ack_atom::value, received, ack.buffer_ms);
      },
      [=](net::video_control& ctl) {
        auto& st = self->state;
        if (ctl.stream_id != st.id || st.done)
          return;
        switch (static_cast<net::video_op>(ctl.op)) {
        case net::video_op::pause:
          self->send(st.pacer, pause_atom::value);
          break;
        case net::video_op::resume:
          self->send(st.pacer, resume_atom::value);
          break;
        case net::video_op::seek_relative:
        case net::video_op::seek_absolute:
          // Segments only grow: a seek that does not start a newer one is
          // late or repeated (ignored, silently).
          if (ctl.segment <= st.segment)
            break;
          seek_to(self, ctl.segment,
                  ctl.op == static_cast<uint8_t>(net::video_op::seek_absolute)
                      ? ctl.arg_ms
                      : saturating_add(position_ms(self), ctl.arg_ms));
          break;
        case net::video_op::stop:
          finish(self, net::end_reason::stopped, "stopped by the client");
          break;
        default:
          // Untrusted input: an unknown op changes nothing.
          break;
        }
      },
  };
}

} // namespace actors
