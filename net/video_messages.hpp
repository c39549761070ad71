#pragma once

// Frame types of video playback (0x10-0x1f client->server, 0x90-0x9f
// server->client). Same conventions as net/messages.hpp: one struct per
// frame type, shared by the wire codec, the actors and the tests.

#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "net/messages.hpp"
#include "net/wire.hpp"

namespace net {

/// C->S: asks for the list of videos.
struct video_list_request {
  static constexpr uint8_t wire_type = 0x10;
  CHATROOM_NO_FIELDS(video_list_request)
};

/// Metadata of one video: its renditions and its timeline (real frame count
/// and rate, not the container's estimate).
struct video_info {
  std::string id;
  std::vector<uint16_t> heights; ///< ascending
  uint64_t duration_ms = 0;
  uint32_t fps_milli = 0; ///< frames per 1000 s
  uint32_t frames = 0;    ///< frames on the timeline
  /// Empty: playable. Otherwise why the server will not play it (e.g. its
  /// renditions disagree on duration); the other fields may then be 0.
  std::string problem;
  CHATROOM_FIELDS(video_info, id, heights, duration_ms, fps_milli, frames,
                  problem)
};

/// S->C: every playable video.
struct video_list {
  static constexpr uint8_t wire_type = 0x90;
  std::vector<video_info> videos;
  CHATROOM_FIELDS(video_list, videos)
};

/// C->S: start a playback.
struct play_request {
  static constexpr uint8_t wire_type = 0x11;
  std::string video; ///< an id, or a number n meaning "video_n"
  /// "" (server default), "thirds", "fixed:<h>", "adaptive", "bba"
  std::string policy;
  uint32_t buffer_target_ms = 0; ///< 0 = server default
  CHATROOM_FIELDS(play_request, video, policy, buffer_target_ms)
};

/// S->C: a playback started; frames of `stream_id` follow.
struct play_started {
  static constexpr uint8_t wire_type = 0x91;
  uint32_t stream_id = 0;
  video_info info;
  std::string policy; ///< the policy in effect, e.g. "thirds"
  CHATROOM_FIELDS(play_started, stream_id, info, policy)
};

/// S->C: one JPEG frame at timeline position `index`.
struct video_frame {
  static constexpr uint8_t wire_type = 0x92;
  uint32_t stream_id = 0;
  /// The segment this frame belongs to: 0 from PLAY, then the `segment` of
  /// the seek that started it (frames of an older segment were in flight).
  uint32_t segment = 0;
  uint32_t index = 0;
  uint16_t height = 0; ///< rendition the frame comes from
  uint64_t pts_us = 0; ///< index / fps, in microseconds
  bytes jpeg;
  CHATROOM_FIELDS(video_frame, stream_id, segment, index, height, pts_us, jpeg)
};

/// C->S: progress report; grants the server credit for more frames.
struct video_ack {
  static constexpr uint8_t wire_type = 0x12;
  uint32_t stream_id = 0;
  uint32_t segment = 0;         ///< of the frames it reports on
  uint32_t index = 0;           ///< highest index received
  uint32_t buffer_ms = 0;       ///< media time buffered, not yet shown
  uint32_t throughput_kbps = 0; ///< measured receive rate, 0 = unknown
  CHATROOM_FIELDS(video_ack, stream_id, segment, index, buffer_ms,
                  throughput_kbps)
};

/// Operations of `video_control::op`.
enum class video_op : uint8_t {
  pause = 1,
  resume = 2,
  seek_relative = 3,
  seek_absolute = 4,
  stop = 5,
};

/// C->S: pause, resume, seek or stop a playback.
struct video_control {
  static constexpr uint8_t wire_type = 0x13;
  uint32_t stream_id = 0;
  /// Seeks: the segment the seek starts, above every earlier one (a seek
  /// that is not is late or repeated, and ignored). Other ops: the segment
  /// the client last saw (informational; they apply whatever it is).
  uint32_t segment = 0;
  uint8_t op = 0;     ///< video_op
  int64_t arg_ms = 0; ///< seek offset or position
  CHATROOM_FIELDS(video_control, stream_id, segment, op, arg_ms)
};

/// Reasons of `video_end::reason`.
enum class end_reason : uint8_t {
  finished = 0,
  stopped = 1,
  error = 2,
};

/// S->C: the playback is over; no more frames of `stream_id` follow.
struct video_end {
  static constexpr uint8_t wire_type = 0x93;
  uint32_t stream_id = 0;
  uint8_t reason = 0; ///< end_reason
  uint32_t frames_sent = 0;
  std::string text;
  CHATROOM_FIELDS(video_end, stream_id, reason, frames_sent, text)
};

/// S->C: a PLAY waits while the server prepares its video (builds the
/// frame cache: every frame decoded and JPEG-encoded once); sent when the
/// wait starts and then every `video-wait-notice-ms` until PLAY_STARTED or
/// VIDEO_END. VIDEO_CONTROL stop with `stream_id` cancels the PLAY.
struct play_waiting {
  static constexpr uint8_t wire_type = 0x94;
  uint32_t stream_id = 0;     ///< the id PLAY_STARTED will carry
  std::string video;          ///< the video's id
  uint16_t done_permille = 0; ///< how much of the preparation is done
  uint32_t remaining_ms = 0;  ///< estimated time left; 0 = not known yet
  CHATROOM_FIELDS(play_waiting, stream_id, video, done_permille, remaining_ms)
};

/// Appends a complete video_frame frame, byte-identical to
/// `append_frame(out, video_frame{...})`, copying the JPEG only once.
void append_video_frame(std::vector<char>& out, uint32_t stream_id,
                        uint32_t segment, uint32_t index, uint16_t height,
                        uint64_t pts_us, const char* jpeg, size_t n);

/// Timeline index shown at `ms` (floor), clamped at 0; may be >= frames
/// (past the end). Server and client share it so a seek lands identically.
uint32_t frame_at_ms(uint32_t fps_milli, int64_t ms);

/// Presentation time of timeline index `index`, in microseconds.
uint64_t pts_of(uint32_t fps_milli, uint32_t index);

} // namespace net
