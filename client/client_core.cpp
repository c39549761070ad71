#include "client/client_core.hpp"

#include <chrono>

#include "net/error.hpp"
#include "net/frame_dispatch.hpp"
#include "net/unicode.hpp"
#include "net/utf8.hpp"

namespace client {

namespace {

uint64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
      .count();
}

} // namespace

client_core::client_core(net::tls_context ctx, std::string expected_fingerprint,
                         net::identity id, trust_store* trust,
                         client_events events, uint32_t max_frame_size)
    : channel_(net::frame_channel::client(ctx, std::move(expected_fingerprint),
                                          max_frame_size)),
      id_(std::move(id)),
      trust_(trust),
      ev_(std::move(events)) {
  // Counters only grow, across restarts too: start from the clock (us).
  using namespace std::chrono;
  counter_ = duration_cast<microseconds>(system_clock::now().time_since_epoch())
                 .count();
}

void client_core::start() {
  channel_.start();
}

void client_core::choose_name(const std::string& name) {
  // The server refuses a name that is not in NFC (it cannot normalize a
  // signed name): typed "Jose" + U+0301 goes out as "José".
  name_ = net::to_nfc(name);
  if (channel_.established())
    send_hello();
  else
    hello_pending_ = true;
}

void client_core::maybe_welcome() {
  if (joined_ || !welcomed_ || !have_snapshot_)
    return;
  joined_ = true;
  if (ev_.on_welcome)
    ev_.on_welcome(name_);
}

void client_core::send_hello() {
  hello_pending_ = false;
  auto binding = channel_.channel_binding(net::channel_binding_label, 32);
  if (!binding)
    return fail("TLS channel binding unavailable", net::errc::tls);
  auto hello = net::signed_hello(id_, name_, *binding);
  if (!hello)
    return fail("cannot sign HELLO: " + net::describe(hello.error()),
                net::code_of(hello.error()));
  send_frame(*hello);
}

void client_core::fail(const std::string& text, net::errc code) {
  if (finished_)
    return;
  finished_ = true;
  if (ev_.on_error)
    ev_.on_error(code, text, true);
}

bool client_core::on_bytes(const char* data, size_t size) {
  if (finished_)
    return false;
  bool was_established = channel_.established();
  channel_.feed(data, size);
  if (channel_.transport_failed()) {
    auto err = channel_.error();
    fail("secure connection failed: " + net::describe(err), net::code_of(err));
    return false;
  }
  if (!was_established && channel_.established()) {
    server_fp_ = channel_.peer_fingerprint();
    if (ev_.on_connected)
      ev_.on_connected(server_fp_);
    if (hello_pending_)
      send_hello();
  }
  // Frames complete before a malformed one still count, as on the server:
  // an ERROR that explains the rest, say.
  while (auto f = channel_.next()) {
    handle_frame(*f);
    if (finished_)
      return false;
  }
  if (channel_.failed()) {
    fail("bad data from the server: " + net::describe(channel_.error()));
    return false;
  }
  if (channel_.peer_closed() && !finished_) {
    finished_ = true;
    if (ev_.on_error)
      ev_.on_error(net::errc::io, "server closed the connection", true);
  }
  return !finished_;
}

void client_core::take_output(std::vector<char>& out) {
  channel_.take_output(out);
}

bool client_core::has_output() const {
  return channel_.has_output();
}

/// Handles each type of net::server_frames once decoded.
struct client_core::frame_handler {
  client_core& core;
  const net::frame& raw; ///< for the player, which decodes its own frames

  void operator()(const net::welcome& msg) {
    core.welcomed_ = true;
    core.name_ = msg.name;
    core.maybe_welcome();
  }

  void operator()(const net::error_frame& msg) {
    auto code = static_cast<net::errc>(msg.code);
    core.last_error_ = code;
    auto& ev = core.ev_;
    if (!core.joined_ && !msg.fatal &&
        (code == net::errc::name_taken || code == net::errc::bad_name)) {
      if (ev.on_name_refused)
        ev.on_name_refused(msg.text);
      return;
    }
    if (msg.fatal)
      core.finished_ = true;
    if (ev.on_error)
      ev.on_error(code, msg.text, msg.fatal);
  }

  void operator()(const net::directory& msg) {
    core.apply_directory(msg);
  }

