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

#include <memory>
#include <string>

#include <asio/steady_timer.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "services/common/clock.h"
#include "services/common/desk_loop.h"
#include "services/customers/customer_commands.h"
#include "services/customers/phone_normalizer.h"
#include "services/cti/call_tracker.h"
#include "services/server/config.h"
#include "services/server/routing_desk.h"
#include "servicedesk/v1/cti.pb.h"
#include "storage/customer_store.h"
#include "storage/cti_store.h"
#include "storage/event_writer.h"

namespace servicedesk::server {

class CtiDesk {
 public:
  CtiDesk(const Config& config, const Clock* clock, DeskLoop* loop, storage::Database* db,
          const storage::CustomerStore* customers, customers::CustomerCommands* commands,
          const customers::PhoneNormalizer* phones, RoutingDesk* routing);

  // On the loop, after the routing desk started: live calls back in the tracker.
  absl::Status Start();
  void Stop();

  // On the loop. The acknowledgement (ACCEPTED, DUPLICATE, or REJECTED naming the field);
  // an error only when storage failed, and then nothing was applied.
  absl::StatusOr<v1::EventAck> Handle(const v1::CallEvent& event, const std::string& principal);

  const cti::CallTracker& tracker() const { return tracker_; }

 private:
  struct Link {
    uint64_t contact = 0;  // its routing contact; 0 when none
    std::string customer;
  };

  absl::Status Apply(const cti::TrackerOutcome& outcome, const std::string& principal,
                     v1::Event* event);
  absl::StatusOr<std::string> IdentifyCaller(const cti::CallRecord& record, const std::string& principal);
  absl::StatusOr<uint64_t> Route(const std::string& call_key, const std::string& queue,
                                 const std::string& customer, routing::Channel channel,
                                 std::vector<std::string>* anomalies);
  absl::Status RecordInteraction(const cti::CallRecord& record, const std::string& customer,
                                 const std::string& principal);
  void SaveCall(rocksdb::WriteBatch* batch, const std::string& source, const std::string& call_id);
  void ArmTimer();
  void OnTimer();

  Config config_;
  const Clock* clock_;
  DeskLoop* loop_;
  const storage::CustomerStore* customers_;
  customers::CustomerCommands* commands_;
  const customers::PhoneNormalizer* phones_;
  RoutingDesk* routing_;
  storage::CtiStore store_;
  cti::CallTracker tracker_;
  absl::flat_hash_map<std::string, Link> links_;  // by source 0x1f call id
  asio::steady_timer timer_;
  bool stopped_ = false;
};

}  // namespace servicedesk::server
