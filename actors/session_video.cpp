// The session's playbacks: list, start (one stream actor per playback,
// within the per-session limit), and the stream table they live in.

#include <algorithm>

#include <caf/all.hpp>

#include "actors/session_detail.hpp"
#include "videos/abr.hpp"

namespace actors {

void list_videos(session_ptr self) {
  auto& st = self->state;
  if (!st.catalog)
    return emit(self, net::video_list{});
  self->request(st.catalog, caf::infinite, net::video_list_request{})
      .then([=](net::video_list& list) { emit(self, list); },
            [=](caf::error& err) {
              emit_error(self, net::code_of(err), net::describe(err), false);
            });
}

void start_playback(session_ptr self, net::play_request req) {
  auto& st = self->state;
  auto& cfg = *st.settings;
  if (!st.catalog)
    return emit_error(self, net::errc::not_found, "no videos on this server",
                      false);
  if (st.streams.size() >= cfg.max_streams)
    return emit_error(self, net::errc::rate_limited,
                      "at most " + std::to_string(cfg.max_streams) +
                          " playbacks at once; stop one first",
                      false);
  auto policy = video::parse_policy(req.policy.empty() ? cfg.default_policy
                                                       : req.policy);
  if (!policy)
    return emit_error(self, net::errc::protocol, net::describe(policy.error()),
                      false);
  auto settings = cfg.stream;
  if (req.buffer_target_ms != 0)
    settings.buffer_target_ms =
        std::clamp(req.buffer_target_ms, settings.min_requested_buffer_ms,
                   settings.max_requested_buffer_ms);
  // The slot is taken now, not when the catalog answers: PLAYs in one
  // read must not all pass the check above.
  auto id = st.next_stream_id++;
  st.streams.emplace(id, video_stream_actor{});
  self->request(st.catalog, caf::infinite, req)
      .then(
          [=](video::video_source_ptr& source) {
            auto& st = self->state;
            auto i = st.streams.find(id);
            if (st.current == session_state::phase::closing ||
                i == st.streams.end())
              return;
            i->second = self->spawn(video_stream, video_sink{self}, id,
                                    std::move(source), *policy, settings);
          },
          [=](caf::error& err) {
            // A PLAY the client stopped while it waited has had its answer.
            if (self->state.streams.erase(id) == 0)
              return;
            emit_error(self, net::code_of(err), net::describe(err), false);
          });
  // Asked after the PLAY, so the catalog has started the build it needs.
  poll_waiting(self, id, req.video);
}

namespace {

bool is_waiting(session_ptr self, uint32_t stream_id) {
  auto& st = self->state;
  auto i = st.streams.find(stream_id);
  return st.current != session_state::phase::closing &&
         i != st.streams.end() && !i->second;
}

} // namespace

void poll_waiting(session_ptr self, uint32_t stream_id,
                  const std::string& video) {
  if (!is_waiting(self, stream_id))
    return;
  self->request(self->state.catalog, caf::infinite, caf::get_atom::value,
                net::play_request{video, "", 0})
      .then(
          [=](net::play_waiting& w) {
            if (w.video.empty() || !is_waiting(self, stream_id))
              return;
            w.stream_id = stream_id;
            emit(self, w);
            self->delayed_send(self, self->state.settings->wait_notice_interval,
                               waiting_atom::value, stream_id, video);
          },
          [](caf::error&) {
            // no notice; the PLAY's own answer says what went wrong
          });
}

void cancel_waiting(session_ptr self, uint32_t stream_id) {
  self->state.streams.erase(stream_id);
  emit(self, net::video_end{stream_id,
                            static_cast<uint8_t>(net::end_reason::stopped), 0,
                            "stopped while the video was being prepared"});
}

} // namespace actors
