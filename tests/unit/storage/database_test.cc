#include "storage/database.h"

#include <thread>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

#include "storage/customer_store.h"
#include "storage/event_writer.h"
#include "storage/key_codec.h"
#include "tests/support/temp_dir.h"

namespace servicedesk::storage {
namespace {

using servicedesk::testing::TempDir;

DatabaseOptions OptionsAt(const std::string& path) {
  DatabaseOptions options;
  options.path = path;
  options.block_cache_bytes = 8 << 20;
  return options;
}

std::unique_ptr<Database> OpenOrDie(const std::string& path) {
  auto db = Database::Open(OptionsAt(path));
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? *std::move(db) : nullptr;
}

absl::StatusOr<uint64_t> CommitCustomer(Database* db, EventWriter* writer, const std::string& name) {
  CustomerStore store(db);
  rocksdb::WriteBatch batch;
  const uint64_t id = writer->NextId(&batch, "customer");
  v1::Customer customer;
  customer.set_name(CustomerName(id));
  customer.set_display_name(name);
  store.PutCustomer(&batch, id, nullptr, customer);
  v1::Event event;
  *event.mutable_customer_created()->mutable_customer() = customer;
  auto seq = writer->Commit(&batch, &event);
  if (!seq.ok()) return seq.status();
  return id;
}

TEST(DatabaseTest, NewDirectoryGetsTheCurrentSchemaVersion) {
  TempDir dir;
  auto db = OpenOrDie(dir.path());
  EXPECT_EQ(db->schema_version(), kSchemaVersion);
}

TEST(DatabaseTest, DataCountersAndEventSequenceSurviveReopen) {
  TempDir dir;
  {
    auto db = OpenOrDie(dir.path());
    auto writer = EventWriter::Create(db.get());
    ASSERT_TRUE(writer.ok());
    EXPECT_EQ(*CommitCustomer(db.get(), writer->get(), "Anna"), 1u);
    EXPECT_EQ(*CommitCustomer(db.get(), writer->get(), "Wei"), 2u);
    EXPECT_EQ((*writer)->last_seq(), 2u);
  }
  auto db = OpenOrDie(dir.path());
  auto writer = EventWriter::Create(db.get());
  ASSERT_TRUE(writer.ok());
  EXPECT_EQ((*writer)->last_seq(), 2u);
  CustomerStore store(db.get());
  auto anna = store.GetCustomer(1);
  ASSERT_TRUE(anna.ok());
  EXPECT_EQ(anna->display_name(), "Anna");
  // Ids continue after the last one handed out; the next event follows gap-free.
  EXPECT_EQ(*CommitCustomer(db.get(), writer->get(), "Lukas"), 3u);
  EXPECT_EQ((*writer)->last_seq(), 3u);
  std::string value;
  ASSERT_TRUE(db->db()->Get({}, db->handle(Family::kEvents), EventKey(3), &value).ok());
  v1::Event event;
  ASSERT_TRUE(event.ParseFromString(value));
  EXPECT_EQ(event.seq(), 3u);
  EXPECT_EQ(event.shard(), "default");
  EXPECT_EQ(event.customer_created().customer().display_name(), "Lukas");
}

TEST(DatabaseTest, SeveralEventsOfOneChangeTakeConsecutiveSequenceNumbersInOneWrite) {
  TempDir dir;
  auto db = OpenOrDie(dir.path());
  auto writer = *EventWriter::Create(db.get());
  rocksdb::WriteBatch batch;
  batch.Put(db->handle(Family::kRouting), "row", "value");
  v1::Event call, routing;
  call.set_principal("cti/pbx-1");
  routing.set_principal("cti/pbx-1");
  auto last = writer->Commit(&batch, {&call, &routing});
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(*last, 2u);
  EXPECT_EQ(call.seq(), 1u);
  EXPECT_EQ(routing.seq(), 2u);
  std::string value;
  ASSERT_TRUE(db->db()->Get({}, db->handle(Family::kEvents), EncodeU64(1), &value).ok());
  ASSERT_TRUE(db->db()->Get({}, db->handle(Family::kEvents), EncodeU64(2), &value).ok());
  ASSERT_TRUE(db->db()->Get({}, db->handle(Family::kRouting), "row", &value).ok());
  EXPECT_EQ(writer->last_seq(), 2u);
}

TEST(DatabaseTest, NewerSchemaIsRefusedWithOneLine) {
  TempDir dir;
  {
    auto db = OpenOrDie(dir.path());
    std::string newer;
    AppendU32(&newer, kSchemaVersion + 1);
    ASSERT_TRUE(db->db()->Put({}, db->handle(Family::kMeta), "schema_version", newer).ok());
  }
  auto db = Database::Open(OptionsAt(dir.path()));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(db.status().message().find(absl::StrCat("schema version ", kSchemaVersion + 1)),
            absl::string_view::npos);
  EXPECT_EQ(db.status().message().find('\n'), absl::string_view::npos);
}

TEST(DatabaseTest, AnOlderSchemaIsUpgradedInPlace) {
  TempDir dir;
  {
    auto db = OpenOrDie(dir.path());
    std::string older;
    AppendU32(&older, 1);
    ASSERT_TRUE(db->db()->Put({}, db->handle(Family::kMeta), "schema_version", older).ok());
    ASSERT_TRUE(db->db()->Put({}, db->handle(Family::kCustomers), "k", "v").ok());
  }
  auto db = OpenOrDie(dir.path());
  EXPECT_EQ(db->schema_version(), kSchemaVersion);
  std::string value;
  ASSERT_TRUE(db->db()->Get({}, db->handle(Family::kCustomers), "k", &value).ok());
  EXPECT_EQ(value, "v");  // data kept
  ASSERT_TRUE(db->db()->Get({}, db->handle(Family::kMeta), "schema_version", &value).ok());
  EXPECT_EQ(ReadU32(value), kSchemaVersion);
}

TEST(DatabaseTest, LockedDirectoryIsRefused) {
  TempDir dir;
  auto first = OpenOrDie(dir.path());
  auto second = Database::Open(OptionsAt(dir.path()));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("locked"), absl::string_view::npos);
}

TEST(DatabaseTest, UnreadableSchemaVersionIsRefusedNotRepaired) {
  TempDir dir;
  {
    auto db = OpenOrDie(dir.path());
    ASSERT_TRUE(db->db()->Put({}, db->handle(Family::kMeta), "schema_version", "x").ok());
  }
  auto db = Database::Open(OptionsAt(dir.path()));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(CustomerStoreTest, UpdateMovesIndexRowsAndKeepsSharedOnes) {
  TempDir dir;
  auto db = OpenOrDie(dir.path());
  auto writer = *EventWriter::Create(db.get());
  CustomerStore store(db.get());
  v1::Customer before;
  before.set_display_name("Anna");
  before.add_phone_numbers()->set_number("+4930111");
  before.add_phone_numbers()->set_number("+4930222");
  rocksdb::WriteBatch create;
  store.PutCustomer(&create, 1, nullptr, before);
  v1::Event event;
  ASSERT_TRUE(writer->Commit(&create, &event).ok());

  v1::Customer after = before;
  after.mutable_phone_numbers(0)->set_number("+4930333");
  rocksdb::WriteBatch update;
  store.PutCustomer(&update, 1, &before, after);
  ASSERT_TRUE(writer->Commit(&update, &event).ok());

  EXPECT_TRUE(store.FindByPhone("+4930111")->empty());
  EXPECT_EQ(*store.FindByPhone("+4930222"), std::vector<uint64_t>{1});
  EXPECT_EQ(*store.FindByPhone("+4930333"), std::vector<uint64_t>{1});
}

}  // namespace
}  // namespace servicedesk::storage

namespace servicedesk::storage {
namespace {

TEST(EventWriterDeathTest, ASecondWritingThreadEndsTheProcess) {
  // RocksDB runs background threads: a plain fork could inherit a lock one of them holds.
  // "threadsafe" re-executes the test binary for the dying statement instead.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  servicedesk::testing::TempDir dir;
  auto db = OpenOrDie(dir.path());
  auto writer = *EventWriter::Create(db.get());
  rocksdb::WriteBatch batch;
  writer->NextId(&batch, "customer");
  EXPECT_DEATH(std::thread([&] { writer->NextId(&batch, "customer"); }).join(),
               "EventWriter used from a second thread");
}

}  // namespace
}  // namespace servicedesk::storage
