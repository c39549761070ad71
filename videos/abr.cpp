#include "videos/abr.hpp"

#include <algorithm>

namespace video {

std::string policy_spec::to_string() const {
  switch (kind) {
  case policy_kind::thirds:
    return "thirds";
  case policy_kind::fixed:
    return "fixed:" + std::to_string(height);
  case policy_kind::adaptive:
    return "adaptive";
  case policy_kind::bba:
    return "bba";
  }
  return "unknown";
}

net::result<policy_spec> parse_policy(const std::string& text) {
  if (text == "thirds")
    return policy_spec{policy_kind::thirds, 0};
  if (text == "adaptive")
    return policy_spec{policy_kind::adaptive, 0};
  if (text == "bba")
    return policy_spec{policy_kind::bba, 0};
  const std::string prefix = "fixed:";
  if (text.compare(0, prefix.size(), prefix) == 0) {
    auto digits = text.substr(prefix.size());
    if (!digits.empty() && digits.back() == 'p') // "fixed:720p" too
      digits.pop_back();
    bool ok = !digits.empty() && digits.size() <= 5 &&
              std::all_of(digits.begin(), digits.end(),
                          [](char c) { return c >= '0' && c <= '9'; });
    auto h = ok ? std::stoul(digits) : 0;
    if (h == 0 || h > 8640)
      return net::make_error(net::errc::config,
                             "bad policy \"" + text +
                                 "\": fixed needs a height, e.g. fixed:720");
    return policy_spec{policy_kind::fixed, static_cast<uint16_t>(h)};
  }
  return net::make_error(
      net::errc::config,
      "unknown policy \"" + text +
          "\" (use thirds, fixed:<height>, adaptive or bba)");
}

net::result<abr_policy> abr_policy::make(const policy_spec& spec,
                                         std::vector<rendition_profile> rs,
                                         uint32_t frames, uint32_t fps_milli,
                                         const abr_settings& settings) {
  if (rs.empty())
    return net::make_error(net::errc::not_found, "no rendition to play");
  std::sort(rs.begin(), rs.end(),
            [](auto& x, auto& y) { return x.height < y.height; });
  abr_policy p;
  p.spec_ = spec;
  p.renditions_ = std::move(rs);
  p.frames_ = frames;
  p.settings_ = settings;
  p.decision_frames_ = settings.decision_frames != 0
                           ? settings.decision_frames
                           : std::max<uint32_t>(1, (fps_milli + 500) / 1000);
  if (spec.kind == policy_kind::fixed) {
    auto it = std::find_if(p.renditions_.begin(), p.renditions_.end(),
                           [&](auto& r) { return r.height == spec.height; });
    if (it == p.renditions_.end()) {
      std::string have;
      for (auto& r : p.renditions_)
        have += (have.empty() ? "" : ", ") + std::to_string(r.height) + "p";
      return net::make_error(net::errc::not_found,
                             "no " + std::to_string(spec.height) +
                                 "p rendition (available: " + have + ")");
    }
    p.fixed_ = static_cast<size_t>(it - p.renditions_.begin());
  }
  p.current_ = spec.kind == policy_kind::fixed
                   ? p.fixed_
                   : std::min(settings.start, p.renditions_.size() - 1);
  return p;
}

size_t abr_policy::thirds(uint32_t i) const {
  // The prototype's split: i < N/3 low, i < 2N/3 middle, else high
  // (compared exactly, in integers). With fewer or more than three
  // renditions, the thirds map onto lowest, middle and highest.
  auto n = uint64_t{frames_};
  size_t slot = uint64_t{i} * 3 < n ? 0 : (uint64_t{i} * 3 < 2 * n ? 1 : 2);
  auto top = renditions_.size() - 1;
  return (slot * top + 1) / 2;
}

void abr_policy::observe(uint32_t buffer_ms, uint32_t throughput_kbps) {
  have_report_ = true;
  buffer_ms_ = buffer_ms;
  if (throughput_kbps != 0)
    throughput_kbps_ = throughput_kbps;
}

void abr_policy::observe_capacity(uint32_t kbps) {
  if (kbps == 0)
    return;
  capacity_kbps_ = kbps;
  capacity_age_ = 0;
  if (kbps < renditions_[current_].bitrate_kbps)
    urgent_ = true;
}

void abr_policy::decide() {
  auto bitrate = [&](size_t r) { return renditions_[r].bitrate_kbps; };
  // The server's measurement first: it is not fooled by the client's
  // bursts (a TCP recovery hands it many frames at once) and sees a link
  // that slowed within a window, while the client still holds its last
  // burst estimate.
  if (capacity_kbps_ != 0 && capacity_kbps_ < bitrate(current_) &&
      current_ > 0) {
    auto r = current_;
    while (r > 0 && bitrate(r) > capacity_kbps_)
      --r;
    current_ = r;
    up_votes_ = 0;
    return;
  }
  if (!have_report_)
    return;
  bool known_tp = throughput_kbps_ != 0;
  // The client's figure is no reason to step down: in steady state it is
  // the paced video rate (a lower bound that hovers around the bitrate),
  // and it stepped 1080p down to 240p within 20 s on a 12 Mbit/s link
  // that carried 1080p. A link that cannot carry the rendition makes data
  // wait, which the capacity above sees. Step down one when the buffer is
  // about to run dry.
  if (buffer_ms_ < settings_.low_buffer_ms) {
    if (current_ > 0)
      --current_;
    up_votes_ = 0;
    return;
  }
  // Step up only after consecutive decisions agree (hysteresis).
  auto enough = [&](uint32_t kbps) {
    return kbps >= settings_.up_factor * bitrate(current_ + 1);
  };
  if (current_ + 1 < renditions_.size() && known_tp &&
      buffer_ms_ >= settings_.high_buffer_ms && enough(throughput_kbps_) &&
      (capacity_kbps_ == 0 || enough(capacity_kbps_))) {
    if (++up_votes_ >= settings_.up_confirmations) {
      ++current_;
      up_votes_ = 0;
    }
    return;
  }
  up_votes_ = 0;
}

void abr_policy::decide_bba() {
  // BBA-0 (Huang et al., SIGCOMM 2014, algorithm 1): the rate map f(B)
  // is R_min up to the reservoir, R_max from reservoir + cushion, linear
  // in between; the rendition moves only when f(B) passes the next rate
  // up or down (hysteresis of one step on each side).
  if (!have_report_)
    return;
  auto rate = [&](size_t r) {
    return static_cast<double>(renditions_[r].bitrate_kbps);
  };
  auto top = renditions_.size() - 1;
  double target = settings_.buffer_target_ms;
  double reservoir = settings_.reservoir * target;
  double cushion = std::max(1.0, settings_.cushion * target);
  double b = buffer_ms_;
  if (b <= reservoir) {
    current_ = 0;
    return;
  }
  if (b >= reservoir + cushion) {
    current_ = top;
    return;
  }
  double f = rate(0) + (rate(top) - rate(0)) * (b - reservoir) / cushion;
  double plus = current_ == top ? rate(top) : rate(current_ + 1);
  double minus = current_ == 0 ? rate(0) : rate(current_ - 1);
  if (f >= plus) {
    // the highest rate below f
    while (current_ < top && rate(current_ + 1) < f)
      ++current_;
  } else if (f <= minus) {
    // the lowest rate above f
    while (current_ > 0 && rate(current_ - 1) > f)
      --current_;
  }
}

size_t abr_policy::choose(uint32_t i) {
  auto before = current_;
  if (capacity_kbps_ != 0 &&
      ++capacity_age_ > settings_.capacity_hold_s * decision_frames_)
    capacity_kbps_ = 0;
  switch (spec_.kind) {
  case policy_kind::thirds:
    current_ = thirds(i);
    break;
  case policy_kind::fixed:
    current_ = fixed_;
    break;
  case policy_kind::adaptive:
    // Decide on the first frame of every second of video, with the latest
    // report; a capacity below the current bitrate cannot wait.
    if (since_decision_ == 0 || urgent_)
      decide();
    urgent_ = false;
    if (++since_decision_ >= decision_frames_)
      since_decision_ = 0;
    break;
  case policy_kind::bba:
    // The same cadence: a BBA "chunk" is one second of video.
    if (since_decision_ == 0)
      decide_bba();
    if (++since_decision_ >= decision_frames_)
      since_decision_ = 0;
    break;
  }
  if (started_ && current_ != before)
    ++switches_;
  started_ = true;
  return current_;
}

} // namespace video
