#include "services/crm/value_rules.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace servicedesk::crm {

namespace {

double Days(absl::Duration d) { return absl::ToDoubleHours(d) / 24; }

}  // namespace

std::string ValueRules::Describe() const {
  return absl::StrFormat(
      "window %g days; tiers by window spend, highest first: key-important up to %g%% of the total, "
      "key-secondary up to %g%%, ordinary up to %g%%, small the rest; lifecycle: churned after a silence "
      "of %g x the usual interval between purchases (at least %g days; %g days after a single purchase), "
      "won back by the purchase that ends it, loyal from %d purchases and %g days since the first, repeat "
      "from 2, first-time at 1; lifetime value: %s",
      Days(window), key_important_share * 100, key_share * 100, ordinary_share * 100, churn_interval_factor,
      Days(churn_min_silence), Days(single_purchase_churn_silence), loyal_min_purchases, Days(loyal_min_tenure),
      LifetimeValueFormula(*this));
}

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  return sum;
}

void PurchaseFigures::Add(absl::Time at, int64_t amount_micros) {
  ++count;
  spend_micros = SaturatingAdd(spend_micros, amount_micros);
  if (count == 1) {
    first = last = at;
    return;
  }
  first = std::min(first, at);
  if (at >= last) {
    previous = last;
    last = at;
  } else if (at > previous) {
    previous = at;
  }
}

int Quintiles::Score(int64_t value) const {
  int score = 1;
  for (int64_t b : breakpoints) score += value > b ? 1 : 0;
  return score;
}

Quintiles Quintiles::Of(std::vector<int64_t>& values) {
  Quintiles q;
  const std::size_t n = values.size();
  if (n == 0) return q;
  // Nearest rank: the k-th fifth ends at rank ceil(k n / 5). Selecting from the top down
  // leaves each later selection a shorter range to work on.
  auto end = values.end();
  for (int k = 4; k >= 1; --k) {
    const std::size_t rank = (static_cast<std::size_t>(k) * n + 4) / 5;  // ceil(k n / 5), >= 1
    auto nth = values.begin() + static_cast<std::ptrdiff_t>(rank - 1);
    std::nth_element(values.begin(), nth, end);
    q.breakpoints[static_cast<std::size_t>(k - 1)] = *nth;
    end = nth;
  }
  return q;
}

ValueModel BuildModel(const ValueRules& rules, const std::vector<PurchaseFigures>& figures, absl::Time now) {
  ValueModel model;
  model.computed_at = now;
  std::vector<int64_t> column;
  column.reserve(figures.size());
  for (const auto& f : figures) {
    if (f.count > 0) column.push_back(absl::ToUnixMicros(f.last));
  }
  model.scored_customers = static_cast<int64_t>(column.size());
  model.recency = Quintiles::Of(column);
  column.clear();
  for (const auto& f : figures) {
    if (f.count > 0) column.push_back(f.window_count);
  }
  model.frequency = Quintiles::Of(column);
  column.clear();
  for (const auto& f : figures) {
    if (f.count > 0) column.push_back(f.window_spend_micros);
  }
  model.monetary = Quintiles::Of(column);

  // The bands: walk the spends from the highest; a customer belongs to the band in which
  // the spend before theirs ends (so the one who crosses a share still joins the band).
  std::sort(column.begin(), column.end(), std::greater<>());
  // In double: a million customers' spends may not fit in 64 bits of micros.
  const double total = std::accumulate(column.begin(), column.end(), 0.0,
                                       [](double sum, int64_t spend) { return sum + static_cast<double>(spend); });
  model.total_window_spend_micros = static_cast<int64_t>(std::min(total, 9.0e18));
  const double shares[3] = {rules.key_important_share, rules.key_share, rules.ordinary_share};
  std::optional<int64_t>* from[3] = {&model.key_important_from, &model.key_secondary_from, &model.ordinary_from};
  int band = 0;
  double before = 0;
  for (int64_t spend : column) {
    if (spend <= 0) break;  // no spend: small
    while (band < 3 && before >= shares[band] * total) ++band;
    if (band == 3) break;
    *from[band] = spend;
    before += static_cast<double>(spend);
  }
  // Ties join the higher band: a band whose edge is the higher band's edge holds nobody.
  if (model.key_secondary_from && model.key_important_from && *model.key_secondary_from >= *model.key_important_from) {
    model.key_secondary_from.reset();
  }
  const std::optional<int64_t> above = model.key_secondary_from ? model.key_secondary_from : model.key_important_from;
  if (model.ordinary_from && above && *model.ordinary_from >= *above) model.ordinary_from.reset();
  return model;
}

RfmScore ScoreOf(const ValueModel& model, const PurchaseFigures& figures) {
  if (!model.usable() || figures.count == 0) return {};
  return {model.recency.Score(absl::ToUnixMicros(figures.last)), model.frequency.Score(figures.window_count),
          model.monetary.Score(figures.window_spend_micros)};
}

