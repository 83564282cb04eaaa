#pragma once

// Customer value (DOMAIN.md sections 4 and 5): RFM scores, lifetime value, the customer
// pyramid's tiers and the lifecycle state, from a customer's purchase figures.
//
// Pure: no storage, no gRPC, no clock (the caller passes `now`). Amounts are micros
// (10^-6) of the desk's base currency.
//
// The model (BuildModel) is what the value job computes over the whole customer base: the
// quintile breakpoints of recency, frequency and monetary value, and the smallest value of
// each tier band. Between runs, a customer who buys is scored against the last model, so a
// purchase changes their scores and tier at once without rescoring everybody.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace servicedesk::crm {

// The numbering is v1::CustomerTier's and v1::LifecycleState's.
enum class Tier : int { kUnspecified = 0, kKeyImportant = 1, kKeySecondary = 2, kOrdinary = 3, kSmall = 4 };
enum class Lifecycle : int {
  kUnspecified = 0,
  kPotential = 1,
  kTarget = 2,
  kFirstTime = 3,
  kRepeat = 4,
  kLoyal = 5,
  kChurned = 6,
  kWonBack = 7,
};

struct ValueRules {
  // Frequency and monetary value count the purchases of this window, up to now.
  absl::Duration window = absl::Hours(24 * 365);

  // The pyramid, read by the 80/20 rule: customers in order of window spend, highest first;
  // the ones whose spend makes up the first key_important_share of the total are
  // key-important, up to key_share key-secondary, up to ordinary_share ordinary, the rest
  // (and everyone without spend) small. Equal spend is never split across two tiers: the
  // customers at a band's edge all join the higher band. 0 < each <= the next <= 1.
  double key_important_share = 0.5;
  double key_share = 0.8;
  double ordinary_share = 0.95;

  // Lifetime value = window spend per year x gross_margin x expected_years.
  double gross_margin = 0.3;
  double expected_years = 3;

  // Lifecycle (first matching rule wins):
  //   churned    the silence since the last purchase is longer than the customer's churn
  //              silence: churn_interval_factor x their usual interval between purchases
  //              (the mean gap), at least churn_min_silence; with one purchase,
  //              single_purchase_churn_silence;
  //   won back   the last purchase ended a silence that had made them churned (until the
  //              next purchase);
  //   loyal      at least loyal_min_purchases purchases and loyal_min_tenure since the first;
  //   repeat     two purchases or more;
  //   first-time one purchase.
  // Without purchases the rules say nothing: the state is what the file says (potential,
  // target).
  double churn_interval_factor = 3;
  absl::Duration churn_min_silence = absl::Hours(24 * 90);
  absl::Duration single_purchase_churn_silence = absl::Hours(24 * 365);
  int loyal_min_purchases = 5;
  absl::Duration loyal_min_tenure = absl::Hours(24 * 365);

  // The rules in words (GetValueModel shows them).
  std::string Describe() const;
};

// What the rules read about one customer.
struct PurchaseFigures {
  int64_t count = 0;          // all time
  int64_t spend_micros = 0;   // all time
  absl::Time first = absl::InfinitePast();
  absl::Time last = absl::InfinitePast();
  absl::Time previous = absl::InfinitePast();  // the purchase before the last (count >= 2)
  int64_t window_count = 0;
  int64_t window_spend_micros = 0;

  // One more purchase, in any order of time (an import brings old ones later). The window
  // figures are the caller's (they depend on now). Spend saturates rather than wraps.
  void Add(absl::Time at, int64_t amount_micros);
};

struct RfmScore {
  int recency = 0;  // 0: not scored
  int frequency = 0;
  int monetary = 0;
  bool operator==(const RfmScore&) const = default;
};

// Quintile breakpoints: breakpoint k (0..3) is the value at the (k+1) x 20th percentile
// (nearest rank) of the scored customers; a value above j of them scores j + 1.
struct Quintiles {
  std::array<int64_t, 4> breakpoints{};
  int Score(int64_t value) const;
  // Of `values` (reordered). Empty values: all breakpoints 0.
  static Quintiles Of(std::vector<int64_t>& values);
  bool operator==(const Quintiles&) const = default;
};

struct ValueModel {
  absl::Time computed_at = absl::InfinitePast();  // InfinitePast: never; nothing is scored
  int64_t scored_customers = 0;                   // customers with a purchase
  Quintiles recency;                              // of the last purchase time, unix micros
  Quintiles frequency;                            // of window purchase counts
  Quintiles monetary;                             // of window spend
  // The smallest window spend of each band; nullopt: the band is empty.
  std::optional<int64_t> key_important_from;
  std::optional<int64_t> key_secondary_from;
  std::optional<int64_t> ordinary_from;
  int64_t total_window_spend_micros = 0;

  bool computed() const { return computed_at != absl::InfinitePast(); }
  // A model of a base without purchases says nothing about anyone.
  bool usable() const { return computed() && scored_customers > 0; }
};

// The model of a customer base: `figures` of every customer with a purchase (window figures
// as of `now`). O(n log n) for the bands, O(n) for the quintiles.
ValueModel BuildModel(const ValueRules& rules, const std::vector<PurchaseFigures>& figures, absl::Time now);

// All zero when the model is not usable or the customer has no purchase.
RfmScore ScoreOf(const ValueModel& model, const PurchaseFigures& figures);
// kUnspecified when the model is not usable or the customer has no purchase (their tier is
// then the file's).
Tier TierOf(const ValueModel& model, const PurchaseFigures& figures);
int64_t LifetimeValueMicros(const ValueRules& rules, const PurchaseFigures& figures);
std::string LifetimeValueFormula(const ValueRules& rules);
// nullopt without purchases.
std::optional<Lifecycle> LifecycleOf(const ValueRules& rules, const PurchaseFigures& figures, absl::Time now);
// How long a customer with these purchases may stay silent before they are churned.
absl::Duration ChurnSilence(const ValueRules& rules, int64_t count, absl::Time first, absl::Time last);

// a + b, held at the int64 limits instead of overflowing.
int64_t SaturatingAdd(int64_t a, int64_t b);

// Validation of configured rules: the first problem, naming the key, or empty.
std::string CheckRules(const ValueRules& rules);

}  // namespace servicedesk::crm
