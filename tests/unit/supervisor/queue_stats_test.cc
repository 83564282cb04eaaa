#include "services/supervisor/queue_stats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace servicedesk::supervisor {
namespace {

// Tuesday 2024-03-05, hh:mm:ss UTC.
absl::Time Utc(int hour, int minute, int second = 0) {
  return absl::FromCivil(absl::CivilSecond(2024, 3, 5, hour, minute, second), absl::UTCTimeZone());
}

const Figure& Get(const QueueFigures& figures, std::string_view name) {
  const Figure* figure = FindFigure(figures.figures, name);
  if (figure == nullptr) {
    ADD_FAILURE() << "no figure " << name;
    static const Figure kMissing;
    return kMissing;
  }
  return *figure;
}

double Value(const QueueFigures& figures, std::string_view name) {
  const Figure& figure = Get(figures, name);
  EXPECT_TRUE(figure.defined) << name;
  return figure.value;
}

constexpr double kEps = 1e-12;

// ---- The service-level variants and the other figures, hand-computed ----

// T = 20 s, S = 5 s (the defaults), everything in the 09:00 interval:
//   answered after 5, 20 (exactly T), 21, 40 s      -> answered 4, answered<=T 2
//   abandoned after 3, 5 (exactly S), 20 (exactly T), 30 s (a callback)
//                                                  -> abandoned 4, <=T 3, <=S 2, callbacks 1
//   offered 10, of which 2 callbacks (2 still waiting)
TEST(QueueStatsTest, EveryServiceLevelVariantOnAHandComputedMix) {
  QueueStats stats;
  const absl::Time t = Utc(9, 3);
  for (int i = 0; i < 10; ++i) stats.Offered("billing", t, /*callback=*/i < 2);
  for (int wait : {5, 20, 21, 40}) stats.Answered("billing", t, absl::Seconds(wait));
  stats.Abandoned("billing", t, absl::Seconds(3));
  stats.Abandoned("billing", t, absl::Seconds(5));
  stats.Abandoned("billing", t, absl::Seconds(20));
  stats.Abandoned("billing", t, absl::Seconds(30), /*callback=*/true);

  const QueueFigures f = stats.CurrentInterval("billing", t);
  EXPECT_EQ(f.counters.offered, 10);
  EXPECT_EQ(f.counters.offered_callbacks, 2);
  EXPECT_EQ(f.counters.answered, 4);
  EXPECT_EQ(f.counters.answered_within_t, 2);
  EXPECT_EQ(f.counters.abandoned, 4);
  EXPECT_EQ(f.counters.abandoned_within_t, 3);
  EXPECT_EQ(f.counters.abandoned_within_short, 2);
  EXPECT_EQ(f.counters.abandoned_callbacks, 1);
  EXPECT_EQ(f.counters.answered_wait_total, absl::Seconds(86));
  EXPECT_EQ(f.counters.abandoned_wait_total, absl::Seconds(58));
  EXPECT_EQ(f.counters.longest_answered_wait, absl::Seconds(40));

  EXPECT_NEAR(Value(f, "service_level_1"), 2.0 / 4, kEps);  // 2 / 4
  EXPECT_NEAR(Value(f, "service_level_2"), 2.0 / 8, kEps);  // 2 / (4 + 4)
  EXPECT_NEAR(Value(f, "service_level_3"), 5.0 / 8, kEps);  // (2 + 3) / (4 + 4)
  EXPECT_NEAR(Value(f, "service_level_4"), 2.0 / 5, kEps);  // 2 / (4 + (4 - 3))
  EXPECT_NEAR(Value(f, "service_level_5"), 2.0 / 6, kEps);  // 2 / (4 + (4 - 2))
  EXPECT_NEAR(Value(f, "asa"), 86.0 / 4, kEps);             // 21.5 s
  EXPECT_NEAR(Value(f, "abandon_rate"), 4.0 / 10, kEps);
  EXPECT_NEAR(Value(f, "abandon_rate_excluding_short"), 2.0 / 8, kEps);      // (4-2)/(10-2)
  EXPECT_NEAR(Value(f, "abandon_rate_excluding_callbacks"), 3.0 / 8, kEps);  // (4-1)/(10-2)
  EXPECT_NEAR(Value(f, "average_abandon_time"), 58.0 / 4, kEps);             // 14.5 s
  EXPECT_FALSE(Get(f, "aht").defined);                                       // nothing handled
}

TEST(QueueStatsTest, CallAnsweredExactlyAtThresholdCountsAsWithin) {
  QueueStats stats;
  stats.Answered("q", Utc(9, 0), absl::Seconds(20));
  EXPECT_EQ(stats.CurrentInterval("q", Utc(9, 0)).counters.answered_within_t, 1);
  EXPECT_DOUBLE_EQ(Value(stats.CurrentInterval("q", Utc(9, 0)), "service_level_1"), 1.0);

  stats.Answered("q", Utc(9, 0), absl::Seconds(20) + absl::Nanoseconds(1));
  const QueueFigures f = stats.CurrentInterval("q", Utc(9, 0));
  EXPECT_EQ(f.counters.answered_within_t, 1);
  EXPECT_DOUBLE_EQ(Value(f, "service_level_1"), 0.5);
}

TEST(QueueStatsTest, AbandonExactlyAtThresholdIsWithinTAndExactlyAtShortIsShort) {
  QueueStats stats;  // T = 20 s, S = 5 s
  stats.Abandoned("q", Utc(9, 0), absl::Seconds(20));
  stats.Abandoned("q", Utc(9, 0), absl::Seconds(20) + absl::Nanoseconds(1));
  stats.Abandoned("q", Utc(9, 0), absl::Seconds(5));
  stats.Abandoned("q", Utc(9, 0), absl::Seconds(5) + absl::Nanoseconds(1));
  const Counters c = stats.CurrentInterval("q", Utc(9, 0)).counters;
  EXPECT_EQ(c.abandoned, 4);
  EXPECT_EQ(c.abandoned_within_t, 3);      // 20, 5, 5+1ns
  EXPECT_EQ(c.abandoned_within_short, 1);  // 5
}

// T = 20 s, S = 5 s: two calls answered after 10 s; abandons after 2 and 4 s (short), 10 s
// (over S, within T) and 60 s (over T); 6 offered.
TEST(QueueStatsTest, ShortAbandonsAreLeftOutOfVariantsFourAndFiveAndTheAdjustedRate) {
  QueueStats stats;
  const absl::Time t = Utc(9, 0);
  for (int i = 0; i < 6; ++i) stats.Offered("q", t);
  stats.Answered("q", t, absl::Seconds(10));
  stats.Answered("q", t, absl::Seconds(10));
  for (int wait : {2, 4, 10, 60}) stats.Abandoned("q", t, absl::Seconds(wait));

  const QueueFigures f = stats.CurrentInterval("q", t);
  EXPECT_NEAR(Value(f, "service_level_2"), 2.0 / 6, kEps);  // every abandon counts
  EXPECT_NEAR(Value(f, "service_level_4"), 2.0 / 3, kEps);  // only the 60 s abandon counts
  EXPECT_NEAR(Value(f, "service_level_5"), 2.0 / 4, kEps);  // the 10 s and 60 s ones count
  EXPECT_NEAR(Value(f, "abandon_rate"), 4.0 / 6, kEps);
  EXPECT_NEAR(Value(f, "abandon_rate_excluding_short"), 2.0 / 4, kEps);
}

TEST(QueueStatsTest, AsaAndAhtArithmetic) {
  QueueStats stats;
  const absl::Time t = Utc(9, 0);
  stats.Answered("q", t, absl::Seconds(10));
  stats.Answered("q", t, absl::Seconds(25));
  stats.Answered("q", t, absl::Milliseconds(40500));
  stats.Handled("q", t, absl::Seconds(120), absl::Seconds(30), absl::Seconds(30));
  stats.Handled("q", t, absl::Seconds(200), absl::ZeroDuration(), absl::Seconds(21));

  const QueueFigures f = stats.CurrentInterval("q", t);
  EXPECT_EQ(f.counters.handled, 2);
  EXPECT_EQ(f.counters.talk_total, absl::Seconds(320));
  EXPECT_EQ(f.counters.hold_total, absl::Seconds(30));
  EXPECT_EQ(f.counters.wrap_up_total, absl::Seconds(51));
  EXPECT_EQ(f.counters.longest_answered_wait, absl::Milliseconds(40500));
  EXPECT_NEAR(Value(f, "asa"), 75.5 / 3, kEps);   // (10 + 25 + 40.5) / 3
  EXPECT_NEAR(Value(f, "aht"), 401.0 / 2, kEps);  // (180 + 221) / 2
}

TEST(QueueStatsTest, NegativeDurationsCountAsZero) {
  QueueStats stats;
  stats.Answered("q", Utc(9, 0), absl::Seconds(-3));
  stats.Handled("q", Utc(9, 0), absl::Seconds(-1), absl::Seconds(-1), absl::Seconds(10));
  const QueueFigures f = stats.CurrentInterval("q", Utc(9, 0));
  EXPECT_EQ(f.counters.answered_wait_total, absl::ZeroDuration());
  EXPECT_EQ(f.counters.answered_within_t, 1);
  EXPECT_NEAR(Value(f, "aht"), 10.0, kEps);
}

// ---- Empty denominators ----

TEST(QueueStatsTest, EveryFigureIsUndefinedWithoutEvents) {
  const std::vector<Figure> figures = ComputeFigures(Counters{});
  const std::vector<std::string> expected = {"service_level_1",
                                             "service_level_2",
                                             "service_level_3",
                                             "service_level_4",
                                             "service_level_5",
                                             "asa",
                                             "aht",
                                             "abandon_rate",
                                             "abandon_rate_excluding_short",
                                             "abandon_rate_excluding_callbacks",
                                             "average_abandon_time"};
  ASSERT_EQ(figures.size(), expected.size());
  for (size_t i = 0; i < figures.size(); ++i) {
    EXPECT_EQ(figures[i].name, expected[i]);
    EXPECT_FALSE(figures[i].defined) << figures[i].name;
    EXPECT_EQ(figures[i].value, 0) << figures[i].name;
  }
}

TEST(QueueStatsTest, OnlyAbandonsLeaveVariantOneAndAsaUndefined) {
  QueueStats stats;
  stats.Abandoned("q", Utc(9, 0), absl::Seconds(30));  // offered in an earlier interval
  const QueueFigures f = stats.CurrentInterval("q", Utc(9, 0));
  EXPECT_FALSE(Get(f, "service_level_1").defined);
  EXPECT_FALSE(Get(f, "asa").defined);
  EXPECT_FALSE(Get(f, "abandon_rate").defined);  // nothing offered in this interval
  for (const char* name :
       {"service_level_2", "service_level_3", "service_level_4", "service_level_5"}) {
    EXPECT_EQ(Value(f, name), 0.0) << name;
  }
  EXPECT_EQ(Value(f, "average_abandon_time"), 30.0);
}

TEST(QueueStatsTest, OnlyShortAbandonsLeaveTheAdjustedFiguresUndefined) {
  QueueStats stats;
  stats.Offered("q", Utc(9, 0));
  stats.Offered("q", Utc(9, 0));
  stats.Abandoned("q", Utc(9, 0), absl::Seconds(1));
  stats.Abandoned("q", Utc(9, 0), absl::Seconds(2));
  const QueueFigures f = stats.CurrentInterval("q", Utc(9, 0));
  EXPECT_EQ(Value(f, "abandon_rate"), 1.0);
  EXPECT_FALSE(Get(f, "abandon_rate_excluding_short").defined);  // 0 / (2 - 2)
  EXPECT_FALSE(Get(f, "service_level_4").defined);               // 0 / (0 + (2 - 2))
  EXPECT_FALSE(Get(f, "service_level_5").defined);               // 0 / (0 + (2 - 2))
  EXPECT_EQ(Value(f, "service_level_2"), 0.0);                   // 0 / (0 + 2)
}

TEST(QueueStatsTest, CallbacksOnlyLeaveTheRateWithoutCallbacksUndefined) {
  QueueStats stats;
  stats.Offered("q", Utc(9, 0), /*callback=*/true);
  stats.Abandoned("q", Utc(9, 0), absl::Seconds(40), /*callback=*/true);
  const QueueFigures f = stats.CurrentInterval("q", Utc(9, 0));
  EXPECT_EQ(Value(f, "abandon_rate"), 1.0);
  EXPECT_FALSE(Get(f, "abandon_rate_excluding_callbacks").defined);
}

TEST(QueueStatsTest, EachFigureNamesItsFormula) {
  const std::vector<Figure> figures = ComputeFigures(Counters{});
  const auto formula = [&](std::string_view name) {
    const Figure* figure = FindFigure(figures, name);
    return figure == nullptr ? std::string("missing") : figure->formula;
  };
  EXPECT_EQ(formula("service_level_1"), "answered<=T / answered");
  EXPECT_EQ(formula("service_level_2"), "answered<=T / (answered + abandoned)");
  EXPECT_EQ(formula("service_level_3"), "(answered<=T + abandoned<=T) / (answered + abandoned)");
  EXPECT_EQ(formula("service_level_4"), "answered<=T / (answered + abandoned>T)");
  EXPECT_EQ(formula("service_level_5"), "answered<=T / (answered + abandoned>S)");
  EXPECT_EQ(formula("asa"), "answered wait / answered");
  EXPECT_EQ(formula("aht"), "(talk + hold + wrap-up) / handled");
  EXPECT_EQ(formula("abandon_rate"), "abandoned / offered");
  EXPECT_EQ(formula("abandon_rate_excluding_short"),
            "(abandoned - abandoned<=S) / (offered - abandoned<=S)");
  EXPECT_EQ(formula("abandon_rate_excluding_callbacks"),
            "(abandoned - abandoned callbacks) / (offered - offered callbacks)");
  EXPECT_EQ(formula("average_abandon_time"), "abandoned wait / abandoned");
  EXPECT_EQ(FindFigure(figures, "occupancy"), nullptr);
}

// ---- Thresholds ----

TEST(QueueStatsTest, ThresholdsArePerQueue) {
  QueueStats stats;
  stats.SetThresholds("billing", absl::Seconds(10), absl::Seconds(3));
  for (const char* queue : {"billing", "sales"}) {
    stats.Answered(queue, Utc(9, 0), absl::Seconds(15));
    stats.Abandoned(queue, Utc(9, 0), absl::Seconds(4));
  }
  const QueueFigures billing = stats.CurrentInterval("billing", Utc(9, 0));
  const QueueFigures sales = stats.CurrentInterval("sales", Utc(9, 0));
  EXPECT_EQ(billing.threshold, absl::Seconds(10));
  EXPECT_EQ(billing.short_abandon, absl::Seconds(3));
  EXPECT_EQ(sales.threshold, absl::Seconds(20));
  EXPECT_EQ(sales.short_abandon, absl::Seconds(5));
  EXPECT_EQ(billing.counters.answered_within_t, 0);       // 15 s > 10 s
  EXPECT_EQ(sales.counters.answered_within_t, 1);         // 15 s <= 20 s
  EXPECT_EQ(billing.counters.abandoned_within_short, 0);  // 4 s > 3 s
  EXPECT_EQ(sales.counters.abandoned_within_short, 1);    // 4 s <= 5 s
}

TEST(QueueStatsTest, UnconfiguredQueuesUseTheOptionDefaults) {
  QueueStatsOptions options;
  options.default_threshold = absl::Seconds(30);
  options.default_short_abandon = absl::Seconds(8);
  QueueStats stats(options);
  stats.Answered("q", Utc(9, 0), absl::Seconds(25));
  const QueueFigures f = stats.CurrentInterval("q", Utc(9, 0));
  EXPECT_EQ(f.threshold, absl::Seconds(30));
  EXPECT_EQ(f.short_abandon, absl::Seconds(8));
  EXPECT_EQ(f.counters.answered_within_t, 1);
}

TEST(QueueStatsTest, AThresholdChangeAppliesToLaterEvents) {
  QueueStats stats;
  stats.Answered("q", Utc(9, 0), absl::Seconds(15));  // within the default 20 s
  stats.SetThresholds("q", absl::Seconds(10), absl::Seconds(5));
  stats.Answered("q", Utc(9, 1), absl::Seconds(15));  // over 10 s
  const QueueFigures f = stats.CurrentInterval("q", Utc(9, 1));
  EXPECT_EQ(f.counters.answered_within_t, 1);
  EXPECT_EQ(f.threshold, absl::Seconds(10));
}

// ---- Periods ----

TEST(QueueStatsTest, IntervalRollsOverAtTheFifteenMinuteBoundary) {
  QueueStats stats;
  stats.Offered("q", Utc(9, 14, 59) + absl::Nanoseconds(999999999));
  QueueFigures f = stats.CurrentInterval("q", Utc(9, 14, 59));
  EXPECT_EQ(f.period_start, Utc(9, 0));
  EXPECT_EQ(f.period_end, Utc(9, 15));
  EXPECT_EQ(f.counters.offered, 1);

  stats.Offered("q", Utc(9, 15));
  stats.Offered("q", Utc(9, 29, 59));
  f = stats.CurrentInterval("q", Utc(9, 15));
  EXPECT_EQ(f.period_start, Utc(9, 15));
  EXPECT_EQ(f.period_end, Utc(9, 30));
  EXPECT_EQ(f.counters.offered, 2);
  EXPECT_EQ(stats.Today("q", Utc(9, 15)).counters.offered, 3);

  const std::vector<QueueFigures> closed = stats.TakeClosedIntervals(Utc(9, 15));
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].queue, "q");
  EXPECT_EQ(closed[0].period_start, Utc(9, 0));
  EXPECT_EQ(closed[0].period_end, Utc(9, 15));
  EXPECT_EQ(closed[0].counters.offered, 1);
  EXPECT_EQ(closed[0].figures.size(), 11u);
}

