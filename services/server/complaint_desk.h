#pragma once

// The complaint desk: the four-step workflow (services/complaints holds the rules) on the
// desk loop, with storage, history, the screen pop, timers and routing.
//
// Every action checks the step, then the data (naming the field), then who acts, and only
// then changes anything: one WriteBatch with the complaint row (its state for the workflow
// and its audit trail), an entry in the customer's history (channel COMPLAINT_STEP,
// reference complaints/{id}), the screen pop's open complaints, one ComplaintChanged event,
// and the routing change it causes (a follow-up task ended or withdrawn).
//
// Timers: one Asio timer at the earliest NextDueAt of all open complaints (re-armed from
// storage at start, so what fell due while the server was down is handled once, right
// after). A reached deadline is an event, an audit entry and a history entry, and raises a
// waiting follow-up's routing priority; a due follow-up becomes an outbound contact in
// [complaints] follow_up_queue, preferring the agent who resolved it. As an observer of the
// routing desk, the agent who accepts that contact becomes the complaint's owner.

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <asio/steady_timer.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "services/common/clock.h"
#include "services/common/desk_loop.h"
#include "services/complaints/complaint_workflow.h"
#include "services/server/config.h"
#include "services/server/routing_desk.h"
#include "servicedesk/v1/complaint.pb.h"
#include "servicedesk/v1/events.pb.h"
#include "servicedesk/v1/supervisor.pb.h"
#include "storage/complaint_store.h"
#include "storage/customer_store.h"
#include "storage/event_writer.h"

namespace servicedesk::server {

class ComplaintDesk : public RoutingDesk::Observer {
 public:
  // Who acts: supervisors (and admins) may act on any complaint, an agent on their own.
  struct Actor {
    std::string principal;
    bool supervisor = false;
  };

  // `config` must have passed ValidateConfig.
  ComplaintDesk(const Config& config, const Clock* clock, DeskLoop* loop, storage::Database* db,
                storage::EventWriter* writer, const storage::CustomerStore* customers, RoutingDesk* routing);

  // On the loop, after the routing desk's Start: re-arms the timers.
  absl::Status Start();
  void Stop();

  // Open complaints by step, with how many are overdue (a deadline reached and not met):
  // kept with every change, the overdue ones counted as their deadlines pass (supervisors'
  // live view). On the loop.
  v1::WorkCounts Counts();
  // On the loop: deadlines reached and follow-ups due by now (the timer calls it).
  void RunDue();

  // All on the loop. INVALID_ARGUMENT naming the field; NOT_FOUND for an unknown complaint,
  // customer, ticket or queue; FAILED_PRECONDITION naming the current step for an action out
  // of order; PERMISSION_DENIED for another agent's complaint.
  absl::StatusOr<v1::Complaint> Open(const v1::OpenComplaintRequest& request, const Actor& actor);
  absl::StatusOr<v1::Complaint> Vent(const v1::RecordVentingRequest& request, const Actor& actor);
  absl::StatusOr<v1::Complaint> Record(const v1::RecordDetailsRequest& request, const Actor& actor);
  absl::StatusOr<v1::Complaint> Propose(const v1::ProposeResolutionRequest& request, const Actor& actor);
  absl::StatusOr<v1::Complaint> Escalate(const v1::EscalateComplaintRequest& request, const Actor& actor);
  absl::StatusOr<v1::Complaint> FollowUp(const v1::RecordFollowUpRequest& request, const Actor& actor);
  absl::StatusOr<v1::Complaint> Get(const std::string& name) const;
  absl::StatusOr<v1::ListComplaintsResponse> List(const v1::ListComplaintsRequest& request) const;
  absl::StatusOr<v1::ComplaintFigures> Figures() const;

  // RoutingDesk::Observer: the agent who accepts a follow-up task owns the complaint.
  void BeforeCommit(const std::vector<routing::RoutingEvent>& events, rocksdb::WriteBatch* batch,
                    std::vector<v1::Event>* more_events) override;
  void AfterCommit(const absl::Status&) override {}

 private:
  struct Loaded {
    uint64_t id = 0;
    uint64_t customer = 0;
    v1::ComplaintRow row;
    complaints::ComplaintState state;
  };
  absl::StatusOr<Loaded> Load(const std::string& name, const std::string& field) const;
  absl::Status CheckActor(const Loaded& loaded, const Actor& actor) const;
  // One action: `act` runs the workflow on the state (and fills the complaint's step data);
  // then everything is written as the header says.
  using Act = std::function<absl::StatusOr<complaints::Outcome>(Loaded& loaded, absl::Time now)>;
  absl::StatusOr<v1::Complaint> Run(const std::string& name, const Actor& actor, complaints::Action action,
                                    const Act& act);
  // Rows, history entry, screen pop and event into `batch` and `events` (the complaint as
  // given, with its state written back from `loaded.state`).
  // `pop` is the customer's screen pop, read before anything changed (nothing after the
  // first change can fail).
  void Stage(rocksdb::WriteBatch* batch, Loaded& loaded, v1::ScreenPopRow pop, const std::string& principal,
             const std::string& action, const std::string& text, std::vector<v1::Event>* events);
  absl::Status Write(const std::string& principal, rocksdb::WriteBatch* batch, std::vector<v1::Event>* events);
  // The follow-up task of the complaint, as the router has it now.
  std::optional<routing::ContactView> LiveFollowUp(const v1::Complaint& complaint) const;
  // Ends (or withdraws) the follow-up task; a call another agent is on is left to them.
  void EndFollowUp(v1::Complaint& complaint, const std::string& actor);
  // False when the task could not be routed (it is then retried later).
  bool DeliverFollowUp(Loaded& loaded);
  void OnFollowUpMoved(uint64_t contact, rocksdb::WriteBatch* batch, std::vector<v1::Event>* events);
  int FollowUpPriority(const Loaded& loaded) const;
  void Present(v1::Complaint* complaint, const complaints::ComplaintState& state) const;
  // At the state's NextDueAt, but not before `not_before` (a retry after a failure).
  void Schedule(uint64_t id, const complaints::ComplaintState& state, absl::Time not_before = absl::InfinitePast());
  void ArmTimer();

  // The complaint `id` is (or, closed, is no longer) counted as `state` says.
  void Tally(uint64_t id, const complaints::ComplaintState& state);
  struct Tallied {
    int step;
    std::optional<absl::Time> overdue_at;  // its earliest deadline
    bool overdue;
  };
  absl::flat_hash_map<uint64_t, Tallied> tallied_;
  std::set<std::pair<absl::Time, uint64_t>> becoming_overdue_;
  int64_t step_count_[6] = {};
  int64_t step_overdue_[6] = {};

  Config config_;
  const Clock* clock_;
  DeskLoop* loop_;
  std::optional<complaints::Workflow> workflow_;
  storage::EventWriter* writer_;
  const storage::CustomerStore* customers_;
  RoutingDesk* routing_;
  storage::Database* db_;
  storage::ComplaintStore store_;
  std::set<std::pair<absl::Time, uint64_t>> schedule_;
  // Follow-ups handed out whose task was lost (it was being worked at a restart): delivered
  // again at the next RunDue.
  std::set<uint64_t> redeliver_;
  absl::flat_hash_map<uint64_t, absl::Time> scheduled_at_;
  asio::steady_timer timer_;
  bool stopped_ = false;
  bool own_commit_ = false;
};

}  // namespace servicedesk::server
