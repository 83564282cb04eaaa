#include "storage/cti_store.h"

#include <algorithm>
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

std::string InstructionKey(std::string_view source, uint64_t number) {
  std::string key(1, 'i');
  key.append(source);
  key.push_back('\0');
  AppendU64(&key, number);
  return key;
}

std::string ExpiryKey(absl::Time applied, std::string_view source, std::string_view event_id) {
  std::string key(1, 't');
  AppendU64(&key, static_cast<uint64_t>(std::max<int64_t>(absl::ToUnixMicros(applied), 0)));
  key.append(source);
  key.push_back('\0');
  key.append(event_id);
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
                       std::string_view event_id, absl::Time applied) const {
  auto* family = db_->handle(Family::kCti);
  batch->Put(family, Key('e', source, event_id),
             EncodeU64(static_cast<uint64_t>(std::max<int64_t>(absl::ToUnixMicros(applied), 0))))
      .PermitUncheckedError();
  batch->Put(family, ExpiryKey(applied, source, event_id), "").PermitUncheckedError();
}

absl::StatusOr<int> CtiStore::ExpireSeen(rocksdb::WriteBatch* batch, absl::Time cutoff,
                                         int limit) const {
  auto* family = db_->handle(Family::kCti);
  const std::string end = ExpiryKey(cutoff, "", "");  // 't' + cutoff: every older row sorts before
  rocksdb::ReadOptions options;
  const rocksdb::Slice upper(end);
  options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(options, family));
  int expired = 0;
  for (it->Seek("t"); it->Valid() && expired < limit; it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    if (key.size() < 1 + 8) return absl::DataLossError("cti family: unreadable event-id expiry row");
    const std::string_view rest = key.substr(1 + 8);  // source 0x00 event_id
    const auto separator = rest.find('\0');
    if (separator == std::string_view::npos) {
      return absl::DataLossError("cti family: unreadable event-id expiry row");
    }
    batch->Delete(family, Key('e', rest.substr(0, separator), rest.substr(separator + 1)))
        .PermitUncheckedError();
    batch->Delete(family, it->key()).PermitUncheckedError();
    ++expired;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading CTI event ids");
  return expired;
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

absl::StatusOr<std::vector<CtiStore::StoredInstruction>> CtiStore::LoadInstructions() const {
  std::vector<StoredInstruction> instructions;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->handle(Family::kCti)));
  for (it->Seek("i"); it->Valid() && it->key().starts_with("i"); it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    const auto separator = key.find('\0');
    StoredInstruction stored;
    auto number = separator == std::string_view::npos ? std::nullopt : ReadU64(key, separator + 1);
    if (!number || !stored.instruction.ParseFromArray(it->value().data(),
                                                      static_cast<int>(it->value().size()))) {
      return absl::DataLossError("cti family: unreadable instruction row");
    }
    stored.source = std::string(key.substr(1, separator - 1));
    stored.number = *number;
    instructions.push_back(std::move(stored));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading CTI instructions");
  return instructions;
}

void CtiStore::PutInstruction(rocksdb::WriteBatch* batch, std::string_view source, uint64_t number,
                              const v1::RoutingInstruction& instruction) const {
  batch->Put(db_->handle(Family::kCti), InstructionKey(source, number),
             instruction.SerializeAsString())
      .PermitUncheckedError();
}

void CtiStore::DeleteInstruction(rocksdb::WriteBatch* batch, std::string_view source,
                                 uint64_t number) const {
  batch->Delete(db_->handle(Family::kCti), InstructionKey(source, number)).PermitUncheckedError();
}

}  // namespace servicedesk::storage