// +05:30 and one-hour intervals: local 14:00-15:00 is 08:30-09:30 UTC.
TEST(QueueStatsTest, IntervalsAreAlignedToLocalMidnight) {
  QueueStatsOptions options;
  options.zone = absl::FixedTimeZone(5 * 3600 + 30 * 60);
  options.interval = absl::Hours(1);
  QueueStats stats(options);
  stats.Offered("q", Utc(9, 10));
  const QueueFigures f = stats.CurrentInterval("q", Utc(9, 10));
  EXPECT_EQ(f.period_start, Utc(8, 30));
  EXPECT_EQ(f.period_end, Utc(9, 30));
  EXPECT_EQ(f.counters.offered, 1);
}

// +01:00: local midnight of 6 March is 23:00 UTC on 5 March.
TEST(QueueStatsTest, DayRollsOverAtLocalMidnightInTheConfiguredZone) {
  QueueStatsOptions options;
  options.zone = absl::FixedTimeZone(3600);
  QueueStats stats(options);
  stats.Offered("q", Utc(10, 0));
  stats.Answered("q", Utc(22, 59, 59), absl::Seconds(3));  // local 23:59:59

  QueueFigures today = stats.Today("q", Utc(22, 59, 59));
  EXPECT_EQ(today.period_start, Utc(0, 0) - absl::Hours(1));  // local 5 March 00:00
  EXPECT_EQ(today.period_end, Utc(23, 0));
  EXPECT_EQ(today.counters.offered, 1);
  EXPECT_EQ(today.counters.answered, 1);

  stats.Offered("q", Utc(23, 0));  // local 00:00 on 6 March
  today = stats.Today("q", Utc(23, 0));
  EXPECT_EQ(today.period_start, Utc(23, 0));
  EXPECT_EQ(today.period_end, Utc(23, 0) + absl::Hours(24));
  EXPECT_EQ(today.counters.offered, 1);
  EXPECT_EQ(today.counters.answered, 0);
  // The previous day is no longer kept (its intervals went to TakeClosedIntervals).
  EXPECT_EQ(stats.Today("q", Utc(22, 59, 59)).counters, Counters{});

  const std::vector<QueueFigures> closed = stats.TakeClosedIntervals(Utc(23, 0));
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_EQ(closed[0].period_start, Utc(10, 0));
  EXPECT_EQ(closed[1].period_start, Utc(22, 45));
  EXPECT_EQ(closed[1].period_end, Utc(23, 0));
}

