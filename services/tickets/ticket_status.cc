#include "services/tickets/ticket_status.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"

namespace servicedesk::tickets {
namespace {

bool IsKnown(TicketStatus status) {
  return static_cast<int>(status) < kTicketStatusCount;  // uint8_t: never negative
}

bool IsKnown(PendingReason reason) { return static_cast<int>(reason) < kPendingReasonCount; }

// "an open ticket", "a closed ticket": the messages are read by agents and API users.
const char* Article(TicketStatus status) { return status == TicketStatus::kOpen ? "an" : "a"; }

// "open, pending, solved", or "none" for a final status.
std::string AllowedFrom(TicketStatus from) {
  std::string allowed;
  for (const StatusTransition& t : kAllowedTransitions) {
    if (t.from != from) continue;
    absl::StrAppend(&allowed, allowed.empty() ? "" : ", ", TicketStatusName(t.to));
  }
  return allowed.empty() ? "none" : allowed;
}

}  // namespace

const char* TicketStatusName(TicketStatus status) {
  switch (status) {
    case TicketStatus::kNew:
      return "new";
    case TicketStatus::kOpen:
      return "open";
    case TicketStatus::kPending:
      return "pending";
    case TicketStatus::kSolved:
      return "solved";
    case TicketStatus::kClosed:
      return "closed";
  }
  return "unknown";
}

const char* PendingReasonName(PendingReason reason) {
  switch (reason) {
    case PendingReason::kWaitingOnCustomer:
      return "waiting_on_customer";
    case PendingReason::kWaitingOnThirdParty:
      return "waiting_on_third_party";
  }
  return "unknown";
}

bool IsTransitionAllowed(TicketStatus from, TicketStatus to) {
  for (const StatusTransition& t : kAllowedTransitions) {
    if (t.from == from && t.to == to) return true;
  }
  return false;
}

absl::Status CheckTransition(TicketStatus from, TicketStatus to,
                             std::optional<PendingReason> reason) {
  if (!IsKnown(to)) {
    return absl::InvalidArgumentError(absl::StrCat("status: unknown value ", static_cast<int>(to)));
  }
  if (to == TicketStatus::kPending && !reason.has_value()) {
    return absl::InvalidArgumentError(
        "pending_reason: required when the status is pending (waiting_on_customer or "
        "waiting_on_third_party)");
  }
  if (to != TicketStatus::kPending && reason.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "pending_reason: only a pending ticket has one, the new status is ", TicketStatusName(to)));
  }
  if (reason.has_value() && !IsKnown(*reason)) {
    return absl::InvalidArgumentError(
        absl::StrCat("pending_reason: unknown value ", static_cast<int>(*reason)));
  }
  if (!IsTransitionAllowed(from, to)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "status: ", Article(from), " ", TicketStatusName(from), " ticket cannot become ",
        TicketStatusName(to), " (from ", TicketStatusName(from), ": ", AllowedFrom(from), ")"));
  }
  return absl::OkStatus();
}

ReopenOutcome DecideReopen(absl::Time solved_at, absl::Time now, absl::Duration reopen_window) {
  // now - solved_at is negative when now is earlier: within the window, as documented.
  return now - solved_at <= std::max(reopen_window, absl::ZeroDuration())
             ? ReopenOutcome::kReopen
             : ReopenOutcome::kNewLinkedTicket;
}

}  // namespace servicedesk::tickets
