#include "services/routing/router.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace servicedesk::routing {

namespace {

enum TimerKind {
  kOfferTimeout = 1,
  kWrapUpEnd = 2,
  kOverflowDue = 3,
  kPreferredExpiry = 4,
  kDeclineExpiry = 5,
};

// Bounds on how far one decision scans past entries that cannot be taken (declined, lacking
// an extra skill). Generous: they only bite when that many unsuitable entries lead a queue.
constexpr int kScanPerQueue = 1024;  // contacts looked at per queue for one agent
constexpr int kScanAgents = 1024;    // agents looked at for one contact
constexpr std::size_t kKeptOffers = 100000;  // ended offers remembered (idempotency, traces)
constexpr absl::Duration kMaxConfigDuration = absl::Hours(24);

bool IsVoice(Channel channel) { return channel != Channel::kTicket; }

int64_t Micros(absl::Time time) { return absl::ToUnixMicros(time); }

absl::Status CheckDuration(absl::Duration value, const std::string& field, bool allow_zero) {
  if (value < absl::ZeroDuration() || (!allow_zero && value == absl::ZeroDuration()) ||
      value > kMaxConfigDuration) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": must be ", allow_zero ? "0" : "more than 0", " to 24 hours, got ",
        absl::FormatDuration(value)));
  }
  return absl::OkStatus();
}

}  // namespace

const char* ChannelName(Channel channel) {
  switch (channel) {
    case Channel::kCall: return "call";
    case Channel::kTicket: return "ticket";
    case Channel::kCallback: return "callback";
    case Channel::kOutbound: return "outbound";
  }
  return "?";
}

const char* AgentStateName(AgentState state) {
  switch (state) {
    case AgentState::kLoggedOut: return "LOGGED_OUT";
    case AgentState::kReady: return "READY";
    case AgentState::kNotReady: return "NOT_READY";
    case AgentState::kReserved: return "RESERVED";
    case AgentState::kBusy: return "BUSY";
    case AgentState::kWrapUp: return "WRAP_UP";
  }
  return "?";
}

const char* StrategyName(Strategy strategy) {
  switch (strategy) {
    case Strategy::kLongestIdle: return "longest idle";
    case Strategy::kMostSkilled: return "most skilled";
    case Strategy::kFewestContacts: return "fewest contacts";
    case Strategy::kLeastTalkTime: return "least talk time";
    case Strategy::kRoundRobin: return "round robin";
    case Strategy::kRandom: return "random";
  }
  return "?";
}

std::string TraceCandidate::Describe() const {
  if (key_primary != 0 || key_secondary != 0) {
    return absl::StrFormat("agent %s for contact %d in %s: strategy key (%d, %d)%s", agent, contact,
                           queue, key_primary, key_secondary, acceptable ? "" : ", cannot take it");
  }
  return absl::StrFormat("contact %d in %s for agent %s: priority %.2f after %s", contact, queue,
                         agent, priority, absl::FormatDuration(absl::Trunc(waited, absl::Seconds(1))));
}

const char* OfferStateName(OfferState state) {
  switch (state) {
    case OfferState::kPending: return "PENDING";
    case OfferState::kAccepted: return "ACCEPTED";
    case OfferState::kRejected: return "REJECTED";
    case OfferState::kTimedOut: return "TIMED_OUT";
    case OfferState::kWithdrawn: return "WITHDRAWN";
  }
  return "?";
}

struct Router::Queue {
  uint32_t index;
  QueueConfig config;
  std::vector<std::pair<uint32_t, int>> skills;  // skill index, minimum proficiency
  std::set<WaitKey> waiting;
  std::set<AgentKey> available[kChannelCount];
  bool serves[kChannelCount] = {};
  uint32_t overflow_to = UINT32_MAX;  // queue index
  uint64_t round_robin = 0;
  int held_for_preferred = 0;  // its contacts waiting in agents' reserved sets
  int tickets_waiting = 0;     // of those, tickets: stored work, never refused
  // The calls (and other voice contacts) waiting for this queue, also those that wait for a
  // preferred agent: what max_length limits. Tickets do not make a caller hear busy.
  int length() const { return static_cast<int>(waiting.size()) + held_for_preferred - tickets_waiting; }
};

struct Router::Agent {
  // What every decision reads comes first, so that it shares a few cache lines; the
  // configuration and statistics follow.
  uint32_t index;
  AgentState state = AgentState::kLoggedOut;
  int active_calls = 0;
  int active_tickets = 0;
  int max_tickets = 0;  // config.max_tickets
  std::optional<uint64_t> pending_offer;
  std::vector<uint32_t> queues;  // the queues whose skills the agent has
  std::set<WaitKey> reserved;    // contacts waiting for this agent as their preferred agent
  std::optional<std::string> requested_not_ready;
  absl::Time idle_since;
  int missed = 0;
  struct InSet {
    uint32_t queue;
    int channel;
    AgentKey key;  // exactly as inserted: statistics may change before removal
  };
  std::vector<InSet> in_sets;

  AgentConfig config;
  absl::flat_hash_map<uint32_t, int> skills;
  std::string reason;
  absl::Time state_since;
  int64_t handled = 0;
  int64_t talk_us = 0;
  uint64_t wrap_up_generation = 0;
  int64_t random_key = 0;
  absl::flat_hash_map<uint32_t, uint64_t> last_offer_in_queue;  // round robin
};

struct Router::Contact {
  uint64_t id;
  ContactSpec spec;
  uint32_t queue;
  std::vector<std::pair<uint32_t, int>> extra_skills;
  double key = 0;
  absl::Time enqueue_time;
  ContactState state = ContactState::kWaiting;
  std::optional<uint32_t> preferred;  // agent index
  absl::Time reserved_until;
  bool reserved = false;
  std::optional<uint64_t> offer;
  std::optional<uint64_t> last_offer;  // for its routing trace
  std::optional<uint32_t> agent;
  std::optional<absl::Time> answer_time;
  struct Decline {
    uint32_t agent;
    absl::Time until;
  };
  std::vector<Decline> declined_by;
  uint64_t overflow_generation = 0;
};

struct Router::Offer {
  uint64_t id;
  uint64_t contact;
  uint32_t agent;
  OfferState state = OfferState::kPending;
  absl::Time expires;
  Accepted accepted{};
  absl::Time decided;
  CompactTrace trace;
};

bool Router::WaitKey::operator<(const WaitKey& other) const {
  if (key != other.key) return key > other.key;
  if (enqueue_us != other.enqueue_us) return enqueue_us < other.enqueue_us;
  return contact < other.contact;
}

bool Router::AgentKey::operator<(const AgentKey& other) const {
  if (primary != other.primary) return primary < other.primary;
  if (secondary != other.secondary) return secondary < other.secondary;
  return agent < other.agent;
}

Router::Router(const Clock* clock, PriorityPolicy policy, uint64_t random_seed)
    : clock_(clock), policy_(policy), random_(random_seed) {}

Router::~Router() = default;

uint32_t Router::SkillIndex(const std::string& skill) {
  auto [it, inserted] = skill_index_.try_emplace(skill, static_cast<uint32_t>(skill_index_.size()));
  return it->second;
}

absl::Status Router::CheckSkills(const std::vector<SkillRequirement>& skills,
                                 const std::string& field) {
  for (std::size_t i = 0; i < skills.size(); ++i) {
    if (skills[i].skill.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(field, "[", i, "].skill: required"));
    }
    if (skills[i].min_proficiency < 1 || skills[i].min_proficiency > 10) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, "[", i, "].min_proficiency: must be 1 to 10"));
    }
  }
  return absl::OkStatus();
}

