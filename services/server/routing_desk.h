#pragma once

// The routing desk: the router (services/routing) wired to storage, to the agents'
// sessions and to real time. Everything here runs on the desk loop; the gRPC adapters
// (agent_service, contact and admin services) post to it.
//
// After every command the router's events are (1) written as one RoutingChanged event
// together with the routing rows they change, in one WriteBatch, (2) sent to the sessions
// they concern, and (3) the one timer is re-armed at the router's next deadline: no polling.
//
// Start: stored definitions are applied, then the config file's; the stored waiting
// contacts are put back under their ids with their enqueue times (an offer that was
// pending is simply waiting again); agents recorded in any state but LOGGED_OUT are
// logged out, and that is recorded.

#include <functional>
#include <map>
#include <memory>
#include <string>

#include <asio/steady_timer.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "services/common/clock.h"
#include "services/common/desk_loop.h"
#include "services/customers/customer_queries.h"
#include "services/routing/router.h"
#include "services/server/config.h"
#include "servicedesk/v1/events.pb.h"
#include "servicedesk/v1/routing.pb.h"
#include "servicedesk/v1/supervisor.pb.h"
#include "storage/customer_store.h"
#include "storage/event_writer.h"
#include "storage/routing_store.h"

namespace servicedesk::server {

// A server stream as a desk sees it (an agent's session, a CTI connection): the gRPC
// reactor implements it. Called on the desk loop only; must not block.
template <typename Message>
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void Send(Message message) = 0;
  // Ends the stream with `status` after what was sent.
  virtual void Close(const absl::Status& status) = 0;
};
using SessionSink = Sink<v1::AgentEvent>;

class RoutingDesk {
 public:
  enum class Mode { kCreate, kUpdate, kUpsert };

  RoutingDesk(const Config& config, const Clock* clock, DeskLoop* loop, storage::Database* db,
              storage::EventWriter* writer, const storage::CustomerStore* customers,
              const customers::CustomerQueries* queries);
  ~RoutingDesk();

  // On the loop: restores stored routing and applies the config file's definitions.
  absl::Status Start();
  // On the loop: ends every session (UNAVAILABLE) and stops the timers.
  void Stop();

  // Administration. INVALID_ARGUMENT naming the field, ALREADY_EXISTS (create),
  // NOT_FOUND (update, or a reference to something undefined).
  absl::StatusOr<v1::RoutingConfigChanged> Define(v1::RoutingConfigChanged definition, Mode mode,
                                                  const std::string& principal);
  std::vector<v1::Skill> Skills() const;
  std::vector<v1::ReasonCode> ReasonCodes() const;
  std::vector<v1::Queue> Queues() const;
  std::vector<v1::Agent> Agents() const;
  const v1::Queue* FindQueue(const std::string& name) const;
  bool HasAgent(const std::string& name) const { return agents_.contains(name); }
  // Changes whenever a queue or an agent is defined or redefined (watchers refresh then).
  uint64_t config_generation() const { return config_generation_; }

  // Sessions. Open logs the agent in; a previous session of the agent is closed (ABORTED).
  // `session_id` tells an old session's end from the current one's.
  absl::Status OpenSession(const std::string& agent, uint64_t session_id,
                           std::shared_ptr<SessionSink> sink);
  void SessionEnded(const std::string& agent, uint64_t session_id);

  // The agent's commands; `agent` is already authorised for the caller.
  absl::StatusOr<v1::AgentStatus> SetState(const std::string& agent, const v1::SetStateRequest& request,
                                           const std::string& principal);
  absl::StatusOr<v1::AgentStatus> Status(const std::string& agent) const;
  absl::StatusOr<v1::AcceptOfferResponse> Accept(const std::string& agent, const std::string& offer,
                                                 const std::string& principal);
  absl::StatusOr<v1::AgentStatus> Reject(const std::string& agent, const std::string& offer,
                                         const std::string& principal);
  absl::StatusOr<v1::AgentStatus> EndContact(const std::string& agent, const std::string& contact,
                                             const std::string& principal);
  // The code and notes (validated here, naming the field) are recorded on the history entry
  // of the call the agent just ended, by the wrap-up recorder, before the agent is freed.
  absl::StatusOr<v1::AgentStatus> CompleteWrapUp(const std::string& agent,
                                                 const v1::CompleteWrapUpRequest& request,
                                                 const std::string& principal);
  absl::StatusOr<v1::TransferResponse> Transfer(const std::string& agent,
                                                const v1::TransferRequest& request,
                                                const std::string& principal);
  absl::StatusOr<v1::RoutingTrace> Trace(const std::string& offer) const;

  // Supervisors' controls (SupervisorService), each audited with a SupervisorControlled event
  // written in the batch of the change it makes; refused ones write nothing.
  absl::StatusOr<v1::AgentStatus> ForceState(const v1::ForceAgentStateRequest& request, const std::string& principal);
  absl::StatusOr<v1::AgentStatus> ForceLogout(const v1::LogOutAgentRequest& request, const std::string& principal);
  absl::StatusOr<v1::Contact> MoveContact(const v1::MoveContactRequest& request, const std::string& principal);
  absl::StatusOr<v1::Contact> OfferContact(const v1::OfferContactRequest& request, const std::string& principal);
  absl::StatusOr<v1::Contact> SetContactPriority(const v1::SetContactPriorityRequest& request,
                                                 const std::string& principal);
  absl::StatusOr<v1::RoutingTrace> ContactTrace(const std::string& contact) const;

