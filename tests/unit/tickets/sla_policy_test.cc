#include "services/tickets/sla_policy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"

namespace servicedesk::tickets {
namespace {

SlaTargets Targets(int first_response_hours, int resolution_hours, bool business_hours = true) {
  SlaTargets targets;
  targets.first_response = absl::Hours(first_response_hours);
  targets.resolution = absl::Hours(resolution_hours);
  targets.business_hours = business_hours;
  return targets;
}

// Specific rules first, as the header asks.
SlaPolicyTable Table() {
  SlaPolicyTable table;
  table.rules = {
      {TicketPriority::kUrgent, CustomerTier::kKeyImportant, Targets(1, 4, false)},  // [0]
      {TicketPriority::kUrgent, std::nullopt, Targets(1, 8, false)},                 // [1]
      {std::nullopt, CustomerTier::kKeyImportant, Targets(2, 16)},                   // [2]
      {TicketPriority::kHigh, std::nullopt, Targets(4, 24)},                         // [3]
      {std::nullopt, CustomerTier::kSmall, Targets(16, 80)},                         // [4]
  };
  table.default_targets = Targets(8, 40);
  return table;
}

void ExpectInvalid(const SlaPolicyTable& table, const std::string& prefix) {
  const absl::Status status = table.Validate();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_TRUE(absl::StartsWith(status.message(), prefix)) << status.message();
}

TEST(SlaPolicyTest, NamesOfPrioritiesAndTiers) {
  EXPECT_STREQ(TicketPriorityName(TicketPriority::kLow), "low");
  EXPECT_STREQ(TicketPriorityName(TicketPriority::kNormal), "normal");
  EXPECT_STREQ(TicketPriorityName(TicketPriority::kHigh), "high");
  EXPECT_STREQ(TicketPriorityName(TicketPriority::kUrgent), "urgent");
  EXPECT_STREQ(CustomerTierName(CustomerTier::kKeyImportant), "key-important");
  EXPECT_STREQ(CustomerTierName(CustomerTier::kKeySecondary), "key-secondary");
  EXPECT_STREQ(CustomerTierName(CustomerTier::kOrdinary), "ordinary");
  EXPECT_STREQ(CustomerTierName(CustomerTier::kSmall), "small");
  EXPECT_STREQ(CustomerTierName(CustomerTier::kUnknown), "unknown");
}

TEST(SlaPolicyTest, FirstMatchingRuleWins) {
  const SlaPolicyTable table = Table();
  ASSERT_TRUE(table.Validate().ok()) << table.Validate();
  // Urgent key-important: rule 0, although 1 and 2 match too.
  EXPECT_EQ(table.Select(TicketPriority::kUrgent, CustomerTier::kKeyImportant),
            Targets(1, 4, false));
  // Urgent small: rule 1 before rule 4.
  EXPECT_EQ(table.Select(TicketPriority::kUrgent, CustomerTier::kSmall), Targets(1, 8, false));
  // Low key-important: rule 2 (any priority).
  EXPECT_EQ(table.Select(TicketPriority::kLow, CustomerTier::kKeyImportant), Targets(2, 16));
  // High small: rule 3 before rule 4.
  EXPECT_EQ(table.Select(TicketPriority::kHigh, CustomerTier::kSmall), Targets(4, 24));
  EXPECT_EQ(table.Select(TicketPriority::kNormal, CustomerTier::kSmall), Targets(16, 80));
}

TEST(SlaPolicyTest, NoMatchingRuleGivesTheDefault) {
  const SlaPolicyTable table = Table();
  EXPECT_EQ(table.Select(TicketPriority::kNormal, CustomerTier::kOrdinary), Targets(8, 40));
  EXPECT_EQ(table.Select(TicketPriority::kLow, CustomerTier::kUnknown), Targets(8, 40));
  EXPECT_EQ(table.Select(TicketPriority::kNormal, CustomerTier::kKeySecondary), Targets(8, 40));
  const SlaPolicyTable empty;
  EXPECT_TRUE(empty.Validate().ok());
  EXPECT_EQ(empty.Select(TicketPriority::kUrgent, CustomerTier::kKeyImportant), SlaTargets{});
}

TEST(SlaPolicyTest, NonPositiveTargetsNameTheRuleAndField) {
  SlaPolicyTable table = Table();
  table.rules[2].targets.resolution = absl::ZeroDuration();
  ExpectInvalid(table, "sla.rules[2].resolution: must be positive");
  table = Table();
  table.rules[0].targets.first_response = -absl::Minutes(5);
  ExpectInvalid(table, "sla.rules[0].first_response: must be positive");
  table = Table();
  table.rules[4].targets.resolution = absl::InfiniteDuration();
  ExpectInvalid(table, "sla.rules[4].resolution: must be finite");
  table = Table();
  table.default_targets.first_response = absl::ZeroDuration();
  ExpectInvalid(table, "sla.default.first_response: must be positive");
}

TEST(SlaPolicyTest, WarningShareMustBeAShareOfTheTarget) {
  for (double share : {0.0, -0.5, 1.5, std::nan("")}) {
    SlaPolicyTable table = Table();
    table.rules[3].targets.warning_share = share;
    ExpectInvalid(table, "sla.rules[3].warning_share: must be in (0, 1]");
  }
  SlaPolicyTable table = Table();
  table.rules[3].targets.warning_share = 1.0;
  EXPECT_TRUE(table.Validate().ok());
  table.default_targets.warning_share = 2;
  ExpectInvalid(table, "sla.default.warning_share: must be in (0, 1], got 2");
}

TEST(SlaPolicyTest, UnknownEnumValuesAreRejected) {
  SlaPolicyTable table = Table();
  table.rules[1].priority = static_cast<TicketPriority>(9);
  ExpectInvalid(table, "sla.rules[1].priority: unknown value 9");
  table = Table();
  table.rules[4].tier = static_cast<CustomerTier>(7);
  ExpectInvalid(table, "sla.rules[4].tier: unknown value 7");
}

TEST(SlaPolicyTest, RuleThatIsNeverChosenIsRejected) {
  SlaPolicyTable table = Table();
  // A general rule before the specific one: rule 1 takes every urgent ticket.
  std::swap(table.rules[0], table.rules[1]);
  ExpectInvalid(table, "sla.rules[1]: never chosen");
  // A catch-all at the end is fine (it takes the rest); a rule after it is never chosen.
  table = Table();
  table.rules.push_back({std::nullopt, std::nullopt, Targets(8, 40)});  // [5]
  EXPECT_TRUE(table.Validate().ok()) << table.Validate();
  table.rules.push_back({TicketPriority::kLow, CustomerTier::kOrdinary, Targets(8, 40)});  // [6]
  ExpectInvalid(table, "sla.rules[6]: never chosen");
}

TEST(SlaPolicyTest, RuleCoveredBySeveralEarlierRulesTogetherIsRejected) {
  SlaPolicyTable table;
  for (TicketPriority priority : {TicketPriority::kLow, TicketPriority::kNormal,
                                  TicketPriority::kHigh, TicketPriority::kUrgent}) {
    table.rules.push_back({priority, std::nullopt, Targets(8, 40)});
  }
  table.rules.push_back({std::nullopt, CustomerTier::kSmall, Targets(16, 80)});
  ExpectInvalid(table, "sla.rules[4]: never chosen, earlier rules match every ticket it matches");
}

}  // namespace
}  // namespace servicedesk::tickets
