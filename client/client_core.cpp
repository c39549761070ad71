#include "client/client_core.hpp"

#include <chrono>

#include "net/crypto.hpp"
#include "net/error.hpp"
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
    : tls_(net::tls_channel::client(ctx, std::move(expected_fingerprint))),
      id_(std::move(id)),
      trust_(trust),
      ev_(std::move(events)),
      decoder_(std::max(max_frame_size, max_server_frame_size)) {
  // Counters only grow, across restarts too: start from the clock (us).
  using namespace std::chrono;
  counter_ = duration_cast<microseconds>(system_clock::now().time_since_epoch())
                 .count();
}

void client_core::start() {
  tls_.start();
}

void client_core::choose_name(const std::string& name) {
  // The server refuses a name that is not in NFC (it cannot normalize a
  // signed name): typed "Jose" + U+0301 goes out as "José".
  name_ = net::to_nfc(name);
  if (tls_.handshake_done())
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
  auto binding = tls_.export_keying_material(net::channel_binding_label, 32);
  if (!binding)
    return fail("TLS channel binding unavailable", net::errc::tls);
  auto transcript = net::hello_transcript(
      net::protocol_version, name_, id_.x25519_pub, id_.ed25519_pub, *binding);
  auto proof =
      net::ed25519_sign(id_.ed25519_priv, transcript.data(), transcript.size());
  if (!proof)
    return fail("cannot sign HELLO: " + net::describe(proof.error()),
                net::code_of(proof.error()));
  send_frame(net::hello{net::protocol_version, name_, id_.x25519_pub,
                        id_.ed25519_pub, *proof});
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
  bool was_done = tls_.handshake_done();
  bool ok = tls_.feed(data, size);
  if (!ok || tls_.failed()) {
    fail("secure connection failed: " + net::describe(tls_.error()),
         net::code_of(tls_.error()));
    return false;
  }
  if (!was_done && tls_.handshake_done()) {
    server_fp_ = tls_.peer_fingerprint();
    if (ev_.on_connected)
      ev_.on_connected(server_fp_);
    if (hello_pending_)
      send_hello();
  }
  std::vector<char> plain;
  tls_.read_plaintext(plain);
  if (!plain.empty() && !decoder_.feed(plain.data(), plain.size())) {
    fail("malformed data from server: " + decoder_.error());
    return false;
  }
  while (auto f = decoder_.next()) {
    handle_frame(*f);
    if (finished_)
      return false;
  }
  if (tls_.peer_closed() && !finished_) {
    finished_ = true;
    if (ev_.on_error)
      ev_.on_error(net::errc::io, "server closed the connection", true);
  }
  return !finished_;
}

void client_core::take_output(std::vector<char>& out) {
  tls_.take_output(out);
}

bool client_core::has_output() const {
  return tls_.has_output();
}

void client_core::write_plain(const char* data, size_t size) {
  tls_.write(data, size);
}

