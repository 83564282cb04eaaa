#include "services/tickets/business_calendar.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace servicedesk::tickets {
namespace {

// 2024-03-01 is a Friday, 2024-03-04 a Monday.
absl::Time At(absl::TimeZone zone, int year, int month, int day, int hour, int minute = 0) {
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, 0), zone);
}
absl::Time Utc(int month, int day, int hour, int minute = 0) {
  return At(absl::UTCTimeZone(), 2024, month, day, hour, minute);
}

BusinessCalendar MustCreate(BusinessCalendarConfig config) {
  absl::StatusOr<BusinessCalendar> calendar = BusinessCalendar::Create(std::move(config));
  EXPECT_TRUE(calendar.ok()) << calendar.status();
  return *std::move(calendar);
}

// Monday to Friday 08:00-18:00.
BusinessCalendar Office(absl::TimeZone zone = absl::UTCTimeZone(),
                        std::vector<absl::CivilDay> holidays = {}) {
  BusinessCalendarConfig config = WeekdayHours(zone, absl::Hours(8), absl::Hours(18));
  config.holidays = std::move(holidays);
  return MustCreate(std::move(config));
}

bool LoadBerlin(absl::TimeZone* berlin) { return absl::LoadTimeZone("Europe/Berlin", berlin); }

// ---- Hand-computed instants ----

TEST(BusinessCalendarTest, InsideOneSpan) {
  const BusinessCalendar calendar = Office();
  EXPECT_EQ(calendar.AddWorkingTime(Utc(3, 4, 9), absl::Hours(2)), Utc(3, 4, 11));
  EXPECT_EQ(calendar.WorkingTimeBetween(Utc(3, 4, 9), Utc(3, 4, 11)), absl::Hours(2));
  EXPECT_EQ(calendar.WeeklyWorkingTime(), absl::Hours(50));
}

TEST(BusinessCalendarTest, ReachingTheEndOfASpanStopsThereNotAtTheNextSpan) {
  const BusinessCalendar calendar = Office();
  EXPECT_EQ(calendar.AddWorkingTime(Utc(3, 4, 8), absl::Hours(10)), Utc(3, 4, 18));
  EXPECT_EQ(calendar.AddWorkingTime(Utc(3, 4, 8), absl::Hours(50)), Utc(3, 8, 18));
}

TEST(BusinessCalendarTest, OvernightSkipsToTheNextMorning) {
  const BusinessCalendar calendar = Office();
  // Monday 16:00 + 3h: 2h on Monday, 1h on Tuesday.
  EXPECT_EQ(calendar.AddWorkingTime(Utc(3, 4, 16), absl::Hours(3)), Utc(3, 5, 9));
  EXPECT_EQ(calendar.WorkingTimeBetween(Utc(3, 4, 16), Utc(3, 5, 9)), absl::Hours(3));
}

TEST(BusinessCalendarTest, AcrossAWeekend) {
  const BusinessCalendar calendar = Office();
  // Friday 16:00 + 4h: 2h on Friday, Saturday and Sunday skipped, 2h on Monday.
  EXPECT_EQ(calendar.AddWorkingTime(Utc(3, 1, 16), absl::Hours(4)), Utc(3, 4, 10));
  EXPECT_EQ(calendar.WorkingTimeBetween(Utc(3, 1, 16), Utc(3, 4, 10)), absl::Hours(4));
  // The whole weekend holds no working time.
  EXPECT_EQ(calendar.WorkingTimeBetween(Utc(3, 1, 18), Utc(3, 4, 8)), absl::ZeroDuration());
}

TEST(BusinessCalendarTest, StartingOutsideWorkingHoursCountsFromTheNextSpan) {
  const BusinessCalendar calendar = Office();
  EXPECT_EQ(calendar.AddWorkingTime(Utc(3, 2, 12), absl::Hours(1)), Utc(3, 4, 9));  // Saturday
  EXPECT_EQ(calendar.AddWorkingTime(Utc(3, 1, 20), absl::Minutes(30)), Utc(3, 4, 8, 30));
  EXPECT_EQ(calendar.AddWorkingTime(Utc(3, 4, 6), absl::Hours(2)), Utc(3, 4, 10));  // early
}

