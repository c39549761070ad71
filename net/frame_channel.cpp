#include "net/frame_channel.hpp"

namespace net {

frame_channel::frame_channel(std::optional<tls_channel> tls,
                             uint32_t max_frame_size)
    : tls_(std::move(tls)), decoder_(max_frame_size) {
  // nop
}

frame_channel frame_channel::server(const tls_context& ctx,
                                    uint32_t max_frame_size) {
  return frame_channel{tls_channel::server(ctx), max_frame_size};
}

frame_channel frame_channel::client(const tls_context& ctx,
                                    std::string expected_fingerprint,
                                    uint32_t max_frame_size) {
  return frame_channel{
      tls_channel::client(ctx, std::move(expected_fingerprint)),
      max_frame_size};
}

frame_channel frame_channel::plain(uint32_t max_frame_size) {
  return frame_channel{std::nullopt, max_frame_size};
}

void frame_channel::start() {
  if (tls_)
    tls_->start();
}

bool frame_channel::feed(const char* data, size_t n) {
  if (failed())
    return false;
  if (!tls_)
    return decoder_.feed(data, n);
  bool ok = tls_->feed(data, n);
  // Plaintext that arrived before a TLS failure is still decoded: a QUIT
  // often shares a read with close_notify or a reset.
  // A fresh vector takes the channel's buffer (a swap), so an idle
  // connection keeps no plaintext buffer.
  std::vector<char> plain;
  tls_->read_plaintext(plain);
  if (!plain.empty())
    decoder_.feed(plain.data(), plain.size());
  return ok && !failed();
}

void frame_channel::send_encoded(const char* data, size_t n) {
  if (closed_ || transport_failed())
    return;
  if (corked_)
    corked_out_.insert(corked_out_.end(), data, data + n);
  else if (tls_)
    tls_->write(data, n);
  else
    out_.insert(out_.end(), data, data + n);
}

void frame_channel::uncork() {
  corked_ = false;
  if (corked_out_.empty())
    return;
  // The collected frames go out whole; the buffer goes with them, so a
  // connection between bursts keeps none.
  std::vector<char> frames;
  frames.swap(corked_out_);
  send_encoded(frames.data(), frames.size());
}

bool frame_channel::has_output() const {
  return tls_ ? tls_->has_output() : !out_.empty();
}

void frame_channel::take_output(std::vector<char>& out) {
  if (tls_) {
    tls_->take_output(out);
  } else if (out.empty()) {
    out.swap(out_);
  } else {
    out.insert(out.end(), out_.begin(), out_.end());
    out_.clear();
  }
}

void frame_channel::close() {
  if (closed_)
    return;
  uncork(); // what was sent goes before close_notify
  closed_ = true;
  if (tls_)
    tls_->close();
}

bool frame_channel::transport_failed() const {
  return tls_ && tls_->failed();
}

bool frame_channel::failed() const {
  return transport_failed() || decoder_.failed();
}

caf::error frame_channel::error() const {
  if (transport_failed())
    return tls_->error();
  if (decoder_.failed())
    return make_error(errc::protocol, "malformed stream: " + decoder_.error());
  return caf::error{};
}

bool frame_channel::peer_closed() const {
  return tls_ && tls_->peer_closed();
}

bool frame_channel::established() const {
  return !tls_ || tls_->handshake_done();
}

std::string frame_channel::peer_fingerprint() const {
  return tls_ ? tls_->peer_fingerprint() : std::string{};
}

result<bytes> frame_channel::channel_binding(const std::string& label,
                                             size_t len) const {
  if (!tls_)
    return bytes{};
  return tls_->export_keying_material(label, len);
}

size_t frame_channel::buffered() const {
  return decoder_.buffered() + out_.size() + corked_out_.size() +
         (tls_ ? tls_->buffered() : 0);
}

} // namespace net
