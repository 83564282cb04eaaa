#include "services/supervisor/live_board.h"

#include <algorithm>

namespace servicedesk::supervisor {

namespace {

using routing::AgentState;

bool IsHandling(AgentState state) { return state == AgentState::kBusy || state == AgentState::kWrapUp; }
bool IsIdle(AgentState state) { return state == AgentState::kReady || state == AgentState::kReserved; }

template <typename Map>
std::vector<std::string> SortedKeys(const Map& map) {
  std::vector<std::string> keys;
  keys.reserve(map.size());
  for (const auto& [key, value] : map) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace

LiveBoard::QueueState& LiveBoard::QueueAt(const std::string& queue) { return queues_[queue]; }

void LiveBoard::MarkQueue(const std::string& queue, absl::Time at) {
  changed_queues_.insert(queue);
  if (!first_queue_change_ || at < *first_queue_change_) first_queue_change_ = at;
}

void LiveBoard::MarkAgent(const std::string& agent, absl::Time at) {
  changed_agents_.insert(agent);
  if (!first_agent_change_ || at < *first_agent_change_) first_agent_change_ = at;
}

void LiveBoard::TouchAgent(const std::string& agent, absl::Time at) {
  if (agents_.contains(agent)) MarkAgent(agent, at);
}

void LiveBoard::ForgetIfUnused(const std::string& queue) {
  auto it = queues_.find(queue);
  if (it == queues_.end()) return;
  const QueueState& q = it->second;
  // Stays in changed_queues_: its watchers learn it went (Queue() gives zero counts).
  if (!q.listed && q.waiting.empty() && q.staffed == 0) queues_.erase(it);
}

void LiveBoard::SetQueues(const std::vector<std::string>& queues, absl::Time at) {
  std::set<std::string> listed(queues.begin(), queues.end());
  for (auto& [name, state] : queues_) {
    const bool now_listed = listed.contains(name);
    if (state.listed != now_listed) MarkQueue(name, at);
    state.listed = now_listed;
  }
  for (const auto& name : listed) {
    QueueState& state = QueueAt(name);
    if (!state.listed) {
      state.listed = true;
      MarkQueue(name, at);
    }
  }
  for (const auto& name : SortedKeys(queues_)) ForgetIfUnused(name);
}

void LiveBoard::Count(const std::string& agent, const AgentState& state, int sign) {
  (void)agent;
  if (state.state == routing::AgentState::kLoggedOut) return;
  for (const auto& name : state.queues) {
    QueueState& q = QueueAt(name);
    q.staffed += sign;
    q.by_state[static_cast<int>(state.state)] += sign;
    if (state.state == routing::AgentState::kNotReady) {
      int& count = q.not_ready_by_reason[state.reason];
      count += sign;
      if (count == 0) q.not_ready_by_reason.erase(state.reason);
    }
  }
}

void LiveBoard::SetAgentQueues(const std::string& agent, std::vector<std::string> queues, absl::Time at) {
  std::sort(queues.begin(), queues.end());
  queues.erase(std::unique(queues.begin(), queues.end()), queues.end());
  auto [it, inserted] = agents_.try_emplace(agent);
  AgentState& state = it->second;
  if (inserted) MarkAgent(agent, at);  // a new agent is news even without queues
  if (state.queues == queues) return;
  Count(agent, state, -1);
  std::vector<std::string> old = std::move(state.queues);
  state.queues = std::move(queues);
  Count(agent, state, +1);
  if (state.state != routing::AgentState::kLoggedOut) {
    for (const auto& name : old) MarkQueue(name, at);
    for (const auto& name : state.queues) MarkQueue(name, at);
  }
  MarkAgent(agent, at);
  for (const auto& name : old) ForgetIfUnused(name);
}

void LiveBoard::SetAgentState(const std::string& agent, routing::AgentState new_state,
                              const std::string& reason, absl::Time at) {
  AgentState& state = agents_[agent];
  const std::string kept_reason = new_state == routing::AgentState::kNotReady ? reason : "";
  if (state.state == new_state && state.reason == kept_reason) return;
  Count(agent, state, -1);
  if (state.state == routing::AgentState::kLoggedOut) {
    state.handling = absl::ZeroDuration();
    state.idle = absl::ZeroDuration();
    state.handled = 0;
  } else if (state.since != absl::InfinitePast()) {
    const absl::Duration spent = std::max(at - state.since, absl::ZeroDuration());
    if (IsHandling(state.state)) state.handling += spent;
    if (IsIdle(state.state)) state.idle += spent;
  }
  state.state = new_state;
  state.reason = kept_reason;
  state.since = at;
  if (new_state == routing::AgentState::kLoggedOut) state.contact.clear();
  Count(agent, state, +1);
  for (const auto& name : state.queues) MarkQueue(name, at);
  MarkAgent(agent, at);
}

void LiveBoard::SetAgentWork(const std::string& agent, const std::string& contact, int64_t handled,
                             absl::Time at) {
  AgentState& state = agents_[agent];
  if (state.contact == contact && state.handled == handled) return;
  state.contact = contact;
  state.handled = handled;
  MarkAgent(agent, at);
}

void LiveBoard::ContactWaiting(uint64_t contact, const std::string& queue, absl::Time enqueued,
                               absl::Time at) {
  auto [it, inserted] = contacts_.try_emplace(contact, Waiting{queue, enqueued});
  if (!inserted) {
    if (it->second.queue == queue && it->second.enqueued == enqueued) return;
    const std::string old = it->second.queue;
    QueueAt(old).waiting.erase({it->second.enqueued, contact});
    MarkQueue(old, at);
    it->second = Waiting{queue, enqueued};
    ForgetIfUnused(old);
  }
  QueueAt(queue).waiting.insert({enqueued, contact});
  MarkQueue(queue, at);
}

void LiveBoard::ContactLeft(uint64_t contact, absl::Time at) {
  auto it = contacts_.find(contact);
  if (it == contacts_.end()) return;
  const Waiting waiting = it->second;
  contacts_.erase(it);
  QueueAt(waiting.queue).waiting.erase({waiting.enqueued, contact});
  MarkQueue(waiting.queue, at);
  ForgetIfUnused(waiting.queue);
}

void LiveBoard::Touch(const std::string& queue, absl::Time at) {
  if (queues_.contains(queue)) MarkQueue(queue, at);
}

QueueLive LiveBoard::Queue(const std::string& queue) const {
  QueueLive live;
  live.queue = queue;
  auto it = queues_.find(queue);
  if (it == queues_.end()) return live;
  const QueueState& q = it->second;
  live.waiting = static_cast<int64_t>(q.waiting.size());
  if (!q.waiting.empty()) live.oldest_enqueued = q.waiting.begin()->first;
  live.staffed = q.staffed;
  live.ready = q.by_state[static_cast<int>(routing::AgentState::kReady)];
  live.reserved = q.by_state[static_cast<int>(routing::AgentState::kReserved)];
  live.busy = q.by_state[static_cast<int>(routing::AgentState::kBusy)];
  live.wrap_up = q.by_state[static_cast<int>(routing::AgentState::kWrapUp)];
  live.not_ready = q.by_state[static_cast<int>(routing::AgentState::kNotReady)];
  live.not_ready_by_reason = q.not_ready_by_reason;
  return live;
}

AgentLive LiveBoard::Agent(const std::string& agent, absl::Time now) const {
  AgentLive live;
  live.agent = agent;
  auto it = agents_.find(agent);
  if (it == agents_.end()) return live;
  const AgentState& a = it->second;
  live.state = a.state;
  live.reason = a.reason;
  live.state_since = a.since;
  live.contact = a.contact;
  live.handled = a.handled;
  live.queues = a.queues;
  live.handling = a.handling;
  live.idle = a.idle;
  if (a.state != routing::AgentState::kLoggedOut && a.since != absl::InfinitePast()) {
    const absl::Duration running = std::max(now - a.since, absl::ZeroDuration());
    if (IsHandling(a.state)) live.handling += running;
    if (IsIdle(a.state)) live.idle += running;
  }
  const absl::Duration total = live.handling + live.idle;
  if (total > absl::ZeroDuration()) {
    live.occupancy = absl::FDivDuration(live.handling, total);
    live.occupancy_defined = true;
  }
  return live;
}

std::vector<std::string> LiveBoard::QueueNames() const {
  std::vector<std::string> names;
  for (const auto& [name, state] : queues_) {
    if (state.listed) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> LiveBoard::AgentNames() const { return SortedKeys(agents_); }

LiveBoard::Changes LiveBoard::TakeChanges() {
  Changes changes;
  changes.queues.assign(changed_queues_.begin(), changed_queues_.end());
  changes.agents.assign(changed_agents_.begin(), changed_agents_.end());
  changes.first_queue_change = first_queue_change_;
  changes.first_agent_change = first_agent_change_;
  changes.first_change = first_queue_change_;
  if (first_agent_change_ && (!changes.first_change || *first_agent_change_ < *changes.first_change)) {
    changes.first_change = first_agent_change_;
  }
  changed_queues_.clear();
  changed_agents_.clear();
  first_queue_change_.reset();
  first_agent_change_.reset();
  return changes;
}

}  // namespace servicedesk::supervisor
