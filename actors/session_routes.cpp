// Where a session's SENDs go. The registry knows every online user's
// session; asking it for each message costs a hop through one actor that
// every message in the server shares. So the first messages to a user go
// through the registry, which hands back the recipient's session after
// delivering them, and later ones go straight there (the session monitors
// it and forgets it when it is down).
//
// Order per pair: a message sent directly must not overtake one still in
// the registry's mailbox. Every ROUTE to a user that asks for the route is
// answered after the registry delivered it, so once all of them are
// answered none is left behind, and only then is the direct route used.

#include "actors/session_detail.hpp"

#include <caf/all.hpp>

namespace actors {

void route_send(session_ptr self, net::send_message& msg) {
  auto& st = self->state;
  if (auto i = st.routes.find(msg.to); i != st.routes.end()) {
    self->send(i->second, net::deliver{st.user, std::move(msg.envelope)},
               error_sink{self}, msg.id);
    return;
  }
  // Ask for the route only while there is room to keep it; a session
  // writing to more users than that routes the rest through the registry.
  auto wait = st.route_waits.find(msg.to);
  bool want = wait != st.route_waits.end() ||
              st.routes.size() + st.route_waits.size() <
                  st.settings->max_cached_routes;
  if (want)
    ++st.route_waits[msg.to];
  self->send(st.registry, route_atom::value, std::move(msg.to), msg.id,
             std::move(msg.envelope), want);
}

void learn_route(session_ptr self, const std::string& name,
                 const recipient& route) {
  auto& st = self->state;
  auto wait = st.route_waits.find(name);
  if (wait == st.route_waits.end())
    return; // not asked for (the registry answers only when asked)
  if (--wait->second > 0)
    return; // earlier messages to `name` may still be in the registry
  st.route_waits.erase(wait);
  if (!route || st.current != session_state::phase::joined)
    return; // not online (the sender was told), or this session is ending
  st.routes.emplace(name, route);
  self->monitor(route);
}

void forget_route(session_ptr self, const caf::actor_addr& who) {
  auto& routes = self->state.routes;
  for (auto i = routes.begin(); i != routes.end(); ++i)
    if (i->second.address() == who) {
      routes.erase(i);
      return;
    }
}

} // namespace actors