TEST(QueueStatsTest, TodayIsEmptyOnceTheDayHasPassed) {
  QueueStats stats;
  stats.Offered("q", Utc(10, 0));
  const QueueFigures f = stats.Today("q", Utc(10, 0) + absl::Hours(24));
  EXPECT_EQ(f.period_start, Utc(0, 0) + absl::Hours(24));
  EXPECT_EQ(f.counters, Counters{});
}

TEST(QueueStatsTest, LastIntervalOfTheDayIsCutAtMidnight) {
  QueueStatsOptions options;
  options.interval = absl::Hours(7);  // 00-07, 07-14, 14-21, 21-24
  QueueStats stats(options);
  stats.Offered("q", Utc(22, 0));
  const QueueFigures f = stats.CurrentInterval("q", Utc(22, 0));
  EXPECT_EQ(f.period_start, Utc(21, 0));
  EXPECT_EQ(f.period_end, Utc(0, 0) + absl::Hours(24));
}

// Paris springs forward on 2024-03-31 at 02:00 CET (01:00 UTC): a 23-hour day, and the
// intervals after the change still start on the quarter hours of the wall clock.
TEST(QueueStatsTest, DaylightSavingDayHasTwentyThreeHours) {
  absl::TimeZone paris;
  if (!absl::LoadTimeZone("Europe/Paris", &paris)) GTEST_SKIP() << "no tzdata";
  QueueStatsOptions options;
  options.zone = paris;
  QueueStats stats(options);
  const absl::Time noon = absl::FromCivil(absl::CivilSecond(2024, 3, 31, 12, 5, 0), paris);
  stats.Offered("q", noon);
  const QueueFigures today = stats.Today("q", noon);
  EXPECT_EQ(today.period_end - today.period_start, absl::Hours(23));
  const QueueFigures interval = stats.CurrentInterval("q", noon);
  EXPECT_EQ(interval.period_start,
            absl::FromCivil(absl::CivilSecond(2024, 3, 31, 12, 0, 0), paris));
}

