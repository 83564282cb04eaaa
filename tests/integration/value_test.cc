// Customer value through a real servicedeskd (in-process) on a loopback port, in manual
// time: purchases and what they change (lifecycle, tier, history, screen pop), the value
// job's quintiles and bands, tier overrides with their expiry across a restart, bad input
// that changes nothing, idempotent retries and imports, purchases during a running job.

#include <algorithm>
#include <thread>

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "services/server/desk_server.h"
#include "servicedesk/v1/customer.grpc.pb.h"
#include "servicedesk/v1/customer_value.grpc.pb.h"
#include "servicedesk/v1/survey.grpc.pb.h"
#include "tests/support/grpc_context.h"
#include "tests/support/storage_snapshot.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_config.h"

namespace servicedesk::server {
namespace {

using servicedesk::testing::Context;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kAgent = "agent-1-token-000001";
constexpr const char* kSupervisor = "supervisor-token-0001";
constexpr const char* kAdmin = "admin-token-00000001";
constexpr absl::Duration kDay = absl::Hours(24);

google::protobuf::Timestamp Stamp(absl::Time t) {
  google::protobuf::Timestamp stamp;
  stamp.set_seconds(absl::ToUnixSeconds(t));
  return stamp;
}

class ValueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    manual_ = std::make_unique<ManualClock>(absl::FromUnixSeconds(1'900'000'000));
    Start();
  }

  void Start(bool recompute = true) {
    Config config = servicedesk::testing::LoopbackConfig(dir_.path());
    config.tokens = {{kAgent, "agents/a-1", Role::kAgent},
                     {kSupervisor, "supervisors/s-1", Role::kSupervisor},
                     {kAdmin, "admins/root", Role::kAdmin}};
    config.crm.base_currency = "EUR";
    config.crm.exchange_rates = {{"USD", 0.5}};
    config.crm.max_purchase_amount = 100'000;
    auto desk = DeskServer::Start(config, manual_.get());
    ASSERT_TRUE(desk.ok()) << desk.status();
    desk_ = *std::move(desk);
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(desk_->port()),
                                       grpc::InsecureChannelCredentials());
    customers_ = v1::CustomerService::NewStub(channel);
    values_ = v1::CustomerValueService::NewStub(channel);
    surveys_ = v1::SurveyService::NewStub(channel);
    // The job that runs at start (on an empty base) is done before the test goes on.
    if (recompute) Recompute();
  }

  void Restart(bool recompute = true) {
    desk_->Shutdown();
    desk_.reset();
    Start(recompute);
  }

  std::string NewCustomer(const std::string& name, v1::CustomerTier tier = v1::CUSTOMER_TIER_ORDINARY) {
    v1::CreateCustomerRequest create;
    create.mutable_customer()->set_kind(v1::CUSTOMER_KIND_INDIVIDUAL);
    create.mutable_customer()->set_display_name(name);
    create.mutable_customer()->set_tier(tier);
    std::string external_id = "ext-" + name;
    std::replace(external_id.begin(), external_id.end(), ' ', '-');
    create.mutable_customer()->set_external_id(external_id);
    v1::Customer customer;
    EXPECT_TRUE(customers_->CreateCustomer(Context(kAgent).get(), create, &customer).ok());
    return customer.name();
  }

  grpc::Status Buy(const std::string& customer, int64_t units, v1::Purchase* out = nullptr,
                   absl::Duration ago = absl::ZeroDuration(), const std::string& currency = "EUR",
                   const std::string& order_id = "", const std::string& request_id = "") {
    manual_->Advance(absl::Seconds(1));  // one purchase after the other, as in life
    v1::RecordPurchaseRequest request;
    request.set_parent(customer);
    request.set_request_id(request_id);
    request.mutable_purchase()->mutable_amount()->set_currency_code(currency);
    request.mutable_purchase()->mutable_amount()->set_units(units);
    request.mutable_purchase()->set_product("espresso machine");
    request.mutable_purchase()->set_order_id(order_id);
    if (ago > absl::ZeroDuration()) *request.mutable_purchase()->mutable_purchase_time() = Stamp(manual_->Now() - ago);
    v1::Purchase purchase;
    auto status = values_->RecordPurchase(Context(kAgent).get(), request, &purchase);
    if (out != nullptr) *out = purchase;
    return status;
  }

  v1::CustomerValue Value(const std::string& customer) {
    v1::GetCustomerValueRequest request;
    request.set_customer(customer);
    v1::CustomerValue value;
    auto status = values_->GetCustomerValue(Context(kAgent).get(), request, &value);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return value;
  }

  v1::ValueModel Recompute() {
    v1::ValueModel model;
    auto status = values_->RecomputeValues(Context(kAdmin).get(), v1::RecomputeValuesRequest(), &model);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return model;
  }