Tier TierOf(const ValueModel& model, const PurchaseFigures& figures) {
  if (!model.usable() || figures.count == 0) return Tier::kUnspecified;
  const int64_t spend = figures.window_spend_micros;
  if (spend <= 0) return Tier::kSmall;
  if (model.key_important_from && spend >= *model.key_important_from) return Tier::kKeyImportant;
  if (model.key_secondary_from && spend >= *model.key_secondary_from) return Tier::kKeySecondary;
  if (model.ordinary_from && spend >= *model.ordinary_from) return Tier::kOrdinary;
  return Tier::kSmall;
}

int64_t LifetimeValueMicros(const ValueRules& rules, const PurchaseFigures& figures) {
  const double years = absl::ToDoubleHours(rules.window) / (24 * 365);
  if (years <= 0 || figures.window_spend_micros <= 0) return 0;
  const double value = static_cast<double>(figures.window_spend_micros) / years * rules.gross_margin * rules.expected_years;
  return value >= 9.2e18 ? std::numeric_limits<int64_t>::max() : std::llround(value);
}

std::string LifetimeValueFormula(const ValueRules& rules) {
  return absl::StrFormat("window spend / %g years x gross margin %g x %g expected years",
                         absl::ToDoubleHours(rules.window) / (24 * 365), rules.gross_margin, rules.expected_years);
}

absl::Duration ChurnSilence(const ValueRules& rules, int64_t count, absl::Time first, absl::Time last) {
  if (count < 2) return rules.single_purchase_churn_silence;
  const absl::Duration usual = (last - first) / static_cast<double>(count - 1);
  return std::max(rules.churn_min_silence, usual * rules.churn_interval_factor);
}

std::optional<Lifecycle> LifecycleOf(const ValueRules& rules, const PurchaseFigures& f, absl::Time now) {
  if (f.count == 0) return std::nullopt;
  if (now - f.last > ChurnSilence(rules, f.count, f.first, f.last)) return Lifecycle::kChurned;
  // The gap that the last purchase closed, against the silence allowed before it: the
  // history up to the previous purchase (count - 1 purchases, from first to previous).
  if (f.count >= 2 && f.last - f.previous > ChurnSilence(rules, f.count - 1, f.first, f.previous)) {
    return Lifecycle::kWonBack;
  }
  if (f.count >= rules.loyal_min_purchases && now - f.first >= rules.loyal_min_tenure) return Lifecycle::kLoyal;
  return f.count >= 2 ? Lifecycle::kRepeat : Lifecycle::kFirstTime;
}

std::string CheckRules(const ValueRules& r) {
  for (auto [key, value] : {std::pair{"crm.tiers.key_important_share", r.key_important_share},
                            std::pair{"crm.tiers.key_share", r.key_share},
                            std::pair{"crm.tiers.ordinary_share", r.ordinary_share},
                            std::pair{"crm.gross_margin", r.gross_margin},
                            std::pair{"crm.expected_years", r.expected_years},
                            std::pair{"crm.lifecycle.churn_interval_factor", r.churn_interval_factor}}) {
    if (!std::isfinite(value)) return absl::StrCat(key, ": must be a number");
  }
  if (r.window < absl::Hours(24) || r.window > absl::Hours(24 * 3660)) return "crm.window_days: 1 to 3660";
  if (!(r.key_important_share > 0 && r.key_important_share <= r.key_share)) {
    return "crm.tiers.key_important_share: more than 0 and at most key_share";
  }
  if (!(r.key_share <= r.ordinary_share)) return "crm.tiers.key_share: at most ordinary_share";
  if (!(r.ordinary_share <= 1)) return "crm.tiers.ordinary_share: at most 1";
  if (!(r.gross_margin > 0 && r.gross_margin <= 1)) return "crm.gross_margin: more than 0 and at most 1";
  if (!(r.expected_years > 0 && r.expected_years <= 100)) return "crm.expected_years: more than 0 and at most 100";
  if (!(r.churn_interval_factor >= 1 && r.churn_interval_factor <= 100)) {
    return "crm.lifecycle.churn_interval_factor: 1 to 100";
  }
  if (r.churn_min_silence < absl::Hours(24)) return "crm.lifecycle.churn_min_silence_days: at least 1";
  if (r.single_purchase_churn_silence < absl::Hours(24)) {
    return "crm.lifecycle.single_purchase_churn_silence_days: at least 1";
  }
  if (r.loyal_min_purchases < 2) return "crm.lifecycle.loyal_min_purchases: at least 2";
  if (r.loyal_min_tenure < absl::ZeroDuration()) return "crm.lifecycle.loyal_min_tenure_days: at least 0";
  return "";
}

}  // namespace servicedesk::crm
