#pragma once

// The supervisor desk: queue figures and the live board kept from the routing desk's
// events, on the desk loop, and pushed to the supervisors' watchers.
//
// Every routing change passes here before it is written (RoutingDesk::Observer): a contact
// entering a queue is offered there; when it leaves it is answered or abandoned with the
// time it waited; an agent's handling of a call runs from the answer to the end of the
// wrap-up. Each event is O(1) (supervisor/queue_stats, supervisor/live_board). A contact
// counts in the queue it first entered, whatever overflow did with it later, so that a
// queue's offered contacts are its answered plus abandoned plus still waiting. Calls routed
// by the telephony come through the same events, so CTI feeds these figures without a path
// of its own.
//
// Persistence: the interval row of a queue whose figures an event changed is written in
// that event's batch (storage/statistics_store), so the history is exactly what was
// committed; at start today's rows are read back and the current interval and today go on.
//
// Watchers (WatchQueues, WatchAgents) get a snapshot, then what changed, at their rate (1
// to 10 a second). Watchers of the same rate form a group whose update is built once per
// tick from the board's changes and copied to each (filtered when the watcher asked for
// some queues or agents only); a watcher that reads slowly has its updates folded together
// by its outbox (session_stream.h), so it costs at most two messages of memory.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <asio/steady_timer.hpp>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/impl/codegen/proto_utils.h>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "services/common/clock.h"
#include "services/server/config.h"
#include "services/server/routing_desk.h"
#include "services/common/desk_loop.h"
#include "services/supervisor/live_board.h"
#include "services/supervisor/queue_stats.h"
#include "storage/statistics_store.h"
#include "servicedesk/v1/supervisor.pb.h"

namespace servicedesk::server {

// An update serialised once for every watcher it goes to: each watcher's write shares the
// bytes (a reference count, no copy), so a hundred watchers cost little more than one. A
// shared one is never changed; a watcher's outbox folds into one only when it holds it alone
// (see FoldPrepared), and serialises a folded one when its turn to be written comes.
template <typename Update>
struct PreparedUpdate {
  Update update;
  grpc::ByteBuffer bytes;
  bool serialized = false;

  const grpc::ByteBuffer& Bytes() {
    if (!serialized) {
      bool own_buffer = false;
      grpc::SerializationTraits<Update>::Serialize(update, &bytes, &own_buffer).IgnoreError();
      serialized = true;
    }
    return bytes;
  }
};
template <typename Update>
using Prepared = std::shared_ptr<PreparedUpdate<Update>>;

template <typename Update>
Prepared<Update> Prepare(Update update) {
  auto prepared = std::make_shared<PreparedUpdate<Update>>();
  prepared->update = std::move(update);
  prepared->Bytes();  // now, on the desk loop, before it is shared
  return prepared;
}

using QueueBoardSink = Sink<Prepared<v1::QueueBoardUpdate>>;
using AgentBoardSink = Sink<Prepared<v1::AgentBoardUpdate>>;

// How a watcher's outbox folds an update into the one still waiting to be written: the
// newer record of each queue (agent) replaces the older, the counts too; the earliest
// change time is kept and folded_updates counts the fold. (Only a slow watcher's updates
// are folded, and serialised again.)
void FoldQueueUpdate(v1::QueueBoardUpdate* waiting, v1::QueueBoardUpdate&& next);
void FoldAgentUpdate(v1::AgentBoardUpdate* waiting, v1::AgentBoardUpdate&& next);
template <typename Update, void (*FoldUpdate)(Update*, Update&&)>
void FoldPrepared(Prepared<Update>* waiting, Prepared<Update>&& next) {
  if (waiting->use_count() != 1 || (*waiting)->serialized) {
    // Shared with other watchers (or serialised): folded into a copy of this watcher's own.
    auto own = std::make_shared<PreparedUpdate<Update>>();
    own->update = (*waiting)->update;
    *waiting = std::move(own);
  }
  FoldUpdate(&(*waiting)->update, Update(next->update));
}

class SupervisorDesk : public RoutingDesk::Observer {
 public:
  // `config` must have passed ValidateConfig (its time zone loads).
  SupervisorDesk(const Config& config, const Clock* clock, DeskLoop* loop, storage::Database* db,
                 RoutingDesk* routing);

  // On the loop, after the routing desk started: today's stored intervals are read back,
  // contacts already waiting (restored) are followed from here on, and the desk starts
  // listening.
  absl::Status Start();
  // On the loop: every watch ends (UNAVAILABLE) and the timer stops.
  void Stop();

  void BeforeCommit(const std::vector<routing::RoutingEvent>& events,
                    rocksdb::WriteBatch* batch, std::vector<v1::Event>* more_events) override;
  void AfterCommit(const absl::Status&) override {}

