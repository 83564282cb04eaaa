#pragma once

// Per-queue contact-center counters for supervisors, kept incrementally: each event costs
// O(1) (a hash lookup and a few additions; the time zone is consulted only when a period
// rolls over). Figures are computed from the counters on demand, with the formulas of
// REFERENCE.md ("Service level: the variants", "Other figures"); every figure carries its
// formula so that a screen or a report can say which variant it shows.
//
// Periods. Days are calendar days in `QueueStatsOptions::zone` (from one local midnight to
// the next, 23 or 25 hours on a daylight-saving change). Intervals are `interval` long,
// counted from the local midnight; an interval never spans two days (the last one of a day
// is cut at midnight when `interval` does not divide the day).
//
// Attribution. An event counts in the interval and the day containing its `at` time, e.g. a
// call offered at 09:14 and answered at 09:16 is offered in the 09:00 interval and answered
// in the 09:15 one (so an interval's abandon rate, say, is not bounded by 1). Per queue
// there is one open interval and one open day:
//   - an event after the open interval closes it (it waits for TakeClosedIntervals) and
//     opens the interval containing the event; intervals in which nothing happened are
//     never opened and so never listed (their counters are all zero);
//   - an event before the open interval (late: a delayed CTI message, a clock step) counts
//     in the open interval, and, when the open interval was already taken, in the first
//     interval not yet taken: a taken interval is never reopened. Likewise for days.
//
// Inputs are not trusted: a negative duration counts as zero, and an event at an infinite
// time is not counted (IgnoredEvents() says how many were not).
//
// Memory per queue is bounded: the open interval, the open day and at most
// `max_closed_intervals` closed intervals (the oldest are dropped first; see
// DroppedClosedIntervals()). The number of queues is the caller's: every queue name seen
// is kept.
//
// Threading: not thread-safe; the desk loop owns it.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"

namespace servicedesk::supervisor {

struct QueueStatsOptions {
  // Length of a reporting interval, counted from local midnight. Must be positive.
  // Default: 15 minutes (96 intervals a day).
  absl::Duration interval = absl::Minutes(15);
  // The zone that decides "today" and the interval boundaries. Default: UTC.
  absl::TimeZone zone = absl::UTCTimeZone();
  // Thresholds of a queue that SetThresholds was not called for. Must not be negative.
  // Default: T = 20 s, S = 5 s.
  absl::Duration default_threshold = absl::Seconds(20);
  absl::Duration default_short_abandon = absl::Seconds(5);
  // Closed intervals kept per queue until TakeClosedIntervals; beyond this the oldest is
  // dropped. Must be positive. Default: a week of 15-minute intervals.
  int max_closed_intervals = 96 * 7;
};

// OK, or InvalidArgument naming the offending field. The QueueStats constructor requires
// valid options (it aborts otherwise: validate configuration with this first).
absl::Status ValidateOptions(const QueueStatsOptions& options);

// Raw counters of one period (an interval or a day). Plain data, additive (operator+=).
// "Within T" means wait <= T: a call answered exactly at T counts as within T.
struct Counters {
  int64_t offered = 0;            // contacts that entered the queue
  int64_t offered_callbacks = 0;  // of which callbacks
  int64_t answered = 0;
  int64_t answered_within_t = 0;        // wait <= T
  int64_t abandoned = 0;                // left the queue unanswered
  int64_t abandoned_within_t = 0;       // wait <= T
  int64_t abandoned_within_short = 0;   // wait <= S: the short abandons
  int64_t abandoned_callbacks = 0;      // abandoned contacts that were callbacks
  absl::Duration answered_wait_total;   // queue wait of the answered contacts (ASA)
  absl::Duration abandoned_wait_total;  // queue wait of the abandoned ones (average abandon time)
  absl::Duration longest_answered_wait;
  int64_t handled = 0;  // contacts whose handling (talk to wrap-up) ended
  absl::Duration talk_total;
  absl::Duration hold_total;
  absl::Duration wrap_up_total;

  // Sums every field, except longest_answered_wait which takes the larger.
  Counters& operator+=(const Counters& other);
  bool operator==(const Counters& other) const = default;
};

// One computed figure. `value` is a ratio in [0, 1] for the rates and service levels (it
// may exceed 1 in an interval, see Attribution above) and seconds for durations.
// `defined` is false, and `value` 0, when the denominator is not positive.
struct Figure {
  std::string name;     // e.g. "service_level_1"
  std::string formula;  // e.g. "answered<=T / answered"
  double value = 0;
  bool defined = false;
};

// The figures, in this order (T: threshold, S: short-abandon threshold):
//   service_level_1                   answered<=T / answered
//   service_level_2                   answered<=T / (answered + abandoned)
//   service_level_3                   (answered<=T + abandoned<=T) / (answered + abandoned)
//   service_level_4                   answered<=T / (answered + abandoned>T)
//   service_level_5                   answered<=T / (answered + abandoned>S)
//   asa                               answered wait / answered                       (seconds)
//   aht                               (talk + hold + wrap-up) / handled              (seconds)
//   abandon_rate                      abandoned / offered
//   abandon_rate_excluding_short      (abandoned - abandoned<=S) / (offered - abandoned<=S)
//   abandon_rate_excluding_callbacks  (abandoned - abandoned callbacks) /
//                                     (offered - offered callbacks)
//   average_abandon_time              abandoned wait / abandoned                     (seconds)
// where abandoned>T = abandoned - abandoned<=T and abandoned>S = abandoned - abandoned<=S.
std::vector<Figure> ComputeFigures(const Counters& counters);

// The figure called `name`, or nullptr.
const Figure* FindFigure(const std::vector<Figure>& figures, std::string_view name);

struct QueueFigures {
  std::string queue;
  absl::Time period_start;  // inclusive
  absl::Time period_end;    // exclusive
  Counters counters;
  // The queue's thresholds when the figures were taken (for a closed interval: when it
  // closed). A change applies to the events that follow it.
  absl::Duration threshold;      // T
  absl::Duration short_abandon;  // S
  std::vector<Figure> figures;   // ComputeFigures(counters)
};

class QueueStats {
 public:
  // Requires ValidateOptions(options).ok().
  explicit QueueStats(QueueStatsOptions options = {});

