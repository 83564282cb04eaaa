#include "services/server/routing_proto.h"

#include <google/protobuf/util/time_util.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace servicedesk::server {

namespace {

using google::protobuf::util::TimeUtil;

constexpr std::size_t kMaxIdLength = 64;

bool IdCharacter(char c) {
  return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-' || c == '_' || c == '.';
}

absl::StatusOr<uint64_t> ParseNumbered(absl::string_view name, absl::string_view collection,
                                       absl::string_view field) {
  uint64_t id = 0;
  const std::string prefix = absl::StrCat(collection, "/");
  if (!absl::StartsWith(name, prefix) || !absl::SimpleAtoi(name.substr(prefix.size()), &id) ||
      id == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": expected ", collection, "/{number}, got '", name.substr(0, 80), "'"));
  }
  return id;
}

absl::StatusOr<absl::Duration> OptionalDuration(bool present, const google::protobuf::Duration& value,
                                                absl::Duration fallback, absl::string_view field) {
  if (!present) return fallback;
  return FromDuration(value, field);
}

}  // namespace

absl::Status CheckResourceName(absl::string_view name, absl::string_view collection,
                               absl::string_view field) {
  const std::string prefix = absl::StrCat(collection, "/");
  const bool well_formed = absl::StartsWith(name, prefix) && name.size() > prefix.size() &&
                           name.size() - prefix.size() <= kMaxIdLength &&
                           std::all_of(name.begin() + prefix.size(), name.end(), IdCharacter);
  if (!well_formed) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": expected ", collection, "/{id} with an id of 1 to 64 characters ",
                     "[a-z0-9-_.], got '", name.substr(0, 80), "'"));
  }
  return absl::OkStatus();
}

std::string ResourceId(absl::string_view name) {
  const auto slash = name.find('/');
  return std::string(slash == absl::string_view::npos ? name : name.substr(slash + 1));
}

std::string ContactName(uint64_t id) { return absl::StrCat("contacts/", id); }
std::string OfferName(uint64_t id) { return absl::StrCat("offers/", id); }

absl::StatusOr<uint64_t> ParseContactName(absl::string_view name, absl::string_view field) {
  return ParseNumbered(name, "contacts", field);
}

absl::StatusOr<uint64_t> ParseOfferName(absl::string_view name, absl::string_view field) {
  return ParseNumbered(name, "offers", field);
}

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(time));
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(timestamp));
}

google::protobuf::Duration ToDuration(absl::Duration duration) {
  return TimeUtil::MicrosecondsToDuration(absl::ToInt64Microseconds(duration));
}

absl::StatusOr<absl::Duration> FromDuration(const google::protobuf::Duration& duration,
                                            absl::string_view field) {
  const bool mixed_signs = (duration.seconds() > 0 && duration.nanos() < 0) ||
                           (duration.seconds() < 0 && duration.nanos() > 0);
  if (duration.nanos() <= -1'000'000'000 || duration.nanos() >= 1'000'000'000 || mixed_signs ||
      duration.seconds() > 315'576'000'000 || duration.seconds() < -315'576'000'000) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": not a valid duration"));
  }
  return absl::Seconds(duration.seconds()) + absl::Nanoseconds(duration.nanos());
}

absl::StatusOr<routing::Channel> ChannelFromProto(v1::ContactChannel channel, absl::string_view field) {
  switch (channel) {
    case v1::CONTACT_CHANNEL_CALL: return routing::Channel::kCall;
    case v1::CONTACT_CHANNEL_TICKET: return routing::Channel::kTicket;
    case v1::CONTACT_CHANNEL_CALLBACK: return routing::Channel::kCallback;
    case v1::CONTACT_CHANNEL_OUTBOUND: return routing::Channel::kOutbound;
    default:
      return absl::InvalidArgumentError(absl::StrCat(field, ": call, ticket, callback or outbound required"));
  }
}

v1::ContactChannel ChannelToProto(routing::Channel channel) {
  switch (channel) {
    case routing::Channel::kCall: return v1::CONTACT_CHANNEL_CALL;
    case routing::Channel::kTicket: return v1::CONTACT_CHANNEL_TICKET;
    case routing::Channel::kCallback: return v1::CONTACT_CHANNEL_CALLBACK;
    case routing::Channel::kOutbound: return v1::CONTACT_CHANNEL_OUTBOUND;
  }
  return v1::CONTACT_CHANNEL_UNSPECIFIED;
}