absl::Status Router::UpsertQueue(const QueueConfig& config) {
  if (config.name.empty()) return absl::InvalidArgumentError("queue.name: required");
  if (config.channels.empty()) return absl::InvalidArgumentError("queue.channels: at least one");
  if (auto s = CheckSkills(config.skills, "queue.skills"); !s.ok()) return s;
  if (config.widened_skills) {
    if (auto s = CheckSkills(*config.widened_skills, "queue.widened_skills"); !s.ok()) return s;
  }
  if (auto s = CheckDuration(config.sl_threshold, "queue.sl_threshold", false); !s.ok()) return s;
  if (!(config.sl_goal > 0 && config.sl_goal <= 1)) {
    return absl::InvalidArgumentError("queue.sl_goal: must be more than 0 and at most 1");
  }
  if (auto s = CheckDuration(config.wrap_up, "queue.wrap_up", true); !s.ok()) return s;
  if (auto s = CheckDuration(config.offer_timeout, "queue.offer_timeout", false); !s.ok()) return s;
  if (auto s = CheckDuration(config.max_wait, "queue.max_wait", true); !s.ok()) return s;
  if (auto s = CheckDuration(config.preferred_agent_window, "queue.preferred_agent_window", true);
      !s.ok()) {
    return s;
  }
  if (config.max_length < 1 || config.max_length > 1'000'000) {
    return absl::InvalidArgumentError("queue.max_length: must be 1 to 1000000");
  }
  if (!config.overflow_queue.empty()) {
    if (config.overflow_queue == config.name) {
      return absl::InvalidArgumentError("queue.overflow_queue: cannot be the queue itself");
    }
    if (!queue_index_.contains(config.overflow_queue)) {
      return absl::NotFoundError(
          absl::StrCat("queue.overflow_queue: '", config.overflow_queue, "' not found"));
    }
  }
  if (!config.overflow_queue.empty()) {
    // No cycles: a contact must not bounce between queues that overflow into each other.
    for (uint32_t next = queue_index_[config.overflow_queue]; next != UINT32_MAX;
         next = queues_[next]->overflow_to) {
      if (queues_[next]->config.name == config.name) {
        return absl::InvalidArgumentError(absl::StrCat(
            "queue.overflow_queue: '", config.overflow_queue, "' overflows back into '",
            config.name, "'"));
      }
    }
    const Queue& target = *queues_[queue_index_[config.overflow_queue]];
    for (Channel channel : config.channels) {
      if (!target.serves[static_cast<int>(channel)]) {
        return absl::InvalidArgumentError(absl::StrCat(
            "queue.overflow_queue: '", config.overflow_queue, "' does not take ",
            ChannelName(channel), "s"));
      }
    }
  }
  if (auto existing = queue_index_.find(config.name); existing != queue_index_.end()) {
    for (const WaitKey& key : queues_[existing->second]->waiting) {
      const Channel channel = contacts_[key.contact]->spec.channel;
      if (std::find(config.channels.begin(), config.channels.end(), channel) ==
          config.channels.end()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "queue.channels: ", ChannelName(channel), "s are waiting in '", config.name,
            "'; they must be served or moved before the channel is dropped"));
      }
    }
  }
  if (config.max_wait > absl::ZeroDuration() && config.overflow_queue.empty() &&
      !config.widened_skills) {
    return absl::InvalidArgumentError(
        "queue.max_wait: needs an overflow_queue or widened_skills to overflow to");
  }

  auto define = [&](const QueueConfig& c) -> Queue* {
    auto it = queue_index_.find(c.name);
    Queue* queue;
    if (it == queue_index_.end()) {
      auto fresh = std::make_unique<Queue>();
      fresh->index = static_cast<uint32_t>(queues_.size());
      queue_index_[c.name] = fresh->index;
      queue = fresh.get();
      queues_.push_back(std::move(fresh));
      heads_.emplace_back();
    } else {
      queue = queues_[it->second].get();
    }
    queue->config = c;
    queue->skills.clear();
    for (const auto& requirement : c.skills) {
      queue->skills.emplace_back(SkillIndex(requirement.skill), requirement.min_proficiency);
    }
    std::fill(std::begin(queue->serves), std::end(queue->serves), false);
    for (Channel channel : c.channels) queue->serves[static_cast<int>(channel)] = true;
    return queue;
  };
  Queue* queue = define(config);
  queue->overflow_to = UINT32_MAX;
  if (!config.overflow_queue.empty()) {
    queue->overflow_to = queue_index_[config.overflow_queue];
  } else if (config.widened_skills) {
    // Widening is a queue of its own with fewer skills: the same machinery serves it.
    QueueConfig widened = config;
    widened.name = config.name + "~widened";
    widened.skills = *config.widened_skills;
    widened.widened_skills.reset();
    widened.max_wait = absl::ZeroDuration();
    queue->overflow_to = define(widened)->index;
  } else if (auto stale = queue_index_.find(config.name + "~widened"); stale != queue_index_.end()) {
    // The queue no longer widens: whoever waits with the widened requirement comes back.
    Queue& from = *queues_[stale->second];
    std::vector<uint64_t> back;
    for (const WaitKey& key : from.waiting) back.push_back(key.contact);
    for (uint64_t id : back) {
      Contact* contact = contacts_[id].get();
      Unplace(contact);
      contact->queue = queue->index;
      contact->key = OrderKey(*contact, *queue);
      ++contact->overflow_generation;
      events_.push_back(ContactOverflowed{id, from.config.name, config.name});
      Place(contact);
    }
  }
  // Waiting contacts take the new base priority and overflow rule.
  std::vector<uint64_t> waiting;
  for (const WaitKey& key : queue->waiting) waiting.push_back(key.contact);
  for (uint64_t id : waiting) {
    Contact* contact = contacts_[id].get();
    Unplace(contact);
    contact->key = OrderKey(*contact, *queue);
    Place(contact);
    if (config.max_wait > absl::ZeroDuration() && queue->overflow_to != UINT32_MAX) {
      AddTimer(std::max(contact->enqueue_time + config.max_wait, Now()), kOverflowDue, id,
               contact->overflow_generation);
    }
  }
  // Membership follows skills; refresh every agent (configuration changes are rare).
  for (auto& agent : agents_) {
    agent->queues.clear();
    for (auto& q : queues_) {
      if (HasSkills(*agent, q->skills)) agent->queues.push_back(q->index);
    }
    Refresh(agent.get());
  }
  for (auto& agent : agents_) MatchAgent(agent.get());
  return absl::OkStatus();
}

absl::Status Router::UpsertAgent(const AgentConfig& config) {
  if (config.name.empty()) return absl::InvalidArgumentError("agent.name: required");
  if (config.max_tickets < 0 || config.max_tickets > 50) {
    return absl::InvalidArgumentError("agent.max_tickets: must be 0 to 50");
  }
  for (const auto& [skill, proficiency] : config.skills) {
    if (skill.empty()) return absl::InvalidArgumentError("agent.skills: names must not be empty");
    if (proficiency < 1 || proficiency > 10) {
      return absl::InvalidArgumentError(
          absl::StrCat("agent.skills[", skill, "]: proficiency must be 1 to 10"));
    }
  }
  auto it = agent_index_.find(config.name);
  Agent* agent;
  if (it == agent_index_.end()) {
    auto fresh = std::make_unique<Agent>();
    fresh->index = static_cast<uint32_t>(agents_.size());
    fresh->state_since = Now();
    fresh->idle_since = Now();
    agent_index_[config.name] = fresh->index;
    agent = fresh.get();
    agents_.push_back(std::move(fresh));
  } else {
    agent = agents_[it->second].get();
  }
  agent->config = config;
  agent->max_tickets = config.max_tickets;
  agent->skills.clear();
  for (const auto& [skill, proficiency] : config.skills) agent->skills[SkillIndex(skill)] = proficiency;
  agent->queues.clear();
  for (auto& queue : queues_) {
    if (HasSkills(*agent, queue->skills)) agent->queues.push_back(queue->index);
  }
  Refresh(agent);
  MatchAgent(agent);
  return absl::OkStatus();
}

absl::StatusOr<Router::Agent*> Router::FindAgent(const std::string& name) {
  auto it = agent_index_.find(name);
  if (it == agent_index_.end()) {
    return absl::NotFoundError(absl::StrCat("agent: '", name.substr(0, 100), "' not found"));
  }
  return agents_[it->second].get();
}

absl::StatusOr<const Router::Agent*> Router::FindAgent(const std::string& name) const {
  auto it = agent_index_.find(name);
  if (it == agent_index_.end()) {
    return absl::NotFoundError(absl::StrCat("agent: '", name.substr(0, 100), "' not found"));
  }
  return agents_[it->second].get();
}

bool Router::HasSkills(const Agent& agent,
                       const std::vector<std::pair<uint32_t, int>>& skills) const {
  for (const auto& [skill, minimum] : skills) {
    auto it = agent.skills.find(skill);
    if (it == agent.skills.end() || it->second < minimum) return false;
  }
  return true;
}

bool Router::Serves(const Agent& agent, const Queue& queue) const {
  return std::find(agent.queues.begin(), agent.queues.end(), queue.index) != agent.queues.end();
}

