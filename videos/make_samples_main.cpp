// make-sample-videos: writes the sample renditions the server streams.
//   video_1_<h>p.avi  a real clip (default: OpenCV's Megamind.avi) resized
//   video_2_<h>p.avi  synthetic, 25 fps (--fps), every frame carrying its
//                     index
// for h in 240, 720, 1080; MJPG in AVI; with --long SECONDS also
//   video_3_1080p.avi synthetic 1080p, 25 fps, SECONDS long (a 10-minute
//                     file: --long 600), for what long files cost
// Existing files are kept unless --force. Files are written under a
// temporary name, then renamed.

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "videos/synthetic.hpp"

namespace fs = std::filesystem;

namespace {

const char* default_source = "/usr/share/doc/opencv-doc/examples/data/"
                             "Megamind.avi";
const int heights[] = {240, 720, 1080};

struct options {
  std::string out;
  std::string source = default_source;
  double seconds = 10;
  double fps = 25; ///< video_2's frame rate
  double long_seconds = 0; ///< video_3's length; 0 = no video_3
  bool force = false;
};

void usage(std::ostream& os) {
  os << "usage: make-sample-videos --out DIR [--source FILE] [--seconds N] "
        "[--fps F] [--long SECONDS] [--force]\n";
}

bool parse(int argc, char** argv, options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* {
      return i + 1 < argc ? argv[++i] : nullptr;
    };
    // The next argument as a whole number or decimal into `x`.
    auto number = [&](double& x) {
      auto v = value();
      char* end = nullptr;
      x = v ? std::strtod(v, &end) : 0;
      return v != nullptr && *end == '\0';
    };
    if (a == "--out") {
      auto v = value();
      if (!v)
        return false;
      o.out = v;
    } else if (a == "--source") {
      auto v = value();
      if (!v)
        return false;
      o.source = v;
    } else if (a == "--fps") {
      if (!number(o.fps) || !(o.fps >= 1 && o.fps <= 120))
        return false;
    } else if (a == "--seconds") {
      if (!number(o.seconds) || !(o.seconds > 0 && o.seconds <= 3600))
        return false;
    } else if (a == "--long") {
      if (!number(o.long_seconds) ||
          !(o.long_seconds > 0 && o.long_seconds <= 7200))
        return false;
    } else if (a == "--force") {
      o.force = true;
    } else {
      return false;
    }
  }
  return !o.out.empty();
}

std::string tmp_name(const fs::path& final_path) {
  // Not a rendition name, so a scan meanwhile ignores it.
  return (final_path.parent_path() /
          ("." + final_path.stem().string() + ".tmp.avi"))
      .string();
}

bool install(const std::string& tmp, const fs::path& final_path) {
  std::error_code ec;
  fs::rename(tmp, final_path, ec);
  if (ec) {
    std::cerr << "cannot rename " << tmp << ": " << ec.message() << "\n";
    fs::remove(tmp, ec);
    return false;
  }
  std::cout << "wrote " << final_path.string() << "\n";
  return true;
}

