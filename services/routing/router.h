#pragma once

// The ACD: matches waiting contacts (calls, tickets, callbacks, outbound tasks) with
// agents, in memory, deterministically, event-driven (no polling): a decision is taken
// when a contact arrives, an agent becomes able to take work, or a timer fires.
//
// Invariant between commands: no waiting contact could be offered to an available agent
// (except a contact reserved for its preferred agent during the preferred window).
//
// Threading: not thread-safe; the desk loop owns it. Time comes from the injected Clock;
// the owner calls RunDueTimers() at NextDeadline().

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "services/common/clock.h"
#include "services/routing/routing_types.h"

namespace servicedesk::routing {

enum class OfferState : uint8_t { kPending, kAccepted, kRejected, kTimedOut, kWithdrawn };
const char* OfferStateName(OfferState state);

enum class ContactState : uint8_t { kWaiting, kOffered, kActive, kEnded, kAbandoned };

// What happened, for the session streams, persistence and statistics.
struct OfferMade {
  uint64_t offer = 0;
  uint64_t contact = 0;
  std::string agent;
  absl::Time expires;
};
struct OfferEnded {  // rejected, timed out or withdrawn (not accepted)
  uint64_t offer = 0;
  uint64_t contact = 0;
  std::string agent;
  OfferState state = OfferState::kPending;
};
struct AgentStateChanged {
  std::string agent;
  AgentState state = AgentState::kLoggedOut;
  std::string reason;
};
struct ContactOverflowed {
  uint64_t contact = 0;
  std::string from_queue;
  std::string to_queue;
};
// A new contact waits (Enqueue, or the new contact of a transfer). Restore emits none.
struct ContactQueued {
  uint64_t contact = 0;
};
// A contact stopped waiting for good: answered (an offer accepted, or picked by an agent),
// abandoned (the customer left), or withdrawn (its owner took it out: a ticket solved or
// assigned by hand), which counts as neither answered nor abandoned.
struct ContactLeft {
  uint64_t contact = 0;
  bool answered = false;
  bool withdrawn = false;
};
// A waiting contact moved to another queue or changed priority (Move, Reprioritize): its
// stored row is rewritten.
struct ContactChanged {
  uint64_t contact = 0;
};
using RoutingEvent = std::variant<OfferMade, OfferEnded, AgentStateChanged, ContactOverflowed,
                                  ContactQueued, ContactLeft, ContactChanged>;

// One candidate the rule compared. Numbers only: a trace is recorded for every offer, so it
// is kept cheap and described in words when someone asks for it (Describe).
struct TraceCandidate {
  std::string agent;
  std::string queue;
  uint64_t contact = 0;
  bool acceptable = true;    // false: skipped (declined before, lacks a skill, no capacity)
  double priority = 0;       // contact candidates: the priority at decision time
  absl::Duration waited;     // contact candidates: how long it had waited
  int64_t key_primary = 0;   // agent candidates: the strategy's sort key
  int64_t key_secondary = 0;
  std::string Describe() const;
};
// Why an offer went to whom.
struct DecisionTrace {
  uint64_t offer;
  uint64_t contact;
  std::string agent;
  std::string queue;
  std::string rule;  // "preferred agent", "longest idle", "best contact across 3 queues", ...
  std::vector<TraceCandidate> candidates;
  absl::Time time;
};

struct AgentView {
  std::string name;
  AgentState state;
  std::string reason;
  absl::Time state_since;
  int active_calls;
  int active_tickets;
  int consecutive_missed;
  int64_t handled;
  std::optional<uint64_t> pending_offer;
  std::vector<std::string> queues;
  std::string requested_reason;  // NOT_READY asked for while working, taken when it ends
};

struct ContactView {
  uint64_t id;
  ContactState state;
  std::string queue;
  Channel channel;
  absl::Time enqueue_time;
  std::optional<absl::Time> answer_time;
  std::string agent;  // offered to or connected with
  double priority;    // at the time of the call
  std::string reference;  // ContactSpec::reference
  std::optional<uint64_t> last_offer;  // the latest offer of it, for its trace
};

struct Accepted {
  uint64_t contact;
  absl::Duration waited;
};

class Router {
 public:
  explicit Router(const Clock* clock, PriorityPolicy policy = {}, uint64_t random_seed = 1);
  ~Router();