  std::vector<v1::Interaction> History(const std::string& customer, v1::InteractionChannel channel) {
    v1::ListInteractionsRequest request;
    request.set_parent(customer);
    request.add_channels(channel);
    v1::ListInteractionsResponse response;
    EXPECT_TRUE(customers_->ListInteractions(Context(kAgent).get(), request, &response).ok());
    return {response.interactions().begin(), response.interactions().end()};
  }

  v1::Customer File(const std::string& customer) {
    v1::GetCustomerRequest request;
    request.set_name(customer);
    v1::Customer out;
    EXPECT_TRUE(customers_->GetCustomer(Context(kAgent).get(), request, &out).ok());
    return out;
  }

  servicedesk::testing::TempDir dir_;
  std::unique_ptr<ManualClock> manual_;
  std::unique_ptr<DeskServer> desk_;
  std::unique_ptr<v1::CustomerService::Stub> customers_;
  std::unique_ptr<v1::CustomerValueService::Stub> values_;
  std::unique_ptr<v1::SurveyService::Stub> surveys_;
};

TEST_F(ValueTest, FirstPurchaseMakesAFirstTimeBuyerInTheFileHistoryAndScreenPop) {
  const std::string ada = NewCustomer("Ada");
  EXPECT_EQ(File(ada).lifecycle_state(), v1::LIFECYCLE_STATE_POTENTIAL);
  v1::Purchase purchase;
  ASSERT_TRUE(Buy(ada, 120, &purchase).ok());
  EXPECT_THAT(purchase.name(), StartsWith(ada + "/purchases/"));
  EXPECT_EQ(purchase.base_amount().units(), 120);
  EXPECT_EQ(purchase.base_amount().currency_code(), "EUR");

  const v1::CustomerValue value = Value(ada);
  EXPECT_EQ(value.purchase_count(), 1);
  EXPECT_EQ(value.total_spend().units(), 120);
  EXPECT_EQ(value.window_purchase_count(), 1);
  EXPECT_EQ(value.lifecycle_state(), v1::LIFECYCLE_STATE_FIRST_TIME);
  // The base had no purchases at the last run: no scores, and the file's tier stands.
  EXPECT_EQ(value.rfm().recency(), 0);
  EXPECT_EQ(value.tier(), v1::CUSTOMER_TIER_ORDINARY);
  EXPECT_EQ(value.lifetime_value().units(), 108);  // 120 / 1 year x 0.3 x 3
  EXPECT_THAT(value.lifetime_value_formula(), HasSubstr("gross margin"));

  EXPECT_EQ(File(ada).lifecycle_state(), v1::LIFECYCLE_STATE_FIRST_TIME);
  const auto changes = History(ada, v1::INTERACTION_CHANNEL_LIFECYCLE_CHANGE);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].outcome(), "first-time");
  EXPECT_THAT(changes[0].text(), HasSubstr("potential -> first-time (purchase)"));

  v1::GetCustomerContextRequest pop_request;
  pop_request.set_customer(ada);
  v1::CustomerContext pop;
  ASSERT_TRUE(customers_->GetCustomerContext(Context(kAgent).get(), pop_request, &pop).ok());
  EXPECT_EQ(pop.customer().lifecycle_state(), v1::LIFECYCLE_STATE_FIRST_TIME);
  EXPECT_EQ(pop.value().purchase_count(), 1);
  EXPECT_EQ(pop.value().total_spend().units(), 120);
  ASSERT_GE(pop.recent_interactions_size(), 1);
  EXPECT_EQ(pop.recent_interactions(0).channel(), v1::INTERACTION_CHANNEL_LIFECYCLE_CHANGE);

  // A second purchase: repeat, and the purchases list newest first.
  ASSERT_TRUE(Buy(ada, 30, nullptr, absl::ZeroDuration(), "USD").ok());  // 15 EUR
  EXPECT_EQ(Value(ada).lifecycle_state(), v1::LIFECYCLE_STATE_REPEAT);
  EXPECT_EQ(Value(ada).total_spend().units(), 135);
  EXPECT_EQ(Value(ada).repeat_purchases(), 1);
  v1::ListPurchasesRequest list;
  list.set_parent(ada);
  list.set_page_size(1);
  v1::ListPurchasesResponse page;
  ASSERT_TRUE(values_->ListPurchases(Context(kAgent).get(), list, &page).ok());
  ASSERT_EQ(page.purchases_size(), 1);
  EXPECT_EQ(page.purchases(0).amount().currency_code(), "USD");
  ASSERT_FALSE(page.next_page_token().empty());
  list.set_page_token(page.next_page_token());
  ASSERT_TRUE(values_->ListPurchases(Context(kAgent).get(), list, &page).ok());
  ASSERT_EQ(page.purchases_size(), 1);
  EXPECT_EQ(page.purchases(0).name(), purchase.name());
  EXPECT_TRUE(page.next_page_token().empty());
}

