#include "services/tickets/sla_clock.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "services/tickets/business_calendar.h"

namespace servicedesk::tickets {
namespace {

// 2024-03-04 is a Monday, 2024-03-08 a Friday.
absl::Time At(absl::TimeZone zone, int year, int month, int day, int hour, int minute = 0) {
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, 0), zone);
}
absl::Time Utc(int month, int day, int hour, int minute = 0) {
  return At(absl::UTCTimeZone(), 2024, month, day, hour, minute);
}

SlaEvent Warning(absl::Time at) { return {SlaEventKind::kWarning, at}; }
SlaEvent Breach(absl::Time at) { return {SlaEventKind::kBreach, at}; }

std::string Describe(const std::vector<SlaEvent>& events) {
  std::string out;
  for (const SlaEvent& e : events) {
    out += std::string(SlaEventKindName(e.kind)) + "@" +
           absl::FormatTime("%Y-%m-%d %H:%M:%S %Z", e.at, absl::UTCTimeZone()) + " ";
  }
  return out.empty() ? "(none)" : out;
}

// Calls Due every `step` from `from` to `to` and collects everything it returned.
std::vector<SlaEvent> DueEvery(SlaClock& clock, absl::Time from, absl::Time to,
                               absl::Duration step) {
  std::vector<SlaEvent> events;
  for (absl::Time t = from; t <= to; t += step) {
    for (const SlaEvent& e : clock.Due(t)) events.push_back(e);
  }
  return events;
}

BusinessCalendar Office(absl::TimeZone zone, std::vector<absl::CivilDay> holidays = {}) {
  BusinessCalendarConfig config = WeekdayHours(zone, absl::Hours(8), absl::Hours(18));
  config.holidays = std::move(holidays);
  absl::StatusOr<BusinessCalendar> calendar = BusinessCalendar::Create(std::move(config));
  EXPECT_TRUE(calendar.ok()) << calendar.status();
  return *std::move(calendar);
}

// A calendar-time clock: 4 hours, warning at 3 hours.
SlaClock FourHours() {
  return SlaClock(absl::Hours(4), /*business_hours=*/false, nullptr, /*warning_share=*/0.75);
}

// ---- Calendar time ----

TEST(SlaClockTest, NotStartedClockHasNoDeadlineAndUsesNothing) {
  SlaClock clock = FourHours();
  EXPECT_EQ(clock.state(), SlaClockState::kNotStarted);
  EXPECT_EQ(clock.Used(Utc(3, 4, 12)), absl::ZeroDuration());
  EXPECT_EQ(clock.Deadline(), std::nullopt);
  EXPECT_EQ(clock.NextEventAt(), std::nullopt);
  EXPECT_TRUE(clock.Due(Utc(3, 5, 12)).empty());
}

TEST(SlaClockTest, RunningClockCountsAndKnowsItsDeadline) {
  SlaClock clock = FourHours();
  ASSERT_TRUE(clock.Start(Utc(3, 4, 9)).ok());
  EXPECT_EQ(clock.Used(Utc(3, 4, 10, 30)), absl::Minutes(90));
  EXPECT_EQ(clock.Remaining(Utc(3, 4, 10, 30)), absl::Minutes(150));
  EXPECT_EQ(clock.Deadline(), Utc(3, 4, 13));
  EXPECT_EQ(clock.NextEventAt(), Utc(3, 4, 12));
}

TEST(SlaClockTest, WarningAndBreachFireExactlyOnceWhenDueIsCalledEveryMinute) {
  SlaClock clock = FourHours();
  ASSERT_TRUE(clock.Start(Utc(3, 4, 9)).ok());
  const std::vector<SlaEvent> events =
      DueEvery(clock, Utc(3, 4, 9), Utc(3, 4, 18), absl::Minutes(1));
  EXPECT_EQ(events, (std::vector<SlaEvent>{Warning(Utc(3, 4, 12)), Breach(Utc(3, 4, 13))}))
      << Describe(events);
  EXPECT_TRUE(clock.warned());
  EXPECT_TRUE(clock.breached());
  EXPECT_TRUE(clock.Due(Utc(3, 9, 0)).empty());
}

