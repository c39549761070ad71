#pragma once

// Rendition choice (adaptive bitrate). Pure, deterministic logic: the
// video_stream actor feeds it acks and asks it which rendition to send for
// each timeline index.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "net/error.hpp"

namespace video {

/// The kinds of policy a client can ask for.
enum class policy_kind : uint8_t { thirds, fixed, adaptive, bba };

/// A parsed policy: "thirds", "fixed:<height>", "adaptive" or "bba".
struct policy_spec {
  policy_kind kind = policy_kind::thirds;
  uint16_t height = 0; ///< for `fixed`

  /// The canonical text, e.g. "fixed:720".
  std::string to_string() const;

  friend bool operator==(const policy_spec& x, const policy_spec& y) {
    return x.kind == y.kind && x.height == y.height;
  }
};

/// Parses a policy text; an error names what is wrong with it.
[[nodiscard]] net::result<policy_spec> parse_policy(const std::string& text);

/// What the policy knows about a rendition.
struct rendition_profile {
  uint16_t height = 0;
  uint32_t bitrate_kbps = 0; ///< average at the native rate
};

/// Tuning of the adaptive and bba policies.
struct abr_settings {
  uint32_t low_buffer_ms = 1000; ///< below: step down at once
  uint32_t high_buffer_ms =
      3000;                      ///< above (and enough throughput): may step up
  double up_factor = 1.2;        ///< throughput needed vs. next bitrate
  uint32_t up_confirmations = 2; ///< consecutive good decisions to step up
  uint32_t decision_frames = 0;  ///< frames between decisions; 0 = 1 s
  size_t start = 0;              ///< rendition to start adaptive at
  /// adaptive: a capacity sample (observe_capacity) bounds the climb for
  /// this many seconds of video sent, unless a newer one replaces it.
  uint32_t capacity_hold_s = 30;
  /// bba: the stream's buffer target; reservoir and cushion are fractions
  /// of it (BBA-0: lowest rendition up to the reservoir, highest from
  /// reservoir + cushion, linear in between).
  uint32_t buffer_target_ms = 1500;
  double reservoir = 0.25;
  double cushion = 0.5;
};

/// Chooses the rendition of each timeline index of one playback.
class abr_policy {
public:
  /// `renditions` ascending by height; `frames` and `fps_milli` describe the
  /// timeline. Error when a fixed height does not exist or nothing exists.
  [[nodiscard]] static net::result<abr_policy>
  make(const policy_spec& spec, std::vector<rendition_profile> renditions,
       uint32_t frames, uint32_t fps_milli, const abr_settings& settings = {});

  /// The rendition (index into the profiles) for timeline index `i`. Call
  /// with increasing `i` (a seek may jump); adaptive decides at every
  /// `decision_frames`-th call.
  size_t choose(uint32_t i);

  /// Feeds the latest client report (from a video_ack); 0 throughput means
  /// unknown.
  void observe(uint32_t buffer_ms, uint32_t throughput_kbps);

  /// Feeds the server's own measurement of the link (delivery_meter): a
  /// rate at which acked data was queued the whole time. adaptive steps
  /// down to what fits at the next frame when it is below the current
  /// bitrate, and climbs above it only once it is older than the hold.
  void observe_capacity(uint32_t kbps);

  /// The rendition chosen last.
  size_t current() const {
    return current_;
  }

  /// Number of times the chosen rendition changed.
  size_t switches() const {
    return switches_;
  }

  const policy_spec& spec() const {
    return spec_;
  }

  const std::vector<rendition_profile>& renditions() const {
    return renditions_;
  }

private:
  size_t thirds(uint32_t i) const;
  void decide();
  void decide_bba();

  policy_spec spec_;
  std::vector<rendition_profile> renditions_;
  uint32_t frames_ = 0;
  uint32_t decision_frames_ = 25;
  abr_settings settings_;
  size_t current_ = 0;
  size_t fixed_ = 0;
  size_t switches_ = 0;
  bool started_ = false;
  uint32_t since_decision_ = 0;
  uint32_t up_votes_ = 0;
  bool have_report_ = false;
  uint32_t buffer_ms_ = 0;
  uint32_t throughput_kbps_ = 0;
  uint32_t capacity_kbps_ = 0; ///< 0: none, or older than the hold
  uint32_t capacity_age_ = 0;  ///< frames chosen since the sample
  bool urgent_ = false;        ///< decide at the next frame
};

} // namespace video
