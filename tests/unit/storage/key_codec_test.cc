#include "storage/key_codec.h"

#include <algorithm>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace servicedesk::storage {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

TEST(KeyCodecTest, U64IsBigEndianToTheByte) {
  EXPECT_EQ(EncodeU64(0x0102030405060708ULL), Bytes({1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(EncodeU64(0), std::string(8, '\0'));
  std::string u32;
  AppendU32(&u32, 0xA1B2C3D4u);
  EXPECT_EQ(u32, Bytes({0xA1, 0xB2, 0xC3, 0xD4}));
}

TEST(KeyCodecTest, U64RoundTripsAndRejectsShortInput) {
  for (uint64_t value : {uint64_t{0}, uint64_t{1}, uint64_t{255}, uint64_t{256},
                         std::numeric_limits<uint64_t>::max()}) {
    EXPECT_EQ(ReadU64(EncodeU64(value)), value);
  }
  EXPECT_FALSE(ReadU64("1234567").has_value());
  EXPECT_FALSE(ReadU32("123").has_value());
}

TEST(KeyCodecTest, BytewiseOrderOfEncodedU64IsNumericOrder) {
  std::mt19937_64 random(7);
  for (int i = 0; i < 10000; ++i) {
    const uint64_t a = random() >> (random() % 64);
    const uint64_t b = random() >> (random() % 64);
    EXPECT_EQ(a < b, EncodeU64(a) < EncodeU64(b)) << a << " vs " << b;
  }
}

TEST(KeyCodecTest, InteractionKeysSortNewestFirstWithinACustomer) {
  std::vector<int64_t> times = {-5'000'000, 0, 1, 1'700'000'000'000'000, 1'700'000'000'000'001,
                                std::numeric_limits<int64_t>::max(),
                                std::numeric_limits<int64_t>::min()};
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < times.size(); ++i) keys.push_back(InteractionKey(42, times[i], i));
  std::sort(keys.begin(), keys.end());
  std::vector<int64_t> decoded;
  for (const auto& key : keys) {
    auto parts = DecodeInteractionKey(key);
    ASSERT_TRUE(parts.has_value());
    EXPECT_EQ(parts->customer_id, 42u);
    decoded.push_back(parts->start_time_us);
  }
  EXPECT_TRUE(std::is_sorted(decoded.rbegin(), decoded.rend()));
}

TEST(KeyCodecTest, InteractionKeyLayoutIsCustomerThenReversedTimeThenId) {
  const std::string key = InteractionKey(1, 0, 2);
  ASSERT_EQ(key.size(), 24u);
  EXPECT_EQ(key.substr(0, 8), EncodeU64(1));
  // time 0 maps to 2^63 in the ordered space, reversed: 2^64-1-2^63 = 0x7fff...ff
  EXPECT_EQ(key.substr(8, 8), EncodeU64(0x7fffffffffffffffULL));
  EXPECT_EQ(key.substr(16, 8), EncodeU64(2));
}

TEST(KeyCodecTest, SameTimeInteractionsAreOrderedById) {
  EXPECT_LT(InteractionKey(1, 100, 1), InteractionKey(1, 100, 2));
}

TEST(KeyCodecTest, CustomersDoNotInterleave) {
  EXPECT_LT(InteractionKey(1, std::numeric_limits<int64_t>::min(), 99),
            InteractionKey(2, std::numeric_limits<int64_t>::max(), 0));
}

TEST(KeyCodecTest, SeekKeyLandsOnFirstInteractionStrictlyBefore) {
  const std::string seek = InteractionSeekKey(7, 1000);
  EXPECT_GT(seek, InteractionKey(7, 1000, 5));  // at the bound: excluded
  EXPECT_LE(seek, InteractionKey(7, 999, 0));   // just before: included
  EXPECT_LE(seek, InteractionKey(7, 1, 0));
}

TEST(KeyCodecTest, NameIndexKeysEndWithTheCustomerId) {
  const std::string key = MultiIndexKey(IndexKind::kName, "anna", 9);
  EXPECT_EQ(key, std::string("nanna") + '\0' + EncodeU64(9));
  EXPECT_EQ(MultiIndexCustomerId(key), 9u);
  EXPECT_TRUE(key.starts_with(IndexPrefix(IndexKind::kName, "anna")));
  // A longer name never shares the exact-name prefix thanks to the separator, and sorts after.
  EXPECT_FALSE(MultiIndexKey(IndexKind::kName, "annabel", 1)
                   .starts_with(IndexPrefix(IndexKind::kName, "anna")));
  EXPECT_LT(key, MultiIndexKey(IndexKind::kName, "annabel", 1));
}

TEST(KeyCodecTest, UniqueIndexKeyIsKindThenValue) {
  EXPECT_EQ(UniqueIndexKey(IndexKind::kExternalId, "crm-1"), "xcrm-1");
  EXPECT_EQ(UniqueIndexKey(IndexKind::kPhone, "+4930123"), "p+4930123");
  EXPECT_EQ(UniqueIndexKey(IndexKind::kCustomerNumber, "C00000001"), "cC00000001");
}

TEST(KeyCodecTest, PrefixSuccessorIsTheSmallestLargerNonPrefixedKey) {
  EXPECT_EQ(PrefixSuccessor("abc"), "abd");
  EXPECT_EQ(PrefixSuccessor(Bytes({'a', 0xff})), "b");
  EXPECT_EQ(PrefixSuccessor(Bytes({0xff, 0xff})), "");
}

}  // namespace
}  // namespace servicedesk::storage
