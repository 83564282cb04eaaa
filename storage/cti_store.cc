#include "storage/cti_store.h"

#include <memory>

#include "storage/key_codec.h"

namespace servicedesk::storage {

namespace {

std::string Key(char tag, std::string_view source, std::string_view id) {
  std::string key(1, tag);
  key.append(source);
  key.push_back('\0');
  key.append(id);
  return key;
}

}  // namespace

absl::StatusOr<bool> CtiStore::Seen(std::string_view source, std::string_view event_id) const {
  rocksdb::PinnableSlice value;
  auto status = db_->db()->Get(rocksdb::ReadOptions(), db_->handle(Family::kCti),
                               Key('e', source, event_id), &value);
  if (status.IsNotFound()) return false;
  if (!status.ok()) return FromRocks(status, "reading a CTI event id");
  return true;
}

void CtiStore::PutSeen(rocksdb::WriteBatch* batch, std::string_view source,
                       std::string_view event_id) const {
  batch->Put(db_->handle(Family::kCti), Key('e', source, event_id), "").PermitUncheckedError();
}

absl::StatusOr<std::vector<v1::CtiCallRow>> CtiStore::LoadCalls() const {
  std::vector<v1::CtiCallRow> calls;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->handle(Family::kCti)));
  for (it->Seek("c"); it->Valid() && it->key().starts_with("c"); it->Next()) {
    v1::CtiCallRow row;
    if (!row.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError("cti family: unreadable call row");
    }
    calls.push_back(std::move(row));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading CTI calls");
  return calls;
}

void CtiStore::PutCall(rocksdb::WriteBatch* batch, const v1::CtiCallRow& row) const {
  batch->Put(db_->handle(Family::kCti), Key('c', row.source(), row.call_id()), row.SerializeAsString())
      .PermitUncheckedError();
}

void CtiStore::DeleteCall(rocksdb::WriteBatch* batch, std::string_view source,
                          std::string_view call_id) const {
  batch->Delete(db_->handle(Family::kCti), Key('c', source, call_id)).PermitUncheckedError();
}

}  // namespace servicedesk::storage
