#include "services/tickets/sla_clock.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"

namespace servicedesk::tickets {
namespace {

// Written so that NaN fails too.
bool ValidShare(double share) { return share >= 0 && share <= 1; }

[[noreturn]] void Die(const absl::Status& status) {
  std::fprintf(stderr, "servicedesk: invalid SlaClock: %s\n", status.ToString().c_str());
  std::abort();
}

}  // namespace

const char* SlaEventKindName(SlaEventKind kind) {
  switch (kind) {
    case SlaEventKind::kWarning:
      return "warning";
    case SlaEventKind::kBreach:
      return "breach";
  }
  return "unknown";
}

const char* SlaClockStateName(SlaClockState state) {
  switch (state) {
    case SlaClockState::kNotStarted:
      return "not_started";
    case SlaClockState::kRunning:
      return "running";
    case SlaClockState::kPaused:
      return "paused";
    case SlaClockState::kStopped:
      return "stopped";
  }
  return "unknown";
}

absl::Status ValidateSnapshot(const SlaClockSnapshot& snapshot, const BusinessCalendar* calendar) {
  if (snapshot.target < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("sla_clock.target: must not be negative, got ",
                                                   absl::FormatDuration(snapshot.target)));
  }
  if (snapshot.business_hours && calendar == nullptr) {
    return absl::InvalidArgumentError(
        "sla_clock.business_hours: counts in business hours but no business calendar is given");
  }
  if (!ValidShare(snapshot.warning_share)) {
    return absl::InvalidArgumentError(
        absl::StrCat("sla_clock.warning_share: must be in [0, 1], got ", snapshot.warning_share));
  }
  if (static_cast<int>(snapshot.state) > static_cast<int>(SlaClockState::kStopped)) {
    return absl::InvalidArgumentError(
        absl::StrCat("sla_clock.state: unknown value ", static_cast<int>(snapshot.state)));
  }
  if (snapshot.used < absl::ZeroDuration() || snapshot.used == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("sla_clock.used: must be finite and not negative, got ",
                     absl::FormatDuration(snapshot.used)));
  }
  if (snapshot.state == SlaClockState::kRunning &&
      (snapshot.running_since == absl::InfinitePast() ||
       snapshot.running_since == absl::InfiniteFuture())) {
    return absl::InvalidArgumentError(
        "sla_clock.running_since: a running clock needs a finite start");
  }
  return absl::OkStatus();
}

SlaClock::SlaClock(absl::Duration target, bool business_hours, const BusinessCalendar* calendar,
                   double warning_share)
    : calendar_(business_hours ? calendar : nullptr) {
  s_.target = std::max(target, absl::ZeroDuration());
  s_.business_hours = business_hours;
  s_.warning_share = warning_share;
  if (absl::Status status = ValidateSnapshot(s_, calendar_); !status.ok()) Die(status);
}

SlaClock::SlaClock(const SlaClockSnapshot& snapshot, const BusinessCalendar* calendar)
    : s_(snapshot), calendar_(snapshot.business_hours ? calendar : nullptr) {
  if (absl::Status status = ValidateSnapshot(s_, calendar_); !status.ok()) Die(status);
  Schedule();
}

SlaClock SlaClock::Restore(const SlaClockSnapshot& snapshot, const BusinessCalendar* calendar) {
  return SlaClock(snapshot, calendar);
}

absl::Duration SlaClock::Elapsed(absl::Time from, absl::Time to) const {
  if (calendar_ != nullptr) return calendar_->WorkingTimeBetween(from, to);
  return std::max(to - from, absl::ZeroDuration());
}

absl::Time SlaClock::After(absl::Time from, absl::Duration d) const {
  if (d <= absl::ZeroDuration()) return from;
  if (calendar_ != nullptr) return calendar_->AddWorkingTime(from, d);
  return from + d;
}

absl::Duration SlaClock::WarningPoint() const { return s_.target * s_.warning_share; }

absl::Time SlaClock::Advance(absl::Time now) {
  s_.last_now = std::max(s_.last_now, now);
  return s_.last_now;
}

void SlaClock::Schedule() {
  if (s_.state != SlaClockState::kRunning) {
    warning_at_ = breach_at_ = absl::InfiniteFuture();
    return;
  }
  // Computed once per running period (or target), not per query: in business hours a long
  // target walks the calendar, and the owner asks NextEventAt after every command.
  warning_at_ = After(s_.running_since, WarningPoint() - s_.used);
  breach_at_ = After(s_.running_since, s_.target - s_.used);
}

