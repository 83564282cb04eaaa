#include "services/cti/call_tracker.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace servicedesk::cti {

const char* CallEventTypeName(CallEventType type) {
  switch (type) {
    case CallEventType::kOffered: return "offered";
    case CallEventType::kQueued: return "queued";
    case CallEventType::kRinging: return "ringing";
    case CallEventType::kAnswered: return "answered";
    case CallEventType::kHeld: return "held";
    case CallEventType::kRetrieved: return "retrieved";
    case CallEventType::kTransferred: return "transferred";
    case CallEventType::kEnded: return "ended";
    case CallEventType::kOutboundPlaced: return "outbound placed";
  }
  return "?";
}

const char* EndCauseName(EndCause cause) {
  switch (cause) {
    case EndCause::kNormal: return "normal";
    case EndCause::kBusy: return "busy";
    case EndCause::kNoAnswer: return "no answer";
    case EndCause::kAbandoned: return "abandoned";
    case EndCause::kFailed: return "failed";
    case EndCause::kForwarded: return "forwarded";
    case EndCause::kTimeout: return "timeout";
  }
  return "?";
}

const char* CallStateName(CallState state) {
  switch (state) {
    case CallState::kOffered: return "offered";
    case CallState::kWaiting: return "waiting";
    case CallState::kRinging: return "ringing";
    case CallState::kConnected: return "connected";
    case CallState::kHeld: return "held";
    case CallState::kEnded: return "ended";
  }
  return "?";
}

CallTracker::CallTracker(const Clock* clock, TrackerOptions options)
    : clock_(clock), options_(std::move(options)) {}

std::string CallTracker::Key(const std::string& source, const std::string& call_id) {
  return absl::StrCat(source, "\x1f", call_id);
}

std::string CallTracker::QueueFor(const CallEvent& event) const {
  if (auto it = event.ivr.find(options_.ivr_queue_key); it != event.ivr.end() && !it->second.empty()) {
    return it->second;
  }
  if (!event.queue.empty()) return event.queue;
  if (auto it = options_.called_number_queues.find(event.called);
      it != options_.called_number_queues.end()) {
    return it->second;
  }
  return options_.default_queue;
}

void CallTracker::Touch(const std::string& key, Call* call) {
  if (call->deadline != deadlines_.end()) deadlines_.erase(call->deadline);
  const absl::Time now = clock_->Now();
  call->deadline = deadlines_.emplace(
      now + (call->state == CallState::kEnded ? options_.keep_ended : options_.idle_timeout), key);
}

CallTracker::Call* CallTracker::Start(const CallEvent& event, bool inbound, TrackerOutcome* out) {
  const std::string key = Key(event.source, event.call_id);
  Call& call = calls_[key];
  call.deadline = deadlines_.end();
  call.record.source = event.source;
  call.record.call_id = event.call_id;
  call.record.inbound = inbound;
  call.record.calling = event.calling;
  call.record.called = event.called;
  call.record.ivr = event.ivr;
  call.record.offered = event.source_time;
  call.last_heard = event.source_time;
  if (inbound) {
    call.record.queue = QueueFor(event);
    call.state = CallState::kWaiting;
    out->actions.push_back(RouteCall{event.call_id, call.record.queue, event.calling});
  } else {
    call.record.agent = event.agent;
    call.state = CallState::kConnected;  // outbound: the agent is on it from the start
    call.record.answered = event.source_time;
  }
  Touch(key, &call);
  return &call;
}