TEST(QueueStatsTest, TakeClosedIntervalsReturnsEachIntervalOnce) {
  QueueStats stats;
  stats.Offered("q", Utc(9, 1));
  stats.Offered("q", Utc(9, 16));
  stats.Offered("q", Utc(9, 31));

  std::vector<QueueFigures> closed = stats.TakeClosedIntervals(Utc(9, 31));
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_EQ(closed[0].period_start, Utc(9, 0));
  EXPECT_EQ(closed[1].period_start, Utc(9, 15));
  EXPECT_TRUE(stats.TakeClosedIntervals(Utc(9, 31)).empty());

  // The open interval is closed by the clock once it has ended, without a later event.
  EXPECT_TRUE(stats.TakeClosedIntervals(Utc(9, 44, 59)).empty());
  closed = stats.TakeClosedIntervals(Utc(9, 45));
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].period_start, Utc(9, 30));
  EXPECT_EQ(closed[0].counters.offered, 1);
  EXPECT_TRUE(stats.TakeClosedIntervals(Utc(12, 0)).empty());
  // Today still counts all three.
  EXPECT_EQ(stats.Today("q", Utc(12, 0)).counters.offered, 3);
}

TEST(QueueStatsTest, TakeClosedIntervalsKeepsIntervalsEndingAfterNow) {
  QueueStats stats;
  stats.Offered("q", Utc(9, 1));
  stats.Offered("q", Utc(9, 16));                              // closes 09:00-09:15
  EXPECT_TRUE(stats.TakeClosedIntervals(Utc(9, 10)).empty());  // a caller's clock behind
  ASSERT_EQ(stats.TakeClosedIntervals(Utc(9, 15)).size(), 1u);
}

TEST(QueueStatsTest, ClosedIntervalsAreOrderedByQueueThenTime) {
  QueueStats stats;
  stats.Offered("sales", Utc(9, 1));
  stats.Offered("billing", Utc(9, 2));
  stats.Offered("sales", Utc(9, 16));
  const std::vector<QueueFigures> closed = stats.TakeClosedIntervals(Utc(10, 0));
  ASSERT_EQ(closed.size(), 3u);
  EXPECT_EQ(closed[0].queue, "billing");
  EXPECT_EQ(closed[1].queue, "sales");
  EXPECT_EQ(closed[1].period_start, Utc(9, 0));
  EXPECT_EQ(closed[2].queue, "sales");
  EXPECT_EQ(closed[2].period_start, Utc(9, 15));
}

TEST(QueueStatsTest, QuietIntervalsAreNotListed) {
  QueueStats stats;
  stats.Offered("q", Utc(9, 1));
  stats.Offered("q", Utc(11, 20));
  const std::vector<QueueFigures> closed = stats.TakeClosedIntervals(Utc(12, 0));
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_EQ(closed[0].period_start, Utc(9, 0));
  EXPECT_EQ(closed[1].period_start, Utc(11, 15));
}

