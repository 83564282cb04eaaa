#pragma once

// The ticket desk: tickets' lifecycle on the desk loop (services/tickets holds the rules).
//
// Every change validates everything first, then writes one WriteBatch: the ticket row with
// its SLA clocks, an entry in the customer's history (channel TICKET, reference
// tickets/{id}), the screen pop's open tickets and recent history, and one TicketChanged
// event, plus one more event and history entry for each SLA warning or breach that fell due.
// A refused change writes nothing.
//
// SLA: each ticket has two clocks (first response, resolution) whose targets the policy
// picks by priority and the customer's tier. Pending pauses both; open again resumes them;
// the first public comment by an agent meets the first response; solved or closed stops
// both; a priority change applies the new targets keeping the time used; a reopened ticket
// starts a new resolution clock. One Asio timer is armed at the nearest warning or breach
// of all open tickets (re-armed from storage at start), so warnings and breaches are written
// when they happen, each once.
//
// Routing: a new or open ticket with a queue and no assignee waits there as a ticket
// contact (ContactSpec::reference names the ticket), written in the same batch as the
// ticket change that puts it there. After every change the ticket's contact is brought in
// line with the ticket (SyncRouting): enqueued, moved to a new queue, reprioritised (its
// priority, and the breach boost), withdrawn when it gets an assignee or stops being open,
// ended for the agent working it when they stop being its assignee or it is solved or
// pending. The other way round, as an observer of the routing desk: an accepted offer
// makes the agent the assignee, a transfer moves the ticket with its contact; both are
// written in the routing change's batch. At start, unassigned open tickets whose contact is
// gone (it was being worked when the server stopped) wait in their queue again.

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <asio/steady_timer.hpp>

#include "absl/status/statusor.h"
#include "absl/container/flat_hash_map.h"
#include "services/common/clock.h"
#include "services/common/desk_loop.h"
#include "services/server/config.h"
#include "services/server/routing_desk.h"
#include "services/server/ticket_rules.h"
#include "services/tickets/sla_clock.h"
#include "servicedesk/v1/events.pb.h"
#include "servicedesk/v1/supervisor.pb.h"
#include "servicedesk/v1/ticket.pb.h"
#include "storage/customer_store.h"
#include "storage/event_writer.h"
#include "storage/ticket_store.h"

namespace servicedesk::server {

class TicketDesk : public RoutingDesk::Observer {
 public:
  // `config` must have passed ValidateConfig (its [tickets] rules are valid).
  TicketDesk(const Config& config, const Clock* clock, DeskLoop* loop, storage::Database* db,
             storage::EventWriter* writer, const storage::CustomerStore* customers,
             RoutingDesk* routing);

  // On the loop, after the routing desk's Start: the SLA timers of the open tickets are
  // armed again, and open unassigned tickets without a waiting contact are queued.
  absl::Status Start();
  void Stop();
  // On the loop: writes the SLA warnings and breaches due by now (the timer calls it).
  void RunDueSla();

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
  // `agent` is already authorised for the caller (ActingAgent).
  absl::StatusOr<v1::Ticket> Pick(const std::string& ticket, const std::string& agent,
                                  const std::string& principal);
  absl::StatusOr<v1::Ticket> HandBack(const v1::HandBackTicketRequest& request, const std::string& agent,
                                      const std::string& principal);

  // Open tickets (new, open, pending) by status, with how many of each are overdue; kept
  // with every change (supervisors' live view). On the loop.
  v1::WorkCounts Counts() const;
  // RoutingDesk::Observer.
  void BeforeCommit(const std::vector<routing::RoutingEvent>& events, rocksdb::WriteBatch* batch,
                    std::vector<v1::Event>* more_events) override;
  void AfterCommit(const absl::Status&) override {}

