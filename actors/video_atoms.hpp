#pragma once

// Atoms of the video actors (catalog, video_stream, frame_pacer). CAF's own
// atoms (tick_atom, reset_atom, get_atom ...) are reused where they fit.

#include <caf/atom.hpp>

namespace actors {

/// frame_pacer -> video_stream: send the next frame now.
using next_atom = caf::atom_constant<caf::atom("next")>;

/// video_stream -> frame_pacer: the client confirmed frames (credits).
using ack_atom = caf::atom_constant<caf::atom("ack")>;

/// Pause / resume a playback's pacing.
using pause_atom = caf::atom_constant<caf::atom("pause")>;
using resume_atom = caf::atom_constant<caf::atom("resume")>;

/// Ask the catalog to scan its directory again.
using rescan_atom = caf::atom_constant<caf::atom("rescan")>;

/// catalog -> its worker: scan the directory / build a video's stores.
using scan_atom = caf::atom_constant<caf::atom("scan")>;
using build_atom = caf::atom_constant<caf::atom("build")>;

} // namespace actors
