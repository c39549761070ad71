#include "videos/frame_store.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

namespace fs = std::filesystem;

namespace video {

namespace {

std::atomic<uint64_t> encoded_counter{0};
std::atomic<uint64_t> tmp_counter{0};

// 2: frames are scaled to the height the file name declares (caches of
// version 1 kept the decoded size and are rebuilt).
constexpr char index_magic[8] = {'C', 'R', 'M', 'J', 'I', 'D', 'X', '2'};

// The index file: a fixed header, then count + 1 offsets into the .mjpeg
// file (host byte order: the cache never leaves this machine).
struct index_header {
  char magic[8];
  uint64_t source_size;
  int64_t source_mtime_ns;
  uint32_t fps_milli;
  uint32_t count;
};

struct source_stamp {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
};

bool stamp_of(const std::string& path, source_stamp& out) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return false;
  out.size = static_cast<uint64_t>(st.st_size);
  out.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  return true;
}

// Reads and validates an index against its data file and source; returns
// the offsets, or an empty vector when anything is off.
std::vector<uint64_t> load_index(const std::string& idx_path,
                                 const std::string& data_path,
                                 const source_stamp& src, uint32_t fps_milli) {
  std::ifstream in{idx_path, std::ios::binary};
  index_header h;
  if (!in.read(reinterpret_cast<char*>(&h), sizeof(h)) ||
      std::memcmp(h.magic, index_magic, sizeof(index_magic)) != 0 ||
      h.source_size != src.size || h.source_mtime_ns != src.mtime_ns ||
      h.fps_milli != fps_milli || h.count == 0 || h.count > (1u << 24))
    return {};
  std::vector<uint64_t> offsets(size_t{h.count} + 1);
  auto bytes = static_cast<std::streamsize>(offsets.size() * sizeof(uint64_t));
  if (!in.read(reinterpret_cast<char*>(offsets.data()), bytes) ||
      in.peek() != std::char_traits<char>::eof())
    return {};
  if (offsets.front() != 0)
    return {};
  for (size_t i = 1; i < offsets.size(); ++i)
    if (offsets[i] <= offsets[i - 1])
      return {};
  std::error_code ec;
  auto data_size = fs::file_size(data_path, ec);
  if (ec || data_size != offsets.back())
    return {};
  return offsets;
}

net::result<std::vector<uint64_t>>
build_cache(const std::string& id, const rendition& r,
            const std::string& data_path, const std::string& idx_path,
            const source_stamp& src, const log_fn& log,
            const frame_store::options& opts) {
  auto name = id + "_" + std::to_string(r.height) + "p";
  cv::VideoCapture cap;
  try {
    cap.open(r.path, cv::CAP_FFMPEG);
  } catch (const cv::Exception& e) {
    return net::make_error(net::errc::io, r.path + ": " + e.msg);
  }
  if (!cap.isOpened())
    return net::make_error(net::errc::io, r.path + ": cannot open");
  auto suffix = ".tmp." + std::to_string(::getpid()) + "." +
                std::to_string(tmp_counter++);
  auto data_tmp = data_path + suffix;
  auto idx_tmp = idx_path + suffix;
  auto cleanup = [&] {
    std::error_code ec;
    fs::remove(data_tmp, ec);
    fs::remove(idx_tmp, ec);
  };
  std::ofstream data{data_tmp, std::ios::binary | std::ios::trunc};
  if (!data)
    return net::make_error(net::errc::io, "cannot write " + data_tmp);
  std::vector<uint64_t> offsets{0};
  uint64_t expected = std::max<uint64_t>(r.frames, 1);
  uint64_t limit =
      std::max<uint64_t>(r.frames, r.header_frames) * 4 + opts.slack_frames;
  if (log)
    log("building frame cache " + name + " (" + std::to_string(r.frames) +
        " frames)");
  std::vector<int> params{cv::IMWRITE_JPEG_QUALITY, opts.jpeg_quality};
  std::vector<uchar> buf;
  cv::Mat img, scaled;
  bool said_scaled = false;
  uint64_t next_report = 10;
  try {
    while (offsets.size() - 1 < limit && cap.read(img) && !img.empty()) {
      if (opts.stop && opts.stop->load(std::memory_order_relaxed)) {
        cleanup();
        return net::make_error(net::errc::shutdown,
                               name + ": cache build stopped");
      }
      // A rendition is as high as its name says: a "240p" file of 720x528
      // frames would save nothing when the player switches down.
      const cv::Mat* out = &img;
      if (img.rows != int{r.height}) {
        auto w = std::max(2, static_cast<int>(std::lround(
                                 img.cols * static_cast<double>(r.height) / img.rows / 2)) *
                                 2);
        cv::resize(img, scaled, cv::Size{w, int{r.height}}, 0, 0,
                   img.rows > int{r.height} ? cv::INTER_AREA
                                            : cv::INTER_LINEAR);
        out = &scaled;
        if (log && !said_scaled)
          log("building frame cache " + name + ": scaling " +
              std::to_string(img.cols) + "x" + std::to_string(img.rows) +
              " frames to " + std::to_string(w) + "x" +
              std::to_string(r.height) + " (the height its name declares)");
        said_scaled = true;
      }
      if (!cv::imencode(".jpg", *out, buf, params) || buf.empty()) {
        cleanup();
        return net::make_error(net::errc::io, name + ": JPEG encoding failed");
      }
      ++encoded_counter;
      data.write(reinterpret_cast<const char*>(buf.data()),
                 static_cast<std::streamsize>(buf.size()));
      offsets.push_back(offsets.back() + buf.size());
      if (opts.on_frame)
        opts.on_frame(static_cast<uint32_t>(offsets.size() - 1));
      auto pct = (offsets.size() - 1) * 100 / expected;
      if (log && pct >= next_report && pct < 100) {
        log("building frame cache " + name + ": " + std::to_string(pct) + "%");
        next_report = pct / 10 * 10 + 10;
      }
    }
  } catch (const cv::Exception& e) {
    // A decoder failure mid-file ends the rendition early; keep what decoded.
    if (log)
      log("warning: " + name + ": decoding stopped: " + e.msg);
  }
  data.close();
  if (!data) {
    cleanup();
    return net::make_error(net::errc::io, "cannot write " + data_tmp);
  }
  if (offsets.size() < 2) {
    cleanup();
    return net::make_error(net::errc::io, r.path + ": no decodable frame");
  }
  index_header h;
  std::memcpy(h.magic, index_magic, sizeof(index_magic));
  h.source_size = src.size;
  h.source_mtime_ns = src.mtime_ns;
  h.fps_milli = r.fps_milli;
  h.count = static_cast<uint32_t>(offsets.size() - 1);
  std::ofstream idx{idx_tmp, std::ios::binary | std::ios::trunc};
  idx.write(reinterpret_cast<const char*>(&h), sizeof(h));
  idx.write(reinterpret_cast<const char*>(offsets.data()),
            static_cast<std::streamsize>(offsets.size() * sizeof(uint64_t)));
  idx.close();
  if (!idx) {
    cleanup();
    return net::make_error(net::errc::io, "cannot write " + idx_tmp);
  }
  // The index is the commit marker: drop the old one first, so a crash
  // between the renames leaves no index (rebuild) rather than a mismatch.
  std::error_code ec;
  fs::remove(idx_path, ec);
  fs::rename(data_tmp, data_path, ec);
  if (!ec)
    fs::rename(idx_tmp, idx_path, ec);
  if (ec) {
    cleanup();
    return net::make_error(net::errc::io, "cannot install cache " + data_path +
                                              ": " + ec.message());
  }
  if (log)
    log("built frame cache " + name + ": " + std::to_string(h.count) +
        " frames, " + std::to_string(offsets.back() / 1024) + " KiB");
  return offsets;
}

} // namespace

