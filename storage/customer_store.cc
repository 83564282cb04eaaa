#include "storage/customer_store.h"

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "storage/key_codec.h"

namespace servicedesk::storage {

namespace {

struct IndexRow {
  std::string key;
  std::string value;
  bool operator==(const IndexRow&) const = default;
};

std::vector<IndexRow> IndexRowsOf(uint64_t customer_id, const v1::Customer& customer) {
  std::vector<IndexRow> rows;
  for (const auto& phone : customer.phone_numbers()) {
    rows.push_back({MultiIndexKey(IndexKind::kPhone, phone.number(), customer_id), ""});
  }
  for (const auto& email : customer.emails()) {
    rows.push_back(
        {MultiIndexKey(IndexKind::kEmail, LowercaseAscii(email.address()), customer_id), ""});
  }
  rows.push_back(
      {MultiIndexKey(IndexKind::kName, LowercaseAscii(customer.display_name()), customer_id), ""});
  if (!customer.external_id().empty()) {
    rows.push_back({UniqueIndexKey(IndexKind::kExternalId, customer.external_id()),
                    EncodeU64(customer_id)});
  }
  if (!customer.customer_number().empty()) {
    rows.push_back({UniqueIndexKey(IndexKind::kCustomerNumber, customer.customer_number()),
                    EncodeU64(customer_id)});
  }
  return rows;
}

bool Contains(const std::vector<IndexRow>& rows, const IndexRow& row) {
  for (const auto& candidate : rows) {
    if (candidate == row) return true;
  }
  return false;
}

}  // namespace

std::string CustomerName(uint64_t customer_id) { return absl::StrCat("customers/", customer_id); }

std::string InteractionName(uint64_t customer_id, uint64_t interaction_id) {
  return absl::StrCat("customers/", customer_id, "/interactions/", interaction_id);
}

std::string LowercaseAscii(std::string_view text) {
  return absl::AsciiStrToLower(absl::string_view(text.data(), text.size()));
}

absl::Status CustomerStore::GetCustomerInto(uint64_t customer_id, v1::Customer* out) const {
  rocksdb::PinnableSlice value;
  auto status = db_->db()->Get(rocksdb::ReadOptions(), db_->handle(Family::kCustomers),
                               CustomerKey(customer_id), &value);
  if (status.IsNotFound()) {
    return absl::NotFoundError(absl::StrCat("customer ", CustomerName(customer_id), " not found"));
  }
  if (!status.ok()) return FromRocks(status, "reading customer");
  if (!out->ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return absl::DataLossError(absl::StrCat("customer ", customer_id, " is unreadable"));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Customer> CustomerStore::GetCustomer(uint64_t customer_id) const {
  v1::Customer customer;
  auto status = GetCustomerInto(customer_id, &customer);
  if (!status.ok()) return status;
  return customer;
}

absl::StatusOr<std::vector<uint64_t>> CustomerStore::FindMulti(std::string_view prefix) const {
  std::vector<uint64_t> ids;
  const std::string upper = PrefixSuccessor(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions read;
  read.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(read, db_->handle(Family::kCustomerIndex)));
  for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size())); it->Valid(); it->Next()) {
    auto key = it->key().ToStringView();
    if (key.size() != prefix.size() + 8) continue;  // a longer value that shares the prefix
    ids.push_back(*ReadU64(key, prefix.size()));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading customer index");
  return ids;
}

absl::StatusOr<std::optional<uint64_t>> CustomerStore::FindUnique(std::string_view key) const {
  std::string value;
  auto status = db_->db()->Get(rocksdb::ReadOptions(), db_->handle(Family::kCustomerIndex),
                               rocksdb::Slice(key.data(), key.size()), &value);
  if (status.IsNotFound()) return std::optional<uint64_t>();
  if (!status.ok()) return FromRocks(status, "reading customer index");
  auto id = ReadU64(value);
  if (!id) return absl::DataLossError("customer index: malformed value");
  return id;
}

absl::StatusOr<std::vector<uint64_t>> CustomerStore::FindByPhone(std::string_view e164) const {
  return FindMulti(IndexPrefix(IndexKind::kPhone, e164));
}

absl::StatusOr<std::vector<uint64_t>> CustomerStore::FindByEmail(
    std::string_view lowercase_email) const {
  return FindMulti(IndexPrefix(IndexKind::kEmail, lowercase_email));
}

absl::StatusOr<std::optional<uint64_t>> CustomerStore::FindByExternalId(
    std::string_view external_id) const {
  return FindUnique(UniqueIndexKey(IndexKind::kExternalId, external_id));
}

absl::StatusOr<std::optional<uint64_t>> CustomerStore::FindByCustomerNumber(
    std::string_view number) const {
  return FindUnique(UniqueIndexKey(IndexKind::kCustomerNumber, number));
}

absl::StatusOr<std::optional<uint64_t>> CustomerStore::FindByRequestId(
    std::string_view request_id) const {
  return FindUnique(UniqueIndexKey(IndexKind::kRequestId, request_id));
}

absl::StatusOr<std::optional<std::string>> CustomerStore::FindInteractionByRequestId(
    std::string_view request_id) const {
  std::string value;
  auto status = db_->db()->Get(rocksdb::ReadOptions(), db_->handle(Family::kInteractionRequests),
                               rocksdb::Slice(request_id.data(), request_id.size()), &value);
  if (status.IsNotFound()) return std::optional<std::string>();
  if (!status.ok()) return FromRocks(status, "reading interaction request ids");
  return std::optional<std::string>(std::move(value));
}

absl::StatusOr<v1::Interaction> CustomerStore::GetInteractionByKey(std::string_view key) const {
  rocksdb::PinnableSlice value;
  auto status = db_->db()->Get(rocksdb::ReadOptions(), db_->handle(Family::kInteractions),
                               rocksdb::Slice(key.data(), key.size()), &value);
  if (!status.ok()) return FromRocks(status, "reading interaction");
  v1::Interaction interaction;
  if (!interaction.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return absl::DataLossError("interaction is unreadable");
  }
  return interaction;
}

std::string CustomerStore::NameIndexPrefix(std::string_view lowercase_prefix) {
  std::string prefix(1, static_cast<char>(IndexKind::kName));
  prefix.append(lowercase_prefix);
  return prefix;
}

absl::StatusOr<Page<v1::Customer>> CustomerStore::ListByName(
    std::string_view lowercase_prefix, const std::optional<std::string>& after_key,
    int limit) const {
  Page<v1::Customer> page;
  const std::string prefix = NameIndexPrefix(lowercase_prefix);
  const std::string upper = PrefixSuccessor(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions read;
  read.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(read, db_->handle(Family::kCustomerIndex)));
  it->Seek(after_key ? *after_key : prefix);
  if (after_key && it->Valid() && it->key() == *after_key) it->Next();
  std::string last_key;
  for (; it->Valid(); it->Next()) {
    if (static_cast<int>(page.items.size()) == limit) {
      page.last_key = last_key;
      break;
    }
    auto id = MultiIndexCustomerId(it->key().ToStringView());
    if (!id) continue;
    v1::Customer customer;
    auto status = GetCustomerInto(*id, &customer);
    if (!status.ok()) return status;
    page.items.push_back(std::move(customer));
    last_key = it->key().ToString();
  }
  if (!it->status().ok()) return FromRocks(it->status(), "listing customers");
  return page;
}

absl::StatusOr<Page<v1::Interaction>> CustomerStore::ListInteractions(
    uint64_t customer_id, const InteractionFilter& filter,
    const std::optional<std::string>& after_key, int limit) const {
  Page<v1::Interaction> page;
  const std::string prefix = CustomerKey(customer_id);
  const std::string upper = PrefixSuccessor(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions read;
  read.iterate_upper_bound = &upper_slice;
  read.prefix_same_as_start = true;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(read, db_->handle(Family::kInteractions)));
  std::string start = filter.end_us ? InteractionSeekKey(customer_id, *filter.end_us) : prefix;
  if (after_key && *after_key > start) start = *after_key;
  it->Seek(start);
  if (after_key && it->Valid() && it->key() == *after_key) it->Next();
  std::string last_key;
  for (; it->Valid(); it->Next()) {
    auto parts = DecodeInteractionKey(it->key().ToStringView());
    if (!parts) continue;
    if (filter.start_us && parts->start_time_us < *filter.start_us) break;
    if (static_cast<int>(page.items.size()) == limit) {
      page.last_key = last_key;
      break;
    }
    v1::Interaction interaction;
    if (!interaction.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError("interaction is unreadable");
    }
    if (!filter.channels.empty() && !filter.channels.contains(interaction.channel())) continue;
    page.items.push_back(std::move(interaction));
    last_key = it->key().ToString();
  }
  if (!it->status().ok()) return FromRocks(it->status(), "listing interactions");
  return page;
}

absl::Status CustomerStore::LatestInteractions(
    uint64_t customer_id, int limit,
    google::protobuf::RepeatedPtrField<v1::Interaction>* out) const {
  if (limit <= 0) return absl::OkStatus();
  const std::string prefix = CustomerKey(customer_id);
  rocksdb::ReadOptions read;
  read.prefix_same_as_start = true;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(read, db_->handle(Family::kInteractions)));
  int count = 0;
  for (it->Seek(prefix); it->Valid() && count < limit; it->Next(), ++count) {
    if (!out->Add()->ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError("interaction is unreadable");
    }
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading interactions");
  return absl::OkStatus();
}

absl::Status CustomerStore::OpenItems(
    uint64_t customer_id, google::protobuf::RepeatedPtrField<v1::TicketSummary>* tickets,
    google::protobuf::RepeatedPtrField<v1::ComplaintSummary>* complaints) const {
  const std::string prefix = CustomerKey(customer_id);
  rocksdb::ReadOptions read;
  read.prefix_same_as_start = true;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(read, db_->handle(Family::kOpenItems)));
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    auto key = it->key().ToStringView();
    if (key.size() < 9) continue;
    const auto kind = static_cast<OpenItemKind>(static_cast<uint8_t>(key[8]));
    bool parsed = true;
    if (kind == OpenItemKind::kTicket) {
      parsed = tickets->Add()->ParseFromArray(it->value().data(),
                                              static_cast<int>(it->value().size()));
    } else if (kind == OpenItemKind::kComplaint) {
      parsed = complaints->Add()->ParseFromArray(it->value().data(),
                                                 static_cast<int>(it->value().size()));
    }
    if (!parsed) return absl::DataLossError("open item is unreadable");
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading open items");
  return absl::OkStatus();
}

