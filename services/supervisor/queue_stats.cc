#include "services/supervisor/queue_stats.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"

namespace servicedesk::supervisor {
namespace {

absl::Duration NotNegative(absl::Duration d) { return std::max(d, absl::ZeroDuration()); }

Figure Ratio(std::string name, std::string formula, double numerator, double denominator) {
  Figure figure;
  figure.name = std::move(name);
  figure.formula = std::move(formula);
  if (denominator > 0) {
    figure.value = numerator / denominator;
    figure.defined = true;
  }
  return figure;
}

Figure Average(std::string name, std::string formula, absl::Duration total, int64_t count) {
  return Ratio(std::move(name), std::move(formula), absl::ToDoubleSeconds(total),
               static_cast<double>(count));
}

}  // namespace

absl::Status ValidateOptions(const QueueStatsOptions& options) {
  if (options.interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("interval must be positive, got ", absl::FormatDuration(options.interval)));
  }
  if (options.default_threshold < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("default_threshold must not be negative, got ",
                     absl::FormatDuration(options.default_threshold)));
  }
  if (options.default_short_abandon < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("default_short_abandon must not be negative, got ",
                     absl::FormatDuration(options.default_short_abandon)));
  }
  if (options.max_closed_intervals <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_closed_intervals must be positive, got ", options.max_closed_intervals));
  }
  return absl::OkStatus();
}

Counters& Counters::operator+=(const Counters& other) {
  offered += other.offered;
  offered_callbacks += other.offered_callbacks;
  answered += other.answered;
  answered_within_t += other.answered_within_t;
  abandoned += other.abandoned;
  abandoned_within_t += other.abandoned_within_t;
  abandoned_within_short += other.abandoned_within_short;
  abandoned_callbacks += other.abandoned_callbacks;
  answered_wait_total += other.answered_wait_total;
  abandoned_wait_total += other.abandoned_wait_total;
  longest_answered_wait = std::max(longest_answered_wait, other.longest_answered_wait);
  handled += other.handled;
  talk_total += other.talk_total;
  hold_total += other.hold_total;
  wrap_up_total += other.wrap_up_total;
  return *this;
}

std::vector<Figure> ComputeFigures(const Counters& c) {
  const auto d = [](int64_t n) { return static_cast<double>(n); };
  const double answered_in_t = d(c.answered_within_t);
  const double answered_or_abandoned = d(c.answered) + d(c.abandoned);
  std::vector<Figure> figures;
  figures.reserve(11);
  figures.push_back(
      Ratio("service_level_1", "answered<=T / answered", answered_in_t, d(c.answered)));
  figures.push_back(Ratio("service_level_2", "answered<=T / (answered + abandoned)", answered_in_t,
                          answered_or_abandoned));
  figures.push_back(Ratio("service_level_3",
                          "(answered<=T + abandoned<=T) / (answered + abandoned)",
                          answered_in_t + d(c.abandoned_within_t), answered_or_abandoned));
  figures.push_back(Ratio("service_level_4", "answered<=T / (answered + abandoned>T)",
                          answered_in_t, d(c.answered) + d(c.abandoned - c.abandoned_within_t)));
  figures.push_back(Ratio("service_level_5", "answered<=T / (answered + abandoned>S)",
                          answered_in_t,
                          d(c.answered) + d(c.abandoned - c.abandoned_within_short)));
  figures.push_back(Average("asa", "answered wait / answered", c.answered_wait_total, c.answered));
  figures.push_back(Average("aht", "(talk + hold + wrap-up) / handled",
                            c.talk_total + c.hold_total + c.wrap_up_total, c.handled));
  figures.push_back(Ratio("abandon_rate", "abandoned / offered", d(c.abandoned), d(c.offered)));
  figures.push_back(
      Ratio("abandon_rate_excluding_short", "(abandoned - abandoned<=S) / (offered - abandoned<=S)",
            d(c.abandoned - c.abandoned_within_short), d(c.offered - c.abandoned_within_short)));
  figures.push_back(Ratio("abandon_rate_excluding_callbacks",
                          "(abandoned - abandoned callbacks) / (offered - offered callbacks)",
                          d(c.abandoned - c.abandoned_callbacks),
                          d(c.offered - c.offered_callbacks)));
  figures.push_back(Average("average_abandon_time", "abandoned wait / abandoned",
                            c.abandoned_wait_total, c.abandoned));
  return figures;
}