TEST(BusinessCalendarTest, AcrossAHolidayAndAWeekend) {
  // Good Friday 2024-03-29 and Easter Monday 2024-04-01.
  const BusinessCalendar calendar =
      Office(absl::UTCTimeZone(), {absl::CivilDay(2024, 3, 29), absl::CivilDay(2024, 4, 1)});
  // Thursday 17:00 + 3h: 1h on Thursday; Friday, the weekend and Monday skipped; 2h Tuesday.
  EXPECT_EQ(calendar.AddWorkingTime(Utc(3, 28, 17), absl::Hours(3)), Utc(4, 2, 10));
  EXPECT_EQ(calendar.WorkingTimeBetween(Utc(3, 28, 17), Utc(4, 2, 10)), absl::Hours(3));
  EXPECT_FALSE(calendar.IsWorkingTime(Utc(3, 29, 10)));
  EXPECT_FALSE(calendar.IsWorkingTime(Utc(4, 1, 10)));
  EXPECT_TRUE(calendar.IsWorkingTime(Utc(4, 2, 10)));
}

TEST(BusinessCalendarTest, HolidaysInAnyOrderWithDuplicates) {
  const BusinessCalendar calendar =
      Office(absl::UTCTimeZone(),
             {absl::CivilDay(2024, 4, 1), absl::CivilDay(2024, 3, 29), absl::CivilDay(2024, 4, 1)});
  EXPECT_EQ(calendar.AddWorkingTime(Utc(3, 28, 17), absl::Hours(3)), Utc(4, 2, 10));
}

TEST(BusinessCalendarTest, SeveralSpansADayWithALunchBreak) {
  BusinessCalendarConfig config;
  for (int weekday = 0; weekday < 5; ++weekday) {
    // Out of order on purpose: order does not matter.
    config.hours[weekday] = {{absl::Hours(13), absl::Hours(17)}, {absl::Hours(8), absl::Hours(12)}};
  }
  const BusinessCalendar calendar = MustCreate(config);
  EXPECT_EQ(calendar.AddWorkingTime(Utc(3, 4, 11), absl::Hours(2)), Utc(3, 4, 14));
  EXPECT_EQ(calendar.WorkingTimeBetween(Utc(3, 4, 11), Utc(3, 4, 14)), absl::Hours(2));
  EXPECT_FALSE(calendar.IsWorkingTime(Utc(3, 4, 12, 30)));
  EXPECT_EQ(calendar.WeeklyWorkingTime(), absl::Hours(40));
}

TEST(BusinessCalendarTest, TouchingSpansActAsOne) {
  BusinessCalendarConfig config;
  config.hours[0] = {{absl::Hours(8), absl::Hours(12)}, {absl::Hours(12), absl::Hours(18)}};
  const BusinessCalendar calendar = MustCreate(config);
  EXPECT_EQ(calendar.AddWorkingTime(Utc(3, 4, 11), absl::Hours(2)), Utc(3, 4, 13));
  EXPECT_TRUE(calendar.IsWorkingTime(Utc(3, 4, 12)));
}

TEST(BusinessCalendarTest, NightShiftWrittenAsTwoSpans) {
  BusinessCalendarConfig config;
  config.hours[0] = {{absl::Hours(22), absl::Hours(24)}};  // Monday 22:00-24:00
  config.hours[1] = {{absl::Hours(0), absl::Hours(6)}};    // Tuesday 00:00-06:00
  const BusinessCalendar calendar = MustCreate(config);
  EXPECT_EQ(calendar.AddWorkingTime(Utc(3, 4, 23), absl::Hours(2)), Utc(3, 5, 1));
  // 8h a week: three weeks and one hour from Monday 22:00 is Monday 23:00 three weeks on.
  EXPECT_EQ(calendar.AddWorkingTime(Utc(3, 4, 22), absl::Hours(25)), Utc(3, 25, 23));
}