  // Configuration. INVALID_ARGUMENT naming the field for absurd values.
  absl::Status UpsertQueue(const QueueConfig& config);
  absl::Status UpsertAgent(const AgentConfig& config);

  // Agent session. NOT_FOUND for an unknown agent; FAILED_PRECONDITION naming the state for a
  // change the agent may not make from it.
  absl::Status Login(const std::string& agent);
  // FAILED_PRECONDITION while on a call; the tickets being worked are ended (not refused).
  absl::Status Logout(const std::string& agent);
  absl::Status SetReady(const std::string& agent);
  // Immediate when the agent is idle; otherwise taken when the current work ends.
  absl::Status SetNotReady(const std::string& agent, const std::string& reason);

  // A second accept of the same offer by the same agent returns the same answer.
  absl::StatusOr<Accepted> Accept(const std::string& agent, uint64_t offer);
  absl::Status Reject(const std::string& agent, uint64_t offer);
  absl::Status EndContact(const std::string& agent, uint64_t contact);
  absl::Status CompleteWrapUp(const std::string& agent);
  // Hands a connected contact on: to a queue, or to an agent (who gets it if free, else as
  // its preferred agent within the queue's window). The contact keeps its customer, tier and
  // enqueue time (a transferred caller does not go to the back); the transferring agent's
  // part ends as with EndContact. Returns the new contact's id. Nothing changes on error.
  absl::StatusOr<uint64_t> TransferToQueue(const std::string& agent, uint64_t contact,
                                           const std::string& queue);
  absl::StatusOr<uint64_t> TransferToAgent(const std::string& agent, uint64_t contact,
                                           const std::string& to_agent);

  // RESOURCE_EXHAUSTED when the queue is at its maximum length.
  absl::StatusOr<uint64_t> Enqueue(const ContactSpec& spec);
  // The contact left while waiting or being offered (the caller hung up).
  absl::Status Abandon(uint64_t contact);
  // The same, but the contact's owner took it out (not counted as abandoned).
  absl::Status Withdraw(uint64_t contact);

  // Deferrable work an agent chooses instead of being offered (a ticket picked from a list):
  // Pick connects a waiting (or offered: the offer is withdrawn) contact with the agent;
  // Connect admits a new contact already connected with the agent. Both need the agent
  // logged in, out of wrap-up, with no offer ringing, and with capacity for the channel
  // (FAILED_PRECONDITION naming what is missing). An agent NOT_READY may pick: they are
  // busy with it and NOT_READY again (same reason) when it ends, and get no offers meanwhile.
  absl::StatusOr<Accepted> Pick(const std::string& agent, uint64_t contact);
  absl::StatusOr<uint64_t> Connect(const std::string& agent, const ContactSpec& spec);
  // A waiting or offered contact to another queue, keeping its enqueue time (a pending offer
  // is withdrawn). INVALID_ARGUMENT when the queue does not take its channel.
  absl::Status Move(uint64_t contact, const std::string& queue);
  // A supervisor's choice: the waiting contact is offered to that agent now. FAILED_PRECONDITION
  // naming the reason when the agent cannot take it (skills, state, capacity).
  absl::Status OfferTo(uint64_t contact, const std::string& agent);
  // Whether some defined agent could serve the contact in `queue` (its skills and the
  // contact's extra skills) and the queue takes its channel: a supervisor's move is refused
  // otherwise.
  bool Servable(uint64_t contact, const std::string& queue) const;
  // A new priority_adjust (-100 to 100): a waiting contact takes its new place at once; a
  // connected one keeps it for a transfer.
  absl::Status Reprioritize(uint64_t contact, int priority_adjust);

  // Persistence. What must be stored to bring a waiting (or offered) contact back after a
  // restart: its spec with the queue it waits in now and its enqueue time. NOT_FOUND for a
  // contact that is connected or gone.
  absl::StatusOr<ContactSpec> WaitingRecord(uint64_t contact) const;
  // Puts a stored contact back under its old id, in the place its enqueue time and
  // priority give it, without the queue's length limit (it was admitted once) and without
  // a preferred-agent reservation (every agent is logged out after a restart). Overflow
  // that fell due while the desk was down happens at the next RunDueTimers.
  absl::Status Restore(uint64_t contact, const ContactSpec& spec);
  // Contact ids are never reused: the owner stores this and hands it back after a restart.
  uint64_t next_contact_id() const { return next_contact_; }
  void ReserveContactIds(uint64_t next) { next_contact_ = std::max(next_contact_, next); }

