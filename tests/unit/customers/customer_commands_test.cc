#include "services/customers/customer_commands.h"

#include <gmock/gmock.h>

#include "tests/unit/customers/customer_fixture.h"

namespace servicedesk::customers {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST_F(CustomerFileTest, CreateGivesNameNumberTimesAndOneEvent) {
  v1::Customer anna = Create("Anna Schmidt", {"030 1234567"});
  EXPECT_EQ(anna.name(), "customers/1");
  EXPECT_EQ(anna.customer_number(), "C00000001");
  EXPECT_EQ(anna.phone_numbers(0).number(), "+49301234567");
  EXPECT_EQ(anna.create_time().seconds(), 1'790'000'000);
  EXPECT_EQ(writer_->last_seq(), 1u);
  EXPECT_EQ(Create("Wei Wang").customer_number(), "C00000002");
}

TEST_F(CustomerFileTest, OutputOnlyFieldsInCreateAreIgnored) {
  v1::CreateCustomerRequest request;
  request.mutable_customer()->set_kind(v1::CUSTOMER_KIND_ENTERPRISE);
  request.mutable_customer()->set_display_name("Harbor Logistics");
  request.mutable_customer()->set_name("customers/999");
  request.mutable_customer()->set_customer_number("C99999999");
  auto created = commands_->Create(request, "agents/test");
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->name(), "customers/1");
  EXPECT_EQ(created->customer_number(), "C00000001");
}

TEST_F(CustomerFileTest, RepeatedRequestIdReturnsTheFirstCustomer) {
  v1::CreateCustomerRequest request;
  request.set_request_id("req-1");
  request.mutable_customer()->set_kind(v1::CUSTOMER_KIND_INDIVIDUAL);
  request.mutable_customer()->set_display_name("Anna");
  auto first = commands_->Create(request, "agents/test");
  auto second = commands_->Create(request, "agents/test");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->name(), second->name());
  EXPECT_EQ(writer_->last_seq(), 1u);
}

TEST_F(CustomerFileTest, RefusedCreateLeavesStorageUnchanged) {
  Create("Anna", {}, "crm-1");
  const auto before = Snapshot();
  v1::CreateCustomerRequest request;
  request.mutable_customer()->set_kind(v1::CUSTOMER_KIND_INDIVIDUAL);
  request.mutable_customer()->set_display_name("Bad phone");
  request.mutable_customer()->add_phone_numbers()->set_number("12ab");
  auto bad_phone = commands_->Create(request, "agents/test");
  EXPECT_EQ(bad_phone.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad_phone.status().message()), StartsWith("customer.phone_numbers[0].number:"));

  request.mutable_customer()->clear_phone_numbers();
  request.mutable_customer()->set_external_id("crm-1");
  auto taken = commands_->Create(request, "agents/test");
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(taken.status().message()), HasSubstr("customer.external_id"));

  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(writer_->last_seq(), 1u);
}

TEST_F(CustomerFileTest, UpdateReplacesOnlyMaskedFields) {
  v1::Customer anna = Create("Anna", {"+49301111111"});
  clock_.Advance(absl::Minutes(5));
  v1::UpdateCustomerRequest request;
  request.mutable_customer()->set_name(anna.name());
  request.mutable_customer()->set_display_name("Anna Schmidt");
  request.mutable_customer()->set_notes("should not be written");
  request.mutable_customer()->add_phone_numbers()->set_number("+49302222222");
  request.mutable_update_mask()->add_paths("display_name");
  request.mutable_update_mask()->add_paths("phone_numbers");
  auto updated = commands_->Update(request, "agents/test");
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->display_name(), "Anna Schmidt");
  EXPECT_EQ(updated->notes(), "");
  EXPECT_EQ(updated->customer_number(), anna.customer_number());
  EXPECT_EQ(updated->update_time().seconds(), anna.create_time().seconds() + 300);
  EXPECT_TRUE(store_->FindByPhone("+49301111111")->empty());
  EXPECT_EQ(store_->FindByPhone("+49302222222")->size(), 1u);
}

TEST_F(CustomerFileTest, UpdateSubFieldOfProfile) {
  v1::Customer anna = Create("Anna");
  v1::UpdateCustomerRequest request;
  request.mutable_customer()->set_name(anna.name());
  request.mutable_customer()->mutable_individual()->set_occupation("teacher");
  request.mutable_update_mask()->add_paths("individual.occupation");
  auto updated = commands_->Update(request, "agents/test");
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->individual().occupation(), "teacher");
}

