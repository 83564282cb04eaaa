#include "storage/customer_store.h"

#include <algorithm>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "storage/id_set_merge.h"
#include "storage/key_codec.h"
#include "storage/wire_format.h"

namespace servicedesk::storage {

namespace {

struct IndexRow {
  std::string key;
  std::string value;
  bool operator==(const IndexRow&) const = default;
};

// Phone and e-mail keys: rows whose value is an id set (merge operands).
std::vector<std::string> SharedKeysOf(const v1::Customer& customer) {
  std::vector<std::string> keys;
  for (const auto& phone : customer.phone_numbers()) {
    keys.push_back(UniqueIndexKey(IndexKind::kPhone, phone.number()));
  }
  for (const auto& email : customer.emails()) {
    keys.push_back(UniqueIndexKey(IndexKind::kEmail, LowercaseAscii(email.address())));
  }
  return keys;
}

// Rows owned by this customer alone.
std::vector<IndexRow> IndexRowsOf(uint64_t customer_id, const v1::Customer& customer) {
  std::vector<IndexRow> rows;
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

absl::Status CustomerStore::ReadCustomerRow(uint64_t customer_id,
                                           rocksdb::PinnableSlice* value) const {
  auto status = db_->db()->Get(rocksdb::ReadOptions(), db_->handle(Family::kCustomers),
                               CustomerKey(customer_id), value);
  if (status.IsNotFound()) {
    return absl::NotFoundError(absl::StrCat("customer ", CustomerName(customer_id), " not found"));
  }
  return FromRocks(status, "reading customer");
}

absl::Status CustomerStore::GetCustomerInto(uint64_t customer_id, v1::Customer* out) const {
  rocksdb::PinnableSlice value;
  if (auto status = ReadCustomerRow(customer_id, &value); !status.ok()) return status;
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

absl::StatusOr<std::vector<uint64_t>> CustomerStore::FindShared(std::string_view key) const {
  std::vector<uint64_t> ids;
  rocksdb::PinnableSlice value;
  auto status = db_->db()->Get(rocksdb::ReadOptions(), db_->handle(Family::kCustomerIndex),
                               rocksdb::Slice(key.data(), key.size()), &value);
  if (status.IsNotFound()) return ids;
  if (!status.ok()) return FromRocks(status, "reading customer index");
  if (!DecodeIdSet(value.ToStringView(), &ids)) {
    return absl::DataLossError("customer index: malformed id set");
  }
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
  return FindShared(UniqueIndexKey(IndexKind::kPhone, e164));
}

absl::StatusOr<std::vector<uint64_t>> CustomerStore::FindByEmail(
    std::string_view lowercase_email) const {
  return FindShared(UniqueIndexKey(IndexKind::kEmail, lowercase_email));
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

absl::Status CustomerStore::AppendCustomerField(uint64_t customer_id, uint32_t field,
                                               std::string* out) const {
  rocksdb::PinnableSlice value;
  if (auto status = ReadCustomerRow(customer_id, &value); !status.ok()) return status;
  AppendLengthDelimited(out, field, value.ToStringView());
  return absl::OkStatus();
}

absl::Status CustomerStore::AppendScreenPop(uint64_t customer_id, int limit,
                                           std::string* out) const {
  rocksdb::PinnableSlice value;
  auto status = db_->db()->Get(rocksdb::ReadOptions(), db_->handle(Family::kScreenPop),
                               CustomerKey(customer_id), &value);
  if (status.IsNotFound()) {
    return absl::NotFoundError(absl::StrCat("customer ", CustomerName(customer_id), " not found"));
  }
  if (!status.ok()) return FromRocks(status, "reading screen pop");
  // Walk the top-level fields (all length-delimited); copy all but the interactions past
  // `limit`. Serialized fields come in field-number order, so this is one forward pass.
  std::string_view row = value.ToStringView();
  int interactions = 0;
  std::size_t offset = 0;
  while (offset < row.size()) {
    const std::size_t start = offset;
    uint64_t tag = 0, length = 0;
    if (!ReadVarint(row, &offset, &tag) || (tag & 7) != 2 || !ReadVarint(row, &offset, &length) ||
        length > row.size() - offset) {
      return absl::DataLossError(absl::StrCat("screen pop of ", CustomerName(customer_id),
                                              " is unreadable"));
    }
    offset += length;
    if ((tag >> 3) == v1::ScreenPopRow::kRecentInteractionsFieldNumber && interactions++ >= limit) {
      continue;
    }
    out->append(row.data() + start, offset - start);
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::ScreenPopRow> CustomerStore::ReadScreenPop(uint64_t customer_id) const {
  v1::ScreenPopRow row;
  rocksdb::PinnableSlice value;
  auto status = db_->db()->Get(rocksdb::ReadOptions(), db_->handle(Family::kScreenPop),
                               CustomerKey(customer_id), &value);
  if (status.IsNotFound()) return row;
  if (!status.ok()) return FromRocks(status, "reading screen pop");
  if (!row.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return absl::DataLossError("screen pop row is unreadable");
  }
  return row;
}

void CustomerStore::PutScreenPop(rocksdb::WriteBatch* batch, uint64_t customer_id,
                                 const v1::ScreenPopRow& row) const {
  batch->Put(db_->handle(Family::kScreenPop), CustomerKey(customer_id), row.SerializeAsString())
      .PermitUncheckedError();
}

namespace {
uint64_t InteractionIdOf(const v1::Interaction& interaction) {
  const std::string& name = interaction.name();
  const auto slash = name.rfind('/');
  uint64_t id = 0;
  for (std::size_t i = slash + 1; i < name.size(); ++i) id = id * 10 + static_cast<uint64_t>(name[i] - '0');
  return id;
}
// The interactions family's order: newest first, then by id.
bool ComesBefore(const v1::Interaction& a, const v1::Interaction& b) {
  if (a.start_time().seconds() != b.start_time().seconds()) {
    return a.start_time().seconds() > b.start_time().seconds();
  }
  if (a.start_time().nanos() / 1000 != b.start_time().nanos() / 1000) {
    return a.start_time().nanos() / 1000 > b.start_time().nanos() / 1000;
  }
  return InteractionIdOf(a) < InteractionIdOf(b);
}
}  // namespace

void CustomerStore::AddRecentInteraction(v1::ScreenPopRow* row,
                                         const v1::Interaction& interaction) {
  auto* recent = row->mutable_recent_interactions();
  auto position = std::find_if(recent->begin(), recent->end(), [&](const v1::Interaction& other) {
    return ComesBefore(interaction, other);
  });
  const int index = static_cast<int>(position - recent->begin());
  if (index >= kRecentInteractions) return;
  *recent->Add() = interaction;
  for (int i = recent->size() - 1; i > index; --i) recent->SwapElements(i, i - 1);
  while (recent->size() > kRecentInteractions) recent->RemoveLast();
}

void CustomerStore::PutCustomer(rocksdb::WriteBatch* batch, uint64_t customer_id,
                                const v1::Customer* before, const v1::Customer& after) const {
  auto* index = db_->handle(Family::kCustomerIndex);
  const auto new_shared = SharedKeysOf(after);
  const auto old_shared = before != nullptr ? SharedKeysOf(*before) : std::vector<std::string>();
  for (const auto& key : old_shared) {
    if (std::find(new_shared.begin(), new_shared.end(), key) == new_shared.end()) {
      batch->Merge(index, key, IdSetRemove(customer_id)).PermitUncheckedError();
    }
  }
  for (const auto& key : new_shared) {
    if (std::find(old_shared.begin(), old_shared.end(), key) == old_shared.end()) {
      batch->Merge(index, key, IdSetAdd(customer_id)).PermitUncheckedError();
    }
  }
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

void CustomerStore::ReplaceInteraction(rocksdb::WriteBatch* batch, std::string_view key,
                                       const v1::Interaction& interaction) const {
  batch->Put(db_->handle(Family::kInteractions), rocksdb::Slice(key.data(), key.size()),
             interaction.SerializeAsString())
      .PermitUncheckedError();
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
