#pragma once

// Actor-to-actor vocabulary of the server that is not a wire frame: the
// atoms. (Values are registered with CAF in actors/type_ids.hpp.)

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
/// connection: re-assert reading after a resume (see acceptor.cpp); a
/// playback's pacing: resume after a pause.
using resume_atom = caf::atom_constant<caf::atom("resume")>;
/// connection: the linger after a close is over.
using linger_atom = caf::atom_constant<caf::atom("linger")>;
/// deadline wheel -> session: check the deadlines (handshake, idle, write
/// stall)
using idle_atom_t = caf::atom_constant<caf::atom("idlecheck")>;
/// session -> deadline wheel: wake me after this delay.
using wake_atom = caf::atom_constant<caf::atom("wake")>;

// -- video (catalog, video_stream, frame_pacer) -------------------------------
// CAF's own atoms (tick_atom, reset_atom, get_atom ...) are reused where
// they fit.

/// frame_pacer -> video_stream: send the next frame now.
using next_atom = caf::atom_constant<caf::atom("next")>;
/// video_stream -> frame_pacer: the client confirmed frames (credits).
using ack_atom = caf::atom_constant<caf::atom("ack")>;
/// Pause / resume a playback's pacing (resume_atom above).
using pause_atom = caf::atom_constant<caf::atom("pause")>;
/// Ask the catalog to scan its directory again.
using rescan_atom = caf::atom_constant<caf::atom("rescan")>;
/// catalog -> its worker: scan the directory / build a video's stores.
using scan_atom = caf::atom_constant<caf::atom("scan")>;
using build_atom = caf::atom_constant<caf::atom("build")>;
/// A session to itself: ask the catalog again how far the cache build a
/// PLAY waits for is.
using waiting_atom = caf::atom_constant<caf::atom("waiting")>;
/// A stream to its pacer: at most this many frames un-acked for now.
using window_atom = caf::atom_constant<caf::atom("window")>;

} // namespace actors