std::string frame_store::cache_file(const std::string& cache_dir,
                                    const std::string& id, uint16_t height) {
  return (fs::path{cache_dir} / (id + "_" + std::to_string(height) + "p.mjpeg"))
      .string();
}

net::result<frame_store_ptr> frame_store::open(const std::string& id,
                                               const rendition& r,
                                               const std::string& cache_dir,
                                               const log_fn& log) {
  return open(id, r, cache_dir, log, options{});
}

net::result<frame_store_ptr> frame_store::open(const std::string& id,
                                               const rendition& r,
                                               const std::string& cache_dir,
                                               const log_fn& log,
                                               const options& opts) {
  std::error_code ec;
  fs::create_directories(cache_dir, ec);
  if (ec)
    return net::make_error(net::errc::io,
                           "cannot create " + cache_dir + ": " + ec.message());
  source_stamp src;
  if (!stamp_of(r.path, src))
    return net::make_error(net::errc::io, r.path + ": " + std::strerror(errno));
  auto data_path = cache_file(cache_dir, id, r.height);
  auto idx_path = data_path.substr(0, data_path.size() - 6) + ".idx";
  std::shared_ptr<frame_store> st{new frame_store};
  st->offsets_ = load_index(idx_path, data_path, src, r.fps_milli);
  if (st->offsets_.empty()) {
    auto built = build_cache(id, r, data_path, idx_path, src, log, opts);
    if (!built)
      return built.error();
    st->offsets_ = std::move(*built);
    st->built_ = true;
  }
  st->fd_ = ::open(data_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (st->fd_ < 0)
    return net::make_error(net::errc::io,
                           data_path + ": " + std::strerror(errno));
  st->path_ = data_path;
  st->height_ = r.height;
  st->fps_milli_ = r.fps_milli;
  return frame_store_ptr{std::move(st)};
}

frame_store::~frame_store() {
  if (fd_ >= 0)
    ::close(fd_);
}

jpeg_ptr frame_store::frame(size_t i) const {
  if (i >= size())
    return nullptr;
  auto off = offsets_[i];
  auto n = static_cast<size_t>(offsets_[i + 1] - off);
  auto buf = std::make_shared<std::vector<char>>(n);
  size_t got = 0;
  while (got < n) {
    auto k =
        ::pread(fd_, buf->data() + got, n - got, static_cast<off_t>(off + got));
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0)
      return nullptr;
    got += static_cast<size_t>(k);
  }
  return buf;
}

uint32_t frame_store::bitrate_kbps() const {
  if (size() == 0)
    return 0;
  // bytes/frame * 8 bit * fps / 1000 = kbit/s; fps = fps_milli / 1000.
  auto bits_per_s = total_bytes() * 8 * fps_milli_ / 1000 / size();
  return static_cast<uint32_t>((bits_per_s + 999) / 1000);
}

uint64_t frame_store::encoded_frames() {
  return encoded_counter.load();
}

} // namespace video
