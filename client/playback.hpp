#pragma once

// Video in the console client: the catalog listing, one playback at a time
// through client::video_player, and the console's playback commands.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/client_core.hpp"
#include "client/video_player.hpp"
#include "net/video_messages.hpp"

namespace client {

class playback {
public:
  using print_fn = std::function<void(const std::string&)>;

  playback(player_settings defaults, std::string policy, print_fn print);

  /// Asks the server for its videos; on_list fires when they arrive.
  void request_list(client_core& core);

  /// Starts `choice` (a number from the list, or an id). False with a
  /// reason printed when the choice is not in the list.
  bool play(client_core& core, const std::string& choice);

  /// Video frames from the server (false for other frame types).
  bool on_frame(client_core& core, const net::frame& f);

  /// Playback commands typed in the console while a video plays:
  /// p (pause/resume), + / - (seek 10 s), g SECONDS (go to), s (stop).
  /// False when `line` is not one of them.
  bool command(client_core& core, const std::string& line);

  /// Shows due frames, sends acks; call at next_wakeup() at the latest.
  void tick(client_core& core);

  player_time next_wakeup() const;

  /// The server refused something: a playback not yet started is off.
  void on_server_error();

  /// Abandons the current playback without a summary.
  void cancel();

  bool playing() const {
    return player_ != nullptr;
  }

  const std::vector<net::video_info>& videos() const {
    return videos_;
  }

  /// Fires when the listing arrived (empty = no videos).
  std::function<void()> on_list;
  /// Fires when a playback finished, with its summary printed already.
  std::function<void()> on_finished;

private:
  void send(client_core& core, std::vector<player_output> out);

  player_settings defaults_;
  std::string policy_;
  print_fn print_;
  std::vector<net::video_info> videos_;
  std::unique_ptr<video_player> player_;
  uint32_t stream_id_ = 0;
  /// The id a PLAY_WAITING named while the PLAY waits (for 's' to cancel).
  uint32_t waiting_id_ = 0;
};

} // namespace client
