#pragma once

// The cti family: which events each CTI source has sent (de-duplication survives a
// restart) and the live calls (to resume them).
//
//   cti   'e' source 0x00 event_id  -> "" (applied)
//         'c' source 0x00 call_id   -> CtiCallRow
//
// Reads are thread-safe; Put*/Delete* only add to a WriteBatch that EventWriter commits.

#include <optional>
#include <string_view>
#include <vector>

#include <rocksdb/write_batch.h>

#include "absl/status/statusor.h"
#include "servicedesk/v1/events.pb.h"
#include "storage/database.h"

namespace servicedesk::storage {

class CtiStore {
 public:
  explicit CtiStore(Database* db) : db_(db) {}

  // Whether (source, event_id) was applied before.
  absl::StatusOr<bool> Seen(std::string_view source, std::string_view event_id) const;
  void PutSeen(rocksdb::WriteBatch* batch, std::string_view source, std::string_view event_id) const;

  absl::StatusOr<std::vector<v1::CtiCallRow>> LoadCalls() const;
  void PutCall(rocksdb::WriteBatch* batch, const v1::CtiCallRow& row) const;
  void DeleteCall(rocksdb::WriteBatch* batch, std::string_view source, std::string_view call_id) const;

 private:
  Database* db_;
};

}  // namespace servicedesk::storage
