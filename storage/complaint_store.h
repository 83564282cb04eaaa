#pragma once

// The complaints family (schema 5): complaint rows with the indexes of IndexedRecords
// ('k' id -> ComplaintRow, 'c' customer index newest first, 'o' open, 'r' request id).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/write_batch.h>

#include "absl/status/statusor.h"
#include "servicedesk/v1/events.pb.h"
#include "storage/database.h"
#include "storage/indexed_records.h"

namespace servicedesk::storage {

class ComplaintStore {
 public:
  explicit ComplaintStore(Database* db) : records_(db, Family::kComplaints, 'k', "complaint") {}

  // NOT_FOUND naming the complaint when there is none.
  absl::StatusOr<v1::ComplaintRow> GetComplaint(uint64_t id) const;
  absl::StatusOr<std::optional<uint64_t>> FindByRequestId(std::string_view request_id) const {
    return records_.FindByRequestId(request_id);
  }
  // The row and its indexes; open while its step is not closed.
  void PutComplaint(rocksdb::WriteBatch* batch, uint64_t id, uint64_t customer_id, const v1::ComplaintRow& row) const;
  void PutRequestId(rocksdb::WriteBatch* batch, std::string_view request_id, uint64_t id) const {
    records_.PutRequestId(batch, request_id, id);
  }
  absl::StatusOr<std::vector<uint64_t>> OpenComplaintIds() const { return records_.OpenIds(); }

  struct Page {
    std::vector<v1::Complaint> complaints;
    std::optional<uint64_t> last;
  };
  // Newest first; as TicketStore::List.
  absl::StatusOr<Page> List(std::optional<uint64_t> customer_id, std::optional<uint64_t> after,
                            const std::function<bool(const v1::ComplaintRow&)>& keep, int limit) const;
  absl::Status ForEach(const std::function<void(const v1::ComplaintRow&)>& visit) const;

 private:
  IndexedRecords records_;
};

std::string ComplaintName(uint64_t id);

}  // namespace servicedesk::storage