TEST(SlaClockTest, ThresholdsAreInclusive) {
  SlaClock clock = FourHours();
  ASSERT_TRUE(clock.Start(Utc(3, 4, 9)).ok());
  EXPECT_TRUE(clock.Due(Utc(3, 4, 12) - absl::Nanoseconds(1)).empty());
  EXPECT_EQ(clock.Due(Utc(3, 4, 12)), std::vector<SlaEvent>{Warning(Utc(3, 4, 12))});
  EXPECT_TRUE(clock.Due(Utc(3, 4, 13) - absl::Nanoseconds(1)).empty());
  EXPECT_EQ(clock.Due(Utc(3, 4, 13)), std::vector<SlaEvent>{Breach(Utc(3, 4, 13))});
}

TEST(SlaClockTest, LateDueReturnsBothEventsWithTheInstantsTheyHappened) {
  SlaClock clock = FourHours();
  ASSERT_TRUE(clock.Start(Utc(3, 4, 9)).ok());
  EXPECT_EQ(clock.Due(Utc(3, 4, 20)),
            (std::vector<SlaEvent>{Warning(Utc(3, 4, 12)), Breach(Utc(3, 4, 13))}));
  EXPECT_TRUE(clock.Due(Utc(3, 4, 21)).empty());
  // Still the deadline, now in the past: the ticket is overdue since then.
  EXPECT_EQ(clock.Deadline(), Utc(3, 4, 13));
}

TEST(SlaClockTest, OwnerTimerLoopOnNextEventAtSeesEachEventOnce) {
  SlaClock clock = FourHours();
  ASSERT_TRUE(clock.Start(Utc(3, 4, 9)).ok());
  std::vector<SlaEvent> events;
  int wakeups = 0;
  while (std::optional<absl::Time> next = clock.NextEventAt()) {
    ASSERT_LT(++wakeups, 10) << "the timer would spin";
    for (const SlaEvent& e : clock.Due(*next)) events.push_back(e);
  }
  EXPECT_EQ(events, (std::vector<SlaEvent>{Warning(Utc(3, 4, 12)), Breach(Utc(3, 4, 13))}));
  EXPECT_EQ(wakeups, 2);
}

TEST(SlaClockTest, PauseAndResumeKeepTheUsedTime) {
  SlaClock clock = FourHours();
  ASSERT_TRUE(clock.Start(Utc(3, 4, 9)).ok());
  ASSERT_TRUE(clock.Pause(Utc(3, 4, 10)).ok());  // pending: 1h used
  EXPECT_EQ(clock.state(), SlaClockState::kPaused);
  EXPECT_EQ(clock.Used(Utc(3, 4, 15)), absl::Hours(1));
  EXPECT_EQ(clock.Deadline(), std::nullopt);
  EXPECT_EQ(clock.NextEventAt(), std::nullopt);
  EXPECT_TRUE(clock.Due(Utc(3, 6, 0)).empty());  // two days pending: nothing happens

  ASSERT_TRUE(clock.Resume(Utc(3, 6, 9)).ok());  // the customer answered
  EXPECT_EQ(clock.Used(Utc(3, 6, 10)), absl::Hours(2));
  EXPECT_EQ(clock.Deadline(), Utc(3, 6, 12));
  EXPECT_EQ(clock.NextEventAt(), Utc(3, 6, 11));
  EXPECT_EQ(DueEvery(clock, Utc(3, 6, 9), Utc(3, 6, 14), absl::Minutes(5)),
            (std::vector<SlaEvent>{Warning(Utc(3, 6, 11)), Breach(Utc(3, 6, 12))}));
}

TEST(SlaClockTest, PauseAndResumeAroundTheWarningPointWarnOnce) {
  SlaClock clock = FourHours();
  std::vector<SlaEvent> events;
  auto collect = [&](absl::Time from, absl::Time to) {
    for (const SlaEvent& e : DueEvery(clock, from, to, absl::Minutes(1))) events.push_back(e);
  };
  ASSERT_TRUE(clock.Start(Utc(3, 4, 9)).ok());
  collect(Utc(3, 4, 9), Utc(3, 4, 11, 59));
  ASSERT_TRUE(clock.Pause(Utc(3, 4, 11, 59)).ok());  // 2h59 used: one minute before the warning
  collect(Utc(3, 4, 11, 59), Utc(3, 4, 12, 30));
  ASSERT_TRUE(clock.Resume(Utc(3, 4, 12, 30)).ok());  // the warning comes at 12:31
  ASSERT_TRUE(clock.Pause(Utc(3, 4, 12, 45)).ok());   // past it, before any Due saw it
  ASSERT_TRUE(clock.Resume(Utc(3, 4, 13)).ok());      // 3h14 used: breach at 13:46
  ASSERT_TRUE(clock.Pause(Utc(3, 4, 13, 10)).ok());
  ASSERT_TRUE(clock.Resume(Utc(3, 4, 13, 20)).ok());  // 3h24 used: breach at 13:56
  collect(Utc(3, 4, 13, 20), Utc(3, 4, 16));
  EXPECT_EQ(events, (std::vector<SlaEvent>{Warning(Utc(3, 4, 12, 31)), Breach(Utc(3, 4, 13, 56))}))
      << Describe(events);
}

