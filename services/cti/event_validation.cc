#include "services/cti/event_validation.h"

#include <google/protobuf/util/time_util.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace servicedesk::cti {

namespace {

using google::protobuf::util::TimeUtil;

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

absl::Status CheckId(const std::string& value, absl::string_view field, std::size_t max) {
  if (value.empty()) return Invalid(field, "required");
  if (value.size() > max) return Invalid(field, absl::StrCat("at most ", max, " characters"));
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Invalid(field, "control characters are not allowed");
    }
  }
  return absl::OkStatus();
}

// E.164 through libphonenumber, or a short internal extension kept as digits.
absl::StatusOr<std::string> Number(const std::string& value, absl::string_view field,
                                   const customers::PhoneNormalizer& phones,
                                   const EventLimits& limits) {
  if (value.empty()) return std::string();
  if (value.size() <= limits.max_extension_digits &&
      std::all_of(value.begin(), value.end(), [](char c) { return absl::ascii_isdigit(c); })) {
    return value;
  }
  return phones.ToE164(value, field);
}

absl::StatusOr<CallEventType> Type(v1::CallEventType type) {
  switch (type) {
    case v1::CALL_EVENT_TYPE_OFFERED: return CallEventType::kOffered;
    case v1::CALL_EVENT_TYPE_QUEUED: return CallEventType::kQueued;
    case v1::CALL_EVENT_TYPE_RINGING: return CallEventType::kRinging;
    case v1::CALL_EVENT_TYPE_ANSWERED: return CallEventType::kAnswered;
    case v1::CALL_EVENT_TYPE_HELD: return CallEventType::kHeld;
    case v1::CALL_EVENT_TYPE_RETRIEVED: return CallEventType::kRetrieved;
    case v1::CALL_EVENT_TYPE_TRANSFERRED: return CallEventType::kTransferred;
    case v1::CALL_EVENT_TYPE_ENDED: return CallEventType::kEnded;
    case v1::CALL_EVENT_TYPE_OUTBOUND_PLACED: return CallEventType::kOutboundPlaced;
    default: return Invalid("type", absl::StrCat("unknown event type ", static_cast<int>(type)));
  }
}

absl::StatusOr<EndCause> Cause(v1::EndCause cause) {
  switch (cause) {
    case v1::END_CAUSE_UNSPECIFIED:
    case v1::END_CAUSE_NORMAL: return EndCause::kNormal;
    case v1::END_CAUSE_BUSY: return EndCause::kBusy;
    case v1::END_CAUSE_NO_ANSWER: return EndCause::kNoAnswer;
    case v1::END_CAUSE_ABANDONED: return EndCause::kAbandoned;
    case v1::END_CAUSE_FAILED: return EndCause::kFailed;
    case v1::END_CAUSE_FORWARDED: return EndCause::kForwarded;
    default: return Invalid("cause", absl::StrCat("unknown cause ", static_cast<int>(cause)));
  }
}

