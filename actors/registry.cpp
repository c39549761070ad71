#include "actors/registry.hpp"

#include <algorithm>

#include <caf/all.hpp>

#include "actors/name_rules.hpp"
#include "net/error.hpp"
#include "net/frame.hpp"
#include "net/log.hpp"

namespace actors {

namespace {

using self_ptr = registry_actor::stateful_pointer<registry_state>;

/// Encodes the pending changes once and hands them to every announced
/// member.
void flush_delta(self_ptr self) {
  auto& st = self->state;
  auto has_audience =
      std::any_of(st.entries.begin(), st.entries.end(),
                  [](auto& kvp) { return kvp.second.announced; });
  if (!has_audience)
    st.pending.clear(); // nobody holds a directory that could go stale
  if (st.pending.empty())
    return;
  // Names only, each list in ascending order (front-coded on the wire);
  // a std::map keeps `pending` sorted.
  net::directory delta;
  for (auto& [name, change] : st.pending) {
    if (change.left)
      delta.left.names.push_back(name);
    if (change.joined && st.entries.count(name) > 0)
      delta.joined.names.push_back(name);
  }
  st.pending.clear();
  auto frame = net::encoded<net::directory>{delta};
  ++st.deltas_sent;
  for (auto& [name, e] : st.entries)
    if (e.announced)
      self->send(e.session, frame);
}

/// Gives each waiting joiner one shared snapshot. A joiner announced here,
/// before the room's delta window ends, gets that delta too: it may repeat
/// names of its snapshot (docs/protocol.md, section 6).
void flush_snapshots(self_ptr self) {
  auto& st = self->state;
  if (st.joiners.empty())
    return;
  net::directory snap;
  snap.snapshot = true;
  snap.joined.names.reserve(st.entries.size());
  for (auto& kvp : st.entries)
    snap.joined.names.push_back(kvp.first);
  std::sort(snap.joined.names.begin(), snap.joined.names.end());
  auto frame = net::encoded<net::directory>{snap};
  ++st.snapshots_sent;
  for (auto& name : st.joiners) {
    auto i = st.entries.find(name);
    if (i == st.entries.end())
      continue; // left before its snapshot went out
    i->second.announced = true;
    self->send(i->second.session, frame);
  }
  st.joiners.clear();
}

/// What is due: the delta first, so a joiner never gets a delta about a
/// batch its snapshot already holds in the same flush.
void flush_due(self_ptr self) {
  auto& st = self->state;
  auto now = self->clock().now();
  if (now >= st.delta_due) {
    st.delta_due = caf::actor_clock::time_point::max();
    flush_delta(self);
  }
  if (now >= st.snapshot_due) {
    st.snapshot_due = caf::actor_clock::time_point::max();
    flush_snapshots(self);
  }
}

net::error_frame unknown_peer(uint32_t id, std::string text) {
  return {static_cast<uint8_t>(net::errc::unknown_peer), id, false,
          std::move(text)};
}

/// How long changes are batched: longer in a larger room, so the directory
/// writes of all members together stay near directory_writes_per_s.
caf::timespan coalesce_window(const registry_state& st) {
  auto& cfg = st.settings;
  auto by_room = std::chrono::duration_cast<caf::timespan>(
      std::chrono::duration<double>(double(st.entries.size()) /
                                    std::max(1.0, cfg.directory_writes_per_s)));
  caf::timespan lo = cfg.coalesce;
  caf::timespan hi = std::max(cfg.coalesce, cfg.coalesce_max);
  return std::clamp(by_room, lo, hi);
}

void schedule_flush(self_ptr self) {
  auto& st = self->state;
  if (st.settings.coalesce.count() == 0) {
    flush_delta(self);
    flush_snapshots(self);
    return;
  }
  auto now = self->clock().now();
  auto arm = [&](caf::actor_clock::time_point& due, caf::timespan window) {
    if (due != caf::actor_clock::time_point::max())
      return; // armed already
    due = now + window;
    self->delayed_send(self, window, caf::flush_atom::value);
  };
  if (!st.pending.empty())
    arm(st.delta_due, coalesce_window(st));
  if (!st.joiners.empty())
    arm(st.snapshot_due, st.settings.coalesce);
}

void remove_entry(self_ptr self, const std::string& name) {
  auto& st = self->state;
  auto i = st.entries.find(name);
  if (i == st.entries.end())
    return;
  self->demonitor(i->second.session.address());
  st.names_by_session.erase(i->second.session.address());
  st.names_by_key.erase(i->second.key);
  st.entries.erase(i);
  st.joiners.erase(std::remove(st.joiners.begin(), st.joiners.end(), name),
                   st.joiners.end());
  auto& change = st.pending[name];
  change.left = true;
  change.joined = false;
  CHAT_LOG(info, "left: " << name << " (" << st.entries.size() << " online)");
  schedule_flush(self);
}

} // namespace

registry_actor::behavior_type registry(self_ptr self,
                                       registry_settings settings) {
  self->state.settings = settings;
  self->set_down_handler([=](const caf::down_msg& msg) {
    auto& st = self->state;
    auto i = st.names_by_session.find(msg.source);
    if (i != st.names_by_session.end()) {
      auto name = i->second; // remove_entry invalidates i
      remove_entry(self, name);
    }
  });
  return {
      [=](caf::join_atom, net::peer_info& info,
          registry_member& session) -> caf::result<caf::ok_atom> {
        auto& st = self->state;
        if (auto err = validate_name(info.name, st.settings.max_name_length))
          return err;
        auto key = uniqueness_key(info.name);
        if (auto i = st.names_by_key.find(key); i != st.names_by_key.end()) {
          if (i->second == info.name)
            return net::make_error(net::errc::name_taken,
                                   "the name '" + info.name +
                                       "' is already online; pick another");
          return net::make_error(net::errc::name_taken,
                                 "'" + info.name + "' looks like '" +
                                     i->second +
                                     "', who is online; pick another");
        }
        if (st.entries.size() >= st.settings.max_clients)
          return net::make_error(net::errc::server_full,
                                 "the server is full (" +
                                     std::to_string(st.settings.max_clients) +
                                     " clients); try again later");
        if (st.names_by_session.count(session.address()) > 0)
          return net::make_error(net::errc::protocol, "already joined");
        self->monitor(session);
        auto name = info.name;
        st.names_by_session.emplace(session.address(), name);
        st.names_by_key.emplace(key, name);
        st.entries.emplace(name, registry_state::entry{session, std::move(info),
                                                       false, std::move(key)});
        st.pending[name].joined = true;
        st.joiners.push_back(name);
        CHAT_LOG(info,
                 "joined: " << name << " (" << st.entries.size() << " online)");
        schedule_flush(self);
        return caf::ok_atom::value;
      },
      [=](caf::leave_atom, const std::string& name) {
        auto& st = self->state;
        auto i = st.entries.find(name);
        // Only the owning session may remove a name.
        if (i != st.entries.end() &&
            i->second.session.address() == self->current_sender())
          remove_entry(self, name);
      },
      [=](route_atom, const std::string& to, uint32_t id,
          net::bytes& envelope, bool want_route) {
        auto& st = self->state;
        // The sender is named by who it is, never by what it claims.
        auto s = st.names_by_session.find(
            caf::actor_cast<caf::actor_addr>(self->current_sender()));
        if (s == st.names_by_session.end())
          return; // not (or no longer) a member
        auto& from = st.entries.at(s->second);
        recipient route; // invalid unless `to` is online
        if (to == from.info.name) {
          self->send(from.session, unknown_peer(id, "you cannot send a message "
                                                    "to yourself"));
        } else if (auto i = st.entries.find(to); i == st.entries.end()) {
          self->send(from.session,
                     unknown_peer(id, "unknown recipient '" + to +
                                          "' (not online)"));
        } else {
          // The sender's session and the message id travel along, so a busy
          // recipient can refuse it to the sender directly.
          route = i->second.session;
          self->send(route, net::deliver{from.info.name, std::move(envelope)},
                     error_sink{from.session}, id);
        }
        if (want_route)
          self->send(from.session, route_atom::value, to, route);
      },
      [=](caf::get_atom,
          const std::vector<std::string>& names) -> net::peer_keys {
        auto& st = self->state;
        net::peer_keys result;
        if (st.names_by_session.count(caf::actor_cast<caf::actor_addr>(
                self->current_sender())) == 0)
          return result; // members only
        for (auto& name : names)
          if (auto i = st.entries.find(name); i != st.entries.end())
            result.peers.push_back(i->second.info);
          else
            result.unknown.push_back(name);
        return result;
      },
      [=](caf::flush_atom) { flush_due(self); },
      [=](caf::get_atom) -> std::vector<std::string> {
        std::vector<std::string> names;
        for (auto& kvp : self->state.entries)
          names.push_back(kvp.first);
        std::sort(names.begin(), names.end());
        return names;
      },
  };
}

} // namespace actors
