#include "services/tickets/business_calendar.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace servicedesk::tickets {
namespace {

constexpr const char* kWeekdayNames[7] = {"monday", "tuesday",  "wednesday", "thursday",
                                          "friday", "saturday", "sunday"};

int WeekdayIndex(absl::CivilDay day) { return static_cast<int>(absl::GetWeekday(day)); }

// "08:00", "08:00:30", "24:00": how people write working hours.
std::string TimeOfDay(absl::Duration d) {
  const int64_t seconds = absl::ToInt64Seconds(d);
  if (seconds % 60 != 0) {
    return absl::StrFormat("%02d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60);
  }
  return absl::StrFormat("%02d:%02d", seconds / 3600, seconds / 60 % 60);
}

std::string SpanField(int weekday, size_t index) {
  return absl::StrCat("calendar.hours[", kWeekdayNames[weekday], "][", index, "]");
}

bool WholeSeconds(absl::Duration d) { return d % absl::Seconds(1) == absl::ZeroDuration(); }

}  // namespace

BusinessCalendarConfig WeekdayHours(absl::TimeZone zone, absl::Duration start, absl::Duration end) {
  BusinessCalendarConfig config;
  config.zone = zone;
  for (int weekday = 0; weekday < 5; ++weekday) config.hours[weekday].push_back({start, end});
  return config;
}

absl::Status ValidateCalendar(const BusinessCalendarConfig& config) {
  bool any_working_time = false;
  for (int weekday = 0; weekday < 7; ++weekday) {
    const std::vector<WorkingSpan>& spans = config.hours[weekday];
    for (size_t i = 0; i < spans.size(); ++i) {
      const WorkingSpan& span = spans[i];
      if (span.start < absl::ZeroDuration() || span.start >= absl::Hours(24)) {
        return absl::InvalidArgumentError(absl::StrCat(
            SpanField(weekday, i), ".start: must be within the day (00:00 to 24:00), got ",
            absl::FormatDuration(span.start)));
      }
      if (span.end <= absl::ZeroDuration() || span.end > absl::Hours(24)) {
        return absl::InvalidArgumentError(absl::StrCat(
            SpanField(weekday, i), ".end: must be within the day (00:00 to 24:00), got ",
            absl::FormatDuration(span.end)));
      }
      if (!WholeSeconds(span.start)) {
        return absl::InvalidArgumentError(absl::StrCat(SpanField(weekday, i),
                                                       ".start: must be whole seconds, got ",
                                                       absl::FormatDuration(span.start)));
      }
      if (!WholeSeconds(span.end)) {
        return absl::InvalidArgumentError(absl::StrCat(SpanField(weekday, i),
                                                       ".end: must be whole seconds, got ",
                                                       absl::FormatDuration(span.end)));
      }
      if (span.end <= span.start) {
        return absl::InvalidArgumentError(
            absl::StrCat(SpanField(weekday, i), ".end: must be after start (",
                         TimeOfDay(span.start), "), got ", TimeOfDay(span.end)));
      }
      // Quadratic, but a day has a handful of spans; it names both spans of an overlap.
      for (size_t j = 0; j < i; ++j) {
        if (spans[j].start < span.end && span.start < spans[j].end) {
          return absl::InvalidArgumentError(
              absl::StrCat(SpanField(weekday, i), ": overlaps ", SpanField(weekday, j), " (",
                           TimeOfDay(spans[j].start), "-", TimeOfDay(spans[j].end), ")"));
        }
      }
      any_working_time = true;
    }
  }
  if (!any_working_time) {
    // Without working time an SLA deadline would never come: refuse it here rather than
    // loop forever looking for the next working span.
    return absl::InvalidArgumentError("calendar.hours: no working time in the week");
  }
  return absl::OkStatus();
}

absl::StatusOr<BusinessCalendar> BusinessCalendar::Create(BusinessCalendarConfig config) {
  if (absl::Status status = ValidateCalendar(config); !status.ok()) return status;
  return BusinessCalendar(std::move(config));
}

BusinessCalendar::BusinessCalendar(BusinessCalendarConfig config) : config_(std::move(config)) {
  for (int weekday = 0; weekday < 7; ++weekday) {
    std::vector<Span> spans;
    for (const WorkingSpan& span : config_.hours[weekday]) {
      spans.push_back({absl::ToInt64Seconds(span.start), absl::ToInt64Seconds(span.end)});
      week_nominal_ += span.end - span.start;
    }
    std::sort(spans.begin(), spans.end(),
              [](const Span& a, const Span& b) { return a.start < b.start; });
    // Touching spans become one, so that an instant at their junction is inside one span.
    for (const Span& span : spans) {
      if (!spans_[weekday].empty() && spans_[weekday].back().end == span.start) {
        spans_[weekday].back().end = span.end;
      } else {
        spans_[weekday].push_back(span);
      }
    }
  }
  holidays_ = config_.holidays;
  std::sort(holidays_.begin(), holidays_.end());
  holidays_.erase(std::unique(holidays_.begin(), holidays_.end()), holidays_.end());
}

absl::Time BusinessCalendar::LocalToTime(absl::CivilSecond local) const {
  const absl::TimeZone::TimeInfo info = config_.zone.At(local);
  // `pre` of a skipped time lies after the change (02:30 -> 03:30), which would put a span
  // [02:30, 03:00) after its own end; the instant of the change keeps the order.
  return info.kind == absl::TimeZone::TimeInfo::SKIPPED ? info.trans : info.pre;
}

BusinessCalendar::Interval BusinessCalendar::ToInterval(absl::CivilDay day,
                                                        const Span& span) const {
  const absl::CivilSecond midnight(day);
  return {LocalToTime(midnight + span.start), LocalToTime(midnight + span.end)};
}

const std::vector<BusinessCalendar::Span>& BusinessCalendar::SpansOf(absl::CivilDay day) const {
  static const std::vector<Span> kNone;
  if (std::binary_search(holidays_.begin(), holidays_.end(), day)) return kNone;
  return spans_[WeekdayIndex(day)];
}

int64_t BusinessCalendar::PeriodicWeeks(absl::CivilDay day, int64_t max_weeks) const {
  int64_t weeks = max_weeks;
  if (weeks <= 0) return 0;
  // A holiday takes its day's working time away: stop the block before it.
  const auto holiday = std::lower_bound(holidays_.begin(), holidays_.end(), day);
  if (holiday != holidays_.end()) weeks = std::min<int64_t>(weeks, (*holiday - day) / 7);
  if (weeks <= 0) return 0;
  // An offset change (DST) makes a span longer or shorter: stop the block a day before the
  // first change found after two days before `day`. The margins make the test conservative
  // whatever the zone's offsets and the hour of the change.
  absl::TimeZone::CivilTransition change;
  if (config_.zone.NextTransition(LocalToTime(absl::CivilSecond(day - 2)), &change)) {
    const absl::CivilDay changed(std::min(change.from, change.to));
    const int64_t clean_days = changed - day - 1;
    weeks = clean_days < 0 ? 0 : std::min<int64_t>(weeks, clean_days / 7);
  } else {
    // No listed change (a fixed zone, or beyond the zone's table): check that the offset is
    // the same at both ends of the block.
    const absl::CivilDay end = day + 7 * weeks + 1;
    if (config_.zone.At(LocalToTime(absl::CivilSecond(day - 1))).offset !=
        config_.zone.At(LocalToTime(absl::CivilSecond(end))).offset) {
      return 0;
    }
  }
  return weeks;
}

absl::Duration BusinessCalendar::WorkingTimeBetween(absl::Time from, absl::Time to) const {
  if (to <= from) return absl::ZeroDuration();
  if (from == absl::InfinitePast() || to == absl::InfiniteFuture()) {
    return absl::InfiniteDuration();
  }
  const absl::CivilDay first(config_.zone.At(from).cs);
  // One day more than the day of `to`: in a zone that falls back across midnight, spans of
  // the next local day can begin before `to`. Clamping makes the extra day harmless.
  const absl::CivilDay last = absl::CivilDay(config_.zone.At(to).cs) + 1;
  absl::Duration total;
  for (absl::CivilDay day = first; day <= last; ++day) {
    if (day > first) {
      // Whole weeks that end by `last`: entirely inside [from, to).
      const int64_t weeks = PeriodicWeeks(day, (last - day - 1) / 7);
      total += week_nominal_ * weeks;
      day += 7 * weeks;
    }
    for (const Span& span : SpansOf(day)) {
      const Interval interval = ToInterval(day, span);
      const absl::Time start = std::max(interval.start, from);
      const absl::Time end = std::min(interval.end, to);
      if (start < end) total += end - start;
    }
  }
  return total;
}

absl::Time BusinessCalendar::AddWorkingTime(absl::Time from, absl::Duration d) const {
  if (d <= absl::ZeroDuration() || from == absl::InfiniteFuture() || from == absl::InfinitePast()) {
    return from;
  }
  if (d == absl::InfiniteDuration()) return absl::InfiniteFuture();
  absl::Duration remaining = d;
  const absl::CivilDay first(config_.zone.At(from).cs);
  // Terminates: every week without a holiday holds working time (ValidateCalendar), and
  // there are finitely many holidays.
  for (absl::CivilDay day = first;; ++day) {
    if (day > first && remaining > week_nominal_) {
      // Leave some time to count in the spans, so that the answer is inside a span (at
      // its end at the latest), never at a week boundary between spans.
      absl::Duration unused;
      const int64_t weeks = PeriodicWeeks(
          day, absl::IDivDuration(remaining - absl::Nanoseconds(1), week_nominal_, &unused));
      remaining -= week_nominal_ * weeks;
      day += 7 * weeks;
    }
    for (const Span& span : SpansOf(day)) {
      const Interval interval = ToInterval(day, span);
      const absl::Time start = std::max(interval.start, from);
      if (start >= interval.end) continue;
      const absl::Duration length = interval.end - start;
      if (remaining <= length) return start + remaining;
      remaining -= length;
    }
  }
}

bool BusinessCalendar::IsWorkingTime(absl::Time t) const {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return false;
  const absl::CivilDay day(config_.zone.At(t).cs);
  // The next day too, for zones that fall back across midnight (see WorkingTimeBetween).
  for (const absl::CivilDay d : {day, day + 1}) {
    for (const Span& span : SpansOf(d)) {
      const Interval interval = ToInterval(d, span);
      if (interval.start <= t && t < interval.end) return true;
    }
  }
  return false;
}

}  // namespace servicedesk::tickets
