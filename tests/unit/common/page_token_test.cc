#include "services/common/page_token.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace servicedesk {
namespace {

TEST(PageTokenTest, RoundTripsBinaryKeys) {
  const std::string key("n\0anna\x01\xff", 8);
  auto decoded = DecodePageToken(EncodePageToken("customers", key), "customers", "n");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, key);
}

TEST(PageTokenTest, GarbageIsInvalidArgumentNamingPageToken) {
  for (const char* token : {"%%%", "bm9wZQ", "", "MWN1c3RvbWVyczpu"}) {
    auto decoded = DecodePageToken(token, "interactions", "");
    ASSERT_FALSE(decoded.ok()) << token;
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StartsWith(decoded.status().message(), "page_token:"));
  }
}

TEST(PageTokenTest, TokenOfAnotherQueryIsRefused) {
  const std::string token = EncodePageToken("customers", "nwang");
  EXPECT_FALSE(DecodePageToken(token, "customers", "nli").ok());
  EXPECT_FALSE(DecodePageToken(token, "interactions", "n").ok());
  EXPECT_TRUE(DecodePageToken(token, "customers", "nwa").ok());
}

TEST(PageTokenTest, PageSizeDefaultsClampsAndRefusesNegative) {
  EXPECT_EQ(*EffectivePageSize(0, 50, 500), 50);
  EXPECT_EQ(*EffectivePageSize(7, 50, 500), 7);
  EXPECT_EQ(*EffectivePageSize(10000, 50, 500), 500);
  auto negative = EffectivePageSize(-1, 50, 500);
  ASSERT_FALSE(negative.ok());
  EXPECT_TRUE(absl::StartsWith(negative.status().message(), "page_size:"));
}

}  // namespace
}  // namespace servicedesk
