#include "services/tickets/ticket_status.h"

#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace servicedesk::tickets {
namespace {

constexpr TicketStatus kAll[] = {TicketStatus::kNew, TicketStatus::kOpen, TicketStatus::kPending,
                                 TicketStatus::kSolved, TicketStatus::kClosed};

// The table as the issue and the README describe it, written out independently of the code:
// a change to kAllowedTransitions must change this list too.
const std::set<std::pair<TicketStatus, TicketStatus>>& ExpectedAllowed() {
  using S = TicketStatus;
  static const auto* const kExpected = new std::set<std::pair<S, S>>{
      {S::kNew, S::kOpen},        {S::kNew, S::kPending},    {S::kNew, S::kSolved},
      {S::kOpen, S::kPending},    {S::kOpen, S::kSolved},    {S::kPending, S::kOpen},
      {S::kPending, S::kPending}, {S::kPending, S::kSolved}, {S::kSolved, S::kOpen},
      {S::kSolved, S::kClosed},
  };
  return *kExpected;
}

// The reason a change to `to` must carry.
std::optional<PendingReason> ReasonFor(TicketStatus to) {
  if (to == TicketStatus::kPending) return PendingReason::kWaitingOnCustomer;
  return std::nullopt;
}

TEST(TicketStatusTest, NamesAreLowerCase) {
  EXPECT_STREQ(TicketStatusName(TicketStatus::kNew), "new");
  EXPECT_STREQ(TicketStatusName(TicketStatus::kOpen), "open");
  EXPECT_STREQ(TicketStatusName(TicketStatus::kPending), "pending");
  EXPECT_STREQ(TicketStatusName(TicketStatus::kSolved), "solved");
  EXPECT_STREQ(TicketStatusName(TicketStatus::kClosed), "closed");
  EXPECT_STREQ(TicketStatusName(static_cast<TicketStatus>(42)), "unknown");
  EXPECT_STREQ(PendingReasonName(PendingReason::kWaitingOnCustomer), "waiting_on_customer");
  EXPECT_STREQ(PendingReasonName(PendingReason::kWaitingOnThirdParty), "waiting_on_third_party");
}

TEST(TicketStatusTest, TableListsEachAllowedTransitionOnce) {
  std::set<std::pair<TicketStatus, TicketStatus>> listed;
  for (const StatusTransition& t : kAllowedTransitions) {
    EXPECT_TRUE(listed.insert({t.from, t.to}).second)
        << "listed twice: " << TicketStatusName(t.from) << " -> " << TicketStatusName(t.to);
  }
  EXPECT_EQ(listed, ExpectedAllowed());
}

TEST(TicketStatusTest, EveryAllowedTransitionPasses) {
  int allowed = 0;
  for (TicketStatus from : kAll) {
    for (TicketStatus to : kAll) {
      if (!ExpectedAllowed().contains({from, to})) continue;
      ++allowed;
      EXPECT_TRUE(IsTransitionAllowed(from, to));
      EXPECT_TRUE(CheckTransition(from, to, ReasonFor(to)).ok())
          << TicketStatusName(from) << " -> " << TicketStatusName(to);
    }
  }
  EXPECT_EQ(allowed, 10);
}

TEST(TicketStatusTest, EveryForbiddenTransitionIsAFailedPreconditionNamingBothStatuses) {
  int forbidden = 0;
  for (TicketStatus from : kAll) {
    for (TicketStatus to : kAll) {
      if (ExpectedAllowed().contains({from, to})) continue;
      ++forbidden;
      EXPECT_FALSE(IsTransitionAllowed(from, to));
      const absl::Status status = CheckTransition(from, to, ReasonFor(to));
      const std::string context =
          std::string(TicketStatusName(from)) + " -> " + TicketStatusName(to);
      EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << context;
      const std::string message(status.message());
      EXPECT_TRUE(absl::StartsWith(message, "status: ")) << message;
      EXPECT_TRUE(absl::StrContains(message, std::string(TicketStatusName(from)) + " ticket"))
          << message;
      EXPECT_TRUE(absl::StrContains(message, std::string("cannot become ") + TicketStatusName(to)))
          << message;
    }
  }
  EXPECT_EQ(forbidden, 25 - 10);
}

TEST(TicketStatusTest, ForbiddenMessageSaysWhatIsAllowedInstead) {
  EXPECT_EQ(CheckTransition(TicketStatus::kClosed, TicketStatus::kOpen, std::nullopt).message(),
            "status: a closed ticket cannot become open (from closed: none)");
  EXPECT_EQ(CheckTransition(TicketStatus::kOpen, TicketStatus::kNew, std::nullopt).message(),
            "status: an open ticket cannot become new (from open: pending, solved)");
  EXPECT_EQ(CheckTransition(TicketStatus::kNew, TicketStatus::kClosed, std::nullopt).message(),
            "status: a new ticket cannot become closed (from new: open, pending, solved)");
}

TEST(TicketStatusTest, PendingWithoutReasonIsInvalidArgument) {
  const absl::Status status =
      CheckTransition(TicketStatus::kOpen, TicketStatus::kPending, std::nullopt);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(status.message(), "pending_reason: ")) << status.message();
}