TEST(SlaClockTest, EventReachedBeforeAPauseIsDeliveredAfterIt) {
  SlaClock clock = FourHours();
  ASSERT_TRUE(clock.Start(Utc(3, 4, 9)).ok());
  ASSERT_TRUE(clock.Pause(Utc(3, 4, 12, 30)).ok());  // no Due since the start
  EXPECT_EQ(clock.NextEventAt(), Utc(3, 4, 12));     // due already: wake up now
  EXPECT_EQ(clock.Due(Utc(3, 4, 12, 31)), std::vector<SlaEvent>{Warning(Utc(3, 4, 12))});
  EXPECT_EQ(clock.NextEventAt(), std::nullopt);
}

TEST(SlaClockTest, StopBeforeTheDeadlineMeetsTheTarget) {
  SlaClock clock = FourHours();
  ASSERT_TRUE(clock.Start(Utc(3, 4, 9)).ok());
  ASSERT_TRUE(clock.Stop(Utc(3, 4, 12, 30)).ok());  // after the warning, before the breach
  EXPECT_EQ(clock.state(), SlaClockState::kStopped);
  EXPECT_EQ(clock.Used(Utc(3, 5, 9)), absl::Minutes(210));
  EXPECT_EQ(clock.Deadline(), std::nullopt);
  EXPECT_EQ(DueEvery(clock, Utc(3, 4, 12), Utc(3, 5, 12), absl::Minutes(30)),
            std::vector<SlaEvent>{Warning(Utc(3, 4, 12))});
  EXPECT_FALSE(clock.breached());
}

TEST(SlaClockTest, StopExactlyAtTheDeadlineIsABreach) {
  SlaClock clock = FourHours();
  ASSERT_TRUE(clock.Start(Utc(3, 4, 9)).ok());
  ASSERT_TRUE(clock.Stop(Utc(3, 4, 13)).ok());
  EXPECT_EQ(clock.Due(Utc(3, 4, 13)),
            (std::vector<SlaEvent>{Warning(Utc(3, 4, 12)), Breach(Utc(3, 4, 13))}));
}

TEST(SlaClockTest, ZeroTargetBreachesAtTheStart) {
  SlaClock clock(absl::ZeroDuration(), false, nullptr, 0.75);
  ASSERT_TRUE(clock.Start(Utc(3, 4, 9)).ok());
  EXPECT_EQ(clock.Due(Utc(3, 4, 9)),
            (std::vector<SlaEvent>{Warning(Utc(3, 4, 9)), Breach(Utc(3, 4, 9))}));
}

