#pragma once

// The ticket lifecycle: statuses, the one table of allowed transitions, and the reopen rule.
//
//   new     -> open, pending, solved
//   open    -> pending, solved
//   pending -> open, pending (another reason), solved
//   solved  -> open (reopen, within the window: see DecideReopen), closed
//   closed  -> nothing
//
// The exact list is kAllowedTransitions below; nothing else in the code decides whether a
// status may follow another. A closed ticket is final: a customer who comes back after it
// was closed gets a new ticket linked to the old one.
//
// Pure functions, no state: safe from any thread.

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace servicedesk::tickets {

enum class TicketStatus : uint8_t { kNew = 0, kOpen = 1, kPending = 2, kSolved = 3, kClosed = 4 };
inline constexpr int kTicketStatusCount = 5;

// Why a ticket is pending. Required exactly when the status is kPending: the SLA clocks stop
// while the desk waits on someone else, and the reason says on whom.
enum class PendingReason : uint8_t { kWaitingOnCustomer = 0, kWaitingOnThirdParty = 1 };
inline constexpr int kPendingReasonCount = 2;

// "new", "open", "pending", "solved", "closed"; "unknown" for a value outside the enum.
const char* TicketStatusName(TicketStatus status);
// "waiting_on_customer", "waiting_on_third_party"; "unknown" outside the enum.
const char* PendingReasonName(PendingReason reason);

struct StatusTransition {
  TicketStatus from;
  TicketStatus to;
};

// THE table of allowed status changes. Every pair not listed is forbidden.
inline constexpr StatusTransition kAllowedTransitions[] = {
    // An agent starts working the ticket.
    {TicketStatus::kNew, TicketStatus::kOpen},
    // The first reply asks the customer (or a third party) for something.
    {TicketStatus::kNew, TicketStatus::kPending},
    // Solved on first contact.
    {TicketStatus::kNew, TicketStatus::kSolved},
    {TicketStatus::kOpen, TicketStatus::kPending},
    {TicketStatus::kOpen, TicketStatus::kSolved},
    // The customer (or the third party) answered.
    {TicketStatus::kPending, TicketStatus::kOpen},
    // Still pending, for another reason (e.g. the customer answered, now a supplier must).
    {TicketStatus::kPending, TicketStatus::kPending},
    {TicketStatus::kPending, TicketStatus::kSolved},
    // Reopened. Only within the reopen window: the caller asks DecideReopen first, and after
    // the window creates a new linked ticket instead of making this transition.
    {TicketStatus::kSolved, TicketStatus::kOpen},
    // Closed after the close delay (or by an agent); final.
    {TicketStatus::kSolved, TicketStatus::kClosed},
};

// Whether `from -> to` is in kAllowedTransitions.
bool IsTransitionAllowed(TicketStatus from, TicketStatus to);

// Checks a status change with its pending reason. Returns
//   - INVALID_ARGUMENT "status: ..." when `to` is not a known status, or
//     "pending_reason: ..." when the reason is missing for kPending, given for another
//     status, or not a known reason. Checked first: these are wrong whatever the ticket's
//     current status;
//   - FAILED_PRECONDITION "status: a closed ticket cannot become open (from closed: none)"
//     when the table forbids the change (the message names both statuses and lists what is
//     allowed from `from`);
//   - OK otherwise.
absl::Status CheckTransition(TicketStatus from, TicketStatus to,
                             std::optional<PendingReason> reason);

enum class ReopenOutcome { kReopen, kNewLinkedTicket };

// What a customer's return to a solved ticket does: within `reopen_window` after
// `solved_at` (inclusive: exactly at the end still reopens) the ticket goes back to open;
// later, a new ticket is created and linked to the old one. A `now` before `solved_at`
// (clocks of two machines) counts as within the window; a negative window counts as zero.
// A closed ticket always gets a new linked ticket (closed -> open is not in the table), so
// callers ask this only for solved tickets.
ReopenOutcome DecideReopen(absl::Time solved_at, absl::Time now, absl::Duration reopen_window);

}  // namespace servicedesk::tickets