TEST_F(ValueTest, TheJobScoresByQuintileAndSetsTiersByTheEightyTwentyRule) {
  // Spends 500, 300, 100, 60, 40 (total 1000): the first half is key-important (500), up to
  // 80 % key-secondary (300), up to 95 % ordinary (100, 60), the rest small (40).
  const int64_t spends[] = {500, 300, 100, 60, 40};
  std::vector<std::string> names;
  for (int i = 0; i < 5; ++i) {
    names.push_back(NewCustomer("Customer " + std::to_string(i)));
    ASSERT_TRUE(Buy(names.back(), spends[i], nullptr, kDay * (10 * (i + 1))).ok());
  }
  const v1::ValueModel model = Recompute();
  EXPECT_EQ(model.scored_customers(), 5);
  EXPECT_EQ(model.key_important_from().units(), 500);
  EXPECT_EQ(model.key_secondary_from().units(), 300);
  EXPECT_EQ(model.ordinary_from().units(), 60);
  EXPECT_EQ(model.total_window_spend().units(), 1000);
  EXPECT_EQ(model.tier_changes(), 3);  // ordinary -> key-important, key-secondary, small
  EXPECT_THAT(model.rules(), HasSubstr("base currency EUR"));

  const v1::CustomerTier expected[] = {v1::CUSTOMER_TIER_KEY_IMPORTANT, v1::CUSTOMER_TIER_KEY_SECONDARY,
                                       v1::CUSTOMER_TIER_ORDINARY, v1::CUSTOMER_TIER_ORDINARY,
                                       v1::CUSTOMER_TIER_SMALL};
  for (int i = 0; i < 5; ++i) {
    const auto value = Value(names[i]);
    EXPECT_EQ(value.tier(), expected[i]) << i;
    EXPECT_EQ(File(names[i]).tier(), expected[i]) << i;
    // One purchase each: frequency ties (everyone 1); recency and monetary fall with i.
    EXPECT_EQ(value.rfm().recency(), 5 - i) << i;
    EXPECT_EQ(value.rfm().frequency(), 1) << i;
    EXPECT_EQ(value.rfm().monetary(), 5 - i) << i;
  }
  const auto tier_changes = History(names[0], v1::INTERACTION_CHANNEL_TIER_CHANGE);
  ASSERT_EQ(tier_changes.size(), 1u);
  EXPECT_THAT(tier_changes[0].text(), HasSubstr("ordinary -> key-important (recompute)"));

  // Between runs a purchase rescores its customer against the last model at once.
  ASSERT_TRUE(Buy(names[4], 600).ok());
  EXPECT_EQ(Value(names[4]).tier(), v1::CUSTOMER_TIER_KEY_IMPORTANT);
  EXPECT_EQ(Value(names[4]).rfm().recency(), 5);
  EXPECT_THAT(History(names[4], v1::INTERACTION_CHANNEL_TIER_CHANGE)[0].text(),
              HasSubstr("small -> key-important (purchase)"));

  // The purchase moved the base: the next run rescores the others; a run after it, with
  // nothing new, changes nobody.
  EXPECT_GT(Recompute().customers_changed(), 0);
  EXPECT_EQ(Recompute().customers_changed(), 0);

  // The model and its run's figures outlive a restart (no run is due: none starts).
  const v1::ValueModel last = Recompute();
  Restart(/*recompute=*/false);
  v1::ValueModel shown;
  ASSERT_TRUE(values_->GetValueModel(Context(kAgent).get(), v1::GetValueModelRequest(), &shown).ok());
  EXPECT_EQ(shown.scored_customers(), 5);
  EXPECT_EQ(shown.compute_time().seconds(), last.compute_time().seconds());
  EXPECT_EQ(shown.monetary_breakpoints_size(), 4);
}

TEST_F(ValueTest, SilenceChurnsAndTheNextPurchaseWinsTheCustomerBack) {
  const std::string bob = NewCustomer("Bob");
  // Two purchases a month apart, long ago: the silence since (270 days) is far above 3 x
  // the usual 30 days (at least 90): churned.
  ASSERT_TRUE(Buy(bob, 50, nullptr, kDay * 300).ok());
  ASSERT_TRUE(Buy(bob, 50, nullptr, kDay * 270).ok());
  EXPECT_EQ(Value(bob).lifecycle_state(), v1::LIFECYCLE_STATE_CHURNED);
  ASSERT_TRUE(Buy(bob, 50).ok());
  EXPECT_EQ(Value(bob).lifecycle_state(), v1::LIFECYCLE_STATE_WON_BACK);
  ASSERT_TRUE(Buy(bob, 50).ok());
  EXPECT_EQ(Value(bob).lifecycle_state(), v1::LIFECYCLE_STATE_REPEAT);
  std::vector<std::string> outcomes;
  for (const auto& entry : History(bob, v1::INTERACTION_CHANNEL_LIFECYCLE_CHANGE)) outcomes.push_back(entry.outcome());
  EXPECT_EQ(outcomes, (std::vector<std::string>{"repeat", "won back", "churned", "first-time"}));

  // Time alone churns too: the job sees the silence (now 3 x the usual 100 days).
  manual_->Advance(kDay * 299);
  Recompute();
  EXPECT_EQ(Value(bob).lifecycle_state(), v1::LIFECYCLE_STATE_REPEAT);
  manual_->Advance(kDay * 2);
  Recompute();
  EXPECT_EQ(Value(bob).lifecycle_state(), v1::LIFECYCLE_STATE_CHURNED);
  EXPECT_EQ(File(bob).lifecycle_state(), v1::LIFECYCLE_STATE_CHURNED);
}

