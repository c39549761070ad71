#pragma once

// The catalog actor owns the server's view of its videos directory and the
// frame stores. Scans and cache builds (decode + JPEG encode, file I/O) run
// on a detached worker thread, never on the multiplexer or the scheduler's
// workers; requests that arrive meanwhile wait for the result.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/messages.hpp"
#include "net/video_messages.hpp"
#include "videos/build_progress.hpp"
#include "videos/catalog.hpp"
#include "videos/video_source.hpp"

namespace actors {

/// An immutable scan result, shared with the worker that made it.
using catalog_ptr = std::shared_ptr<const video::catalog>;

/// An immutable catalog entry handed to the worker for a build.
using video_entry_ptr = std::shared_ptr<const video::video_entry>;

/// A build's progress: the worker writes it, the catalog reads it.
using build_progress_ptr = std::shared_ptr<video::build_progress>;

} // namespace actors

// Local-only handles to immutable data: they never cross a network.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::catalog_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::video_entry_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::build_progress_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(video::video_source_ptr)

namespace actors {

/// The catalog's interface.
/// - `net::video_list_request` -> `net::video_list` (every video, the
///   unavailable ones with their reason).
/// - `net::play_request` -> the resolved `video_source_ptr` (all
///   renditions' stores ready), or an error: `net::errc::not_found` for an
///   unknown or unavailable video, `net::errc::io` when no rendition could
///   be cached. Only `video` is read; policy and buffer target are the
///   stream's business.
/// - `(get_atom, play_request)` -> how far the cache build the request
///   waits for is: a `net::play_waiting` (stream id 0) with the video's id,
///   share done and time left; `video` empty when it waits for no build
///   (ready or unknown). Asked during the first scan, it answers after it.
/// - `rescan_atom` -> the problems of the new scan, one "file: reason" line
///   each (an empty list when every file is fine).
using catalog_actor = caf::typed_actor<
    caf::replies_to<net::video_list_request>::with<net::video_list>,
    caf::replies_to<net::play_request>::with<video::video_source_ptr>,
    caf::replies_to<caf::get_atom, net::play_request>::with<net::play_waiting>,
    caf::replies_to<rescan_atom>::with<std::vector<std::string>>>;

/// The blocking worker behind the catalog (detached: its own thread).
/// - `scan_atom` -> a new scan of the videos directory.
/// - `(build_atom, entry, progress)` -> the entry's source, building
///   missing caches and reporting each frame to `progress`.
using catalog_worker_actor = caf::typed_actor<
    caf::replies_to<scan_atom>::with<catalog_ptr>,
    caf::replies_to<build_atom, video_entry_ptr, build_progress_ptr>::with<
        video::video_source_ptr>>;

/// Where the videos are and where their caches go.
struct catalog_settings {
  std::string videos_dir = "videos";
  std::string cache_dir; ///< the server's: <data-dir>/cache
  video::probe_options probe;
  /// Progress and problems; called from the worker thread: thread-safe.
  video::log_fn log;
  /// Build every video's frame cache right after the first scan, so the
  /// first viewer does not wait for encoding.
  bool warm = true;
  /// How often a build's progress for the whole video goes to the log.
  std::chrono::milliseconds progress_log_interval{10000};
};

/// A cache build under way.
struct pending_build {
  std::vector<caf::typed_response_promise<video::video_source_ptr>> promises;
  build_progress_ptr progress;
};

/// State of the catalog actor.
struct catalog_state {
  static const char* name;

  catalog_settings cfg;
  catalog_worker_actor worker;
  catalog_ptr current; ///< null until the first scan completes
  /// Requests that arrived before the first scan completed.
  std::vector<std::function<void()>> after_scan;
  /// Ready sources by video id.
  std::map<std::string, video::video_source_ptr> sources;
  /// Builds under way, by video id.
  std::map<std::string, pending_build> building;
};

/// Spawns as `sys.spawn(catalog_service, settings)`; scans at once.
catalog_actor::behavior_type
catalog_service(catalog_actor::stateful_pointer<catalog_state> self,
                catalog_settings cfg);

/// The worker; spawned detached and linked by `catalog_service`.
catalog_worker_actor::behavior_type
catalog_worker(catalog_worker_actor::pointer self, catalog_settings cfg);

} // namespace actors