void CallTracker::Finish(Call* call, absl::Time at, EndCause cause, TrackerOutcome* out) {
  CallRecord& record = call->record;
  at = std::max(at, record.offered);  // a clock that jumped back must not make time negative
  if (call->held_since) {
    record.hold += std::max(at - *call->held_since, absl::ZeroDuration());
    call->held_since.reset();
  }
  record.ended = at;
  record.cause = cause;
  if (record.answered) {
    record.talk = std::max(at - *record.answered - record.hold, absl::ZeroDuration());
  } else {
    record.wait = at - record.offered;
    if (record.inbound) {
      record.abandoned = cause != EndCause::kTimeout && cause != EndCause::kForwarded;
      CallAbandoned abandoned{record.call_id, record.wait, false, record.calling, record.queue};
      if (record.abandoned && !record.calling.empty() &&
          options_.callback_window > absl::ZeroDuration() &&
          record.wait >= options_.callback_min_wait) {
        // At most one callback per number within the window.
        const absl::Time now = clock_->Now();
        auto last = last_callback_.find(record.calling);
        if (last == last_callback_.end() || now - last->second >= options_.callback_window) {
          abandoned.create_callback = true;
          last_callback_[record.calling] = now;
        }
      }
      out->actions.push_back(std::move(abandoned));
    }
  }
  call->state = CallState::kEnded;
  out->actions.push_back(CallFinished{record});
}

TrackerOutcome CallTracker::Apply(const CallEvent& event) {
  TrackerOutcome out;
  const std::string key = Key(event.source, event.call_id);
  auto anomaly = [&](std::string what) {
    out.anomalies.push_back(Anomaly{event.call_id, event.event_id, std::move(what)});
  };
  auto it = calls_.find(key);
  Call* call = it == calls_.end() ? nullptr : &it->second;

  if (call == nullptr) {
    switch (event.type) {
      case CallEventType::kOffered:
        Start(event, /*inbound=*/true, &out);
        return out;
      case CallEventType::kOutboundPlaced:
        Start(event, /*inbound=*/false, &out);
        return out;
      case CallEventType::kEnded:
        // Nothing to close: the offer never reached the desk. Said, not refused.
        anomaly("hang-up for a call never offered");
        return out;
      default: {
        // The offer was lost: the call exists all the same, known from this event on.
        anomaly(absl::StrCat(CallEventTypeName(event.type), " before the offer"));
        call = Start(event, /*inbound=*/true, &out);
        break;  // and the event applies to it below
      }
    }
  }

  if (call->state == CallState::kEnded) {
    anomaly(absl::StrCat(CallEventTypeName(event.type), " after the hang-up"));
    return out;
  }
  CallRecord& record = call->record;
  call->last_heard = std::max(call->last_heard, event.source_time);
  switch (event.type) {
    case CallEventType::kOffered:
    case CallEventType::kOutboundPlaced:
      anomaly(absl::StrCat(CallEventTypeName(event.type), " again for a live call"));
      break;
    case CallEventType::kQueued:
      if (call->state == CallState::kConnected || call->state == CallState::kHeld) {
        anomaly("queued while connected");
        break;
      }
      if (!event.queue.empty() && event.queue != record.queue) {
        record.queue = event.queue;
        out.actions.push_back(MoveCall{event.call_id, event.queue, ""});
      }
      call->state = CallState::kWaiting;
      break;
    case CallEventType::kRinging:
      if (call->state == CallState::kConnected || call->state == CallState::kHeld) {
        anomaly("ringing while connected");
        break;
      }
      call->state = CallState::kRinging;
      break;
    case CallEventType::kAnswered:
      if (call->state == CallState::kConnected || call->state == CallState::kHeld) {
        if (!event.agent.empty() && event.agent != record.agent) {
          anomaly("answered again by another agent");
        }
        break;
      }
      record.answered = std::max(event.source_time, record.offered);
      record.wait = *record.answered - record.offered;
      record.agent = event.agent;
      call->state = CallState::kConnected;
      out.actions.push_back(CallAnswered{event.call_id, event.agent});
      break;
    case CallEventType::kHeld:
      if (call->state != CallState::kConnected) {
        anomaly(absl::StrCat("held while ", CallStateName(call->state)));
        break;
      }
      call->held_since = std::max(event.source_time, record.offered);
      call->state = CallState::kHeld;
      break;
    case CallEventType::kRetrieved:
      if (call->state != CallState::kHeld) {
        anomaly(absl::StrCat("retrieved while ", CallStateName(call->state)));
        break;
      }
      record.hold += std::max(event.source_time - *call->held_since, absl::ZeroDuration());
      call->held_since.reset();
      call->state = CallState::kConnected;
      break;
    case CallEventType::kTransferred: {
      const bool answered = call->state == CallState::kConnected || call->state == CallState::kHeld;
      if (event.transfer == TransferTarget::kOutside) {
        Finish(call, event.source_time, EndCause::kForwarded, &out);
        break;
      }
      if (!answered) anomaly("transfer before the answer");
      if (answered) {
        // The agent's part ends; the call waits again (its record goes on).
        if (call->held_since) {
          record.hold += std::max(event.source_time - *call->held_since, absl::ZeroDuration());
          call->held_since.reset();
        }
      }
      if (event.transfer == TransferTarget::kQueue) record.queue = event.queue;
      out.actions.push_back(MoveCall{event.call_id, record.queue,
                                     event.transfer == TransferTarget::kAgent ? event.agent : ""});
      call->state = CallState::kWaiting;
      break;
    }
    case CallEventType::kEnded:
      Finish(call, event.source_time,
             // Telephony says "normal clearing" for a caller who hangs up while waiting.
             call->state == CallState::kConnected || call->state == CallState::kHeld ||
                     event.cause != EndCause::kNormal
                 ? event.cause
                 : EndCause::kAbandoned,
             &out);
      break;
  }
  Touch(key, call);
  return out;
}