TEST_F(CustomerFileTest, BadMasksAreRefusedNamingUpdateMaskAndChangeNothing) {
  v1::Customer anna = Create("Anna");
  const auto before = Snapshot();
  struct Case {
    std::vector<std::string> paths;
    std::string message_start;
  } cases[] = {
      {{}, "update_mask: required"},
      {{"colour"}, "update_mask: unknown field 'colour'"},
      {{"customer_number"}, "update_mask: 'customer_number' is output only"},
      {{"create_time"}, "update_mask: 'create_time' is output only"},
      {{"*", "notes"}, "update_mask: '*' cannot be combined"},
      {{"phone_numbers.number"}, "update_mask: "},
      {{"individual.shoe_size"}, "update_mask: unknown field"},
  };
  for (const auto& c : cases) {
    v1::UpdateCustomerRequest request;
    request.mutable_customer()->set_name(anna.name());
    request.mutable_customer()->set_display_name("Changed");
    for (const auto& path : c.paths) request.mutable_update_mask()->add_paths(path);
    auto result = commands_->Update(request, "agents/test");
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(result.status().message()), StartsWith(c.message_start));
  }
  // A masked field that fails validation.
  v1::UpdateCustomerRequest request;
  request.mutable_customer()->set_name(anna.name());
  request.mutable_update_mask()->add_paths("display_name");
  EXPECT_EQ(commands_->Update(request, "agents/test").status().message(),
            "customer.display_name: required");
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(CustomerFileTest, UpdateOfUnknownCustomerIsNotFound) {
  v1::UpdateCustomerRequest request;
  request.mutable_customer()->set_name("customers/77");
  request.mutable_update_mask()->add_paths("notes");
  EXPECT_EQ(commands_->Update(request, "agents/test").status().code(), absl::StatusCode::kNotFound);
  request.mutable_customer()->set_name("customers/abc");
  EXPECT_THAT(std::string(commands_->Update(request, "agents/test").status().message()),
              StartsWith("customer.name:"));
}

TEST_F(CustomerFileTest, AppendInteractionToUnknownCustomerChangesNothing) {
  Create("Anna");
  const auto before = Snapshot();
  v1::CreateInteractionRequest request;
  request.set_parent("customers/2");
  request.mutable_interaction()->set_channel(v1::INTERACTION_CHANNEL_CALL);
  EXPECT_EQ(commands_->AppendInteraction(request, "agents/test").status().code(),
            absl::StatusCode::kNotFound);
  request.set_parent("customers/1");
  request.mutable_interaction()->set_text(std::string(4001, 'x'));
  EXPECT_EQ(commands_->AppendInteraction(request, "agents/test").status().message(),
            "interaction.text: longer than 4000 characters");
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(CustomerFileTest, RepeatedInteractionRequestIdIsHarmless) {
  v1::Customer anna = Create("Anna");
  v1::CreateInteractionRequest request;
  request.set_parent(anna.name());
  request.set_request_id("cti-call-17");
  request.mutable_interaction()->set_channel(v1::INTERACTION_CHANNEL_CALL);
  auto first = commands_->AppendInteraction(request, "agents/test");
  auto second = commands_->AppendInteraction(request, "agents/test");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->name(), second->name());
  v1::ListInteractionsRequest list;
  list.set_parent(anna.name());
  EXPECT_EQ(queries_->ListInteractions(list)->interactions_size(), 1);
}

TEST_F(CustomerFileTest, ImportIsIdempotentByExternalId) {
  v1::ImportRecord record;
  record.set_external_id("crm-9");
  record.mutable_customer()->set_kind(v1::CUSTOMER_KIND_INDIVIDUAL);
  record.mutable_customer()->set_display_name("Imported");
  for (int i = 0; i < 3; ++i) {
    auto* interaction = record.add_interactions();
    interaction->set_channel(v1::INTERACTION_CHANNEL_EMAIL);
    interaction->mutable_start_time()->set_seconds(1'700'000'000 + i);
  }
  auto first = commands_->Import(record, "system/import");
  EXPECT_EQ(first.kind, ImportOutcome::Kind::kCreated);
  EXPECT_EQ(first.interactions_created, 3);
  const auto after_first = Snapshot();
  auto second = commands_->Import(record, "system/import");
  EXPECT_EQ(second.kind, ImportOutcome::Kind::kUnchanged);
  EXPECT_EQ(Snapshot(), after_first);
}

TEST_F(CustomerFileTest, ImportRejectsABadRecordWhole) {
  const auto before = Snapshot();
  v1::ImportRecord record;
  record.set_external_id("crm-10");
  record.mutable_customer()->set_kind(v1::CUSTOMER_KIND_INDIVIDUAL);
  record.mutable_customer()->set_display_name("Half good");
  record.add_interactions()->set_channel(v1::INTERACTION_CHANNEL_CALL);
  record.add_interactions();  // no channel
  auto outcome = commands_->Import(record, "system/import");
  EXPECT_EQ(outcome.kind, ImportOutcome::Kind::kRejected);
  EXPECT_EQ(outcome.error.message(), "record.interactions[1].channel: required");
  EXPECT_EQ(Snapshot(), before);
  record.clear_external_id();
  EXPECT_EQ(commands_->Import(record, "system/import").error.message(),
            "record.external_id: required");
}

}  // namespace
}  // namespace servicedesk::customers
