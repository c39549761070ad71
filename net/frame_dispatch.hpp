#pragma once

// Typed dispatch of received frames: instead of a hand-written switch over
// wire types, a receiver names the message set it accepts and gets each
// frame decoded to its struct.
//
//   auto err = net::dispatch(net::client_frames{}, f, [&](auto& msg) {
//     handle(msg); // overloads per message type
//   });

#include <cstdio>
#include <string>

#include "net/error.hpp"
#include "net/frame.hpp"
#include "net/messages.hpp"
#include "net/video_messages.hpp"

namespace net {

/// A set of frame types a receiver accepts.
template <class... Ts>
struct frame_set {
  /// Whether `type` is the wire type of one of Ts.
  static constexpr bool contains(uint8_t type) {
    return ((type == Ts::wire_type) || ...);
  }
};

/// Everything a client may send to the server.
using client_frames =
    frame_set<hello, send_message, quit, ping, keys_request,
              video_list_request, play_request, video_ack, video_control>;

/// Everything the server may send to a client (VIDEO_FRAME has a zero-copy
/// decoder of its own, see net/video_messages.hpp).
using server_frames =
    frame_set<welcome, error_frame, directory, deliver, pong, peer_keys,
              video_list, play_started, play_waiting, video_end>;

/// Decodes `f` as `T` and calls `handler(msg)` (a helper of dispatch).
template <class T, class Handler>
[[nodiscard]] caf::error decode_and_call(const frame& f, Handler& handler) {
  auto msg = decode_payload<T>(f);
  if (!msg)
    return std::move(msg.error());
  handler(*msg);
  return caf::error{};
}

/// Decodes `f` as the member of `Set` with its wire type and calls
/// `handler(msg)` with it. Returns errc::protocol, handling nothing, when
/// `f` is of no type in the set or its payload is malformed.
template <class... Ts, class Handler>
[[nodiscard]] caf::error dispatch(frame_set<Ts...>, const frame& f,
                                  Handler&& handler) {
  caf::error err;
  bool known = ((f.type == Ts::wire_type
                     ? (err = decode_and_call<Ts>(f, handler), true)
                     : false) ||
                ...);
  if (!known) {
    char buf[8];
    std::snprintf(buf, sizeof(buf), "0x%02x", f.type);
    return make_error(errc::protocol, std::string{"unknown frame type "} + buf);
  }
  return err;
}

} // namespace net