bool Router::CanTake(const Agent& agent, Channel channel) const {
  if (agent.pending_offer) return false;
  if (agent.requested_not_ready) return false;
  if (IsVoice(channel)) {
    return agent.state == AgentState::kReady && agent.active_calls == 0 &&
           agent.active_tickets == 0;
  }
  return (agent.state == AgentState::kReady || agent.state == AgentState::kBusy) &&
         agent.active_calls == 0 && agent.active_tickets < agent.max_tickets;
}

Router::AgentKey Router::KeyFor(const Agent& agent, const Queue& queue) const {
  const int64_t idle = Micros(agent.idle_since);
  switch (queue.config.strategy) {
    case Strategy::kLongestIdle:
      return {idle, 0, agent.index};
    case Strategy::kMostSkilled: {
      int64_t total = 0;
      for (const auto& [skill, minimum] : queue.skills) {
        auto it = agent.skills.find(skill);
        if (it != agent.skills.end()) total += it->second;
      }
      return {-total, idle, agent.index};
    }
    case Strategy::kFewestContacts:
      return {agent.handled, idle, agent.index};
    case Strategy::kLeastTalkTime:
      return {agent.talk_us, idle, agent.index};
    case Strategy::kRoundRobin: {
      auto it = agent.last_offer_in_queue.find(queue.index);
      return {it == agent.last_offer_in_queue.end() ? 0 : static_cast<int64_t>(it->second), 0,
              agent.index};
    }
    case Strategy::kRandom:
      return {agent.random_key, 0, agent.index};
  }
  return {idle, 0, agent.index};
}

void Router::RemoveFromSets(Agent* agent) {
  for (const auto& entry : agent->in_sets) {
    queues_[entry.queue]->available[entry.channel].erase(entry.key);
  }
  agent->in_sets.clear();
}

// Recomputes where the agent is available, with keys from its current statistics.
void Router::Refresh(Agent* agent) {
  RemoveFromSets(agent);
  if (agent->pending_offer || agent->requested_not_ready ||
      (agent->state != AgentState::kReady && agent->state != AgentState::kBusy)) {
    return;  // available nowhere
  }
  agent->random_key = static_cast<int64_t>(random_() >> 1);
  for (uint32_t queue_index : agent->queues) {
    Queue& queue = *queues_[queue_index];
    for (int channel = 0; channel < kChannelCount; ++channel) {
      if (!queue.serves[channel] || !CanTake(*agent, static_cast<Channel>(channel))) continue;
      const AgentKey key = KeyFor(*agent, queue);
      queue.available[channel].insert(key);
      agent->in_sets.push_back({queue_index, channel, key});
    }
  }
}

void Router::SetState(Agent* agent, AgentState state, std::string reason) {
  if (agent->state == state && agent->reason == reason) return;
  agent->state = state;
  agent->reason = std::move(reason);
  agent->state_since = Now();
  events_.push_back(AgentStateChanged{agent->config.name, state, agent->reason});
}

void Router::BecomeFree(Agent* agent) {
  if (agent->active_calls + agent->active_tickets > 0) {
    SetState(agent, AgentState::kBusy, "");
  } else if (agent->pending_offer) {
    SetState(agent, AgentState::kReserved, "");  // free of work, but an offer is ringing
  } else if (agent->requested_not_ready) {
    std::string reason = *std::move(agent->requested_not_ready);
    agent->requested_not_ready.reset();
    SetState(agent, AgentState::kNotReady, std::move(reason));
  } else {
    SetState(agent, AgentState::kReady, "");
  }
  // Matched first: an agent who takes a waiting contact at once never enters (and leaves)
  // the available sets. Refresh then removes any stale entries and adds what still holds.
  MatchAgent(agent);
  Refresh(agent);
}

double Router::StaticPriority(const Contact& contact, const Queue& queue) const {
  return queue.config.base_priority + policy_.tier_boost[static_cast<int>(contact.spec.tier)] +
         (contact.spec.open_complaint ? policy_.complaint_boost : 0) + contact.spec.priority_adjust;
}

// priority(t) = static + rate * minutes waited = (static - rate * enqueue minute) + rate * t:
// the first term is the contact's order key, fixed while it waits in one queue.
double Router::OrderKey(const Contact& contact, const Queue& queue) const {
  return StaticPriority(contact, queue) -
         policy_.ageing_per_minute *
             absl::ToDoubleMinutes(contact.enqueue_time - absl::UnixEpoch());
}

double Router::PriorityOf(const Contact& contact, absl::Time at) const {
  return StaticPriority(contact, *queues_[contact.queue]) +
         policy_.ageing_per_minute * absl::ToDoubleMinutes(at - contact.enqueue_time);
}

double Router::PriorityAt(uint64_t contact_id, absl::Time at) const {
  auto it = contacts_.find(contact_id);
  return it == contacts_.end() ? 0 : PriorityOf(*it->second, at);
}

bool Router::Acceptable(const Contact& contact, const Agent& agent) const {
  if (!CanTake(agent, contact.spec.channel)) return false;
  if (!contact.extra_skills.empty() && !HasSkills(agent, contact.extra_skills)) return false;
  if (contact.declined_by.empty()) return true;
  const absl::Time now = Now();
  for (const auto& decline : contact.declined_by) {
    if (decline.agent == agent.index && now < decline.until) return false;
  }
  return true;
}

void Router::Place(Contact* contact) {
  if (!IsVoice(contact->spec.channel)) ++queues_[contact->queue]->tickets_waiting;
  contact->state = ContactState::kWaiting;
  contact->agent.reset();
  contact->offer.reset();
  const WaitKey key{contact->key, Micros(contact->enqueue_time), contact->id, contact};
  if (contact->reserved && contact->preferred) {
    agents_[*contact->preferred]->reserved.insert(key);
    ++queues_[contact->queue]->held_for_preferred;
  } else {
    queues_[contact->queue]->waiting.insert(key);
    UpdateHead(contact->queue);
  }
}

void Router::UpdateHead(uint32_t queue_index) {
  const Queue& queue = *queues_[queue_index];
  Head& head = heads_[queue_index];
  head.has = !queue.waiting.empty();
  if (!head.has) return;
  head.key = *queue.waiting.begin();
  const Contact& contact = *head.key.pointer;
  head.plain = contact.extra_skills.empty() && contact.declined_by.empty();
  head.channel = contact.spec.channel;
}

void Router::Unplace(Contact* contact) {
  if (!IsVoice(contact->spec.channel)) --queues_[contact->queue]->tickets_waiting;
  const WaitKey key{contact->key, Micros(contact->enqueue_time), contact->id, contact};
  if (contact->reserved && contact->preferred) {
    agents_[*contact->preferred]->reserved.erase(key);
    --queues_[contact->queue]->held_for_preferred;
  } else {
    queues_[contact->queue]->waiting.erase(key);
    UpdateHead(contact->queue);
  }
}

absl::StatusOr<uint64_t> Router::Enqueue(const ContactSpec& spec) {
  return Admit(spec, next_contact_, AdmitMode::kNew);
}

absl::Status Router::Restore(uint64_t id, const ContactSpec& spec) {
  if (id == 0) return absl::InvalidArgumentError("contact: id 0 is not a contact");
  if (contacts_.contains(id)) {
    return absl::AlreadyExistsError(absl::StrCat("contact: ", id, " is already in the router"));
  }
  if (!spec.enqueue_time) return absl::InvalidArgumentError("enqueue_time: required to restore");
  auto admitted = Admit(spec, id, AdmitMode::kRestore);
  return admitted.ok() ? absl::OkStatus() : admitted.status();
}

absl::StatusOr<ContactSpec> Router::WaitingRecord(uint64_t id) const {
  auto it = contacts_.find(id);
  if (it == contacts_.end() || (it->second->state != ContactState::kWaiting &&
                                it->second->state != ContactState::kOffered)) {
    return absl::NotFoundError(absl::StrCat("contact: ", id, " is not waiting"));
  }
  const Contact& contact = *it->second;
  ContactSpec spec = contact.spec;
  spec.queue = queues_[contact.queue]->config.name;
  spec.enqueue_time = contact.enqueue_time;
  return spec;
}

