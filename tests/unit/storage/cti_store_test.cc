#include "storage/cti_store.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace servicedesk::storage {
namespace {

using servicedesk::testing::TempDir;

std::unique_ptr<Database> OpenOrDie(const std::string& path) {
  DatabaseOptions options;
  options.path = path;
  auto db = Database::Open(options);
  EXPECT_TRUE(db.ok()) << db.status();
  return *std::move(db);
}

void Write(Database* db, rocksdb::WriteBatch* batch) {
  ASSERT_TRUE(db->db()->Write(rocksdb::WriteOptions(), batch).ok());
  batch->Clear();
}

TEST(CtiStoreTest, EventIdsAreForgottenOldestFirstOnlyWhenOlderThanTheCutoff) {
  TempDir dir;
  auto db = OpenOrDie(dir.path());
  CtiStore store(db.get());
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  rocksdb::WriteBatch batch;
  store.PutSeen(&batch, "pbx-1", "e-old", t0);
  store.PutSeen(&batch, "pbx-2", "e-mid", t0 + absl::Hours(1));
  store.PutSeen(&batch, "pbx-1", "e-new", t0 + absl::Hours(2));
  Write(db.get(), &batch);

  // Applied exactly at the cutoff: kept (the horizon is a minimum).
  auto expired = store.ExpireSeen(&batch, t0 + absl::Hours(1), 100);
  ASSERT_TRUE(expired.ok());
  EXPECT_EQ(*expired, 1);
  Write(db.get(), &batch);
  EXPECT_FALSE(*store.Seen("pbx-1", "e-old"));
  EXPECT_TRUE(*store.Seen("pbx-2", "e-mid"));
  EXPECT_TRUE(*store.Seen("pbx-1", "e-new"));

  // The limit bounds one sweep; the next one takes the rest.
  expired = store.ExpireSeen(&batch, t0 + absl::Hours(3), 1);
  EXPECT_EQ(*expired, 1);
  Write(db.get(), &batch);
  EXPECT_FALSE(*store.Seen("pbx-2", "e-mid"));
  EXPECT_TRUE(*store.Seen("pbx-1", "e-new"));
  expired = store.ExpireSeen(&batch, t0 + absl::Hours(3), 100);
  EXPECT_EQ(*expired, 1);
  Write(db.get(), &batch);
  EXPECT_FALSE(*store.Seen("pbx-1", "e-new"));
  EXPECT_EQ(*store.ExpireSeen(&batch, t0 + absl::Hours(100), 100), 0);
}

TEST(CtiStoreTest, InstructionsComeBackBySourceInTheOrderGivenUntilDeleted) {
  TempDir dir;
  auto db = OpenOrDie(dir.path());
  CtiStore store(db.get());
  rocksdb::WriteBatch batch;
  // Numbers whose decimal order differs from their numeric order: keys are big-endian.
  for (uint64_t number : {300u, 7u, 25u}) {
    v1::RoutingInstruction instruction;
    instruction.set_instruction_id("i-" + std::to_string(number));
    instruction.set_call_id("c" + std::to_string(number));
    instruction.mutable_connect()->set_agent("agents/a-1");
    store.PutInstruction(&batch, "pbx-1", number, instruction);
  }
  v1::RoutingInstruction other;
  other.set_instruction_id("i-8");
  other.mutable_withdraw()->set_reason("gone");
  store.PutInstruction(&batch, "pbx-2", 8, other);
  store.DeleteInstruction(&batch, "pbx-1", 25);
  Write(db.get(), &batch);

  auto loaded = store.LoadInstructions();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->size(), 3u);
  EXPECT_EQ((*loaded)[0].source, "pbx-1");
  EXPECT_EQ((*loaded)[0].number, 7u);
  EXPECT_EQ((*loaded)[1].number, 300u);
  EXPECT_EQ((*loaded)[1].instruction.call_id(), "c300");
  EXPECT_EQ((*loaded)[2].source, "pbx-2");
  EXPECT_EQ((*loaded)[2].instruction.withdraw().reason(), "gone");
  // Calls and event ids are other rows of the family: not instructions.
  store.PutSeen(&batch, "pbx-1", "e1", absl::Now());
  v1::CtiCallRow call;
  call.set_source("pbx-1");
  call.set_call_id("c1");
  store.PutCall(&batch, call);
  Write(db.get(), &batch);
  EXPECT_EQ(store.LoadInstructions()->size(), 3u);
  EXPECT_EQ(store.LoadCalls()->size(), 1u);
}

}  // namespace
}  // namespace servicedesk::storage
