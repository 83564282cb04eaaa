#pragma once

// Satisfaction from survey scores (DOMAIN.md section 7): per agent, queue, tier and for the
// desk, by calendar month. Pure: the caller passes times and the zone months are counted in.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace servicedesk::crm {

inline constexpr int kLowestScore = 1;
inline constexpr int kHighestScore = 5;
// A score at or above it counts as satisfied.
inline constexpr int kSatisfiedScore = 4;

struct SatisfactionCounts {
  std::array<int64_t, 5> scores{};  // how many scored 1 .. 5

  // False (and nothing counted) for a score outside 1 to 5.
  bool Add(int score);
  int64_t responses() const;
  double mean() const;               // 0 without responses
  double satisfied_percent() const;  // share scoring 4 or 5, 0 without responses
};

std::string SatisfactionFormula();

// "YYYY-MM" of `t` in `zone`.
std::string MonthOf(absl::Time t, absl::TimeZone zone);
// "YYYY-MM" -> the month; nullopt when malformed.
std::optional<absl::CivilMonth> ParseMonth(std::string_view text);
std::string FormatMonth(absl::CivilMonth month);

}  // namespace servicedesk::crm