const Figure* FindFigure(const std::vector<Figure>& figures, std::string_view name) {
  for (const Figure& figure : figures) {
    if (figure.name == name) return &figure;
  }
  return nullptr;
}

QueueStats::QueueStats(QueueStatsOptions options) : options_(std::move(options)) {
  if (const absl::Status status = ValidateOptions(options_); !status.ok()) {
    std::fprintf(stderr, "servicedesk: invalid QueueStatsOptions: %s\n", status.ToString().c_str());
    std::abort();
  }
}

QueueStats::QueueState& QueueStats::State(const std::string& queue) {
  auto [it, inserted] = queues_.try_emplace(queue);
  if (inserted) {
    it->second.threshold = options_.default_threshold;
    it->second.short_abandon = options_.default_short_abandon;
  }
  return it->second;
}

void QueueStats::SetThresholds(const std::string& queue, absl::Duration threshold,
                               absl::Duration short_abandon) {
  QueueState& state = State(queue);
  state.threshold = NotNegative(threshold);
  state.short_abandon = NotNegative(short_abandon);
}

// Invariant after an event at (effective) time t: the open interval and the open day both
// contain t, so the open interval lies within the open day (intervals never span midnight).
// Between events the open interval may have been taken; then closed_until, its end, lies
// in the open day, and so does any later effective time before the day's end.
QueueStats::QueueState* QueueStats::Advance(const std::string& queue, absl::Time at) {
  if (at == absl::InfinitePast() || at == absl::InfiniteFuture()) {
    ++ignored_events_;
    return nullptr;
  }
  QueueState& state = State(queue);
  // A late event counts in the open interval, or in the first one not yet taken.
  const absl::Time t =
      std::max(at, state.interval.has_value() ? state.interval->start : state.closed_until);
  if (state.interval.has_value() && t >= state.interval->end) CloseInterval(state);
  if (!state.interval.has_value()) state.interval = IntervalContaining(t);
  if (!state.day.has_value() || t >= state.day->end) state.day = DayContaining(t);
  return &state;
}

void QueueStats::CloseInterval(QueueState& state) {
  if (static_cast<int64_t>(state.closed.size()) >= options_.max_closed_intervals) {
    state.closed.pop_front();
    ++dropped_closed_intervals_;
  }
  state.closed_until = state.interval->end;
  state.closed.push_back({std::move(*state.interval), state.threshold, state.short_abandon});
  state.interval.reset();
}

void QueueStats::Offered(const std::string& queue, absl::Time at, bool callback) {
  QueueState* state = Advance(queue, at);
  if (state == nullptr) return;
  for (Counters* c : {&state->interval->counters, &state->day->counters}) {
    ++c->offered;
    if (callback) ++c->offered_callbacks;
  }
}

void QueueStats::Answered(const std::string& queue, absl::Time at, absl::Duration waited) {
  QueueState* state = Advance(queue, at);
  if (state == nullptr) return;
  waited = NotNegative(waited);
  const bool within_t = waited <= state->threshold;
  for (Counters* c : {&state->interval->counters, &state->day->counters}) {
    ++c->answered;
    if (within_t) ++c->answered_within_t;
    c->answered_wait_total += waited;
    c->longest_answered_wait = std::max(c->longest_answered_wait, waited);
  }
}

void QueueStats::Abandoned(const std::string& queue, absl::Time at, absl::Duration waited,
                           bool callback) {
  QueueState* state = Advance(queue, at);
  if (state == nullptr) return;
  waited = NotNegative(waited);
  const bool within_t = waited <= state->threshold;
  const bool within_short = waited <= state->short_abandon;
  for (Counters* c : {&state->interval->counters, &state->day->counters}) {
    ++c->abandoned;
    if (within_t) ++c->abandoned_within_t;
    if (within_short) ++c->abandoned_within_short;
    if (callback) ++c->abandoned_callbacks;
    c->abandoned_wait_total += waited;
  }
}

void QueueStats::Handled(const std::string& queue, absl::Time at, absl::Duration talk,
                         absl::Duration hold, absl::Duration wrap_up) {
  QueueState* state = Advance(queue, at);
  if (state == nullptr) return;
  for (Counters* c : {&state->interval->counters, &state->day->counters}) {
    ++c->handled;
    c->talk_total += NotNegative(talk);
    c->hold_total += NotNegative(hold);
    c->wrap_up_total += NotNegative(wrap_up);
  }
}