  void operator()(const net::deliver& msg) {
    core.open_delivery(msg);
  }

  void operator()(const net::pong&) {
    // nop
  }

  void operator()(const net::peer_keys& msg) {
    core.apply_keys(msg);
  }

  void operator()(const net::video_list&) {
    other();
  }

  void operator()(const net::play_started&) {
    other();
  }

  void operator()(const net::play_waiting&) {
    other();
  }

  void operator()(const net::video_end&) {
    other();
  }

  void other() {
    if (core.ev_.on_other_frame)
      core.ev_.on_other_frame(raw);
  }
};

void client_core::handle_frame(const net::frame& f) {
  // Not in net::server_frames: the player decodes video frames without a
  // copy of the image (net/video_messages.hpp).
  if (f.type == net::video_frame::wire_type) {
    if (ev_.on_other_frame)
      ev_.on_other_frame(f);
    return;
  }
  if (auto err =
          net::dispatch(net::server_frames{}, f, frame_handler{*this, f}))
    fail("bad data from the server: " + net::describe(err));
}

void client_core::open_delivery(const net::deliver& d) {
  auto i = directory_.find(d.from);
  if (i == directory_.end()) {
    if (ev_.on_warning)
      ev_.on_warning("dropped a message from '" + d.from +
                     "': not in the directory");
    return;
  }
  if (i->second.ed25519_key.empty()) {
    // Verified once the sender's keys are in (bounded: a flood of
    // messages from unknown keys cannot grow without end).
    if (waiting_ >= max_waiting_for_keys) {
      if (ev_.on_warning)
        ev_.on_warning("dropped a message from '" + d.from +
                       "': too many messages waiting for keys");
      return;
    }
    waiting_delivers_[d.from].push_back(d);
    ++waiting_;
    request_keys({d.from});
    return;
  }
  // The windowed, persistent replay_store decides below; the per-call
  // guard only satisfies open_envelope's strict in-memory check.
  net::replay_guard unused;
  auto opened = net::open_envelope(id_, name_, d.envelope, d.from,
                                   i->second.ed25519_key, unused);
  if (!opened) {
    if (ev_.on_warning)
      ev_.on_warning("REJECTED a message claiming to be from '" + d.from +
                     "': " + net::describe(opened.error()));
    return;
  }
  if (!is_valid_peer_name(opened->sender)) {
    if (ev_.on_warning)
      ev_.on_warning("REJECTED a message from an invalid sender name");
    return;
  }
  switch (replay_->check(opened->sender, opened->counter)) {
  case replay_store::verdict::fresh:
    break;
  case replay_store::verdict::duplicate:
    if (ev_.on_warning)
      ev_.on_warning("REJECTED a replayed message from '" + d.from +
                     "' (counter " + std::to_string(opened->counter) +
                     "): it was already shown");
    return;
  case replay_store::verdict::too_old:
    if (ev_.on_warning)
      ev_.on_warning("REJECTED a message from '" + d.from + "' (counter " +
                     std::to_string(opened->counter) +
                     "): older than the replay window, cannot tell it "
                     "from a replay");
    return;
  }
  if (auto err = replay_->accept(opened->sender, opened->counter))
    if (ev_.on_warning)
      ev_.on_warning(net::describe(err));
  if (!net::is_valid_utf8(opened->text)) {
    if (ev_.on_warning)
      ev_.on_warning("dropped a message from '" + d.from +
                     "': not valid UTF-8");
    return;
  }
  auto now = now_ms();
  auto skew = now > opened->timestamp_ms ? now - opened->timestamp_ms
                                         : opened->timestamp_ms - now;
  if (skew > timestamp_window_ms_ && ev_.on_warning)
    ev_.on_warning(
        "the next message from '" + d.from + "' is dated " +
        std::to_string(skew / 1000) + " s " +
        (now > opened->timestamp_ms ? "in the past" : "in the future") +
        ": a delayed replay, or a wrong clock");
  if (ev_.on_message)
    ev_.on_message(d.from, opened->text, blocked_.count(d.from) == 0);
}

