#include "services/crm/value_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace servicedesk::crm {
namespace {

using ::testing::StartsWith;

// 2023-11-14 22:13:20 UTC; every history below is laid out in whole days from here.
const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

absl::Duration Days(int64_t n) { return absl::Hours(24 * n); }
absl::Time Day(int64_t n) { return kT0 + Days(n); }

constexpr int64_t kMillion = 1'000'000;

// A customer with purchases at `days` (in that order), `amount` micros each, and the given
// window figures.
PurchaseFigures Bought(const std::vector<int64_t>& days, int64_t window_count = 0, int64_t window_spend = 0,
                       int64_t amount = kMillion) {
  PurchaseFigures f;
  for (int64_t d : days) f.Add(Day(d), amount);
  f.window_count = window_count;
  f.window_spend_micros = window_spend;
  return f;
}

// A customer whose only figure that matters is the window spend (one purchase on day 0).
PurchaseFigures Spender(int64_t window_spend) { return Bought({0}, 1, window_spend); }

// ---------------------------------------------------------------------------------------------
// PurchaseFigures::Add

TEST(PurchaseFiguresTest, FirstPurchaseSetsFirstAndLastAndLeavesPreviousUnset) {
  PurchaseFigures f;
  f.Add(Day(3), 7 * kMillion);
  EXPECT_EQ(f.count, 1);
  EXPECT_EQ(f.spend_micros, 7 * kMillion);
  EXPECT_EQ(f.first, Day(3));
  EXPECT_EQ(f.last, Day(3));
  EXPECT_EQ(f.previous, absl::InfinitePast());
}

TEST(PurchaseFiguresTest, InTimeOrderTracksFirstLastPreviousCountAndSpend) {
  PurchaseFigures f;
  f.Add(Day(0), 10 * kMillion);
  f.Add(Day(1), 20 * kMillion);
  f.Add(Day(3), 30 * kMillion);
  EXPECT_EQ(f.count, 3);
  EXPECT_EQ(f.spend_micros, 60 * kMillion);
  EXPECT_EQ(f.first, Day(0));
  EXPECT_EQ(f.last, Day(3));
  EXPECT_EQ(f.previous, Day(1));
}

TEST(PurchaseFiguresTest, AddLeavesWindowFiguresToTheCaller) {
  PurchaseFigures f;
  f.Add(Day(0), 10 * kMillion);
  f.Add(Day(1), 20 * kMillion);
  EXPECT_EQ(f.window_count, 0);
  EXPECT_EQ(f.window_spend_micros, 0);
}

TEST(PurchaseFiguresTest, SecondPurchaseOlderThanFirstBecomesFirstAndPrevious) {
  PurchaseFigures f;
  f.Add(Day(20), 1 * kMillion);
  f.Add(Day(10), 2 * kMillion);
  EXPECT_EQ(f.count, 2);
  EXPECT_EQ(f.spend_micros, 3 * kMillion);
  EXPECT_EQ(f.first, Day(10));
  EXPECT_EQ(f.last, Day(20));
  EXPECT_EQ(f.previous, Day(10));
}

TEST(PurchaseFiguresTest, OldPurchaseArrivingAfterNewerOnesOnlyMovesFirst) {
  PurchaseFigures f;
  f.Add(Day(10), 1 * kMillion);
  f.Add(Day(20), 1 * kMillion);
  f.Add(Day(5), 1 * kMillion);  // older than everything: an import
  EXPECT_EQ(f.count, 3);
  EXPECT_EQ(f.spend_micros, 3 * kMillion);
  EXPECT_EQ(f.first, Day(5));
  EXPECT_EQ(f.last, Day(20));
  EXPECT_EQ(f.previous, Day(10));
}

TEST(PurchaseFiguresTest, PurchaseBetweenPreviousAndLastBecomesPrevious) {
  PurchaseFigures f;
  f.Add(Day(10), 1 * kMillion);
  f.Add(Day(20), 1 * kMillion);
  f.Add(Day(15), 1 * kMillion);
  EXPECT_EQ(f.first, Day(10));
  EXPECT_EQ(f.last, Day(20));
  EXPECT_EQ(f.previous, Day(15));
  // Older than the previous one, newer than the first: nothing but count and spend moves.
  f.Add(Day(12), 4 * kMillion);
  EXPECT_EQ(f.count, 4);
  EXPECT_EQ(f.spend_micros, 7 * kMillion);
  EXPECT_EQ(f.first, Day(10));
  EXPECT_EQ(f.last, Day(20));
  EXPECT_EQ(f.previous, Day(15));
}

TEST(PurchaseFiguresTest, AnyArrivalOrderGivesTheSameFigures) {
  const std::vector<int64_t> days = {0, 7, 30, 31, 90};
  std::vector<int64_t> order = days;
  const PurchaseFigures expected = Bought(days);
  std::sort(order.begin(), order.end());
  do {
    const PurchaseFigures f = Bought(order);
    EXPECT_EQ(f.count, expected.count);
    EXPECT_EQ(f.spend_micros, expected.spend_micros);
    EXPECT_EQ(f.first, Day(0));
    EXPECT_EQ(f.last, Day(90));
    EXPECT_EQ(f.previous, Day(31));
  } while (std::next_permutation(order.begin(), order.end()));
}

TEST(PurchaseFiguresTest, TwoPurchasesAtTheSameTimeMakePreviousEqualLast) {
  PurchaseFigures f;
  f.Add(Day(4), 1 * kMillion);
  f.Add(Day(4), 2 * kMillion);
  EXPECT_EQ(f.count, 2);
  EXPECT_EQ(f.first, Day(4));
  EXPECT_EQ(f.last, Day(4));
  EXPECT_EQ(f.previous, Day(4));
}

// ---------------------------------------------------------------------------------------------
// Quintiles

Quintiles QuintilesOf(std::vector<int64_t> values) { return Quintiles::Of(values); }

TEST(QuintilesTest, EmptyValuesGiveZeroBreakpoints) {
  EXPECT_EQ(QuintilesOf({}).breakpoints, (std::array<int64_t, 4>{0, 0, 0, 0}));
}

TEST(QuintilesTest, OneValueIsEveryBreakpoint) {
  const Quintiles q = QuintilesOf({7});
  EXPECT_EQ(q.breakpoints, (std::array<int64_t, 4>{7, 7, 7, 7}));
  EXPECT_EQ(q.Score(7), 1);
  EXPECT_EQ(q.Score(6), 1);
  EXPECT_EQ(q.Score(8), 5);
}

TEST(QuintilesTest, FiveValuesBreakAtRanksOneToFour) {
  // Nearest rank ceil(k 5 / 5) = k: the 1st to 4th smallest.
  const Quintiles q = QuintilesOf({50, 10, 40, 20, 30});
  EXPECT_EQ(q.breakpoints, (std::array<int64_t, 4>{10, 20, 30, 40}));
  EXPECT_EQ(q.Score(10), 1);
  EXPECT_EQ(q.Score(20), 2);
  EXPECT_EQ(q.Score(30), 3);
  EXPECT_EQ(q.Score(40), 4);
  EXPECT_EQ(q.Score(50), 5);
}

TEST(QuintilesTest, TenValuesBreakAtRanksTwoFourSixEight) {
  // ceil(k 10 / 5) = 2, 4, 6, 8.
  const Quintiles q = QuintilesOf({100, 30, 80, 10, 60, 90, 20, 50, 70, 40});
  EXPECT_EQ(q.breakpoints, (std::array<int64_t, 4>{20, 40, 60, 80}));
  // Two customers in each fifth.
  std::array<int, 6> per_score{};
  for (int64_t v = 10; v <= 100; v += 10) ++per_score[static_cast<std::size_t>(q.Score(v))];
  EXPECT_EQ(per_score, (std::array<int, 6>{0, 2, 2, 2, 2, 2}));
}

TEST(QuintilesTest, ElevenValuesBreakAtRanksThreeFiveSevenNine) {
  // ceil(11/5) = 3, ceil(22/5) = 5, ceil(33/5) = 7, ceil(44/5) = 9.
  const Quintiles q = QuintilesOf({110, 10, 90, 30, 70, 50, 20, 100, 40, 80, 60});
  EXPECT_EQ(q.breakpoints, (std::array<int64_t, 4>{30, 50, 70, 90}));
  EXPECT_EQ(q.Score(10), 1);
  EXPECT_EQ(q.Score(30), 1);
  EXPECT_EQ(q.Score(40), 2);
  EXPECT_EQ(q.Score(90), 4);
  EXPECT_EQ(q.Score(100), 5);
  EXPECT_EQ(q.Score(110), 5);
}

TEST(QuintilesTest, OfReordersButKeepsTheValues) {
  std::vector<int64_t> values = {5, 3, 9, 1, 7, 2};
  std::vector<int64_t> before = values;
  Quintiles::Of(values);
  EXPECT_TRUE(std::is_permutation(values.begin(), values.end(), before.begin(), before.end()));
}

TEST(QuintilesTest, AllEqualValuesScoreOne) {
  const Quintiles q = QuintilesOf({5, 5, 5, 5, 5, 5, 5});
  EXPECT_EQ(q.breakpoints, (std::array<int64_t, 4>{5, 5, 5, 5}));
  EXPECT_EQ(q.Score(5), 1);
}

TEST(QuintilesTest, EqualValuesAlwaysScoreTheSame) {
  // Ranks 2, 4, 6, 8 of 1 1 1 1 1 2 2 2 3 3: breakpoints 1, 1, 2, 2. The five 1s all score
  // 1 (not 1 and 2), the three 2s all 3, the two 3s all 5.
  const Quintiles q = QuintilesOf({3, 1, 2, 1, 3, 1, 2, 1, 2, 1});
  EXPECT_EQ(q.breakpoints, (std::array<int64_t, 4>{1, 1, 2, 2}));
  EXPECT_EQ(q.Score(1), 1);
  EXPECT_EQ(q.Score(2), 3);
  EXPECT_EQ(q.Score(3), 5);
}

TEST(QuintilesTest, ScoreAtABreakpointStaysBelowAndOneAboveMovesUp) {
  Quintiles q;
  q.breakpoints = {10, 20, 30, 40};
  EXPECT_EQ(q.Score(std::numeric_limits<int64_t>::min()), 1);
  EXPECT_EQ(q.Score(10), 1);
  EXPECT_EQ(q.Score(11), 2);
  EXPECT_EQ(q.Score(20), 2);
  EXPECT_EQ(q.Score(21), 3);
  EXPECT_EQ(q.Score(30), 3);
  EXPECT_EQ(q.Score(31), 4);
  EXPECT_EQ(q.Score(40), 4);
  EXPECT_EQ(q.Score(41), 5);
  EXPECT_EQ(q.Score(std::numeric_limits<int64_t>::max()), 5);
}

// ---------------------------------------------------------------------------------------------
// BuildModel and ScoreOf

// Five customers whose ranks differ in each dimension:
//            last purchase  window count  window spend   R F M
//   a        day 5           1             300            5 1 3
//   b        day 4           2             100            4 2 1
//   c        day 3           3             500            3 3 5
//   d        day 2           4             200            2 4 2
//   e        day 1           5             400            1 5 4
// a's first purchase is the oldest of all (day -100): recency reads the last one.
struct Base {
  PurchaseFigures a = Bought({-100, 5}, 1, 300);
  PurchaseFigures b = Bought({4}, 2, 100);
  PurchaseFigures c = Bought({3}, 3, 500);
  PurchaseFigures d = Bought({2}, 4, 200);
  PurchaseFigures e = Bought({1}, 5, 400);
  PurchaseFigures none;  // no purchase: not scored
  std::vector<PurchaseFigures> All() const { return {c, none, a, e, b, d}; }
};

TEST(BuildModelTest, RecordsTimeCountTotalAndBreakpoints) {
  const Base base;
  const ValueModel model = BuildModel(ValueRules{}, base.All(), Day(10));
  EXPECT_TRUE(model.computed());
  EXPECT_EQ(model.computed_at, Day(10));
  EXPECT_EQ(model.scored_customers, 5);
  EXPECT_EQ(model.recency.breakpoints,
            (std::array<int64_t, 4>{absl::ToUnixMicros(Day(1)), absl::ToUnixMicros(Day(2)),
                                    absl::ToUnixMicros(Day(3)), absl::ToUnixMicros(Day(4))}));
  EXPECT_EQ(model.frequency.breakpoints, (std::array<int64_t, 4>{1, 2, 3, 4}));
  EXPECT_EQ(model.monetary.breakpoints, (std::array<int64_t, 4>{100, 200, 300, 400}));
  EXPECT_EQ(model.total_window_spend_micros, 1500);
}

TEST(BuildModelTest, EmptyBaseIsComputedWithNothingScored) {
  const ValueModel model = BuildModel(ValueRules{}, {}, Day(0));
  EXPECT_TRUE(model.computed());
  EXPECT_EQ(model.scored_customers, 0);
  EXPECT_EQ(model.total_window_spend_micros, 0);
  EXPECT_FALSE(model.key_important_from.has_value());
  EXPECT_FALSE(model.key_secondary_from.has_value());
  EXPECT_FALSE(model.ordinary_from.has_value());
}

TEST(ScoreOfTest, RecencyFrequencyAndMonetaryRankIndependently) {
  const Base base;
  const ValueModel model = BuildModel(ValueRules{}, base.All(), Day(10));
  EXPECT_EQ(ScoreOf(model, base.a), (RfmScore{5, 1, 3}));
  EXPECT_EQ(ScoreOf(model, base.b), (RfmScore{4, 2, 1}));
  EXPECT_EQ(ScoreOf(model, base.c), (RfmScore{3, 3, 5}));
  EXPECT_EQ(ScoreOf(model, base.d), (RfmScore{2, 4, 2}));
  EXPECT_EQ(ScoreOf(model, base.e), (RfmScore{1, 5, 4}));
}

TEST(ScoreOfTest, RecencyUsesTheLastPurchaseNotTheFirst) {
  const Base base;
  const ValueModel model = BuildModel(ValueRules{}, base.All(), Day(10));
  // a's first purchase is the oldest in the base, its last the newest.
  EXPECT_EQ(ScoreOf(model, base.a).recency, 5);
  // The same first purchase with an old last one scores low.
  EXPECT_EQ(ScoreOf(model, Bought({-100, 1}, 1, 300)).recency, 1);
}

TEST(ScoreOfTest, ALaterPurchaseScoresHigherRecencyAgainstTheSameModel) {
  const Base base;
  const ValueModel model = BuildModel(ValueRules{}, base.All(), Day(10));
  PurchaseFigures e = base.e;
  EXPECT_EQ(ScoreOf(model, e).recency, 1);
  e.Add(Day(3) + absl::Seconds(1), kMillion);  // one second after c's last purchase
  EXPECT_EQ(ScoreOf(model, e).recency, 4);
  e.Add(Day(6), kMillion);  // after everybody's
  EXPECT_EQ(ScoreOf(model, e).recency, 5);
}

TEST(ScoreOfTest, FrequencyReadsWindowCountNotAllTimeCount) {
  const Base base;
  const ValueModel model = BuildModel(ValueRules{}, base.All(), Day(10));
  // Twenty purchases all time, two in the window: scored as two.
  PurchaseFigures f;
  for (int i = 0; i < 20; ++i) f.Add(Day(-400 - i), kMillion);
  f.window_count = 2;
  f.window_spend_micros = 300;
  EXPECT_EQ(ScoreOf(model, f).frequency, 2);
}

TEST(ScoreOfTest, MonetaryReadsWindowSpendNotAllTimeSpend) {
  const Base base;
  const ValueModel model = BuildModel(ValueRules{}, base.All(), Day(10));
  // A large all-time spend, 201 micros in the window: just above the second breakpoint.
  const PurchaseFigures f = Bought({4}, 1, 201, /*amount=*/1000 * kMillion);
  EXPECT_EQ(f.spend_micros, 1000 * kMillion);
  EXPECT_EQ(ScoreOf(model, f).monetary, 3);
}

TEST(ScoreOfTest, UncomputedModelScoresZero) {
  const Base base;
  const ValueModel never;
  EXPECT_FALSE(never.computed());
  EXPECT_EQ(ScoreOf(never, base.a), (RfmScore{0, 0, 0}));
}

TEST(ScoreOfTest, CustomerWithoutPurchasesScoresZero) {
  const Base base;
  const ValueModel model = BuildModel(ValueRules{}, base.All(), Day(10));
  EXPECT_EQ(ScoreOf(model, PurchaseFigures{}), (RfmScore{0, 0, 0}));
}

// ---------------------------------------------------------------------------------------------
// Tiers

// The tiers of customers with these window spends, against the model built over them.
std::vector<Tier> TiersOf(const std::vector<int64_t>& spends, const ValueRules& rules = {}) {
  std::vector<PurchaseFigures> figures;
  for (int64_t s : spends) figures.push_back(Spender(s));
  const ValueModel model = BuildModel(rules, figures, Day(1));
  std::vector<Tier> tiers;
  for (const auto& f : figures) tiers.push_back(TierOf(model, f));
  return tiers;
}

constexpr Tier kKi = Tier::kKeyImportant;
constexpr Tier kKs = Tier::kKeySecondary;
constexpr Tier kOrd = Tier::kOrdinary;
constexpr Tier kSmall = Tier::kSmall;

TEST(TierTest, BandsOfFiftyThirtyTenFiveThreeTwo) {
  // Total 100. Cumulative spend before each: 0, 50, 80, 90, 95, 98.
  //   50: before 0  in [0, 50)   key-important
  //   30: before 50 in [50, 80)  key-secondary
  //   10: before 80 in [80, 95)  ordinary
  //    5: before 90 in [80, 95)  ordinary
  //    3: before 95              small
  //    2: before 98              small
  const std::vector<int64_t> spends = {3 * kMillion, 50 * kMillion, 10 * kMillion,
                                       2 * kMillion, 30 * kMillion, 5 * kMillion};
  std::vector<PurchaseFigures> figures;
  for (int64_t s : spends) figures.push_back(Spender(s));
  const ValueModel model = BuildModel(ValueRules{}, figures, Day(1));
  EXPECT_EQ(model.total_window_spend_micros, 100 * kMillion);
  EXPECT_EQ(model.key_important_from, 50 * kMillion);
  EXPECT_EQ(model.key_secondary_from, 30 * kMillion);
  EXPECT_EQ(model.ordinary_from, 5 * kMillion);
  EXPECT_EQ(TiersOf(spends), (std::vector<Tier>{kSmall, kKi, kOrd, kSmall, kKs, kOrd}));
}

TEST(TierTest, TheCustomerWhoseSpendCrossesAShareJoinsThatBand) {
  // 60 crosses 50 %, 25 crosses 80 % (85), 15 crosses 95 % (100): each stays in the band in
  // which the spend before theirs lies, and nobody is small.
  EXPECT_EQ(TiersOf({60, 25, 15}), (std::vector<Tier>{kKi, kKs, kOrd}));
}

TEST(TierTest, OneCustomerWithAllTheSpendIsKeyImportant) {
  EXPECT_EQ(TiersOf({1}), (std::vector<Tier>{kKi}));
}

TEST(TierTest, ABigSpenderCanLeaveAMiddleBandEmpty) {
  // 90 crosses both 50 % and 80 %; 10 starts at 90 %: ordinary. No one is key-secondary.
  std::vector<PurchaseFigures> figures = {Spender(90), Spender(10)};
  const ValueModel model = BuildModel(ValueRules{}, figures, Day(1));
  EXPECT_EQ(model.key_important_from, 90);
  EXPECT_FALSE(model.key_secondary_from.has_value());
  EXPECT_EQ(model.ordinary_from, 10);
  EXPECT_EQ(TiersOf({90, 10}), (std::vector<Tier>{kKi, kOrd}));
}

TEST(TierTest, TiesAtTheKeyImportantEdgeAllJoinKeyImportant) {
  // 40, 20 before 40 (key-important), 20 before 60 and 20 before 80 would be lower: the tie
  // is not split.
  EXPECT_EQ(TiersOf({40, 20, 20, 20}), (std::vector<Tier>{kKi, kKi, kKi, kKi}));
}

TEST(TierTest, TiesAtTheKeySecondaryEdgeAllJoinKeySecondary) {
  // 50 | 20 (before 50), 10 (before 70) key-secondary; 10 (before 80), 10 (before 90) tie.
  EXPECT_EQ(TiersOf({50, 20, 10, 10, 10}), (std::vector<Tier>{kKi, kKs, kKs, kKs, kKs}));
}

TEST(TierTest, TiesAtTheOrdinaryEdgeAllJoinOrdinary) {
  // 5 before 90 is ordinary; the other 5 (before 95) would be small: it joins ordinary.
  EXPECT_EQ(TiersOf({50, 30, 10, 5, 5}), (std::vector<Tier>{kKi, kKs, kOrd, kOrd, kOrd}));
}

TEST(TierTest, ZeroWindowSpendIsSmall) {
  // A customer with purchases but none in the window.
  EXPECT_EQ(TiersOf({60, 40, 0}), (std::vector<Tier>{kKi, kKs, kSmall}));
}

TEST(TierTest, ZeroTotalSpendMakesEveryoneSmall) {
  std::vector<PurchaseFigures> figures = {Spender(0), Spender(0), Spender(0)};
  const ValueModel model = BuildModel(ValueRules{}, figures, Day(1));
  EXPECT_EQ(model.total_window_spend_micros, 0);
  EXPECT_FALSE(model.key_important_from.has_value());
  EXPECT_FALSE(model.key_secondary_from.has_value());
  EXPECT_FALSE(model.ordinary_from.has_value());
  for (const auto& f : figures) EXPECT_EQ(TierOf(model, f), kSmall);
}

TEST(TierTest, CustomSharesMoveTheBands) {
  ValueRules rules;
  rules.key_important_share = 0.2;
  rules.key_share = 0.5;
  rules.ordinary_share = 0.75;
  // Total 100; before each: 0 (key-important), 40 (key-secondary), 70 (ordinary), 90 (small).
  EXPECT_EQ(TiersOf({40, 30, 20, 10}, rules), (std::vector<Tier>{kKi, kKs, kOrd, kSmall}));
  // With the default shares the same spends fall differently: 0, 40 key-important, 70
  // key-secondary, 90 ordinary.
  EXPECT_EQ(TiersOf({40, 30, 20, 10}), (std::vector<Tier>{kKi, kKi, kKs, kOrd}));
}

TEST(TierTest, APurchaseBetweenRunsMovesTheTierAtOnce) {
  const std::vector<int64_t> spends = {50, 30, 10, 5, 3, 2};
  std::vector<PurchaseFigures> figures;
  for (int64_t s : spends) figures.push_back(Spender(s));
  const ValueModel model = BuildModel(ValueRules{}, figures, Day(1));
  PurchaseFigures small = figures[4];
  EXPECT_EQ(TierOf(model, small), kSmall);
  small.window_spend_micros += 27;  // 30: the key-secondary edge
  EXPECT_EQ(TierOf(model, small), kKs);
}

TEST(TierTest, UncomputedModelGivesUnspecified) {
  const ValueModel never;
  EXPECT_EQ(TierOf(never, Spender(100)), Tier::kUnspecified);
}

TEST(TierTest, CustomerWithoutPurchasesGivesUnspecified) {
  std::vector<PurchaseFigures> figures = {Spender(100)};
  const ValueModel model = BuildModel(ValueRules{}, figures, Day(1));
  EXPECT_EQ(TierOf(model, PurchaseFigures{}), Tier::kUnspecified);
}

// ---------------------------------------------------------------------------------------------
// Lifetime value

TEST(LifetimeValueTest, DefaultRulesAreNinetyPercentOfAYearsSpend) {
  // window spend / 1 year x 0.3 x 3.
  EXPECT_EQ(LifetimeValueMicros(ValueRules{}, Spender(1000 * kMillion)), 900 * kMillion);
  EXPECT_EQ(LifetimeValueFormula(ValueRules{}),
            "window spend / 1 years x gross margin 0.3 x 3 expected years");
}

TEST(LifetimeValueTest, HalfYearWindowDoublesTheAnnualisedValue) {
  ValueRules rules;
  rules.window = Days(365) / 2;
  EXPECT_EQ(LifetimeValueMicros(rules, Spender(1000 * kMillion)), 1800 * kMillion);
  EXPECT_EQ(LifetimeValueFormula(rules), "window spend / 0.5 years x gross margin 0.3 x 3 expected years");
}

TEST(LifetimeValueTest, CustomMarginYearsAndWindow) {
  ValueRules rules;
  rules.window = Days(2 * 365);
  rules.gross_margin = 0.25;
  rules.expected_years = 2;
  // 800 / 2 years = 400 a year, x 0.25 x 2 = 200.
  EXPECT_EQ(LifetimeValueMicros(rules, Spender(800 * kMillion)), 200 * kMillion);
  EXPECT_EQ(LifetimeValueFormula(rules), "window spend / 2 years x gross margin 0.25 x 2 expected years");
}

TEST(LifetimeValueTest, ReadsWindowSpendNotAllTimeSpend) {
  const PurchaseFigures f = Bought({-1000, -500, -1}, 1, 10 * kMillion, /*amount=*/1000 * kMillion);
  EXPECT_EQ(LifetimeValueMicros(ValueRules{}, f), 9 * kMillion);
}

TEST(LifetimeValueTest, NoWindowSpendIsZero) {
  EXPECT_EQ(LifetimeValueMicros(ValueRules{}, Spender(0)), 0);
  EXPECT_EQ(LifetimeValueMicros(ValueRules{}, PurchaseFigures{}), 0);
}

// ---------------------------------------------------------------------------------------------
// Churn silence and lifecycle

TEST(ChurnSilenceTest, SinglePurchaseUsesTheSinglePurchaseSilence) {
  EXPECT_EQ(ChurnSilence(ValueRules{}, 1, Day(0), Day(0)), Days(365));
  ValueRules rules;
  rules.single_purchase_churn_silence = Days(30);
  EXPECT_EQ(ChurnSilence(rules, 1, Day(0), Day(0)), Days(30));
}

TEST(ChurnSilenceTest, IsTheLargerOfMinimumAndFactorTimesMeanGap) {
  const ValueRules rules;
  // Mean gap 10 days: 3 x 10 = 30 < 90.
  EXPECT_EQ(ChurnSilence(rules, 2, Day(0), Day(10)), Days(90));
  // Mean gap 30 days (4 purchases over 90): 3 x 30 = 90, equal to the minimum.
  EXPECT_EQ(ChurnSilence(rules, 4, Day(0), Day(90)), Days(90));
  // Mean gap 50 days (3 purchases over 100): 150.
  EXPECT_EQ(ChurnSilence(rules, 3, Day(0), Day(100)), Days(150));
  ValueRules custom;
  custom.churn_interval_factor = 2;
  custom.churn_min_silence = Days(10);
  EXPECT_EQ(ChurnSilence(custom, 3, Day(0), Day(100)), Days(100));
  EXPECT_EQ(ChurnSilence(custom, 11, Day(0), Day(20)), Days(10));
}

TEST(LifecycleTest, NoPurchasesSaysNothing) {
  EXPECT_EQ(LifecycleOf(ValueRules{}, PurchaseFigures{}, Day(0)), std::nullopt);
}

TEST(LifecycleTest, OnePurchaseIsFirstTime) {
  const PurchaseFigures f = Bought({0});
  EXPECT_EQ(LifecycleOf(ValueRules{}, f, Day(0)), Lifecycle::kFirstTime);
  EXPECT_EQ(LifecycleOf(ValueRules{}, f, Day(100)), Lifecycle::kFirstTime);
}

TEST(LifecycleTest, OnePurchaseChurnsOneSecondAfterTheSinglePurchaseSilence) {
  const PurchaseFigures f = Bought({0});
  EXPECT_EQ(LifecycleOf(ValueRules{}, f, Day(365)), Lifecycle::kFirstTime);
  EXPECT_EQ(LifecycleOf(ValueRules{}, f, Day(365) + absl::Seconds(1)), Lifecycle::kChurned);
  ValueRules rules;
  rules.single_purchase_churn_silence = Days(30);
  EXPECT_EQ(LifecycleOf(rules, f, Day(30)), Lifecycle::kFirstTime);
  EXPECT_EQ(LifecycleOf(rules, f, Day(30) + absl::Seconds(1)), Lifecycle::kChurned);
}

TEST(LifecycleTest, TwoPurchasesAreRepeat) {
  EXPECT_EQ(LifecycleOf(ValueRules{}, Bought({0, 10}), Day(10)), Lifecycle::kRepeat);
}

TEST(LifecycleTest, ChurnSilenceAtLeastTheMinimum) {
  // Mean gap 10 days: the silence is the 90-day minimum, counted from the last purchase.
  const PurchaseFigures f = Bought({0, 10});
  EXPECT_EQ(LifecycleOf(ValueRules{}, f, Day(100)), Lifecycle::kRepeat);
  EXPECT_EQ(LifecycleOf(ValueRules{}, f, Day(100) + absl::Seconds(1)), Lifecycle::kChurned);
}

TEST(LifecycleTest, ChurnSilenceIsFactorTimesMeanGapWhenLonger) {
  // Mean gap 50 days: 3 x 50 = 150 days after the last purchase (day 100).
  const PurchaseFigures f = Bought({0, 50, 100});
  EXPECT_EQ(LifecycleOf(ValueRules{}, f, Day(250)), Lifecycle::kRepeat);
  EXPECT_EQ(LifecycleOf(ValueRules{}, f, Day(250) + absl::Seconds(1)), Lifecycle::kChurned);
}

TEST(LifecycleTest, SecondPurchaseAfterTheSinglePurchaseSilenceIsWonBack) {
  const absl::Time back = Day(365) + absl::Seconds(1);
  PurchaseFigures f = Bought({0});
  f.Add(back, kMillion);
  EXPECT_EQ(LifecycleOf(ValueRules{}, f, back), Lifecycle::kWonBack);
  // Exactly at the silence the customer was not churned: the purchase is a repeat.
  EXPECT_EQ(LifecycleOf(ValueRules{}, Bought({0, 365}), Day(365)), Lifecycle::kRepeat);
}

TEST(LifecycleTest, WonBackBecomesRepeatAfterTheNextPurchase) {
  const absl::Time back = Day(365) + absl::Seconds(1);
  PurchaseFigures f = Bought({0});
  f.Add(back, kMillion);
  // Still won back while the customer stays within their (now long) churn silence.
  EXPECT_EQ(LifecycleOf(ValueRules{}, f, back + Days(30)), Lifecycle::kWonBack);
  f.Add(back + Days(5), kMillion);
  EXPECT_EQ(LifecycleOf(ValueRules{}, f, back + Days(5)), Lifecycle::kRepeat);
}

TEST(LifecycleTest, WonBackComparesTheLastGapWithTheSilenceOfTheHistoryBeforeIt) {
  // Before the last purchase: days 0, 10, 20, mean gap 10, silence max(90, 30) = 90 days.
  EXPECT_EQ(LifecycleOf(ValueRules{}, Bought({0, 10, 20, 110}), Day(110)), Lifecycle::kRepeat);
  PurchaseFigures f = Bought({0, 10, 20});
  f.Add(Day(110) + absl::Seconds(1), kMillion);
  EXPECT_EQ(LifecycleOf(ValueRules{}, f, Day(110) + absl::Seconds(1)), Lifecycle::kWonBack);
}

TEST(LifecycleTest, WonBackComesBeforeLoyal) {
  // Five purchases and 400 days of tenure would be loyal; the last one ended a 370-day
  // silence (more than the 90 days of the history before it).
  const PurchaseFigures f = Bought({0, 10, 20, 30, 400});
  EXPECT_EQ(LifecycleOf(ValueRules{}, f, Day(400)), Lifecycle::kWonBack);
}

TEST(LifecycleTest, ChurnedComesBeforeWonBack) {
  // Won back on day 400; the churn silence of 0, 400 is 3 x 400 = 1200 days.
  const PurchaseFigures f = Bought({0, 400});
  EXPECT_EQ(LifecycleOf(ValueRules{}, f, Day(1600)), Lifecycle::kWonBack);
  EXPECT_EQ(LifecycleOf(ValueRules{}, f, Day(1600) + absl::Seconds(1)), Lifecycle::kChurned);
}

TEST(LifecycleTest, WonBackDoesNotDependOnTheOrderPurchasesArrived) {
  // An import brings the old purchases after the one that won the customer back.
  const PurchaseFigures in_order = Bought({0, 10, 20, 200});
  const PurchaseFigures imported = Bought({200, 20, 0, 10});
  EXPECT_EQ(LifecycleOf(ValueRules{}, in_order, Day(200)), Lifecycle::kWonBack);
  EXPECT_EQ(LifecycleOf(ValueRules{}, imported, Day(200)), Lifecycle::kWonBack);
}

TEST(LifecycleTest, LoyalFromTheMinimumTenure) {
  // Five purchases 90 days apart (churn silence 270 days), the first on day 0.
  const PurchaseFigures f = Bought({0, 90, 180, 270, 360});
  EXPECT_EQ(LifecycleOf(ValueRules{}, f, Day(365) - absl::Seconds(1)), Lifecycle::kRepeat);
  EXPECT_EQ(LifecycleOf(ValueRules{}, f, Day(365)), Lifecycle::kLoyal);
}

TEST(LifecycleTest, LoyalFromTheMinimumPurchases) {
  // Four purchases 120 days apart: tenure long enough, one purchase short.
  const PurchaseFigures four = Bought({0, 120, 240, 360});
  EXPECT_EQ(LifecycleOf(ValueRules{}, four, Day(400)), Lifecycle::kRepeat);
  PurchaseFigures five = four;
  five.Add(Day(400), kMillion);
  EXPECT_EQ(LifecycleOf(ValueRules{}, five, Day(400)), Lifecycle::kLoyal);
  ValueRules rules;
  rules.loyal_min_purchases = 4;
  EXPECT_EQ(LifecycleOf(rules, four, Day(400)), Lifecycle::kLoyal);
}

TEST(LifecycleTest, LoyalWithZeroTenureNeedsOnlyThePurchases) {
  ValueRules rules;
  rules.loyal_min_tenure = absl::ZeroDuration();
  EXPECT_EQ(LifecycleOf(rules, Bought({0, 0, 0, 0, 0}), Day(0)), Lifecycle::kLoyal);
  EXPECT_EQ(LifecycleOf(rules, Bought({0, 0, 0, 0}), Day(0)), Lifecycle::kRepeat);
}

TEST(LifecycleTest, LoyalCustomerChurnsAfterTheirSilence) {
  // Mean gap 90 days: churn silence 270 days after day 360.
  const PurchaseFigures f = Bought({0, 90, 180, 270, 360});
  EXPECT_EQ(LifecycleOf(ValueRules{}, f, Day(630)), Lifecycle::kLoyal);
  EXPECT_EQ(LifecycleOf(ValueRules{}, f, Day(630) + absl::Seconds(1)), Lifecycle::kChurned);
}

// ---------------------------------------------------------------------------------------------
// CheckRules

TEST(CheckRulesTest, DefaultRulesPass) { EXPECT_EQ(CheckRules(ValueRules{}), ""); }

TEST(CheckRulesTest, BoundaryValuesPass) {
  ValueRules r;
  r.window = Days(1);
  r.key_important_share = 0.95;
  r.key_share = 0.95;
  r.ordinary_share = 1;
  r.gross_margin = 1;
  r.expected_years = 100;
  r.churn_interval_factor = 1;
  r.churn_min_silence = Days(1);
  r.single_purchase_churn_silence = Days(1);
  r.loyal_min_purchases = 2;
  r.loyal_min_tenure = absl::ZeroDuration();
  EXPECT_EQ(CheckRules(r), "");
  r.window = Days(3660);
  r.churn_interval_factor = 100;
  EXPECT_EQ(CheckRules(r), "");
}

struct BadRule {
  const char* name;
  void (*spoil)(ValueRules&);
  const char* key;
};

TEST(CheckRulesTest, EachBadSettingNamesItsKey) {
  const BadRule cases[] = {
      {"window under a day", [](ValueRules& r) { r.window = Days(1) - absl::Seconds(1); }, "crm.window_days"},
      {"window over 3660 days", [](ValueRules& r) { r.window = Days(3661); }, "crm.window_days"},
      {"key-important share 0", [](ValueRules& r) { r.key_important_share = 0; },
       "crm.tiers.key_important_share"},
      {"key-important share above key share", [](ValueRules& r) { r.key_important_share = 0.85; },
       "crm.tiers.key_important_share"},
      {"key share above ordinary share", [](ValueRules& r) { r.key_share = 0.96; }, "crm.tiers.key_share"},
      {"ordinary share above 1", [](ValueRules& r) { r.ordinary_share = 1.01; }, "crm.tiers.ordinary_share"},
      {"gross margin 0", [](ValueRules& r) { r.gross_margin = 0; }, "crm.gross_margin"},
      {"gross margin above 1", [](ValueRules& r) { r.gross_margin = 1.01; }, "crm.gross_margin"},
      {"expected years 0", [](ValueRules& r) { r.expected_years = 0; }, "crm.expected_years"},
      {"expected years above 100", [](ValueRules& r) { r.expected_years = 101; }, "crm.expected_years"},
      {"churn factor below 1", [](ValueRules& r) { r.churn_interval_factor = 0.5; },
       "crm.lifecycle.churn_interval_factor"},
      {"churn factor above 100", [](ValueRules& r) { r.churn_interval_factor = 101; },
       "crm.lifecycle.churn_interval_factor"},
      {"churn min silence under a day", [](ValueRules& r) { r.churn_min_silence = absl::Hours(23); },
       "crm.lifecycle.churn_min_silence_days"},
      {"single purchase silence under a day",
       [](ValueRules& r) { r.single_purchase_churn_silence = absl::Hours(23); },
       "crm.lifecycle.single_purchase_churn_silence_days"},
      {"loyal min purchases 1", [](ValueRules& r) { r.loyal_min_purchases = 1; },
       "crm.lifecycle.loyal_min_purchases"},
      {"negative loyal tenure", [](ValueRules& r) { r.loyal_min_tenure = -absl::Seconds(1); },
       "crm.lifecycle.loyal_min_tenure_days"},
  };
  for (const BadRule& c : cases) {
    ValueRules r;
    c.spoil(r);
    EXPECT_THAT(CheckRules(r), StartsWith(std::string(c.key) + ":")) << c.name;
  }
}

}  // namespace
}  // namespace servicedesk::crm
