#include "services/customers/demo_data.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "services/customers/customer_validation.h"

namespace servicedesk::customers {
namespace {

TEST(DemoDataTest, SameSeedAndIndexGiveTheSameRecord) {
  DemoData a(42), b(42), other(43);
  using google::protobuf::util::MessageDifferencer;
  EXPECT_TRUE(MessageDifferencer::Equals(a.Record(17), b.Record(17)));
  EXPECT_FALSE(MessageDifferencer::Equals(a.Record(17), other.Record(17)));
}

TEST(DemoDataTest, RecordsPassTheServersValidation) {
  DemoData demo(42);
  PhoneNormalizer phones("");
  const absl::Time now = absl::Now();
  for (uint64_t i = 0; i < 300; ++i) {
    auto record = demo.Record(i);
    ASSERT_TRUE(ValidateCustomer(record.mutable_customer(), phones, "customer").ok()) << i;
    for (auto& interaction : *record.mutable_interactions()) {
      ASSERT_TRUE(ValidateInteraction(&interaction, now, "interaction").ok()) << i;
    }
    EXPECT_EQ(record.customer().phone_numbers(0).number(), DemoData::MobileNumber(i));
    EXPECT_EQ(record.interactions_size(), demo.InteractionCount(i));
  }
}

TEST(DemoDataTest, InteractionCountsAreSkewedAroundTwenty) {
  DemoData demo(42);
  int64_t total = 0;
  int heavy = 0;
  constexpr int kCustomers = 200000;
  for (int i = 0; i < kCustomers; ++i) {
    const int count = demo.InteractionCount(i);
    total += count;
    if (count >= 1000) ++heavy;
  }
  const double mean = static_cast<double>(total) / kCustomers;
  EXPECT_GT(mean, 17.0);
  EXPECT_LT(mean, 23.0);
  EXPECT_GT(heavy, 40);   // about one in two thousand
  EXPECT_LT(heavy, 200);
}

TEST(DemoDataTest, SomeHouseholdsShareAHomeNumber) {
  DemoData demo(42);
  auto first = demo.Record(0).customer();
  auto second = demo.Record(1).customer();
  ASSERT_EQ(first.phone_numbers_size(), 2);
  ASSERT_EQ(second.phone_numbers_size(), 2);
  EXPECT_EQ(first.phone_numbers(1).number(), second.phone_numbers(1).number());
  EXPECT_EQ(demo.Record(5).customer().phone_numbers_size(), 1);
}

}  // namespace
}  // namespace servicedesk::customers