void client_core::handle_frame(const net::frame& f) {
  switch (f.type) {
  case net::welcome::wire_type: {
    auto w = net::decode_payload<net::welcome>(f);
    if (!w)
      return fail("malformed WELCOME");
    welcomed_ = true;
    name_ = w->name;
    return maybe_welcome();
  }
  case net::error_frame::wire_type: {
    auto e = net::decode_payload<net::error_frame>(f);
    if (!e)
      return fail("malformed ERROR frame");
    auto code = static_cast<net::errc>(e->code);
    last_error_ = code;
    if (!joined_ && !e->fatal &&
        (code == net::errc::name_taken || code == net::errc::bad_name)) {
      if (ev_.on_name_refused)
        ev_.on_name_refused(e->text);
      return;
    }
    if (e->fatal)
      finished_ = true;
    if (ev_.on_error)
      ev_.on_error(code, e->text, e->fatal);
    return;
  }
  case net::directory::wire_type: {
    auto d = net::decode_payload<net::directory>(f);
    if (!d)
      return fail("malformed DIRECTORY frame");
    return apply_directory(*d);
  }
  case net::deliver::wire_type: {
    auto d = net::decode_payload<net::deliver>(f);
    if (!d)
      return fail("malformed DELIVER frame");
    if (ev_.on_deliver_raw)
      return ev_.on_deliver_raw(*d);
    auto i = directory_.find(d->from);
    if (i == directory_.end()) {
      if (ev_.on_warning)
        ev_.on_warning("dropped a message from '" + d->from +
                       "': not in the directory");
      return;
    }
    // The windowed, persistent replay_store decides below; the per-call
    // guard only satisfies open_envelope's strict in-memory check.
    net::replay_guard unused;
    auto opened = net::open_envelope(id_, name_, d->envelope, d->from,
                                     i->second.ed25519_key, unused);
    if (!opened) {
      if (ev_.on_warning)
        ev_.on_warning("REJECTED a message claiming to be from '" + d->from +
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
        ev_.on_warning("REJECTED a replayed message from '" + d->from +
                       "' (counter " + std::to_string(opened->counter) +
                       "): it was already shown");
      return;
    case replay_store::verdict::too_old:
      if (ev_.on_warning)
        ev_.on_warning("REJECTED a message from '" + d->from + "' (counter " +
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
        ev_.on_warning("dropped a message from '" + d->from +
                       "': not valid UTF-8");
      return;
    }
    auto now = now_ms();
    auto skew = now > opened->timestamp_ms ? now - opened->timestamp_ms
                                           : opened->timestamp_ms - now;
    if (skew > timestamp_window_ms_ && ev_.on_warning)
      ev_.on_warning(
          "the next message from '" + d->from + "' is dated " +
          std::to_string(skew / 1000) + " s " +
          (now > opened->timestamp_ms ? "in the past" : "in the future") +
          ": a delayed replay, or a wrong clock");
    if (ev_.on_message)
      ev_.on_message(d->from, opened->text, blocked_.count(d->from) == 0);
    return;
  }
  case net::pong::wire_type:
    return;
  default:
    if (ev_.on_other_frame)
      ev_.on_other_frame(f);
  }
}

void client_core::apply_directory(const net::directory& d) {
  std::vector<std::string> joined;
  std::vector<std::string> left;
  std::vector<trust_store::pin> new_pins;
  std::map<std::string, size_t> pending_pins; // name -> index in new_pins
  if (d.snapshot)
    directory_.clear();
  for (auto& name : d.left)
    if (directory_.erase(name) > 0)
      left.push_back(name);
  for (auto& p : d.joined) {
    auto i = directory_.find(p.name);
    bool is_new = i == directory_.end();
    directory_[p.name] = p;
    if (is_new && p.name != name_)
      joined.push_back(p.name);
    if (p.name == name_ || trust_ == nullptr)
      continue;
    auto verdict = trust_->check(p.name, p.x25519_key, p.ed25519_key);
    if (verdict == trust_store::verdict::new_peer) {
      // Pinned at the end of the frame: a name listed twice in one frame
      // must still compare with its first keys.
      auto pending = pending_pins.find(p.name);
      if (pending != pending_pins.end()) {
        auto& first = new_pins[pending->second];
        verdict = first.x25519 == p.x25519_key && first.ed25519 == p.ed25519_key
                      ? trust_store::verdict::same
                      : trust_store::verdict::changed;
      }
    }
    switch (verdict) {
    case trust_store::verdict::new_peer:
      pending_pins.emplace(p.name, new_pins.size());
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
  // One append and one sync for the whole frame: a room of thousands joins
  // in one write instead of thousands of file rewrites.
  if (!new_pins.empty())
    if (auto err = trust_->remember_all(new_pins))
      if (ev_.on_warning)
        ev_.on_warning("could not save the keys of " +
                       std::to_string(new_pins.size()) + " new peer(s) to " +
                       trust_->path() + ": " + net::describe(err) +
                       " -- a later key change would go unnoticed");
  if (ev_.on_directory && (d.snapshot || !joined.empty() || !left.empty()))
    ev_.on_directory(joined, left, d.snapshot);
  if (d.snapshot) {
    have_snapshot_ = true;
    maybe_welcome();
  }
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
  for (auto& peer : targets) {
    auto i = directory_.find(peer);
    if (i == directory_.end()) {
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
    auto env = net::seal_envelope(id_, name_, peer, i->second.x25519_key,
                                  ++counter_, now_ms(), text);
    if (!env) {
      report.refused.emplace_back(peer, net::describe(env.error()));
      continue;
    }
    send_envelope(peer, std::move(*env));
    report.sent.push_back(peer);
  }
  return report;
}

void client_core::send_envelope(const std::string& to, net::bytes envelope) {
  send_frame(net::send_message{next_id_++, to, std::move(envelope)});
}

void client_core::quit() {
  if (finished_)
    return;
  send_frame(net::quit{});
  tls_.close();
  finished_ = true;
}

bool client_core::accept_key(const std::string& peer) {
  auto i = directory_.find(peer);
  if (i == directory_.end() || trust_ == nullptr)
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
  if (i == directory_.end())
    return {};
  return net::key_fingerprint(i->second.x25519_key, i->second.ed25519_key);
}

std::string client_core::safety_number_with(const std::string& peer) const {
  auto i = directory_.find(peer);
  if (i == directory_.end())
    return {};
  return net::safety_number(name_, {id_.x25519_pub, id_.ed25519_pub}, peer,
                            {i->second.x25519_key, i->second.ed25519_key});
}

} // namespace client
