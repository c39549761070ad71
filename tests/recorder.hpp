#pragma once

// A stand-in for a session in actor-level tests: a registry_member that
// records what the registry sends, decoding directory frames with the real
// codec.

#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/registry.hpp"
#include "net/messages.hpp"

namespace test_support {

struct recorder_state {
  std::vector<net::directory> directories;
  std::vector<net::deliver> delivered;
  std::vector<net::error_frame> errors;
  std::vector<caf::error> join_errors;
  /// (name, route) answers to ROUTEs that asked for the route.
  std::vector<std::pair<std::string, actors::recipient>> routes;
  std::vector<net::peer_keys> keys; ///< answers to (get_atom, names)
  int joins_ok = 0;
  static inline const char* name = "recorder";
};

/// A registry member plus one test command: `(join_atom, info, registry)`
/// joins `registry` the way a session does, with a request; and it takes
/// the registry's answers to key requests injected in its name.
using recorder_actor = actors::registry_member::extend<
    caf::reacts_to<caf::join_atom, net::peer_info, actors::registry_actor>,
    caf::reacts_to<net::peer_keys>>;

using recorder_impl = recorder_actor::stateful_base<recorder_state>;

inline recorder_actor::behavior_type
recorder(recorder_actor::stateful_pointer<recorder_state> self) {
  return {
      [=](const net::encoded<net::directory>& f) {
        auto d = f.decode();
        CAF_REQUIRE(d);
        self->state.directories.push_back(std::move(*d));
      },
      [=](net::deliver& d, const actors::error_sink&, uint32_t) {
        self->state.delivered.push_back(std::move(d));
      },
      [=](net::error_frame& e) { self->state.errors.push_back(std::move(e)); },
      [=](net::peer_keys& k) { self->state.keys.push_back(std::move(k)); },
      [=](actors::route_atom, std::string& name, actors::recipient& r) {
        self->state.routes.emplace_back(std::move(name), std::move(r));
      },
      [=](caf::join_atom, net::peer_info& info,
          const actors::registry_actor& reg) {
        self->request(reg, caf::infinite, caf::join_atom::value,
                      std::move(info), actors::registry_member{self})
            .then([=](caf::ok_atom) { ++self->state.joins_ok; },
                  [=](caf::error& err) {
                    self->state.join_errors.push_back(std::move(err));
                  });
      },
  };
}

/// The names a registry holds, sorted (what the suites compare with).
inline std::vector<std::string> online_names(const actors::registry_state& st) {
  std::vector<std::string> names;
  for (auto& kvp : st.entries)
    names.push_back(kvp.first);
  std::sort(names.begin(), names.end());
  return names;
}

/// The set of names a client would hold after applying `dirs` in order.
inline std::vector<std::string> apply(const std::vector<net::directory>& dirs) {
  std::vector<std::string> names;
  for (auto& d : dirs) {
    if (d.snapshot)
      names.clear();
    for (auto& l : d.left.names)
      names.erase(std::remove(names.begin(), names.end(), l), names.end());
    for (auto& j : d.joined.names)
      if (std::find(names.begin(), names.end(), j) == names.end())
        names.push_back(j);
  }
  std::sort(names.begin(), names.end());
  return names;
}

} // namespace test_support
