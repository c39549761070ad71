#include "client/menu.hpp"

#include "client/safe_text.hpp"
#include "net/utf8.hpp"

namespace client {

namespace {

constexpr const char* recipients_prompt = "to (one or more names, or 'all'): ";
constexpr const char* video_prompt = "video (number or id, empty to cancel): ";

std::vector<std::string> split_names(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (c == ',' || c == ' ' || c == '\t') {
      if (!cur.empty())
        out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty())
    out.push_back(std::move(cur));
  return out;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos)
    return {};
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

} // namespace

server_pin choose_server_pin(const net::known_servers& known,
                             const std::string& server_id,
                             const std::string& fingerprint, bool accept_new) {
  server_pin result{fingerprint, false};
  std::string pinned;
  if (result.expected.empty() && !accept_new &&
      known.check(server_id, "", &pinned) !=
          net::known_servers::verdict::unknown)
    result.expected = pinned;
  result.pin_on_connect = result.expected.empty() || accept_new;
  return result;
}

bool concerns_playback(net::errc code) {
  // Unknown video or stream, no cache possible, too many playbacks (or the
  // PLAY frame itself dropped by the frame budget), a bad policy. Chat
  // refusals (unknown_peer, recipient_busy) are not among them.
  switch (code) {
  case net::errc::not_found:
  case net::errc::io:
  case net::errc::rate_limited:
  case net::errc::protocol:
    return true;
  default:
    return false;
  }
}

menu::menu(show_fn show, std::string server_id, server_pin pin,
           net::known_servers* known)
    : show_(std::move(show)),
      server_id_(std::move(server_id)),
      pin_(std::move(pin)),
      known_(known) {
  // nop
}

client_events menu::events() {
  client_events ev;
  ev.on_connected = [this](const std::string& fp) { on_connected(fp); };
  ev.on_welcome = [this](const std::string& name) { on_welcome(name); };
  ev.on_name_refused = [this](const std::string& why) { on_name_refused(why); };
  ev.on_error = [this](net::errc code, const std::string& text, bool fatal) {
    on_error(code, text, fatal);
  };
  ev.on_warning = [this](const std::string& text) {
    event("!! " + safe_text(text));
  };
  ev.on_directory = [this](const std::vector<std::string>& joined,
                           const std::vector<std::string>& left,
                           bool snapshot) {
    on_directory(joined, left, snapshot);
  };
  ev.on_message = [this](const std::string& from, const std::string& text,
                         bool verified) {
    // One header per message; its other lines are indented under it.
    event(safe_lines("[" + safe_text(from) +
                         (verified ? "" : " (UNVERIFIED KEY)") + "] ",
                     text));
  };
  ev.on_other_frame = [this](const net::frame& f) {
    video_->on_frame(*core_, f);
  };
  ev.on_keys = [this](const std::string& name, bool online) {
    on_keys(name, online);
  };
  return ev;
}

void menu::attach(client_core& core, playback& video) {
  core_ = &core;
  video_ = &video;
  video_->on_list = [this] { on_video_list(); };
}

void menu::start(const std::string& name) {
  if (name.empty()) {
    state_ = state::naming;
    prompt("your name: ");
  } else {
    state_ = state::connecting;
    core_->choose_name(name);
  }
}

bool menu::ready_for_input() const {
  return state_ == state::naming || state_ == state::main ||
         state_ == state::recipients || state_ == state::text ||
         state_ == state::video_pick;
  // not keys_wait: the message line waits until the keys are in
}

bool menu::is_quit(const std::string& raw) {
  return trim(raw) == "4";
}

void menu::show_menu() {
  prompt("\n1) list clients  2) send message  3) video playback  "
         "4) quit\n> ");
}

// -- the core's events --------------------------------------------------------

void menu::on_connected(const std::string& fp) {
  line("connected to " + server_id_ + ", server fingerprint " + fp);
  if (!pin_.pin_on_connect || known_ == nullptr)
    return;
  if (auto err = known_->pin(server_id_, fp))
    event("!! could not pin the fingerprint of " + server_id_ + " in " +
          known_->path() + ": " + net::describe(err) +
          " -- the next connection will not recognize this server");
  else
    line("pinned this fingerprint for " + server_id_ + " (trust on first use)");
}

void menu::on_welcome(const std::string& name) {
  event("joined as " + safe_text(name));
  state_ = state::main;
  show_menu();
}

void menu::on_name_refused(const std::string& why) {
  event("! " + safe_text(why));
  state_ = state::naming;
  prompt("your name: ");
}

void menu::on_error(net::errc code, const std::string& raw_text, bool fatal) {
  auto text = safe_text(raw_text); // the server's words
  if (!fatal) {
    event("! " + text);
    if (concerns_playback(code))
      video_->on_server_error();
    return;
  }
  if (code == net::errc::pin_mismatch)
    event("! " + text +
          "\n! The server's certificate is not the one pinned for " +
          server_id_ +
          ". If you trust the change, run again with "
          "--accept-new-fingerprint.");
  else
    event("! " + text);
  if (exit_code_ < 0)
    exit_code_ = 2;
}

void menu::on_directory(const std::vector<std::string>& joined,
                        const std::vector<std::string>& left, bool snapshot) {
  if (snapshot) {
    std::string names;
    for (auto& kvp : core_->directory())
      names += (names.empty() ? "" : ", ") + safe_text(kvp.first);
    return event("* online: " + names);
  }
  for (auto& n : joined)
    event("* " + safe_text(n) + " joined");
  for (auto& n : left) {
    event("* " + safe_text(n) + " left");
    // No keys will come for a recipient who left; send_text says so.
    if (keys_wanted_.erase(n) > 0)
      ask_text_when_keys_are_in();
  }
}

void menu::on_video_list() {
  if (state_ != state::video_wait)
    return;
  if (video_->videos().empty()) {
    state_ = state::main;
    return show_menu();
  }
  state_ = state::video_pick;
  prompt(video_prompt);
}

// -- the user's lines ---------------------------------------------------------

void menu::on_line(const std::string& raw) {
  auto text = trim(raw);
  switch (state_) {
  case state::naming:
    if (text.empty())
      return prompt("your name: ");
    state_ = state::connecting;
    return core_->choose_name(text);
  case state::main:
    if (video_->command(*core_, text))
      return show_menu();
    return on_choice(text);
  case state::video_pick:
    if (text.empty() || video_->play(*core_, text)) {
      state_ = state::main;
      return show_menu();
    }
    return prompt(video_prompt);
  case state::recipients:
    return on_recipients(text);
  case state::text:
    return on_text(raw);
  case state::keys_wait: // not ready_for_input(): the line waits
  case state::connecting: // typed before WELCOME
  case state::video_wait:
  case state::quitting:
    return;
  }
}

void menu::on_choice(const std::string& choice) {
  if (choice == "1") {
    list_clients();
  } else if (choice == "2") {
    if (core_->directory().size() <= 1) {
      line("nobody else is online");
    } else {
      state_ = state::recipients;
      return prompt(recipients_prompt);
    }
  } else if (choice == "3") {
    if (video_->playing()) {
      line("a video is playing; type s to stop it first");
    } else {
      state_ = state::video_wait;
      return video_->request_list(*core_);
    }
  } else if (choice == "4") {
    state_ = state::quitting;
    return;
  } else if (choice.rfind("f ", 0) == 0) {
    auto peer = trim(choice.substr(2));
    if (core_->directory().count(peer) == 0) {
      line("unknown name '" + safe_text(peer) + "'");
    } else if (!core_->has_keys(peer)) {
      // The directory lists names; keys come from the server on request.
      fingerprints_wanted_.insert(peer);
      core_->request_keys({peer});
      line("asking the server for the keys of " + safe_text(peer) + "...");
    } else {
      show_fingerprint(peer);
    }
  } else if (choice.rfind("accept ", 0) == 0) {
    auto peer = trim(choice.substr(7));
    // A key that cannot be saved stays blocked; the core has warned.
    if (core_->blocked().count(peer) == 0)
      line("nothing to accept for '" + safe_text(peer) + "'");
    else if (core_->accept_key(peer))
      line("accepted the new key of " + safe_text(peer));
  } else if (!choice.empty()) {
    line("unknown choice '" + safe_text(choice) + "': type 1, 2, 3 or 4");
  }
  show_menu();
}

void menu::on_recipients(const std::string& text) {
  auto names = split_names(text);
  if (names.empty()) {
    state_ = state::main;
    return show_menu();
  }
  std::vector<std::string> unknown;
  if (!(names.size() == 1 && names[0] == "all"))
    for (auto& n : names)
      if (core_->directory().count(n) == 0 || n == core_->name())
        unknown.push_back(n);
  if (!unknown.empty()) {
    std::string online;
    for (auto& kvp : core_->directory())
      if (kvp.first != core_->name())
        online += (online.empty() ? "" : ", ") + safe_text(kvp.first);
    line("unknown name '" + safe_text(unknown[0]) +
         "'; online: " + (online.empty() ? "nobody" : online));
    return prompt(recipients_prompt);
  }
  recipients_ = std::move(names);
  // The directory lists names only: fetch the recipients' keys now, so a
  // changed key is reported before the message is typed and the message
  // goes out as soon as it is.
  std::vector<std::string> peers;
  if (recipients_.size() == 1 && recipients_[0] == "all") {
    for (auto& kvp : core_->directory())
      if (kvp.first != core_->name())
        peers.push_back(kvp.first);
  } else {
    peers = recipients_;
  }
  keys_wanted_.clear();
  for (auto& p : peers)
    if (!core_->has_keys(p))
      keys_wanted_.insert(p);
  core_->request_keys(peers);
  state_ = state::keys_wait;
  ask_text_when_keys_are_in();
}

void menu::ask_text_when_keys_are_in() {
  if (state_ != state::keys_wait || !keys_wanted_.empty())
    return;
  state_ = state::text;
  prompt("message: ");
}

void menu::on_text(const std::string& raw) {
  state_ = state::main;
  if (raw.size() > max_message_bytes) {
    line("message too long (" + std::to_string(raw.size()) +
         " bytes, at most " + std::to_string(max_message_bytes) + ")");
  } else if (!net::is_valid_utf8(raw)) {
    line("message is not valid UTF-8; not sent");
  } else {
    auto report = core_->send_text(recipients_, raw);
    if (!report.sent.empty()) {
      std::string to;
      for (auto& s : report.sent)
        to += (to.empty() ? "" : ", ") + safe_text(s);
      line("sent to " + to);
    }
    if (!report.waiting.empty()) {
      std::string to;
      for (auto& s : report.waiting)
        to += (to.empty() ? "" : ", ") + safe_text(s);
      line("sending to " + to + " as soon as the server has sent the keys");
    }
    for (auto& [peer, why] : report.refused)
      line("NOT sent to " + safe_text(peer) + ": " + safe_text(why));
  }
  show_menu();
}

void menu::show_fingerprint(const std::string& peer) {
  line("key fingerprint of " + safe_text(peer) + ": " +
       core_->fingerprint_of(peer));
  if (peer != core_->name())
    line("safety number with " + safe_text(peer) + ": " +
         core_->safety_number_with(peer) + "  (compare it with " +
         safe_text(peer) + " out of band)");
}

void menu::on_keys(const std::string& name, bool online) {
  if (keys_wanted_.erase(name) > 0)
    ask_text_when_keys_are_in();
  if (fingerprints_wanted_.erase(name) == 0)
    return;
  if (online)
    show_fingerprint(name);
  else
    line(safe_text(name) + " is not online any more");
}

void menu::list_clients() {
  auto& dir = core_->directory();
  line("online (" + std::to_string(dir.size()) + "):");
  for (auto& [name, info] : dir) {
    std::string entry = "  " + safe_text(name);
    if (name == core_->name())
      entry += " (you)";
    if (core_->blocked().count(name) > 0)
      entry +=
          "  [KEY CHANGED - type 'accept " + safe_text(name) + "' to trust]";
    line(entry);
  }
  line("(type 'f NAME' for a fingerprint and safety number)");
}

} // namespace client
