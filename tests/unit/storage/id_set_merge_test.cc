#include "storage/id_set_merge.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/database.h"
#include "storage/key_codec.h"
#include "tests/support/temp_dir.h"

namespace servicedesk::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class IdSetMergeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DatabaseOptions options;
    options.path = dir_.path();
    options.block_cache_bytes = 8 << 20;
    db_ = *Database::Open(options);
  }
  void Merge(const std::string& operand) {
    ASSERT_TRUE(db_->db()->Merge({}, db_->handle(Family::kCustomerIndex), "p+49301", operand).ok());
  }
  std::vector<uint64_t> Ids() {
    std::string value;
    auto status = db_->db()->Get({}, db_->handle(Family::kCustomerIndex), "p+49301", &value);
    EXPECT_TRUE(status.ok()) << status.ToString();
    std::vector<uint64_t> ids;
    EXPECT_TRUE(DecodeIdSet(value, &ids));
    return ids;
  }

  servicedesk::testing::TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST(IdSetTest, OperandsAreOpThenBigEndianId) {
  EXPECT_EQ(IdSetAdd(1), std::string("+") + EncodeU64(1));
  EXPECT_EQ(IdSetRemove(258), std::string("-") + EncodeU64(258));
}

TEST_F(IdSetMergeTest, AddsAndRemovesKeepASortedSet) {
  Merge(IdSetAdd(7));
  Merge(IdSetAdd(3));
  Merge(IdSetAdd(7));  // twice is once
  EXPECT_THAT(Ids(), ElementsAre(3, 7));
  Merge(IdSetRemove(3));
  Merge(IdSetRemove(99));  // absent: no effect
  EXPECT_THAT(Ids(), ElementsAre(7));
}

TEST_F(IdSetMergeTest, FoldedSetSurvivesFlushAndCompaction) {
  Merge(IdSetAdd(5));
  ASSERT_TRUE(db_->Flush().ok());
  Merge(IdSetAdd(2));
  Merge(IdSetRemove(5));
  ASSERT_TRUE(db_->db()->CompactRange({}, db_->handle(Family::kCustomerIndex), nullptr, nullptr).ok());
  EXPECT_THAT(Ids(), ElementsAre(2));
  Merge(IdSetRemove(2));
  EXPECT_THAT(Ids(), IsEmpty());
}

TEST_F(IdSetMergeTest, MalformedOperandIsReportedNotGuessed) {
  Merge("garbage");
  std::string value;
  EXPECT_FALSE(db_->db()->Get({}, db_->handle(Family::kCustomerIndex), "p+49301", &value).ok());
}

}  // namespace
}  // namespace servicedesk::storage