absl::StatusOr<uint64_t> Router::Admit(const ContactSpec& spec, uint64_t id, AdmitMode mode) {
  const bool restoring = mode == AdmitMode::kRestore;
  auto queue_it = queue_index_.find(spec.queue);
  if (queue_it == queue_index_.end()) {
    return absl::NotFoundError(absl::StrCat("queue: '", spec.queue.substr(0, 100), "' not found"));
  }
  Queue& queue = *queues_[queue_it->second];
  if (!queue.serves[static_cast<int>(spec.channel)]) {
    return absl::InvalidArgumentError(absl::StrCat("channel: queue '", spec.queue, "' does not take ",
                                                   ChannelName(spec.channel), "s"));
  }
  // A ticket is stored before it is routed, and must be worked: a full queue refuses calls
  // (the caller hears busy), never tickets.
  if (mode == AdmitMode::kNew && IsVoice(spec.channel) && queue.length() >= queue.config.max_length) {
    return absl::ResourceExhaustedError(
        absl::StrCat("queue: '", spec.queue, "' is full (", queue.config.max_length, " waiting)"));
  }
  if (auto s = CheckSkills(spec.extra_skills, "extra_skills"); !s.ok()) return s;
  std::optional<uint32_t> preferred;
  if (!spec.preferred_agent.empty()) {
    auto agent = FindAgent(spec.preferred_agent);
    if (!agent.ok() && restoring) {
      // The agent was removed while the desk was down: route normally.
    } else if (!agent.ok()) {
      return absl::NotFoundError(
          absl::StrCat("preferred_agent: '", spec.preferred_agent.substr(0, 100), "' not found"));
    } else {
      preferred = (*agent)->index;
    }
  }

  std::unique_ptr<Contact> contact;
  if (spare_contacts_.empty()) {
    contact = std::make_unique<Contact>();
  } else {
    // A finished contact's memory, strings and vectors keep their capacity.
    contact = std::move(spare_contacts_.back());
    spare_contacts_.pop_back();
    contact->extra_skills.clear();
    contact->declined_by.clear();
    contact->state = ContactState::kWaiting;
    contact->reserved_until = absl::Time();
    contact->reserved = false;
    contact->offer.reset();
    contact->last_offer.reset();
    contact->agent.reset();
    contact->answer_time.reset();
    contact->overflow_generation = 0;
  }
  contact->id = id;
  next_contact_ = std::max(next_contact_, id + 1);
  contact->spec = spec;
  contact->queue = queue.index;
  contact->enqueue_time = spec.enqueue_time.value_or(Now());
  for (const auto& requirement : spec.extra_skills) {
    contact->extra_skills.emplace_back(SkillIndex(requirement.skill), requirement.min_proficiency);
  }
  contact->key = OrderKey(*contact, queue);
  contact->preferred = preferred;
  Contact* raw = contact.get();
  contacts_[raw->id] = std::move(contact);
  if (mode == AdmitMode::kConnect) return raw->id;  // the caller connects it; it never waited

  if (!restoring && preferred && queue.config.preferred_agent_window > absl::ZeroDuration()) {
    const Agent& agent = *agents_[*preferred];
    const bool working = agent.state == AgentState::kBusy || agent.state == AgentState::kWrapUp ||
                         agent.state == AgentState::kReserved;
    const bool could_serve = Serves(agent, queue) && !agent.requested_not_ready &&
                             (raw->extra_skills.empty() || HasSkills(agent, raw->extra_skills));
    if (could_serve && working && !Acceptable(*raw, agent)) {
      // Worth waiting for: they will be free soon. Otherwise normal routing at once.
      raw->reserved = true;
      raw->reserved_until = Now() + queue.config.preferred_agent_window;
      AddTimer(raw->reserved_until, kPreferredExpiry, raw->id, 0);
    }
  }
  if (queue.config.max_wait > absl::ZeroDuration() && queue.overflow_to != UINT32_MAX) {
    AddTimer(raw->enqueue_time + queue.config.max_wait, kOverflowDue, raw->id,
             raw->overflow_generation);
  }
  Place(raw);
  if (!restoring) events_.push_back(ContactQueued{raw->id});
  MatchContact(raw);
  return raw->id;
}

void Router::MatchContact(Contact* contact) {
  if (contact->state != ContactState::kWaiting) return;
  Queue& queue = *queues_[contact->queue];
  CompactTrace trace;
  trace.queue = queue.index;
  trace.strategy = queue.config.strategy;
  if (contact->preferred) {
    Agent& preferred = *agents_[*contact->preferred];
    if (Serves(preferred, queue) && Acceptable(*contact, preferred) &&
        (contact->reserved || queue.config.preferred_agent_window > absl::ZeroDuration())) {
      trace.rule = Rule::kPreferredAgent;
      trace.Add({preferred.index, queue.index, contact->id, true, 0, 0, 0, 0});
      Unplace(contact);
      MakeOffer(contact, &preferred, trace);
      return;
    }
  }
  if (contact->reserved) return;  // waits for the preferred agent until the window ends
  // Only the best waiting contacts get an agent first: if a better one waits in this queue
  // for the same channel, the free agents (if any) were already unable to take it.
  auto& available = queue.available[static_cast<int>(contact->spec.channel)];
  int looked = 0;
  for (auto it = available.begin(); it != available.end() && looked < kScanAgents; ++it, ++looked) {
    Agent& agent = *agents_[it->agent];
    const bool ok = Acceptable(*contact, agent);
    trace.Add({agent.index, queue.index, contact->id, ok, 0, 0, it->primary, it->secondary});
    if (!ok) continue;
    trace.rule = Rule::kStrategy;
    Unplace(contact);
    MakeOffer(contact, &agent, trace);
    return;
  }
}

void Router::MatchAgent(Agent* agent) {
  if (agent->pending_offer || agent->state == AgentState::kLoggedOut ||
      agent->state == AgentState::kNotReady || agent->state == AgentState::kWrapUp) {
    return;
  }
  CompactTrace trace;
  Contact* best = nullptr;
  const absl::Time now = Now();
  // Contacts reserved for this agent come first: that is what the window is for.
  for (const WaitKey& key : agent->reserved) {
    Contact* contact = contacts_[key.contact].get();
    if (Serves(*agent, *queues_[contact->queue]) && Acceptable(*contact, *agent)) {
      best = contact;
      trace.rule = Rule::kPreferredAgent;
      break;
    }
  }
  if (best == nullptr) {
    // Fair across queues: the best contact of all the agent's queues by the one priority order.
    const WaitKey* best_value = nullptr;
    const int64_t now_us = Micros(now);
    const double ageing_now = policy_.ageing_per_minute * (static_cast<double>(now_us) / 60e6);
    for (uint32_t queue_index : agent->queues) {
      const Head& head = heads_[queue_index];
      if (!head.has) continue;
      const WaitKey* candidate = nullptr;
      if (head.plain && CanTake(*agent, head.channel)) {
        candidate = &head.key;  // the common case: no set node or contact touched
      } else {
        const Queue& queue = *queues_[queue_index];
        int looked = 0;
        for (auto it = queue.waiting.begin(); it != queue.waiting.end() && looked < kScanPerQueue;
             ++it, ++looked) {
          if (Acceptable(*it->pointer, *agent)) {
            candidate = &*it;  // the first acceptable one is this queue's best
            break;
          }
        }
      }
      if (candidate == nullptr) continue;
      // The priority from the order key (key = static - rate * enqueue minute).
      trace.Add({agent->index, queue_index, candidate->contact, true, candidate->key + ageing_now,
                 now_us - candidate->enqueue_us, 0, 0});
      if (best_value == nullptr || *candidate < *best_value) best_value = candidate;
    }
    if (best_value != nullptr) best = best_value->pointer;
    trace.rule = Rule::kBestAcrossQueues;
    trace.queues_compared = static_cast<uint32_t>(agent->queues.size());
  }
  if (best == nullptr) return;
  trace.queue = best->queue;
  trace.strategy = queues_[best->queue]->config.strategy;
  Unplace(best);
  MakeOffer(best, agent, trace);
}

