#include "services/customers/customer_queries.h"

#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_cat.h"
#include "services/common/page_token.h"
#include "services/customers/customer_validation.h"
#include "services/customers/resource_names.h"
#include "storage/key_codec.h"
#include "storage/wire_format.h"

namespace servicedesk::customers {

namespace {
using google::protobuf::util::TimeUtil;
constexpr int kDefaultPageSize = 50;
// The pop copies its interactions from the screen-pop row, which keeps only so many.
static_assert(storage::CustomerStore::kRecentInteractions >= Limits::kMaxContextInteractions);
constexpr int kMaxPageSize = 500;
constexpr absl::string_view kCustomerPageKind = "customers";
constexpr absl::string_view kInteractionPageKind = "interactions";

absl::Status AppendCustomers(const storage::CustomerStore& store, const std::vector<uint64_t>& ids,
                             google::protobuf::RepeatedPtrField<v1::Customer>* out) {
  for (uint64_t id : ids) {
    auto status = store.GetCustomerInto(id, out->Add());
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}
}  // namespace

absl::StatusOr<v1::Customer> CustomerQueries::Get(const v1::GetCustomerRequest& request) const {
  auto id = ParseCustomerName(request.name(), "name");
  if (!id.ok()) return id.status();
  return store_->GetCustomer(*id);
}

absl::StatusOr<v1::ListCustomersResponse> CustomerQueries::List(
    const v1::ListCustomersRequest& request) const {
  auto size = EffectivePageSize(request.page_size(), kDefaultPageSize, kMaxPageSize);
  if (!size.ok()) return size.status();
  if (auto s = CheckLength(request.name_prefix(), Limits::kShortText, "name_prefix"); !s.ok()) {
    return s;
  }
  const std::string prefix = storage::LowercaseAscii(request.name_prefix());
  std::optional<std::string> after;
  if (!request.page_token().empty()) {
    auto key = DecodePageToken(request.page_token(), kCustomerPageKind,
                               storage::CustomerStore::NameIndexPrefix(prefix));
    if (!key.ok()) return key.status();
    after = *key;
  }
  auto page = store_->ListByName(prefix, after, *size);
  if (!page.ok()) return page.status();
  v1::ListCustomersResponse response;
  for (auto& customer : page->items) *response.add_customers() = std::move(customer);
  if (page->last_key) {
    response.set_next_page_token(EncodePageToken(kCustomerPageKind, *page->last_key));
  }
  return response;
}

absl::StatusOr<v1::LookupCustomersResponse> CustomerQueries::Lookup(
    const v1::LookupCustomersRequest& request) const {
  v1::LookupCustomersResponse response;
  switch (request.key_case()) {
    case v1::LookupCustomersRequest::kPhoneNumber: {
      auto e164 = phones_->ToE164(request.phone_number(), "phone_number");
      if (!e164.ok()) return e164.status();
      response.set_normalized_phone_number(*e164);
      auto ids = store_->FindByPhone(*e164);
      if (!ids.ok()) return ids.status();
      if (auto s = AppendCustomers(*store_, *ids, response.mutable_customers()); !s.ok()) return s;
      break;
    }
    case v1::LookupCustomersRequest::kEmail: {
      if (request.email().empty()) return absl::InvalidArgumentError("email: required");
      if (auto s = CheckLength(request.email(), Limits::kEmail, "email"); !s.ok()) return s;
      auto ids = store_->FindByEmail(storage::LowercaseAscii(request.email()));
      if (!ids.ok()) return ids.status();
      if (auto s = AppendCustomers(*store_, *ids, response.mutable_customers()); !s.ok()) return s;
      break;
    }
    case v1::LookupCustomersRequest::kExternalId:
    case v1::LookupCustomersRequest::kCustomerNumber: {
      const bool external = request.key_case() == v1::LookupCustomersRequest::kExternalId;
      const std::string& value = external ? request.external_id() : request.customer_number();
      const char* field = external ? "external_id" : "customer_number";
      if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
      if (auto s = CheckLength(value, Limits::kShortText, field); !s.ok()) return s;
      auto id = external ? store_->FindByExternalId(value) : store_->FindByCustomerNumber(value);
      if (!id.ok()) return id.status();
      if (id->has_value()) {
        if (auto s = AppendCustomers(*store_, {**id}, response.mutable_customers()); !s.ok()) {
          return s;
        }
      }
      break;
    }
    case v1::LookupCustomersRequest::KEY_NOT_SET:
      return absl::InvalidArgumentError(
          "key: one of phone_number, email, external_id, customer_number is required");
  }
  return response;
}

absl::StatusOr<v1::ListInteractionsResponse> CustomerQueries::ListInteractions(
    const v1::ListInteractionsRequest& request) const {
  auto id = ParseCustomerName(request.parent(), "parent");
  if (!id.ok()) return id.status();
  auto size = EffectivePageSize(request.page_size(), kDefaultPageSize, kMaxPageSize);
  if (!size.ok()) return size.status();
  storage::InteractionFilter filter;
  for (int channel : request.channels()) {
    if (channel == v1::INTERACTION_CHANNEL_UNSPECIFIED || !v1::InteractionChannel_IsValid(channel)) {
      return absl::InvalidArgumentError("channels: unknown or unspecified channel");
    }
    filter.channels.insert(channel);
  }
  if (request.has_start_time()) {
    if (!IsValidTimestamp(request.start_time())) {
      return absl::InvalidArgumentError("start_time: not a valid timestamp");
    }
    filter.start_us = TimeUtil::TimestampToMicroseconds(request.start_time());
  }
  if (request.has_end_time()) {
    if (!IsValidTimestamp(request.end_time())) {
      return absl::InvalidArgumentError("end_time: not a valid timestamp");
    }
    filter.end_us = TimeUtil::TimestampToMicroseconds(request.end_time());
  }
  if (filter.start_us && filter.end_us && *filter.start_us > *filter.end_us) {
    return absl::InvalidArgumentError("end_time: before start_time");
  }
  std::optional<std::string> after;
  if (!request.page_token().empty()) {
    auto key = DecodePageToken(request.page_token(), kInteractionPageKind,
                               storage::CustomerKey(*id));
    if (!key.ok()) return key.status();
    if (key->size() != 24) return absl::InvalidArgumentError("page_token: malformed");
    after = *key;
  }
  // NOT_FOUND for an unknown customer rather than an empty list.
  v1::Customer customer;
  if (auto s = store_->GetCustomerInto(*id, &customer); !s.ok()) return s;
  auto page = store_->ListInteractions(*id, filter, after, *size);
  if (!page.ok()) return page.status();
  v1::ListInteractionsResponse response;
  for (auto& interaction : page->items) *response.add_interactions() = std::move(interaction);
  if (page->last_key) {
    response.set_next_page_token(EncodePageToken(kInteractionPageKind, *page->last_key));
  }
  return response;
}

absl::Status CustomerQueries::Context(const v1::GetCustomerContextRequest& request,
                                      v1::CustomerContext* out) const {
  std::string wire;
  if (auto s = ContextWire(request, &wire); !s.ok()) return s;
  if (!out->ParseFromString(wire)) return absl::DataLossError("screen pop is unreadable");
  return absl::OkStatus();
}

absl::Status CustomerQueries::ContextWire(const v1::GetCustomerContextRequest& request,
                                          std::string* out) const {
  using storage::AppendLengthDelimited;
  using storage::AppendVarintField;
  using Field = v1::CustomerContext;
  int limit = request.interaction_limit();
  if (limit < 0 || limit > Limits::kMaxContextInteractions) {
    return absl::InvalidArgumentError(absl::StrCat("interaction_limit: must be 0 to ",
                                                   Limits::kMaxContextInteractions));
  }
  if (limit == 0) limit = Limits::kDefaultContextInteractions;
  if (auto s = CheckLength(request.contact(), Limits::kShortText, "contact"); !s.ok()) return s;

  uint64_t customer_id = 0;
  std::vector<uint64_t> others;
  switch (request.key_case()) {
    case v1::GetCustomerContextRequest::kCustomer: {
      auto id = ParseCustomerName(request.customer(), "customer");
      if (!id.ok()) return id.status();
      customer_id = *id;
      break;
    }
    case v1::GetCustomerContextRequest::kPhoneNumber: {
      auto e164 = phones_->ToE164(request.phone_number(), "phone_number");
      if (!e164.ok()) return e164.status();
      AppendLengthDelimited(out, Field::kNormalizedPhoneNumberFieldNumber, *e164);
      auto ids = store_->FindByPhone(*e164);
      if (!ids.ok()) return ids.status();
      if (ids->empty()) return absl::OkStatus();  // known_caller stays false
      customer_id = ids->front();
      others.assign(ids->begin() + 1, ids->end());
      break;
    }
    case v1::GetCustomerContextRequest::KEY_NOT_SET:
      return absl::InvalidArgumentError("key: customer or phone_number is required");
  }
  if (auto s = store_->AppendScreenPop(customer_id, limit, out); !s.ok()) return s;
  if (auto s = values_.AppendValueField(customer_id, Field::kValueFieldNumber, out); !s.ok()) return s;
  AppendVarintField(out, Field::kKnownCallerFieldNumber, 1);
  for (uint64_t other : others) {
    if (auto s = store_->AppendCustomerField(other, Field::kOtherMatchesFieldNumber, out); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace servicedesk::customers