// Resizes the clip into every missing rendition in one decoding pass.
bool make_video_1(const options& o) {
  std::vector<int> todo;
  for (auto h : heights)
    if (o.force || !fs::exists(fs::path{o.out} /
                               ("video_1_" + std::to_string(h) + "p.avi")))
      todo.push_back(h);
  if (todo.empty()) {
    std::cout << "video_1: all renditions exist (use --force to redo)\n";
    return true;
  }
  if (!fs::exists(o.source)) {
    std::cout << "video_1: source clip " << o.source
              << " is missing (install opencv-doc or pass --source); "
                 "skipping video_1\n";
    return true;
  }
  cv::VideoCapture in{o.source, cv::CAP_FFMPEG};
  if (!in.isOpened()) {
    std::cerr << "video_1: cannot open " << o.source << "\n";
    return false;
  }
  auto fps = in.get(cv::CAP_PROP_FPS);
  if (!(fps >= 1 && fps <= 120))
    fps = 25;
  auto max_frames = static_cast<long>(std::lround(o.seconds * fps));
  cv::Mat img;
  if (!in.read(img) || img.empty()) {
    std::cerr << "video_1: " << o.source << " has no decodable frame\n";
    return false;
  }
  std::vector<cv::VideoWriter> outs;
  std::vector<cv::Size> sizes;
  std::vector<std::string> tmps;
  for (auto h : todo) {
    int w =
        static_cast<int>(std::lround(double(h) * img.cols / img.rows / 2)) * 2;
    auto path = fs::path{o.out} / ("video_1_" + std::to_string(h) + "p.avi");
    tmps.push_back(tmp_name(path));
    sizes.emplace_back(w, h);
    outs.emplace_back(tmps.back(), cv::CAP_FFMPEG,
                      cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), fps,
                      sizes.back());
    if (!outs.back().isOpened()) {
      std::cerr << "video_1: cannot write " << tmps.back() << "\n";
      return false;
    }
  }
  long n = 0;
  cv::Mat scaled;
  do {
    for (size_t i = 0; i < outs.size(); ++i) {
      cv::resize(img, scaled, sizes[i], 0, 0,
                 sizes[i].height > img.rows ? cv::INTER_LINEAR
                                            : cv::INTER_AREA);
      outs[i].write(scaled);
    }
    ++n;
  } while (n < max_frames && in.read(img) && !img.empty());
  bool ok = true;
  for (size_t i = 0; i < outs.size(); ++i) {
    outs[i].release();
    auto path =
        fs::path{o.out} / ("video_1_" + std::to_string(todo[i]) + "p.avi");
    ok &= install(tmps[i], path);
  }
  std::cout << "video_1: " << n << " frames at " << fps << " fps from "
            << o.source << "\n";
  return ok;
}

bool make_video_2(const options& o) {
  auto frames = static_cast<uint32_t>(std::lround(o.seconds * o.fps));
  bool ok = true;
  for (auto h : heights) {
    auto path = fs::path{o.out} / ("video_2_" + std::to_string(h) + "p.avi");
    if (!o.force && fs::exists(path)) {
      std::cout << "video_2: " << path.filename().string()
                << " exists (use --force to redo)\n";
      continue;
    }
    int w = static_cast<int>(std::lround(h * 16.0 / 9 / 2)) * 2;
    auto tmp = tmp_name(path);
    auto r = video::write_synthetic_video(tmp, w, h, frames, o.fps);
    if (!r) {
      std::cerr << "video_2: " << net::describe(r.error()) << "\n";
      ok = false;
      continue;
    }
    ok &= install(tmp, path);
  }
  return ok;
}

bool make_video_3(const options& o) {
  auto path = fs::path{o.out} / "video_3_1080p.avi";
  if (!o.force && fs::exists(path)) {
    std::cout << "video_3: " << path.filename().string()
              << " exists (use --force to redo)\n";
    return true;
  }
  auto frames = static_cast<uint32_t>(std::lround(o.long_seconds * 25));
  std::cout << "video_3: writing " << frames << " frames of 1920x1080\n";
  auto tmp = tmp_name(path);
  auto r = video::write_synthetic_video(tmp, 1920, 1080, frames, 25.0);
  if (!r) {
    std::cerr << "video_3: " << net::describe(r.error()) << "\n";
    return false;
  }
  return install(tmp, path);
}

} // namespace

int main(int argc, char** argv) {
  options o;
  if (!parse(argc, argv, o)) {
    usage(std::cerr);
    return 2;
  }
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
  std::error_code ec;
  fs::create_directories(o.out, ec);
  if (ec) {
    std::cerr << "cannot create " << o.out << ": " << ec.message() << "\n";
    return 1;
  }
  bool ok = make_video_1(o);
  ok &= make_video_2(o);
  if (o.long_seconds > 0)
    ok &= make_video_3(o);
  return ok ? 0 : 1;
}
