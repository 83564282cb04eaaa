#pragma once

#include <gtest/gtest.h>

#include "services/common/clock.h"
#include "services/customers/customer_commands.h"
#include "services/customers/customer_queries.h"
#include "tests/support/storage_snapshot.h"
#include "tests/support/temp_dir.h"

namespace servicedesk::customers {

// A real RocksDB in a temporary directory, a manual clock, the commands and the queries.
class CustomerFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::DatabaseOptions options;
    options.path = dir_.path();
    options.block_cache_bytes = 8 << 20;
    db_ = *storage::Database::Open(options);
    writer_ = *storage::EventWriter::Create(db_.get());
    store_ = std::make_unique<storage::CustomerStore>(db_.get());
    commands_ = std::make_unique<CustomerCommands>(store_.get(), writer_.get(), &phones_, &clock_);
    queries_ = std::make_unique<CustomerQueries>(store_.get(), &phones_);
  }

  v1::Customer Create(const std::string& name, std::vector<std::string> phones = {},
                      const std::string& external_id = "") {
    v1::CreateCustomerRequest request;
    request.mutable_customer()->set_kind(v1::CUSTOMER_KIND_INDIVIDUAL);
    request.mutable_customer()->set_display_name(name);
    request.mutable_customer()->set_external_id(external_id);
    for (const auto& phone : phones) request.mutable_customer()->add_phone_numbers()->set_number(phone);
    auto created = commands_->Create(request, "agents/test");
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : v1::Customer();
  }

  v1::Interaction Append(const v1::Customer& customer, int64_t start_seconds,
                         v1::InteractionChannel channel = v1::INTERACTION_CHANNEL_CALL,
                         const std::string& text = "") {
    v1::CreateInteractionRequest request;
    request.set_parent(customer.name());
    request.mutable_interaction()->set_channel(channel);
    request.mutable_interaction()->mutable_start_time()->set_seconds(start_seconds);
    request.mutable_interaction()->set_text(text);
    auto appended = commands_->AppendInteraction(request, "agents/test");
    EXPECT_TRUE(appended.ok()) << appended.status();
    return appended.ok() ? *appended : v1::Interaction();
  }

  std::map<std::string, std::string> Snapshot() { return servicedesk::testing::SnapshotAll(db_.get()); }

  servicedesk::testing::TempDir dir_;
  ManualClock clock_{absl::FromUnixSeconds(1'790'000'000)};
  PhoneNormalizer phones_{"DE"};
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<storage::EventWriter> writer_;
  std::unique_ptr<storage::CustomerStore> store_;
  std::unique_ptr<CustomerCommands> commands_;
  std::unique_ptr<CustomerQueries> queries_;
};

}  // namespace servicedesk::customers