TEST_F(ValueTest, BadPurchasesAreRefusedNamingTheFieldAndChangeNothing) {
  const std::string ada = NewCustomer("Ada");
  ASSERT_TRUE(Buy(ada, 10).ok());
  const auto before = servicedesk::testing::SnapshotAll(desk_->database());
  struct Case {
    std::function<void(v1::RecordPurchaseRequest&)> spoil;
    grpc::StatusCode code;
    std::string message;
  };
  const Case cases[] = {
      {[](auto& r) { r.mutable_purchase()->clear_amount(); }, grpc::INVALID_ARGUMENT, "purchase.amount: required"},
      {[](auto& r) { r.mutable_purchase()->mutable_amount()->set_units(-5); }, grpc::INVALID_ARGUMENT,
       "purchase.amount: must be more than zero"},
      {[](auto& r) { r.mutable_purchase()->mutable_amount()->set_units(0); }, grpc::INVALID_ARGUMENT,
       "purchase.amount: must be more than zero"},
      {[](auto& r) { r.mutable_purchase()->mutable_amount()->set_nanos(-1); }, grpc::INVALID_ARGUMENT,
       "purchase.amount: units and nanos must have the same sign"},
      {[](auto& r) { r.mutable_purchase()->mutable_amount()->set_currency_code("XYZ"); }, grpc::INVALID_ARGUMENT,
       "purchase.amount.currency_code: 'XYZ' is not a currency the desk converts (EUR, USD)"},
      {[](auto& r) { r.mutable_purchase()->mutable_amount()->set_units(100'001); }, grpc::INVALID_ARGUMENT,
       "purchase.amount: 100001.00 EUR is more than crm.max_purchase_amount"},
      {[](auto& r) { r.mutable_purchase()->mutable_amount()->set_units(9'000'000'000'000'000'000); },
       grpc::INVALID_ARGUMENT, "purchase.amount: "},
      {[this](auto& r) { *r.mutable_purchase()->mutable_purchase_time() = Stamp(manual_->Now() + absl::Hours(1)); },
       grpc::INVALID_ARGUMENT, "purchase.purchase_time: in the future"},
      {[](auto& r) { *r.mutable_purchase()->mutable_purchase_time() = Stamp(absl::FromUnixSeconds(-10)); },
       grpc::INVALID_ARGUMENT, "purchase.purchase_time: before 1970"},
      {[](auto& r) { r.mutable_purchase()->set_product(std::string(201, 'x')); }, grpc::INVALID_ARGUMENT,
       "purchase.product: longer than 200"},
      {[](auto& r) { r.mutable_purchase()->set_order_id("has space"); }, grpc::INVALID_ARGUMENT,
       "purchase.order_id: "},
      {[](auto& r) { r.clear_purchase(); }, grpc::INVALID_ARGUMENT, "purchase: required"},
      {[](auto& r) { r.set_parent("customers/999999"); }, grpc::NOT_FOUND, "customers/999999"},
      {[](auto& r) { r.set_parent("clients/1"); }, grpc::INVALID_ARGUMENT, "parent"},
  };
  for (const auto& c : cases) {
    v1::RecordPurchaseRequest request;
    request.set_parent(ada);
    request.mutable_purchase()->mutable_amount()->set_currency_code("EUR");
    request.mutable_purchase()->mutable_amount()->set_units(25);
    c.spoil(request);
    v1::Purchase purchase;
    auto status = values_->RecordPurchase(Context(kAgent).get(), request, &purchase);
    EXPECT_EQ(status.error_code(), c.code) << c.message << ": " << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr(c.message));
  }
  EXPECT_EQ(servicedesk::testing::SnapshotAll(desk_->database()), before);
  EXPECT_EQ(Value(ada).purchase_count(), 1);
}

TEST_F(ValueTest, RetriesByRequestIdOrOrderIdRecordOnePurchase) {
  const std::string ada = NewCustomer("Ada");
  const std::string bob = NewCustomer("Bob");
  v1::Purchase first, again;
  ASSERT_TRUE(Buy(ada, 10, &first, absl::ZeroDuration(), "EUR", "", "req-1").ok());
  ASSERT_TRUE(Buy(ada, 10, &again, absl::ZeroDuration(), "EUR", "", "req-1").ok());
  EXPECT_EQ(again.name(), first.name());
  ASSERT_TRUE(Buy(ada, 20, &first, absl::ZeroDuration(), "EUR", "order-7").ok());
  ASSERT_TRUE(Buy(ada, 20, &again, absl::ZeroDuration(), "EUR", "order-7").ok());
  EXPECT_EQ(again.name(), first.name());
  EXPECT_EQ(Value(ada).purchase_count(), 2);
  const auto before = servicedesk::testing::SnapshotAll(desk_->database());
  auto status = Buy(bob, 20, nullptr, absl::ZeroDuration(), "EUR", "order-7");
  EXPECT_EQ(status.error_code(), grpc::ALREADY_EXISTS);
  EXPECT_THAT(status.error_message(), HasSubstr("purchase.order_id"));
  status = Buy(bob, 10, nullptr, absl::ZeroDuration(), "EUR", "", "req-1");
  EXPECT_EQ(status.error_code(), grpc::ALREADY_EXISTS);
  EXPECT_THAT(status.error_message(), StartsWith("request_id: "));
  EXPECT_EQ(servicedesk::testing::SnapshotAll(desk_->database()), before);
}

TEST_F(ValueTest, ImportReportsBadRecordsAndIsIdempotentByOrderId) {
  const std::string ada = NewCustomer("Ada");
  auto import = [&](const std::vector<v1::ImportPurchasesRequest>& records) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", std::string("Bearer ") + kAdmin);
    v1::ImportPurchasesResponse response;
    auto writer = values_->ImportPurchases(&context, &response);
    for (const auto& record : records) EXPECT_TRUE(writer->Write(record));
    writer->WritesDone();
    EXPECT_TRUE(writer->Finish().ok());
    return response;
  };
  std::vector<v1::ImportPurchasesRequest> records(4);
  for (int i = 0; i < 4; ++i) {
    records[i].set_customer_external_id("ext-Ada");
    records[i].mutable_purchase()->mutable_amount()->set_currency_code("EUR");
    records[i].mutable_purchase()->mutable_amount()->set_units(10 + i);
    records[i].mutable_purchase()->set_order_id("shop-" + std::to_string(i));
    *records[i].mutable_purchase()->mutable_purchase_time() = Stamp(manual_->Now() - kDay * (40 - i));
  }
  records[2].mutable_purchase()->mutable_amount()->set_currency_code("ABC");
  records[3].set_customer_external_id("nobody");
  auto response = import(records);
  EXPECT_EQ(response.received(), 4);
  EXPECT_EQ(response.created(), 2);
  ASSERT_EQ(response.errors_size(), 2);
  EXPECT_EQ(response.errors(0).index(), 2);
  EXPECT_EQ(response.errors(0).field(), "purchase.amount.currency_code");
  EXPECT_EQ(response.errors(1).field(), "customer_external_id");
  response = import({records[0], records[1]});
  EXPECT_EQ(response.created(), 0);
  EXPECT_EQ(response.unchanged(), 2);
  EXPECT_EQ(Value(ada).purchase_count(), 2);
  EXPECT_EQ(Value(ada).total_spend().units(), 21);
}