  // Fires the timers due at the clock's now: offer timeouts, wrap-up ends, overflows,
  // preferred-agent windows.
  void RunDueTimers();
  std::optional<absl::Time> NextDeadline() const;

  std::vector<RoutingEvent> TakeEvents();
  // The same into `events` (cleared first), whose storage the router keeps for the next
  // ones: a caller that passes the same vector each time makes event recording allocation-free.
  void TakeEvents(std::vector<RoutingEvent>* events);

  absl::StatusOr<AgentView> GetAgent(const std::string& agent) const;
  absl::StatusOr<ContactView> GetContact(uint64_t contact) const;
  // Waiting contacts of a queue, best first (those held for their preferred agent included).
  absl::StatusOr<std::vector<uint64_t>> Waiting(const std::string& queue) const;
  absl::StatusOr<DecisionTrace> Trace(uint64_t offer) const;
  // A pending offer as it was made (to re-send it to an agent who reconnected).
  absl::StatusOr<OfferMade> PendingOffer(uint64_t offer) const;
  // The current priority of a waiting contact (the documented function at now).
  double PriorityAt(uint64_t contact, absl::Time at) const;

  const PriorityPolicy& policy() const { return policy_; }

 private:
  struct Queue;
  struct Agent;
  struct Contact;
  struct Offer;
  // Traces are recorded for every offer, so they are kept as numbers in a fixed array (no
  // allocation in the decision) and turned into names and words only when asked for.
  static constexpr int kTraceCandidates = 8;
  enum class Rule : uint8_t { kPreferredAgent, kStrategy, kBestAcrossQueues, kSupervisor };
  struct CompactCandidate {
    uint32_t agent = 0;
    uint32_t queue = 0;
    uint64_t contact = 0;
    bool acceptable = true;
    double priority = 0;
    int64_t waited_us = 0;
    int64_t key_primary = 0;
    int64_t key_secondary = 0;
  };
  struct CompactTrace {
    Rule rule = Rule::kStrategy;
    Strategy strategy = Strategy::kLongestIdle;
    uint32_t queue = 0;
    uint32_t queues_compared = 0;
    uint8_t count = 0;
    std::array<CompactCandidate, kTraceCandidates> candidates;
    bool full() const { return count == kTraceCandidates; }
    void Add(const CompactCandidate& candidate) {
      if (!full()) candidates[count++] = candidate;
    }
  };
  struct Timer {
    int64_t at_us;
    uint64_t seq;
    int kind;
    uint64_t id;
    uint64_t generation;
    bool operator>(const Timer& other) const {
      return at_us != other.at_us ? at_us > other.at_us : seq > other.seq;
    }
  };
  struct WaitKey {
    double key;  // higher first
    int64_t enqueue_us;
    uint64_t contact;
    // Not part of the order: saves the decision a hash lookup (and a cache miss) per queue.
    Contact* pointer = nullptr;
    bool operator<(const WaitKey& other) const;
  };
  struct AgentKey {
    int64_t primary;
    int64_t secondary;
    uint32_t agent;
    bool operator<(const AgentKey& other) const;
  };

  // The best waiting contact of each queue, kept contiguous (by queue index) so that an
  // agent's scan across their queues reads one small array instead of a set node and a
  // contact per queue. `plain`: no extra skills and no declines, so any agent who can take
  // its channel can take it; otherwise the scan looks at the queue itself.
  struct Head {
    WaitKey key;
    bool has = false;
    bool plain = false;
    Channel channel = Channel::kCall;
  };
  void UpdateHead(uint32_t queue);