// The first instant of a civil day: its midnight, or, when the zone skips midnight, the
// transition that skips it. For a repeated midnight, the first one.
absl::Time QueueStats::DayStart(absl::CivilDay day) const {
  const absl::TimeZone::TimeInfo info = options_.zone.At(absl::CivilSecond(day));
  return info.kind == absl::TimeZone::TimeInfo::SKIPPED ? info.trans : info.pre;
}

QueueStats::Period QueueStats::DayContaining(absl::Time t) const {
  const absl::CivilDay day = absl::ToCivilDay(t, options_.zone);
  return Period{DayStart(day), DayStart(day + 1), {}};
}

QueueStats::Period QueueStats::IntervalContaining(absl::Time t) const {
  const Period day = DayContaining(t);
  absl::Duration remainder;
  const int64_t index = absl::IDivDuration(t - day.start, options_.interval, &remainder);
  const absl::Time start = day.start + index * options_.interval;
  return Period{start, std::min(start + options_.interval, day.end), {}};
}

QueueFigures QueueStats::MakeFigures(const std::string& queue, const Period& period,
                                     absl::Duration threshold, absl::Duration short_abandon) const {
  QueueFigures figures;
  figures.queue = queue;
  figures.period_start = period.start;
  figures.period_end = period.end;
  figures.counters = period.counters;
  figures.threshold = threshold;
  figures.short_abandon = short_abandon;
  figures.figures = ComputeFigures(period.counters);
  return figures;
}

QueueFigures QueueStats::OpenPeriodFigures(const std::string& queue, Period period,
                                           std::optional<Period> QueueState::*open) const {
  absl::Duration threshold = options_.default_threshold;
  absl::Duration short_abandon = options_.default_short_abandon;
  if (auto it = queues_.find(queue); it != queues_.end()) {
    const QueueState& state = it->second;
    threshold = state.threshold;
    short_abandon = state.short_abandon;
    const std::optional<Period>& current = state.*open;
    if (current.has_value() && current->start == period.start) period.counters = current->counters;
  }
  return MakeFigures(queue, period, threshold, short_abandon);
}

QueueFigures QueueStats::CurrentInterval(const std::string& queue, absl::Time now) const {
  return OpenPeriodFigures(queue, IntervalContaining(now), &QueueState::interval);
}

QueueFigures QueueStats::Today(const std::string& queue, absl::Time now) const {
  return OpenPeriodFigures(queue, DayContaining(now), &QueueState::day);
}

std::vector<QueueFigures> QueueStats::TakeClosedIntervals(absl::Time now) {
  std::vector<QueueFigures> taken;
  for (const std::string& queue : Queues()) {
    QueueState& state = queues_.find(queue)->second;
    if (state.interval.has_value() && state.interval->end <= now) CloseInterval(state);
    while (!state.closed.empty() && state.closed.front().period.end <= now) {
      const ClosedInterval& closed = state.closed.front();
      taken.push_back(MakeFigures(queue, closed.period, closed.threshold, closed.short_abandon));
      state.closed.pop_front();
    }
  }
  return taken;
}

std::optional<QueueStats::OpenInterval> QueueStats::OpenIntervalOf(const std::string& queue) const {
  auto it = queues_.find(queue);
  if (it == queues_.end() || !it->second.interval.has_value()) return std::nullopt;
  const QueueState& state = it->second;
  return OpenInterval{state.interval->start, state.interval->end, state.interval->counters, state.threshold,
                      state.short_abandon};
}

void QueueStats::Restore(const std::string& queue, absl::Time start, absl::Time end, const Counters& counters,
                         absl::Time now) {
  QueueState& state = State(queue);
  const Period day = DayContaining(now);
  const Period current = IntervalContaining(now);
  if (start >= day.start && start < day.end) {
    if (!state.day.has_value() || state.day->start != day.start) state.day = day;
    state.day->counters += counters;
  }
  if (start == current.start) {
    // The interval as configured now (the stored row may be of another length).
    if (!state.interval.has_value() || state.interval->start != start) state.interval = current;
    state.interval->counters += counters;
  } else if (end <= current.start) {
    state.closed_until = std::max(state.closed_until, end);
  }
}

std::vector<std::string> QueueStats::Queues() const {
  std::vector<std::string> names;
  names.reserve(queues_.size());
  for (const auto& [name, state] : queues_) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace servicedesk::supervisor
