#include "services/customers/customer_commands.h"

#include <google/protobuf/util/field_mask_util.h>
#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "services/customers/customer_validation.h"
#include "services/customers/resource_names.h"

namespace servicedesk::customers {

namespace {

using google::protobuf::FieldMask;
using google::protobuf::util::FieldMaskUtil;
using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(time));
}

int64_t StartMicros(const v1::Interaction& interaction) {
  return TimeUtil::TimestampToMicroseconds(interaction.start_time());
}

// The fields a client may name in update_mask (top level; sub-paths of the two profiles too).
constexpr absl::string_view kMutableFields[] = {
    "kind",  "display_name", "individual",      "enterprise",  "phone_numbers", "emails",
    "contacts", "preferences", "notes", "owner_agent", "external_id"};
constexpr absl::string_view kOutputOnlyFields[] = {"name", "customer_number", "create_time",
                                                  "update_time"};
// Given at creation (or import), then the value rules' (CustomerValueService: a purchase, the
// value job, a supervisor's override with its reason).
constexpr absl::string_view kValueFields[] = {"tier", "lifecycle_state"};

absl::Status CheckMask(const FieldMask& mask) {
  if (mask.paths_size() == 0) {
    return absl::InvalidArgumentError("update_mask: required (name the fields to change, or '*')");
  }
  for (const auto& path : mask.paths()) {
    if (path == "*") {
      if (mask.paths_size() != 1) {
        return absl::InvalidArgumentError("update_mask: '*' cannot be combined with other paths");
      }
      continue;
    }
    const std::string top = std::string(path.substr(0, path.find('.')));
    for (auto output_only : kOutputOnlyFields) {
      if (top == output_only) {
        return absl::InvalidArgumentError(
            absl::StrCat("update_mask: '", path, "' is output only"));
      }
    }
    for (auto value_field : kValueFields) {
      if (top == value_field) {
        return absl::InvalidArgumentError(absl::StrCat(
            "update_mask: '", path, "' follows from the customer's value: use CustomerValueService."
            "SetTierOverride (with a reason) for the tier"));
      }
    }
    bool known = false;
    for (auto field : kMutableFields) known = known || top == field;
    if (!known || !FieldMaskUtil::GetFieldDescriptors(v1::Customer::descriptor(), path, nullptr)) {
      return absl::InvalidArgumentError(
          absl::StrCat("update_mask: unknown field '", path.substr(0, 80), "'"));
    }
    if (top != path && top != "individual" && top != "enterprise") {
      return absl::InvalidArgumentError(
          absl::StrCat("update_mask: '", path.substr(0, 80), "' names a part of a field that is replaced whole"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckExternalIdFree(const storage::CustomerStore& store, absl::string_view external_id,
                                 uint64_t customer_id, absl::string_view field) {
  if (external_id.empty()) return absl::OkStatus();
  auto owner = store.FindByExternalId(std::string(external_id));
  if (!owner.ok()) return owner.status();
  if (owner->has_value() && **owner != customer_id) {
    return absl::AlreadyExistsError(absl::StrCat(field, ": '", external_id,
                                                 "' already belongs to ",
                                                 storage::CustomerName(**owner)));
  }
  return absl::OkStatus();
}

}  // namespace

uint64_t CustomerCommands::AddNewCustomer(rocksdb::WriteBatch* batch, v1::Customer* customer,
                                          const google::protobuf::Timestamp& now) {
  const uint64_t id = writer_->NextId(batch, "customer");
  customer->set_name(storage::CustomerName(id));
  customer->set_customer_number(absl::StrFormat("C%08d", id));
  *customer->mutable_create_time() = now;
  *customer->mutable_update_time() = now;
  store_->PutCustomer(batch, id, nullptr, *customer);
  return id;
}

absl::StatusOr<v1::Customer> CustomerCommands::Create(v1::CreateCustomerRequest request,
                                                      const std::string& principal) {
  if (auto s = ValidateRequestId(request.request_id(), "request_id"); !s.ok()) return s;
  if (!request.request_id().empty()) {
    auto earlier = store_->FindByRequestId(request.request_id());
    if (!earlier.ok()) return earlier.status();
    if (earlier->has_value()) return store_->GetCustomer(**earlier);
  }
  if (!request.has_customer()) return absl::InvalidArgumentError("customer: required");
  v1::Customer customer = std::move(*request.mutable_customer());
  customer.clear_name();
  customer.clear_customer_number();
  if (auto s = ValidateCustomer(&customer, *phones_, "customer"); !s.ok()) return s;
  if (auto s = CheckExternalIdFree(*store_, customer.external_id(), 0, "customer.external_id");
      !s.ok()) {
    return s;
  }

  rocksdb::WriteBatch batch;
  const auto now = ToTimestamp(clock_->Now());
  const uint64_t id = AddNewCustomer(&batch, &customer, now);
  v1::ScreenPopRow screen_pop;
  *screen_pop.mutable_customer() = customer;
  store_->PutScreenPop(&batch, id, screen_pop);
  if (!request.request_id().empty()) store_->PutRequestId(&batch, request.request_id(), id);

  v1::Event event;
  *event.mutable_time() = now;
  event.set_principal(principal);
  *event.mutable_customer_created()->mutable_customer() = customer;
  event.mutable_customer_created()->set_request_id(request.request_id());
  auto seq = writer_->Commit(&batch, &event);
  if (!seq.ok()) return seq.status();
  return customer;
}

absl::StatusOr<v1::Customer> CustomerCommands::Update(const v1::UpdateCustomerRequest& request,
                                                      const std::string& principal) {
  auto id = ParseCustomerName(request.customer().name(), "customer.name");
  if (!id.ok()) return id.status();
  if (auto s = CheckMask(request.update_mask()); !s.ok()) return s;
  auto before = store_->GetCustomer(*id);
  if (!before.ok()) return before.status();

  v1::Customer after = *before;
  if (request.update_mask().paths_size() == 1 && request.update_mask().paths(0) == "*") {
    for (auto field : kMutableFields) {
      FieldMask one;
      one.add_paths(std::string(field));
      FieldMaskUtil::MergeOptions options;
      options.set_replace_message_fields(true);
      options.set_replace_repeated_fields(true);
      FieldMaskUtil::MergeMessageTo(request.customer(), one, options, &after);
    }
  } else {
    FieldMaskUtil::MergeOptions options;
    options.set_replace_message_fields(true);
    options.set_replace_repeated_fields(true);
    FieldMaskUtil::MergeMessageTo(request.customer(), request.update_mask(), options, &after);
  }
  if (auto s = ValidateCustomer(&after, *phones_, "customer"); !s.ok()) return s;
  if (auto s = CheckExternalIdFree(*store_, after.external_id(), *id, "customer.external_id");
      !s.ok()) {
    return s;
  }
  const auto now = ToTimestamp(clock_->Now());
  *after.mutable_update_time() = now;

  rocksdb::WriteBatch batch;
  store_->PutCustomer(&batch, *id, &*before, after);
  auto screen_pop = store_->ReadScreenPop(*id);
  if (!screen_pop.ok()) return screen_pop.status();
  *screen_pop->mutable_customer() = after;
  store_->PutScreenPop(&batch, *id, *screen_pop);
  v1::Event event;
  *event.mutable_time() = now;
  event.set_principal(principal);
  *event.mutable_customer_updated()->mutable_customer() = after;
  *event.mutable_customer_updated()->mutable_update_mask() = request.update_mask();
  auto seq = writer_->Commit(&batch, &event);
  if (!seq.ok()) return seq.status();
  return after;
}

absl::StatusOr<v1::Interaction> CustomerCommands::AppendInteraction(
    v1::CreateInteractionRequest request, const std::string& principal) {
  auto customer_id = ParseCustomerName(request.parent(), "parent");
  if (!customer_id.ok()) return customer_id.status();
  if (auto s = ValidateRequestId(request.request_id(), "request_id"); !s.ok()) return s;
  if (!request.request_id().empty()) {
    auto earlier = store_->FindInteractionByRequestId(request.request_id());
    if (!earlier.ok()) return earlier.status();
    if (earlier->has_value()) return store_->GetInteractionByKey(**earlier);
  }
  if (!request.has_interaction()) return absl::InvalidArgumentError("interaction: required");
  v1::Interaction interaction = std::move(*request.mutable_interaction());
  interaction.clear_name();
  const absl::Time now = clock_->Now();
  if (auto s = ValidateInteraction(&interaction, now, "interaction"); !s.ok()) return s;
  v1::Customer customer;
  if (auto s = store_->GetCustomerInto(*customer_id, &customer); !s.ok()) return s;

  rocksdb::WriteBatch batch;
  const uint64_t interaction_id = writer_->NextId(&batch, "interaction");
  interaction.set_name(storage::InteractionName(*customer_id, interaction_id));
  const std::string key = store_->PutInteraction(&batch, *customer_id, interaction_id,
                                                 StartMicros(interaction), interaction);
  if (!request.request_id().empty()) {
    store_->PutInteractionRequestId(&batch, request.request_id(), key);
  }
  auto screen_pop = store_->ReadScreenPop(*customer_id);
  if (!screen_pop.ok()) return screen_pop.status();
  storage::CustomerStore::AddRecentInteraction(&*screen_pop, interaction);
  store_->PutScreenPop(&batch, *customer_id, *screen_pop);
  v1::Event event;
  *event.mutable_time() = ToTimestamp(now);
  event.set_principal(principal);
  event.mutable_interaction_appended()->set_customer(request.parent());
  *event.mutable_interaction_appended()->mutable_interaction() = interaction;
  auto seq = writer_->Commit(&batch, &event);
  if (!seq.ok()) return seq.status();
  return interaction;
}

absl::StatusOr<v1::Interaction> CustomerCommands::WrapUpInteraction(
    const std::string& customer, const std::string& request_id, const std::string& wrap_up_code,
    const std::string& notes, const std::string& principal) {
  auto customer_id = ParseCustomerName(customer, "customer");
  if (!customer_id.ok()) return customer_id.status();
  std::string code = wrap_up_code;
  std::string text = notes;
  if (auto s = ValidateWrapUp(&code, &text, ""); !s.ok()) return s;
  auto key = store_->FindInteractionByRequestId(request_id);
  if (!key.ok()) return key.status();
  if (!key->has_value()) {
    return absl::NotFoundError(absl::StrCat("no interaction was recorded for '", request_id, "'"));
  }
  auto interaction = store_->GetInteractionByKey(**key);
  if (!interaction.ok()) return interaction.status();
  interaction->set_wrap_up_code(code);
  interaction->set_wrap_up_notes(text);

  rocksdb::WriteBatch batch;
  store_->ReplaceInteraction(&batch, **key, *interaction);
  // The screen pop shows the same entry: replaced where it is (it may have aged out).
  auto screen_pop = store_->ReadScreenPop(*customer_id);
  if (!screen_pop.ok()) return screen_pop.status();
  for (auto& recent : *screen_pop->mutable_recent_interactions()) {
    if (recent.name() == interaction->name()) {
      recent = *interaction;
      store_->PutScreenPop(&batch, *customer_id, *screen_pop);
      break;
    }
  }
  v1::Event event;
  *event.mutable_time() = ToTimestamp(clock_->Now());
  event.set_principal(principal);
  event.mutable_interaction_wrapped_up()->set_customer(customer);
  *event.mutable_interaction_wrapped_up()->mutable_interaction() = *interaction;
  auto seq = writer_->Commit(&batch, &event);
  if (!seq.ok()) return seq.status();
  return interaction;
}

ImportOutcome CustomerCommands::Import(v1::ImportRecord record, const std::string& principal) {
  ImportOutcome outcome;
  auto reject = [&](absl::Status status) {
    outcome.kind = ImportOutcome::Kind::kRejected;
    outcome.error = std::move(status);
    return outcome;
  };
  if (record.external_id().empty()) {
    return reject(absl::InvalidArgumentError("record.external_id: required"));
  }
  if (auto s = ValidateExternalId(record.external_id(), "record.external_id"); !s.ok()) {
    return reject(s);
  }
  auto existing = store_->FindByExternalId(record.external_id());
  if (!existing.ok()) return reject(existing.status());
  if (existing->has_value()) {
    outcome.kind = ImportOutcome::Kind::kUnchanged;
    return outcome;
  }
  if (!record.has_customer()) return reject(absl::InvalidArgumentError("record.customer: required"));
  if (record.interactions_size() > Limits::kImportInteractions) {
    return reject(absl::InvalidArgumentError(absl::StrCat(
        "record.interactions: at most ", Limits::kImportInteractions, " per record")));
  }
  v1::Customer customer = std::move(*record.mutable_customer());
  customer.clear_name();
  customer.clear_customer_number();
  customer.set_external_id(record.external_id());
  if (auto s = ValidateCustomer(&customer, *phones_, "record.customer"); !s.ok()) return reject(s);
  const absl::Time now = clock_->Now();
  for (int i = 0; i < record.interactions_size(); ++i) {
    if (auto s = ValidateInteraction(record.mutable_interactions(i), now,
                                     absl::StrCat("record.interactions[", i, "]"));
        !s.ok()) {
      return reject(s);
    }
  }

  rocksdb::WriteBatch batch;
  const auto now_ts = ToTimestamp(now);
  const uint64_t id = AddNewCustomer(&batch, &customer, now_ts);
  v1::Event event;
  *event.mutable_time() = now_ts;
  event.set_principal(principal);
  auto* imported = event.mutable_customer_imported();
  v1::ScreenPopRow screen_pop;
  for (auto& interaction : *record.mutable_interactions()) {
    interaction.clear_name();
    const uint64_t interaction_id = writer_->NextId(&batch, "interaction");
    interaction.set_name(storage::InteractionName(id, interaction_id));
    store_->PutInteraction(&batch, id, interaction_id, StartMicros(interaction), interaction);
    storage::CustomerStore::AddRecentInteraction(&screen_pop, interaction);
  }
  *screen_pop.mutable_customer() = customer;
  store_->PutScreenPop(&batch, id, screen_pop);
  *imported->mutable_customer() = customer;
  *imported->mutable_interactions() = std::move(*record.mutable_interactions());
  auto seq = writer_->Commit(&batch, &event);
  if (!seq.ok()) return reject(seq.status());
  outcome.kind = ImportOutcome::Kind::kCreated;
  outcome.interactions_created = imported->interactions_size();
  return outcome;
}

}  // namespace servicedesk::customers