TEST(QueueStatsTest, LateEventCountsInTheOpenInterval) {
  QueueStats stats;
  stats.Offered("q", Utc(9, 20));
  stats.Answered("q", Utc(9, 5), absl::Seconds(4));  // before the open 09:15 interval
  const QueueFigures f = stats.CurrentInterval("q", Utc(9, 20));
  EXPECT_EQ(f.period_start, Utc(9, 15));
  EXPECT_EQ(f.counters.answered, 1);
  EXPECT_EQ(stats.Today("q", Utc(9, 20)).counters.answered, 1);
  EXPECT_TRUE(stats.TakeClosedIntervals(Utc(9, 20)).empty());
}

TEST(QueueStatsTest, LateEventAfterTakeDoesNotReopenATakenInterval) {
  QueueStats stats;
  stats.Offered("q", Utc(9, 5));
  ASSERT_EQ(stats.TakeClosedIntervals(Utc(9, 20)).size(), 1u);  // 09:00-09:15, by the clock
  stats.Offered("q", Utc(9, 10));                               // late
  EXPECT_EQ(stats.CurrentInterval("q", Utc(9, 20)).counters.offered, 1);
  EXPECT_EQ(stats.Today("q", Utc(9, 20)).counters.offered, 2);

  const std::vector<QueueFigures> closed = stats.TakeClosedIntervals(Utc(9, 30));
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].period_start, Utc(9, 15));
  EXPECT_EQ(closed[0].counters.offered, 1);
}

TEST(QueueStatsTest, LateEventFromThePreviousDayCountsToday) {
  QueueStats stats;
  const absl::Time after_midnight = Utc(0, 5) + absl::Hours(24);
  stats.Offered("q", after_midnight);
  stats.Offered("q", Utc(23, 50));  // late, from the day before
  EXPECT_EQ(stats.Today("q", after_midnight).counters.offered, 2);
  EXPECT_EQ(stats.CurrentInterval("q", after_midnight).counters.offered, 2);
}

TEST(QueueStatsTest, ClosedIntervalsAreBoundedDroppingTheOldest) {
  QueueStatsOptions options;
  options.max_closed_intervals = 3;
  QueueStats stats(options);
  for (int i = 0; i < 6; ++i) stats.Offered("q", Utc(9, 0) + i * absl::Minutes(15));
  // 09:00 to 10:00 closed (5), the 10:15 interval open.
  EXPECT_EQ(stats.DroppedClosedIntervals(), 2);
  const std::vector<QueueFigures> closed = stats.TakeClosedIntervals(Utc(10, 15));
  ASSERT_EQ(closed.size(), 3u);
  EXPECT_EQ(closed[0].period_start, Utc(9, 30));
  EXPECT_EQ(closed[1].period_start, Utc(9, 45));
  EXPECT_EQ(closed[2].period_start, Utc(10, 0));
}

TEST(QueueStatsTest, DayCountersAreTheSumOfItsIntervals) {
  QueueStats stats;
  const absl::Time start = Utc(8, 0);
  for (int i = 0; i < 40; ++i) {
    const absl::Time at = start + i * absl::Minutes(7);
    stats.Offered("q", at, i % 5 == 0);
    if (i % 3 == 0) stats.Answered("q", at, absl::Seconds(i));
    if (i % 4 == 0) stats.Abandoned("q", at, absl::Seconds(i), i % 8 == 0);
    if (i % 2 == 0)
      stats.Handled("q", at, absl::Seconds(60 + i), absl::Seconds(i), absl::Seconds(10));
  }
  const absl::Time now = start + 40 * absl::Minutes(7);
  Counters sum;
  for (const QueueFigures& f : stats.TakeClosedIntervals(now)) sum += f.counters;
  sum += stats.CurrentInterval("q", now).counters;
  EXPECT_EQ(sum, stats.Today("q", now).counters);
  EXPECT_EQ(sum.offered, 40);
}

// ---- The open interval, restoring after a restart ----

TEST(QueueStatsTest, OpenIntervalOfIsNulloptForAnUnknownQueue) {
  QueueStats stats;
  EXPECT_FALSE(stats.OpenIntervalOf("nobody").has_value());
  // Known (configured) but no event yet: no open interval either.
  stats.SetThresholds("q", absl::Seconds(10), absl::Seconds(3));
  EXPECT_FALSE(stats.OpenIntervalOf("q").has_value());
  // An event of another queue does not open one for "q".
  stats.Offered("other", Utc(9, 0));
  EXPECT_FALSE(stats.OpenIntervalOf("q").has_value());
  EXPECT_TRUE(stats.OpenIntervalOf("other").has_value());
}

TEST(QueueStatsTest, OpenIntervalOfHasTheOpenIntervalsCountersAndThresholds) {
  QueueStats stats;
  stats.SetThresholds("q", absl::Seconds(10), absl::Seconds(3));
  stats.Offered("q", Utc(9, 3));
  stats.Offered("q", Utc(9, 3), /*callback=*/true);
  stats.Answered("q", Utc(9, 4), absl::Seconds(8));
  stats.Abandoned("q", Utc(9, 5), absl::Seconds(12));
  stats.Handled("q", Utc(9, 6), absl::Seconds(60), absl::Seconds(5), absl::Seconds(10));

  std::optional<QueueStats::OpenInterval> open = stats.OpenIntervalOf("q");
  ASSERT_TRUE(open.has_value());
  EXPECT_EQ(open->start, Utc(9, 0));
  EXPECT_EQ(open->end, Utc(9, 15));
  EXPECT_EQ(open->threshold, absl::Seconds(10));
  EXPECT_EQ(open->short_abandon, absl::Seconds(3));
  EXPECT_EQ(open->counters.offered, 2);
  EXPECT_EQ(open->counters.offered_callbacks, 1);
  EXPECT_EQ(open->counters.answered, 1);
  EXPECT_EQ(open->counters.answered_within_t, 1);  // 8 s <= 10 s
  EXPECT_EQ(open->counters.abandoned, 1);
  EXPECT_EQ(open->counters.abandoned_within_t, 0);  // 12 s > 10 s
  EXPECT_EQ(open->counters.handled, 1);
  EXPECT_EQ(open->counters.talk_total, absl::Seconds(60));
  EXPECT_EQ(open->counters, stats.CurrentInterval("q", Utc(9, 6)).counters);

  // A threshold change shows at once; a later event moves it to the next interval.
  stats.SetThresholds("q", absl::Seconds(30), absl::Seconds(4));
  stats.Offered("q", Utc(9, 16));
  open = stats.OpenIntervalOf("q");
  ASSERT_TRUE(open.has_value());
  EXPECT_EQ(open->start, Utc(9, 15));
  EXPECT_EQ(open->end, Utc(9, 30));
  EXPECT_EQ(open->threshold, absl::Seconds(30));
  EXPECT_EQ(open->short_abandon, absl::Seconds(4));
  EXPECT_EQ(open->counters.offered, 1);
  EXPECT_EQ(open->counters.answered, 0);
}

