#pragma once

// The SLA clock of one target of one ticket (first response, or resolution).
//
// The clock counts the time used against the target: in calendar time (every instant), or
// in business time (the working spans of a BusinessCalendar). It runs from Start, stops
// counting while paused (the ticket is pending) and keeps what it used, counts again after
// Resume, and ends at Stop (the target is met: first reply given, ticket solved).
//
// Two events, each at most once in the clock's life and in this order:
//   warning  when warning_share x target is used;
//   breach   when the target is used (reaching it is a breach: a Stop exactly at the
//            deadline is late).
// Time is passed in, never read: the owner asks NextEventAt(), sets a timer, and calls
// Due(now) when it fires (or at any other moment: Due hands out each event once). An event
// carries the instant its threshold was reached, even when Due is called later, or after the
// clock was paused or stopped.
//
// A policy change (ChangeTarget) keeps the time used. The thresholds follow the new target:
// one already reached fires at once (at the change); one moved further is reached later. An
// event already fired does not fire again, whatever the new target.
//
// A `now` earlier than the last one the clock saw counts as that one: time never runs back.
// The state is plain data (SlaClockSnapshot) so that it can be stored and restored.
//
// Threading: not thread-safe; owned by the desk loop, like the ticket it belongs to. The
// calendar must outlive the clock.

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/tickets/business_calendar.h"

namespace servicedesk::tickets {

enum class SlaEventKind : uint8_t { kWarning = 0, kBreach = 1 };
// "warning", "breach".
const char* SlaEventKindName(SlaEventKind kind);

struct SlaEvent {
  SlaEventKind kind = SlaEventKind::kWarning;
  absl::Time at;  // when the threshold was reached

  bool operator==(const SlaEvent& other) const = default;
};

enum class SlaClockState : uint8_t {
  kNotStarted = 0,
  kRunning = 1,
  kPaused = 2,   // pending: no time counts
  kStopped = 3,  // the target was met (or the ticket ended): final
};
// "not_started", "running", "paused", "stopped".
const char* SlaClockStateName(SlaClockState state);

// Everything a clock is, as plain data: store it, and Restore it with the calendar.
struct SlaClockSnapshot {
  absl::Duration target;
  bool business_hours = false;
  double warning_share = 0.75;
  SlaClockState state = SlaClockState::kNotStarted;
  // Time used before `running_since` (while running), or in all (otherwise).
  absl::Duration used;
  // While running: since when the clock counts again. Otherwise unused (InfinitePast).
  absl::Time running_since = absl::InfinitePast();
  // The latest `now` the clock saw; earlier ones count as this.
  absl::Time last_now = absl::InfinitePast();
  // The events that happened (fired). An event fires once; Due hands it out once.
  bool warned = false;
  bool breached = false;
  // Fired events that Due has not handed out yet (e.g. reached before a Pause).
  std::vector<SlaEvent> undelivered;

  bool operator==(const SlaClockSnapshot& other) const = default;
};

// OK, or INVALID_ARGUMENT naming the field ("sla_clock.warning_share: ..."), for a snapshot
// read from storage: business hours without a calendar, a share outside [0, 1], a negative
// used time, a running clock without a finite `running_since`.
absl::Status ValidateSnapshot(const SlaClockSnapshot& snapshot, const BusinessCalendar* calendar);

class SlaClock {
 public:
  // A clock that has not started. `business_hours` counts in `calendar`, which must then not
  // be null; otherwise `calendar` is ignored (calendar time). A negative target counts as
  // zero; `warning_share` must be in [0, 1]. Invalid arguments are a programmer error: the
  // process aborts (validate configuration with SlaPolicyTable::Validate first).
  SlaClock(absl::Duration target, bool business_hours, const BusinessCalendar* calendar,
           double warning_share);

  // The clock of a snapshot, continuing exactly where it was. Requires
  // ValidateSnapshot(snapshot, calendar).ok() (aborts otherwise).
  static SlaClock Restore(const SlaClockSnapshot& snapshot, const BusinessCalendar* calendar);

  // The operations. Each returns FAILED_PRECONDITION "sla_clock: ..." and changes nothing
  // when the clock is in the wrong state; repeating a state change is not an error.
  //   Start:  not started -> running (FAILED_PRECONDITION once started).
  //   Pause:  running -> paused; paused or stopped: nothing happens.
  //   Resume: paused -> running; running or stopped: nothing happens.
  //   Stop:   running or paused -> stopped; stopped: nothing happens.
  // Pause, Resume and Stop of a clock not started are FAILED_PRECONDITION. Thresholds reached
  // before `now` fire (Due hands them out).
  absl::Status Start(absl::Time now);
  absl::Status Pause(absl::Time now);
  absl::Status Resume(absl::Time now);
  absl::Status Stop(absl::Time now);

  // A new target from `now` on (the policy changed: priority, tier). The time used is kept.
  // Thresholds the new target puts at or below the used time fire at `now`, unless they
  // fired already. A stopped clock only records the new target: a met target stays met.
  void ChangeTarget(absl::Duration new_target, absl::Time now);

  // The time used at `now` (not counting beyond a pause or a stop).
  absl::Duration Used(absl::Time now) const;
  // max(target - Used(now), 0).
  absl::Duration Remaining(absl::Time now) const;

  // While running: the instant the target is used up (the breach), in the past once
  // breached. nullopt when not running (no time counts, so no instant is known).
  std::optional<absl::Time> Deadline() const;
  // When the owner should call Due next: an undelivered event's instant (in the past), else,
  // while running, the instant of the next threshold not yet fired. nullopt when nothing can
  // happen without an operation.
  std::optional<absl::Time> NextEventAt() const;

  // The events that fired up to `now` and were not handed out yet, in order (a warning
  // before a breach). Each event is returned once over the clock's life.
  std::vector<SlaEvent> Due(absl::Time now);

  SlaClockState state() const { return s_.state; }
  absl::Duration target() const { return s_.target; }
  // Whether the warning (breach) fired, as of the last operation or Due.
  bool warned() const { return s_.warned; }
  bool breached() const { return s_.breached; }

  SlaClockSnapshot Snapshot() const { return s_; }

 private:
  SlaClock(const SlaClockSnapshot& snapshot, const BusinessCalendar* calendar);

  // Time counting between two instants: working time, or all of it.
  absl::Duration Elapsed(absl::Time from, absl::Time to) const;
  absl::Time After(absl::Time from, absl::Duration d) const;
  absl::Duration WarningPoint() const;
  // `now`, but never earlier than an instant already seen; records it.
  absl::Time Advance(absl::Time now);
  // Recomputes warning_at_ and breach_at_ after the running period or the target changed.
  void Schedule();
  // Fires the thresholds reached by `now` (running, at the instant reached), or by the used
  // time (paused, after a lower target: at `now`). Not started or stopped: nothing.
  void Fire(absl::Time now);
  // Ends the running period at `now`: its time moves into `used`.
  void Fold(absl::Time now);

  SlaClockSnapshot s_;
  const BusinessCalendar* calendar_;  // null: calendar time
  // While running: the instants the thresholds are reached (derived from s_, not stored).
  absl::Time warning_at_ = absl::InfiniteFuture();
  absl::Time breach_at_ = absl::InfiniteFuture();
};

}  // namespace servicedesk::tickets