void Router::MakeOffer(Contact* contact, Agent* agent, const CompactTrace& trace) {
  Queue& queue = *queues_[contact->queue];
  Offer* offer = NewOffer(next_offer_++);
  offer->state = OfferState::kPending;
  offer->accepted = Accepted{};
  offer->contact = contact->id;
  offer->agent = agent->index;
  offer->expires = Now() + queue.config.offer_timeout;
  offer->decided = Now();
  offer->trace = trace;
  contact->state = ContactState::kOffered;
  contact->reserved = false;  // from now on it is an ordinary contact if it comes back
  contact->offer = offer->id;
  contact->last_offer = offer->id;
  contact->agent = agent->index;
  agent->pending_offer = offer->id;
  ++queue.round_robin;
  if (queue.config.strategy == Strategy::kRoundRobin) {
    agent->last_offer_in_queue[queue.index] = queue.round_robin;
  }
  if (agent->active_calls + agent->active_tickets == 0) SetState(agent, AgentState::kReserved, "");
  Refresh(agent);
  AddTimer(offer->expires, kOfferTimeout, offer->id, 0);
  events_.push_back(OfferMade{offer->id, contact->id, agent->config.name, offer->expires});
}

Router::Offer* Router::FindOffer(uint64_t id) {
  return const_cast<Offer*>(static_cast<const Router*>(this)->FindOffer(id));
}

const Router::Offer* Router::FindOffer(uint64_t id) const {
  const std::size_t slot = id % kKeptOffers;
  if (slot < offer_slots_.size() && offer_slots_[slot] && offer_slots_[slot]->id == id) {
    return offer_slots_[slot].get();
  }
  auto it = long_pending_.find(id);
  return it == long_pending_.end() ? nullptr : it->second.get();
}

Router::Offer* Router::NewOffer(uint64_t id) {
  const std::size_t slot = id % kKeptOffers;
  if (slot >= offer_slots_.size()) offer_slots_.resize(slot + 1);  // ids are consecutive
  std::unique_ptr<Offer>& occupant = offer_slots_[slot];
  if (occupant && occupant->state == OfferState::kPending) {
    if (long_pending_.size() >= 1024) {
      // Ended ones are kept for idempotent answers, but not forever.
      absl::erase_if(long_pending_, [](const auto& entry) {
        return entry.second->state != OfferState::kPending;
      });
    }
    long_pending_[occupant->id] = std::move(occupant);
  }
  if (!occupant) occupant = std::make_unique<Offer>();
  occupant->id = id;
  return occupant.get();
}

void Router::EndOffer(Offer* offer, OfferState state, bool counts_as_miss, bool requeue) {
  offer->state = state;
  Agent* agent = agents_[offer->agent].get();
  Contact* contact = contacts_[offer->contact].get();
  agent->pending_offer.reset();
  events_.push_back(OfferEnded{offer->id, offer->contact, agent->config.name, state});
  if (counts_as_miss) {
    const absl::Time until = Now() + policy_.decline_backoff;
    auto& declines = contact->declined_by;
    declines.erase(std::remove_if(declines.begin(), declines.end(),
                                  [&](const Contact::Decline& d) { return d.agent == agent->index; }),
                   declines.end());
    declines.push_back({agent->index, until});
    AddTimer(until, kDeclineExpiry, contact->id, 0);
  }
  if (requeue) {
    // Back in its place: same enqueue time, same key. Overdue overflow happens now.
    Place(contact);
    if (queues_[contact->queue]->config.max_wait > absl::ZeroDuration() &&
        queues_[contact->queue]->overflow_to != UINT32_MAX &&
        Now() >= contact->enqueue_time + queues_[contact->queue]->config.max_wait) {
      Overflow(contact);
    }
  }
  if (counts_as_miss && ++agent->missed >= policy_.max_missed_offers) {
    agent->missed = 0;
    // An earlier request of the agent's own ("lunch") keeps its reason.
    if (!agent->requested_not_ready) agent->requested_not_ready = policy_.missed_offers_reason;
  }
  if (agent->state != AgentState::kLoggedOut) BecomeFree(agent);
  if (requeue && contact->state == ContactState::kWaiting) MatchContact(contact);
}

absl::StatusOr<Router::Offer*> Router::FindOfferTo(const std::string& agent_name,
                                                   uint64_t offer_id) {
  auto agent = FindAgent(agent_name);
  if (!agent.ok()) return agent.status();
  Offer* found = FindOffer(offer_id);
  if (found == nullptr) return absl::NotFoundError(absl::StrCat("offer: ", offer_id, " not found"));
  if (found->agent != (*agent)->index) {
    return absl::PermissionDeniedError(absl::StrCat("offer: ", offer_id, " was made to another agent"));
  }
  return found;
}

absl::StatusOr<Accepted> Router::Accept(const std::string& agent_name, uint64_t offer_id) {
  auto found = FindOfferTo(agent_name, offer_id);
  if (!found.ok()) return found.status();
  Offer& offer = **found;
  if (offer.state == OfferState::kAccepted) return offer.accepted;  // idempotent
  if (offer.state != OfferState::kPending) {
    return absl::FailedPreconditionError(
        absl::StrCat("offer: ", offer_id, " is ", OfferStateName(offer.state)));
  }
  Contact& contact = *contacts_[offer.contact];
  Agent& a = *agents_[offer.agent];
  offer.state = OfferState::kAccepted;
  a.pending_offer.reset();
  a.missed = 0;
  (IsVoice(contact.spec.channel) ? a.active_calls : a.active_tickets)++;
  contact.state = ContactState::kActive;
  contact.answer_time = Now();
  offer.accepted = Accepted{contact.id, Now() - contact.enqueue_time};
  ++contact.overflow_generation;  // no overflow once answered
  events_.push_back(ContactLeft{contact.id, /*answered=*/true});
  const Accepted accepted = offer.accepted;  // MatchAgent may reuse the offer's slot
  SetState(&a, AgentState::kBusy, "");
  Refresh(&a);
  MatchAgent(&a);  // may take another ticket
  return accepted;
}

absl::Status Router::Reject(const std::string& agent_name, uint64_t offer_id) {
  auto found = FindOfferTo(agent_name, offer_id);
  if (!found.ok()) return found.status();
  Offer& offer = **found;
  if (offer.state == OfferState::kRejected) return absl::OkStatus();  // idempotent
  if (offer.state != OfferState::kPending) {
    return absl::FailedPreconditionError(
        absl::StrCat("offer: ", offer_id, " is ", OfferStateName(offer.state)));
  }
  EndOffer(&offer, OfferState::kRejected, /*counts_as_miss=*/true, /*requeue=*/true);
  return absl::OkStatus();
}

