#pragma once

// Helpers of the console's screen tests: a protobuf time, and a screen as one string.

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "agent-console/agent_screen.h"
#include "google/protobuf/timestamp.pb.h"

namespace servicedesk::console {

inline const absl::Time kNow = absl::FromUnixSeconds(1'764'590'400);  // 2025-12-01 12:00 UTC

inline google::protobuf::Timestamp Stamp(absl::Time t) {
  google::protobuf::Timestamp stamp;
  stamp.set_seconds(absl::ToUnixSeconds(t));
  return stamp;
}

inline std::string Text(const std::vector<ScreenLine>& lines) {
  std::string out;
  for (const auto& line : lines) out += line.text + "\n";
  return out;
}

}  // namespace servicedesk::console