v1::AgentState AgentStateToProto(routing::AgentState state) {
  switch (state) {
    case routing::AgentState::kLoggedOut: return v1::AGENT_STATE_LOGGED_OUT;
    case routing::AgentState::kReady: return v1::AGENT_STATE_READY;
    case routing::AgentState::kNotReady: return v1::AGENT_STATE_NOT_READY;
    case routing::AgentState::kReserved: return v1::AGENT_STATE_RESERVED;
    case routing::AgentState::kBusy: return v1::AGENT_STATE_BUSY;
    case routing::AgentState::kWrapUp: return v1::AGENT_STATE_WRAP_UP;
  }
  return v1::AGENT_STATE_UNSPECIFIED;
}

v1::OfferState OfferStateToProto(routing::OfferState state) {
  switch (state) {
    case routing::OfferState::kPending: return v1::OFFER_STATE_PENDING;
    case routing::OfferState::kAccepted: return v1::OFFER_STATE_ACCEPTED;
    case routing::OfferState::kRejected: return v1::OFFER_STATE_REJECTED;
    case routing::OfferState::kTimedOut: return v1::OFFER_STATE_TIMED_OUT;
    case routing::OfferState::kWithdrawn: return v1::OFFER_STATE_WITHDRAWN;
  }
  return v1::OFFER_STATE_UNSPECIFIED;
}

routing::Tier TierFromProto(v1::CustomerTier tier) {
  switch (tier) {
    case v1::CUSTOMER_TIER_KEY_IMPORTANT: return routing::Tier::kKeyImportant;
    case v1::CUSTOMER_TIER_KEY_SECONDARY: return routing::Tier::kKeySecondary;
    case v1::CUSTOMER_TIER_ORDINARY: return routing::Tier::kOrdinary;
    case v1::CUSTOMER_TIER_SMALL: return routing::Tier::kSmall;
    default: return routing::Tier::kUnknown;
  }
}

v1::CustomerTier TierToProto(routing::Tier tier) {
  switch (tier) {
    case routing::Tier::kKeyImportant: return v1::CUSTOMER_TIER_KEY_IMPORTANT;
    case routing::Tier::kKeySecondary: return v1::CUSTOMER_TIER_KEY_SECONDARY;
    case routing::Tier::kOrdinary: return v1::CUSTOMER_TIER_ORDINARY;
    case routing::Tier::kSmall: return v1::CUSTOMER_TIER_SMALL;
    case routing::Tier::kUnknown: break;
  }
  return v1::CUSTOMER_TIER_UNSPECIFIED;
}

absl::StatusOr<std::vector<routing::SkillRequirement>> SkillsFromProto(
    const google::protobuf::RepeatedPtrField<v1::SkillRequirement>& skills, absl::string_view field) {
  constexpr int kMaxSkills = 100;
  if (skills.size() > kMaxSkills) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": at most ", kMaxSkills, " skills"));
  }
  std::vector<routing::SkillRequirement> out;
  for (int i = 0; i < skills.size(); ++i) {
    const std::string item = absl::StrCat(field, "[", i, "]");
    if (auto s = CheckResourceName(skills[i].skill(), "skills", absl::StrCat(item, ".skill")); !s.ok()) {
      return s;
    }
    const int proficiency = skills[i].min_proficiency() == 0 ? 1 : skills[i].min_proficiency();
    if (proficiency < 1 || proficiency > 10) {
      return absl::InvalidArgumentError(absl::StrCat(item, ".min_proficiency: must be 1 to 10"));
    }
    for (const auto& earlier : out) {
      if (earlier.skill == skills[i].skill()) {
        return absl::InvalidArgumentError(
            absl::StrCat(item, ".skill: '", skills[i].skill(), "' is listed twice"));
      }
    }
    out.push_back({skills[i].skill(), proficiency});
  }
  return out;
}