TEST(QueueStatsTest, OpenIntervalOfIsNulloptOnceTakeClosedIntervalsClosedIt) {
  QueueStats stats;
  stats.Offered("q", Utc(9, 5));
  EXPECT_TRUE(stats.TakeClosedIntervals(Utc(9, 14, 59)).empty());
  ASSERT_TRUE(stats.OpenIntervalOf("q").has_value());
  ASSERT_EQ(stats.TakeClosedIntervals(Utc(9, 15)).size(), 1u);
  EXPECT_FALSE(stats.OpenIntervalOf("q").has_value());
  // The next event opens one again.
  stats.Offered("q", Utc(9, 20));
  ASSERT_TRUE(stats.OpenIntervalOf("q").has_value());
  EXPECT_EQ(stats.OpenIntervalOf("q")->start, Utc(9, 15));
}

TEST(QueueStatsTest, IntervalStartIsTheStartOfTheIntervalContainingATime) {
  const QueueStats stats;
  EXPECT_EQ(stats.IntervalStart(Utc(9, 0)), Utc(9, 0));
  EXPECT_EQ(stats.IntervalStart(Utc(9, 14, 59) + absl::Nanoseconds(999999999)), Utc(9, 0));
  EXPECT_EQ(stats.IntervalStart(Utc(9, 15)), Utc(9, 15));
  EXPECT_EQ(stats.IntervalStart(Utc(23, 59, 59)), Utc(23, 45));
  EXPECT_TRUE(stats.Queues().empty());  // asks about no queue

  QueueStatsOptions options;
  options.zone = absl::FixedTimeZone(5 * 3600 + 30 * 60);  // +05:30
  options.interval = absl::Hours(1);
  EXPECT_EQ(QueueStats(options).IntervalStart(Utc(9, 10)), Utc(8, 30));

  options = QueueStatsOptions{};
  options.interval = absl::Hours(7);  // 00-07, 07-14, 14-21, 21-24
  EXPECT_EQ(QueueStats(options).IntervalStart(Utc(23, 59)), Utc(21, 0));
  EXPECT_EQ(QueueStats(options).IntervalStart(Utc(0, 0) + absl::Hours(24)), Utc(0, 0) + absl::Hours(24));
}

// Counters of a stored row, distinct per `n`.
Counters StoredCounters(int n) {
  Counters c;
  c.offered = n;
  c.offered_callbacks = n / 2;
  c.answered = n;
  c.answered_within_t = n - 1;
  c.abandoned = 1;
  c.abandoned_within_t = 1;
  c.abandoned_within_short = 1;
  c.answered_wait_total = absl::Seconds(10 * n);
  c.abandoned_wait_total = absl::Seconds(4);
  c.longest_answered_wait = absl::Seconds(n * 3);
  c.handled = n;
  c.talk_total = absl::Seconds(60 * n);
  c.hold_total = absl::Seconds(n);
  c.wrap_up_total = absl::Seconds(2 * n);
  return c;
}

struct StoredInterval {
  absl::Time start;
  absl::Time end;
  Counters counters;
};

// A restart at 10:07: today's rows (the 10:00 one containing now, 09:00 and 09:30) and one
// of yesterday, as the store gives them (oldest first).
const absl::Time kRestartNow = Utc(10, 7);

std::vector<StoredInterval> StoredRows() {
  const absl::Duration day = absl::Hours(24);
  return {{Utc(16, 0) - day, Utc(16, 15) - day, StoredCounters(7)},
          {Utc(9, 0), Utc(9, 15), StoredCounters(3)},
          {Utc(9, 30), Utc(9, 45), StoredCounters(2)},
          {Utc(10, 0), Utc(10, 15), StoredCounters(5)}};
}

void RestoreAll(QueueStats& stats, const std::vector<StoredInterval>& rows, absl::Time now = kRestartNow) {
  for (const StoredInterval& row : rows) stats.Restore("q", row.start, row.end, row.counters, now);
}

Counters TodaysSum() {
  Counters sum = StoredCounters(3);
  sum += StoredCounters(2);
  sum += StoredCounters(5);
  return sum;
}

TEST(QueueStatsTest, RestoreMakesTodayTheSumOfTodaysRowsAndReopensTheIntervalContainingNow) {
  QueueStats stats;
  RestoreAll(stats, StoredRows());

  const QueueFigures today = stats.Today("q", kRestartNow);
  EXPECT_EQ(today.period_start, Utc(0, 0));
  EXPECT_EQ(today.counters, TodaysSum());  // yesterday's row left out
  EXPECT_EQ(today.counters.offered, 10);
  EXPECT_EQ(today.counters.longest_answered_wait, absl::Seconds(15));

  const QueueFigures current = stats.CurrentInterval("q", kRestartNow);
  EXPECT_EQ(current.period_start, Utc(10, 0));
  EXPECT_EQ(current.period_end, Utc(10, 15));
  EXPECT_EQ(current.counters, StoredCounters(5));

  const std::optional<QueueStats::OpenInterval> open = stats.OpenIntervalOf("q");
  ASSERT_TRUE(open.has_value());
  EXPECT_EQ(open->start, Utc(10, 0));
  EXPECT_EQ(open->end, Utc(10, 15));
  EXPECT_EQ(open->counters, StoredCounters(5));
  EXPECT_EQ(open->threshold, absl::Seconds(20));  // the queue's, not stored

  // Yesterday is not today; the restored earlier intervals are not to be taken again.
  EXPECT_EQ(stats.Today("q", Utc(16, 0) - absl::Hours(24)).counters, Counters{});
  EXPECT_TRUE(stats.TakeClosedIntervals(kRestartNow).empty());
  EXPECT_EQ(stats.Queues(), (std::vector<std::string>{"q"}));
}