absl::Status CheckResource(const std::string& value, absl::string_view collection,
                           absl::string_view field) {
  const std::string prefix = absl::StrCat(collection, "/");
  if (!absl::StartsWith(value, prefix) || value.size() == prefix.size() || value.size() > 100) {
    return Invalid(field, absl::StrCat("expected ", collection, "/{id}, got '", value.substr(0, 80), "'"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CallEvent> NormalizeEvent(const v1::CallEvent& in,
                                         const customers::PhoneNormalizer& phones, absl::Time now,
                                         const EventLimits& limits) {
  CallEvent out;
  if (auto s = CheckId(in.source(), "source", limits.max_id_length); !s.ok()) return s;
  if (auto s = CheckId(in.event_id(), "event_id", limits.max_id_length); !s.ok()) return s;
  if (auto s = CheckId(in.call_id(), "call_id", limits.max_id_length); !s.ok()) return s;
  out.source = in.source();
  out.event_id = in.event_id();
  out.call_id = in.call_id();
  auto type = Type(in.type());
  if (!type.ok()) return type.status();
  out.type = *type;

  if (!in.has_source_time()) return Invalid("source_time", "required");
  if (in.source_time().seconds() < TimeUtil::kTimestampMinSeconds ||
      in.source_time().seconds() > TimeUtil::kTimestampMaxSeconds || in.source_time().nanos() < 0 ||
      in.source_time().nanos() > 999'999'999) {
    return Invalid("source_time", "not a valid timestamp");
  }
  out.source_time = absl::FromUnixSeconds(in.source_time().seconds()) +
                    absl::Nanoseconds(in.source_time().nanos());
  if (out.source_time > now + limits.max_clock_ahead) {
    return Invalid("source_time", absl::StrCat(absl::FormatDuration(absl::Trunc(out.source_time - now, absl::Seconds(1))),
                                               " in the future (the source's clock is wrong)"));
  }

  auto calling = Number(in.calling_number(), "calling_number", phones, limits);
  if (!calling.ok()) return calling.status();
  out.calling = *calling;
  auto called = Number(in.called_number(), "called_number", phones, limits);
  if (!called.ok()) return called.status();
  out.called = *called;

  if (in.ivr_data_size() > static_cast<int>(limits.max_ivr_entries)) {
    return Invalid("ivr_data", absl::StrCat("at most ", limits.max_ivr_entries, " entries"));
  }
  std::size_t ivr_bytes = 0;
  for (const auto& [key, value] : in.ivr_data()) {
    if (key.empty() || key.size() > limits.max_ivr_key_length) {
      return Invalid("ivr_data", absl::StrCat("keys are 1 to ", limits.max_ivr_key_length, " characters"));
    }
    if (value.size() > limits.max_ivr_value_length) {
      return Invalid(absl::StrCat("ivr_data[", key.substr(0, 64), "]"),
                     absl::StrCat("at most ", limits.max_ivr_value_length, " characters"));
    }
    ivr_bytes += key.size() + value.size();
    out.ivr.emplace(key, value);
  }
  if (ivr_bytes > limits.max_ivr_bytes) {
    return Invalid("ivr_data", absl::StrCat("at most ", limits.max_ivr_bytes, " bytes in all"));
  }

  if (!in.queue().empty()) {
    if (auto s = CheckResource(in.queue(), "queues", "queue"); !s.ok()) return s;
    out.queue = in.queue();
  }
  if (!in.agent().empty()) {
    if (auto s = CheckResource(in.agent(), "agents", "agent"); !s.ok()) return s;
    out.agent = in.agent();
  }
  auto cause = Cause(in.cause());
  if (!cause.ok()) return cause.status();
  out.cause = *cause;

  // What each type needs.
  switch (out.type) {
    case CallEventType::kRinging:
    case CallEventType::kAnswered:
    case CallEventType::kOutboundPlaced:
      if (out.agent.empty()) return Invalid("agent", absl::StrCat("required for ", CallEventTypeName(out.type)));
      break;
    case CallEventType::kTransferred:
      switch (in.transfer_target()) {
        case v1::TRANSFER_TARGET_KIND_QUEUE:
          if (out.queue.empty()) return Invalid("queue", "required for a transfer to a queue");
          out.transfer = TransferTarget::kQueue;
          break;
        case v1::TRANSFER_TARGET_KIND_AGENT:
          if (out.agent.empty()) return Invalid("agent", "required for a transfer to an agent");
          out.transfer = TransferTarget::kAgent;
          break;
        case v1::TRANSFER_TARGET_KIND_OUTSIDE: {
          auto outside = Number(in.outside_number(), "outside_number", phones, limits);
          if (!outside.ok()) return outside.status();
          if (outside->empty()) return Invalid("outside_number", "required for a transfer outside");
          out.outside_number = *outside;
          out.transfer = TransferTarget::kOutside;
          break;
        }
        default:
          return Invalid("transfer_target", "queue, agent or outside required");
      }
      break;
    default:
      break;
  }
  if (out.type == CallEventType::kOutboundPlaced && out.called.empty()) {
    return Invalid("called_number", "required for an outbound call");
  }
  return out;
}

}  // namespace servicedesk::cti
