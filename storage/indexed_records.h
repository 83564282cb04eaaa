#pragma once

// Records of one kind in one column family, with the indexes every desk record needs
// (tickets, complaints):
//
//   'k'|'t' u64 id                               -> the record (a serialized row)
//   'c' u64 customer id, u64 (~id)               -> ""   (a customer's records, newest first)
//   'o' u64 id                                   -> ""   (open ones, for timers at start)
//   'r' request id                               -> u64 id (idempotent create)
//
// Integers big-endian, so RocksDB's order is the order listed. Reads are thread-safe; Put*
// only add to a WriteBatch that EventWriter commits. The owner parses the bytes.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/write_batch.h>

#include "absl/status/statusor.h"
#include "storage/database.h"

namespace servicedesk::storage {

class IndexedRecords {
 public:
  // `record_prefix`: the key letter of the records ('t' for tickets, 'k' for complaints);
  // `kind`: for messages ("ticket").
  IndexedRecords(Database* db, Family family, char record_prefix, std::string kind)
      : db_(db), family_(family), record_prefix_(record_prefix), kind_(std::move(kind)) {}

  // NOT_FOUND naming `name` when there is none.
  absl::StatusOr<std::string> Get(uint64_t id, const std::string& name) const;
  absl::StatusOr<std::optional<uint64_t>> FindByRequestId(std::string_view request_id) const;
  // The record, its customer index row, and its open index row (added or removed).
  void Put(rocksdb::WriteBatch* batch, uint64_t id, uint64_t customer_id, const std::string& bytes,
           bool open) const;
  void PutRequestId(rocksdb::WriteBatch* batch, std::string_view request_id, uint64_t id) const;
  // The ids of the open records, ascending.
  absl::StatusOr<std::vector<uint64_t>> OpenIds() const;

  // Records newest first, after id `after` (exclusive) when given, of `customer_id` only when
  // given; `visit` returns whether it kept the record. Stops after `limit` kept ones, or
  // after examining 20 x limit (a long run the filter skips); `last` is then the id of the
  // last one examined (for the next page).
  struct Scan {
    std::optional<uint64_t> last;
  };
  absl::StatusOr<Scan> List(std::optional<uint64_t> customer_id, std::optional<uint64_t> after,
                            const std::function<absl::StatusOr<bool>(uint64_t id, std::string_view bytes)>& visit,
                            int limit) const;
  // Every record, ascending by id (figures computed from all of them).
  absl::Status ForEach(const std::function<absl::Status(uint64_t id, std::string_view bytes)>& visit) const;

 private:
  std::string RecordKey(uint64_t id) const;

  Database* db_;
  Family family_;
  char record_prefix_;
  std::string kind_;
};

}  // namespace servicedesk::storage
