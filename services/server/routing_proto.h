#pragma once

// Translation between the routing protos (routing.proto, events.proto rows) and the
// routing core's plain types. Validation of what the core cannot see (resource-name
// syntax, enum values, protobuf durations) happens here; ranges and references are the
// core's and the routing desk's business.

#include <cstdint>
#include <string>

#include <google/protobuf/duration.pb.h>
#include <google/protobuf/timestamp.pb.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/routing/router.h"
#include "services/routing/routing_types.h"
#include "servicedesk/v1/events.pb.h"
#include "servicedesk/v1/routing.pb.h"

namespace servicedesk::server {

// "{collection}/{id}" with an id of 1 to 64 characters [a-z0-9-_.]. INVALID_ARGUMENT naming
// `field` otherwise.
absl::Status CheckResourceName(absl::string_view name, absl::string_view collection,
                               absl::string_view field);
// The id part of a checked resource name.
std::string ResourceId(absl::string_view name);

std::string ContactName(uint64_t id);
// WAITING, OFFERED, CONNECTED, ENDED, ABANDONED.
const char* ContactStateName(routing::ContactState state);
std::string OfferName(uint64_t id);
absl::StatusOr<uint64_t> ParseContactName(absl::string_view name, absl::string_view field);
absl::StatusOr<uint64_t> ParseOfferName(absl::string_view name, absl::string_view field);

google::protobuf::Timestamp ToTimestamp(absl::Time time);
absl::Time FromTimestamp(const google::protobuf::Timestamp& timestamp);
google::protobuf::Duration ToDuration(absl::Duration duration);
// INVALID_ARGUMENT naming `field` for a malformed duration (nanos out of range, mixed signs).
absl::StatusOr<absl::Duration> FromDuration(const google::protobuf::Duration& duration,
                                            absl::string_view field);

absl::StatusOr<routing::Channel> ChannelFromProto(v1::ContactChannel channel, absl::string_view field);
v1::ContactChannel ChannelToProto(routing::Channel channel);
v1::AgentState AgentStateToProto(routing::AgentState state);
v1::OfferState OfferStateToProto(routing::OfferState state);
routing::Tier TierFromProto(v1::CustomerTier tier);
v1::CustomerTier TierToProto(routing::Tier tier);

// With the documented defaults for unset fields.
absl::StatusOr<routing::QueueConfig> QueueFromProto(const v1::Queue& queue);
absl::StatusOr<routing::AgentConfig> AgentFromProto(const v1::Agent& agent);
absl::StatusOr<std::vector<routing::SkillRequirement>> SkillsFromProto(
    const google::protobuf::RepeatedPtrField<v1::SkillRequirement>& skills, absl::string_view field);

v1::AgentStatus StatusToProto(const routing::AgentView& view);
v1::RoutingTrace TraceToProto(const routing::DecisionTrace& trace);

v1::WaitingContactRow RowFromSpec(uint64_t contact_id, const routing::ContactSpec& spec);
absl::StatusOr<routing::ContactSpec> SpecFromRow(const v1::WaitingContactRow& row);

}  // namespace servicedesk::server
