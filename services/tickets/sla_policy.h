#pragma once

// SLA policies: which first-response and resolution targets a ticket gets, chosen by its
// priority and its customer's tier.
//
// A table is an ordered list of rules, each matching a priority (or any) and a tier (or
// any); the first matching rule wins, and a ticket no rule matches gets the default
// targets. Order the rules from the most specific to the most general.
//
// Plain data; Validate before use (configuration is input). Thread safety: immutable use is
// safe from any thread.

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace servicedesk::tickets {

enum class TicketPriority : uint8_t { kLow = 0, kNormal = 1, kHigh = 2, kUrgent = 3 };
inline constexpr int kTicketPriorityCount = 4;
// "low", "normal", "high", "urgent"; "unknown" outside the enum.
const char* TicketPriorityName(TicketPriority priority);

// The customer pyramid (DOMAIN.md section 4), as the SLA sees it. Same values as
// routing::Tier, so that the owner converts with a cast; kept apart because this core
// depends on Abseil only.
enum class CustomerTier : uint8_t {
  kUnknown = 0,  // no customer file, or not yet classified
  kKeyImportant = 1,
  kKeySecondary = 2,
  kOrdinary = 3,
  kSmall = 4,
};
inline constexpr int kCustomerTierCount = 5;
// "unknown", "key-important", "key-secondary", "ordinary", "small"; "invalid" outside the enum.
const char* CustomerTierName(CustomerTier tier);

struct SlaTargets {
  // Until the first public reply. Must be positive and finite.
  absl::Duration first_response = absl::Hours(8);
  // Until solved. Must be positive and finite.
  absl::Duration resolution = absl::Hours(40);
  // Counted in the desk's business calendar (true) or in calendar time (false).
  bool business_hours = true;
  // The warning fires when this share of a target is used. In (0, 1]. Default: 0.75.
  double warning_share = 0.75;

  bool operator==(const SlaTargets& other) const = default;
};

struct SlaRule {
  std::optional<TicketPriority> priority;  // nullopt: any priority
  std::optional<CustomerTier> tier;        // nullopt: any tier
  SlaTargets targets;
};

struct SlaPolicyTable {
  std::vector<SlaRule> rules;  // the first match wins
  SlaTargets default_targets;  // when no rule matches

  // OK, or INVALID_ARGUMENT naming the field, e.g.
  //   "sla.rules[2].resolution: must be positive, got 0"
  //   "sla.default.warning_share: must be in (0, 1], got 1.5"
  //   "sla.rules[3]: never chosen, earlier rules match every ticket it matches"
  // The last one catches a general rule put before specific ones.
  absl::Status Validate() const;

  // The targets of a ticket: those of the first matching rule, or the default.
  const SlaTargets& Select(TicketPriority priority, CustomerTier tier) const;
};

}  // namespace servicedesk::tickets
