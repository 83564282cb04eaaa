#pragma once

// The supervisor desk: queue figures kept from the routing desk's events, on the desk loop.
//
// Every routing change passes here before it is written (RoutingDesk::Observer): a contact
// entering a queue is offered there; when it leaves it is answered or abandoned with the
// time it waited; an agent's handling of a call runs from the answer to the end of the
// wrap-up. Each event is O(1) (supervisor/queue_stats). A contact counts in the queue it
// first entered, whatever overflow did with it later, so that a queue's offered contacts
// are its answered plus abandoned plus still waiting. Calls routed by the telephony come
// through the same events, so CTI feeds these figures without a path of its own.
//
// Figures are in memory: a restart begins them again (interval history is to be persisted
// with the supervisors' live view).

#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "services/common/clock.h"
#include "services/server/config.h"
#include "services/server/routing_desk.h"
#include "services/supervisor/queue_stats.h"
#include "servicedesk/v1/supervisor.pb.h"

namespace servicedesk::server {

class SupervisorDesk : public RoutingDesk::Observer {
 public:
  // `config` must have passed ValidateConfig (its time zone loads).
  SupervisorDesk(const Config& config, const Clock* clock, RoutingDesk* routing);

  // On the loop, after the routing desk started: contacts already waiting (restored) are
  // followed from here on, and the desk starts listening.
  void Start();

  void BeforeCommit(const std::vector<routing::RoutingEvent>& events,
                    rocksdb::WriteBatch* batch, std::vector<v1::Event>* more_events) override;
  void AfterCommit(const absl::Status&) override {}

  // On the loop. `queue` empty: every queue defined or seen. NOT_FOUND for an unknown queue.
  absl::StatusOr<v1::GetQueueStatisticsResponse> QueueStatistics(const std::string& queue);

 private:
  struct Followed {
    std::string queue;  // the queue it entered first
    absl::Time enqueued;
    bool callback = false;
  };
  struct Handling {
    std::string queue;
    absl::Time answered;
    std::optional<absl::Time> wrap_up_since;
  };
  void RefreshThresholds();

  const Clock* clock_;
  RoutingDesk* routing_;
  absl::Duration short_abandon_;
  supervisor::QueueStats stats_;
  absl::flat_hash_map<uint64_t, Followed> contacts_;    // waiting or being offered
  absl::flat_hash_map<std::string, Handling> handling_;  // by agent: the call they are on
};

}  // namespace servicedesk::server
