#include "services/crm/satisfaction.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"

namespace servicedesk::crm {

bool SatisfactionCounts::Add(int score) {
  if (score < kLowestScore || score > kHighestScore) return false;
  ++scores[static_cast<std::size_t>(score - kLowestScore)];
  return true;
}

int64_t SatisfactionCounts::responses() const {
  int64_t n = 0;
  for (int64_t c : scores) n += c;
  return n;
}

double SatisfactionCounts::mean() const {
  const int64_t n = responses();
  if (n == 0) return 0;
  double sum = 0;
  for (int s = kLowestScore; s <= kHighestScore; ++s) sum += static_cast<double>(s) * static_cast<double>(scores[s - 1]);
  return sum / static_cast<double>(n);
}

double SatisfactionCounts::satisfied_percent() const {
  const int64_t n = responses();
  if (n == 0) return 0;
  int64_t satisfied = 0;
  for (int s = kSatisfiedScore; s <= kHighestScore; ++s) satisfied += scores[s - 1];
  return 100.0 * static_cast<double>(satisfied) / static_cast<double>(n);
}

std::string SatisfactionFormula() {
  return "mean score = sum of scores / responses; satisfied % = responses scoring 4 or 5 / responses x 100";
}

std::string MonthOf(absl::Time t, absl::TimeZone zone) {
  return FormatMonth(absl::CivilMonth(absl::ToCivilSecond(t, zone)));
}

std::string FormatMonth(absl::CivilMonth month) {
  return absl::StrFormat("%04d-%02d", month.year(), month.month());
}

std::optional<absl::CivilMonth> ParseMonth(std::string_view text) {
  int year = 0, month = 0;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u}) {
    if (i >= text.size() || text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  if (text.size() != 7 || text[4] != '-' || !absl::SimpleAtoi(absl::string_view(text.data(), 4), &year) ||
      !absl::SimpleAtoi(absl::string_view(text.data() + 5, 2), &month) || year < 1970 || year > 9999 || month < 1 || month > 12) {
    return std::nullopt;
  }
  return absl::CivilMonth(year, month);
}

}  // namespace servicedesk::crm
