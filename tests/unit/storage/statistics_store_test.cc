#include "storage/statistics_store.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

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

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

absl::Time At(int minutes) { return kT0 + absl::Minutes(minutes); }

// The 15-minute interval of `queue` starting at `start`, with `offered` as its marker.
v1::QueueIntervalRow Row(const std::string& queue, absl::Time start, int64_t offered) {
  v1::QueueIntervalRow row;
  row.set_queue(queue);
  const absl::Time end = start + absl::Minutes(15);
  row.mutable_statistics()->mutable_start_time()->set_seconds(absl::ToUnixSeconds(start));
  row.mutable_statistics()->mutable_end_time()->set_seconds(absl::ToUnixSeconds(end));
  row.mutable_statistics()->set_offered(offered);
  return row;
}

absl::Time StartOf(const v1::QueueIntervalRow& row) {
  return absl::FromUnixSeconds(row.statistics().start_time().seconds()) +
         absl::Nanoseconds(row.statistics().start_time().nanos());
}

std::vector<absl::Time> Starts(const std::vector<v1::QueueIntervalRow>& rows) {
  std::vector<absl::Time> starts;
  for (const auto& row : rows) starts.push_back(StartOf(row));
  return starts;
}

// Rows of `queue` starting at kT0 + 0, 15, ..., 15 * (count - 1) minutes, offered = index.
void PutRows(Database* db, const StatisticsStore& store, const std::string& queue, int count) {
  rocksdb::WriteBatch batch;
  for (int i = 0; i < count; ++i) store.PutInterval(&batch, Row(queue, At(15 * i), i));
  Write(db, &batch);
}

TEST(StatisticsStoreTest, IntervalsComeBackInStartOrderForThatQueueOnly) {
  TempDir dir;
  auto db = OpenOrDie(dir.path());
  StatisticsStore store(db.get());
  rocksdb::WriteBatch batch;
  // Put out of order, and one start before kT0.
  store.PutInterval(&batch, Row("queues/a", At(30), 3));
  store.PutInterval(&batch, Row("queues/a", At(0), 1));
  store.PutInterval(&batch, Row("queues/a", At(15), 2));
  // "queues/a" is a prefix of "queues/ab": the separator keeps them apart.
  store.PutInterval(&batch, Row("queues/ab", At(0), 10));
  store.PutInterval(&batch, Row("queues/ab", At(45), 11));
  store.PutInterval(&batch, Row("queues/ab", At(-15), 12));
  Write(db.get(), &batch);

  auto a = store.Intervals("queues/a", At(-60), At(60));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(Starts(*a), (std::vector<absl::Time>{At(0), At(15), At(30)}));
  for (const auto& row : *a) EXPECT_EQ(row.queue(), "queues/a");
  EXPECT_EQ((*a)[0].statistics().offered(), 1);
  EXPECT_EQ((*a)[2].statistics().offered(), 3);
  EXPECT_EQ((*a)[2].statistics().end_time().seconds(), absl::ToUnixSeconds(At(45)));

  auto ab = store.Intervals("queues/ab", At(-60), At(60));
  ASSERT_TRUE(ab.ok()) << ab.status();
  EXPECT_EQ(Starts(*ab), (std::vector<absl::Time>{At(-15), At(0), At(45)}));
  for (const auto& row : *ab) EXPECT_EQ(row.queue(), "queues/ab");

  // Neither a shorter nor a longer name sees them.
  EXPECT_TRUE(store.Intervals("queues/", At(-60), At(60))->empty());
  EXPECT_TRUE(store.Intervals("queues/abc", At(-60), At(60))->empty());
  EXPECT_TRUE(store.Intervals("queues/b", At(-60), At(60))->empty());
}

TEST(StatisticsStoreTest, FromIsInclusiveAndToIsExclusive) {
  TempDir dir;
  auto db = OpenOrDie(dir.path());
  StatisticsStore store(db.get());
  PutRows(db.get(), store, "queues/a", 3);  // 0, 15, 30
  PutRows(db.get(), store, "queues/ab", 3);

  EXPECT_EQ(Starts(*store.Intervals("queues/a", At(15), At(30))), (std::vector<absl::Time>{At(15)}));
  EXPECT_EQ(Starts(*store.Intervals("queues/a", At(0), At(30))), (std::vector<absl::Time>{At(0), At(15)}));
  EXPECT_EQ(Starts(*store.Intervals("queues/a", At(0) + absl::Microseconds(1), At(30) + absl::Microseconds(1))),
            (std::vector<absl::Time>{At(15), At(30)}));
  EXPECT_EQ(Starts(*store.Intervals("queues/a", At(0), absl::InfiniteFuture())),
            (std::vector<absl::Time>{At(0), At(15), At(30)}));
  // Empty and reversed ranges.
  EXPECT_TRUE(store.Intervals("queues/a", At(15), At(15))->empty());
  EXPECT_TRUE(store.Intervals("queues/a", At(30), At(0))->empty());
  EXPECT_TRUE(store.Intervals("queues/a", At(31), At(60))->empty());
}

