#pragma once

// The vocabulary of the routing core: queues, agents, contacts and the priority
// function. Plain structs; the Router owns the state. No gRPC or RocksDB here.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace servicedesk::routing {

enum class Channel : uint8_t { kCall = 0, kTicket = 1, kCallback = 2, kOutbound = 3 };
inline constexpr int kChannelCount = 4;
const char* ChannelName(Channel channel);

enum class AgentState : uint8_t { kLoggedOut, kReady, kNotReady, kReserved, kBusy, kWrapUp };
const char* AgentStateName(AgentState state);

// How a queue picks among the agents who can take its contact (REFERENCE.md).
enum class Strategy : uint8_t {
  kLongestIdle,     // the agent idle longest since the end of their last contact (default)
  kMostSkilled,     // highest summed proficiency in the queue's skills, then longest idle
  kFewestContacts,  // fewest contacts handled since login, then longest idle
  kLeastTalkTime,   // least handling time since login, then longest idle
  kRoundRobin,      // the agent this queue offered to least recently
  kRandom,          // uniformly among those who can take it
};
const char* StrategyName(Strategy strategy);

// Customer tiers as routing sees them (DOMAIN.md section 4); kUnknown for callers without a file.
enum class Tier : uint8_t { kUnknown = 0, kKeyImportant = 1, kKeySecondary = 2, kOrdinary = 3, kSmall = 4 };

struct SkillRequirement {
  std::string skill;
  int min_proficiency = 1;  // 1 to 10
};

struct QueueConfig {
  std::string name;  // e.g. "billing"
  std::vector<Channel> channels = {Channel::kCall};
  std::vector<SkillRequirement> skills;
  int base_priority = 0;
  // Service-level target: `sl_goal` of contacts answered within `sl_threshold`.
  absl::Duration sl_threshold = absl::Seconds(20);
  double sl_goal = 0.8;
  absl::Duration wrap_up = absl::Seconds(30);
  absl::Duration offer_timeout = absl::Seconds(15);
  // After max_wait (0: never) the contact overflows: to `overflow_queue`, or, when that is
  // empty and `widened_skills` is set, to the same queue with only those skills required.
  absl::Duration max_wait = absl::ZeroDuration();
  std::string overflow_queue;
  std::optional<std::vector<SkillRequirement>> widened_skills;
  int max_length = 1000;
  Strategy strategy = Strategy::kLongestIdle;
  // The preferred agent (last served the customer, or the key customer's owner) gets the
  // contact if they become ready within this window after it arrives.
  absl::Duration preferred_agent_window = absl::Seconds(30);
};

struct AgentConfig {
  std::string name;  // e.g. "a-102"
  std::string team;
  std::map<std::string, int> skills;  // skill -> proficiency 1 to 10
  // Tickets (and other deferrable work) an agent may hold at once; a call takes the whole agent.
  int max_tickets = 3;
};

// The one priority function (ARCHITECTURE: "one documented, configurable function"):
//
//   priority(contact, t) = queue.base_priority + tier_boost[tier] + complaint_boost (if the
//                          customer has an open complaint) + contact.priority_adjust
//                          + ageing_per_minute * minutes waited at t
//
// The ageing rate is the same for every contact, so the order of two waiting contacts never
// changes with time and the order key is  static part - ageing_per_minute * enqueue minute.
// Ties go to the earliest enqueue time, then to the contact that arrived first.
struct PriorityPolicy {
  // Indexed by Tier: unknown, key-important, key-secondary, ordinary, small.
  double tier_boost[5] = {0, 30, 20, 5, 0};
  double complaint_boost = 15;
  double ageing_per_minute = 1;
  // After K consecutive missed (rejected or timed-out) offers an agent is set not ready.
  int max_missed_offers = 3;
  // An agent who rejected or let an offer time out is not offered that contact again for
  // this long (REFERENCE.md: reject and no-answer back-off); then they may be, so that a
  // contact with a single qualified agent is never stranded.
  absl::Duration decline_backoff = absl::Seconds(30);
  std::string missed_offers_reason = "missed offers";
};

struct ContactSpec {
  Channel channel = Channel::kCall;
  std::string queue;
  std::string customer;  // "customers/123", optional
  Tier tier = Tier::kUnknown;
  bool open_complaint = false;
  int priority_adjust = 0;
  std::vector<SkillRequirement> extra_skills;  // beyond the queue's
  std::string preferred_agent;                 // optional
  // Kept across overflow and re-queue; defaults to now.
  std::optional<absl::Time> enqueue_time;
  // What the contact is about, for its owner (a ticket's name, "tickets/42"); kept across
  // overflow, transfer and restart, not used by routing.
  std::string reference;
};

}  // namespace servicedesk::routing
