#define CAF_SUITE video_messages
#include <caf/test/unit_test.hpp>

#include "net/frame.hpp"
#include "net/video_messages.hpp"
#include "tests/round_trip.hpp"

using namespace net;
using test_support::round_trip;

CAF_TEST(every video message survives a round trip) {
  video_info info{"video_1", {240, 720, 1080}, 10000, 25000, 250, ""};
  CAF_CHECK_EQUAL(round_trip(video_list_request{}), video_list_request{});
  video_list l{{info, {"video_2", {240}, 400, 25000, 10, "why"}}};
  CAF_CHECK_EQUAL(round_trip(l), l);
  play_request p{"2", "fixed:720", 3000};
  CAF_CHECK_EQUAL(round_trip(p), p);
  play_started s{7, info, "thirds"};
  CAF_CHECK_EQUAL(round_trip(s), s);
  video_frame vf{7, 3, 42, 720, 1680000, bytes(1000, 0xd8)};
  CAF_CHECK_EQUAL(round_trip(vf), vf);
  video_ack a{7, 3, 41, 1960, 5200};
  CAF_CHECK_EQUAL(round_trip(a), a);
  video_control c{7, 4, static_cast<uint8_t>(video_op::seek_relative),
                  -10000};
  CAF_CHECK_EQUAL(round_trip(c), c);
  video_end e{7, static_cast<uint8_t>(end_reason::finished), 250, "done"};
  CAF_CHECK_EQUAL(round_trip(e), e);
  CAF_CHECK_EQUAL(video_frame::wire_type, 0x92);
  CAF_CHECK_EQUAL(video_ack::wire_type, 0x12);
}

CAF_TEST(append_video_frame is byte identical to append_frame) {
  std::vector<char> jpeg(3000);
  for (size_t i = 0; i < jpeg.size(); ++i)
    jpeg[i] = static_cast<char>(i * 31);
  video_frame vf{0x01020304, 0x0E0F1011, 0xA0B0C0D0, 1080, 0x1122334455667788,
                 bytes(jpeg.begin(), jpeg.end())};
  std::vector<char> want{'x'};
  append_frame(want, vf);
  std::vector<char> got{'x'};
  append_video_frame(got, vf.stream_id, vf.segment, vf.index, vf.height,
                     vf.pts_us,
                     jpeg.data(), jpeg.size());
  CAF_CHECK_EQUAL(got, want);
  std::vector<char> empty_want, empty_got;
  append_frame(empty_want, video_frame{1, 5, 2, 3, 4, {}});
  append_video_frame(empty_got, 1, 5, 2, 3, 4, nullptr, 0);
  CAF_CHECK_EQUAL(empty_got, empty_want);
}

CAF_TEST(timeline helpers agree between server and client) {
  CAF_CHECK_EQUAL(frame_at_ms(25000, 0), 0u);
  CAF_CHECK_EQUAL(frame_at_ms(25000, -5000), 0u);
  CAF_CHECK_EQUAL(frame_at_ms(25000, 39), 0u);
  CAF_CHECK_EQUAL(frame_at_ms(25000, 40), 1u);
  CAF_CHECK_EQUAL(frame_at_ms(25000, 10000), 250u);
  CAF_CHECK_EQUAL(frame_at_ms(29970, 1000), 29u);
  CAF_CHECK_EQUAL(pts_of(25000, 1), 40000u);
  CAF_CHECK_EQUAL(pts_of(29970, 30), 1001001u);
}