absl::Status Router::EndContact(const std::string& agent_name, uint64_t contact_id) {
  auto agent = FindAgent(agent_name);
  if (!agent.ok()) return agent.status();
  auto it = contacts_.find(contact_id);
  if (it == contacts_.end()) {
    return absl::NotFoundError(absl::StrCat("contact: ", contact_id, " not found"));
  }
  Contact& contact = *it->second;
  Agent& a = **agent;
  if (contact.state != ContactState::kActive || contact.agent != a.index) {
    return absl::FailedPreconditionError(
        absl::StrCat("contact: ", contact_id, " is not connected to agent ", agent_name));
  }
  contact.state = ContactState::kEnded;
  const bool voice = IsVoice(contact.spec.channel);
  (voice ? a.active_calls : a.active_tickets)--;
  ++a.handled;
  a.talk_us += absl::ToInt64Microseconds(Now() - *contact.answer_time);
  const absl::Duration wrap_up = queues_[contact.queue]->config.wrap_up;
  Forget(it);
  if (a.active_calls + a.active_tickets == 0) a.idle_since = Now();
  if (voice && wrap_up > absl::ZeroDuration()) {
    SetState(&a, AgentState::kWrapUp, "");
    AddTimer(Now() + wrap_up, kWrapUpEnd, a.index, ++a.wrap_up_generation);
    Refresh(&a);
    return absl::OkStatus();
  }
  BecomeFree(&a);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> Router::TransferToQueue(const std::string& agent, uint64_t contact,
                                                 const std::string& queue) {
  return Transfer(agent, contact, queue, "");
}

absl::StatusOr<uint64_t> Router::TransferToAgent(const std::string& agent, uint64_t contact,
                                                 const std::string& to_agent) {
  return Transfer(agent, contact, "", to_agent);
}

absl::StatusOr<uint64_t> Router::Transfer(const std::string& agent_name, uint64_t contact_id,
                                          const std::string& queue_name,
                                          const std::string& to_agent) {
  auto agent = FindAgent(agent_name);
  if (!agent.ok()) return agent.status();
  auto it = contacts_.find(contact_id);
  if (it == contacts_.end()) {
    return absl::NotFoundError(absl::StrCat("contact: ", contact_id, " not found"));
  }
  const Contact& contact = *it->second;
  if (contact.state != ContactState::kActive || contact.agent != (*agent)->index) {
    return absl::FailedPreconditionError(
        absl::StrCat("contact: ", contact_id, " is not connected to agent ", agent_name));
  }
  // Everything is checked before anything changes.
  ContactSpec spec = contact.spec;
  spec.enqueue_time = contact.enqueue_time;
  spec.preferred_agent.clear();
  if (!to_agent.empty()) {
    auto target = FindAgent(to_agent);
    if (!target.ok()) {
      return absl::NotFoundError(absl::StrCat("to_agent: '", to_agent.substr(0, 100), "' not found"));
    }
    if (*target == *agent) {
      return absl::InvalidArgumentError("to_agent: cannot transfer to oneself");
    }
    if (!Serves(**target, *queues_[contact.queue])) {
      return absl::FailedPreconditionError(absl::StrCat(
          "to_agent: '", to_agent, "' does not serve queue '", queues_[contact.queue]->config.name,
          "'"));
    }
    if ((*target)->state == AgentState::kLoggedOut) {
      return absl::FailedPreconditionError(
          absl::StrCat("to_agent: '", to_agent, "' is LOGGED_OUT"));
    }
    if (!queues_[contact.queue]->serves[static_cast<int>(spec.channel)]) {
      return absl::FailedPreconditionError(absl::StrCat(
          "queue: '", queues_[contact.queue]->config.name, "' no longer takes ",
          ChannelName(spec.channel), "s"));
    }
    spec.queue = queues_[contact.queue]->config.name;
    spec.preferred_agent = to_agent;
  } else {
    auto target = queue_index_.find(queue_name);
    if (target == queue_index_.end()) {
      return absl::NotFoundError(absl::StrCat("queue: '", queue_name.substr(0, 100), "' not found"));
    }
    const Queue& queue = *queues_[target->second];
    if (!queue.serves[static_cast<int>(spec.channel)]) {
      return absl::InvalidArgumentError(absl::StrCat("queue: '", queue_name, "' does not take ",
                                                     ChannelName(spec.channel), "s"));
    }
    if (IsVoice(spec.channel) && queue.length() >= queue.config.max_length) {
      return absl::ResourceExhaustedError(absl::StrCat("queue: '", queue_name, "' is full"));
    }
    spec.queue = queue_name;
  }
  if (auto ended = EndContact(agent_name, contact_id); !ended.ok()) return ended;
  // Admitted without the length limit: checked above for a queue; a caller handed to a
  // colleague is not refused because others wait.
  return Admit(spec, next_contact_, AdmitMode::kTransfer);
}

absl::Status Router::CompleteWrapUp(const std::string& agent_name) {
  auto agent = FindAgent(agent_name);
  if (!agent.ok()) return agent.status();
  if ((*agent)->state != AgentState::kWrapUp) {
    return absl::FailedPreconditionError(absl::StrCat(
        "agent: '", agent_name, "' is ", AgentStateName((*agent)->state), ", not WRAP_UP"));
  }
  ++(*agent)->wrap_up_generation;
  BecomeFree(*agent);
  return absl::OkStatus();
}

absl::Status Router::Login(const std::string& agent_name) {
  auto agent = FindAgent(agent_name);
  if (!agent.ok()) return agent.status();
  Agent& a = **agent;
  if (a.state != AgentState::kLoggedOut) return absl::OkStatus();  // already in: harmless
  a.idle_since = Now();
  a.handled = 0;
  a.talk_us = 0;
  a.missed = 0;
  SetState(&a, AgentState::kNotReady, "login");
  Refresh(&a);
  return absl::OkStatus();
}

absl::Status Router::Logout(const std::string& agent_name) {
  auto agent = FindAgent(agent_name);
  if (!agent.ok()) return agent.status();
  Agent& a = **agent;
  if (a.active_calls > 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "agent: '", agent_name, "' has ", a.active_calls, " call(s) in progress; end them first"));
  }
  if (a.active_tickets > 0) {
    // Tickets are not hung up on: the agent stops working them (they stay theirs, for the
    // ticket desk) and can pick them up again after the next login.
    std::vector<uint64_t> tickets;
    for (const auto& [id, contact] : contacts_) {
      if (contact->state == ContactState::kActive && contact->agent == a.index) tickets.push_back(id);
    }
    a.requested_not_ready = "logout";  // freed room must not draw new offers meanwhile
    for (uint64_t id : tickets) (void)EndContact(agent_name, id);
  }
  // Out first, so that the withdrawn offer's contact cannot come straight back to them.
  const std::optional<uint64_t> pending = a.pending_offer;
  a.requested_not_ready.reset();
  ++a.wrap_up_generation;
  SetState(&a, AgentState::kLoggedOut, "");
  RemoveFromSets(&a);
  if (pending) {
    EndOffer(FindOffer(*pending), OfferState::kWithdrawn, /*counts_as_miss=*/false,
             /*requeue=*/true);
  }
  // Contacts waiting for this agent as preferred go to their queue at once.
  std::vector<uint64_t> reserved;
  for (const auto& key : a.reserved) reserved.push_back(key.contact);
  for (uint64_t id : reserved) {
    Contact* contact = contacts_[id].get();
    Unplace(contact);
    contact->reserved = false;
    Place(contact);
  }
  for (uint64_t id : reserved) MatchContact(contacts_[id].get());
  return absl::OkStatus();
}

absl::Status Router::SetReady(const std::string& agent_name) {
  auto agent = FindAgent(agent_name);
  if (!agent.ok()) return agent.status();
  Agent& a = **agent;
  switch (a.state) {
    case AgentState::kLoggedOut:
      return absl::FailedPreconditionError(
          absl::StrCat("agent: '", agent_name, "' is LOGGED_OUT; log in first"));
    case AgentState::kWrapUp:
      return absl::FailedPreconditionError(absl::StrCat(
          "agent: '", agent_name, "' is WRAP_UP; complete the wrap-up to become ready"));
    case AgentState::kNotReady:
      a.requested_not_ready.reset();
      BecomeFree(&a);
      return absl::OkStatus();
    default:
      // Busy or reserved: cancel a pending not-ready request.
      a.requested_not_ready.reset();
      Refresh(&a);
      MatchAgent(&a);
      return absl::OkStatus();
  }
}

absl::Status Router::SetNotReady(const std::string& agent_name, const std::string& reason) {
  auto agent = FindAgent(agent_name);
  if (!agent.ok()) return agent.status();
  if (reason.empty() || reason.size() > 100) {
    return absl::InvalidArgumentError("reason: required, at most 100 characters");
  }
  Agent& a = **agent;
  if (a.state == AgentState::kLoggedOut) {
    return absl::FailedPreconditionError(
        absl::StrCat("agent: '", agent_name, "' is LOGGED_OUT; log in first"));
  }
  if (a.state == AgentState::kReady || a.state == AgentState::kNotReady) {
    SetState(&a, AgentState::kNotReady, reason);
    Refresh(&a);
    return absl::OkStatus();
  }
  a.requested_not_ready = reason;  // after the current work
  Refresh(&a);
  return absl::OkStatus();
}

absl::Status Router::Abandon(uint64_t contact_id) { return Remove(contact_id, /*withdrawn=*/false); }

absl::Status Router::Withdraw(uint64_t contact_id) { return Remove(contact_id, /*withdrawn=*/true); }

absl::Status Router::CheckCanWork(const Agent& a, Channel channel, const std::string& name) const {
  switch (a.state) {
    case AgentState::kLoggedOut:
      return absl::FailedPreconditionError(absl::StrCat("agent: '", name, "' is LOGGED_OUT"));
    case AgentState::kWrapUp:
      return absl::FailedPreconditionError(
          absl::StrCat("agent: '", name, "' is WRAP_UP; complete the wrap-up first"));
    default:
      break;
  }
  if (a.pending_offer) {
    return absl::FailedPreconditionError(
        absl::StrCat("agent: '", name, "' has an offer ringing; answer it first"));
  }
  if (IsVoice(channel) ? a.active_calls + a.active_tickets > 0
                       : a.active_calls > 0 || a.active_tickets >= a.max_tickets) {
    return absl::FailedPreconditionError(absl::StrCat(
        "agent: '", name, "' has no capacity for a ", ChannelName(channel), " (", a.active_calls,
        " call(s), ", a.active_tickets, " of ", a.max_tickets, " tickets)"));
  }
  return absl::OkStatus();
}

