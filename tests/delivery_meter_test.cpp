#define CAF_SUITE delivery_meter
#include <caf/test/unit_test.hpp>

#include "videos/delivery_meter.hpp"

using namespace video;
using namespace std::chrono_literals;

namespace {

const delivery_meter::time_point t0 = delivery_meter::time_point{} + 1000s;

} // namespace

CAF_TEST(a saturated window measures the link) {
  delivery_meter m;
  // a fill: 40 frames of 5000 bytes leave at once
  for (int i = 0; i < 40; ++i)
    m.on_sent(5000);
  CAF_CHECK(!m.on_ack(5, t0)); // opens the first window
  // 250 ms later 20 more frames arrived: 100000 bytes = 3200 kbit/s
  CAF_CHECK_EQUAL(m.on_ack(25, t0 + 250ms), std::optional<uint32_t>{3200});
  // too soon for a window
  CAF_CHECK(!m.on_ack(30, t0 + 300ms));
  CAF_CHECK_EQUAL(m.on_ack(35, t0 + 450ms), std::optional<uint32_t>{2000});
}

CAF_TEST(a window that delivered more than was queued says nothing) {
  delivery_meter m;
  // paced: one frame at a time, each received before the next leaves
  m.on_sent(5000);
  CAF_CHECK(!m.on_ack(1, t0));
  for (int k = 1; k <= 10; ++k) {
    m.on_sent(5000);
    auto s = m.on_ack(1 + k, t0 + k * 40ms);
    CAF_CHECK(!s);
  }
  // no progress: nothing either
  CAF_CHECK(!m.on_ack(11, t0 + 1s));
  CAF_CHECK(!m.on_ack(11, t0 + 2s));
}

CAF_TEST(acks beyond what was sent are clamped and reset forgets) {
  delivery_meter m;
  for (int i = 0; i < 10; ++i)
    m.on_sent(1000);
  CAF_CHECK(!m.on_ack(1, t0));
  // claims 1000 frames; only 10 were sent: 9 frames, 9000 bytes in 1 s
  CAF_CHECK_EQUAL(m.on_ack(1000, t0 + 1s), std::optional<uint32_t>{72});
  m.reset();
  m.on_sent(1000);
  m.on_sent(1000);
  CAF_CHECK(!m.on_ack(0, t0 + 2s));
  CAF_CHECK_EQUAL(m.on_ack(2, t0 + 3s), std::optional<uint32_t>{16});
}