TEST_F(ValueTest, TierOverrideNeedsASupervisorAReasonAndExpiresAcrossARestart) {
  const std::string ada = NewCustomer("Ada", v1::CUSTOMER_TIER_SMALL);
  v1::SetTierOverrideRequest request;
  request.set_customer(ada);
  request.set_tier(v1::CUSTOMER_TIER_KEY_IMPORTANT);
  request.set_reason("Board member of our largest partner");
  *request.mutable_expire_time() = Stamp(manual_->Now() + kDay * 30);
  v1::CustomerValue value;
  EXPECT_EQ(values_->SetTierOverride(Context(kAgent).get(), request, &value).error_code(), grpc::PERMISSION_DENIED);

  const auto before = servicedesk::testing::SnapshotAll(desk_->database());
  auto spoiled = request;
  spoiled.set_reason("  ");
  auto status = values_->SetTierOverride(Context(kSupervisor).get(), spoiled, &value);
  EXPECT_EQ(status.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("reason: required"));
  spoiled = request;
  *spoiled.mutable_expire_time() = Stamp(manual_->Now() - absl::Minutes(1));
  status = values_->SetTierOverride(Context(kSupervisor).get(), spoiled, &value);
  EXPECT_THAT(status.error_message(), StartsWith("expire_time: must be in the future"));
  spoiled = request;
  spoiled.clear_expire_time();
  status = values_->SetTierOverride(Context(kSupervisor).get(), spoiled, &value);
  EXPECT_THAT(status.error_message(), StartsWith("expire_time: required"));
  spoiled = request;
  spoiled.set_tier(v1::CUSTOMER_TIER_UNSPECIFIED);
  status = values_->SetTierOverride(Context(kSupervisor).get(), spoiled, &value);
  EXPECT_THAT(status.error_message(), StartsWith("tier: required"));
  v1::ClearTierOverrideRequest clear;
  clear.set_customer(ada);
  clear.set_reason("no override yet");
  EXPECT_EQ(values_->ClearTierOverride(Context(kSupervisor).get(), clear, &value).error_code(),
            grpc::FAILED_PRECONDITION);
  EXPECT_EQ(servicedesk::testing::SnapshotAll(desk_->database()), before);

  ASSERT_TRUE(values_->SetTierOverride(Context(kSupervisor).get(), request, &value).ok());
  EXPECT_EQ(value.tier(), v1::CUSTOMER_TIER_KEY_IMPORTANT);
  EXPECT_EQ(value.value_tier(), v1::CUSTOMER_TIER_SMALL);
  EXPECT_EQ(value.tier_override().set_by(), "supervisors/s-1");
  EXPECT_EQ(File(ada).tier(), v1::CUSTOMER_TIER_KEY_IMPORTANT);
  auto entries = History(ada, v1::INTERACTION_CHANNEL_TIER_CHANGE);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_THAT(entries[0].text(), HasSubstr("small -> key-important (override"));
  EXPECT_THAT(entries[0].text(), HasSubstr("Board member of our largest partner"));

  // A purchase or the job keeps the override while it lasts.
  ASSERT_TRUE(Buy(ada, 5).ok());
  Recompute();
  EXPECT_EQ(Value(ada).tier(), v1::CUSTOMER_TIER_KEY_IMPORTANT);

  Restart();
  manual_->Advance(kDay * 31);
  desk_->OnValueDesk([](ValueDesk& desk) {
    desk.RunDue();
    return 0;
  });
  value = Value(ada);
  EXPECT_FALSE(value.has_tier_override());
  EXPECT_EQ(value.tier(), value.value_tier());
  EXPECT_EQ(File(ada).tier(), value.tier());
  entries = History(ada, v1::INTERACTION_CHANNEL_TIER_CHANGE);
  ASSERT_GE(entries.size(), 2u);
  EXPECT_THAT(entries[0].text(), HasSubstr("(override_expired"));
}

