#include "services/server/ticket_rules.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace servicedesk::server {

namespace {

absl::Status Invalid(const std::string& field, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

// "08:30" -> 8 h 30 min.
bool ParseClock(absl::string_view text, absl::Duration* out) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  int hours = 0, minutes = 0;
  if (parts.size() != 2 || parts[0].size() != 2 || parts[1].size() != 2 ||
      !absl::SimpleAtoi(parts[0], &hours) || !absl::SimpleAtoi(parts[1], &minutes) || hours < 0 ||
      hours > 24 || minutes < 0 || minutes > 59 || (hours == 24 && minutes != 0)) {
    return false;
  }
  *out = absl::Hours(hours) + absl::Minutes(minutes);
  return true;
}

absl::StatusOr<tickets::SlaTargets> TargetsFrom(const SlaRuleConfig& rule, const std::string& field) {
  constexpr int kMaxMinutes = 365 * 24 * 60;
  if (rule.first_response_minutes < 1 || rule.first_response_minutes > kMaxMinutes) {
    return Invalid(absl::StrCat(field, "first_response_minutes"), "must be 1 to 525600");
  }
  if (rule.resolution_minutes < 1 || rule.resolution_minutes > kMaxMinutes) {
    return Invalid(absl::StrCat(field, "resolution_minutes"), "must be 1 to 525600");
  }
  if (rule.warning_percent < 1 || rule.warning_percent > 100) {
    return Invalid(absl::StrCat(field, "warning_percent"), "must be 1 to 100");
  }
  tickets::SlaTargets targets;
  targets.first_response = absl::Minutes(rule.first_response_minutes);
  targets.resolution = absl::Minutes(rule.resolution_minutes);
  targets.business_hours = rule.business_hours;
  targets.warning_share = rule.warning_percent / 100.0;
  return targets;
}

}  // namespace

absl::StatusOr<TicketRules> TicketRulesFrom(const TicketsConfig& config) {
  TicketRules rules;
  tickets::BusinessCalendarConfig& calendar = rules.calendar;
  if (!absl::LoadTimeZone(config.time_zone, &calendar.zone)) {
    return Invalid("tickets.time_zone", absl::StrCat("'", config.time_zone, "' is not a known time zone"));
  }
  const std::vector<absl::string_view> halves = absl::StrSplit(config.working_hours, '-');
  absl::Duration start, end;
  if (halves.size() != 2 || !ParseClock(halves[0], &start) || !ParseClock(halves[1], &end) || end <= start) {
    return Invalid("tickets.working_hours",
                   absl::StrCat("'", config.working_hours, "' is not HH:MM-HH:MM with the end after the start"));
  }
  static constexpr const char* kDays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  for (std::size_t i = 0; i < config.working_days.size(); ++i) {
    const auto* day = std::find(std::begin(kDays), std::end(kDays), config.working_days[i]);
    if (day == std::end(kDays)) {
      return Invalid(absl::StrCat("tickets.working_days[", i, "]"),
                     absl::StrCat("'", config.working_days[i], "' is not mon, tue, wed, thu, fri, sat or sun"));
    }
    auto& spans = calendar.hours[static_cast<std::size_t>(day - std::begin(kDays))];
    if (!spans.empty()) return Invalid(absl::StrCat("tickets.working_days[", i, "]"), "named twice");
    spans.push_back(tickets::WorkingSpan{start, end});
  }
  if (config.working_days.empty()) return Invalid("tickets.working_days", "at least one day");
  for (std::size_t i = 0; i < config.holidays.size(); ++i) {
    absl::CivilDay day;
    if (!absl::ParseCivilTime(config.holidays[i], &day)) {
      return Invalid(absl::StrCat("tickets.holidays[", i, "]"),
                     absl::StrCat("'", config.holidays[i], "' is not a date (YYYY-MM-DD)"));
    }
    calendar.holidays.push_back(day);
  }
  if (auto s = tickets::ValidateCalendar(calendar); !s.ok()) {
    return Invalid("tickets.working_days", std::string(s.message()));
  }

  auto defaults = TargetsFrom(config.default_sla, "tickets.");
  if (!defaults.ok()) return defaults.status();
  rules.policy.default_targets = *defaults;
  for (std::size_t i = 0; i < config.sla.size(); ++i) {
    const SlaRuleConfig& rule = config.sla[i];
    const std::string field = absl::StrCat("tickets.sla[", i, "].");
    tickets::SlaRule out;
    if (!rule.priority.empty()) {
      for (int p = 0; p < tickets::kTicketPriorityCount; ++p) {
        const auto priority = static_cast<tickets::TicketPriority>(p);
        if (rule.priority == tickets::TicketPriorityName(priority)) out.priority = priority;
      }
      if (!out.priority) {
        return Invalid(absl::StrCat(field, "priority"),
                       absl::StrCat("'", rule.priority, "' is not low, normal, high or urgent"));
      }
    }
    if (!rule.tier.empty()) {
      for (int t = 0; t < tickets::kCustomerTierCount; ++t) {
        const auto tier = static_cast<tickets::CustomerTier>(t);
        // The core writes "key-important"; the file may write key_important.
        if (absl::StrReplaceAll(rule.tier, {{"_", "-"}}) == tickets::CustomerTierName(tier)) out.tier = tier;
      }
      if (!out.tier) {
        return Invalid(absl::StrCat(field, "tier"),
                       absl::StrCat("'", rule.tier,
                                    "' is not key_important, key_secondary, ordinary, small or unknown"));
      }
    }
    auto targets = TargetsFrom(rule, field);
    if (!targets.ok()) return targets.status();
    out.targets = *targets;
    rules.policy.rules.push_back(std::move(out));
  }
  if (auto s = rules.policy.Validate(); !s.ok()) {
    // The core names its own fields ("sla.rules[2]..."); the file calls them tickets.sla[2].
    return absl::InvalidArgumentError(absl::StrReplaceAll(
        s.message(), {{"sla.rules[", "tickets.sla["}, {"sla.default.", "tickets."}}));
  }
  return rules;
}

}  // namespace servicedesk::server