void SlaClock::Fire(absl::Time now) {
  if (s_.state == SlaClockState::kRunning) {
    // The instants are exact (the inverse of Used), so the event says when it happened.
    if (!s_.warned && warning_at_ <= now) {
      s_.warned = true;
      s_.undelivered.push_back({SlaEventKind::kWarning, warning_at_});
    }
    if (!s_.breached && breach_at_ <= now) {
      s_.breached = true;
      s_.undelivered.push_back({SlaEventKind::kBreach, breach_at_});
    }
    return;
  }
  // Not started, or stopped (a met target stays met): nothing fires.
  if (s_.state != SlaClockState::kPaused) return;
  // Paused: nothing is reached by time passing, only by a lower target (at `now`).
  if (!s_.warned && s_.used >= WarningPoint()) {
    s_.warned = true;
    s_.undelivered.push_back({SlaEventKind::kWarning, now});
  }
  if (!s_.breached && s_.used >= s_.target) {
    s_.breached = true;
    s_.undelivered.push_back({SlaEventKind::kBreach, now});
  }
}

void SlaClock::Fold(absl::Time now) {
  s_.used += Elapsed(s_.running_since, now);
  s_.running_since = absl::InfinitePast();
}

absl::Status SlaClock::Start(absl::Time now) {
  if (s_.state != SlaClockState::kNotStarted) {
    return absl::FailedPreconditionError(
        absl::StrCat("sla_clock: cannot start a clock that is ", SlaClockStateName(s_.state)));
  }
  now = Advance(now);
  s_.state = SlaClockState::kRunning;
  s_.running_since = now;
  Schedule();
  Fire(now);  // a zero target is breached at once
  return absl::OkStatus();
}

absl::Status SlaClock::Pause(absl::Time now) {
  if (s_.state == SlaClockState::kNotStarted) {
    return absl::FailedPreconditionError("sla_clock: cannot pause a clock that is not_started");
  }
  if (s_.state != SlaClockState::kRunning) return absl::OkStatus();
  now = Advance(now);
  Fire(now);
  Fold(now);
  s_.state = SlaClockState::kPaused;
  Schedule();
  return absl::OkStatus();
}

absl::Status SlaClock::Resume(absl::Time now) {
  if (s_.state == SlaClockState::kNotStarted) {
    return absl::FailedPreconditionError("sla_clock: cannot resume a clock that is not_started");
  }
  if (s_.state != SlaClockState::kPaused) return absl::OkStatus();
  now = Advance(now);
  s_.state = SlaClockState::kRunning;
  s_.running_since = now;
  Schedule();
  return absl::OkStatus();
}

absl::Status SlaClock::Stop(absl::Time now) {
  if (s_.state == SlaClockState::kNotStarted) {
    return absl::FailedPreconditionError("sla_clock: cannot stop a clock that is not_started");
  }
  if (s_.state == SlaClockState::kStopped) return absl::OkStatus();
  now = Advance(now);
  if (s_.state == SlaClockState::kRunning) {
    Fire(now);  // reached at or before `now`: the stop came too late
    Fold(now);
  }
  s_.state = SlaClockState::kStopped;
  Schedule();
  return absl::OkStatus();
}

void SlaClock::ChangeTarget(absl::Duration new_target, absl::Time now) {
  new_target = std::max(new_target, absl::ZeroDuration());
  if (s_.state == SlaClockState::kNotStarted || s_.state == SlaClockState::kStopped) {
    s_.target = new_target;
    return;
  }
  now = Advance(now);
  if (s_.state == SlaClockState::kRunning) {
    // What the old target reached before `now` happened; the new one counts from `now`.
    Fire(now);
    Fold(now);
    s_.running_since = now;
  }
  s_.target = new_target;
  Schedule();
  Fire(now);
}

absl::Duration SlaClock::Used(absl::Time now) const {
  if (s_.state != SlaClockState::kRunning) return s_.used;
  return s_.used + Elapsed(s_.running_since, std::max(now, s_.last_now));
}

absl::Duration SlaClock::Remaining(absl::Time now) const {
  return std::max(s_.target - Used(now), absl::ZeroDuration());
}

std::optional<absl::Time> SlaClock::Deadline() const {
  if (s_.state != SlaClockState::kRunning || breach_at_ == absl::InfiniteFuture()) {
    return std::nullopt;
  }
  return breach_at_;
}

std::optional<absl::Time> SlaClock::NextEventAt() const {
  if (!s_.undelivered.empty()) return s_.undelivered.front().at;
  if (s_.state != SlaClockState::kRunning) return std::nullopt;
  const absl::Time next = !s_.warned     ? warning_at_
                          : !s_.breached ? breach_at_
                                         : absl::InfiniteFuture();
  if (next == absl::InfiniteFuture()) return std::nullopt;
  return next;
}

std::vector<SlaEvent> SlaClock::Due(absl::Time now) {
  now = Advance(now);
  Fire(now);
  return std::exchange(s_.undelivered, {});
}

}  // namespace servicedesk::tickets
