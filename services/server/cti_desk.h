#pragma once

// The CTI desk: telephony events in, calls through the desk. Runs on the desk loop.
//
// For each event: validate and normalise (cti/event_validation), de-duplicate by (source,
// event id), apply to the per-call state machine (cti/call_tracker), and carry out what it
// says: identify the caller (a new "potential" customer for an unknown number), make the
// call a routing contact, move it, accept its offer when the agent picked up, abandon it
// (with a callback task), end it and write it into the customer's history. Everything the
// event changed is written in one batch with the event itself, so an acknowledged event is
// applied exactly once, before and after a crash. The customer file writes (a new caller,
// the call's interaction) are idempotent by the call's id and happen first, so a crash
// between them and the batch is repaired by the CTI system's retry.

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <asio/steady_timer.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "services/common/clock.h"
#include "services/common/desk_loop.h"
#include "services/customers/customer_commands.h"
#include "services/customers/phone_normalizer.h"
#include "services/cti/call_tracker.h"
#include "services/server/config.h"
#include "services/server/group_commit.h"
#include "services/server/routing_desk.h"
#include "servicedesk/v1/cti.pb.h"
#include "storage/customer_store.h"
#include "storage/cti_store.h"
#include "storage/event_writer.h"

namespace servicedesk::server {

// The source a CTI principal speaks for: "cti/pbx-1" -> "pbx-1".
std::string SourceOfPrincipal(const std::string& principal);

class CtiDesk : public RoutingDesk::Observer {
 public:
  CtiDesk(const Config& config, const Clock* clock, DeskLoop* loop, storage::Database* db,
          storage::EventWriter* writer, const storage::CustomerStore* customers,
          customers::CustomerCommands* commands, const customers::PhoneNormalizer* phones,
          RoutingDesk* routing);

  // On the loop, after the routing desk started: live calls back in the tracker.
  absl::Status Start();
  void Stop();

  // On the loop. The acknowledgement (ACCEPTED, DUPLICATE, or REJECTED naming the field);
  // an error only when storage failed, and then nothing was applied.
  // `source_bound`: the caller is a CTI system, which may only speak for its own source
  // (its principal "cti/<source>", or the principal itself).
  absl::StatusOr<v1::EventAck> Handle(const v1::CallEvent& event, const std::string& principal,
                                      bool source_bound);

  // Group commit: applies the event now and calls `done` with its acknowledgement once it
  // is durable. When no fsync is running one starts at once for this event; events applied
  // while it runs share the next one, so a burst costs an fsync per group, not per event.
  // `done` (and the functions given to WhenAcknowledged) run on the fsync's thread once it
  // succeeded, or on the loop: they must be thread-safe (an outbox, a reactor's Finish).
  using AckCallback = std::function<void(absl::StatusOr<v1::EventAck>)>;
  void Submit(const v1::CallEvent& event, const std::string& principal, bool source_bound,
              AckCallback done);

  // Runs `fn` once every event submitted so far is acknowledged: a reply that must not
  // overtake earlier acknowledgements, a stream closing.
  void WhenAcknowledged(std::function<void()> fn);

  // CTI connections. A source has at most one; a newer one replaces it (ABORTED). Its
  // unacknowledged instructions are sent to it again.
  using CtiSink = Sink<v1::CtiServerMessage>;
  absl::Status OpenSource(const std::string& source, uint64_t stream_id, std::shared_ptr<CtiSink> sink);
  void CloseSource(const std::string& source, uint64_t stream_id);
  void AcknowledgeInstruction(const std::string& source, const std::string& instruction_id);

  // RoutingDesk::Observer: accepted offers of calls become "connect" instructions, withdrawn
  // ones "withdraw", stored in the routing change's batch and sent once it is written.
  void BeforeCommit(const std::vector<routing::RoutingEvent>& events,
                    rocksdb::WriteBatch* batch, std::vector<v1::Event>* more_events) override;
  void AfterCommit(const absl::Status& stored) override;