TEST(BusinessCalendarTest, ZeroOrNegativeDurationGivesTheStartEvenOutsideHours) {
  const BusinessCalendar calendar = Office();
  EXPECT_EQ(calendar.AddWorkingTime(Utc(3, 2, 12), absl::ZeroDuration()), Utc(3, 2, 12));
  EXPECT_EQ(calendar.AddWorkingTime(Utc(3, 2, 12), -absl::Hours(1)), Utc(3, 2, 12));
  EXPECT_EQ(calendar.WorkingTimeBetween(Utc(3, 4, 12), Utc(3, 4, 10)), absl::ZeroDuration());
}

TEST(BusinessCalendarTest, InfiniteEnds) {
  const BusinessCalendar calendar = Office();
  EXPECT_EQ(calendar.AddWorkingTime(Utc(3, 4, 9), absl::InfiniteDuration()),
            absl::InfiniteFuture());
  EXPECT_EQ(calendar.WorkingTimeBetween(Utc(3, 4, 9), absl::InfiniteFuture()),
            absl::InfiniteDuration());
  EXPECT_EQ(calendar.WorkingTimeBetween(absl::InfinitePast(), Utc(3, 4, 9)),
            absl::InfiniteDuration());
}

// ---- Daylight-saving changes (Europe/Berlin: 2024-03-31 02:00 -> 03:00, 2024-10-27
// 03:00 -> 02:00) ----

TEST(BusinessCalendarDstTest, OfficeHoursKeepTheirLocalTimesAcrossSpringForward) {
  absl::TimeZone berlin;
  if (!LoadBerlin(&berlin)) GTEST_SKIP() << "no tzdata for Europe/Berlin";
  const BusinessCalendar calendar = Office(berlin);
  // Friday 2024-03-29 16:00 CET + 4h: 2h on Friday, 2h on Monday 2024-04-01 from 08:00 CEST.
  const absl::Time deadline = calendar.AddWorkingTime(At(berlin, 2024, 3, 29, 16), absl::Hours(4));
  EXPECT_EQ(deadline, At(berlin, 2024, 4, 1, 10));
  EXPECT_EQ(deadline, Utc(4, 1, 8));  // CEST is UTC+2
  // 65 hours of real time passed, not 66: the weekend was an hour short.
  EXPECT_EQ(deadline - At(berlin, 2024, 3, 29, 16), absl::Hours(65));
}

TEST(BusinessCalendarDstTest, OfficeHoursKeepTheirLocalTimesAcrossFallBack) {
  absl::TimeZone berlin;
  if (!LoadBerlin(&berlin)) GTEST_SKIP() << "no tzdata for Europe/Berlin";
  const BusinessCalendar calendar = Office(berlin);
  // Friday 2024-10-25 16:00 CEST + 4h: Monday 2024-10-28 10:00 CET = 09:00 UTC.
  const absl::Time deadline = calendar.AddWorkingTime(At(berlin, 2024, 10, 25, 16), absl::Hours(4));
  EXPECT_EQ(deadline, At(berlin, 2024, 10, 28, 10));
  EXPECT_EQ(deadline, Utc(10, 28, 9));
}

TEST(BusinessCalendarDstTest, ASpanContainingTheChangeIsAnHourShorterOrLonger) {
  absl::TimeZone berlin;
  if (!LoadBerlin(&berlin)) GTEST_SKIP() << "no tzdata for Europe/Berlin";
  BusinessCalendarConfig config;
  config.zone = berlin;
  config.hours[6] = {{absl::Hours(0), absl::Hours(6)}};  // Sunday 00:00-06:00
  const BusinessCalendar calendar = MustCreate(config);
  EXPECT_EQ(calendar.WorkingTimeBetween(At(berlin, 2024, 3, 30, 12), At(berlin, 2024, 3, 31, 12)),
            absl::Hours(5));
  EXPECT_EQ(calendar.WorkingTimeBetween(At(berlin, 2024, 10, 26, 12), At(berlin, 2024, 10, 27, 12)),
            absl::Hours(7));
  EXPECT_EQ(calendar.WorkingTimeBetween(At(berlin, 2024, 3, 23, 12), At(berlin, 2024, 3, 24, 12)),
            absl::Hours(6));
  // 5h into the spring-forward Sunday ends at 06:00 CEST.
  EXPECT_EQ(calendar.AddWorkingTime(At(berlin, 2024, 3, 31, 0), absl::Hours(5)),
            At(berlin, 2024, 3, 31, 6));
}

