// The value job's thread against the desk loop, without gRPC (so that ThreadSanitizer sees
// every hand-over): purchases, overrides and a stop while jobs read their snapshot.

#include "services/server/value_desk.h"

#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "services/server/routing_proto.h"
#include "tests/support/temp_dir.h"

namespace servicedesk::server {
namespace {

constexpr int kCustomers = 300;

class ValueDeskConcurrencyTest : public ::testing::Test {
 protected:
  template <typename Fn>
  auto OnLoop(Fn fn) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto result = task.get_future();
    loop_.Post([&task] { task(); });
    return result.get();
  }

  void SetUp() override {
    storage::DatabaseOptions options;
    options.path = dir_.path();
    auto db = storage::Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    customers_ = std::make_unique<storage::CustomerStore>(db_.get());
    // Customers written straight into the families (the desk loop owns the event writer).
    rocksdb::WriteBatch batch;
    storage::ValueStore values(db_.get());
    for (uint64_t id = 1; id <= kCustomers; ++id) {
      v1::Customer customer;
      customer.set_name(storage::CustomerName(id));
      customer.set_display_name("Customer " + std::to_string(id));
      customer.set_tier(v1::CUSTOMER_TIER_ORDINARY);
      customer.set_lifecycle_state(v1::LIFECYCLE_STATE_POTENTIAL);
      customers_->PutCustomer(&batch, id, nullptr, customer);
      v1::Purchase purchase;
      purchase.set_name(storage::PurchaseName(id, id));
      const int64_t micros = static_cast<int64_t>(id) * 1'000'000;
      values.PutPurchase(&batch, storage::ValueStore::PurchaseKey(id, absl::ToUnixMicros(clock_.Now()) - 86'400'000'000LL, id),
                         micros, purchase);
    }
    ASSERT_TRUE(db_->db()->Write(db_->write_options(), &batch).ok());
    auto writer = storage::EventWriter::Create(db_.get());
    ASSERT_TRUE(writer.ok());
    writer_ = *std::move(writer);
    desk_ = std::make_unique<ValueDesk>(config_, &clock_, &loop_, db_.get(), writer_.get(), customers_.get());
    ASSERT_TRUE(OnLoop([&] { return desk_->Start(); }).ok());  // starts the first job
  }

  void TearDown() override {
    EXPECT_TRUE(OnLoop([&] {
                  desk_->Stop();
                  return absl::OkStatus();
                }).ok());
    loop_.Stop();
  }

  std::future<absl::StatusOr<v1::ValueModel>> Recompute() {
    auto done = std::make_shared<std::promise<absl::StatusOr<v1::ValueModel>>>();
    auto future = done->get_future();
    loop_.Post([this, done] { desk_->Recompute([done](absl::StatusOr<v1::ValueModel> m) { done->set_value(m); }); });
    return future;
  }

  absl::StatusOr<v1::Purchase> Buy(uint64_t customer, int64_t units) {
    return OnLoop([&] {
      v1::RecordPurchaseRequest request;
      request.set_parent(storage::CustomerName(customer));
      request.mutable_purchase()->mutable_amount()->set_currency_code("EUR");
      request.mutable_purchase()->mutable_amount()->set_units(units);
      return desk_->RecordPurchase(request, "agents/a-1");
    });
  }

  servicedesk::testing::TempDir dir_;
  ManualClock clock_{absl::FromUnixSeconds(1'900'000'000)};
  Config config_;
  DeskLoop loop_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<storage::CustomerStore> customers_;
  std::unique_ptr<storage::EventWriter> writer_;
  std::unique_ptr<ValueDesk> desk_;
};

TEST_F(ValueDeskConcurrencyTest, PurchasesAndOverridesWhileJobsRunAreAllKept) {
  for (int round = 0; round < 3; ++round) {
    auto job = Recompute();
    // Another thread buys while the job reads its snapshot and applies its batches.
    std::thread buyer([&] {
      for (uint64_t id = 1; id <= kCustomers; id += 3) ASSERT_TRUE(Buy(id, 7).ok());
    });
    ASSERT_TRUE(OnLoop([&] {
                  v1::SetTierOverrideRequest request;
                  request.set_customer(storage::CustomerName(2));
                  request.set_tier(v1::CUSTOMER_TIER_KEY_IMPORTANT);
                  request.set_reason("round " + std::to_string(round));
                  *request.mutable_expire_time() = ToTimestamp(clock_.Now() + absl::Hours(24));
                  return desk_->SetTierOverride(request, "supervisors/s-1").status();
                }).ok());
    buyer.join();
    ASSERT_TRUE(job.get().ok());
  }
  ASSERT_TRUE(Recompute().get().ok());
  for (uint64_t id = 1; id <= kCustomers; ++id) {
    auto value = desk_->GetValue(storage::CustomerName(id));
    ASSERT_TRUE(value.ok());
    const bool bought = (id - 1) % 3 == 0;
    EXPECT_EQ(value->purchase_count(), bought ? 4 : 1) << id;
    EXPECT_EQ(value->total_spend().units(), static_cast<int64_t>(id) + (bought ? 21 : 0)) << id;
  }
  EXPECT_EQ(desk_->GetValue(storage::CustomerName(2))->tier(), v1::CUSTOMER_TIER_KEY_IMPORTANT);
}

TEST_F(ValueDeskConcurrencyTest, StopDuringARunningJobAnswersItsCallerAndJoinsTheThread) {
  auto job = Recompute();
  ASSERT_TRUE(OnLoop([&] {
                desk_->Stop();
                return absl::OkStatus();
              }).ok());
  const auto result = job.get();  // answered: done, or refused as the server stops
  if (!result.ok()) {
    EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  }
}

}  // namespace
}  // namespace servicedesk::server