TEST(TicketStatusTest, ReasonForAnotherStatusIsInvalidArgument) {
  for (TicketStatus to : kAll) {
    if (to == TicketStatus::kPending) continue;
    const absl::Status status =
        CheckTransition(TicketStatus::kPending, to, PendingReason::kWaitingOnThirdParty);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << TicketStatusName(to);
    EXPECT_TRUE(absl::StartsWith(status.message(), "pending_reason: ")) << status.message();
  }
}

TEST(TicketStatusTest, EitherReasonIsAccepted) {
  EXPECT_TRUE(CheckTransition(TicketStatus::kOpen, TicketStatus::kPending,
                              PendingReason::kWaitingOnCustomer)
                  .ok());
  EXPECT_TRUE(CheckTransition(TicketStatus::kOpen, TicketStatus::kPending,
                              PendingReason::kWaitingOnThirdParty)
                  .ok());
  // The reason changes while the ticket stays pending.
  EXPECT_TRUE(CheckTransition(TicketStatus::kPending, TicketStatus::kPending,
                              PendingReason::kWaitingOnThirdParty)
                  .ok());
}

TEST(TicketStatusTest, ReasonIsCheckedBeforeTheTable) {
  // closed -> pending is forbidden, but the request is malformed whatever the status.
  EXPECT_EQ(CheckTransition(TicketStatus::kClosed, TicketStatus::kPending, std::nullopt).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckTransition(TicketStatus::kClosed, TicketStatus::kPending,
                            PendingReason::kWaitingOnCustomer)
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(TicketStatusTest, UnknownValuesAreInvalidArguments) {
  const absl::Status bad_status =
      CheckTransition(TicketStatus::kOpen, static_cast<TicketStatus>(9), std::nullopt);
  EXPECT_EQ(bad_status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_status.message(), "status: unknown value 9");
  const absl::Status bad_reason =
      CheckTransition(TicketStatus::kOpen, TicketStatus::kPending, static_cast<PendingReason>(7));
  EXPECT_EQ(bad_reason.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_reason.message(), "pending_reason: unknown value 7");
}

// ---- Reopening ----

absl::Time Utc(int month, int day, int hour, int minute = 0, int second = 0) {
  return absl::FromCivil(absl::CivilSecond(2024, month, day, hour, minute, second),
                         absl::UTCTimeZone());
}

constexpr absl::Duration kSevenDays = absl::Hours(7 * 24);

TEST(ReopenTest, InsideTheWindowReopens) {
  EXPECT_EQ(DecideReopen(Utc(3, 4, 9), Utc(3, 6, 15), kSevenDays), ReopenOutcome::kReopen);
  EXPECT_EQ(DecideReopen(Utc(3, 4, 9), Utc(3, 4, 9), kSevenDays), ReopenOutcome::kReopen);
}

TEST(ReopenTest, AtTheExactEndOfTheWindowStillReopens) {
  EXPECT_EQ(DecideReopen(Utc(3, 4, 9), Utc(3, 11, 9), kSevenDays), ReopenOutcome::kReopen);
}

TEST(ReopenTest, AfterTheWindowCreatesALinkedTicket) {
  EXPECT_EQ(DecideReopen(Utc(3, 4, 9), Utc(3, 11, 9) + absl::Nanoseconds(1), kSevenDays),
            ReopenOutcome::kNewLinkedTicket);
  EXPECT_EQ(DecideReopen(Utc(3, 4, 9), Utc(5, 1, 9), kSevenDays), ReopenOutcome::kNewLinkedTicket);
}

TEST(ReopenTest, NowBeforeSolvedCountsAsInsideTheWindow) {
  EXPECT_EQ(DecideReopen(Utc(3, 4, 9), Utc(3, 4, 8, 59), kSevenDays), ReopenOutcome::kReopen);
}

TEST(ReopenTest, ZeroOrNegativeWindowReopensOnlyAtTheSolvedInstant) {
  EXPECT_EQ(DecideReopen(Utc(3, 4, 9), Utc(3, 4, 9), absl::ZeroDuration()), ReopenOutcome::kReopen);
  EXPECT_EQ(DecideReopen(Utc(3, 4, 9), Utc(3, 4, 9, 0, 1), absl::ZeroDuration()),
            ReopenOutcome::kNewLinkedTicket);
  EXPECT_EQ(DecideReopen(Utc(3, 4, 9), Utc(3, 4, 9), -absl::Hours(1)), ReopenOutcome::kReopen);
}

}  // namespace
}  // namespace servicedesk::tickets
