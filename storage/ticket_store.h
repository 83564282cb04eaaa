#pragma once

// The tickets family.
//
//   tickets  't' u64 ticket id                          -> TicketRow
//            'c' u64 customer id, u64 (~ticket id)      -> ""   (a customer's tickets, newest first)
//            'm' u64 ticket id, u32 comment number      -> TicketComment
//            'r' request id                             -> u64 ticket id (idempotent create)
//            'o' u64 ticket id                          -> ""   (open: new, open or pending)
//
// Integers big-endian, so RocksDB's order is the order listed. Reads are thread-safe;
// Put* only add to a WriteBatch that EventWriter commits.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/write_batch.h>

#include "absl/status/statusor.h"
#include "servicedesk/v1/events.pb.h"
#include "servicedesk/v1/ticket.pb.h"
#include "storage/database.h"
#include "storage/indexed_records.h"

namespace servicedesk::storage {

class TicketStore {
 public:
  explicit TicketStore(Database* db) : db_(db), records_(db, Family::kTickets, 't', "ticket") {}

  // NOT_FOUND naming the ticket when there is none.
  absl::StatusOr<v1::TicketRow> GetTicket(uint64_t id) const;
  absl::StatusOr<std::optional<uint64_t>> FindByRequestId(std::string_view request_id) const;
  // The ticket row, its customer index row, and its open index row (added or removed).
  void PutTicket(rocksdb::WriteBatch* batch, uint64_t id, uint64_t customer_id,
                 const v1::TicketRow& row) const;
  // The ids of the open tickets, ascending (to re-arm their SLA timers at start).
  absl::StatusOr<std::vector<uint64_t>> OpenTicketIds() const;
  void PutRequestId(rocksdb::WriteBatch* batch, std::string_view request_id, uint64_t id) const;
  void PutComment(rocksdb::WriteBatch* batch, uint64_t id, uint32_t number,
                  const v1::TicketComment& comment) const;
  absl::StatusOr<std::vector<v1::TicketComment>> ListComments(uint64_t id) const;

  // Tickets newest first, after ticket id `after` (exclusive) when given, of `customer_id`
  // only when given; `keep` filters. At most `limit`; `last` is the id of the last one
  // examined when the scan stopped at the limit (for the next page).
  struct Page {
    std::vector<v1::Ticket> tickets;
    std::optional<uint64_t> last;
  };
  absl::StatusOr<Page> List(std::optional<uint64_t> customer_id, std::optional<uint64_t> after,
                            const std::function<bool(const v1::Ticket&)>& keep, int limit) const;

 private:
  Database* db_;
  IndexedRecords records_;  // 't', 'c', 'o', 'r' (see indexed_records.h)
};

std::string TicketName(uint64_t id);
// New, open or pending: in the open index, the screen pop and the SLA timers.
bool IsOpenTicketStatus(v1::TicketStatus status);

}  // namespace servicedesk::storage
