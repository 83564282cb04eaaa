#include "services/crm/satisfaction.h"

#include <gtest/gtest.h>

namespace servicedesk::crm {
namespace {

TEST(SatisfactionTest, MeanAndSatisfiedShareCountFourAndFiveAsSatisfied) {
  SatisfactionCounts counts;
  EXPECT_EQ(counts.mean(), 0);
  EXPECT_EQ(counts.satisfied_percent(), 0);
  for (int score : {5, 4, 3, 1}) ASSERT_TRUE(counts.Add(score));
  EXPECT_EQ(counts.responses(), 4);
  EXPECT_DOUBLE_EQ(counts.mean(), 13.0 / 4);
  EXPECT_DOUBLE_EQ(counts.satisfied_percent(), 50);
  EXPECT_EQ(counts.scores, (std::array<int64_t, 5>{1, 0, 1, 1, 1}));
}

TEST(SatisfactionTest, ScoresOutsideOneToFiveAreNotCounted) {
  SatisfactionCounts counts;
  EXPECT_FALSE(counts.Add(0));
  EXPECT_FALSE(counts.Add(6));
  EXPECT_FALSE(counts.Add(-3));
  EXPECT_EQ(counts.responses(), 0);
}

TEST(SatisfactionTest, MonthsAreCalendarMonthsOfTheZone) {
  const absl::Time t = absl::FromCivil(absl::CivilSecond(2026, 11, 30, 23, 30, 0), absl::UTCTimeZone());
  EXPECT_EQ(MonthOf(t, absl::UTCTimeZone()), "2026-11");
  EXPECT_EQ(MonthOf(t, absl::FixedTimeZone(3600)), "2026-12");  // an hour east it is December already
}

TEST(SatisfactionTest, ParseMonthTakesOnlyYyyyMm) {
  ASSERT_TRUE(ParseMonth("2026-02").has_value());
  EXPECT_EQ(*ParseMonth("2026-02"), absl::CivilMonth(2026, 2));
  EXPECT_EQ(FormatMonth(absl::CivilMonth(2026, 2)), "2026-02");
  for (const char* bad : {"2026-13", "2026-00", "2026-2", "26-02", "2026/02", "", "abcd-ef", "1969-12", "2026-02x"}) {
    EXPECT_FALSE(ParseMonth(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace servicedesk::crm
