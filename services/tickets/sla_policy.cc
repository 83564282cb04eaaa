#include "services/tickets/sla_policy.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace servicedesk::tickets {
namespace {

bool Matches(const SlaRule& rule, TicketPriority priority, CustomerTier tier) {
  return (!rule.priority.has_value() || *rule.priority == priority) &&
         (!rule.tier.has_value() || *rule.tier == tier);
}

absl::Status ValidateTarget(const std::string& field, absl::Duration target) {
  if (target <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be positive, got ", absl::FormatDuration(target)));
  }
  if (target == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be finite"));
  }
  return absl::OkStatus();
}

absl::Status ValidateTargets(const std::string& prefix, const SlaTargets& targets) {
  if (absl::Status s = ValidateTarget(prefix + ".first_response", targets.first_response);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateTarget(prefix + ".resolution", targets.resolution); !s.ok()) {
    return s;
  }
  // Written so that NaN fails too.
  if (!(targets.warning_share > 0 && targets.warning_share <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ".warning_share: must be in (0, 1], got ", targets.warning_share));
  }
  return absl::OkStatus();
}

}  // namespace

const char* TicketPriorityName(TicketPriority priority) {
  switch (priority) {
    case TicketPriority::kLow:
      return "low";
    case TicketPriority::kNormal:
      return "normal";
    case TicketPriority::kHigh:
      return "high";
    case TicketPriority::kUrgent:
      return "urgent";
  }
  return "unknown";
}

const char* CustomerTierName(CustomerTier tier) {
  switch (tier) {
    case CustomerTier::kUnknown:
      return "unknown";
    case CustomerTier::kKeyImportant:
      return "key-important";
    case CustomerTier::kKeySecondary:
      return "key-secondary";
    case CustomerTier::kOrdinary:
      return "ordinary";
    case CustomerTier::kSmall:
      return "small";
  }
  return "invalid";
}

absl::Status SlaPolicyTable::Validate() const {
  for (size_t i = 0; i < rules.size(); ++i) {
    const SlaRule& rule = rules[i];
    const std::string field = absl::StrCat("sla.rules[", i, "]");
    if (rule.priority.has_value() && static_cast<int>(*rule.priority) >= kTicketPriorityCount) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".priority: unknown value ", static_cast<int>(*rule.priority)));
    }
    if (rule.tier.has_value() && static_cast<int>(*rule.tier) >= kCustomerTierCount) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".tier: unknown value ", static_cast<int>(*rule.tier)));
    }
    if (absl::Status s = ValidateTargets(field, rule.targets); !s.ok()) return s;
    // A rule every one of whose tickets an earlier rule takes is dead configuration, most
    // likely a general rule written before the specific ones. 4 x 5 cases: check them all.
    bool reachable = false;
    for (int p = 0; p < kTicketPriorityCount && !reachable; ++p) {
      for (int t = 0; t < kCustomerTierCount && !reachable; ++t) {
        const auto priority = static_cast<TicketPriority>(p);
        const auto tier = static_cast<CustomerTier>(t);
        if (!Matches(rule, priority, tier)) continue;
        bool taken = false;
        for (size_t j = 0; j < i && !taken; ++j) taken = Matches(rules[j], priority, tier);
        reachable = !taken;
      }
    }
    if (!reachable) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": never chosen, earlier rules match every ticket it matches"));
    }
  }
  return ValidateTargets("sla.default", default_targets);
}

const SlaTargets& SlaPolicyTable::Select(TicketPriority priority, CustomerTier tier) const {
  for (const SlaRule& rule : rules) {
    if (Matches(rule, priority, tier)) return rule.targets;
  }
  return default_targets;
}

}  // namespace servicedesk::tickets