  // Contacts.
  absl::StatusOr<v1::Contact> Enqueue(const v1::EnqueueContactRequest& request,
                                      const std::string& principal);
  absl::StatusOr<v1::Contact> Abandon(const std::string& contact, const std::string& principal);
  absl::StatusOr<std::vector<v1::Contact>> Waiting(const std::string& queue) const;

  // For tests and the console: who has a live session.
  bool HasSession(const std::string& agent) const { return sessions_.contains(agent); }

  // For the other desks on the loop (CTI): the router itself, the customer-derived part of
  // a contact (tier, open complaint, preferred agent), and a commit that writes the router's
  // changes together with the caller's rows and event, in one batch.
  routing::Router& router() { return router_; }
  // Told every routing event: `BeforeCommit` may add rows to the batch that is about to be
  // written, and events written after the routing one (the CTI desk stores the instructions
  // for the telephony that accepted offers of calls become; the ticket desk assigns the
  // ticket whose offer was accepted), `AfterCommit` runs once it is written (they are sent).
  class Observer {
   public:
    virtual ~Observer() = default;
    virtual void BeforeCommit(const std::vector<routing::RoutingEvent>& events,
                              rocksdb::WriteBatch* batch, std::vector<v1::Event>* more_events) = 0;
    virtual void AfterCommit(const absl::Status& stored) = 0;
  };
  void AddObserver(Observer* observer) { observers_.push_back(observer); }
  // Records an agent's wrap-up code and notes (the CTI desk: on the call's interaction).
  // NOT_FOUND when the agent's last contact left no history entry to record them on.
  using WrapUpRecorder = std::function<absl::Status(
      const std::string& agent, const std::string& code, const std::string& notes,
      const std::string& principal)>;
  void SetWrapUpRecorder(WrapUpRecorder recorder) { wrap_up_recorder_ = std::move(recorder); }
  // What happens when a change made in memory cannot be written: by default the process
  // ends (see StorageFailed in the .cc); tests replace it.
  using StorageFailureHandler = std::function<void(const absl::Status&)>;
  void SetStorageFailureHandler(StorageFailureHandler handler) {
    storage_failure_ = std::move(handler);
  }
  void StorageFailed(const absl::Status& status) const;
  absl::Status FillFromCustomer(const std::string& customer, routing::ContactSpec* spec) const;
  // The same from the customer's screen pop already read (a desk that rewrites it anyway).
  absl::Status FillFromScreenPop(const std::string& customer, const v1::ScreenPopRow& pop,
                                 routing::ContactSpec* spec) const;
  // Writes the router's events with `batch` (which may already hold rows) as one event,
  // after `leading` (when given, in order), then tells the sessions and re-arms the timer.
  // A storage failure is returned: the change is in memory but not durable, which the
  // caller must hear.
  absl::Status Commit(const std::string& principal, rocksdb::WriteBatch* batch,
                      const std::vector<v1::Event*>& leading = {});

 private:
  struct Session {
    uint64_t id;
    std::shared_ptr<SessionSink> sink;
  };
  struct Reminder {
    std::string agent;
    uint64_t offer;
  };

  absl::Status ApplyDefinition(const v1::RoutingConfigChanged& definition);
  // The router's part of SetState (no commit).
  absl::Status ApplyState(const std::string& agent, const v1::SetStateRequest& request);
  absl::Status Control(const std::string& principal, v1::SupervisorControlled what,
                       const std::function<absl::Status()>& change);
  absl::Status CheckSkillsDefined(const google::protobuf::RepeatedPtrField<v1::SkillRequirement>& skills,
                                  const std::string& field) const;
  absl::Status Commit(const std::string& principal);
  void Notify(const std::vector<routing::RoutingEvent>& events);
  // `new_offer`: false when re-sent to an agent who reconnected (its reminder is set).
  void SendOffer(const routing::OfferMade& made, bool new_offer);
  void SendStatus(const std::string& agent);
  void Send(const std::string& agent, v1::AgentEvent event);
  void ArmTimer();
  void OnTimer();
  void OnSessionLost(const std::string& agent, uint64_t session_id);
  absl::StatusOr<v1::Contact> ContactProto(uint64_t contact) const;
  absl::StatusOr<v1::AgentStatus> Then(absl::Status status, const std::string& agent,
                                       const std::string& principal);

  Config config_;
  const Clock* clock_;
  DeskLoop* loop_;
  storage::EventWriter* writer_;
  const storage::CustomerStore* customers_;
  const customers::CustomerQueries* queries_;
  storage::RoutingStore store_;
  routing::Router router_;

  std::map<std::string, v1::Skill> skills_;
  uint64_t config_generation_ = 0;
  std::map<std::string, v1::ReasonCode> reason_codes_;
  std::map<std::string, v1::Queue> queues_;
  std::map<std::string, v1::Agent> agents_;

  absl::flat_hash_map<std::string, Session> sessions_;
  absl::flat_hash_map<std::string, std::unique_ptr<asio::steady_timer>> grace_timers_;
  std::multimap<absl::Time, Reminder> reminders_;
  asio::steady_timer timer_;
  bool stopped_ = false;
  uint64_t stored_next_contact_ = 0;  // the router's next contact id as last written
  std::vector<Observer*> observers_;
  WrapUpRecorder wrap_up_recorder_;
  StorageFailureHandler storage_failure_;
};

}  // namespace servicedesk::server