void Router::ConnectWith(Contact* contact, Agent* a) {
  if (a->state == AgentState::kNotReady && !a->requested_not_ready) {
    a->requested_not_ready = a->reason;  // back to it when the work ends
  }
  (IsVoice(contact->spec.channel) ? a->active_calls : a->active_tickets)++;
  contact->state = ContactState::kActive;
  contact->agent = a->index;
  contact->offer.reset();
  contact->reserved = false;
  contact->answer_time = Now();
  ++contact->overflow_generation;  // no overflow once connected
  events_.push_back(ContactLeft{contact->id, /*answered=*/true});
  SetState(a, AgentState::kBusy, "");
  Refresh(a);
}

absl::StatusOr<Accepted> Router::Pick(const std::string& agent_name, uint64_t contact_id) {
  auto agent = FindAgent(agent_name);
  if (!agent.ok()) return agent.status();
  auto it = contacts_.find(contact_id);
  if (it == contacts_.end()) {
    return absl::NotFoundError(absl::StrCat("contact: ", contact_id, " not found"));
  }
  Contact* contact = it->second.get();
  if (contact->state != ContactState::kWaiting && contact->state != ContactState::kOffered) {
    return absl::FailedPreconditionError(
        absl::StrCat("contact: ", contact_id, " is not waiting (connected or ended)"));
  }
  Agent* a = *agent;
  if (auto s = CheckCanWork(*a, contact->spec.channel, agent_name); !s.ok()) return s;
  if (contact->state == ContactState::kOffered) {
    EndOffer(FindOffer(*contact->offer), OfferState::kWithdrawn, /*counts_as_miss=*/false,
             /*requeue=*/false);
  } else {
    Unplace(contact);
  }
  ConnectWith(contact, a);
  return Accepted{contact->id, Now() - contact->enqueue_time};
}

absl::StatusOr<uint64_t> Router::Connect(const std::string& agent_name, const ContactSpec& spec) {
  auto agent = FindAgent(agent_name);
  if (!agent.ok()) return agent.status();
  if (auto s = CheckCanWork(**agent, spec.channel, agent_name); !s.ok()) return s;
  ContactSpec direct = spec;
  direct.preferred_agent.clear();
  auto id = Admit(direct, next_contact_, AdmitMode::kConnect);
  if (!id.ok()) return id.status();
  ConnectWith(contacts_[*id].get(), *agent);
  return *id;
}

absl::Status Router::Move(uint64_t contact_id, const std::string& queue_name) {
  auto it = contacts_.find(contact_id);
  if (it == contacts_.end()) {
    return absl::NotFoundError(absl::StrCat("contact: ", contact_id, " not found"));
  }
  Contact* contact = it->second.get();
  if (contact->state != ContactState::kWaiting && contact->state != ContactState::kOffered) {
    return absl::FailedPreconditionError(absl::StrCat("contact: ", contact_id, " is not waiting"));
  }
  auto target = queue_index_.find(queue_name);
  if (target == queue_index_.end()) {
    return absl::NotFoundError(absl::StrCat("queue: '", queue_name.substr(0, 100), "' not found"));
  }
  Queue& to = *queues_[target->second];
  if (!to.serves[static_cast<int>(contact->spec.channel)]) {
    return absl::InvalidArgumentError(absl::StrCat("queue: '", queue_name, "' does not take ",
                                                   ChannelName(contact->spec.channel), "s"));
  }
  if (to.index == contact->queue) return absl::OkStatus();
  if (contact->state == ContactState::kOffered) {
    EndOffer(FindOffer(*contact->offer), OfferState::kWithdrawn, /*counts_as_miss=*/false,
             /*requeue=*/false);
  } else {
    Unplace(contact);
  }
  contact->queue = to.index;
  contact->spec.queue = queue_name;
  contact->reserved = false;
  contact->declined_by.clear();  // other agents, other reasons
  contact->key = OrderKey(*contact, to);
  ++contact->overflow_generation;
  if (to.config.max_wait > absl::ZeroDuration() && to.overflow_to != UINT32_MAX) {
    AddTimer(std::max(contact->enqueue_time + to.config.max_wait, Now() + absl::Microseconds(1)),
             kOverflowDue, contact->id, contact->overflow_generation);
  }
  events_.push_back(ContactChanged{contact->id});
  Place(contact);
  MatchContact(contact);
  return absl::OkStatus();
}

absl::Status Router::OfferTo(uint64_t contact_id, const std::string& agent_name) {
  auto agent = FindAgent(agent_name);
  if (!agent.ok()) return agent.status();
  auto it = contacts_.find(contact_id);
  if (it == contacts_.end()) {
    return absl::NotFoundError(absl::StrCat("contact: ", contact_id, " not found"));
  }
  Contact* contact = it->second.get();
  Agent* a = *agent;
  if (contact->state != ContactState::kWaiting) {
    return absl::FailedPreconditionError(absl::StrCat(
        "contact: ", contact_id, " is not waiting", contact->state == ContactState::kOffered ? " (an offer is ringing)" : ""));
  }
  const Queue& queue = *queues_[contact->queue];
  if (!Serves(*a, queue)) {
    return absl::FailedPreconditionError(
        absl::StrCat("agent: '", agent_name, "' lacks the skills of queue '", queue.config.name, "'"));
  }
  if (!contact->extra_skills.empty() && !HasSkills(*a, contact->extra_skills)) {
    return absl::FailedPreconditionError(absl::StrCat("agent: '", agent_name, "' lacks the contact's extra skills"));
  }
  if (!CanTake(*a, contact->spec.channel)) {
    return absl::FailedPreconditionError(absl::StrCat("agent: '", agent_name, "' is ", AgentStateName(a->state),
                                                      " and cannot take a ", ChannelName(contact->spec.channel),
                                                      " now"));
  }
  CompactTrace trace;
  trace.rule = Rule::kSupervisor;
  trace.queue = queue.index;
  trace.strategy = queue.config.strategy;
  trace.Add({a->index, queue.index, contact->id, true, 0, 0, 0, 0});
  Unplace(contact);
  MakeOffer(contact, a, trace);
  return absl::OkStatus();
}

bool Router::Servable(uint64_t contact_id, const std::string& queue_name) const {
  auto it = contacts_.find(contact_id);
  auto queue = queue_index_.find(queue_name);
  if (it == contacts_.end() || queue == queue_index_.end()) return false;
  const Contact& contact = *it->second;
  const Queue& target = *queues_[queue->second];
  if (!target.serves[static_cast<int>(contact.spec.channel)]) return false;
  for (const auto& agent : agents_) {
    if (Serves(*agent, target) && (contact.extra_skills.empty() || HasSkills(*agent, contact.extra_skills))) {
      return true;
    }
  }
  return false;
}

absl::Status Router::Reprioritize(uint64_t contact_id, int priority_adjust) {
  if (priority_adjust < -100 || priority_adjust > 100) {
    return absl::InvalidArgumentError("priority_adjust: must be -100 to 100");
  }
  auto it = contacts_.find(contact_id);
  if (it == contacts_.end()) {
    return absl::NotFoundError(absl::StrCat("contact: ", contact_id, " not found"));
  }
  Contact* contact = it->second.get();
  if (contact->spec.priority_adjust == priority_adjust) return absl::OkStatus();
  if (contact->state != ContactState::kWaiting) {
    contact->spec.priority_adjust = priority_adjust;  // offered: its place if it comes back
    if (contact->state == ContactState::kOffered) {
      contact->key = OrderKey(*contact, *queues_[contact->queue]);
      events_.push_back(ContactChanged{contact->id});
    }
    return absl::OkStatus();
  }
  Unplace(contact);
  contact->spec.priority_adjust = priority_adjust;
  contact->key = OrderKey(*contact, *queues_[contact->queue]);
  events_.push_back(ContactChanged{contact->id});
  Place(contact);
  MatchContact(contact);
  return absl::OkStatus();
}

absl::Status Router::Remove(uint64_t contact_id, bool withdrawn) {
  auto it = contacts_.find(contact_id);
  if (it == contacts_.end()) {
    return absl::NotFoundError(absl::StrCat("contact: ", contact_id, " not found"));
  }
  Contact& contact = *it->second;
  if (contact.state == ContactState::kActive) {
    return absl::FailedPreconditionError(
        absl::StrCat("contact: ", contact_id, " is connected; end it instead"));
  }
  if (contact.state == ContactState::kOffered) {
    Offer* offer = FindOffer(*contact.offer);
    EndOffer(offer, OfferState::kWithdrawn, /*counts_as_miss=*/false, /*requeue=*/false);
  } else {
    Unplace(&contact);
  }
  events_.push_back(ContactLeft{contact_id, /*answered=*/false, withdrawn});
  Forget(contacts_.find(contact_id));
  return absl::OkStatus();
}

