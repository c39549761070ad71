#pragma once

// Actors that run on CAF's multiplexer thread as brokers without sockets
// (the session, the deadline wheel: docs/decisions.md, 25), and what a
// broker needs that CAF 0.17 does not do for it.

#include <caf/detail/sync_request_bouncer.hpp>
#include <caf/exit_reason.hpp>
#include <caf/io/typed_broker.hpp>
#include <caf/typed_actor.hpp>

namespace actors {

namespace detail {
template <class Handle>
struct typed_broker_for;
template <class... Sigs>
struct typed_broker_for<caf::typed_actor<Sigs...>> {
  using type = caf::io::typed_broker<Sigs...>;
};
} // namespace detail

/// The typed broker with the interface of `Handle` (a caf::typed_actor).
template <class Handle>
using typed_broker_of = typename detail::typed_broker_for<Handle>::type;

/// Empties the mailbox of `self`, a broker, when it ends. CAF 0.17.6's
/// `abstract_broker::cleanup` skips `scheduled_actor::cleanup`, which is
/// what closes and drains a mailbox: an ended broker's mailbox stays open,
/// keeps what arrives, and every message in it holds its sender. Two
/// brokers that message each other (a session and its connection, two
/// sessions on a route) then keep each other alive forever (LeakSanitizer:
/// every connection of a churn leaked ~5 KB). This does what the scheduled
/// actor's cleanup does: close, then bounce what is queued (requests get an
/// error, the rest is dropped).
template <class Self>
void close_mailbox_at_exit(Self* self) {
  self->attach_functor([self] {
    auto& mailbox = self->mailbox();
    if (mailbox.closed())
      return;
    mailbox.close();
    self->get_normal_queue().flush_cache();
    self->get_urgent_queue().flush_cache();
    caf::detail::sync_request_bouncer bounce{
        caf::make_error(caf::exit_reason::normal)};
    while (mailbox.queue().new_round(1000, bounce).consumed_items)
      ; // repeat
  });
}

} // namespace actors
