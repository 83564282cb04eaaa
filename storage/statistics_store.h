#pragma once

// The statistics family: the supervisors' interval history.
//
//   statistics   'i' queue 0x00 u64 interval start µs -> QueueIntervalRow
//
// A queue's row of the interval in which an event happened is rewritten in the batch of
// that event, so the stored figures are always those of what was committed; a restart
// reads today's rows back (the current interval and today go on), and the history is a
// range scan per queue.
//
// Reads are thread-safe; Put only adds to a WriteBatch that EventWriter commits.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/write_batch.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "servicedesk/v1/events.pb.h"
#include "storage/database.h"

namespace servicedesk::storage {

class StatisticsStore {
 public:
  explicit StatisticsStore(Database* db) : db_(db) {}

  void PutInterval(rocksdb::WriteBatch* batch, const v1::QueueIntervalRow& row) const;

  // The rows of `queue` whose interval starts in [from, to), oldest first, at most `limit`
  // (0: no limit); `after` (a start time) skips up to and including it (paging).
  absl::StatusOr<std::vector<v1::QueueIntervalRow>> Intervals(std::string_view queue, absl::Time from,
                                                              absl::Time to, int limit = 0,
                                                              std::optional<absl::Time> after = std::nullopt) const;

  // Every queue with stored rows, sorted.
  absl::StatusOr<std::vector<std::string>> Queues() const;

 private:
  Database* db_;
};

}  // namespace servicedesk::storage
