#pragma once

// The per-call state machine of CTI: telephony events in (already validated, normalised
// and de-duplicated by source and event id), what the desk must do out. Pure C++: no gRPC,
// no RocksDB, time from an injected Clock.
//
// Real telephony sends events late, twice or out of order. Nothing here is an error to the
// sender: an event that does not fit the call's state is applied when it still makes sense
// (a transfer before the answer re-routes the call) and otherwise ignored, and either way it
// is reported as an Anomaly for the record.
//
//   offered -> waiting -> ringing -> connected <-> held -> ended
//        \________\__________\____________________________/ (hang-up at any point)
//
// A call with no event for `idle_timeout` is closed with cause kTimeout (a lost hang-up must
// not leave a call ringing, or an agent busy, forever).
//
// Threading: not thread-safe; the desk loop owns it.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "services/common/clock.h"

namespace servicedesk::cti {

enum class CallEventType {
  kOffered,         // a call arrived (inbound): numbers, IVR data, a queue hint
  kQueued,          // the telephony put it in a queue
  kRinging,         // ringing at an agent's device
  kAnswered,        // an agent picked up
  kHeld,
  kRetrieved,
  kTransferred,     // to a queue, an agent or outside
  kEnded,           // with a cause
  kOutboundPlaced,  // an agent dialled out
};
const char* CallEventTypeName(CallEventType type);

enum class EndCause { kNormal, kBusy, kNoAnswer, kAbandoned, kFailed, kForwarded, kTimeout };
const char* EndCauseName(EndCause cause);

enum class TransferTarget { kQueue, kAgent, kOutside };

struct CallEvent {
  std::string source;    // the CTI system, e.g. "pbx-1"
  std::string event_id;  // unique per source
  std::string call_id;   // the telephony's id of the call, unique per source
  CallEventType type = CallEventType::kOffered;
  absl::Time source_time;  // when it happened, by the telephony's clock
  std::string calling;     // E.164, or empty when withheld
  std::string called;      // E.164 or an internal number
  std::map<std::string, std::string> ivr;  // menu choice, language, account number, ...
  std::string queue;       // offered: a hint; queued: the queue; transferred: the target
  std::string agent;       // ringing, answered, transferred to, outbound placed by
  EndCause cause = EndCause::kNormal;
  TransferTarget transfer = TransferTarget::kQueue;
  std::string outside_number;  // transferred outside
};

enum class CallState { kOffered, kWaiting, kRinging, kConnected, kHeld, kEnded };
const char* CallStateName(CallState state);

// One call, finished: what becomes the interaction in the customer's history.
struct CallRecord {
  std::string source;
  std::string call_id;
  bool inbound = true;
  std::string calling;
  std::string called;
  std::string queue;  // the last queue it waited in
  std::string agent;  // the agent who answered (the last one, after transfers)
  std::map<std::string, std::string> ivr;
  absl::Time offered;
  std::optional<absl::Time> answered;
  absl::Time ended;
  absl::Duration wait;  // offered to answered, or to the hang-up when never answered
  absl::Duration talk;  // answered to ended, less hold
  absl::Duration hold;
  EndCause cause = EndCause::kNormal;
  bool abandoned = false;  // hung up while waiting
};

// What the desk must do.
struct RouteCall {  // make it a routing contact in `queue`
  std::string call_id;
  std::string queue;
  std::string calling;
};
struct MoveCall {  // re-route: to `queue`, or to `agent` when set
  std::string call_id;
  std::string queue;
  std::string agent;
};
struct CallAnswered {  // the agent is on the call
  std::string call_id;
  std::string agent;
};
struct CallAbandoned {  // the caller hung up while waiting: leave the queue
  std::string call_id;
  absl::Duration waited;
  bool create_callback = false;  // a callback task for `calling`
  std::string calling;
  std::string queue;
};
struct CallFinished {  // record the interaction; free the agent if one was on it
  CallRecord record;
};
using CallAction = std::variant<RouteCall, MoveCall, CallAnswered, CallAbandoned, CallFinished>;

struct Anomaly {
  std::string call_id;
  std::string event_id;
  std::string what;  // "answer after the hang-up", ...
};

struct TrackerOutcome {
  std::vector<CallAction> actions;
  std::vector<Anomaly> anomalies;
};

struct TrackerOptions {
  // A call with no event for this long is closed with cause kTimeout.
  absl::Duration idle_timeout = absl::Hours(4);
  // Where an offered call waits: the IVR's choice (ivr[ivr_queue_key]), else the event's
  // queue hint, else the called number's queue, else default_queue.
  std::string ivr_queue_key = "queue";
  std::map<std::string, std::string> called_number_queues;
  std::string default_queue;
  // A caller who hangs up while waiting gets a callback task, at most one per number
  // within the window (0: never).
  absl::Duration callback_window = absl::Hours(24);
  // Hang-ups after less than this are not worth a callback (a misdial).
  absl::Duration callback_min_wait = absl::Seconds(5);
  // Ended calls are remembered this long, to recognise late events for them.
  absl::Duration keep_ended = absl::Hours(1);
};

// A live call as stored, to resume it after a restart.
struct CallSnapshot {
  CallRecord record;
  CallState state = CallState::kOffered;
  std::optional<absl::Time> held_since;
  absl::Time last_heard;
};

class CallTracker {
 public:
  CallTracker(const Clock* clock, TrackerOptions options);

  TrackerOutcome Apply(const CallEvent& event);
  // Closes the calls idle for idle_timeout at the clock's now; forgets old ended ones.
  TrackerOutcome ExpireIdle();
  std::optional<absl::Time> NextDeadline() const;

  std::optional<CallState> StateOf(const std::string& source, const std::string& call_id) const;
  std::optional<CallSnapshot> Snapshot(const std::string& source, const std::string& call_id) const;
  // Puts a stored live call back; its idle timeout counts from now.
  void Restore(const CallSnapshot& snapshot);
  std::size_t live_calls() const;

 private:
  struct Call {
    CallRecord record;
    CallState state = CallState::kOffered;
    std::optional<absl::Time> held_since;
    absl::Time last_heard;  // the latest source time of its events
    // Its entry in `deadlines_`: idle timeout while live, forgetting once ended.
    std::multimap<absl::Time, std::string>::iterator deadline;
  };

  std::string QueueFor(const CallEvent& event) const;
  Call* Start(const CallEvent& event, bool inbound, TrackerOutcome* out);
  void Finish(Call* call, absl::Time at, EndCause cause, TrackerOutcome* out);
  void Touch(const std::string& key, Call* call);
  static std::string Key(const std::string& source, const std::string& call_id);

  const Clock* clock_;
  TrackerOptions options_;
  absl::flat_hash_map<std::string, Call> calls_;  // by source + call id
  absl::flat_hash_map<std::string, absl::Time> last_callback_;  // by calling number
  std::multimap<absl::Time, std::string> deadlines_;            // by the desk's clock
};

}  // namespace servicedesk::cti