TEST_F(ValueTest, UpdateCustomerCannotSetTheTierOrLifecycle) {
  const std::string ada = NewCustomer("Ada");
  for (const char* path : {"tier", "lifecycle_state"}) {
    v1::UpdateCustomerRequest request;
    request.mutable_customer()->set_name(ada);
    request.mutable_customer()->set_tier(v1::CUSTOMER_TIER_KEY_IMPORTANT);
    request.mutable_customer()->set_lifecycle_state(v1::LIFECYCLE_STATE_LOYAL);
    request.mutable_update_mask()->add_paths(path);
    v1::Customer out;
    auto status = customers_->UpdateCustomer(Context(kSupervisor).get(), request, &out);
    EXPECT_EQ(status.error_code(), grpc::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("SetTierOverride"));
  }
  EXPECT_EQ(File(ada).tier(), v1::CUSTOMER_TIER_ORDINARY);
}

// Purchases recorded while the job runs on its thread are neither lost nor overwritten by
// the job's older figures.
TEST_F(ValueTest, PurchasesDuringARunningJobAreKept) {
  std::vector<std::string> names;
  for (int i = 0; i < 20; ++i) {
    names.push_back(NewCustomer("Buyer " + std::to_string(i)));
    ASSERT_TRUE(Buy(names.back(), 10 + i, nullptr, kDay).ok());
  }
  for (int round = 0; round < 3; ++round) {
    std::thread job([&] { Recompute(); });
    for (const auto& name : names) ASSERT_TRUE(Buy(name, 5).ok());
    job.join();
  }
  Recompute();
  for (int i = 0; i < 20; ++i) {
    const auto value = Value(names[i]);
    EXPECT_EQ(value.purchase_count(), 4) << names[i];
    EXPECT_EQ(value.total_spend().units(), 10 + i + 15) << names[i];
  }
}

v1::RecordSurveyRequest SurveyOf(const std::string& customer, const std::string& contact, int score,
                                 const std::string& agent = "agents/a-1", const std::string& queue = "queues/billing") {
  v1::RecordSurveyRequest request;
  request.mutable_survey()->set_customer(customer);
  request.mutable_survey()->set_contact(contact);
  request.mutable_survey()->set_agent(agent);
  request.mutable_survey()->set_queue(queue);
  request.mutable_survey()->set_score(score);
  request.mutable_survey()->set_comment("Quick and friendly");
  request.mutable_survey()->set_kind(v1::SURVEY_KIND_POST_CONTACT);
  return request;
}

