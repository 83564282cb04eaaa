#include "services/customers/phone_normalizer.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace servicedesk::customers {
namespace {

TEST(PhoneNormalizerTest, InternationalFormsNeedNoRegion) {
  PhoneNormalizer phones("");
  EXPECT_EQ(*phones.ToE164("+49 30 1234567", "f"), "+49301234567");
  EXPECT_EQ(*phones.ToE164("+86 138 0013 8000", "f"), "+8613800138000");
  EXPECT_EQ(*phones.ToE164("+1 (650) 253-0000", "f"), "+16502530000");
}

TEST(PhoneNormalizerTest, NationalFormUsesTheConfiguredRegion) {
  EXPECT_EQ(*PhoneNormalizer("DE").ToE164("030 1234567", "f"), "+49301234567");
  EXPECT_EQ(*PhoneNormalizer("DE").ToE164("0049 30 1234567", "f"), "+49301234567");
  EXPECT_EQ(*PhoneNormalizer("CN").ToE164("138 0013 8000", "f"), "+8613800138000");
  EXPECT_EQ(*PhoneNormalizer("US").ToE164("(650) 253-0000", "f"), "+16502530000");
}

TEST(PhoneNormalizerTest, NationalFormWithoutRegionSaysWhatIsMissing) {
  auto result = PhoneNormalizer("").ToE164("030 1234567", "customer.phone_numbers[0].number");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(result.status().message(), "customer.phone_numbers[0].number:"));
  EXPECT_NE(result.status().message().find("phone.default_region"), absl::string_view::npos);
}

TEST(PhoneNormalizerTest, MalformedNumbersAreRefusedNamingTheField) {
  PhoneNormalizer phones("DE");
  for (const char* bad : {"", "abc", "+", "12", "+49 1", "+999 1234567",
                          "+49 30 1234567 1234567 1234567 1234567 123"}) {
    auto result = phones.ToE164(bad, "phone_number");
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_TRUE(absl::StartsWith(result.status().message(), "phone_number:")) << bad;
  }
}

TEST(PhoneNormalizerTest, KnowsRegions) {
  EXPECT_TRUE(PhoneNormalizer::IsKnownRegion("DE"));
  EXPECT_TRUE(PhoneNormalizer::IsKnownRegion("TH"));
  EXPECT_FALSE(PhoneNormalizer::IsKnownRegion("XX"));
  EXPECT_FALSE(PhoneNormalizer::IsKnownRegion("de"));
}

}  // namespace
}  // namespace servicedesk::customers

namespace servicedesk::customers {
namespace {

TEST(PhoneNormalizerTest, LettersAndExtensionsAreRefused) {
  PhoneNormalizer phones("DE");
  for (const char* bad : {"5556677 Jolanda", "030 1234567 ext. 12", "1-800-FLOWERS"}) {
    auto result = phones.ToE164(bad, "phone_number");
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_EQ(result.status().message(), "phone_number: letters are not allowed in a phone number");
  }
}

}  // namespace
}  // namespace servicedesk::customers

namespace servicedesk::customers {
namespace {

// The fast path for canonical input must agree with libphonenumber's full parse.
TEST(PhoneNormalizerTest, CanonicalInputAgreesWithTheFullParse) {
  PhoneNormalizer phones("");
  for (const char* number : {"+49301234567", "+4915110000003", "+8613800138000", "+16502530000",
                             "+390612345678", "+442079460000", "+80012345678", "+6621234567"}) {
    auto fast = phones.ToE164(number, "f");
    auto spaced = phones.ToE164(std::string(number).insert(3, " "), "f");  // forces the full parse
    ASSERT_TRUE(fast.ok()) << number << ": " << fast.status();
    ASSERT_TRUE(spaced.ok()) << number;
    EXPECT_EQ(*fast, *spaced);
  }
  for (const char* bad : {"+4912", "+999123456789", "+1234567890123456", "+0123456789"}) {
    EXPECT_FALSE(phones.ToE164(bad, "f").ok()) << bad;
  }
}

}  // namespace
}  // namespace servicedesk::customers
