#include "services/customers/customer_queries.h"

#include "servicedesk/v1/events.pb.h"
#include "storage/key_codec.h"

#include <gmock/gmock.h>

#include "tests/unit/customers/customer_fixture.h"

namespace servicedesk::customers {
namespace {

using ::testing::ElementsAre;
using ::testing::StartsWith;

std::vector<std::string> Texts(const google::protobuf::RepeatedPtrField<v1::Interaction>& list) {
  std::vector<std::string> texts;
  for (const auto& i : list) texts.push_back(i.text());
  return texts;
}

TEST_F(CustomerFileTest, ContextByPhoneHasProfileAndLatestInteractionsFirst) {
  v1::Customer anna = Create("Anna", {"+49301234567"});
  Append(anna, 1'700'000'300, v1::INTERACTION_CHANNEL_CALL, "third");
  Append(anna, 1'700'000'100, v1::INTERACTION_CHANNEL_EMAIL, "first");
  Append(anna, 1'700'000'200, v1::INTERACTION_CHANNEL_CHAT, "second");
  v1::GetCustomerContextRequest request;
  request.set_phone_number("030 1234567");
  v1::CustomerContext context;
  ASSERT_TRUE(queries_->Context(request, &context).ok());
  EXPECT_TRUE(context.known_caller());
  EXPECT_EQ(context.normalized_phone_number(), "+49301234567");
  EXPECT_EQ(context.customer().name(), anna.name());
  EXPECT_THAT(Texts(context.recent_interactions()), ElementsAre("third", "second", "first"));
  EXPECT_EQ(context.open_tickets_size(), 0);
  EXPECT_EQ(context.open_complaints_size(), 0);
}

TEST_F(CustomerFileTest, ContextHonoursTheInteractionLimit) {
  v1::Customer anna = Create("Anna");
  for (int i = 0; i < 30; ++i) Append(anna, 1'700'000'000 + i, v1::INTERACTION_CHANNEL_CALL, std::to_string(i));
  v1::GetCustomerContextRequest request;
  request.set_customer(anna.name());
  v1::CustomerContext context;
  ASSERT_TRUE(queries_->Context(request, &context).ok());
  EXPECT_EQ(context.recent_interactions_size(), 20);  // the default
  EXPECT_EQ(context.recent_interactions(0).text(), "29");
  request.set_interaction_limit(3);
  context.Clear();
  ASSERT_TRUE(queries_->Context(request, &context).ok());
  EXPECT_THAT(Texts(context.recent_interactions()), ElementsAre("29", "28", "27"));
  request.set_interaction_limit(101);
  EXPECT_THAT(std::string(queries_->Context(request, &context).message()),
              StartsWith("interaction_limit:"));
}

TEST_F(CustomerFileTest, ContextDoesNotLeakAnotherCustomersHistory) {
  v1::Customer anna = Create("Anna");
  v1::Customer wei = Create("Wei");
  Append(anna, 1'700'000'000, v1::INTERACTION_CHANNEL_CALL, "anna's");
  v1::GetCustomerContextRequest request;
  request.set_customer(wei.name());
  v1::CustomerContext context;
  ASSERT_TRUE(queries_->Context(request, &context).ok());
  EXPECT_EQ(context.recent_interactions_size(), 0);
}

TEST_F(CustomerFileTest, UnknownCallerGetsTheNormalisedNumber) {
  v1::GetCustomerContextRequest request;
  request.set_phone_number("0049 30 999999");
  v1::CustomerContext context;
  ASSERT_TRUE(queries_->Context(request, &context).ok());
  EXPECT_FALSE(context.known_caller());
  EXPECT_EQ(context.normalized_phone_number(), "+4930999999");
  EXPECT_FALSE(context.has_customer());
}

TEST_F(CustomerFileTest, SharedNumberGivesOneContextAndTheOtherMatches) {
  v1::Customer first = Create("Anna", {"+49301234567"});
  v1::Customer second = Create("Jonas", {"+49301234567", "+491511234567"});
  v1::GetCustomerContextRequest request;
  request.set_phone_number("+49 30 1234567");
  v1::CustomerContext context;
  ASSERT_TRUE(queries_->Context(request, &context).ok());
  EXPECT_EQ(context.customer().name(), first.name());
  ASSERT_EQ(context.other_matches_size(), 1);
  EXPECT_EQ(context.other_matches(0).name(), second.name());
  v1::LookupCustomersRequest lookup;
  lookup.set_phone_number("030 1234567");
  EXPECT_EQ(queries_->Lookup(lookup)->customers_size(), 2);
}

TEST_F(CustomerFileTest, ContextByUnknownOrMalformedIdNamesTheField) {
  v1::GetCustomerContextRequest request;
  v1::CustomerContext context;
  EXPECT_THAT(std::string(queries_->Context(request, &context).message()), StartsWith("key:"));
  request.set_customer("customers/5");
  EXPECT_EQ(queries_->Context(request, &context).code(), absl::StatusCode::kNotFound);
  request.set_customer("customers/05");
  EXPECT_THAT(std::string(queries_->Context(request, &context).message()), StartsWith("customer:"));
  request.set_phone_number("call me");
  EXPECT_THAT(std::string(queries_->Context(request, &context).message()),
              StartsWith("phone_number:"));
}

TEST_F(CustomerFileTest, LookupByEmailExternalIdAndNumber) {
  v1::CreateCustomerRequest request;
  request.mutable_customer()->set_kind(v1::CUSTOMER_KIND_INDIVIDUAL);
  request.mutable_customer()->set_display_name("Anna");
  request.mutable_customer()->add_emails()->set_address("Anna@Example.org");
  request.mutable_customer()->set_external_id("crm-1");
  auto anna = *commands_->Create(request, "agents/test");
  v1::LookupCustomersRequest lookup;
  lookup.set_email("anna@example.ORG");
  EXPECT_EQ(queries_->Lookup(lookup)->customers(0).name(), anna.name());
  lookup.set_external_id("crm-1");
  EXPECT_EQ(queries_->Lookup(lookup)->customers(0).name(), anna.name());
  lookup.set_customer_number(anna.customer_number());
  EXPECT_EQ(queries_->Lookup(lookup)->customers(0).name(), anna.name());
  lookup.set_external_id("crm-2");
  EXPECT_EQ(queries_->Lookup(lookup)->customers_size(), 0);
  lookup.Clear();
  EXPECT_THAT(std::string(queries_->Lookup(lookup).status().message()), StartsWith("key:"));
}

TEST_F(CustomerFileTest, ListByNamePrefixPagesInNameOrder) {
  for (const char* name : {"Wang Wei", "wang fang", "Li Na", "Wang Min", "Wangari"}) Create(name);
  v1::ListCustomersRequest request;
  request.set_name_prefix("WANG ");
  request.set_page_size(2);
  std::vector<std::string> names;
  for (int pages = 0; pages < 5; ++pages) {
    auto response = queries_->List(request);
    ASSERT_TRUE(response.ok()) << response.status();
    for (const auto& c : response->customers()) names.push_back(c.display_name());
    if (response->next_page_token().empty()) break;
    request.set_page_token(response->next_page_token());
  }
  EXPECT_THAT(names, ElementsAre("wang fang", "Wang Min", "Wang Wei"));
}

TEST_F(CustomerFileTest, PageTokenOfAnotherPrefixIsRefused) {
  for (const char* name : {"Wang Wei", "Wang Fang", "Li Na", "Li Wei"}) Create(name);
  v1::ListCustomersRequest request;
  request.set_name_prefix("wang");
  request.set_page_size(1);
  auto first = queries_->List(request);
  ASSERT_FALSE(first->next_page_token().empty());
  request.set_name_prefix("li");
  request.set_page_token(first->next_page_token());
  EXPECT_THAT(std::string(queries_->List(request).status().message()), StartsWith("page_token:"));
  request.set_page_token("garbage!");
  EXPECT_THAT(std::string(queries_->List(request).status().message()), StartsWith("page_token:"));
}

TEST_F(CustomerFileTest, ListInteractionsPagesFiltersAndRanges) {
  v1::Customer anna = Create("Anna");
  for (int i = 0; i < 7; ++i) {
    Append(anna, 1'700'000'000 + i * 10,
           i % 2 == 0 ? v1::INTERACTION_CHANNEL_CALL : v1::INTERACTION_CHANNEL_EMAIL,
           std::to_string(i));
  }
  v1::ListInteractionsRequest request;
  request.set_parent(anna.name());
  request.set_page_size(3);
  std::vector<std::string> seen;
  for (int pages = 0; pages < 10; ++pages) {
    auto response = queries_->ListInteractions(request);
    ASSERT_TRUE(response.ok()) << response.status();
    for (const auto& i : response->interactions()) seen.push_back(i.text());
    if (response->next_page_token().empty()) break;
    request.set_page_token(response->next_page_token());
  }
  EXPECT_THAT(seen, ElementsAre("6", "5", "4", "3", "2", "1", "0"));

  v1::ListInteractionsRequest calls;
  calls.set_parent(anna.name());
  calls.add_channels(v1::INTERACTION_CHANNEL_CALL);
  calls.mutable_start_time()->set_seconds(1'700'000'020);  // inclusive
  calls.mutable_end_time()->set_seconds(1'700'000'060);    // exclusive
  EXPECT_THAT(Texts(queries_->ListInteractions(calls)->interactions()), ElementsAre("4", "2"));

  calls.add_channels(v1::INTERACTION_CHANNEL_UNSPECIFIED);
  EXPECT_THAT(std::string(queries_->ListInteractions(calls).status().message()),
              StartsWith("channels:"));
}

TEST_F(CustomerFileTest, InteractionPageTokenOfAnotherCustomerIsRefused) {
  v1::Customer anna = Create("Anna");
  v1::Customer wei = Create("Wei");
  for (int i = 0; i < 3; ++i) Append(anna, 1'700'000'000 + i);
  v1::ListInteractionsRequest request;
  request.set_parent(anna.name());
  request.set_page_size(1);
  auto first = queries_->ListInteractions(request);
  request.set_parent(wei.name());
  request.set_page_token(first->next_page_token());
  EXPECT_THAT(std::string(queries_->ListInteractions(request).status().message()),
              StartsWith("page_token:"));
}

}  // namespace
}  // namespace servicedesk::customers

namespace servicedesk::customers {
namespace {

// The open-items row written by the tickets and complaints features reaches the pop as is.
TEST_F(CustomerFileTest, ContextCarriesTheOpenItemsOfTheScreenPopRow) {
  v1::Customer anna = Create("Anna", {"+49301234567"});
  for (int i = 0; i < 3; ++i) Append(anna, 1'700'000'000 + i, v1::INTERACTION_CHANNEL_CALL, std::to_string(i));
  auto row = *store_->ReadScreenPop(1);
  row.add_open_tickets()->set_subject("Invoice wrong");
  row.add_open_complaints()->set_step("RECORDING");
  ASSERT_TRUE(db_->db()->Put({}, db_->handle(storage::Family::kScreenPop), storage::CustomerKey(1),
                             row.SerializeAsString()).ok());
  v1::GetCustomerContextRequest request;
  request.set_customer(anna.name());
  request.set_interaction_limit(2);
  v1::CustomerContext context;
  ASSERT_TRUE(queries_->Context(request, &context).ok());
  EXPECT_THAT(Texts(context.recent_interactions()), ElementsAre("2", "1"));
  ASSERT_EQ(context.open_tickets_size(), 1);
  EXPECT_EQ(context.open_tickets(0).subject(), "Invoice wrong");
  ASSERT_EQ(context.open_complaints_size(), 1);
  EXPECT_EQ(context.open_complaints(0).step(), "RECORDING");
}

TEST_F(CustomerFileTest, RemovedNumberNoLongerFindsTheCustomerButTheSharedOneStill) {
  v1::Customer anna = Create("Anna", {"+49301234567", "+49309999999"});
  v1::Customer jonas = Create("Jonas", {"+49309999999"});
  v1::UpdateCustomerRequest request;
  request.mutable_customer()->set_name(anna.name());
  request.mutable_customer()->add_phone_numbers()->set_number("+49301234567");
  request.mutable_update_mask()->add_paths("phone_numbers");
  ASSERT_TRUE(commands_->Update(request, "agents/test").ok());
  EXPECT_EQ(*store_->FindByPhone("+49309999999"), std::vector<uint64_t>{2});
  EXPECT_EQ(*store_->FindByPhone("+49301234567"), std::vector<uint64_t>{1});
}

}  // namespace
}  // namespace servicedesk::customers

namespace servicedesk::customers {
namespace {

// The screen-pop row keeps exactly what a scan of the interactions family gives first.
TEST_F(CustomerFileTest, ScreenPopRowAgreesWithTheHistoryScan) {
  v1::Customer anna = Create("Anna");
  // Out of order, with ties, more than the row keeps.
  for (int i = 0; i < 130; ++i) Append(anna, 1'700'000'000 + (i * 37) % 101, v1::INTERACTION_CHANNEL_CALL, std::to_string(i));
  v1::GetCustomerContextRequest pop;
  pop.set_customer(anna.name());
  pop.set_interaction_limit(100);
  v1::CustomerContext context;
  ASSERT_TRUE(queries_->Context(pop, &context).ok());
  v1::ListInteractionsRequest list;
  list.set_parent(anna.name());
  list.set_page_size(100);
  auto history = queries_->ListInteractions(list);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(context.recent_interactions_size(), 100);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(context.recent_interactions(i).name(), history->interactions(i).name()) << i;
  }
}

}  // namespace
}  // namespace servicedesk::customers

namespace servicedesk::customers {
namespace {

// The pop's copy of the profile follows every update, in the same batch.
TEST_F(CustomerFileTest, ContextShowsTheUpdatedProfile) {
  v1::Customer anna = Create("Anna", {"+49301234567"});
  Append(anna, 1'700'000'000, v1::INTERACTION_CHANNEL_CALL, "before");
  v1::UpdateCustomerRequest update;
  update.mutable_customer()->set_name(anna.name());
  update.mutable_customer()->set_display_name("Anna Schmidt");
  update.mutable_update_mask()->add_paths("display_name");
  ASSERT_TRUE(commands_->Update(update, "agents/test").ok());
  v1::GetCustomerContextRequest request;
  request.set_phone_number("+49301234567");
  v1::CustomerContext context;
  ASSERT_TRUE(queries_->Context(request, &context).ok());
  EXPECT_EQ(context.customer().display_name(), "Anna Schmidt");
  EXPECT_THAT(Texts(context.recent_interactions()), ElementsAre("before"));
}

}  // namespace
}  // namespace servicedesk::customers