  // The wrap-up recorder of the routing desk: the code and notes go on the history entry of
  // the call `agent` ended last. OK with nothing recorded when the agent ended no call.
  absl::Status RecordWrapUp(const std::string& agent, const std::string& code,
                            const std::string& notes, const std::string& principal);

  // Forgets event ids applied more than cti.dedup_horizon_hours ago (runs hourly by itself;
  // public for tests). Returns how many were forgotten.
  absl::StatusOr<int> ExpireEventIds();

  const cti::CallTracker& tracker() const { return tracker_; }
  // Instructions given and not yet acknowledged, for `source`, in order.
  std::vector<v1::RoutingInstruction> PendingInstructions(const std::string& source) const;
  // Acknowledgements sent so far and the fsyncs they needed (the benchmark's events per sync).
  uint64_t acks_sent() const { return acks_sent_.load(std::memory_order_relaxed); }
  uint64_t syncs() const { return commit_.syncs(); }

 private:
  struct Link {
    uint64_t contact = 0;  // its routing contact; 0 when none
    std::string customer;
  };

  absl::Status Apply(const cti::TrackerOutcome& outcome, const std::string& principal,
                     v1::Event* event);
  absl::StatusOr<std::string> IdentifyCaller(const cti::CallRecord& record, const std::string& principal);
  // A routing contact in `queue`, else in the default queue; what failed is an anomaly.
  absl::StatusOr<uint64_t> Route(const std::string& queue, const std::string& customer,
                                 routing::Channel channel, std::vector<std::string>* anomalies);
  absl::Status RecordInteraction(const cti::CallRecord& record, const std::string& customer,
                                 const std::string& principal);
  void SaveCall(rocksdb::WriteBatch* batch, const std::string& source, const std::string& call_id);
  void SetLink(const std::string& key, Link link);
  Link LinkOf(const std::string& key) const;
  void ArmTimer();
  void OnTimer();
  void ArmExpiry(absl::Duration after);
  // Gives the instruction its id, stores it in `batch` and stages it for sending.
  void Instruct(const std::string& source, v1::RoutingInstruction instruction,
                rocksdb::WriteBatch* batch);
  // Storage failed after the tracker or the router changed in memory.
  void Failed(const absl::Status& status);

  Config config_;
  const Clock* clock_;
  DeskLoop* loop_;
  const storage::CustomerStore* customers_;
  customers::CustomerCommands* commands_;
  const customers::PhoneNormalizer* phones_;
  RoutingDesk* routing_;
  storage::EventWriter* writer_;
  storage::CtiStore store_;
  storage::Database* db_;
  // Acknowledgements wait here for the fsync of their group (and replies behind them).
  GroupCommit commit_;
  struct Connection {
    uint64_t stream_id;
    std::shared_ptr<CtiSink> sink;
  };
  absl::flat_hash_map<std::string, Connection> connections_;  // by source
  // Given and not yet acknowledged, by source, in order; each is also a row of the cti
  // family until acknowledged (or its call ends), so a restart sends it again.
  struct Pending {
    uint64_t number;
    v1::RoutingInstruction instruction;
  };
  absl::flat_hash_map<std::string, std::vector<Pending>> unacknowledged_;
  // Given in the routing change being written; sent once it is.
  std::vector<std::pair<std::string, v1::RoutingInstruction>> staged_;
  absl::flat_hash_map<uint64_t, std::string> call_of_contact_;  // routing contact -> call key
  // The history entry of the call each agent ended last, for the wrap-up code and notes.
  struct WrapUpTarget {
    std::string customer;
    std::string request_id;
  };
  absl::flat_hash_map<std::string, WrapUpTarget> wrap_up_targets_;
  bool applying_ = false;  // routing changes caused by telephony need no instruction back
  std::atomic<uint64_t> acks_sent_{0};  // also counted on the sync thread
  cti::CallTracker tracker_;
  absl::flat_hash_map<std::string, Link> links_;  // by source 0x1f call id
  asio::steady_timer timer_;
  asio::steady_timer expiry_timer_;
  bool stopped_ = false;
};

}  // namespace servicedesk::server
