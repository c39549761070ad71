#include "benchmarks/frame_client.hpp"

#include <algorithm>

#include "net/error.hpp"
#include "net/frame_dispatch.hpp"

namespace bench {

uint32_t name_table::id(const std::string& name) {
  return ids_.try_emplace(name, static_cast<uint32_t>(ids_.size()))
      .first->second;
}

roster::roster(std::shared_ptr<name_table> names) : names_(std::move(names)) {
  // nop
}

bool roster::insert(const std::string& name) {
  auto id = names_->id(name);
  if (id / 64 >= bits_.size())
    bits_.resize(id / 64 + 1);
  auto& word = bits_[id / 64];
  auto bit = uint64_t{1} << (id % 64);
  if (word & bit)
    return false;
  word |= bit;
  ++count_;
  return true;
}

bool roster::erase(const std::string& name) {
  auto id = names_->id(name);
  if (id / 64 >= bits_.size())
    return false;
  auto& word = bits_[id / 64];
  auto bit = uint64_t{1} << (id % 64);
  if (!(word & bit))
    return false;
  word &= ~bit;
  --count_;
  return true;
}

void roster::clear() {
  bits_.clear();
  count_ = 0;
}

frame_client::frame_client(const net::tls_context& ctx,
                           std::string expected_fingerprint, net::identity id,
                           client::client_events ev,
                           std::shared_ptr<name_table> names)
    : channel_(net::frame_channel::client(ctx, std::move(expected_fingerprint),
                                          client::max_server_frame_size)),
      id_(std::move(id)),
      ev_(std::move(ev)),
      directory_(std::move(names)) {
  // nop
}

void frame_client::start() {
  channel_.start();
}

void frame_client::choose_name(const std::string& name) {
  name_ = name;
  if (channel_.established())
    send_hello();
  else
    hello_pending_ = true;
}

void frame_client::send_hello() {
  hello_pending_ = false;
  auto binding = channel_.channel_binding(net::channel_binding_label, 32);
  if (!binding)
    return fail(net::errc::tls, "TLS channel binding unavailable");
  auto hello = net::signed_hello(id_, name_, *binding);
  if (!hello)
    return fail(net::code_of(hello.error()), net::describe(hello.error()));
  channel_.send(*hello);
}

void frame_client::fail(net::errc code, const std::string& text) {
  if (finished_)
    return;
  finished_ = true;
  if (ev_.on_error)
    ev_.on_error(code, text, true);
}

/// Handles each type of net::server_frames once decoded.
struct frame_client::frame_handler {
  frame_client& c;

  void operator()(const net::welcome& msg) {
    c.welcomed_ = true;
    c.name_ = msg.name;
  }

  void operator()(const net::error_frame& msg) {
    if (msg.fatal)
      c.finished_ = true;
    if (c.ev_.on_error)
      c.ev_.on_error(static_cast<net::errc>(msg.code), msg.text, msg.fatal);
  }

  void operator()(const net::directory& msg) {
    c.apply_directory(msg);
  }

  void operator()(const net::deliver& msg) {
    if (c.on_deliver)
      c.on_deliver(msg);
  }

  void operator()(const net::peer_keys& msg) {
    for (auto& p : msg.peers)
      c.keys_[p.name] = p;
  }

  // The frame-level scenarios play no video.
  template <class T>
  void operator()(const T&) {
    // nop
  }
};

bool frame_client::on_bytes(const char* data, size_t size) {
  if (finished_)
    return false;
  bool was_established = channel_.established();
  channel_.feed(data, size);
  if (channel_.transport_failed()) {
    fail(net::code_of(channel_.error()), net::describe(channel_.error()));
    return false;
  }
  if (!was_established && channel_.established()) {
    if (ev_.on_connected)
      ev_.on_connected(channel_.peer_fingerprint());
    if (hello_pending_)
      send_hello();
  }
  while (auto f = channel_.next()) {
    if (auto err =
            net::dispatch(net::server_frames{}, *f, frame_handler{*this}))
      fail(net::errc::protocol, net::describe(err));
    if (finished_)
      return false;
    if (!joined_ && welcomed_ && have_snapshot_) {
      joined_ = true;
      if (ev_.on_welcome)
        ev_.on_welcome(name_);
    }
  }
  if (channel_.failed())
    fail(net::errc::protocol, net::describe(channel_.error()));
  else if (channel_.peer_closed())
    fail(net::errc::io, "server closed the connection");
  return !finished_;
}

void frame_client::apply_directory(const net::directory& d) {
  std::vector<std::string> joined;
  std::vector<std::string> left;
  if (d.snapshot) {
    directory_.clear();
    have_snapshot_ = true;
  }
  for (auto& name : d.left.names)
    if (directory_.erase(name)) {
      left.push_back(name);
      keys_.erase(name);
    }
  for (auto& name : d.joined.names)
    if (directory_.insert(name) && name != name_)
      joined.push_back(name);
  if (ev_.on_directory && (d.snapshot || !joined.empty() || !left.empty()))
    ev_.on_directory(joined, left, d.snapshot);
}

void frame_client::request_keys(const std::vector<std::string>& names) {
  for (size_t i = 0; i < names.size(); i += client::keys_request_batch) {
    auto end = std::min(names.size(), i + client::keys_request_batch);
    channel_.send(net::keys_request{{names.begin() + i, names.begin() + end}});
  }
}

void frame_client::take_output(std::vector<char>& out) {
  channel_.take_output(out);
}

void frame_client::quit() {
  if (finished_)
    return;
  channel_.send(net::quit{});
  channel_.close();
  finished_ = true;
}

void frame_client::send_envelope(const std::string& to,
                                 const net::bytes& envelope) {
  channel_.send(net::send_message{next_id_++, to, envelope});
}

} // namespace bench
