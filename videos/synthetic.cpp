#include "videos/synthetic.hpp"

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "videos/frame_code.hpp"

namespace video {

net::result<uint32_t> write_synthetic_video(const std::string& path, int width,
                                            int height, uint32_t frames,
                                            double fps, uint32_t first_index) {
  if (first_index + frames > max_frame_code + 1)
    return net::make_error(net::errc::config, "too many frames to code");
  cv::VideoWriter out;
  try {
    out.open(path, cv::CAP_FFMPEG, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'),
             fps, cv::Size{width, height});
  } catch (const cv::Exception& e) {
    return net::make_error(net::errc::io, path + ": " + e.msg);
  }
  if (!out.isOpened())
    return net::make_error(net::errc::io, path + ": cannot open for writing");
  cv::Mat img(height, width, CV_8UC3);
  for (uint32_t i = 0; i < frames; ++i) {
    // A moving gradient below the code, so frames differ like real video.
    img.setTo(cv::Scalar(40 + (i * 7) % 150, 90, 160 - (i * 3) % 120));
    int x = static_cast<int>((i * 4) % static_cast<uint32_t>(width));
    cv::circle(img, {x, height * 3 / 4}, std::max(2, height / 10),
               cv::Scalar(0, 200, 255), cv::FILLED);
    encode_index(img, first_index + i);
    out.write(img);
  }
  out.release();
  return frames;
}

} // namespace video
