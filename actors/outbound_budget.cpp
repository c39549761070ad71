#include "actors/outbound_budget.hpp"

#include <caf/all.hpp>

#include "net/log.hpp"

namespace actors {

namespace {

using self_ptr =
    outbound_budget_actor::stateful_pointer<outbound_budget_state>;

/// Sheds the largest backlogs until the sum of the others fits.
void enforce(self_ptr self) {
  auto& st = self->state;
  // Bytes of sessions already told to shed leave when they close.
  auto pending = st.total;
  for (auto& kvp : st.sessions)
    if (kvp.second.shed)
      pending -= kvp.second.backlog;
  while (pending > st.max_total) {
    outbound_budget_state::entry* largest = nullptr;
    for (auto& kvp : st.sessions)
      if (!kvp.second.shed &&
          (largest == nullptr || kvp.second.backlog > largest->backlog))
        largest = &kvp.second;
    if (largest == nullptr || largest->backlog == 0)
      return;
    largest->shed = true;
    ++st.sheds;
    pending -= largest->backlog;
    CHAT_LOG(warning, "outbound budget: " << st.total << " bytes queued for "
                                          << st.sessions.size()
                                          << " clients; shedding the largest ("
                                          << largest->backlog << " bytes)");
    // Sessions are untyped actors (typed actors may only send() to typed
    // ones): the message goes without a sender.
    caf::anon_send(largest->session, shed_atom::value);
  }
}

void forget(self_ptr self, const caf::actor_addr& who) {
  auto& st = self->state;
  auto i = st.sessions.find(who);
  if (i == st.sessions.end())
    return;
  st.total -= i->second.backlog;
  st.sessions.erase(i);
}

} // namespace

outbound_budget_actor::behavior_type outbound_budget(self_ptr self,
                                                     uint64_t max_total) {
  self->state.max_total = max_total;
  self->set_down_handler(
      [=](const caf::down_msg& msg) { forget(self, msg.source); });
  return {
      [=](backlog_atom, const shed_sink& session, uint64_t bytes) {
        auto& st = self->state;
        auto [i, fresh] = st.sessions.try_emplace(session.address());
        if (fresh) {
          i->second.session = session;
          self->monitor(session);
        }
        st.total = st.total - i->second.backlog + bytes;
        i->second.backlog = bytes;
        if (bytes == 0 && !i->second.shed) {
          self->demonitor(session.address());
          st.sessions.erase(i);
          return;
        }
        if (st.total > st.max_total)
          enforce(self);
      },
  };
}

} // namespace actors
