#pragma once

// Time limits of the four-step complaint workflow (DOMAIN.md section 2: "each step is timed
// against a limit"), the follow-up schedule, the optional regulatory profile, and the
// deadlines a complaint carries.
//
// Step limits, counted in calendar time (the customer counts days, not office hours):
//   recording    within `recording` of opening. It covers venting too: a complaint left in
//                the venting step is late to be recorded all the same.
//   resolution   within `resolution` of entering the resolution step (after the recording,
//                or after a reopen: each loop gets the full limit again).
//   follow_up    within `follow_up` of entering the follow-up step (the accepted proposal).
// A limit is chosen when its step starts, from the complaint's severity (unknown until
// recorded: only rules without a severity condition match before that) and its customer
// tier (fixed at opening). It does not move while the step lasts: a refused proposal or an
// escalation keeps the resolution deadline.
//
// The follow-up schedule: the first attempt falls due `follow_up_delay` after the accepted
// proposal, an unreached customer is tried again `retry_delay` after each failed attempt,
// and after `max_follow_up_attempts` failed attempts the complaint closes as unreachable.
//
// The regulatory profile (when configured), counted from opening:
//   acknowledgement  every complaint (whether it is regulated is known only once recorded,
//                    and acknowledging costs little); met when the complaint is recorded.
//   holding_reply    a reminder to send a holding reply, for a regulated complaint that has
//                    no final response yet; dropped with the final response.
//   final_response   regulated complaints; met when a proposal is accepted (the desk's final
//                    position). A later reopen does not start it again.
//
// A deadline is reached at its instant (exactly at the deadline is late, as for the
// tickets' SLA clocks), and raised once: TakeDue hands each reached deadline out a single
// time, so the owner writes one "overdue" event per deadline, and tells the owner when to
// call it again (one timer per desk, like the tickets' SLA timer).
//
// Plain data and pure functions. Validate configuration before use (it is input). Thread
// safety: immutable use is safe from any thread; TakeDue changes the state it is given.

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/tickets/sla_policy.h"

namespace servicedesk::complaints {

// The customer pyramid (DOMAIN.md section 4), the same enum as the tickets' SLA policies:
// one tier per customer, whatever the desk feature.
using CustomerTier = tickets::CustomerTier;
using tickets::CustomerTierName;
using tickets::kCustomerTierCount;

// How serious the complaint is, as recorded. Picks the limits together with the tier.
enum class Severity : uint8_t { kLow = 0, kMedium = 1, kHigh = 2, kCritical = 3 };
inline constexpr int kSeverityCount = 4;
// "low", "medium", "high", "critical"; "unknown" outside the enum.
const char* SeverityName(Severity severity);

struct ComplaintLimits {
  // Until recorded, from opening. Default: 1 day.
  absl::Duration recording = absl::Hours(24);
  // Until a proposal is accepted, from entering the resolution step. Default: 5 days.
  absl::Duration resolution = absl::Hours(5 * 24);
  // Until the follow-up result is in, from the accepted proposal. Default: 7 days.
  absl::Duration follow_up = absl::Hours(7 * 24);
  // From the accepted proposal to the first follow-up attempt. Default: 3 days.
  absl::Duration follow_up_delay = absl::Hours(3 * 24);
  // From a failed attempt (customer not reached) to the next one. Default: 1 day.
  absl::Duration retry_delay = absl::Hours(24);
  // Failed attempts after which the complaint closes as unreachable. 1 to 10. Default: 3.
  int max_follow_up_attempts = 3;

  bool operator==(const ComplaintLimits& other) const = default;
};

struct LimitRule {
  std::optional<Severity> severity;  // nullopt: any severity, also not yet recorded
  std::optional<CustomerTier> tier;  // nullopt: any tier
  ComplaintLimits limits;
};

// Counted from opening, in calendar time. All positive; the acknowledgement and the holding
// reply come before the final response.
struct RegulatoryProfile {
  // Default: 2 days.
  absl::Duration acknowledgement = absl::Hours(2 * 24);
  // Default: 4 weeks.
  absl::Duration holding_reply = absl::Hours(4 * 7 * 24);
  // Default: 8 weeks.
  absl::Duration final_response = absl::Hours(8 * 7 * 24);

  bool operator==(const RegulatoryProfile& other) const = default;
};

struct ComplaintLimitsTable {
  std::vector<LimitRule> rules;    // the first match wins; most specific first
  ComplaintLimits default_limits;  // when no rule matches
  // nullopt: no regulatory deadlines (the desk is not under a complaints regulation).
  std::optional<RegulatoryProfile> regulatory;

  // OK, or INVALID_ARGUMENT naming the field, e.g.
  //   "limits.rules[1].resolution: must be positive, got 0"
  //   "limits.default.max_follow_up_attempts: must be 1 to 10, got 0"
  //   "limits.regulatory.holding_reply: must be before final_response (1344h), got 1512h"
  //   "limits.rules[3]: never chosen, earlier rules match every complaint it matches"
  absl::Status Validate() const;

  // The limits of the first matching rule, or the default. A rule with a severity condition
  // never matches `severity == nullopt` (not recorded yet).
  const ComplaintLimits& Select(std::optional<Severity> severity, CustomerTier tier) const;
};

enum class DeadlineKind : uint8_t {
  kRecording = 0,        // step limit (venting and recording steps)
  kResolution = 1,       // step limit
  kFollowUp = 2,         // step limit
  kAcknowledgement = 3,  // regulatory
  kHoldingReply = 4,     // regulatory reminder
  kFinalResponse = 5,    // regulatory
};
inline constexpr int kDeadlineKindCount = 6;
// "recording", "resolution", "follow_up", "acknowledgement", "holding_reply",
// "final_response"; "unknown" outside the enum.
const char* DeadlineKindName(DeadlineKind kind);

// One pending deadline of one complaint. A complaint holds at most one per kind; a met
// deadline is removed (by the workflow), a reached one stays, marked raised, until met.
struct Deadline {
  DeadlineKind kind = DeadlineKind::kRecording;
  absl::Time at;
  bool raised = false;  // TakeDue handed it out

  bool operator==(const Deadline& other) const = default;
};

struct ComplaintState;  // complaint_workflow.h

// The deadline of the current step (recording in the venting and recording steps), as the
// screen pop shows it; nullopt for a closed complaint.
std::optional<absl::Time> StepDeadline(const ComplaintState& state);

// Every deadline of `state` reached at `now` (at or before it), raised or not, earliest
// first: what is overdue right now, for display.
std::vector<Deadline> Overdue(const ComplaintState& state, absl::Time now);

// When the owner should call TakeDue next: the earliest deadline not raised yet, or the
// current follow-up attempt not handed out yet, whichever is first (in the past when
// TakeDue is late). nullopt when nothing can fall due without a workflow action.
std::optional<absl::Time> NextDueAt(const ComplaintState& state);

struct DueReport {
  // Deadlines reached by `now` and not raised before, earliest first; now marked raised.
  std::vector<Deadline> reached;
  // The instant the current follow-up attempt fell due, when it did by `now` and was not
  // handed out before: deliver the outbound follow-up task. Once per attempt (a retry
  // schedules a new one).
  std::optional<absl::Time> follow_up_due;
  // NextDueAt after this call: strictly after `now`, or nullopt.
  std::optional<absl::Time> next_at;
};

// Hands out what fell due by `now` (each deadline and each follow-up attempt once) and marks
// it so in `state`.
DueReport TakeDue(ComplaintState& state, absl::Time now);

}  // namespace servicedesk::complaints
