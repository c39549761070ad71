// libFuzzer target: the frame decoder and every payload decoder.
//
// The input is one byte stream, split at a point derived from its last
// byte and fed in two reads (frames straddling reads are the tricky part).
// Every complete frame is then decoded as each message type; a payload that
// decodes must re-encode to the very same bytes (the encoding is canonical).

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "net/frame.hpp"
#include "net/messages.hpp"
#include "net/video_messages.hpp"

namespace {

constexpr uint32_t max_frame_size = 4096;

template <class T>
void try_decode(const net::frame& f) {
  // As framed: the type check must refuse foreign frames without reading.
  auto as_is = net::decode_payload<T>(f);
  if (as_is && f.type != T::wire_type)
    std::abort();
  // As if the type byte matched, to reach every field decoder.
  net::frame g{T::wire_type, f.payload};
  auto x = net::decode_payload<T>(g);
  if (x && net::to_wire(*x) != g.payload)
    std::abort();
}

template <class... Ts>
void try_all(const net::frame& f) {
  (try_decode<Ts>(f), ...);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto bytes = reinterpret_cast<const char*>(data);
  size_t split = size == 0 ? 0 : data[size - 1] % (size + 1);
  net::frame_decoder dec{max_frame_size};
  bool ok = dec.feed(bytes, split) && dec.feed(bytes + split, size - split);
  if (ok == dec.failed())
    std::abort();
  if (dec.buffered() > net::frame_header_size + max_frame_size)
    std::abort();
  while (auto f = dec.next()) {
    if (f->payload.size() + 1 > max_frame_size)
      std::abort();
    try_all<net::hello, net::welcome, net::error_frame, net::directory,
            net::send_message, net::deliver, net::quit, net::ping, net::pong,
            net::keys_request, net::peer_keys,
            net::video_list_request, net::video_list, net::play_request,
            net::play_started, net::video_frame, net::video_ack,
            net::video_control, net::video_end>(*f);
  }
  return 0;
}
