#pragma once

// A stand-in for a session in actor-level tests: records what the registry
// sends, decoding shared directory frames with the real codec.

#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "net/frame.hpp"
#include "net/messages.hpp"

namespace test_support {

struct recorder_state {
  std::vector<net::directory> directories;
  std::vector<net::deliver> delivered;
  std::vector<net::error_frame> errors;
  std::vector<caf::error> join_errors;
  int joins_ok = 0;
  static inline const char* name = "recorder";
};

inline caf::behavior recorder(caf::stateful_actor<recorder_state>* self) {
  return {
      [=](const actors::shared_frame& f) {
        net::frame_decoder dec{1 << 24};
        CAF_REQUIRE(dec.feed(f.bytes->data(), f.bytes->size()));
        auto fr = dec.next();
        CAF_REQUIRE(fr);
        auto d = net::decode_payload<net::directory>(*fr);
        CAF_REQUIRE(d);
        self->state.directories.push_back(std::move(*d));
      },
      [=](net::deliver& d, const caf::actor&, uint32_t) {
        self->state.delivered.push_back(std::move(d));
      },
      [=](net::error_frame& e) { self->state.errors.push_back(std::move(e)); },
      // test command: join `reg` the way a session does, with a request
      [=](caf::join_atom, net::peer_info& info, const caf::actor& reg) {
        self->request(reg, caf::infinite, caf::join_atom::value,
                      std::move(info), caf::actor{self})
            .then([=](caf::ok_atom) { ++self->state.joins_ok; },
                  [=](caf::error& err) {
                    self->state.join_errors.push_back(std::move(err));
                  });
      },
  };
}

/// The set of names a client would hold after applying `dirs` in order.
inline std::vector<std::string> apply(const std::vector<net::directory>& dirs) {
  std::vector<std::string> names;
  for (auto& d : dirs) {
    if (d.snapshot)
      names.clear();
    for (auto& l : d.left)
      names.erase(std::remove(names.begin(), names.end(), l), names.end());
    for (auto& j : d.joined)
      if (std::find(names.begin(), names.end(), j.name) == names.end())
        names.push_back(j.name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

} // namespace test_support