void client_core::apply_directory(const net::directory& d) {
  std::vector<std::string> joined;
  std::vector<std::string> left;
  if (d.snapshot) {
    directory_.clear();
    keys_asked_.clear();
    keys_queue_.clear();
  }
  for (auto& name : d.left.names)
    if (directory_.erase(name) > 0) {
      left.push_back(name);
      // An answer still due is for the session that left: ask again for
      // the next one of the name.
      keys_asked_.erase(name);
      release_waiting(name, true);
    }
  std::vector<std::string> known;
  for (auto& name : d.joined.names) {
    auto [i, is_new] = directory_.try_emplace(name);
    if (name == name_) {
      i->second = {name, id_.x25519_pub, id_.ed25519_pub};
      continue;
    }
    i->second = {name, {}, {}}; // keys: on request
    if (is_new)
      joined.push_back(name);
    // Peers pinned before are checked at once, so a changed key is loud
    // when they (re)join, not only when one next talks to them.
    if (trust_ != nullptr && trust_->knows(name))
      known.push_back(name);
  }
  request_keys(known);
  if (ev_.on_directory && (d.snapshot || !joined.empty() || !left.empty()))
    ev_.on_directory(joined, left, d.snapshot);
  if (d.snapshot) {
    have_snapshot_ = true;
    maybe_welcome();
  }
}

void client_core::request_keys(const std::vector<std::string>& names) {
  for (auto& name : names) {
    auto i = directory_.find(name);
    if (i == directory_.end() || !i->second.x25519_key.empty() ||
        !keys_asked_.insert(name).second)
      continue;
    keys_queue_.push_back(name);
  }
  send_key_requests();
}

void client_core::send_key_requests() {
  while (key_requests_in_flight_ < max_key_requests_in_flight &&
         !keys_queue_.empty()) {
    net::keys_request req;
    while (req.names.size() < keys_request_batch && !keys_queue_.empty()) {
      auto name = std::move(keys_queue_.front());
      keys_queue_.pop_front();
      // Left (or answered) meanwhile: nothing to ask.
      if (keys_asked_.count(name) > 0 && !has_keys(name))
        req.names.push_back(std::move(name));
    }
    if (req.names.empty())
      return;
    channel_.send(req);
    ++key_requests_in_flight_;
  }
}

bool client_core::has_keys(const std::string& peer) const {
  auto i = directory_.find(peer);
  return i != directory_.end() && !i->second.x25519_key.empty();
}

void client_core::apply_keys(const net::peer_keys& k) {
  if (key_requests_in_flight_ > 0)
    --key_requests_in_flight_;
  std::vector<trust_store::pin> new_pins;
  std::vector<std::string> arrived;
  for (auto& p : k.peers) {
    auto i = directory_.find(p.name);
    // Not asked for, or asked for a session that has left since: the next
    // one of the name gets its own answer.
    if (i == directory_.end() || keys_asked_.erase(p.name) == 0)
      continue;
    i->second = p;
    arrived.push_back(p.name);
    if (p.name == name_ || trust_ == nullptr)
      continue;
    switch (trust_->check(p.name, p.x25519_key, p.ed25519_key)) {
    case trust_store::verdict::new_peer:
      new_pins.push_back({p.name, p.x25519_key, p.ed25519_key});
      blocked_.erase(p.name);
      break;
    case trust_store::verdict::same:
      blocked_.erase(p.name);
      break;
    case trust_store::verdict::changed:
      blocked_.insert(p.name);
      if (ev_.on_warning)
        ev_.on_warning("WARNING: the key of '" + p.name +
                       "' CHANGED since you last saw this name. It may "
                       "be a new device or an impostor. Nothing will be "
                       "sent to '" +
                       p.name +
                       "' until you compare safety numbers and accept "
                       "the new key.");
      break;
    }
  }
  // One append and one sync for the whole answer: the keys of a crowd are
  // pinned in one write instead of one file rewrite each.
  if (!new_pins.empty())
    if (auto err = trust_->remember_all(new_pins))
      if (ev_.on_warning)
        ev_.on_warning("could not save the keys of " +
                       std::to_string(new_pins.size()) + " new peer(s) to " +
                       trust_->path() + ": " + net::describe(err) +
                       " -- a later key change would go unnoticed");
  for (auto& name : arrived) {
    release_waiting(name, false);
    if (ev_.on_keys)
      ev_.on_keys(name, true);
  }
  for (auto& name : k.unknown)
    if (keys_asked_.erase(name) > 0) {
      release_waiting(name, true);
      if (ev_.on_keys)
        ev_.on_keys(name, false);
    }
  send_key_requests();
}

