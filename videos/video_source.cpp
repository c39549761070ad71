#include "videos/video_source.hpp"

#include <algorithm>

namespace video {

net::video_info video_source::info() const {
  return make_video_info(id, renditions, time);
}

uint32_t video_source::rendition_frame(size_t r, uint32_t i) const {
  return rendition_frame_of(renditions, time, r, i);
}

net::result<video_source_ptr>
make_video_source(const std::string& id, std::vector<frame_store_ptr> stores) {
  stores.erase(std::remove(stores.begin(), stores.end(), nullptr),
               stores.end());
  if (stores.empty())
    return net::make_error(net::errc::not_found,
                           "video " + id + " has no playable rendition");
  std::sort(stores.begin(), stores.end(),
            [](auto& x, auto& y) { return x->height() < y->height(); });
  auto src = std::make_shared<video_source>();
  src->id = id;
  std::vector<std::pair<uint32_t, uint32_t>> rs;
  for (auto& s : stores) {
    rendition_source r;
    r.height = s->height();
    r.fps_milli = s->fps_milli();
    r.frames = static_cast<uint32_t>(s->size());
    r.bitrate_kbps = s->bitrate_kbps();
    r.store = s;
    rs.emplace_back(r.fps_milli, r.frames);
    src->renditions.push_back(std::move(r));
  }
  src->time = make_timeline(rs);
  return video_source_ptr{std::move(src)};
}

} // namespace video