absl::StatusOr<routing::QueueConfig> QueueFromProto(const v1::Queue& queue) {
  if (auto s = CheckResourceName(queue.name(), "queues", "queue.name"); !s.ok()) return s;
  if (queue.display_name().size() > 200) {
    return absl::InvalidArgumentError("queue.display_name: at most 200 characters");
  }
  routing::QueueConfig config;
  config.name = queue.name();
  if (queue.channels_size() > 0) {
    config.channels.clear();
    for (int i = 0; i < queue.channels_size(); ++i) {
      auto channel = ChannelFromProto(queue.channels(i), absl::StrCat("queue.channels[", i, "]"));
      if (!channel.ok()) return channel.status();
      if (std::find(config.channels.begin(), config.channels.end(), *channel) == config.channels.end()) {
        config.channels.push_back(*channel);
      }
    }
  }
  auto skills = SkillsFromProto(queue.skills(), "queue.skills");
  if (!skills.ok()) return skills.status();
  config.skills = *std::move(skills);
  config.base_priority = queue.base_priority();
  if (config.base_priority < -1000 || config.base_priority > 1000) {
    return absl::InvalidArgumentError("queue.base_priority: must be -1000 to 1000");
  }
  auto sl = OptionalDuration(queue.has_sl_threshold(), queue.sl_threshold(), config.sl_threshold,
                             "queue.sl_threshold");
  if (!sl.ok()) return sl.status();
  config.sl_threshold = *sl;
  if (queue.sl_goal_percent() != 0) config.sl_goal = queue.sl_goal_percent() / 100.0;
  if (!(queue.sl_goal_percent() >= 0 && queue.sl_goal_percent() <= 100)) {
    return absl::InvalidArgumentError("queue.sl_goal_percent: must be more than 0 and at most 100");
  }
  auto wrap_up = OptionalDuration(queue.has_wrap_up(), queue.wrap_up(), config.wrap_up, "queue.wrap_up");
  if (!wrap_up.ok()) return wrap_up.status();
  config.wrap_up = *wrap_up;
  auto offer_timeout = OptionalDuration(queue.has_offer_timeout(), queue.offer_timeout(),
                                        config.offer_timeout, "queue.offer_timeout");
  if (!offer_timeout.ok()) return offer_timeout.status();
  config.offer_timeout = *offer_timeout;
  auto max_wait = OptionalDuration(queue.has_max_wait(), queue.max_wait(), config.max_wait, "queue.max_wait");
  if (!max_wait.ok()) return max_wait.status();
  config.max_wait = *max_wait;
  if (!queue.overflow_queue().empty()) {
    if (auto s = CheckResourceName(queue.overflow_queue(), "queues", "queue.overflow_queue"); !s.ok()) {
      return s;
    }
    config.overflow_queue = queue.overflow_queue();
  }
  if (queue.widened_skills_size() > 0) {
    auto widened = SkillsFromProto(queue.widened_skills(), "queue.widened_skills");
    if (!widened.ok()) return widened.status();
    config.widened_skills = *std::move(widened);
  }
  if (queue.max_length() != 0) config.max_length = queue.max_length();
  switch (queue.strategy()) {
    case v1::ROUTING_STRATEGY_UNSPECIFIED:
    case v1::ROUTING_STRATEGY_LONGEST_IDLE: config.strategy = routing::Strategy::kLongestIdle; break;
    case v1::ROUTING_STRATEGY_MOST_SKILLED: config.strategy = routing::Strategy::kMostSkilled; break;
    case v1::ROUTING_STRATEGY_FEWEST_CONTACTS: config.strategy = routing::Strategy::kFewestContacts; break;
    case v1::ROUTING_STRATEGY_LEAST_TALK_TIME: config.strategy = routing::Strategy::kLeastTalkTime; break;
    case v1::ROUTING_STRATEGY_ROUND_ROBIN: config.strategy = routing::Strategy::kRoundRobin; break;
    case v1::ROUTING_STRATEGY_RANDOM: config.strategy = routing::Strategy::kRandom; break;
    default: return absl::InvalidArgumentError("queue.strategy: unknown value");
  }
  auto window = OptionalDuration(queue.has_preferred_agent_window(), queue.preferred_agent_window(),
                                 config.preferred_agent_window, "queue.preferred_agent_window");
  if (!window.ok()) return window.status();
  config.preferred_agent_window = *window;
  return config;
}

