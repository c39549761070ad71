// The keys of named users, from the registry: the directory lists names
// only (docs/protocol.md section 6), and a client asks for the keys of
// those it talks to.

#include "actors/session_detail.hpp"

#include <caf/all.hpp>

namespace actors {

void request_keys(session_ptr self, net::keys_request& msg) {
  auto& st = self->state;
  auto most = st.settings->max_keys_per_request;
  if (msg.names.size() > most)
    return emit_error(self, net::errc::rate_limited,
                      "at most " + std::to_string(most) +
                          " names per KEYS request (max-keys-per-request)",
                      false);
  self->request(st.registry, caf::infinite, caf::get_atom::value,
                std::move(msg.names))
      .then([=](const net::peer_keys& keys) { emit(self, keys); });
}

} // namespace actors