TEST(QueueStatsTest, EventsAfterRestoreAddToTheRestoredCounters) {
  QueueStats stats;
  RestoreAll(stats, StoredRows());
  stats.Offered("q", Utc(10, 9));
  stats.Answered("q", Utc(10, 10), absl::Seconds(4));

  QueueFigures current = stats.CurrentInterval("q", Utc(10, 10));
  EXPECT_EQ(current.period_start, Utc(10, 0));
  EXPECT_EQ(current.counters.offered, 6);
  EXPECT_EQ(current.counters.answered, 6);
  EXPECT_EQ(current.counters.answered_within_t, 5);
  EXPECT_EQ(current.counters.answered_wait_total, absl::Seconds(54));
  EXPECT_EQ(stats.OpenIntervalOf("q")->counters, current.counters);
  EXPECT_EQ(stats.Today("q", Utc(10, 10)).counters.offered, 11);
  EXPECT_EQ(stats.Today("q", Utc(10, 10)).counters.answered, 11);

  // The restored interval closes with the restored and the new counts together.
  const std::vector<QueueFigures> closed = stats.TakeClosedIntervals(Utc(10, 15));
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].period_start, Utc(10, 0));
  EXPECT_EQ(closed[0].counters.offered, 6);

  stats.Offered("q", Utc(10, 20));
  EXPECT_EQ(stats.CurrentInterval("q", Utc(10, 20)).counters.offered, 1);
  EXPECT_EQ(stats.Today("q", Utc(10, 20)).counters.offered, 12);
}

TEST(QueueStatsTest, ALateEventAfterRestoreNeverCountsInAnEarlierRestoredInterval) {
  QueueStats stats;
  RestoreAll(stats, StoredRows());
  stats.Offered("q", Utc(9, 35));  // in the restored 09:30 row: late
  stats.Offered("q", Utc(9, 5));   // in the restored 09:00 row: late
  EXPECT_EQ(stats.CurrentInterval("q", kRestartNow).counters.offered, 7);
  EXPECT_EQ(stats.Today("q", kRestartNow).counters.offered, 12);
  const std::vector<QueueFigures> closed = stats.TakeClosedIntervals(Utc(23, 0));
  ASSERT_EQ(closed.size(), 1u);  // never 09:00 or 09:30
  EXPECT_EQ(closed[0].period_start, Utc(10, 0));
  EXPECT_EQ(closed[0].counters.offered, 7);
}

TEST(QueueStatsTest, ALateEventAfterRestoreWithoutTheCurrentRowCountsAfterTheLastRestored) {
  // Nothing happened yet in the interval of now: only the earlier rows are stored.
  std::vector<StoredInterval> rows = StoredRows();
  rows.pop_back();
  QueueStats stats;
  RestoreAll(stats, rows);
  EXPECT_FALSE(stats.OpenIntervalOf("q").has_value());
  EXPECT_EQ(stats.CurrentInterval("q", kRestartNow).counters, Counters{});
  EXPECT_EQ(stats.Today("q", kRestartNow).counters.offered, 5);

  stats.Offered("q", Utc(9, 35));  // in the restored 09:30 row: late
  // The first interval not restored (taken) is 09:45.
  const std::optional<QueueStats::OpenInterval> open = stats.OpenIntervalOf("q");
  ASSERT_TRUE(open.has_value());
  EXPECT_EQ(open->start, Utc(9, 45));
  EXPECT_EQ(open->counters.offered, 1);
  EXPECT_EQ(stats.Today("q", kRestartNow).counters.offered, 6);

  const std::vector<QueueFigures> closed = stats.TakeClosedIntervals(Utc(23, 0));
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].period_start, Utc(9, 45));
  EXPECT_EQ(closed[0].counters.offered, 1);
}

TEST(QueueStatsTest, RestoreInAnyOrderGivesTheSameResult) {
  const std::vector<StoredInterval> rows = StoredRows();
  std::vector<size_t> order = {0, 1, 2, 3};
  int orders = 0;
  do {
    SCOPED_TRACE(::testing::Message() << "order " << order[0] << order[1] << order[2] << order[3]);
    ++orders;
    QueueStats stats;
    for (size_t i : order) stats.Restore("q", rows[i].start, rows[i].end, rows[i].counters, kRestartNow);
    EXPECT_EQ(stats.Today("q", kRestartNow).counters, TodaysSum());
    EXPECT_EQ(stats.CurrentInterval("q", kRestartNow).counters, StoredCounters(5));
    ASSERT_TRUE(stats.OpenIntervalOf("q").has_value());
    EXPECT_EQ(stats.OpenIntervalOf("q")->start, Utc(10, 0));
    EXPECT_EQ(stats.OpenIntervalOf("q")->end, Utc(10, 15));

    stats.Offered("q", Utc(9, 35));  // late
    stats.Offered("q", Utc(10, 10));
    EXPECT_EQ(stats.Today("q", Utc(10, 10)).counters.offered, 12);
    const std::vector<QueueFigures> closed = stats.TakeClosedIntervals(Utc(23, 0));
    ASSERT_EQ(closed.size(), 1u);
    EXPECT_EQ(closed[0].period_start, Utc(10, 0));
    EXPECT_EQ(closed[0].counters.offered, 7);
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(orders, 24);
}

TEST(QueueStatsTest, ARestoredRowLaterThanNowCountsOnlyInToday) {
  // The clock was set back: a stored row of 11:00 while now is 10:07.
  std::vector<StoredInterval> rows = StoredRows();
  rows.push_back({Utc(11, 0), Utc(11, 15), StoredCounters(4)});
  QueueStats stats;
  RestoreAll(stats, rows);

  Counters today = TodaysSum();
  today += StoredCounters(4);
  EXPECT_EQ(stats.Today("q", kRestartNow).counters, today);
  EXPECT_EQ(stats.CurrentInterval("q", kRestartNow).counters, StoredCounters(5));
  EXPECT_EQ(stats.OpenIntervalOf("q")->start, Utc(10, 0));

  // A late event still goes to the open 10:00 interval (the later row sets no bound).
  stats.Offered("q", Utc(9, 35));
  EXPECT_EQ(stats.CurrentInterval("q", kRestartNow).counters.offered, 6);

  // Only the interval containing now is closed and taken; the later row is not an interval.
  std::vector<QueueFigures> closed = stats.TakeClosedIntervals(Utc(10, 15));
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].period_start, Utc(10, 0));
  EXPECT_EQ(closed[0].counters.offered, 6);

  // When 11:00 comes, its interval starts from zero; today keeps the restored row once.
  stats.Offered("q", Utc(11, 5));
  EXPECT_EQ(stats.CurrentInterval("q", Utc(11, 5)).counters.offered, 1);
  EXPECT_EQ(stats.Today("q", Utc(11, 5)).counters.offered, 10 + 4 + 1 + 1);
  closed = stats.TakeClosedIntervals(Utc(23, 0));
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].period_start, Utc(11, 0));
  EXPECT_EQ(closed[0].counters.offered, 1);
}