TrackerOutcome CallTracker::ExpireIdle() {
  TrackerOutcome out;
  const absl::Time now = clock_->Now();
  if (last_callback_.size() > 4096) {
    // Numbers whose window has passed need no memory.
    absl::erase_if(last_callback_, [&](const auto& entry) {
      return now - entry.second >= options_.callback_window;
    });
  }
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    const std::string key = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    auto it = calls_.find(key);
    if (it == calls_.end()) continue;
    Call& call = it->second;
    call.deadline = deadlines_.end();
    if (call.state == CallState::kEnded) {
      calls_.erase(it);  // late events for it are no longer recognised
      continue;
    }
    out.anomalies.push_back(Anomaly{call.record.call_id, "",
                                    absl::StrCat("no event for ",
                                                 absl::FormatDuration(options_.idle_timeout),
                                                 ": closed")});
    // By the telephony's clock it ended when it was last heard of: no time is invented.
    Finish(&call, call.last_heard, EndCause::kTimeout, &out);
    Touch(key, &call);
  }
  return out;
}

std::optional<absl::Time> CallTracker::NextDeadline() const {
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.begin()->first;
}

std::optional<CallState> CallTracker::StateOf(const std::string& source,
                                              const std::string& call_id) const {
  auto it = calls_.find(Key(source, call_id));
  if (it == calls_.end()) return std::nullopt;
  return it->second.state;
}

std::optional<CallSnapshot> CallTracker::Snapshot(const std::string& source,
                                                  const std::string& call_id) const {
  auto it = calls_.find(Key(source, call_id));
  if (it == calls_.end()) return std::nullopt;
  const Call& call = it->second;
  return CallSnapshot{call.record, call.state, call.held_since, call.last_heard};
}

void CallTracker::Restore(const CallSnapshot& snapshot) {
  const std::string key = Key(snapshot.record.source, snapshot.record.call_id);
  auto [it, inserted] = calls_.try_emplace(key);
  Call& call = it->second;
  if (inserted) call.deadline = deadlines_.end();
  call.record = snapshot.record;
  call.state = snapshot.state;
  call.held_since = snapshot.held_since;
  call.last_heard = snapshot.last_heard;
  Touch(key, &call);
}

std::size_t CallTracker::live_calls() const {
  return static_cast<std::size_t>(std::count_if(calls_.begin(), calls_.end(), [](const auto& entry) {
    return entry.second.state != CallState::kEnded;
  }));
}

}  // namespace servicedesk::cti
