#pragma once

// Actor-to-actor vocabulary of the server that is not a wire frame.

#include <caf/atom.hpp>

namespace actors {

/// session -> registry: route an envelope to a named user.
using route_atom = caf::atom_constant<caf::atom("route")>;
/// connection -> session: bytes read from the socket.
using recv_atom = caf::atom_constant<caf::atom("recv")>;
/// session -> connection: bytes to write to the socket.
using write_atom = caf::atom_constant<caf::atom("write")>;
/// connection -> session: this many bytes reached the socket.
using sent_atom = caf::atom_constant<caf::atom("sent")>;
/// session -> connection: this many input bytes were processed.
using consumed_atom = caf::atom_constant<caf::atom("consumed")>;
/// connection -> session: the peer closed the socket.
using closed_atom = caf::atom_constant<caf::atom("closed")>;
/// session -> connection -> acceptor: this connection's user has joined.
using joined_atom = caf::atom_constant<caf::atom("joined")>;
/// acceptor: sweep idle per-address state, log refusals of the interval.
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;
/// session -> outbound budget: my unsent backlog is now this many bytes.
using backlog_atom = caf::atom_constant<caf::atom("backlog")>;
/// outbound budget -> session: the server is over its budget and yours is
/// the largest backlog: close.
using shed_atom = caf::atom_constant<caf::atom("shed")>;
/// connection: re-assert reading after a resume (see acceptor.cpp).
using resume_atom = caf::atom_constant<caf::atom("resume")>;
/// connection: the linger after a close is over.
using linger_atom = caf::atom_constant<caf::atom("linger")>;
/// session timers
using handshake_atom = caf::atom_constant<caf::atom("handshake")>;
using idle_atom_t = caf::atom_constant<caf::atom("idlecheck")>;

} // namespace actors