void client_core::release_waiting(const std::string& peer, bool gone) {
  if (auto i = waiting_texts_.find(peer); i != waiting_texts_.end()) {
    auto texts = std::move(i->second);
    waiting_texts_.erase(i);
    waiting_ -= texts.size();
    for (auto& text : texts) {
      std::string why = "not online any more";
      if (!gone && seal_to(peer, text, why))
        continue;
      if (ev_.on_warning)
        ev_.on_warning("a message to '" + peer + "' was NOT sent: " + why);
    }
  }
  if (auto i = waiting_delivers_.find(peer); i != waiting_delivers_.end()) {
    auto delivers = std::move(i->second);
    waiting_delivers_.erase(i);
    waiting_ -= delivers.size();
    if (gone) {
      if (ev_.on_warning)
        ev_.on_warning("dropped " + std::to_string(delivers.size()) +
                       " message(s) from '" + peer +
                       "': it left before its keys arrived");
      return;
    }
    for (auto& d : delivers)
      open_delivery(d);
  }
}

bool client_core::seal_to(const std::string& peer, const std::string& text,
                          std::string& why) {
  if (blocked_.count(peer) > 0) {
    why = "key changed and not yet accepted";
    return false;
  }
  auto& keys = directory_.at(peer);
  auto env = net::seal_envelope(id_, name_, peer, keys.x25519_key, ++counter_,
                                now_ms(), text);
  if (!env) {
    why = net::describe(env.error());
    return false;
  }
  channel_.send(net::send_message{next_id_++, peer, std::move(*env)});
  return true;
}

send_report client_core::send_text(const std::vector<std::string>& to,
                                   const std::string& text) {
  send_report report;
  std::vector<std::string> targets;
  if (to.size() == 1 && to[0] == "all") {
    for (auto& kvp : directory_)
      if (kvp.first != name_)
        targets.push_back(kvp.first);
  } else {
    targets = to;
  }
  std::vector<std::string> ask;
  for (auto& peer : targets) {
    if (directory_.count(peer) == 0) {
      report.refused.emplace_back(peer, "not online");
      continue;
    }
    if (peer == name_) {
      report.refused.emplace_back(peer, "that is you");
      continue;
    }
    if (blocked_.count(peer) > 0) {
      report.refused.emplace_back(peer, "key changed and not yet accepted");
      continue;
    }
    if (!has_keys(peer)) {
      if (waiting_ >= max_waiting_for_keys) {
        report.refused.emplace_back(peer, "too many messages waiting for "
                                          "keys; try again in a moment");
        continue;
      }
      waiting_texts_[peer].push_back(text);
      ++waiting_;
      ask.push_back(peer);
      report.waiting.push_back(peer);
      continue;
    }
    std::string why;
    if (seal_to(peer, text, why))
      report.sent.push_back(peer);
    else
      report.refused.emplace_back(peer, why);
  }
  request_keys(ask);
  return report;
}

void client_core::quit() {
  if (finished_)
    return;
  send_frame(net::quit{});
  channel_.close();
  finished_ = true;
}

bool client_core::accept_key(const std::string& peer) {
  auto i = directory_.find(peer);
  if (!has_keys(peer) || trust_ == nullptr)
    return false;
  if (auto err =
          trust_->remember(peer, i->second.x25519_key, i->second.ed25519_key)) {
    if (ev_.on_warning)
      ev_.on_warning("could not save the new key of '" + peer + "' to " +
                     trust_->path() + ": " + net::describe(err));
    return false;
  }
  blocked_.erase(peer);
  return true;
}

std::string client_core::fingerprint_of(const std::string& peer) const {
  auto i = directory_.find(peer);
  if (!has_keys(peer))
    return {};
  return net::key_fingerprint(i->second.x25519_key, i->second.ed25519_key);
}

std::string client_core::safety_number_with(const std::string& peer) const {
  auto i = directory_.find(peer);
  if (!has_keys(peer))
    return {};
  return net::safety_number(name_, {id_.x25519_pub, id_.ed25519_pub}, peer,
                            {i->second.x25519_key, i->second.ed25519_key});
}

} // namespace client
