#include "services/customers/customer_validation.h"

#include <gtest/gtest.h>

namespace servicedesk::customers {
namespace {

v1::Customer ValidCustomer() {
  v1::Customer c;
  c.set_kind(v1::CUSTOMER_KIND_INDIVIDUAL);
  c.set_display_name("  Anna Schmidt ");
  c.add_phone_numbers()->set_number("030 1234567");
  c.add_emails()->set_address("Anna@Example.org");
  return c;
}

std::string ErrorOf(v1::Customer c) {
  PhoneNormalizer phones("DE");
  auto status = ValidateCustomer(&c, phones, "customer");
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  return std::string(status.message());
}

TEST(CustomerValidationTest, NormalisesAndDefaults) {
  v1::Customer c = ValidCustomer();
  ASSERT_TRUE(ValidateCustomer(&c, PhoneNormalizer("DE"), "customer").ok());
  EXPECT_EQ(c.display_name(), "Anna Schmidt");
  EXPECT_EQ(c.phone_numbers(0).number(), "+49301234567");
  EXPECT_EQ(c.tier(), v1::CUSTOMER_TIER_ORDINARY);
  EXPECT_EQ(c.lifecycle_state(), v1::LIFECYCLE_STATE_POTENTIAL);
}

TEST(CustomerValidationTest, RequiredFieldsAreNamed) {
  v1::Customer c = ValidCustomer();
  c.set_display_name("   ");
  EXPECT_EQ(ErrorOf(c), "customer.display_name: required");
  c = ValidCustomer();
  c.set_kind(v1::CUSTOMER_KIND_UNSPECIFIED);
  EXPECT_TRUE(ErrorOf(c).starts_with("customer.kind: required"));
  c = ValidCustomer();
  c.set_kind(static_cast<v1::CustomerKind>(77));
  EXPECT_TRUE(ErrorOf(c).starts_with("customer.kind:"));
}

TEST(CustomerValidationTest, LimitsAreEnforcedWithTheFieldName) {
  v1::Customer c = ValidCustomer();
  c.set_notes(std::string(4001, 'x'));
  EXPECT_EQ(ErrorOf(c), "customer.notes: longer than 4000 characters");
  c = ValidCustomer();
  c.set_display_name(std::string(201, 'x'));
  EXPECT_EQ(ErrorOf(c), "customer.display_name: longer than 200 characters");
  c = ValidCustomer();
  for (int i = 0; i < 21; ++i) c.add_phone_numbers()->set_number("+4930" + std::to_string(1000000 + i));
  EXPECT_TRUE(ErrorOf(c).starts_with("customer.phone_numbers: at most 20"));
  c = ValidCustomer();
  for (int i = 0; i < 51; ++i) (*c.mutable_preferences())["k" + std::to_string(i)] = "v";
  EXPECT_TRUE(ErrorOf(c).starts_with("customer.preferences: at most 50"));
}

TEST(CustomerValidationTest, BadPhoneAndEmailNameTheirIndex) {
  v1::Customer c = ValidCustomer();
  c.add_phone_numbers()->set_number("not a number");
  EXPECT_TRUE(ErrorOf(c).starts_with("customer.phone_numbers[1].number:"));
  c = ValidCustomer();
  c.add_phone_numbers()->set_number("+49 30 1234567");  // same as [0] once normalised
  EXPECT_TRUE(ErrorOf(c).starts_with("customer.phone_numbers[1].number: +49301234567 is listed twice"));
  c = ValidCustomer();
  c.add_emails()->set_address("no-at-sign.example");
  EXPECT_TRUE(ErrorOf(c).starts_with("customer.emails[1].address:"));
  c = ValidCustomer();
  c.add_emails()->set_address("anna@EXAMPLE.org");
  EXPECT_EQ(ErrorOf(c), "customer.emails[1].address: listed twice");
}

TEST(CustomerValidationTest, DatesMustExist) {
  v1::Customer c = ValidCustomer();
  auto* dob = c.mutable_individual()->mutable_date_of_birth();
  dob->set_year(2023);
  dob->set_month(2);
  dob->set_day(29);
  EXPECT_EQ(ErrorOf(c), "customer.individual.date_of_birth.day: not a day of that month");
  dob->set_year(2024);
  EXPECT_TRUE(ValidateCustomer(&c, PhoneNormalizer("DE"), "customer").ok());
}

TEST(CustomerValidationTest, ExternalIdIsAPrintableIdentifier) {
  v1::Customer c = ValidCustomer();
  c.set_external_id(std::string("crm\0id", 6));
  EXPECT_TRUE(ErrorOf(c).starts_with("customer.external_id:"));
  c.set_external_id("crm 1");
  EXPECT_TRUE(ErrorOf(c).starts_with("customer.external_id:"));
}

TEST(InteractionValidationTest, ChannelIsRequiredAndStartDefaultsToNow) {
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  v1::Interaction interaction;
  auto status = ValidateInteraction(&interaction, now, "interaction");
  EXPECT_EQ(status.message(), "interaction.channel: required");
  interaction.set_channel(v1::INTERACTION_CHANNEL_CALL);
  ASSERT_TRUE(ValidateInteraction(&interaction, now, "interaction").ok());
  EXPECT_EQ(interaction.start_time().seconds(), 1'800'000'000);
}

TEST(InteractionValidationTest, EndBeforeStartAndFarFutureAreRefused) {
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  v1::Interaction interaction;
  interaction.set_channel(v1::INTERACTION_CHANNEL_CALL);
  interaction.mutable_start_time()->set_seconds(1'700'000'000);
  interaction.mutable_end_time()->set_seconds(1'600'000'000);
  EXPECT_EQ(ValidateInteraction(&interaction, now, "interaction").message(),
            "interaction.end_time: before start_time");
  interaction.clear_end_time();
  interaction.mutable_start_time()->set_seconds(1'800'000'000 + 3 * 86400);
  EXPECT_EQ(ValidateInteraction(&interaction, now, "interaction").message(),
            "interaction.start_time: more than a day in the future");
  interaction.mutable_start_time()->set_nanos(-1);
  EXPECT_EQ(ValidateInteraction(&interaction, now, "interaction").message(),
            "interaction.start_time: not a valid timestamp");
}

}  // namespace
}  // namespace servicedesk::customers

namespace servicedesk::customers {
namespace {

TEST(CustomerValidationTest, LimitsCountCharactersNotBytes) {
  v1::Customer c = ValidCustomer();
  std::string name;
  for (int i = 0; i < 200; ++i) name += "王";  // 600 bytes
  c.set_display_name(name);
  EXPECT_TRUE(ValidateCustomer(&c, PhoneNormalizer("DE"), "customer").ok());
  c.set_display_name(name + "王");
  EXPECT_EQ(ErrorOf(c), "customer.display_name: longer than 200 characters");
  EXPECT_EQ(CountCharacters("Müller 王伟"), 9u);
}

}  // namespace
}  // namespace servicedesk::customers
