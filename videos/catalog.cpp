#include "videos/catalog.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>

namespace fs = std::filesystem;

namespace video {

std::optional<rendition_name> parse_rendition_name(const std::string& file) {
  auto dot = file.rfind('.');
  if (dot == std::string::npos || dot + 1 == file.size())
    return std::nullopt;
  auto stem = file.substr(0, dot);
  auto us = stem.rfind('_');
  if (us == std::string::npos || us == 0 || stem.back() != 'p')
    return std::nullopt;
  auto digits = stem.substr(us + 1, stem.size() - us - 2);
  if (digits.empty() || digits.size() > 5 ||
      !std::all_of(digits.begin(), digits.end(),
                   [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  auto h = std::stoul(digits);
  if (h == 0 || h > 8640)
    return std::nullopt;
  return rendition_name{stem.substr(0, us), static_cast<uint16_t>(h),
                        file.substr(dot + 1)};
}

net::result<rendition> probe_rendition(const std::string& path, uint16_t height,
                                       const probe_options& opts,
                                       const log_fn& log) {
  cv::VideoCapture cap;
  try {
    cap.open(path, cv::CAP_FFMPEG);
  } catch (const cv::Exception& e) {
    return net::make_error(net::errc::io, "cannot open: " + e.msg);
  }
  if (!cap.isOpened())
    return net::make_error(net::errc::io, "cannot open as a video");
  rendition r;
  r.path = path;
  r.height = height;
  auto fps = cap.get(cv::CAP_PROP_FPS);
  if (!(fps >= 1.0 && fps <= 120.0)) {
    if (log)
      log("warning: " + path + ": implausible frame rate " +
          std::to_string(fps) + ", assuming 25 fps");
    fps = 25.0;
  }
  r.fps_milli = static_cast<uint32_t>(std::lround(fps * 1000.0));
  auto est = cap.get(cv::CAP_PROP_FRAME_COUNT);
  r.header_frames = est > 0 && est < 1e9 ? static_cast<uint32_t>(est) : 0;
  // The header count is an estimate that can lie either way; read through
  // the file, bounded by a multiple of the estimate and by wall time.
  uint64_t limit = r.header_frames > 0
                       ? uint64_t{r.header_frames} * 4 + opts.slack_frames
                       : uint64_t{1} << 22;
  auto deadline = std::chrono::steady_clock::now() + opts.time_cap;
  cv::Mat first;
  try {
    if (!cap.read(first) || first.empty())
      return net::make_error(net::errc::io, "no decodable frame");
    r.width = static_cast<uint32_t>(first.cols);
    r.decoded_height = static_cast<uint32_t>(first.rows);
    uint64_t n = 1;
    // Counting the video stream's packets needs no decode (raw mode: a
    // 10-minute 1080p file in about a second instead of 33 s). One packet
    // is one frame in the containers we serve; a packet that will not
    // decode is found by the cache build, whose count is authoritative.
    // Without raw mode, the decoding capture counts on.
    cv::VideoCapture packets;
    packets.open(path, cv::CAP_FFMPEG);
    auto* counter = &cap;
    if (packets.isOpened() && packets.set(cv::CAP_PROP_FORMAT, -1) &&
        packets.grab()) // the packet of `first`
      counter = &packets;
    while (n < limit && counter->grab()) {
      ++n;
      if ((n & 31) == 0 && opts.stop && opts.stop->load())
        return net::make_error(net::errc::shutdown,
                               path + ": counting frames stopped");
      if ((n & 31) == 0 && std::chrono::steady_clock::now() > deadline) {
        if (log)
          log("warning: " + path +
              ": counting frames took too long, "
              "stopping at " +
              std::to_string(n));
        break;
      }
    }
    r.frames = static_cast<uint32_t>(n);
  } catch (const cv::Exception& e) {
    if (r.width == 0)
      return net::make_error(net::errc::io, "decoder failed: " + e.msg);
  }
  if (log && r.header_frames != 0 && r.header_frames != r.frames)
    log("note: " + path + ": header claims " + std::to_string(r.header_frames) +
        " frames, the file has " + std::to_string(r.frames));
  return r;
}

uint64_t timeline::duration_ms() const {
  if (fps_milli == 0)
    return 0;
  return uint64_t{frames} * 1000000u / fps_milli;
}

timeline make_timeline(const std::vector<std::pair<uint32_t, uint32_t>>& rs) {
  timeline t;
  for (auto& [fps, n] : rs)
    t.fps_milli = std::max(t.fps_milli, fps);
  for (auto& [fps, n] : rs) {
    if (fps == 0)
      continue;
    // ceil(n * fps_t / fps_r): the timeline covers every frame of r.
    auto cover = (uint64_t{n} * t.fps_milli + fps - 1) / fps;
    t.frames = std::max(t.frames, static_cast<uint32_t>(cover));
  }
  return t;
}

uint32_t map_frame(const timeline& t, uint32_t fps_milli, uint32_t frames,
                   uint32_t i) {
  if (frames == 0 || t.fps_milli == 0)
    return 0;
  auto j = uint64_t{i} * fps_milli / t.fps_milli;
  return static_cast<uint32_t>(std::min<uint64_t>(j, frames - 1));
}

net::video_info video_entry::info() const {
  return make_video_info(id, renditions, time);
}

uint32_t video_entry::rendition_frame(size_t r, uint32_t i) const {
  return rendition_frame_of(renditions, time, r, i);
}

namespace {

/// The entry of `xs` named by `request`: an id, or a number n meaning
/// "video_n"; null if none.
template <class Entries>
auto find_by_request(const Entries& xs, const std::string& request)
    -> decltype(&xs.front()) {
  auto by_id = [&](const std::string& id) -> decltype(&xs.front()) {
    for (auto& x : xs)
      if (x.id == id)
        return &x;
    return nullptr;
  };
  if (auto x = by_id(request))
    return x;
  if (!request.empty() && request.size() < 10 &&
      std::all_of(request.begin(), request.end(),
                  [](char c) { return c >= '0' && c <= '9'; }))
    return by_id("video_" + std::to_string(std::stoul(request)));
  return nullptr;
}

} // namespace

const video_entry* catalog::find(const std::string& request) const {
  return find_by_request(videos, request);
}

const unavailable_video*
catalog::find_unavailable(const std::string& request) const {
  return find_by_request(unavailable, request);
}

net::video_list catalog::list() const {
  net::video_list l;
  for (auto& v : videos)
    l.videos.push_back(v.info());
  for (auto& u : unavailable) {
    net::video_info x;
    x.id = u.id;
    x.problem = u.reason;
    l.videos.push_back(std::move(x));
  }
  std::sort(l.videos.begin(), l.videos.end(),
            [](auto& x, auto& y) { return x.id < y.id; });
  return l;
}

namespace {

std::string fps_text(uint32_t fps_milli) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3g fps", fps_milli / 1000.0);
  return buf;
}

std::string seconds_text(uint64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f s", ms / 1000.0);
  return buf;
}

uint64_t duration_ms_of(const rendition& r) {
  return r.fps_milli == 0 ? 0 : uint64_t{r.frames} * 1000000u / r.fps_milli;
}

/// Why renditions `rs` (ascending height) cannot be one video, if they
/// cannot: their frame rates or durations disagree beyond the tolerances.
std::optional<std::string> disagreement(const std::vector<rendition>& rs,
                                        const probe_options& opts) {
  auto list = [&](auto&& what) {
    std::string s;
    for (auto& r : rs)
      s += (s.empty() ? "" : ", ") + std::to_string(r.height) + "p " +
           what(r);
    return s;
  };
  auto [lo_fps, hi_fps] = std::minmax_element(
      rs.begin(), rs.end(),
      [](auto& x, auto& y) { return x.fps_milli < y.fps_milli; });
  if ((hi_fps->fps_milli - lo_fps->fps_milli) / 1000.0 > opts.fps_tolerance)
    return "renditions disagree on frame rate: " +
           list([](auto& r) { return fps_text(r.fps_milli); });
  auto [lo_ms, hi_ms] = std::minmax_element(
      rs.begin(), rs.end(),
      [](auto& x, auto& y) { return duration_ms_of(x) < duration_ms_of(y); });
  auto spread = duration_ms_of(*hi_ms) - duration_ms_of(*lo_ms);
  if (spread > static_cast<uint64_t>(opts.duration_tolerance.count()))
    return "renditions disagree on duration: " +
           list([](auto& r) { return seconds_text(duration_ms_of(r)); }) +
           " (tolerance " +
           seconds_text(static_cast<uint64_t>(opts.duration_tolerance.count())) +
           ")";
  return std::nullopt;
}

} // namespace

catalog scan_catalog(const std::string& dir, const probe_options& opts,
                     const log_fn& log) {
  catalog result;
  std::error_code ec;
  fs::directory_iterator it{dir, ec};
  if (ec) {
    result.problems.push_back({dir, "cannot read directory: " + ec.message()});
    return result;
  }
  std::vector<fs::path> files;
  for (; it != fs::directory_iterator{}; it.increment(ec)) {
    if (ec)
      break;
    if (it->is_regular_file(ec))
      files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  std::map<std::string, video_entry> by_id;
  std::map<std::string, std::string> first_problem; ///< by video id
  for (auto& p : files) {
    auto name = parse_rendition_name(p.filename().string());
    if (!name)
      continue;
    auto& v = by_id[name->id];
    v.id = name->id;
    auto dup = std::find_if(v.renditions.begin(), v.renditions.end(),
                            [&](auto& r) { return r.height == name->height; });
    if (dup != v.renditions.end()) {
      result.problems.push_back(
          {p.string(), "duplicate rendition of " + dup->path});
      continue;
    }
    auto r = probe_rendition(p.string(), name->height, opts, log);
    if (!r) {
      result.problems.push_back({p.string(), net::describe(r.error())});
      first_problem.emplace(name->id, p.filename().string() + ": " +
                                          net::describe(r.error()));
      if (log)
        log("skipping " + p.string() + ": " + net::describe(r.error()));
      continue;
    }
    if (r->decoded_height != r->height && log)
      log("note: " + p.string() + ": frames are " + std::to_string(r->width) +
          "x" + std::to_string(r->decoded_height) + ", not " +
          std::to_string(r->height) + "p as the name says; its cache scales "
          "them to " + std::to_string(r->height) + "p");
    v.renditions.push_back(std::move(*r));
  }
  for (auto& [id, v] : by_id) {
    if (v.renditions.empty()) {
      result.unavailable.push_back(
          {id, "no playable rendition (" + first_problem[id] + ")"});
      continue;
    }
    std::sort(v.renditions.begin(), v.renditions.end(),
              [](auto& x, auto& y) { return x.height < y.height; });
    if (auto why = disagreement(v.renditions, opts)) {
      if (log)
        log("warning: video " + id + " is not playable: " + *why);
      result.unavailable.push_back({id, std::move(*why)});
      continue;
    }
    std::vector<std::pair<uint32_t, uint32_t>> rs;
    for (auto& r : v.renditions)
      rs.emplace_back(r.fps_milli, r.frames);
    v.time = make_timeline(rs);
    result.videos.push_back(std::move(v));
  }
  return result;
}

} // namespace video