TEST(BusinessCalendarDstTest, RoundTheClockCalendarCountsRealTime) {
  absl::TimeZone berlin;
  if (!LoadBerlin(&berlin)) GTEST_SKIP() << "no tzdata for Europe/Berlin";
  BusinessCalendarConfig config;
  config.zone = berlin;
  for (auto& day : config.hours) day = {{absl::ZeroDuration(), absl::Hours(24)}};
  const BusinessCalendar calendar = MustCreate(config);
  const absl::Time from = At(berlin, 2024, 3, 1, 12);
  for (const absl::Time to :
       {At(berlin, 2024, 3, 31, 12), At(berlin, 2024, 10, 27, 12), At(berlin, 2025, 6, 1, 0)}) {
    EXPECT_EQ(calendar.WorkingTimeBetween(from, to), to - from);
    EXPECT_EQ(calendar.AddWorkingTime(from, to - from), to);
  }
}

TEST(BusinessCalendarDstTest, SpanBoundaryInTheSkippedHourIsTheChange) {
  absl::TimeZone berlin;
  if (!LoadBerlin(&berlin)) GTEST_SKIP() << "no tzdata for Europe/Berlin";
  BusinessCalendarConfig config;
  config.zone = berlin;
  config.hours[6] = {{absl::Hours(2) + absl::Minutes(30), absl::Hours(4)}};  // Sunday
  const BusinessCalendar calendar = MustCreate(config);
  // 02:30 did not exist on 2024-03-31: the span runs from the change (03:00 CEST) to 04:00.
  EXPECT_EQ(calendar.WorkingTimeBetween(At(berlin, 2024, 3, 31, 0), At(berlin, 2024, 3, 31, 12)),
            absl::Hours(1));
  EXPECT_EQ(calendar.AddWorkingTime(At(berlin, 2024, 3, 31, 0), absl::Minutes(1)),
            At(berlin, 2024, 3, 31, 3, 1));
}

// ---- Against a plain reference: day by day, no week skipping ----

struct ReferenceCalendar {
  BusinessCalendarConfig config;

  absl::Duration Between(absl::Time from, absl::Time to) const {
    absl::Duration total;
    const absl::CivilDay last = absl::CivilDay(config.zone.At(to).cs) + 1;
    for (absl::CivilDay day = absl::CivilDay(config.zone.At(from).cs) - 1; day <= last; ++day) {
      if (std::find(config.holidays.begin(), config.holidays.end(), day) != config.holidays.end()) {
        continue;
      }
      for (const WorkingSpan& span : config.hours[static_cast<int>(absl::GetWeekday(day))]) {
        const absl::Time start = std::max(
            from, absl::FromCivil(absl::CivilSecond(day) + absl::ToInt64Seconds(span.start),
                                  config.zone));
        const absl::Time end = std::min(
            to,
            absl::FromCivil(absl::CivilSecond(day) + absl::ToInt64Seconds(span.end), config.zone));
        if (start < end) total += end - start;
      }
    }
    return total;
  }
};

