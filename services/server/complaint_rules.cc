#include "services/server/complaint_rules.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace servicedesk::server {

namespace {

absl::Status Invalid(const std::string& field, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

absl::Status Hours(int value, const std::string& field, int max_hours) {
  if (value < 1 || value > max_hours) return Invalid(field, absl::StrCat("must be 1 to ", max_hours, ", got ", value));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<complaints::WorkflowConfig> ComplaintRulesFrom(const ComplaintsConfig& config) {
  constexpr int kYear = 365 * 24;
  complaints::WorkflowConfig out;
  out.categories = config.categories;
  out.satisfied_threshold = config.satisfied_threshold;
  auto limits = [&](const ComplaintLimitConfig& in, const std::string& prefix)
      -> absl::StatusOr<complaints::ComplaintLimits> {
    if (auto s = Hours(in.recording_hours, prefix + "recording_hours", kYear); !s.ok()) return s;
    if (auto s = Hours(in.resolution_hours, prefix + "resolution_hours", kYear); !s.ok()) return s;
    if (auto s = Hours(in.follow_up_hours, prefix + "follow_up_hours", kYear); !s.ok()) return s;
    if (auto s = Hours(config.follow_up_delay_hours, "complaints.follow_up_delay_hours", kYear); !s.ok()) return s;
    if (auto s = Hours(config.retry_delay_hours, "complaints.retry_delay_hours", kYear); !s.ok()) return s;
    if (config.max_follow_up_attempts < 1 || config.max_follow_up_attempts > 10) {
      return Invalid("complaints.max_follow_up_attempts", "must be 1 to 10");
    }
    complaints::ComplaintLimits l;
    l.recording = absl::Hours(in.recording_hours);
    l.resolution = absl::Hours(in.resolution_hours);
    l.follow_up = absl::Hours(in.follow_up_hours);
    l.follow_up_delay = absl::Hours(config.follow_up_delay_hours);
    l.retry_delay = absl::Hours(config.retry_delay_hours);
    l.max_follow_up_attempts = config.max_follow_up_attempts;
    return l;
  };
  auto defaults = limits(config.default_limits, "complaints.");
  if (!defaults.ok()) return defaults.status();
  out.limits.default_limits = *defaults;
  for (std::size_t i = 0; i < config.limits.size(); ++i) {
    const ComplaintLimitConfig& rule = config.limits[i];
    const std::string field = absl::StrCat("complaints.limits[", i, "].");
    complaints::LimitRule r;
    if (!rule.severity.empty()) {
      for (int v = 0; v < 4; ++v) {
        const auto severity = static_cast<complaints::Severity>(v);
        if (rule.severity == complaints::SeverityName(severity)) r.severity = severity;
      }
      if (!r.severity) {
        return Invalid(field + "severity", absl::StrCat("'", rule.severity, "' is not low, medium, high or critical"));
      }
    }
    if (!rule.tier.empty()) {
      for (int t = 0; t < tickets::kCustomerTierCount; ++t) {
        const auto tier = static_cast<tickets::CustomerTier>(t);
        if (absl::StrReplaceAll(rule.tier, {{"_", "-"}}) == tickets::CustomerTierName(tier)) r.tier = tier;
      }
      if (!r.tier) {
        return Invalid(field + "tier",
                       absl::StrCat("'", rule.tier, "' is not key_important, key_secondary, ordinary, small or unknown"));
      }
    }
    auto l = limits(rule, field);
    if (!l.ok()) return l.status();
    r.limits = *l;
    out.limits.rules.push_back(std::move(r));
  }
  if (config.regulatory) {
    complaints::RegulatoryProfile profile;
    for (auto [value, key] : {std::pair{config.acknowledgement_days, "acknowledgement_days"},
                              std::pair{config.holding_reply_days, "holding_reply_days"},
                              std::pair{config.final_response_days, "final_response_days"}}) {
      if (value < 1 || value > 365) return Invalid(absl::StrCat("complaints.", key), "must be 1 to 365");
    }
    profile.acknowledgement = absl::Hours(24 * config.acknowledgement_days);
    profile.holding_reply = absl::Hours(24 * config.holding_reply_days);
    profile.final_response = absl::Hours(24 * config.final_response_days);
    out.limits.regulatory = profile;
  }
  if (auto s = out.Validate(); !s.ok()) {
    // The core names its own fields ("limits.rules[2]..."); the file calls them complaints.limits[2].
    return absl::InvalidArgumentError(absl::StrCat(
        "complaints.", absl::StrReplaceAll(s.message(), {{"limits.rules[", "limits["},
                                                         {"limits.default.", ""},
                                                         {"limits.regulatory.", ""}})));
  }
  return out;
}

}  // namespace servicedesk::server