TEST(StatisticsStoreTest, LimitCapsTheRows) {
  TempDir dir;
  auto db = OpenOrDie(dir.path());
  StatisticsStore store(db.get());
  PutRows(db.get(), store, "queues/a", 5);
  PutRows(db.get(), store, "queues/ab", 5);

  EXPECT_EQ(Starts(*store.Intervals("queues/a", At(0), At(120), 2)), (std::vector<absl::Time>{At(0), At(15)}));
  EXPECT_EQ(Starts(*store.Intervals("queues/a", At(15), At(120), 1)), (std::vector<absl::Time>{At(15)}));
  EXPECT_EQ(store.Intervals("queues/a", At(0), At(120), 0)->size(), 5u);  // 0: no limit
  EXPECT_EQ(store.Intervals("queues/a", At(0), At(120), 5)->size(), 5u);
  EXPECT_EQ(store.Intervals("queues/a", At(0), At(120), 50)->size(), 5u);
}

TEST(StatisticsStoreTest, AfterSkipsUpToAndIncludingThatStartForPaging) {
  TempDir dir;
  auto db = OpenOrDie(dir.path());
  StatisticsStore store(db.get());
  PutRows(db.get(), store, "queues/a", 5);  // 0, 15, 30, 45, 60
  PutRows(db.get(), store, "queues/ab", 5);

  // Pages of two, each after the last start of the page before.
  std::vector<std::vector<absl::Time>> pages;
  std::optional<absl::Time> after;
  for (int guard = 0; guard < 10; ++guard) {
    auto page = store.Intervals("queues/a", At(0), At(120), 2, after);
    ASSERT_TRUE(page.ok()) << page.status();
    if (page->empty()) break;
    pages.push_back(Starts(*page));
    after = StartOf(page->back());
  }
  EXPECT_EQ(pages, (std::vector<std::vector<absl::Time>>{{At(0), At(15)}, {At(30), At(45)}, {At(60)}}));

  // Between two starts: from the next one. The last one: nothing.
  EXPECT_EQ(Starts(*store.Intervals("queues/a", At(0), At(120), 0, At(20))),
            (std::vector<absl::Time>{At(30), At(45), At(60)}));
  EXPECT_TRUE(store.Intervals("queues/a", At(0), At(120), 0, At(60))->empty());
  // `to` still bounds a page.
  EXPECT_EQ(Starts(*store.Intervals("queues/a", At(0), At(45), 0, At(0))),
            (std::vector<absl::Time>{At(15), At(30)}));
  // `after` before `from` does not widen the range: rows start at `from` or later.
  EXPECT_EQ(Starts(*store.Intervals("queues/a", At(30), At(120), 0, At(0))),
            (std::vector<absl::Time>{At(30), At(45), At(60)}));
}

TEST(StatisticsStoreTest, ARowRewrittenUnderTheSameQueueAndStartReplacesTheOld) {
  TempDir dir;
  auto db = OpenOrDie(dir.path());
  StatisticsStore store(db.get());
  rocksdb::WriteBatch batch;
  store.PutInterval(&batch, Row("queues/a", At(0), 1));
  store.PutInterval(&batch, Row("queues/ab", At(0), 100));
  Write(db.get(), &batch);
  store.PutInterval(&batch, Row("queues/a", At(0), 2));
  Write(db.get(), &batch);
  // Twice in one batch: the last one wins.
  store.PutInterval(&batch, Row("queues/a", At(0), 3));
  store.PutInterval(&batch, Row("queues/a", At(0), 4));
  Write(db.get(), &batch);

  auto rows = store.Intervals("queues/a", At(-60), At(60));
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].statistics().offered(), 4);
  auto other = store.Intervals("queues/ab", At(-60), At(60));
  ASSERT_EQ(other->size(), 1u);
  EXPECT_EQ((*other)[0].statistics().offered(), 100);
}

TEST(StatisticsStoreTest, QueuesListsEveryQueueWithRowsSortedOnce) {
  TempDir dir;
  auto db = OpenOrDie(dir.path());
  StatisticsStore store(db.get());
  auto none = store.Queues();
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());

  for (const char* queue : {"queues/b", "queues/ab", "queues/a", "queues/a-b"}) {
    PutRows(db.get(), store, queue, 40);
  }
  auto queues = store.Queues();
  ASSERT_TRUE(queues.ok()) << queues.status();
  EXPECT_EQ(*queues, (std::vector<std::string>{"queues/a", "queues/a-b", "queues/ab", "queues/b"}));
}

TEST(StatisticsStoreTest, RowsSurviveClosingAndReopening) {
  TempDir dir;
  {
    auto db = OpenOrDie(dir.path());
    StatisticsStore store(db.get());
    PutRows(db.get(), store, "queues/a", 3);
    PutRows(db.get(), store, "queues/ab", 2);
  }
  auto db = OpenOrDie(dir.path());
  StatisticsStore store(db.get());
  auto queues = store.Queues();
  ASSERT_TRUE(queues.ok()) << queues.status();
  EXPECT_EQ(*queues, (std::vector<std::string>{"queues/a", "queues/ab"}));
  auto rows = store.Intervals("queues/a", At(0), At(120));
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(Starts(*rows), (std::vector<absl::Time>{At(0), At(15), At(30)}));
  EXPECT_EQ((*rows)[2].statistics().offered(), 2);
  EXPECT_EQ(store.Intervals("queues/ab", At(0), At(120))->size(), 2u);
}

}  // namespace
}  // namespace servicedesk::storage