absl::StatusOr<routing::AgentConfig> AgentFromProto(const v1::Agent& agent) {
  if (auto s = CheckResourceName(agent.name(), "agents", "agent.name"); !s.ok()) return s;
  if (agent.display_name().size() > 200) {
    return absl::InvalidArgumentError("agent.display_name: at most 200 characters");
  }
  if (agent.team().size() > 100) return absl::InvalidArgumentError("agent.team: at most 100 characters");
  routing::AgentConfig config;
  config.name = agent.name();
  config.team = agent.team();
  auto skills = SkillsFromProto(agent.skills(), "agent.skills");
  if (!skills.ok()) return skills.status();
  for (const auto& skill : *skills) config.skills[skill.skill] = skill.min_proficiency;
  config.max_tickets = agent.max_tickets() == 0 ? 3 : agent.max_tickets();
  return config;
}

v1::AgentStatus StatusToProto(const routing::AgentView& view) {
  v1::AgentStatus status;
  status.set_agent(view.name);
  status.set_state(AgentStateToProto(view.state));
  status.set_reason(view.reason);
  *status.mutable_state_since() = ToTimestamp(view.state_since);
  status.set_active_calls(view.active_calls);
  status.set_active_tickets(view.active_tickets);
  status.set_consecutive_missed_offers(view.consecutive_missed);
  status.set_contacts_handled(view.handled);
  if (view.pending_offer) status.set_pending_offer(OfferName(*view.pending_offer));
  for (const auto& queue : view.queues) status.add_queues(queue);
  status.set_requested_reason(view.requested_reason);
  return status;
}

v1::RoutingTrace TraceToProto(const routing::DecisionTrace& trace) {
  v1::RoutingTrace out;
  out.set_offer(OfferName(trace.offer));
  out.set_contact(ContactName(trace.contact));
  out.set_agent(trace.agent);
  out.set_queue(trace.queue);
  out.set_rule(trace.rule);
  *out.mutable_decide_time() = ToTimestamp(trace.time);
  for (const auto& candidate : trace.candidates) {
    auto* c = out.add_candidates();
    c->set_agent(candidate.agent);
    c->set_queue(candidate.queue);
    c->set_contact(ContactName(candidate.contact));
    c->set_acceptable(candidate.acceptable);
    c->set_priority(candidate.priority);
    *c->mutable_waited() = ToDuration(candidate.waited);
    c->set_strategy_key(candidate.key_primary);
    c->set_strategy_key_secondary(candidate.key_secondary);
    c->set_description(candidate.Describe());
  }
  return out;
}

const char* ContactStateName(routing::ContactState state) {
  switch (state) {
    case routing::ContactState::kWaiting: return "WAITING";
    case routing::ContactState::kOffered: return "OFFERED";
    case routing::ContactState::kActive: return "CONNECTED";
    case routing::ContactState::kEnded: return "ENDED";
    case routing::ContactState::kAbandoned: return "ABANDONED";
  }
  return "?";
}

v1::WaitingContactRow RowFromSpec(uint64_t contact_id, const routing::ContactSpec& spec) {
  v1::WaitingContactRow row;
  row.set_contact_id(contact_id);
  row.set_channel(ChannelToProto(spec.channel));
  row.set_queue(spec.queue);
  row.set_customer(spec.customer);
  row.set_tier(TierToProto(spec.tier));
  row.set_open_complaint(spec.open_complaint);
  row.set_priority_adjust(spec.priority_adjust);
  for (const auto& skill : spec.extra_skills) {
    auto* s = row.add_extra_skills();
    s->set_skill(skill.skill);
    s->set_min_proficiency(skill.min_proficiency);
  }
  row.set_preferred_agent(spec.preferred_agent);
  if (spec.enqueue_time) *row.mutable_enqueue_time() = ToTimestamp(*spec.enqueue_time);
  row.set_reference(spec.reference);
  return row;
}

absl::StatusOr<routing::ContactSpec> SpecFromRow(const v1::WaitingContactRow& row) {
  routing::ContactSpec spec;
  auto channel = ChannelFromProto(row.channel(), "channel");
  if (!channel.ok()) return channel.status();
  spec.channel = *channel;
  spec.queue = row.queue();
  spec.customer = row.customer();
  spec.tier = TierFromProto(row.tier());
  spec.open_complaint = row.open_complaint();
  spec.priority_adjust = row.priority_adjust();
  for (const auto& skill : row.extra_skills()) {
    spec.extra_skills.push_back({skill.skill(), skill.min_proficiency()});
  }
  spec.preferred_agent = row.preferred_agent();
  spec.enqueue_time = FromTimestamp(row.enqueue_time());
  spec.reference = row.reference();
  return spec;
}

}  // namespace servicedesk::server