TEST(SlaClockTest, WrongStatesAreFailedPreconditionsAndRepeatsAreHarmless) {
  SlaClock clock = FourHours();
  for (const absl::Status& status :
       {clock.Pause(Utc(3, 4, 9)), clock.Resume(Utc(3, 4, 9)), clock.Stop(Utc(3, 4, 9))}) {
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_TRUE(absl::StartsWith(status.message(), "sla_clock: ")) << status.message();
  }
  ASSERT_TRUE(clock.Start(Utc(3, 4, 9)).ok());
  EXPECT_EQ(clock.Start(Utc(3, 4, 10)).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(clock.Resume(Utc(3, 4, 10)).ok());  // running already
  ASSERT_TRUE(clock.Pause(Utc(3, 4, 10)).ok());
  EXPECT_TRUE(clock.Pause(Utc(3, 4, 11)).ok());  // pending -> pending: still paused since 10:00
  EXPECT_EQ(clock.Used(Utc(3, 4, 12)), absl::Hours(1));
  ASSERT_TRUE(clock.Stop(Utc(3, 4, 12)).ok());
  EXPECT_TRUE(clock.Stop(Utc(3, 4, 13)).ok());
  EXPECT_TRUE(clock.Resume(Utc(3, 4, 13)).ok());  // a met target stays met
  EXPECT_EQ(clock.state(), SlaClockState::kStopped);
}

TEST(SlaClockTest, TimeNeverRunsBackwards) {
  SlaClock clock = FourHours();
  ASSERT_TRUE(clock.Start(Utc(3, 4, 9)).ok());
  ASSERT_TRUE(clock.Due(Utc(3, 4, 11)).empty());
  // An earlier `now` (another machine's clock) counts as 11:00.
  ASSERT_TRUE(clock.Pause(Utc(3, 4, 10)).ok());
  EXPECT_EQ(clock.Used(Utc(3, 4, 10)), absl::Hours(2));
}

// ---- Policy changes ----

TEST(SlaClockTest, LowerTargetMidwayKeepsUsedTimeAndBreachesAtTheNewTarget) {
  SlaClock clock(absl::Hours(8), false, nullptr, 0.75);
  ASSERT_TRUE(clock.Start(Utc(3, 4, 9)).ok());
  EXPECT_TRUE(DueEvery(clock, Utc(3, 4, 9), Utc(3, 4, 11), absl::Minutes(1)).empty());
  clock.ChangeTarget(absl::Hours(4), Utc(3, 4, 11));  // priority raised with 2h used
  EXPECT_EQ(clock.Used(Utc(3, 4, 11)), absl::Hours(2));
  EXPECT_EQ(clock.target(), absl::Hours(4));
  EXPECT_EQ(clock.Deadline(), Utc(3, 4, 13));
  EXPECT_EQ(DueEvery(clock, Utc(3, 4, 11), Utc(3, 4, 20), absl::Minutes(1)),
            (std::vector<SlaEvent>{Warning(Utc(3, 4, 12)), Breach(Utc(3, 4, 13))}));
}

TEST(SlaClockTest, TargetLoweredBelowTheUsedTimeFiresAtTheChange) {
  SlaClock clock(absl::Hours(8), false, nullptr, 0.75);
  ASSERT_TRUE(clock.Start(Utc(3, 4, 9)).ok());
  EXPECT_TRUE(clock.Due(Utc(3, 4, 14)).empty());  // 5h used of 8
  clock.ChangeTarget(absl::Hours(4), Utc(3, 4, 14));
  EXPECT_EQ(clock.Due(Utc(3, 4, 14)),
            (std::vector<SlaEvent>{Warning(Utc(3, 4, 14)), Breach(Utc(3, 4, 14))}));
  EXPECT_TRUE(clock.Due(Utc(3, 5, 14)).empty());
}

TEST(SlaClockTest, RaisedTargetAfterTheWarningDoesNotWarnAgain) {
  SlaClock clock = FourHours();
  ASSERT_TRUE(clock.Start(Utc(3, 4, 9)).ok());
  EXPECT_EQ(clock.Due(Utc(3, 4, 12, 30)), std::vector<SlaEvent>{Warning(Utc(3, 4, 12))});
  clock.ChangeTarget(absl::Hours(8), Utc(3, 4, 12, 30));  // new warning point 6h: passed later
  EXPECT_EQ(clock.NextEventAt(), Utc(3, 4, 17));
  EXPECT_EQ(DueEvery(clock, Utc(3, 4, 12, 30), Utc(3, 4, 20), absl::Minutes(1)),
            std::vector<SlaEvent>{Breach(Utc(3, 4, 17))});
}

TEST(SlaClockTest, RaisedTargetAfterTheBreachDoesNotBreachAgain) {
  SlaClock clock = FourHours();
  ASSERT_TRUE(clock.Start(Utc(3, 4, 9)).ok());
  EXPECT_EQ(clock.Due(Utc(3, 4, 14)).size(), 2u);
  clock.ChangeTarget(absl::Hours(8), Utc(3, 4, 14));
  EXPECT_EQ(clock.NextEventAt(), std::nullopt);
  EXPECT_TRUE(DueEvery(clock, Utc(3, 4, 14), Utc(3, 5, 0), absl::Minutes(10)).empty());
}

TEST(SlaClockTest, TargetChangedWhilePausedAppliesAfterTheResume) {
  SlaClock clock(absl::Hours(8), false, nullptr, 0.75);
  ASSERT_TRUE(clock.Start(Utc(3, 4, 9)).ok());
  ASSERT_TRUE(clock.Pause(Utc(3, 4, 11)).ok());  // 2h used
  clock.ChangeTarget(absl::Hours(4), Utc(3, 4, 15));
  EXPECT_TRUE(clock.Due(Utc(3, 4, 15)).empty());
  EXPECT_EQ(clock.Used(Utc(3, 4, 15)), absl::Hours(2));
  ASSERT_TRUE(clock.Resume(Utc(3, 5, 9)).ok());
  EXPECT_EQ(clock.Deadline(), Utc(3, 5, 11));
  EXPECT_EQ(DueEvery(clock, Utc(3, 5, 9), Utc(3, 5, 12), absl::Minutes(1)),
            (std::vector<SlaEvent>{Warning(Utc(3, 5, 10)), Breach(Utc(3, 5, 11))}));
}

TEST(SlaClockTest, TargetLoweredBelowTheUsedTimeWhilePausedFiresAtTheChange) {
  SlaClock clock(absl::Hours(8), false, nullptr, 0.75);
  ASSERT_TRUE(clock.Start(Utc(3, 4, 9)).ok());
  ASSERT_TRUE(clock.Pause(Utc(3, 4, 14)).ok());  // 5h used
  clock.ChangeTarget(absl::Hours(4), Utc(3, 4, 15));
  EXPECT_EQ(clock.Due(Utc(3, 4, 16)),
            (std::vector<SlaEvent>{Warning(Utc(3, 4, 15)), Breach(Utc(3, 4, 15))}));
}

TEST(SlaClockTest, StoppedClockIgnoresALowerTarget) {
  SlaClock clock(absl::Hours(8), false, nullptr, 0.75);
  ASSERT_TRUE(clock.Start(Utc(3, 4, 9)).ok());
  ASSERT_TRUE(clock.Stop(Utc(3, 4, 14)).ok());  // met with 5h of 8
  clock.ChangeTarget(absl::Hours(4), Utc(3, 4, 15));
  EXPECT_TRUE(clock.Due(Utc(3, 4, 16)).empty());
  EXPECT_FALSE(clock.breached());
}

// ---- Business hours ----

TEST(SlaClockBusinessHoursTest, DeadlineAcrossAWeekend) {
  const BusinessCalendar office = Office(absl::UTCTimeZone());
  SlaClock clock(absl::Hours(8), /*business_hours=*/true, &office, 0.75);
  ASSERT_TRUE(clock.Start(Utc(3, 8, 15)).ok());  // Friday: 3h today, 5h on Monday
  EXPECT_EQ(clock.Deadline(), Utc(3, 11, 13));
  EXPECT_EQ(clock.NextEventAt(), Utc(3, 11, 11));         // 6h: 3h Friday + 3h Monday
  EXPECT_EQ(clock.Used(Utc(3, 10, 12)), absl::Hours(3));  // Sunday: nothing more
  EXPECT_EQ(DueEvery(clock, Utc(3, 8, 15), Utc(3, 11, 18), absl::Minutes(15)),
            (std::vector<SlaEvent>{Warning(Utc(3, 11, 11)), Breach(Utc(3, 11, 13))}));
}

TEST(SlaClockBusinessHoursTest, DeadlineAcrossAWeekendAndAHoliday) {
  const BusinessCalendar office = Office(absl::UTCTimeZone(), {absl::CivilDay(2024, 3, 11)});
  SlaClock clock(absl::Hours(8), true, &office, 0.75);
  ASSERT_TRUE(clock.Start(Utc(3, 8, 15)).ok());  // Monday 2024-03-11 is a holiday
  EXPECT_EQ(clock.Deadline(), Utc(3, 12, 13));
  EXPECT_EQ(DueEvery(clock, Utc(3, 8, 15), Utc(3, 12, 18), absl::Minutes(15)),
            (std::vector<SlaEvent>{Warning(Utc(3, 12, 11)), Breach(Utc(3, 12, 13))}));
}

TEST(SlaClockBusinessHoursTest, PendingOverTheWeekendKeepsTheUsedWorkingTime) {
  const BusinessCalendar office = Office(absl::UTCTimeZone());
  SlaClock clock(absl::Hours(8), true, &office, 0.75);
  ASSERT_TRUE(clock.Start(Utc(3, 8, 9)).ok());
  ASSERT_TRUE(clock.Pause(Utc(3, 8, 14)).ok());    // 5h used
  ASSERT_TRUE(clock.Resume(Utc(3, 11, 16)).ok());  // Monday 16:00: 2h today, 1h Tuesday
  EXPECT_EQ(clock.Used(Utc(3, 11, 17)), absl::Hours(6));
  EXPECT_EQ(clock.Deadline(), Utc(3, 12, 9));
}

TEST(SlaClockBusinessHoursTest, DeadlineAcrossSpringForwardInBerlin) {
  absl::TimeZone berlin;
  if (!absl::LoadTimeZone("Europe/Berlin", &berlin)) GTEST_SKIP() << "no tzdata";
  const BusinessCalendar office = Office(berlin);
  SlaClock clock(absl::Hours(10), true, &office, 0.5);
  // Friday 2024-03-29 12:00 CET: 6h on Friday; the clocks go forward on Sunday; 4h on
  // Monday 2024-04-01 from 08:00 CEST.
  ASSERT_TRUE(clock.Start(At(berlin, 2024, 3, 29, 12)).ok());
  EXPECT_EQ(clock.Deadline(), At(berlin, 2024, 4, 1, 12));
  EXPECT_EQ(clock.Deadline(), Utc(4, 1, 10));                   // CEST = UTC+2
  EXPECT_EQ(clock.NextEventAt(), At(berlin, 2024, 3, 29, 17));  // 5h, still CET
  EXPECT_EQ(clock.Due(At(berlin, 2024, 4, 2, 0)),
            (std::vector<SlaEvent>{Warning(Utc(3, 29, 16)), Breach(Utc(4, 1, 10))}));
}

TEST(SlaClockCalendarTimeTest, DeadlineAcrossDstChangesInBerlinIsRealTime) {
  absl::TimeZone berlin;
  if (!absl::LoadTimeZone("Europe/Berlin", &berlin)) GTEST_SKIP() << "no tzdata";
  SlaClock spring(absl::Hours(24), false, nullptr, 0.75);
  ASSERT_TRUE(spring.Start(At(berlin, 2024, 3, 30, 12)).ok());
  EXPECT_EQ(spring.Deadline(), At(berlin, 2024, 3, 31, 13));  // the local clock shows 25h
  SlaClock autumn(absl::Hours(24), false, nullptr, 0.75);
  ASSERT_TRUE(autumn.Start(At(berlin, 2024, 10, 26, 12)).ok());
  EXPECT_EQ(autumn.Deadline(), At(berlin, 2024, 10, 27, 11));  // the local clock shows 23h
}

// ---- Snapshots ----

// Runs the same script on the original and on a restored copy from `split` on, and
// expects the same answers everywhere.
void ExpectRestoreContinuesIdentically(const BusinessCalendar* calendar, bool business_hours) {
  struct Step {
    enum Op { kDue, kPause, kResume, kChangeTarget, kStop } op;
    absl::Time now;
    absl::Duration target = absl::ZeroDuration();
  };
  const std::vector<Step> script = {
      {Step::kDue, Utc(3, 4, 10)},
      {Step::kPause, Utc(3, 4, 11)},
      {Step::kDue, Utc(3, 4, 15)},
      {Step::kResume, Utc(3, 5, 9)},
      {Step::kChangeTarget, Utc(3, 5, 10), absl::Hours(6)},
      {Step::kDue, Utc(3, 5, 12)},
      {Step::kPause, Utc(3, 5, 13, 30)},  // reached before, not delivered: in the snapshot
      {Step::kResume, Utc(3, 5, 14)},
      {Step::kDue, Utc(3, 6, 9)},
      {Step::kDue, Utc(3, 7, 9)},
      {Step::kStop, Utc(3, 7, 10)},
      {Step::kDue, Utc(3, 8, 10)},
  };
  for (size_t split = 0; split <= script.size(); ++split) {
    SlaClock original(absl::Hours(12), business_hours, calendar, 0.75);
    ASSERT_TRUE(original.Start(Utc(3, 4, 9)).ok());
    std::optional<SlaClock> restored;
    for (size_t i = 0; i <= script.size(); ++i) {
      if (i == split) restored = SlaClock::Restore(original.Snapshot(), calendar);
      if (i == script.size()) break;
      const Step& step = script[i];
      std::vector<SlaClock*> clocks = {&original};
      if (restored) clocks.push_back(&*restored);
      std::vector<std::vector<SlaEvent>> due;
      for (SlaClock* clock : clocks) {
        switch (step.op) {
          case Step::kDue:
            due.push_back(clock->Due(step.now));
            break;
          case Step::kPause:
            ASSERT_TRUE(clock->Pause(step.now).ok());
            break;
          case Step::kResume:
            ASSERT_TRUE(clock->Resume(step.now).ok());
            break;
          case Step::kChangeTarget:
            clock->ChangeTarget(step.target, step.now);
            break;
          case Step::kStop:
            ASSERT_TRUE(clock->Stop(step.now).ok());
            break;
        }
      }
      if (!restored) continue;
      SCOPED_TRACE(testing::Message() << "split " << split << ", step " << i);
      if (due.size() == 2) {
        EXPECT_EQ(due[0], due[1]) << Describe(due[0]) << Describe(due[1]);
      }
      EXPECT_EQ(original.Snapshot(), restored->Snapshot());
      EXPECT_EQ(original.Used(step.now + absl::Hours(1)),
                restored->Used(step.now + absl::Hours(1)));
      EXPECT_EQ(original.Deadline(), restored->Deadline());
      EXPECT_EQ(original.NextEventAt(), restored->NextEventAt());
    }
  }
}

TEST(SlaClockSnapshotTest, RestoreContinuesIdenticallyInCalendarTime) {
  ExpectRestoreContinuesIdentically(nullptr, false);
}

TEST(SlaClockSnapshotTest, RestoreContinuesIdenticallyInBusinessHours) {
  const BusinessCalendar office = Office(absl::UTCTimeZone());
  ExpectRestoreContinuesIdentically(&office, true);
}

TEST(SlaClockSnapshotTest, UndeliveredEventsSurviveARestore) {
  SlaClock clock = FourHours();
  ASSERT_TRUE(clock.Start(Utc(3, 4, 9)).ok());
  ASSERT_TRUE(clock.Pause(Utc(3, 4, 14)).ok());  // both reached, none delivered
  const SlaClockSnapshot snapshot = clock.Snapshot();
  EXPECT_TRUE(snapshot.warned);
  EXPECT_TRUE(snapshot.breached);
  EXPECT_EQ(snapshot.used, absl::Hours(5));
  EXPECT_EQ(snapshot.state, SlaClockState::kPaused);
  SlaClock restored = SlaClock::Restore(snapshot, nullptr);
  EXPECT_EQ(restored.Due(Utc(3, 4, 15)),
            (std::vector<SlaEvent>{Warning(Utc(3, 4, 12)), Breach(Utc(3, 4, 13))}));
  EXPECT_TRUE(restored.Due(Utc(3, 4, 16)).empty());
}

TEST(SlaClockSnapshotTest, ValidateSnapshotNamesTheField) {
  SlaClockSnapshot snapshot;
  snapshot.target = absl::Hours(4);
  EXPECT_TRUE(ValidateSnapshot(snapshot, nullptr).ok());

  SlaClockSnapshot business = snapshot;
  business.business_hours = true;
  EXPECT_TRUE(absl::StartsWith(ValidateSnapshot(business, nullptr).message(),
                               "sla_clock.business_hours: "));
  SlaClockSnapshot share = snapshot;
  share.warning_share = 1.5;
  EXPECT_TRUE(
      absl::StartsWith(ValidateSnapshot(share, nullptr).message(), "sla_clock.warning_share: "));
  SlaClockSnapshot used = snapshot;
  used.used = -absl::Seconds(1);
  EXPECT_TRUE(absl::StartsWith(ValidateSnapshot(used, nullptr).message(), "sla_clock.used: "));
  SlaClockSnapshot running = snapshot;
  running.state = SlaClockState::kRunning;
  EXPECT_TRUE(
      absl::StartsWith(ValidateSnapshot(running, nullptr).message(), "sla_clock.running_since: "));
  EXPECT_EQ(ValidateSnapshot(running, nullptr).code(), absl::StatusCode::kInvalidArgument);
}

TEST(SlaClockDeathTest, BusinessHoursWithoutACalendarIsAProgrammerError) {
  EXPECT_DEATH(
      {
        SlaClock clock(absl::Hours(1), /*business_hours=*/true, nullptr, 0.75);
        (void)clock;
      },
      "business calendar");
}

}  // namespace
}  // namespace servicedesk::tickets
