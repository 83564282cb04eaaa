#include "services/server/desk_server.h"

#include <atomic>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "servicedesk/v1/customer.grpc.pb.h"
#include "servicedesk/v1/diagnostics.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/support/storage_snapshot.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_config.h"

namespace servicedesk::server {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kAgentToken = "agent-token-0000001";
constexpr const char* kCtiToken = "cti-token-000000001";
constexpr const char* kAdminToken = "admin-token-0000001";

class DeskServerTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(); }

  void StartServer() {
    Config config = servicedesk::testing::LoopbackConfig(dir_.path());
    config.tokens = {{kAgentToken, "agents/a-1", Role::kAgent},
                     {kCtiToken, "cti/pbx-1", Role::kCti},
                     {kAdminToken, "admins/root", Role::kAdmin}};
    auto desk = DeskServer::Start(config);
    ASSERT_TRUE(desk.ok()) << desk.status();
    desk_ = *std::move(desk);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(desk_->port()),
                                   grpc::InsecureChannelCredentials());
    customers_ = v1::CustomerService::NewStub(channel_);
  }

  std::unique_ptr<grpc::ClientContext> Context(const char* token = kAgentToken) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (token != nullptr) context->AddMetadata("authorization", std::string("Bearer ") + token);
    return context;
  }

  v1::Customer CreateCustomer(const std::string& name, const std::string& phone) {
    v1::CreateCustomerRequest request;
    request.mutable_customer()->set_kind(v1::CUSTOMER_KIND_INDIVIDUAL);
    request.mutable_customer()->set_display_name(name);
    if (!phone.empty()) request.mutable_customer()->add_phone_numbers()->set_number(phone);
    v1::Customer customer;
    auto status = customers_->CreateCustomer(Context().get(), request, &customer);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return customer;
  }

  servicedesk::testing::TempDir dir_;
  std::unique_ptr<DeskServer> desk_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::CustomerService::Stub> customers_;
};

