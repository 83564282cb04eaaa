#include "storage/indexed_records.h"

#include <limits>
#include <memory>

#include "absl/strings/str_cat.h"
#include "storage/key_codec.h"

namespace servicedesk::storage {

namespace {

std::string CustomerPrefix(uint64_t customer_id) {
  std::string key(1, 'c');
  AppendU64(&key, customer_id);
  return key;
}

std::string CustomerKey(uint64_t customer_id, uint64_t id) {
  std::string key = CustomerPrefix(customer_id);
  AppendU64(&key, std::numeric_limits<uint64_t>::max() - id);
  return key;
}

std::string RequestKey(std::string_view request_id) {
  std::string key(1, 'r');
  key.append(request_id);
  return key;
}

}  // namespace

std::string IndexedRecords::RecordKey(uint64_t id) const {
  std::string key(1, record_prefix_);
  AppendU64(&key, id);
  return key;
}

absl::StatusOr<std::string> IndexedRecords::Get(uint64_t id, const std::string& name) const {
  std::string value;
  auto status = db_->db()->Get(rocksdb::ReadOptions(), db_->handle(family_), RecordKey(id), &value);
  if (status.IsNotFound()) return absl::NotFoundError(absl::StrCat(kind_, ": '", name, "' not found"));
  if (!status.ok()) return FromRocks(status, absl::StrCat("reading a ", kind_));
  return value;
}

absl::StatusOr<std::optional<uint64_t>> IndexedRecords::FindByRequestId(std::string_view request_id) const {
  rocksdb::PinnableSlice value;
  auto status = db_->db()->Get(rocksdb::ReadOptions(), db_->handle(family_), RequestKey(request_id), &value);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) return FromRocks(status, absl::StrCat("reading a ", kind_, " request id"));
  auto id = ReadU64(std::string_view(value.data(), value.size()));
  if (!id) return absl::DataLossError(absl::StrCat(FamilyName(family_), " family: unreadable request id row"));
  return *id;
}

void IndexedRecords::Put(rocksdb::WriteBatch* batch, uint64_t id, uint64_t customer_id, const std::string& bytes,
                         bool open) const {
  auto* family = db_->handle(family_);
  batch->Put(family, RecordKey(id), bytes).PermitUncheckedError();
  batch->Put(family, CustomerKey(customer_id, id), "").PermitUncheckedError();
  std::string open_key(1, 'o');
  AppendU64(&open_key, id);
  if (open) {
    batch->Put(family, open_key, "").PermitUncheckedError();
  } else {
    batch->Delete(family, open_key).PermitUncheckedError();
  }
}

void IndexedRecords::PutRequestId(rocksdb::WriteBatch* batch, std::string_view request_id, uint64_t id) const {
  batch->Put(db_->handle(family_), RequestKey(request_id), EncodeU64(id)).PermitUncheckedError();
}

absl::StatusOr<std::vector<uint64_t>> IndexedRecords::OpenIds() const {
  std::vector<uint64_t> ids;
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(rocksdb::ReadOptions(), db_->handle(family_)));
  for (it->Seek("o"); it->Valid() && it->key().starts_with("o"); it->Next()) {
    auto id = ReadU64(std::string_view(it->key().data(), it->key().size()), 1);
    if (!id) return absl::DataLossError(absl::StrCat(FamilyName(family_), " family: unreadable open row"));
    ids.push_back(*id);
  }
  if (!it->status().ok()) return FromRocks(it->status(), absl::StrCat("reading open ", kind_, "s"));
  return ids;
}

absl::StatusOr<IndexedRecords::Scan> IndexedRecords::List(
    std::optional<uint64_t> customer_id, std::optional<uint64_t> after,
    const std::function<absl::StatusOr<bool>(uint64_t, std::string_view)>& visit, int limit) const {
  Scan scan;
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(rocksdb::ReadOptions(), db_->handle(family_)));
  const std::string prefix = customer_id ? CustomerPrefix(*customer_id) : std::string(1, record_prefix_);
  // Either a customer's index rows (newest first by key) or the records backwards.
  auto next_id = [&]() -> std::optional<uint64_t> {
    if (!it->Valid()) return std::nullopt;
    const std::string_view key(it->key().data(), it->key().size());
    if (!key.starts_with(prefix)) return std::nullopt;
    auto value = ReadU64(key, prefix.size());
    if (!value) return std::nullopt;
    return customer_id ? std::numeric_limits<uint64_t>::max() - *value : *value;
  };
  if (customer_id) {
    it->Seek(after ? CustomerKey(*customer_id, *after) : prefix);
    if (after && it->Valid() && next_id() == after) it->Next();
  } else {
    it->SeekForPrev(RecordKey(after ? *after : std::numeric_limits<uint64_t>::max()));
    if (after && it->Valid() && next_id() == after) it->Prev();
  }
  int kept = 0;
  int examined = 0;
  std::string bytes;
  for (std::optional<uint64_t> id = next_id(); id; id = next_id()) {
    std::string_view record;
    if (customer_id) {
      auto got = Get(*id, absl::StrCat(*id));
      if (!got.ok()) return got.status();
      bytes = *std::move(got);
      record = bytes;
    } else {
      record = std::string_view(it->value().data(), it->value().size());
    }
    auto keep = visit(*id, record);
    if (!keep.ok()) return keep.status();
    if (*keep) ++kept;
    if (kept >= limit || ++examined >= limit * 20) {
      scan.last = *id;
      break;
    }
    if (customer_id) it->Next(); else it->Prev();
  }
  if (!it->status().ok()) return FromRocks(it->status(), absl::StrCat("listing ", kind_, "s"));
  return scan;
}

absl::Status IndexedRecords::ForEach(const std::function<absl::Status(uint64_t, std::string_view)>& visit) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(rocksdb::ReadOptions(), db_->handle(family_)));
  const std::string prefix(1, record_prefix_);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    auto id = ReadU64(std::string_view(it->key().data(), it->key().size()), 1);
    if (!id) continue;
    if (auto s = visit(*id, std::string_view(it->value().data(), it->value().size())); !s.ok()) return s;
  }
  if (!it->status().ok()) return FromRocks(it->status(), absl::StrCat("reading ", kind_, "s"));
  return absl::OkStatus();
}

}  // namespace servicedesk::storage