  // On the loop. `queue` empty: every queue defined or seen. NOT_FOUND for an unknown queue.
  absl::StatusOr<v1::GetQueueStatisticsResponse> QueueStatistics(const std::string& queue);
  // Thread-safe (reads RocksDB). INVALID_ARGUMENT naming the field.
  absl::StatusOr<v1::ListIntervalStatisticsResponse> IntervalStatistics(
      const v1::ListIntervalStatisticsRequest& request) const;

  // On the loop: the watch starts with its snapshot sent to `sink`; returns its id for
  // Unwatch. INVALID_ARGUMENT (updates_per_second, a malformed name), NOT_FOUND (an unknown
  // queue or agent), RESOURCE_EXHAUSTED (supervisor.max_watchers reached).
  absl::StatusOr<uint64_t> WatchQueues(const v1::WatchQueuesRequest& request, std::shared_ptr<QueueBoardSink> sink);
  absl::StatusOr<uint64_t> WatchAgents(const v1::WatchAgentsRequest& request, std::shared_ptr<AgentBoardSink> sink);
  void Unwatch(uint64_t watch);
  std::size_t watchers() const { return queue_watchers_.size() + agent_watchers_.size(); }

  // The ticket and complaint desks' counts by status/step, for the queue view (called on
  // the loop at each tick: must be cheap).
  using WorkCounter = std::function<v1::WorkCounts()>;
  void SetWorkCounters(WorkCounter tickets, WorkCounter complaints) {
    ticket_counts_ = std::move(tickets);
    complaint_counts_ = std::move(complaints);
  }

  // One round of pushing (the timer's): public for tests that drive it by hand.
  void Tick();

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
  template <typename Sink>
  struct Watcher {
    std::shared_ptr<Sink> sink;
    std::set<std::string> only;  // empty: everything
    int period_ms;
  };
  // What a group of watchers of one rate has not been sent yet.
  struct Pending {
    std::set<std::string> queues;
    std::set<std::string> agents;
    bool work_counts = false;
    std::optional<absl::Time> first_change;
    // Real time, not the desk's clock: the rate is the watcher's, whatever the clock says.
    std::chrono::steady_clock::time_point next_due;
  };

  // What a watch asked for, once checked: its beat and the names it watches (empty: all).
  struct WatchPlan {
    int period_ms = 0;
    std::set<std::string> only;
  };
  // The checks shared by WatchQueues and WatchAgents (the rate, each name defined, room for
  // one more watcher); the configuration is brought up to date for the snapshot.
  absl::StatusOr<WatchPlan> CheckWatch(int updates_per_second,
                                       const google::protobuf::RepeatedPtrField<std::string>& names,
                                       const std::string& collection,
                                       const std::function<bool(const std::string&)>& defined);
  template <typename Update, typename Sink, typename Build>
  uint64_t AddWatcher(WatchPlan plan, std::vector<std::string> all, Build build, std::shared_ptr<Sink> sink,
                      std::map<uint64_t, Watcher<Sink>>* watchers, std::map<int, Pending>* groups);

  void RefreshThresholds();
  // Queues and agents as configured now (on a change of the routing configuration).
  void RefreshConfiguration();
  absl::StatusOr<int> PeriodOf(int updates_per_second) const;
  v1::QueueLiveStatus QueueStatus(const std::string& queue, absl::Time now) const;
  v1::AgentLiveStatus AgentStatus(const std::string& agent, absl::Time now) const;
  v1::QueueBoardUpdate QueueUpdate(const std::set<std::string>& queues, bool work_counts, absl::Time now) const;
  v1::AgentBoardUpdate AgentUpdate(const std::set<std::string>& agents, absl::Time now) const;
  void PersistInterval(const std::string& queue, rocksdb::WriteBatch* batch);
  void ArmTimer();

  Config config_;
  const Clock* clock_;
  DeskLoop* loop_;
  RoutingDesk* routing_;
  storage::StatisticsStore store_;
  absl::Duration short_abandon_;
  supervisor::QueueStats stats_;
  supervisor::LiveBoard board_;
  absl::flat_hash_map<uint64_t, Followed> contacts_;    // waiting or being offered
  absl::flat_hash_map<std::string, Handling> handling_;  // by agent: the call they are on
  std::map<std::string, std::string> teams_;             // by agent
  uint64_t config_generation_ = ~uint64_t{0};

  WorkCounter ticket_counts_;
  WorkCounter complaint_counts_;
  std::string last_ticket_counts_;     // serialised, to tell a change
  std::string last_complaint_counts_;
  absl::Time current_interval_start_ = absl::InfinitePast();

  uint64_t next_watch_ = 1;
  std::map<uint64_t, Watcher<QueueBoardSink>> queue_watchers_;
  std::map<uint64_t, Watcher<AgentBoardSink>> agent_watchers_;
  std::map<int, Pending> queue_groups_;  // by period in ms
  std::map<int, Pending> agent_groups_;
  asio::steady_timer timer_;
  std::chrono::steady_clock::time_point next_tick_;
  bool ticking_ = false;
  bool stopped_ = false;
};

}  // namespace servicedesk::server
