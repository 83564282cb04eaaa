#pragma once

// The ticket desk: tickets' lifecycle on the desk loop (services/tickets holds the rules).
//
// Every change validates everything first, then writes one WriteBatch: the ticket row, an
// entry in the customer's history (channel TICKET, reference tickets/{id}), the screen pop's
// open tickets and recent history, and one TicketChanged event. A refused change writes
// nothing. Not yet here: SLA clocks and routing tickets to agents (the tickets core has the
// clocks and policies; they come with the routing integration).

#include <string>

#include "absl/status/statusor.h"
#include "services/common/clock.h"
#include "services/server/config.h"
#include "services/server/routing_desk.h"
#include "servicedesk/v1/events.pb.h"
#include "servicedesk/v1/ticket.pb.h"
#include "storage/customer_store.h"
#include "storage/event_writer.h"
#include "storage/ticket_store.h"

namespace servicedesk::server {

class TicketDesk {
 public:
  TicketDesk(const Config& config, const Clock* clock, storage::Database* db,
             storage::EventWriter* writer, const storage::CustomerStore* customers,
             const RoutingDesk* routing);

  // All on the loop. INVALID_ARGUMENT naming the field; NOT_FOUND for an unknown customer,
  // queue, agent or ticket; FAILED_PRECONDITION for a change the status table forbids.
  absl::StatusOr<v1::Ticket> Create(v1::CreateTicketRequest request, const std::string& principal);
  absl::StatusOr<v1::Ticket> Get(const std::string& name) const;
  absl::StatusOr<v1::ListTicketsResponse> List(const v1::ListTicketsRequest& request) const;
  absl::StatusOr<v1::Ticket> Update(const v1::UpdateTicketRequest& request, const std::string& principal);
  absl::StatusOr<v1::TicketComment> AddComment(const v1::AddCommentRequest& request,
                                               const std::string& principal);
  absl::StatusOr<v1::ListCommentsResponse> Comments(const v1::ListCommentsRequest& request) const;
  absl::StatusOr<v1::Ticket> ChangeStatus(const v1::ChangeStatusRequest& request,
                                          const std::string& principal);

 private:
  // Checks the client-writable fields of `ticket` in place (trimmed, defaults filled);
  // `field` prefixes the names in errors ("ticket").
  absl::Status ValidateFields(v1::Ticket* ticket, const std::string& field) const;
  // A new ticket's id, name, times and status into `batch`-bound state; returns the id.
  absl::StatusOr<v1::Ticket> CreateValidated(v1::Ticket ticket, const std::string& request_id,
                                             const std::string& principal, const std::string& change);
  // Writes `ticket` with its history entry (`what`), the screen pop and the event.
  absl::Status Commit(rocksdb::WriteBatch* batch, uint64_t id, const v1::Ticket& ticket,
                      const std::string& principal, const std::string& what, v1::Event* event);

  Config config_;
  const Clock* clock_;
  storage::EventWriter* writer_;
  const storage::CustomerStore* customers_;
  const RoutingDesk* routing_;
  storage::TicketStore store_;
};

}  // namespace servicedesk::server
