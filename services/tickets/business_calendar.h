#pragma once

// Working hours for SLA clocks that count in business time: a weekly pattern of local
// working spans in a time zone, minus holidays.
//
// A span is [start, end) of local time on one weekday, e.g. Monday 08:00-18:00. A span that
// runs past midnight is written as two spans (Monday 22:00-24:00 and Tuesday 00:00-06:00).
// A holiday is a local calendar day with no working time at all.
//
// Local times become instants in the zone (absl civil-time conversions), so a span keeps its
// local hours across daylight-saving changes: 08:00-18:00 stays 08:00-18:00, and a span that
// contains the change (e.g. Sunday 00:00-06:00 in Europe/Berlin) is an hour shorter on the
// spring-forward day and an hour longer on the fall-back day. A span boundary that falls in
// a skipped hour means the instant of the change; one that falls in a repeated hour means its
// first occurrence.
//
// "Calendar time" (every instant counts) is not a BusinessCalendar: the SLA clock takes a
// null calendar for it.
//
// Cost: both computations walk local days, but skip whole weeks at once (a week without a
// holiday or an offset change holds exactly WeeklyWorkingTime()), so a year-long target costs
// a few dozen days of work, not hundreds.
//
// Thread safety: immutable after Create; const methods are safe from any thread.

#include <array>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace servicedesk::tickets {

// [start, end) of local time within one day, as offsets from local midnight.
struct WorkingSpan {
  absl::Duration start;  // 0 <= start < end, whole seconds
  absl::Duration end;    // end <= 24h, whole seconds
};

struct BusinessCalendarConfig {
  // Default: UTC.
  absl::TimeZone zone = absl::UTCTimeZone();
  // Working spans per weekday, indexed like absl::Weekday: [0] Monday ... [6] Sunday. Spans of
  // one day must not overlap (touching is fine); their order does not matter.
  // Default: none (invalid: a calendar needs some working time).
  std::array<std::vector<WorkingSpan>, 7> hours;
  // Local days without working time. Order and duplicates do not matter.
  std::vector<absl::CivilDay> holidays;
};

// Monday to Friday [start, end) in `zone`, no holidays: the common case.
BusinessCalendarConfig WeekdayHours(absl::TimeZone zone, absl::Duration start, absl::Duration end);

// OK, or INVALID_ARGUMENT naming the field:
//   "calendar.hours[monday][1].end: must be after start (12:00), got 09:00"
//   "calendar.hours[monday][1]: overlaps calendar.hours[monday][0] (08:00-12:00)"
//   "calendar.hours: no working time in the week"
absl::Status ValidateCalendar(const BusinessCalendarConfig& config);

class BusinessCalendar {
 public:
  // The calendar, or the error of ValidateCalendar.
  static absl::StatusOr<BusinessCalendar> Create(BusinessCalendarConfig config);

  // The working time in [from, to): zero when to <= from; infinite when either end is.
  absl::Duration WorkingTimeBetween(absl::Time from, absl::Time to) const;

  // The earliest instant t >= from with WorkingTimeBetween(from, t) == d: the instant when
  // `d` of working time has passed after `from`. When `from` is outside working hours,
  // counting starts at the next working span. `d` <= 0 gives `from`; an infinite `d` gives
  // InfiniteFuture(). So WorkingTimeBetween(from, AddWorkingTime(from, d)) == d, and
  // AddWorkingTime(from, WorkingTimeBetween(from, to)) <= to (equal when `to` is inside a
  // working span or at its end; at a span's start it gives the previous span's end).
  absl::Time AddWorkingTime(absl::Time from, absl::Duration d) const;

  // Whether `t` is inside a working span (not a holiday).
  bool IsWorkingTime(absl::Time t) const;

  // The working time of a week without holidays or offset changes.
  absl::Duration WeeklyWorkingTime() const { return week_nominal_; }

  const BusinessCalendarConfig& config() const { return config_; }

 private:
  // A span in whole seconds from local midnight.
  struct Span {
    int64_t start;
    int64_t end;
  };
  struct Interval {
    absl::Time start;
    absl::Time end;
  };

  explicit BusinessCalendar(BusinessCalendarConfig config);

  // The instant of a local time: the first occurrence of a repeated one, the instant of the
  // change for a skipped one. Never decreasing as the local time increases.
  absl::Time LocalToTime(absl::CivilSecond local) const;
  Interval ToInterval(absl::CivilDay day, const Span& span) const;
  // The spans of `day` (none on a holiday), in order.
  const std::vector<Span>& SpansOf(absl::CivilDay day) const;
  // How many whole weeks, at most `max_weeks`, starting at local midnight of `day` hold
  // exactly week_nominal_ each: no holiday in them and no change of the zone's offset near
  // them. Conservative: it may answer fewer weeks than possible, never more.
  int64_t PeriodicWeeks(absl::CivilDay day, int64_t max_weeks) const;

  BusinessCalendarConfig config_;
  std::array<std::vector<Span>, 7> spans_;  // by weekday, sorted, touching spans merged
  std::vector<absl::CivilDay> holidays_;    // sorted, unique
  absl::Duration week_nominal_;
};

}  // namespace servicedesk::tickets