TEST_F(ValueTest, SurveysAreInTheHistoryAndInSatisfactionByAgentQueueTierAndMonth) {
  const std::string ada = NewCustomer("Ada", v1::CUSTOMER_TIER_KEY_IMPORTANT);
  const std::string bob = NewCustomer("Bob", v1::CUSTOMER_TIER_SMALL);
  v1::Survey survey;
  ASSERT_TRUE(surveys_->RecordSurvey(Context(kAgent).get(), SurveyOf(ada, "contacts/1", 5), &survey).ok());
  EXPECT_EQ(survey.tier(), v1::CUSTOMER_TIER_KEY_IMPORTANT);
  EXPECT_EQ(survey.recorded_by(), "agents/a-1");
  ASSERT_TRUE(surveys_->RecordSurvey(Context(kAgent).get(), SurveyOf(bob, "contacts/2", 2), &survey).ok());
  // The IVR or a supervisor records surveys of any agent's contacts; an agent only of their own.
  ASSERT_TRUE(
      surveys_->RecordSurvey(Context(kSupervisor).get(), SurveyOf(bob, "contacts/3", 4, "agents/a-2"), &survey).ok());
  const auto entries = History(ada, v1::INTERACTION_CHANNEL_SURVEY);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].outcome(), "score 5/5");
  EXPECT_EQ(entries[0].reference(), "contacts/1");

  auto report = [&](v1::SatisfactionDimension by, const std::string& key = "") {
    v1::GetSatisfactionRequest request;
    request.set_by(by);
    request.set_key(key);
    v1::SatisfactionReport out;
    auto status = surveys_->GetSatisfaction(Context(kSupervisor).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  };
  const auto by_agent = report(v1::SATISFACTION_DIMENSION_AGENT);
  ASSERT_EQ(by_agent.rows_size(), 2);
  EXPECT_EQ(by_agent.rows(0).key(), "agents/a-1");
  EXPECT_EQ(by_agent.rows(0).month(), "2030-03");  // the manual clock's month
  EXPECT_EQ(by_agent.rows(0).responses(), 2);
  EXPECT_DOUBLE_EQ(by_agent.rows(0).mean_score(), 3.5);
  EXPECT_DOUBLE_EQ(by_agent.rows(0).satisfied_percent(), 50);
  EXPECT_EQ(by_agent.rows(1).key(), "agents/a-2");
  const auto by_tier = report(v1::SATISFACTION_DIMENSION_TIER);
  ASSERT_EQ(by_tier.rows_size(), 2);
  EXPECT_EQ(by_tier.rows(0).key(), "key-important");
  EXPECT_EQ(by_tier.rows(1).key(), "small");
  EXPECT_DOUBLE_EQ(by_tier.rows(1).mean_score(), 3);
  const auto desk = report(v1::SATISFACTION_DIMENSION_DESK);
  ASSERT_EQ(desk.rows_size(), 1);
  EXPECT_EQ(desk.rows(0).responses(), 3);
  EXPECT_EQ(desk.rows(0).score_counts_size(), 5);
  EXPECT_EQ(report(v1::SATISFACTION_DIMENSION_QUEUE, "queues/billing").rows(0).responses(), 3);
  EXPECT_THAT(desk.formula(), HasSubstr("4 or 5"));

  // Next month's report starts empty; the range covers both.
  manual_->Advance(kDay * 31);
  ASSERT_TRUE(surveys_->RecordSurvey(Context(kAgent).get(), SurveyOf(ada, "contacts/4", 1), &survey).ok());
  v1::GetSatisfactionRequest range;
  range.set_by(v1::SATISFACTION_DIMENSION_DESK);
  range.set_from_month("2030-03");
  range.set_to_month("2030-04");
  v1::SatisfactionReport both;
  ASSERT_TRUE(surveys_->GetSatisfaction(Context(kSupervisor).get(), range, &both).ok());
  ASSERT_EQ(both.rows_size(), 2);
  EXPECT_EQ(both.rows(1).month(), "2030-04");
  EXPECT_EQ(both.rows(1).responses(), 1);
}