TEST_F(DeskServerTest, HealthReportsServingWithoutAToken) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  auto status = health->Check(Context(nullptr).get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(DeskServerTest, PingReportsThePrincipal) {
  auto diagnostics = v1::DiagnosticsService::NewStub(channel_);
  v1::PingResponse response;
  ASSERT_TRUE(diagnostics->Ping(Context(kCtiToken).get(), {}, &response).ok());
  EXPECT_EQ(response.principal(), "cti/pbx-1");
  EXPECT_EQ(response.role(), "cti");
}

TEST_F(DeskServerTest, CreateThenPopTheScreenByAnotherWritingOfTheNumber) {
  v1::Customer anna = CreateCustomer("Anna Schmidt", "030 1234567");
  EXPECT_EQ(anna.name(), "customers/1");
  for (int i = 0; i < 3; ++i) {
    v1::CreateInteractionRequest request;
    request.set_parent(anna.name());
    request.mutable_interaction()->set_channel(v1::INTERACTION_CHANNEL_CALL);
    request.mutable_interaction()->mutable_start_time()->set_seconds(1'700'000'000 + i);
    request.mutable_interaction()->set_text("call " + std::to_string(i));
    v1::Interaction interaction;
    ASSERT_TRUE(customers_->CreateInteraction(Context().get(), request, &interaction).ok());
  }
  v1::GetCustomerContextRequest request;
  request.set_phone_number("+49 (30) 123 4567");
  v1::CustomerContext context;
  auto status = customers_->GetCustomerContext(Context().get(), request, &context);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(context.known_caller());
  EXPECT_EQ(context.customer().display_name(), "Anna Schmidt");
  ASSERT_EQ(context.recent_interactions_size(), 3);
  EXPECT_EQ(context.recent_interactions(0).text(), "call 2");
}

TEST_F(DeskServerTest, AuthRefusesMissingAndWrongRoleTokens) {
  v1::GetCustomerContextRequest request;
  request.set_phone_number("+49301234567");
  v1::CustomerContext context;
  EXPECT_EQ(customers_->GetCustomerContext(Context(nullptr).get(), request, &context).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(customers_->GetCustomerContext(Context("Bearer-less").get(), request, &context).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  auto denied = customers_->GetCustomerContext(Context(kCtiToken).get(), request, &context);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(denied.error_message(), HasSubstr("role cti"));

  v1::ImportCustomersResponse response;
  auto import_context = Context(kAgentToken);
  auto writer = customers_->ImportCustomers(import_context.get(), &response);
  writer->WritesDone();
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(DeskServerTest, RefusedWritesLeaveStorageUnchanged) {
  CreateCustomer("Anna", "+49301234567");
  const auto before = servicedesk::testing::SnapshotAll(desk_->database());
  v1::CreateCustomerRequest create;
  create.mutable_customer()->set_kind(v1::CUSTOMER_KIND_INDIVIDUAL);
  create.mutable_customer()->set_display_name(std::string(201, 'x'));
  v1::Customer customer;
  auto status = customers_->CreateCustomer(Context().get(), create, &customer);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("customer.display_name:"));

  v1::UpdateCustomerRequest update;
  update.mutable_customer()->set_name("customers/1");
  update.mutable_update_mask()->add_paths("nickname");
  status = customers_->UpdateCustomer(Context().get(), update, &customer);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("update_mask:"));

  v1::CreateInteractionRequest interaction;
  interaction.set_parent("customers/404");
  interaction.mutable_interaction()->set_channel(v1::INTERACTION_CHANNEL_NOTE);
  v1::Interaction created;
  EXPECT_EQ(customers_->CreateInteraction(Context().get(), interaction, &created).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(servicedesk::testing::SnapshotAll(desk_->database()), before);
}

TEST_F(DeskServerTest, BulkImportReportsBadRecordsAndIsIdempotent) {
  auto import = [&](v1::ImportCustomersResponse* response) {
    auto context = Context(kAdminToken);
    auto writer = customers_->ImportCustomers(context.get(), response);
    for (int i = 0; i < 4; ++i) {
      v1::ImportCustomersRequest request;
      auto* record = request.mutable_record();
      record->set_external_id("crm-" + std::to_string(i));
      record->mutable_customer()->set_kind(v1::CUSTOMER_KIND_ENTERPRISE);
      record->mutable_customer()->set_display_name("Company " + std::to_string(i));
      record->mutable_customer()->add_phone_numbers()->set_number(i == 2 ? "bogus" : "+4940123450" + std::to_string(i));
      record->add_interactions()->set_channel(v1::INTERACTION_CHANNEL_EMAIL);
      EXPECT_TRUE(writer->Write(request));
    }
    writer->WritesDone();
    return writer->Finish();
  };
  v1::ImportCustomersResponse first;
  ASSERT_TRUE(import(&first).ok());
  EXPECT_EQ(first.received(), 4);
  EXPECT_EQ(first.created(), 3);
  EXPECT_EQ(first.interactions_created(), 3);
  ASSERT_EQ(first.errors_size(), 1);
  EXPECT_EQ(first.errors(0).index(), 2);
  EXPECT_EQ(first.errors(0).external_id(), "crm-2");
  EXPECT_EQ(first.errors(0).field(), "record.customer.phone_numbers[0].number");

  v1::ImportCustomersResponse second;
  ASSERT_TRUE(import(&second).ok());
  EXPECT_EQ(second.created(), 0);
  EXPECT_EQ(second.unchanged(), 3);
  EXPECT_EQ(second.errors_size(), 1);
}

TEST_F(DeskServerTest, ConcurrentWritersAndReadersKeepNumbersUnique) {
  constexpr int kThreads = 6;
  constexpr int kPerThread = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<std::string> numbers;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto stub = v1::CustomerService::NewStub(channel_);
      for (int i = 0; i < kPerThread; ++i) {
        const std::string phone = "+4989" + std::to_string(1000000 + t * 1000 + i);
        v1::CreateCustomerRequest request;
        request.mutable_customer()->set_kind(v1::CUSTOMER_KIND_INDIVIDUAL);
        request.mutable_customer()->set_display_name("Caller " + phone);
        request.mutable_customer()->add_phone_numbers()->set_number(phone);
        v1::Customer customer;
        if (!stub->CreateCustomer(Context().get(), request, &customer).ok()) {
          ++failures;
          continue;
        }
        {
          std::lock_guard lock(mu);
          numbers.insert(customer.customer_number());
        }
        v1::GetCustomerContextRequest pop;
        pop.set_phone_number(phone);
        v1::CustomerContext context;
        if (!stub->GetCustomerContext(Context().get(), pop, &context).ok() ||
            context.customer().name() != customer.name()) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(numbers.size(), static_cast<std::size_t>(kThreads * kPerThread));
}

TEST_F(DeskServerTest, DataSurvivesARestartOnTheSameDirectory) {
  v1::Customer anna = CreateCustomer("Anna", "+49301234567");
  desk_->Shutdown();
  desk_.reset();
  StartServer();
  v1::GetCustomerRequest request;
  request.set_name(anna.name());
  v1::Customer again;
  ASSERT_TRUE(customers_->GetCustomer(Context().get(), request, &again).ok());
  EXPECT_EQ(again.customer_number(), anna.customer_number());
  // Ids continue after a restart.
  EXPECT_EQ(CreateCustomer("Wei", "").name(), "customers/2");
}

TEST_F(DeskServerTest, SecondServerOnTheSameDirectoryIsRefused) {
  Config config;
  config.listen = "127.0.0.1:0";
  config.data_dir = dir_.path();
  config.auth_enabled = false;
  auto second = DeskServer::Start(config);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("locked"));
}

}  // namespace
}  // namespace servicedesk::server