  // The thresholds of `queue` from now on (negative values count as zero). A queue that was
  // never configured uses the options' defaults.
  void SetThresholds(const std::string& queue, absl::Duration threshold,
                     absl::Duration short_abandon);

  // The events. `at` is when it happened; `waited` the time the contact spent in the queue.
  void Offered(const std::string& queue, absl::Time at, bool callback = false);
  void Answered(const std::string& queue, absl::Time at, absl::Duration waited);
  void Abandoned(const std::string& queue, absl::Time at, absl::Duration waited,
                 bool callback = false);
  // A contact's handling ended (after wrap-up), at `at`.
  void Handled(const std::string& queue, absl::Time at, absl::Duration talk, absl::Duration hold,
               absl::Duration wrap_up);

  // Figures of the interval, and of the calendar day, containing `now`. When `now` is not in
  // the queue's open interval (or day), e.g. nothing happened in it yet, or the queue is
  // unknown, the counters are zero.
  QueueFigures CurrentInterval(const std::string& queue, absl::Time now) const;
  QueueFigures Today(const std::string& queue, absl::Time now) const;

  // The closed intervals that ended at or before `now` and were not taken yet, for
  // persisting the interval history; they are forgotten here. An open interval that ended
  // at or before `now` is closed first. Ordered by queue name, then by time; each interval
  // is returned once.
  std::vector<QueueFigures> TakeClosedIntervals(absl::Time now);

  // The queue's open interval as it is now (to persist it with the event that changed it),
  // or nullopt when the queue has none.
  struct OpenInterval {
    absl::Time start;
    absl::Time end;
    Counters counters;
    absl::Duration threshold;
    absl::Duration short_abandon;
  };
  std::optional<OpenInterval> OpenIntervalOf(const std::string& queue) const;

  // After a restart, one stored interval of `queue` (in any order): an interval of the day
  // containing `now` counts in today; the one containing `now` is the open interval again;
  // an earlier one counts as taken (a late event never counts in it again). Later ones (a
  // clock set back) only count in today.
  void Restore(const std::string& queue, absl::Time start, absl::Time end, const Counters& counters,
               absl::Time now);

  // The start of the interval containing `t`.
  absl::Time IntervalStart(absl::Time t) const { return IntervalContaining(t).start; }

  // The queues seen in an event or configured, sorted.
  std::vector<std::string> Queues() const;

  // Closed intervals dropped (all queues) because max_closed_intervals were waiting.
  int64_t DroppedClosedIntervals() const { return dropped_closed_intervals_; }
  // Events not counted because their time was infinite.
  int64_t IgnoredEvents() const { return ignored_events_; }

 private:
  struct Period {
    absl::Time start;
    absl::Time end;
    Counters counters;
  };
  struct ClosedInterval {
    Period period;
    absl::Duration threshold;
    absl::Duration short_abandon;
  };
  struct QueueState {
    absl::Duration threshold;
    absl::Duration short_abandon;
    std::optional<Period> interval;  // the open interval
    std::optional<Period> day;       // the open day
    // End of the last closed interval: later events never count before it.
    absl::Time closed_until = absl::InfinitePast();
    std::deque<ClosedInterval> closed;  // oldest first, at most max_closed_intervals
  };

  QueueState& State(const std::string& queue);
  // Rolls the queue's periods over to `at` (or counts a late event in the open ones) and
  // returns the queue's state, or nullptr when the event is not to be counted.
  QueueState* Advance(const std::string& queue, absl::Time at);
  void CloseInterval(QueueState& state);

  absl::Time DayStart(absl::CivilDay day) const;
  Period DayContaining(absl::Time t) const;
  Period IntervalContaining(absl::Time t) const;
  // The figures of `period` from the queue's open period `open` (interval or day) when it is
  // that period, else zero counters.
  QueueFigures OpenPeriodFigures(const std::string& queue, Period period,
                                 std::optional<Period> QueueState::*open) const;
  QueueFigures MakeFigures(const std::string& queue, const Period& period, absl::Duration threshold,
                           absl::Duration short_abandon) const;

  QueueStatsOptions options_;
  absl::flat_hash_map<std::string, QueueState> queues_;
  int64_t dropped_closed_intervals_ = 0;
  int64_t ignored_events_ = 0;
};

}  // namespace servicedesk::supervisor
