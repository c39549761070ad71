#include "net/frame.hpp"

#include <algorithm>

namespace net {

frame_decoder::frame_decoder(uint32_t max_frame_size)
    : max_frame_size_(max_frame_size) {
  // nop
}

bool frame_decoder::feed(const char* data, size_t size) {
  while (size > 0 && !failed()) {
    if (header_fill_ < frame_header_size) {
      auto n = std::min(size, frame_header_size - header_fill_);
      std::copy(data, data + n, header_ + header_fill_);
      header_fill_ += n;
      data += n;
      size -= n;
      if (header_fill_ < frame_header_size)
        break;
      auto u = [&](int i) {
        return static_cast<uint32_t>(static_cast<uint8_t>(header_[i]));
      };
      uint32_t len = (u(0) << 24) | (u(1) << 16) | (u(2) << 8) | u(3);
      if (len == 0) {
        error_ = "frame length 0";
        return false;
      }
      if (len > max_frame_size_) {
        error_ = "frame of " + std::to_string(len) +
                 " bytes exceeds the maximum of " +
                 std::to_string(max_frame_size_);
        return false;
      }
      current_.type = static_cast<uint8_t>(header_[4]);
      payload_size_ = len - 1;
      current_.payload.clear();
      // The header only claims a size: reserve what has arrived, not what
      // the peer announced (up to max_frame_size_ per connection).
      current_.payload.reserve(std::min(payload_size_, size));
    }
    auto n = std::min(size, payload_size_ - current_.payload.size());
    current_.payload.insert(current_.payload.end(), data, data + n);
    data += n;
    size -= n;
    if (current_.payload.size() == payload_size_) {
      ready_.push_back(std::move(current_));
      current_ = frame{};
      header_fill_ = 0;
      payload_size_ = 0;
    }
  }
  return !failed();
}

std::optional<frame> frame_decoder::next() {
  if (ready_.empty())
    return std::nullopt;
  auto f = std::move(ready_.front());
  ready_.pop_front();
  return f;
}

} // namespace net
