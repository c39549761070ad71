#pragma once

// Helpers shared by the video suites: a temporary directory that removes
// itself, and tiny synthetic renditions.

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/temp_dir.hpp"
#include "videos/synthetic.hpp"

namespace test_util {

using test_support::temp_dir;

/// Writes `<dir>/<id>_<h>p.avi` for each height; width = 4/3 * height.
inline bool make_renditions(const temp_dir& dir, const std::string& id,
                            const std::vector<int>& heights, uint32_t frames,
                            double fps = 25.0) {
  for (auto h : heights) {
    auto path = dir / (id + "_" + std::to_string(h) + "p.avi");
    int w = (h * 4 / 3 + 7) / 8 * 8;
    if (!video::write_synthetic_video(path, w, h, frames, fps))
      return false;
  }
  return true;
}

} // namespace test_util