TEST(QueueStatsTest, OnlyALaterRowRestoredLeavesNoOpenInterval) {
  QueueStats stats;
  stats.Restore("q", Utc(11, 0), Utc(11, 15), StoredCounters(4), kRestartNow);
  EXPECT_FALSE(stats.OpenIntervalOf("q").has_value());
  EXPECT_EQ(stats.CurrentInterval("q", kRestartNow).counters, Counters{});
  EXPECT_EQ(stats.Today("q", kRestartNow).counters, StoredCounters(4));
  stats.Offered("q", Utc(10, 8));
  EXPECT_EQ(stats.CurrentInterval("q", kRestartNow).counters.offered, 1);
  EXPECT_EQ(stats.Today("q", kRestartNow).counters.offered, 5);
}

// ---- Queues, unknown queues, bad input ----

TEST(QueueStatsTest, QueuesAreSortedAndIncludeConfiguredOnes) {
  QueueStats stats;
  stats.Offered("sales", Utc(9, 0));
  stats.SetThresholds("complaints", absl::Seconds(30), absl::Seconds(5));
  stats.Handled("billing", Utc(9, 0), absl::Seconds(1), absl::Seconds(0), absl::Seconds(0));
  EXPECT_EQ(stats.Queues(), (std::vector<std::string>{"billing", "complaints", "sales"}));
  EXPECT_EQ(stats.TakeClosedIntervals(Utc(12, 0)).size(), 2u);  // none for "complaints"
}

TEST(QueueStatsTest, UnknownQueueHasZeroCountersAndTheDefaultThresholds) {
  const QueueStats stats;
  const QueueFigures f = stats.CurrentInterval("nobody", Utc(9, 7));
  EXPECT_EQ(f.queue, "nobody");
  EXPECT_EQ(f.period_start, Utc(9, 0));
  EXPECT_EQ(f.period_end, Utc(9, 15));
  EXPECT_EQ(f.counters, Counters{});
  EXPECT_EQ(f.threshold, absl::Seconds(20));
  EXPECT_EQ(f.short_abandon, absl::Seconds(5));
  EXPECT_EQ(f.figures.size(), 11u);
  EXPECT_TRUE(stats.Queues().empty());
}

TEST(QueueStatsTest, EventsAtInfiniteTimesAreNotCountedButTallied) {
  QueueStats stats;
  stats.Offered("q", absl::InfiniteFuture());
  stats.Answered("q", absl::InfinitePast(), absl::Seconds(1));
  EXPECT_EQ(stats.IgnoredEvents(), 2);
  EXPECT_TRUE(stats.Queues().empty());
}

TEST(QueueStatsTest, CountersAddFieldByFieldAndKeepTheLongestWait) {
  Counters a;
  a.offered = 3;
  a.answered = 2;
  a.answered_wait_total = absl::Seconds(10);
  a.longest_answered_wait = absl::Seconds(8);
  Counters b;
  b.offered = 1;
  b.abandoned_callbacks = 1;
  b.answered_wait_total = absl::Seconds(5);
  b.longest_answered_wait = absl::Seconds(5);
  a += b;
  EXPECT_EQ(a.offered, 4);
  EXPECT_EQ(a.answered, 2);
  EXPECT_EQ(a.abandoned_callbacks, 1);
  EXPECT_EQ(a.answered_wait_total, absl::Seconds(15));
  EXPECT_EQ(a.longest_answered_wait, absl::Seconds(8));
}

TEST(QueueStatsTest, ValidateOptionsNamesTheBadField) {
  EXPECT_TRUE(ValidateOptions(QueueStatsOptions{}).ok());
  QueueStatsOptions options;
  options.interval = absl::ZeroDuration();
  absl::Status status = ValidateOptions(options);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("interval"), std::string_view::npos);

  options = QueueStatsOptions{};
  options.default_short_abandon = absl::Seconds(-1);
  status = ValidateOptions(options);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("default_short_abandon"), std::string_view::npos);

  options = QueueStatsOptions{};
  options.max_closed_intervals = 0;
  EXPECT_EQ(ValidateOptions(options).code(), absl::StatusCode::kInvalidArgument);
}

TEST(QueueStatsDeathTest, ConstructorAbortsOnInvalidOptions) {
  QueueStatsOptions options;
  options.interval = absl::Minutes(-15);
  EXPECT_DEATH(QueueStats{options}, "interval must be positive");
}

// A row stored under another interval length (15 minutes, now 30): the interval containing
// now is reopened as configured now, with the row's counters, so that the next row written
// for it holds them (none is lost when it is rewritten).
TEST(QueueStatsTest, ARestoredRowOfAnotherLengthReopensTheIntervalAsConfiguredNow) {
  QueueStatsOptions options;
  options.interval = absl::Minutes(30);
  QueueStats stats(options);
  stats.Restore("q", Utc(10, 0), Utc(10, 15), StoredCounters(5), kRestartNow);
  const std::optional<QueueStats::OpenInterval> open = stats.OpenIntervalOf("q");
  ASSERT_TRUE(open.has_value());
  EXPECT_EQ(open->start, Utc(10, 0));
  EXPECT_EQ(open->end, Utc(10, 30));
  stats.Offered("q", Utc(10, 20));
  EXPECT_EQ(stats.OpenIntervalOf("q")->counters.offered, StoredCounters(5).offered + 1);
}

}  // namespace
}  // namespace servicedesk::supervisor