// Berlin office hours with a lunch break, a Saturday morning and some holidays; no span
// boundary in the hour of a change, so absl::FromCivil is exact for the reference.
BusinessCalendarConfig BerlinShop(absl::TimeZone berlin) {
  BusinessCalendarConfig config;
  config.zone = berlin;
  for (int weekday = 0; weekday < 5; ++weekday) {
    config.hours[weekday] = {{absl::Hours(8), absl::Hours(12)},
                             {absl::Hours(13), absl::Hours(17) + absl::Minutes(30)}};
  }
  config.hours[5] = {{absl::Hours(9), absl::Hours(13)}};
  config.hours[6] = {{absl::Hours(1), absl::Hours(4)}};  // contains both changes
  config.holidays = {absl::CivilDay(2024, 1, 1),   absl::CivilDay(2024, 3, 29),
                     absl::CivilDay(2024, 4, 1),   absl::CivilDay(2024, 5, 1),
                     absl::CivilDay(2024, 10, 3),  absl::CivilDay(2024, 12, 25),
                     absl::CivilDay(2025, 1, 1),   absl::CivilDay(2025, 4, 18),
                     absl::CivilDay(2025, 12, 25), absl::CivilDay(2026, 1, 1)};
  return config;
}

TEST(BusinessCalendarPropertyTest, MatchesTheDayByDayReferenceOverYears) {
  absl::TimeZone berlin;
  if (!LoadBerlin(&berlin)) GTEST_SKIP() << "no tzdata for Europe/Berlin";
  const BusinessCalendarConfig config = BerlinShop(berlin);
  const BusinessCalendar calendar = MustCreate(config);
  const ReferenceCalendar reference{config};
  std::mt19937_64 random(20240331);
  const int64_t base = absl::ToUnixSeconds(At(berlin, 2023, 12, 1, 0));
  std::uniform_int_distribution<int64_t> offset(0, 2 * 366 * 86400);
  for (int i = 0; i < 300; ++i) {
    absl::Time a = absl::FromUnixSeconds(base + offset(random));
    absl::Time b = absl::FromUnixSeconds(base + offset(random));
    if (b < a) std::swap(a, b);
    ASSERT_EQ(calendar.WorkingTimeBetween(a, b), reference.Between(a, b))
        << absl::FormatTime(a, berlin) << " .. " << absl::FormatTime(b, berlin);
  }
}

TEST(BusinessCalendarPropertyTest, AddAndBetweenAreInverse) {
  absl::TimeZone berlin;
  if (!LoadBerlin(&berlin)) GTEST_SKIP() << "no tzdata for Europe/Berlin";
  const BusinessCalendarConfig config = BerlinShop(berlin);
  const BusinessCalendar calendar = MustCreate(config);
  const ReferenceCalendar reference{config};
  std::mt19937_64 random(42);
  const int64_t base = absl::ToUnixSeconds(At(berlin, 2024, 1, 1, 0));
  std::uniform_int_distribution<int64_t> instant(0, 366 * 86400);
  std::uniform_int_distribution<int64_t> working_seconds(1, 600 * 3600);  // up to 600 h
  for (int i = 0; i < 300; ++i) {
    const absl::Time from = absl::FromUnixSeconds(base + instant(random));
    const absl::Duration d = absl::Seconds(working_seconds(random));
    const absl::Time end = calendar.AddWorkingTime(from, d);
    ASSERT_EQ(calendar.WorkingTimeBetween(from, end), d) << absl::FormatTime(from, berlin);
    ASSERT_EQ(reference.Between(from, end), d) << absl::FormatTime(from, berlin);
    // The earliest such instant: a second earlier, not all of d was there yet.
    ASSERT_LT(reference.Between(from, end - absl::Seconds(1)), d);

    const absl::Time to = absl::FromUnixSeconds(base + instant(random));
    if (to < from) continue;
    const absl::Time back = calendar.AddWorkingTime(from, calendar.WorkingTimeBetween(from, to));
    ASSERT_LE(back, to);
    // Inside a span (not at its start, where the earliest instant is the previous span's end).
    if (calendar.IsWorkingTime(to) && calendar.IsWorkingTime(to - absl::Seconds(1))) {
      ASSERT_EQ(back, to) << absl::FormatTime(to, berlin);
    }
  }
}