TEST_F(ValueTest, BadSurveysAreRefusedNamingTheFieldAndChangeNothing) {
  const std::string ada = NewCustomer("Ada");
  v1::Survey survey;
  ASSERT_TRUE(surveys_->RecordSurvey(Context(kAgent).get(), SurveyOf(ada, "contacts/1", 4), &survey).ok());
  const auto before = servicedesk::testing::SnapshotAll(desk_->database());
  struct Case {
    std::function<void(v1::RecordSurveyRequest&)> spoil;
    grpc::StatusCode code;
    std::string message;
  };
  const Case cases[] = {
      {[](auto& r) { r.mutable_survey()->set_score(0); }, grpc::INVALID_ARGUMENT, "survey.score: must be 1 to 5, got 0"},
      {[](auto& r) { r.mutable_survey()->set_score(6); }, grpc::INVALID_ARGUMENT, "survey.score: must be 1 to 5, got 6"},
      {[](auto& r) { r.mutable_survey()->set_kind(v1::SURVEY_KIND_UNSPECIFIED); }, grpc::INVALID_ARGUMENT,
       "survey.kind: required"},
      {[](auto& r) { r.mutable_survey()->clear_contact(); }, grpc::INVALID_ARGUMENT, "survey.contact: required"},
      {[](auto& r) { r.mutable_survey()->set_contact("call 7"); }, grpc::INVALID_ARGUMENT, "survey.contact: "},
      {[](auto& r) { r.mutable_survey()->set_agent("a-1"); }, grpc::INVALID_ARGUMENT, "survey.agent: 'a-1' is not agents/{id}"},
      {[](auto& r) { r.mutable_survey()->set_queue("billing"); }, grpc::INVALID_ARGUMENT, "survey.queue: "},
      {[](auto& r) { r.mutable_survey()->set_comment(std::string(4001, 'x')); }, grpc::INVALID_ARGUMENT,
       "survey.comment: longer than"},
      {[](auto& r) { r.mutable_survey()->set_customer("customers/424242"); }, grpc::NOT_FOUND, "customers/424242"},
      {[](auto& r) { r.mutable_survey()->set_agent(std::string("agents/a-1\0x", 12)); }, grpc::INVALID_ARGUMENT,
       "survey.agent: "},
      {[](auto& r) { r.mutable_survey()->set_agent("agents/a-2"); }, grpc::PERMISSION_DENIED,
       "survey.agent: an agent records surveys of their own contacts only"},
      {[](auto& r) { r.mutable_survey()->set_contact("customers/999/interactions/4"); }, grpc::INVALID_ARGUMENT,
       "survey.contact: customers/999/interactions/4 is not an interaction of"},
      {[](auto& r) { r.mutable_survey()->set_contact("contacts/1"); }, grpc::ALREADY_EXISTS,
       "survey.contact: contacts/1 already has a survey"},
  };
  for (const auto& c : cases) {
    auto request = SurveyOf(ada, "contacts/9", 3);
    c.spoil(request);
    auto status = surveys_->RecordSurvey(Context(kAgent).get(), request, &survey);
    EXPECT_EQ(status.error_code(), c.code) << c.message << ": " << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr(c.message));
  }
  v1::GetSatisfactionRequest report;
  report.set_by(v1::SATISFACTION_DIMENSION_UNSPECIFIED);
  v1::SatisfactionReport out;
  EXPECT_THAT(surveys_->GetSatisfaction(Context(kSupervisor).get(), report, &out).error_message(), StartsWith("by: "));
  report.set_by(v1::SATISFACTION_DIMENSION_DESK);
  report.set_from_month("2030-13");
  EXPECT_THAT(surveys_->GetSatisfaction(Context(kSupervisor).get(), report, &out).error_message(),
              StartsWith("from_month: "));
  report.set_from_month("2026-01");
  report.set_to_month("2030-01");
  EXPECT_THAT(surveys_->GetSatisfaction(Context(kSupervisor).get(), report, &out).error_message(),
              StartsWith("from_month: the range covers at most 36 months"));
  report.set_from_month("2030-01");
  report.set_key(std::string("agents/a-1\0", 11));
  EXPECT_THAT(surveys_->GetSatisfaction(Context(kSupervisor).get(), report, &out).error_message(),
              StartsWith("key: "));
  report.clear_key();
  EXPECT_EQ(surveys_->GetSatisfaction(Context(kAgent).get(), report, &out).error_code(), grpc::PERMISSION_DENIED);
  EXPECT_EQ(servicedesk::testing::SnapshotAll(desk_->database()), before);

  // A comment of 4,000 characters in Chinese (12,000 bytes) is kept whole on the survey and cut
  // at a character boundary in the history: the screen pop stays readable.
  std::string long_comment;
  for (int i = 0; i < 4000; ++i) long_comment += "满";
  auto long_survey = SurveyOf(ada, "contacts/20", 5);
  long_survey.mutable_survey()->set_comment(long_comment);
  ASSERT_TRUE(surveys_->RecordSurvey(Context(kAgent).get(), long_survey, &survey).ok());
  EXPECT_EQ(survey.comment(), long_comment);
  v1::GetCustomerContextRequest pop_request;
  pop_request.set_customer(ada);
  v1::CustomerContext pop;
  auto pop_status = customers_->GetCustomerContext(Context(kAgent).get(), pop_request, &pop);
  ASSERT_TRUE(pop_status.ok()) << pop_status.error_message();
  const v1::Interaction* entry = nullptr;
  for (const auto& i : pop.recent_interactions()) {
    if (i.reference() == "contacts/20") entry = &i;
  }
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->text().size(), 3999u);  // 1,333 characters of 3 bytes
  EXPECT_EQ(entry->agent(), "agents/a-1");

  // A retry with the same request id records nothing new.
  auto request = SurveyOf(ada, "contacts/10", 5);
  request.set_request_id("ivr-77");
  v1::Survey first, again;
  ASSERT_TRUE(surveys_->RecordSurvey(Context(kAgent).get(), request, &first).ok());
  ASSERT_TRUE(surveys_->RecordSurvey(Context(kAgent).get(), request, &again).ok());
  EXPECT_EQ(again.name(), first.name());
  EXPECT_EQ(History(ada, v1::INTERACTION_CHANNEL_SURVEY).size(), 3u);
}

}  // namespace
}  // namespace servicedesk::server
