#pragma once

// A deterministic generator of realistic customers and their histories. Record i
// depends only on (seed, i), so the same call always yields the same data, on any
// machine, in any order: the demo, the tests and the benchmark share it.
//
// Shape: 85% individuals, 15% enterprises; tiers 3% key-important, 7% key-secondary,
// 50% ordinary, 40% small; interactions per customer skewed (mean about 20, one in
// two thousand customers has 1,000 to 5,000); customers 2k and 2k+1 with k % 20 == 0
// share a home number, so shared-number lookups have data.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "servicedesk/v1/customer.pb.h"
#include "servicedesk/v1/customer_value.pb.h"

namespace servicedesk::customers {

class DemoData {
 public:
  // `anchor`: the newest interaction lies before it.
  explicit DemoData(uint64_t seed, absl::Time anchor = absl::FromCivil(
                                       absl::CivilSecond(2026, 11, 1, 9, 0, 0), absl::UTCTimeZone()));

  v1::ImportRecord Record(uint64_t index) const;
  // The customer's mobile number in E.164; unique per index (index < 90,000,000).
  static std::string MobileNumber(uint64_t index);
  static std::string ExternalId(uint64_t index);
  // How many interactions Record(index) holds, without building it.
  int InteractionCount(uint64_t index) const;
  // The customer's purchases before `now` (none for about one in five: prospects), each with
  // an order id "demo-<index>-<k>": most customers buy every few months, some stopped a
  // year or more ago (churned), a few spend far more than the rest (the pyramid's top).
  std::vector<v1::ImportPurchasesRequest> Purchases(uint64_t index, absl::Time now) const;

 private:
  uint64_t seed_;
  absl::Time anchor_;
};

}  // namespace servicedesk::customers