TEST(BusinessCalendarPerformanceTest, A365DayTargetInBusinessHoursIsQuick) {
  absl::TimeZone berlin;
  if (!LoadBerlin(&berlin)) berlin = absl::UTCTimeZone();
  const BusinessCalendarConfig config = BerlinShop(berlin);
  const BusinessCalendar calendar = MustCreate(config);
  const absl::Time from = At(berlin, 2024, 2, 14, 10);
  const absl::Duration target = absl::Hours(365 * 24);  // ~3.4 years of 49.5-hour weeks
  const absl::Time start = absl::Now();
  absl::Time deadline;
  constexpr int kRuns = 200;
  for (int i = 0; i < kRuns; ++i) deadline = calendar.AddWorkingTime(from, target);
  absl::Duration used;
  for (int i = 0; i < kRuns; ++i) used = calendar.WorkingTimeBetween(from, deadline);
  const absl::Duration per_call = (absl::Now() - start) / (2 * kRuns);
  EXPECT_EQ(used, target);
  EXPECT_GT(deadline, At(berlin, 2027, 1, 1, 0));
  // A few microseconds in an optimised build; the bound leaves room for sanitizers.
  EXPECT_LT(per_call, absl::Milliseconds(2)) << absl::FormatDuration(per_call);
}

// ---- Validation ----

absl::Status Validate(const BusinessCalendarConfig& config) { return ValidateCalendar(config); }

void ExpectInvalid(const BusinessCalendarConfig& config, const std::string& prefix) {
  const absl::Status status = Validate(config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_TRUE(absl::StartsWith(status.message(), prefix)) << status.message();
  EXPECT_EQ(BusinessCalendar::Create(config).status(), status);
}

TEST(BusinessCalendarValidationTest, OfficeHoursAreValid) {
  EXPECT_TRUE(Validate(WeekdayHours(absl::UTCTimeZone(), absl::Hours(8), absl::Hours(18))).ok());
}

TEST(BusinessCalendarValidationTest, NoWorkingTimeIsRejected) {
  BusinessCalendarConfig config;
  ExpectInvalid(config, "calendar.hours: no working time in the week");
}

TEST(BusinessCalendarValidationTest, EndNotAfterStartIsRejected) {
  BusinessCalendarConfig config;
  config.hours[0] = {{absl::Hours(8), absl::Hours(12)}, {absl::Hours(12), absl::Hours(9)}};
  ExpectInvalid(config, "calendar.hours[monday][1].end: must be after start (12:00), got 09:00");
  config.hours[0] = {{absl::Hours(8), absl::Hours(8)}};
  ExpectInvalid(config, "calendar.hours[monday][0].end: must be after start");
}

TEST(BusinessCalendarValidationTest, OverlappingSpansAreRejected) {
  BusinessCalendarConfig config;
  config.hours[1] = {{absl::Hours(8), absl::Hours(12)}, {absl::Hours(11), absl::Hours(18)}};
  ExpectInvalid(config,
                "calendar.hours[tuesday][1]: overlaps calendar.hours[tuesday][0] (08:00-12:00)");
}

TEST(BusinessCalendarValidationTest, SpansOutsideTheDayAreRejected) {
  BusinessCalendarConfig config;
  config.hours[6] = {{-absl::Hours(1), absl::Hours(2)}};
  ExpectInvalid(config, "calendar.hours[sunday][0].start: must be within the day");
  config.hours[6] = {{absl::Hours(20), absl::Hours(25)}};
  ExpectInvalid(config, "calendar.hours[sunday][0].end: must be within the day");
}

TEST(BusinessCalendarValidationTest, FractionsOfASecondAreRejected) {
  BusinessCalendarConfig config;
  config.hours[2] = {{absl::Hours(8) + absl::Milliseconds(5), absl::Hours(9)}};
  ExpectInvalid(config, "calendar.hours[wednesday][0].start: must be whole seconds");
}

}  // namespace
}  // namespace servicedesk::tickets