void Router::Forget(ContactMap::iterator it) {
  if (spare_contacts_.size() < kSpareContacts) spare_contacts_.push_back(std::move(it->second));
  contacts_.erase(it);
}

void Router::Overflow(Contact* contact) {
  Queue& from = *queues_[contact->queue];
  if (from.overflow_to == UINT32_MAX) return;
  Queue& to = *queues_[from.overflow_to];
  Unplace(contact);
  contact->queue = to.index;
  contact->reserved = false;
  contact->key = OrderKey(*contact, to);
  ++contact->overflow_generation;
  if (to.config.max_wait > absl::ZeroDuration() && to.overflow_to != UINT32_MAX) {
    // Never in the past: a contact that already waited longer moves on at the next tick.
    AddTimer(std::max(contact->enqueue_time + to.config.max_wait, Now() + absl::Microseconds(1)),
             kOverflowDue, contact->id, contact->overflow_generation);
  }
  events_.push_back(ContactOverflowed{contact->id, from.config.name, to.config.name});
  Place(contact);
}

void Router::AddTimer(absl::Time at, int kind, uint64_t id, uint64_t generation) {
  timers_.push(Timer{Micros(at), next_timer_seq_++, kind, id, generation});
}

std::optional<absl::Time> Router::NextDeadline() const {
  if (timers_.empty()) return std::nullopt;
  return absl::FromUnixMicros(timers_.top().at_us);
}

void Router::RunDueTimers() {
  const int64_t now = Micros(Now());
  while (!timers_.empty() && timers_.top().at_us <= now) {
    const Timer timer = timers_.top();
    timers_.pop();
    switch (timer.kind) {
      case kOfferTimeout: {
        Offer* offer = FindOffer(timer.id);
        if (offer != nullptr && offer->state == OfferState::kPending) {
          EndOffer(offer, OfferState::kTimedOut, /*counts_as_miss=*/true, /*requeue=*/true);
        }
        break;
      }
      case kWrapUpEnd: {
        Agent& agent = *agents_[timer.id];
        if (agent.state == AgentState::kWrapUp && agent.wrap_up_generation == timer.generation) {
          BecomeFree(&agent);
        }
        break;
      }
      case kOverflowDue: {
        auto it = contacts_.find(timer.id);
        if (it != contacts_.end() && it->second->state == ContactState::kWaiting &&
            it->second->overflow_generation == timer.generation) {
          Contact* contact = it->second.get();
          const Queue& queue = *queues_[contact->queue];
          // The queue's configuration may have changed since the timer was set.
          if (queue.config.max_wait == absl::ZeroDuration() || queue.overflow_to == UINT32_MAX) break;
          const absl::Time due = contact->enqueue_time + queue.config.max_wait;
          if (Micros(due) > now) {
            AddTimer(due, kOverflowDue, contact->id, contact->overflow_generation);
            break;
          }
          Overflow(contact);
          MatchContact(contact);
        }
        break;
      }
      case kDeclineExpiry: {
        auto it = contacts_.find(timer.id);
        if (it != contacts_.end() && it->second->state == ContactState::kWaiting) {
          MatchContact(it->second.get());
        }
        break;
      }
      case kPreferredExpiry: {
        auto it = contacts_.find(timer.id);
        if (it != contacts_.end() && it->second->reserved) {
          Contact* contact = it->second.get();
          if (contact->state == ContactState::kWaiting) Unplace(contact);
          contact->reserved = false;
          if (contact->state == ContactState::kWaiting) {
            Place(contact);
            MatchContact(contact);
          }
        }
        break;
      }
    }
  }
}

std::vector<RoutingEvent> Router::TakeEvents() {
  std::vector<RoutingEvent> events;
  events.swap(events_);
  return events;
}

void Router::TakeEvents(std::vector<RoutingEvent>* events) {
  events->clear();
  events->swap(events_);
}

absl::StatusOr<AgentView> Router::GetAgent(const std::string& name) const {
  auto agent = FindAgent(name);
  if (!agent.ok()) return agent.status();
  const Agent& a = **agent;
  AgentView view{a.config.name, a.state,          a.reason,        a.state_since,
                 a.active_calls, a.active_tickets, a.missed,       a.handled,
                 a.pending_offer, {},           a.requested_not_ready.value_or("")};
  for (uint32_t queue : a.queues) view.queues.push_back(queues_[queue]->config.name);
  return view;
}

absl::StatusOr<ContactView> Router::GetContact(uint64_t id) const {
  auto it = contacts_.find(id);
  if (it == contacts_.end()) return absl::NotFoundError(absl::StrCat("contact: ", id, " not found"));
  const Contact& c = *it->second;
  return ContactView{c.id,
                     c.state,
                     queues_[c.queue]->config.name,
                     c.spec.channel,
                     c.enqueue_time,
                     c.answer_time,
                     c.agent ? agents_[*c.agent]->config.name : "",
                     PriorityOf(c, Now()),
                     c.spec.reference,
                     c.last_offer};
}

absl::StatusOr<std::vector<uint64_t>> Router::Waiting(const std::string& queue) const {
  auto it = queue_index_.find(queue);
  if (it == queue_index_.end()) return absl::NotFoundError(absl::StrCat("queue: '", queue, "' not found"));
  const Queue& listed = *queues_[it->second];
  std::vector<WaitKey> keys(listed.waiting.begin(), listed.waiting.end());
  if (listed.held_for_preferred > 0) {
    // Held for their preferred agent, they wait all the same: a supervisor sees them.
    for (const auto& agent : agents_) {
      for (const WaitKey& key : agent->reserved) {
        if (key.pointer->queue == listed.index) keys.push_back(key);
      }
    }
    std::sort(keys.begin(), keys.end());
  }
  std::vector<uint64_t> ids;
  ids.reserve(keys.size());
  for (const auto& key : keys) ids.push_back(key.contact);
  return ids;
}

absl::StatusOr<DecisionTrace> Router::Trace(uint64_t offer) const {
  const Offer* found = FindOffer(offer);
  if (found == nullptr) return absl::NotFoundError(absl::StrCat("offer: ", offer, " not found"));
  const Offer& made = *found;
  const CompactTrace& compact = made.trace;
  DecisionTrace trace;
  trace.offer = made.id;
  trace.contact = made.contact;
  trace.agent = agents_[made.agent]->config.name;
  trace.queue = queues_[compact.queue]->config.name;
  trace.time = made.decided;
  switch (compact.rule) {
    case Rule::kPreferredAgent:
      trace.rule = "preferred agent";
      break;
    case Rule::kStrategy:
      trace.rule = StrategyName(compact.strategy);
      break;
    case Rule::kBestAcrossQueues:
      trace.rule = absl::StrCat("best contact across ", compact.queues_compared, " queue",
                                compact.queues_compared == 1 ? "" : "s", " (priority, then wait)");
      break;
    case Rule::kSupervisor:
      trace.rule = "offered by a supervisor";
      break;
  }
  for (int i = 0; i < compact.count; ++i) {
    const CompactCandidate& c = compact.candidates[i];
    TraceCandidate candidate;
    candidate.agent = agents_[c.agent]->config.name;
    candidate.queue = queues_[c.queue]->config.name;
    candidate.contact = c.contact;
    candidate.acceptable = c.acceptable;
    candidate.priority = c.priority;
    candidate.waited = absl::Microseconds(c.waited_us);
    candidate.key_primary = c.key_primary;
    candidate.key_secondary = c.key_secondary;
    trace.candidates.push_back(std::move(candidate));
  }
  return trace;
}

absl::StatusOr<OfferMade> Router::PendingOffer(uint64_t offer) const {
  const Offer* found = FindOffer(offer);
  if (found == nullptr || found->state != OfferState::kPending) {
    return absl::NotFoundError(absl::StrCat("offer: ", offer, " is not pending"));
  }
  return OfferMade{found->id, found->contact, agents_[found->agent]->config.name, found->expires};
}

}  // namespace servicedesk::routing