 private:
  // Checks the client-writable fields of `ticket` in place (trimmed, defaults filled);
  // `field` prefixes the names in errors ("ticket").
  // `check_queue` / `check_assignee`: whether the queue and the assignee must name a
  // defined queue and agent (on create, and on an update that changes them: a ticket whose
  // queue was removed from the configuration can still be updated otherwise).
  absl::Status ValidateFields(v1::Ticket* ticket, const std::string& field, bool check_queue = true,
                              bool check_assignee = true) const;
  // A new ticket's id, name, times and status into `batch`-bound state; returns the id.
  // `reopened_id`: the ticket this one reopens, which is marked with it in the same batch.
  absl::StatusOr<v1::Ticket> CreateValidated(v1::Ticket ticket, const std::string& request_id,
                                             const std::string& principal, const std::string& change,
                                             std::optional<uint64_t> reopened_id = std::nullopt);
  struct Clocks {
    std::optional<tickets::SlaClock> first_response;
    std::optional<tickets::SlaClock> resolution;
  };
  Clocks LoadClocks(const v1::TicketRow& row) const;
  // Both clocks for `ticket`'s priority and its customer's tier, started at `now`.
  absl::StatusOr<Clocks> NewClocks(const v1::Ticket& ticket, absl::Time now) const;
  const tickets::SlaTargets& TargetsFor(const v1::Ticket& ticket) const;
  // Writes the ticket with its clocks, its history entry (`what`; none when empty), the
  // screen pop, `event` (when given) and the SLA events due by now, with the routing change
  // that brings its contact in line (SyncRouting, from `before`: the ticket as stored, null
  // for a new one); re-arms the ticket's SLA timer. Nothing is written when there is
  // neither `event` nor a due one.
  absl::Status Commit(rocksdb::WriteBatch* batch, uint64_t id, v1::Ticket& ticket, Clocks& clocks,
                      const v1::Ticket* before, const std::string& principal, const std::string& what,
                      v1::Event* event);
  // What the clocks say now: deadlines and overdue onto `ticket`, the clock rows onto `row`,
  // the warnings and breaches due (each once).
  struct Fired {
    const char* target;
    tickets::SlaEvent event;
  };
  struct Evaluation {
    std::vector<Fired> fired;
    std::optional<absl::Time> next_deadline;
  };
  Evaluation Evaluate(v1::Ticket& ticket, Clocks& clocks, v1::TicketRow* row, absl::Time now) const;
  // Everything of Commit but the clocks' evaluation, the routing and the write: rows into
  // `batch`, events into `events` (the caller writes them). `row` holds the clocks and
  // `evaluation` what they said (Evaluate); `pop` is the customer's screen pop as read before
  // anything changed (so nothing after the first change can fail).
  void Stage(rocksdb::WriteBatch* batch, uint64_t id, uint64_t customer, v1::ScreenPopRow pop, v1::Ticket& ticket,
             v1::TicketRow row, const Evaluation& evaluation, const std::string& principal, const std::string& what,
             v1::Event* event, std::vector<v1::Event>* events);
  // Brings the ticket's routing contact in line with it (see the header comment); sets
  // ticket.contact. Router refusals that cannot happen for a checked ticket are logged.
  // `pop`: the customer's screen pop when the caller has read it (saves reading it again).
  void SyncRouting(v1::Ticket& ticket, const v1::Ticket* before, const v1::ScreenPopRow* pop = nullptr);
  // The ticket's contact as the router has it now, when it is still this ticket's.
  std::optional<routing::ContactView> LiveContact(const v1::Ticket& ticket) const;
  // contact and contact_state as they are now (output).
  void Present(v1::Ticket* ticket) const;
  int RoutingPriority(const v1::Ticket& ticket) const;
  // The ticket (by its reference) a routing contact is about, when a ticket.
  std::optional<uint64_t> TicketOf(const std::string& reference) const;
  void OnContactAnswered(uint64_t contact, rocksdb::WriteBatch* batch, std::vector<v1::Event>* events);
  void OnContactQueued(uint64_t contact, rocksdb::WriteBatch* batch, std::vector<v1::Event>* events);
  void Schedule(uint64_t id, const Clocks& clocks);
  void ArmTimer();

  // The open ticket `id` is (or is no longer) counted as `ticket` says.
  void Tally(uint64_t id, const v1::Ticket& ticket);
  struct Tallied {
    v1::TicketStatus status;
    bool overdue;
  };
  absl::flat_hash_map<uint64_t, Tallied> tallied_;
  std::map<v1::TicketStatus, std::pair<int64_t, int64_t>> counts_;  // count, overdue

  Config config_;
  const Clock* clock_;
  DeskLoop* loop_;
  TicketRules rules_;
  std::unique_ptr<tickets::BusinessCalendar> calendar_;
  storage::EventWriter* writer_;
  const storage::CustomerStore* customers_;
  RoutingDesk* routing_;
  storage::TicketStore store_;
  // True while this desk commits its own routing changes: the observer leaves them alone.
  bool own_commit_ = false;
  // The next SLA warning or breach of each open ticket whose clocks run, in time order.
  std::set<std::pair<absl::Time, uint64_t>> schedule_;
  absl::flat_hash_map<uint64_t, absl::Time> scheduled_at_;
  asio::steady_timer timer_;
  bool stopped_ = false;
};

}  // namespace servicedesk::server
