#include "net/video_messages.hpp"

#include "net/frame.hpp"

namespace net {

void append_video_frame(std::vector<char>& out, uint32_t stream_id,
                        uint32_t segment, uint32_t index, uint16_t height,
                        uint64_t pts_us, const char* jpeg, size_t n) {
  // type + stream_id + segment + index + height + pts + jpeg length + jpeg
  auto len = static_cast<uint32_t>(1 + 4 + 4 + 4 + 2 + 8 + 4 + n);
  out.reserve(out.size() + 4 + len);
  wire_writer w{out};
  w.put_int(len);
  w.put_int(video_frame::wire_type);
  w.put_int(stream_id);
  w.put_int(segment);
  w.put_int(index);
  w.put_int(height);
  w.put_int(pts_us);
  w.put_int(static_cast<uint32_t>(n));
  w.put_raw(jpeg, n);
}

uint32_t frame_at_ms(uint32_t fps_milli, int64_t ms) {
  if (ms <= 0 || fps_milli == 0)
    return 0;
  // ms * fps_milli / 1e6, computed without overflow for sane inputs.
  auto x = static_cast<unsigned __int128>(ms) * fps_milli / 1000000u;
  return x > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(x);
}

uint64_t pts_of(uint32_t fps_milli, uint32_t index) {
  if (fps_milli == 0)
    return 0;
  return static_cast<uint64_t>(index) * 1000000000ull / fps_milli;
}

} // namespace net
