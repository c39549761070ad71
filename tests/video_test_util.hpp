#pragma once

// Helpers shared by the video suites: a temporary directory that removes
// itself, and tiny synthetic renditions.

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "videos/synthetic.hpp"

namespace test_util {

/// A fresh directory under $TMPDIR (mkdtemp), removed with its contents.
class temp_dir {
public:
  temp_dir() {
    auto base = std::filesystem::temp_directory_path() / "chatroom-XXXXXX";
    std::string tmpl = base.string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) != nullptr)
      path_ = buf.data();
  }

  ~temp_dir() {
    std::error_code ec;
    if (!path_.empty())
      std::filesystem::remove_all(path_, ec);
  }

  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::string& path() const {
    return path_;
  }

  std::string operator/(const std::string& name) const {
    return (std::filesystem::path{path_} / name).string();
  }

private:
  std::string path_;
};

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
