#include "actors/session_detail.hpp"

#include <cstdio>

#include <caf/all.hpp>

#include "net/log.hpp"
#include "net/video_messages.hpp"

namespace actors {

void flush_output(session_ptr self) {
  auto& st = self->state;
  std::vector<char> out;
  st.channel->take_output(out);
  if (out.empty())
    return;
  bool was_empty = st.output.size() == 0;
  st.output.queued(out.size(), self->clock().now());
  if (was_empty) // the write-stall deadline starts
    schedule_deadlines(self);
  caf::anon_send(st.connection, write_atom::value, std::move(out));
  report_backlog(self);
  // Others' chat stops at max_outgoing_bytes (senders hear recipient_busy)
  // and video at half of it, so only what this client causes itself (its
  // replies) or the directory can pass twice the bound.
  if (st.output.size() > 2 * st.settings->max_outgoing_bytes &&
      !st.overflowed && st.current != session_state::phase::closing) {
    // The reason goes last in the queue: a client that resumes reading
    // learns why it was dropped.
    st.overflowed = true;
    emit_error(self, net::errc::overloaded,
               "disconnected: you stopped reading (" +
                   std::to_string(st.output.size()) + " bytes unsent)",
               true);
  }
}

void emit_bytes(session_ptr self, const char* data, size_t size) {
  if (self->state.current == session_state::phase::closing)
    return;
  self->state.channel->send_encoded(data, size);
  flush_output(self);
}

void emit_error(session_ptr self, net::errc code, std::string text, bool fatal,
                uint32_t ref) {
  emit(self, net::error_frame{static_cast<uint8_t>(code), ref, fatal, text});
  if (fatal)
    close(self, text);
}

void close(session_ptr self, const std::string& why) {
  auto& st = self->state;
  if (st.current == session_state::phase::closing)
    return;
  CHAT_LOG(info, "closing " << st.peer
                            << (st.user.empty() ? "" : " (" + st.user + ")")
                            << ": " << why);
  st.current = session_state::phase::closing;
  st.channel->close();
  flush_output(self); // what is queued, then close_notify
  caf::anon_send(st.connection, caf::close_atom::value);
  // Done: the connection flushes what we sent and closes the socket; the
  // registry sees our down_msg if QUIT did not already remove us.
  self->quit();
}

void report_backlog(session_ptr self) {
  auto& st = self->state;
  if (!st.settings->budget)
    return;
  if (auto n = st.output.report_due(backlog_report_granule))
    self->send(st.settings->budget, backlog_atom::value, shed_sink{self}, *n);
}

void relay(session_ptr self, const net::deliver& msg, const error_sink& sender,
           uint32_t id) {
  auto& st = self->state;
  // Fair outbound: what others may queue for this reader is bounded;
  // beyond it the sender is told, and this reader is not evicted.
  auto size = msg.envelope.size() + msg.from.size() + 16;
  if (st.output.size() + size > st.settings->max_outgoing_bytes) {
    self->send(sender,
               net::error_frame{static_cast<uint8_t>(net::errc::recipient_busy),
                                id, false,
                                "'" + st.user +
                                    "' is not keeping up: message not "
                                    "delivered; try again later"});
    return;
  }
  emit(self, msg);
}

void emit_video_frame(session_ptr self, const outgoing_video_frame& f) {
  auto& st = self->state;
  // A slow reader loses video frames (the player counts them as dropped),
  // never chat: half of the backlog bound is for video.
  if (st.output.size() > st.settings->max_outgoing_bytes / 2) {
    ++st.frames_skipped;
    return;
  }
  std::vector<char> buf;
  net::append_video_frame(buf, f.stream_id, f.segment, f.index, f.height,
                          f.pts_us,
                          f.jpeg->data(), f.jpeg->size());
  emit_bytes(self, buf.data(), buf.size());
}

std::string hex_prefix(const std::vector<char>& xs, size_t n) {
  std::string out;
  char buf[4];
  for (size_t i = 0; i < std::min(n, xs.size()); ++i) {
    std::snprintf(buf, sizeof(buf), "%02x", static_cast<uint8_t>(xs[i]));
    out += buf;
  }
  return out;
}

} // namespace actors
