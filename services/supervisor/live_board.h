#pragma once

// The live board: what a supervisor's wallboard shows now, per queue (contacts waiting, the
// oldest one, agents by state) and per agent (state, reason, time in it, current contact,
// contacts handled, occupancy), kept from events at a constant cost each (the oldest
// waiting contact of a queue: O(log n) in the contacts waiting there).
//
// It also remembers what changed since the last TakeChanges, and when the first of those
// changes happened, so that the owner can push coalesced updates to its watchers: only the
// queues and agents that changed, built once, however many watchers there are.
//
// Vocabulary (REFERENCE.md "Other figures"):
//   staffed     logged in (any state but LOGGED_OUT) and serving the queue (has its skills);
//   ready       READY; reserved: RESERVED (an offer ringing); busy: BUSY; wrap_up: WRAP_UP;
//   not_ready   NOT_READY, also counted per reason;
//   occupancy   handling time (BUSY + WRAP_UP) / (handling time + idle time (READY +
//               RESERVED)), over the time since the agent's login; NOT_READY time counts in
//               neither; undefined (false) before any handling or idle time passed.
//
// Pure C++ with Abseil: no gRPC, no RocksDB; every event carries its time. Not thread-safe:
// the desk loop owns it.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "services/routing/routing_types.h"

namespace servicedesk::supervisor {

struct QueueLive {
  std::string queue;
  int64_t waiting = 0;
  std::optional<absl::Time> oldest_enqueued;  // of the contacts waiting; none when empty
  int staffed = 0;
  int ready = 0;
  int reserved = 0;
  int busy = 0;
  int wrap_up = 0;
  int not_ready = 0;
  std::map<std::string, int> not_ready_by_reason;  // reasons with a count of zero are absent
};

struct AgentLive {
  std::string agent;
  routing::AgentState state = routing::AgentState::kLoggedOut;
  std::string reason;     // NOT_READY's reason
  absl::Time state_since = absl::InfinitePast();
  std::string contact;    // the contact they are on or wrapping up ("" none)
  int64_t handled = 0;    // contacts handled since login (as the router counts them)
  absl::Duration handling;  // since login: BUSY + WRAP_UP, the running state included
  absl::Duration idle;      // since login: READY + RESERVED, the running state included
  double occupancy = 0;     // handling / (handling + idle)
  bool occupancy_defined = false;
  std::vector<std::string> queues;  // the queues the agent serves, sorted
};

class LiveBoard {
 public:
  // The queues to list (each appears even when nothing happens in it). A queue no longer
  // listed is forgotten once nothing waits in it and no agent serves it.
  void SetQueues(const std::vector<std::string>& queues, absl::Time at);

  // The queues `agent` serves (from the configuration: the skills they have). Their
  // state's counts move from the old queues to the new ones. A new agent starts LOGGED_OUT.
  void SetAgentQueues(const std::string& agent, std::vector<std::string> queues, absl::Time at);

  // The agent's state from `at`. Entering any state from LOGGED_OUT is a login: the
  // handling and idle times start again from zero. Same state and reason: nothing changes.
  void SetAgentState(const std::string& agent, routing::AgentState state, const std::string& reason,
                     absl::Time at);
  // The contact the agent is on ("" when none) and the contacts they handled since login.
  void SetAgentWork(const std::string& agent, const std::string& contact, int64_t handled, absl::Time at);

  // A contact waits in `queue` since `enqueued` (a new contact, or one that moved there:
  // it leaves the queue it waited in before).
  void ContactWaiting(uint64_t contact, const std::string& queue, absl::Time enqueued, absl::Time at);
  // It waits no longer (answered, abandoned, withdrawn). Unknown contacts are ignored.
  void ContactLeft(uint64_t contact, absl::Time at);

  // Something else about the queue changed (its statistics): it goes into the next update.
  void Touch(const std::string& queue, absl::Time at);

  // The views. An unknown queue or agent: zero counts (LOGGED_OUT).
  QueueLive Queue(const std::string& queue) const;
  AgentLive Agent(const std::string& agent, absl::Time now) const;
  std::vector<std::string> QueueNames() const;  // sorted
  std::vector<std::string> AgentNames() const;  // sorted

  // Something else about the agent changed (their team, their tickets): into the next update.
  void TouchAgent(const std::string& agent, absl::Time at);

  // What changed since the last call, sorted, and when the first of it happened (of both,
  // and of the queues' and of the agents' changes apart).
  struct Changes {
    std::vector<std::string> queues;
    std::vector<std::string> agents;
    std::optional<absl::Time> first_change;
    std::optional<absl::Time> first_queue_change;
    std::optional<absl::Time> first_agent_change;
    bool empty() const { return queues.empty() && agents.empty(); }
  };
  Changes TakeChanges();

  int64_t waiting_contacts() const { return static_cast<int64_t>(contacts_.size()); }

 private:
  struct QueueState {
    bool listed = false;
    std::set<std::pair<absl::Time, uint64_t>> waiting;  // by enqueue time
    int staffed = 0;
    int by_state[6] = {};  // by routing::AgentState
    std::map<std::string, int> not_ready_by_reason;
  };
  struct AgentState {
    routing::AgentState state = routing::AgentState::kLoggedOut;
    std::string reason;
    absl::Time since = absl::InfinitePast();
    std::string contact;
    int64_t handled = 0;
    absl::Duration handling;  // closed spans since login
    absl::Duration idle;
    std::vector<std::string> queues;
  };
  struct Waiting {
    std::string queue;
    absl::Time enqueued;
  };

  QueueState& QueueAt(const std::string& queue);
  // Adds (sign +1) or removes (-1) the agent's state from the counts of its queues.
  void Count(const std::string& agent, const AgentState& state, int sign);
  void MarkQueue(const std::string& queue, absl::Time at);
  void MarkAgent(const std::string& agent, absl::Time at);
  void ForgetIfUnused(const std::string& queue);

  absl::flat_hash_map<std::string, QueueState> queues_;
  absl::flat_hash_map<std::string, AgentState> agents_;
  absl::flat_hash_map<uint64_t, Waiting> contacts_;
  std::set<std::string> changed_queues_;
  std::set<std::string> changed_agents_;
  std::optional<absl::Time> first_queue_change_;
  std::optional<absl::Time> first_agent_change_;
};

}  // namespace servicedesk::supervisor
