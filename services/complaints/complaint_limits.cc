#include "services/complaints/complaint_limits.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/complaints/complaint_workflow.h"

namespace servicedesk::complaints {
namespace {

bool Matches(const LimitRule& rule, std::optional<Severity> severity, CustomerTier tier) {
  return (!rule.severity.has_value() || rule.severity == severity) &&
         (!rule.tier.has_value() || *rule.tier == tier);
}

absl::Status ValidateDuration(const std::string& field, absl::Duration d) {
  if (d <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be positive, got ", absl::FormatDuration(d)));
  }
  if (d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be finite"));
  }
  return absl::OkStatus();
}

absl::Status ValidateLimits(const std::string& prefix, const ComplaintLimits& limits) {
  const std::pair<const char*, absl::Duration> durations[] = {
      {"recording", limits.recording},     {"resolution", limits.resolution},
      {"follow_up", limits.follow_up},     {"follow_up_delay", limits.follow_up_delay},
      {"retry_delay", limits.retry_delay},
  };
  for (const auto& [name, d] : durations) {
    if (absl::Status s = ValidateDuration(absl::StrCat(prefix, ".", name), d); !s.ok()) return s;
  }
  if (limits.max_follow_up_attempts < 1 || limits.max_follow_up_attempts > 10) {
    return absl::InvalidArgumentError(absl::StrCat(
        prefix, ".max_follow_up_attempts: must be 1 to 10, got ", limits.max_follow_up_attempts));
  }
  return absl::OkStatus();
}

absl::Status ValidateRegulatory(const RegulatoryProfile& profile) {
  const std::pair<const char*, absl::Duration> durations[] = {
      {"acknowledgement", profile.acknowledgement},
      {"holding_reply", profile.holding_reply},
      {"final_response", profile.final_response},
  };
  for (const auto& [name, d] : durations) {
    if (absl::Status s = ValidateDuration(absl::StrCat("limits.regulatory.", name), d); !s.ok()) {
      return s;
    }
  }
  // A reminder or an acknowledgement after the final response is due would be meaningless.
  for (const auto& [name, d] : {durations[0], durations[1]}) {
    if (d >= profile.final_response) {
      return absl::InvalidArgumentError(absl::StrCat(
          "limits.regulatory.", name, ": must be before final_response (",
          absl::FormatDuration(profile.final_response), "), got ", absl::FormatDuration(d)));
    }
  }
  return absl::OkStatus();
}

// The step limit that applies in `step`; the venting step counts towards recording.
std::optional<DeadlineKind> StepDeadlineKind(Step step) {
  switch (step) {
    case Step::kVenting:
    case Step::kRecording:
      return DeadlineKind::kRecording;
    case Step::kResolution:
      return DeadlineKind::kResolution;
    case Step::kFollowUp:
      return DeadlineKind::kFollowUp;
    case Step::kClosed:
      break;
  }
  return std::nullopt;
}

bool FollowUpPending(const ComplaintState& state) {
  return state.step == Step::kFollowUp && !state.follow_up_handed_out &&
         state.follow_up_due != absl::InfiniteFuture();
}

}  // namespace

const char* SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kLow:
      return "low";
    case Severity::kMedium:
      return "medium";
    case Severity::kHigh:
      return "high";
    case Severity::kCritical:
      return "critical";
  }
  return "unknown";
}

const char* DeadlineKindName(DeadlineKind kind) {
  switch (kind) {
    case DeadlineKind::kRecording:
      return "recording";
    case DeadlineKind::kResolution:
      return "resolution";
    case DeadlineKind::kFollowUp:
      return "follow_up";
    case DeadlineKind::kAcknowledgement:
      return "acknowledgement";
    case DeadlineKind::kHoldingReply:
      return "holding_reply";
    case DeadlineKind::kFinalResponse:
      return "final_response";
  }
  return "unknown";
}

absl::Status ComplaintLimitsTable::Validate() const {
  for (size_t i = 0; i < rules.size(); ++i) {
    const LimitRule& rule = rules[i];
    const std::string field = absl::StrCat("limits.rules[", i, "]");
    if (rule.severity.has_value() && static_cast<int>(*rule.severity) >= kSeverityCount) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".severity: unknown value ", static_cast<int>(*rule.severity)));
    }
    if (rule.tier.has_value() && static_cast<int>(*rule.tier) >= kCustomerTierCount) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".tier: unknown value ", static_cast<int>(*rule.tier)));
    }
    if (absl::Status s = ValidateLimits(field, rule.limits); !s.ok()) return s;
    // A rule whose every complaint an earlier rule takes is dead configuration, most likely
    // a general rule written before the specific ones. (4 severities + not yet recorded) x 5
    // tiers: check them all.
    bool reachable = false;
    for (int s = -1; s < kSeverityCount && !reachable; ++s) {
      const std::optional<Severity> severity =
          s < 0 ? std::nullopt : std::optional<Severity>(static_cast<Severity>(s));
      for (int t = 0; t < kCustomerTierCount && !reachable; ++t) {
        const auto tier = static_cast<CustomerTier>(t);
        if (!Matches(rule, severity, tier)) continue;
        bool taken = false;
        for (size_t j = 0; j < i && !taken; ++j) taken = Matches(rules[j], severity, tier);
        reachable = !taken;
      }
    }
    if (!reachable) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": never chosen, earlier rules match every complaint it matches"));
    }
  }
  if (absl::Status s = ValidateLimits("limits.default", default_limits); !s.ok()) return s;
  if (regulatory.has_value()) return ValidateRegulatory(*regulatory);
  return absl::OkStatus();
}

const ComplaintLimits& ComplaintLimitsTable::Select(std::optional<Severity> severity,
                                                    CustomerTier tier) const {
  for (const LimitRule& rule : rules) {
    if (Matches(rule, severity, tier)) return rule.limits;
  }
  return default_limits;
}

std::optional<absl::Time> StepDeadline(const ComplaintState& state) {
  const std::optional<DeadlineKind> kind = StepDeadlineKind(state.step);
  if (!kind.has_value()) return std::nullopt;
  for (const Deadline& d : state.deadlines) {
    if (d.kind == *kind) return d.at;
  }
  return std::nullopt;
}

std::vector<Deadline> Overdue(const ComplaintState& state, absl::Time now) {
  std::vector<Deadline> overdue;
  for (const Deadline& d : state.deadlines) {
    if (d.at <= now) overdue.push_back(d);
  }
  std::stable_sort(overdue.begin(), overdue.end(),
                   [](const Deadline& a, const Deadline& b) { return a.at < b.at; });
  return overdue;
}

std::optional<absl::Time> NextDueAt(const ComplaintState& state) {
  absl::Time next = absl::InfiniteFuture();
  for (const Deadline& d : state.deadlines) {
    if (!d.raised) next = std::min(next, d.at);
  }
  if (FollowUpPending(state)) next = std::min(next, state.follow_up_due);
  if (next == absl::InfiniteFuture()) return std::nullopt;
  return next;
}

DueReport TakeDue(ComplaintState& state, absl::Time now) {
  DueReport report;
  for (Deadline& d : state.deadlines) {
    if (d.raised || d.at > now) continue;
    d.raised = true;
    report.reached.push_back(d);
  }
  std::stable_sort(report.reached.begin(), report.reached.end(),
                   [](const Deadline& a, const Deadline& b) { return a.at < b.at; });
  if (FollowUpPending(state) && state.follow_up_due <= now) {
    state.follow_up_handed_out = true;
    report.follow_up_due = state.follow_up_due;
  }
  report.next_at = NextDueAt(state);
  return report;
}

}  // namespace servicedesk::complaints
