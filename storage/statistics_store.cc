#include "storage/statistics_store.h"

#include <algorithm>
#include <memory>

#include "storage/key_codec.h"

namespace servicedesk::storage {

namespace {

uint64_t Micros(absl::Time t) { return static_cast<uint64_t>(std::max<int64_t>(absl::ToUnixMicros(t), 0)); }

std::string QueuePrefix(std::string_view queue) {
  std::string key(1, 'i');
  key.append(queue);
  key.push_back('\0');
  return key;
}

std::string IntervalKey(std::string_view queue, uint64_t start_us) {
  std::string key = QueuePrefix(queue);
  AppendU64(&key, start_us);
  return key;
}

}  // namespace

void StatisticsStore::PutInterval(rocksdb::WriteBatch* batch, const v1::QueueIntervalRow& row) const {
  const absl::Time start = absl::FromUnixSeconds(row.statistics().start_time().seconds()) +
                           absl::Nanoseconds(row.statistics().start_time().nanos());
  batch->Put(db_->handle(Family::kStatistics), IntervalKey(row.queue(), Micros(start)), row.SerializeAsString())
      .PermitUncheckedError();
}

absl::StatusOr<std::vector<v1::QueueIntervalRow>> StatisticsStore::Intervals(std::string_view queue, absl::Time from,
                                                                             absl::Time to, int limit,
                                                                             std::optional<absl::Time> after) const {
  std::vector<v1::QueueIntervalRow> rows;
  // `after` only narrows [from, to): an `after` before `from` must not reach below it.
  const std::string begin =
      IntervalKey(queue, after ? std::max(Micros(from), Micros(*after) + 1) : Micros(from));
  const std::string end = IntervalKey(queue, Micros(to));
  if (begin >= end) return rows;
  rocksdb::ReadOptions options;
  rocksdb::Slice upper(end);
  options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(options, db_->handle(Family::kStatistics)));
  for (it->Seek(begin); it->Valid(); it->Next()) {
    v1::QueueIntervalRow row;
    if (!row.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError("statistics: an interval row does not parse");
    }
    rows.push_back(std::move(row));
    if (limit > 0 && static_cast<int>(rows.size()) >= limit) break;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading interval statistics");
  return rows;
}

absl::StatusOr<std::vector<std::string>> StatisticsStore::Queues() const {
  std::vector<std::string> queues;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->handle(Family::kStatistics)));
  // One seek per queue: past the last possible key of the queue found.
  for (it->Seek("i"); it->Valid() && it->key().starts_with("i");) {
    const std::string_view key(it->key().data(), it->key().size());
    const std::size_t nul = key.find('\0', 1);
    if (nul == std::string_view::npos) return absl::DataLossError("statistics: a key without its queue");
    queues.emplace_back(key.substr(1, nul - 1));
    std::string next = QueuePrefix(queues.back());
    next.back() = '\1';
    it->Seek(next);
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading interval statistics");
  return queues;
}

}  // namespace servicedesk::storage