  absl::StatusOr<Agent*> FindAgent(const std::string& name);
  absl::StatusOr<const Agent*> FindAgent(const std::string& name) const;
  bool Serves(const Agent& agent, const Queue& queue) const;
  bool HasSkills(const Agent& agent, const std::vector<std::pair<uint32_t, int>>& skills) const;
  bool CanTake(const Agent& agent, Channel channel) const;
  AgentKey KeyFor(const Agent& agent, const Queue& queue) const;
  void Refresh(Agent* agent);
  void RemoveFromSets(Agent* agent);
  void SetState(Agent* agent, AgentState state, std::string reason);
  void BecomeFree(Agent* agent);  // after work or wrap-up: READY, or NOT_READY if asked
  bool Acceptable(const Contact& contact, const Agent& agent) const;

  void Place(Contact* contact);    // into its queue (or its preferred agent's reservations)
  void Unplace(Contact* contact);  // out of wherever it waits
  void MatchContact(Contact* contact);
  void MatchAgent(Agent* agent);
  void MakeOffer(Contact* contact, Agent* agent, const CompactTrace& trace);
  // `requeue`: the contact goes back to its place (reject, timeout, the agent left); not
  // when the contact itself is gone (abandoned).
  void EndOffer(Offer* offer, OfferState state, bool counts_as_miss, bool requeue);
  void Overflow(Contact* contact);
  // Offers live in slots by id (id modulo kKeptOffers): the slot of an ended offer is
  // reused, allocation and all, by the offer made kKeptOffers later, so ended offers (for
  // idempotent answers and traces) are remembered without a cost per decision. An offer
  // still pending when its slot is needed again moves to `long_pending_`.
  Offer* FindOffer(uint64_t id);
  const Offer* FindOffer(uint64_t id) const;
  Offer* NewOffer(uint64_t id);
  // The checks shared by Enqueue, Restore and transfers, then admission under `id`.
  // kRestore and kTransfer skip the queue's length limit; kRestore also the preferred-agent
  // reservation and the ContactQueued event.
  // kConnect: admitted already connected with an agent (Connect), never placed.
  enum class AdmitMode { kNew, kRestore, kTransfer, kConnect };
  absl::Status CheckCanWork(const Agent& agent, Channel channel, const std::string& name) const;
  void ConnectWith(Contact* contact, Agent* agent);
  absl::Status Remove(uint64_t contact, bool withdrawn);
  absl::StatusOr<uint64_t> Admit(const ContactSpec& spec, uint64_t id, AdmitMode mode);
  absl::StatusOr<uint64_t> Transfer(const std::string& agent, uint64_t contact,
                                    const std::string& queue, const std::string& to_agent);
  void AddTimer(absl::Time at, int kind, uint64_t id, uint64_t generation);
  uint32_t SkillIndex(const std::string& skill);
  absl::Status CheckSkills(const std::vector<SkillRequirement>& skills, const std::string& field);
  double StaticPriority(const Contact& contact, const Queue& queue) const;
  double OrderKey(const Contact& contact, const Queue& queue) const;
  double PriorityOf(const Contact& contact, absl::Time at) const;
  // The offer, checked to be one made to `agent`: NOT_FOUND or PERMISSION_DENIED otherwise.
  absl::StatusOr<Offer*> FindOfferTo(const std::string& agent, uint64_t offer);
  absl::Time Now() const { return clock_->Now(); }

  const Clock* clock_;
  PriorityPolicy policy_;
  std::mt19937_64 random_;
  absl::flat_hash_map<std::string, uint32_t> skill_index_;
  std::vector<std::unique_ptr<Queue>> queues_;
  absl::flat_hash_map<std::string, uint32_t> queue_index_;
  std::vector<Head> heads_;  // by queue index
  std::vector<std::unique_ptr<Agent>> agents_;
  absl::flat_hash_map<std::string, uint32_t> agent_index_;
  using ContactMap = absl::flat_hash_map<uint64_t, std::unique_ptr<Contact>>;
  ContactMap contacts_;
  // Finished contacts' allocations, reused by the next ones (no allocation per contact).
  static constexpr std::size_t kSpareContacts = 1024;
  std::vector<std::unique_ptr<Contact>> spare_contacts_;
  void Forget(ContactMap::iterator it);
  std::vector<std::unique_ptr<Offer>> offer_slots_;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Offer>> long_pending_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  std::vector<RoutingEvent> events_;
  uint64_t next_contact_ = 1;
  uint64_t next_offer_ = 1;
  uint64_t next_timer_seq_ = 0;
};

}  // namespace servicedesk::routing
