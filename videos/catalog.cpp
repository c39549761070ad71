#include "videos/catalog.hpp"

#include <algorithm>
#include <cmath>
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
  // The header count is an estimate that can lie either way; decode through
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
    while (n < limit && cap.grab()) {
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
        " frames, " + std::to_string(r.frames) + " decode");
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

const video_entry* catalog::find(const std::string& request) const {
  auto by_id = [&](const std::string& id) -> const video_entry* {
    for (auto& v : videos)
      if (v.id == id)
        return &v;
    return nullptr;
  };
  if (auto v = by_id(request))
    return v;
  if (!request.empty() && request.size() < 10 &&
      std::all_of(request.begin(), request.end(),
                  [](char c) { return c >= '0' && c <= '9'; }))
    return by_id("video_" + std::to_string(std::stoul(request)));
  return nullptr;
}

net::video_list catalog::list() const {
  net::video_list l;
  for (auto& v : videos)
    l.videos.push_back(v.info());
  return l;
}

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
      if (log)
        log("skipping " + p.string() + ": " + net::describe(r.error()));
      continue;
    }
    v.renditions.push_back(std::move(*r));
  }
  for (auto& [id, v] : by_id) {
    if (v.renditions.empty())
      continue;
    std::sort(v.renditions.begin(), v.renditions.end(),
              [](auto& x, auto& y) { return x.height < y.height; });
    std::vector<std::pair<uint32_t, uint32_t>> rs;
    for (auto& r : v.renditions)
      rs.emplace_back(r.fps_milli, r.frames);
    v.time = make_timeline(rs);
    result.videos.push_back(std::move(v));
  }
  return result;
}

} // namespace video