void CustomerStore::PutCustomer(rocksdb::WriteBatch* batch, uint64_t customer_id,
                                const v1::Customer* before, const v1::Customer& after) const {
  auto* index = db_->handle(Family::kCustomerIndex);
  const auto new_rows = IndexRowsOf(customer_id, after);
  if (before != nullptr) {
    for (const auto& row : IndexRowsOf(customer_id, *before)) {
      if (!Contains(new_rows, row)) batch->Delete(index, row.key).PermitUncheckedError();
    }
  }
  for (const auto& row : new_rows) batch->Put(index, row.key, row.value).PermitUncheckedError();
  batch->Put(db_->handle(Family::kCustomers), CustomerKey(customer_id), after.SerializeAsString())
      .PermitUncheckedError();
}

void CustomerStore::PutRequestId(rocksdb::WriteBatch* batch, std::string_view request_id,
                                 uint64_t customer_id) const {
  batch->Put(db_->handle(Family::kCustomerIndex),
             UniqueIndexKey(IndexKind::kRequestId, request_id), EncodeU64(customer_id))
      .PermitUncheckedError();
}

std::string CustomerStore::PutInteraction(rocksdb::WriteBatch* batch, uint64_t customer_id,
                                          uint64_t interaction_id, int64_t start_time_us,
                                          const v1::Interaction& interaction) const {
  std::string key = InteractionKey(customer_id, start_time_us, interaction_id);
  batch->Put(db_->handle(Family::kInteractions), key, interaction.SerializeAsString())
      .PermitUncheckedError();
  return key;
}

void CustomerStore::PutInteractionRequestId(rocksdb::WriteBatch* batch,
                                            std::string_view request_id,
                                            std::string_view interaction_key) const {
  batch->Put(db_->handle(Family::kInteractionRequests),
             rocksdb::Slice(request_id.data(), request_id.size()),
             rocksdb::Slice(interaction_key.data(), interaction_key.size()))
      .PermitUncheckedError();
}

}  // namespace servicedesk::storage
