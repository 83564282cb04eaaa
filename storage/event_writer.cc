#include "storage/event_writer.h"

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "absl/strings/str_cat.h"
#include "storage/key_codec.h"

namespace servicedesk::storage {

namespace {
constexpr absl::string_view kCounterPrefix = "counter/";
}

absl::StatusOr<std::unique_ptr<EventWriter>> EventWriter::Create(Database* db) {
  std::unique_ptr<EventWriter> writer(new EventWriter(db));
  {
    std::unique_ptr<rocksdb::Iterator> it(
        db->db()->NewIterator(rocksdb::ReadOptions(), db->handle(Family::kEvents)));
    it->SeekToLast();
    if (it->Valid()) {
      auto seq = ReadU64(it->key().ToStringView());
      if (!seq) return absl::DataLossError("events: malformed key at the end of the log");
      writer->last_seq_ = *seq;
    }
    if (!it->status().ok()) return FromRocks(it->status(), "reading the event log");
  }
  {
    std::unique_ptr<rocksdb::Iterator> it(
        db->db()->NewIterator(rocksdb::ReadOptions(), db->handle(Family::kMeta)));
    for (it->Seek(rocksdb::Slice(kCounterPrefix.data(), kCounterPrefix.size())); it->Valid() && it->key().starts_with(rocksdb::Slice(kCounterPrefix.data(), kCounterPrefix.size()));
         it->Next()) {
      auto next = ReadU64(it->value().ToStringView());
      if (!next) return absl::DataLossError(absl::StrCat("meta: malformed ", it->key().ToString()));
      writer->next_ids_[it->key().ToString().substr(kCounterPrefix.size())] = *next;
    }
    if (!it->status().ok()) return FromRocks(it->status(), "reading id counters");
  }
  return writer;
}

void EventWriter::CheckSingleWriter() {
  const std::thread::id self = std::this_thread::get_id();
  std::thread::id expected{};
  if (!owner_.compare_exchange_strong(expected, self) && expected != self) {
    std::fprintf(stderr, "servicedesk: EventWriter used from a second thread; only the desk loop writes\n");
    std::abort();
  }
}

uint64_t EventWriter::NextId(rocksdb::WriteBatch* batch, const std::string& name) {
  CheckSingleWriter();
  auto [it, inserted] = next_ids_.try_emplace(name, 1);
  const uint64_t id = it->second++;
  batch->Put(db_->handle(Family::kMeta), absl::StrCat(kCounterPrefix, name), EncodeU64(it->second))
      .PermitUncheckedError();
  return id;
}

absl::StatusOr<uint64_t> EventWriter::Commit(rocksdb::WriteBatch* batch, v1::Event* event) {
  return Commit(batch, std::vector<v1::Event*>{event});
}

absl::StatusOr<uint64_t> EventWriter::Commit(rocksdb::WriteBatch* batch,
                                             const std::vector<v1::Event*>& events) {
  CheckSingleWriter();
  if (events.empty()) return absl::InternalError("commit without an event");
  if (!injected_failure_.ok()) return injected_failure_;
  uint64_t seq = last_seq_;
  for (v1::Event* event : events) {
    event->set_seq(++seq);
    if (event->shard().empty()) event->set_shard("default");
    std::string payload;
    if (!event->SerializeToString(&payload)) return absl::InternalError("cannot encode event");
    auto put = batch->Put(db_->handle(Family::kEvents), EventKey(seq), payload);
    if (!put.ok()) return FromRocks(put, "adding event to batch");
  }
  rocksdb::WriteOptions options = db_->write_options();
  const bool deferred = defer_sync_ && options.sync;
  if (deferred) options.sync = false;
  auto status = db_->db()->Write(options, batch);
  if (!status.ok()) return FromRocks(status, "committing batch");
  last_seq_ = seq;
  if (deferred) {
    deferred_through_ = seq;
  } else if (options.sync) {
    synced_through_ = seq;  // the fsync covered everything written before it
  }
  return seq;
}

absl::Status EventWriter::SyncDeferred() {
  CheckSingleWriter();
  if (!has_unsynced()) return absl::OkStatus();
  auto status = db_->db()->SyncWAL();
  if (!status.ok()) return FromRocks(status, "syncing the WAL");
  synced_through_ = last_seq_;
  return absl::OkStatus();
}

}  // namespace servicedesk::storage
