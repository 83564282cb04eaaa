#pragma once

// The cti family: which events each CTI source has sent (de-duplication survives a
// restart, for a horizon), the live calls (to resume them) and the routing instructions the
// telephony has not acknowledged yet (sent again after a reconnect or a restart).
//
//   cti   'e' source 0x00 event_id               -> u64 applied time, µs since the epoch
//         't' u64 applied time µs, source 0x00 event_id -> ""   (the expiry index of 'e')
//         'c' source 0x00 call_id                -> CtiCallRow
//         'i' source 0x00 u64 instruction number -> RoutingInstruction
//
// Integers are big-endian, so 't' rows are in time order and 'i' rows in the order the
// instructions were given. Rows 'e' written before the expiry index existed hold "" and
// have no 't' row: they are kept.
//
// Reads are thread-safe; Put*/Delete* only add to a WriteBatch that EventWriter commits.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rocksdb/write_batch.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "servicedesk/v1/cti.pb.h"
#include "servicedesk/v1/events.pb.h"
#include "storage/database.h"

namespace servicedesk::storage {

class CtiStore {
 public:
  explicit CtiStore(Database* db) : db_(db) {}

  // Whether (source, event_id) was applied before (and not yet expired).
  absl::StatusOr<bool> Seen(std::string_view source, std::string_view event_id) const;
  void PutSeen(rocksdb::WriteBatch* batch, std::string_view source, std::string_view event_id,
               absl::Time applied) const;
  // Adds to `batch` the deletion of at most `limit` event ids applied before `cutoff`, oldest
  // first. Returns how many.
  absl::StatusOr<int> ExpireSeen(rocksdb::WriteBatch* batch, absl::Time cutoff, int limit) const;

  absl::StatusOr<std::vector<v1::CtiCallRow>> LoadCalls() const;
  void PutCall(rocksdb::WriteBatch* batch, const v1::CtiCallRow& row) const;
  void DeleteCall(rocksdb::WriteBatch* batch, std::string_view source, std::string_view call_id) const;

  // Unacknowledged instructions, by source, each in the order given. `number` is the
  // instruction's id without its "i-" prefix.
  struct StoredInstruction {
    std::string source;
    uint64_t number = 0;
    v1::RoutingInstruction instruction;
  };
  absl::StatusOr<std::vector<StoredInstruction>> LoadInstructions() const;
  void PutInstruction(rocksdb::WriteBatch* batch, std::string_view source, uint64_t number,
                      const v1::RoutingInstruction& instruction) const;
  void DeleteInstruction(rocksdb::WriteBatch* batch, std::string_view source, uint64_t number) const;

 private:
  Database* db_;
};

}  // namespace servicedesk::storage
