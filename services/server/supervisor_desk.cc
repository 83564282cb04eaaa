#include "services/server/supervisor_desk.h"

#include <algorithm>

#include "absl/container/inlined_vector.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/page_token.h"
#include "services/server/routing_proto.h"

namespace servicedesk::server {

namespace {

supervisor::QueueStatsOptions OptionsFrom(const SupervisorConfig& config) {
  supervisor::QueueStatsOptions options;
  options.interval = absl::Minutes(config.interval_minutes);
  if (!absl::LoadTimeZone(config.time_zone, &options.zone)) options.zone = absl::UTCTimeZone();
  options.default_short_abandon = absl::Seconds(config.short_abandon_seconds);
  // Every interval's row is stored with the events that changed it: the closed ones need not
  // wait in memory for anyone.
  options.max_closed_intervals = 1;
  return options;
}

bool IsVoice(routing::Channel channel) {
  return channel == routing::Channel::kCall || channel == routing::Channel::kCallback ||
         channel == routing::Channel::kOutbound;
}

// Overflow into a queue's widened skill requirement waits in "<queue>~widened": for the
// supervisor it is still the queue's.
std::string BoardQueue(std::string_view queue) {
  constexpr std::string_view kWidened = "~widened";
  if (queue.ends_with(kWidened)) queue.remove_suffix(kWidened.size());
  return std::string(queue);
}

void FillCounters(absl::Time start, absl::Time end, absl::Duration threshold, absl::Duration short_abandon,
                  const supervisor::Counters& c, v1::PeriodStatistics* out) {
  *out->mutable_start_time() = ToTimestamp(start);
  *out->mutable_end_time() = ToTimestamp(end);
  *out->mutable_threshold() = ToDuration(threshold);
  *out->mutable_short_abandon() = ToDuration(short_abandon);
  out->set_offered(c.offered);
  out->set_offered_callbacks(c.offered_callbacks);
  out->set_answered(c.answered);
  out->set_answered_within_threshold(c.answered_within_t);
  out->set_abandoned(c.abandoned);
  out->set_abandoned_within_threshold(c.abandoned_within_t);
  out->set_abandoned_short(c.abandoned_within_short);
  out->set_abandoned_callbacks(c.abandoned_callbacks);
  out->set_handled(c.handled);
  *out->mutable_answered_wait_total() = ToDuration(c.answered_wait_total);
  *out->mutable_abandoned_wait_total() = ToDuration(c.abandoned_wait_total);
  *out->mutable_longest_answered_wait() = ToDuration(c.longest_answered_wait);
  *out->mutable_handle_time_total() = ToDuration(c.talk_total + c.hold_total + c.wrap_up_total);
}

absl::Duration Span(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

// The counters of a stored row (the handling time is kept as one sum: AHT needs no more).
supervisor::Counters CountersOf(const v1::PeriodStatistics& p) {
  supervisor::Counters c;
  c.offered = p.offered();
  c.offered_callbacks = p.offered_callbacks();
  c.answered = p.answered();
  c.answered_within_t = p.answered_within_threshold();
  c.abandoned = p.abandoned();
  c.abandoned_within_t = p.abandoned_within_threshold();
  c.abandoned_within_short = p.abandoned_short();
  c.abandoned_callbacks = p.abandoned_callbacks();
  c.handled = p.handled();
  c.answered_wait_total = Span(p.answered_wait_total());
  c.abandoned_wait_total = Span(p.abandoned_wait_total());
  c.longest_answered_wait = Span(p.longest_answered_wait());
  c.talk_total = Span(p.handle_time_total());
  return c;
}

void AddFigures(const std::vector<supervisor::Figure>& figures, v1::PeriodStatistics* out) {
  for (const auto& figure : figures) {
    auto* f = out->add_figures();
    f->set_name(figure.name);
    f->set_formula(figure.formula);
    f->set_value(figure.value);
    f->set_defined(figure.defined);
  }
}

void FillPeriod(const supervisor::QueueFigures& figures, v1::PeriodStatistics* out) {
  FillCounters(figures.period_start, figures.period_end, figures.threshold, figures.short_abandon,
               figures.counters, out);
  AddFigures(figures.figures, out);
}

constexpr int kMaxPeriodMs = 1000;
constexpr int kTickMs = 100;

}  // namespace

namespace {

// The newer record of each key replaces the older one; new keys are added.
template <typename Record, typename Key>
void MergeRecords(google::protobuf::RepeatedPtrField<Record>* waiting, google::protobuf::RepeatedPtrField<Record>* next,
                  Key key) {
  absl::flat_hash_map<std::string, int> index;
  for (int i = 0; i < waiting->size(); ++i) index[key(waiting->Get(i))] = i;
  for (auto& record : *next) {
    auto it = index.find(key(record));
    if (it != index.end()) {
      waiting->Mutable(it->second)->Swap(&record);
    } else {
      *waiting->Add() = std::move(record);
    }
  }
}

// What every board update folds the same way.
template <typename Update>
void FoldHeader(Update* waiting, const Update& next) {
  waiting->set_snapshot(waiting->snapshot() || next.snapshot());
  *waiting->mutable_as_of() = next.as_of();
  if (!waiting->has_first_change_time()) *waiting->mutable_first_change_time() = next.first_change_time();
  waiting->set_folded_updates(waiting->folded_updates() + next.folded_updates() + 1);
}

}  // namespace

void FoldQueueUpdate(v1::QueueBoardUpdate* waiting, v1::QueueBoardUpdate&& next) {
  MergeRecords(waiting->mutable_queues(), next.mutable_queues(), [](const auto& q) { return q.queue(); });
  if (next.has_tickets()) *waiting->mutable_tickets() = std::move(*next.mutable_tickets());
  if (next.has_complaints()) *waiting->mutable_complaints() = std::move(*next.mutable_complaints());
  FoldHeader(waiting, next);
}

void FoldAgentUpdate(v1::AgentBoardUpdate* waiting, v1::AgentBoardUpdate&& next) {
  MergeRecords(waiting->mutable_agents(), next.mutable_agents(), [](const auto& a) { return a.agent(); });
  FoldHeader(waiting, next);
}

SupervisorDesk::SupervisorDesk(const Config& config, const Clock* clock, DeskLoop* loop, storage::Database* db,
                               RoutingDesk* routing)
    : config_(config),
      clock_(clock),
      loop_(loop),
      routing_(routing),
      store_(db),
      short_abandon_(absl::Seconds(config.supervisor.short_abandon_seconds)),
      stats_(OptionsFrom(config.supervisor)),
      timer_(loop->context()) {}

absl::Status SupervisorDesk::Start() {
  RefreshThresholds();
  const absl::Time now = clock_->Now();
  // Today's intervals as committed: the current interval and today go on from them.
  const supervisor::QueueFigures today = stats_.Today("", now);
  auto stored = store_.Queues();
  if (!stored.ok()) return stored.status();
  for (const auto& queue : *stored) {
    auto rows = store_.Intervals(queue, today.period_start, today.period_end);
    if (!rows.ok()) return rows.status();
    for (const auto& row : *rows) {
      stats_.Restore(queue, FromTimestamp(row.statistics().start_time()), FromTimestamp(row.statistics().end_time()),
                     CountersOf(row.statistics()), now);
    }
  }
  current_interval_start_ = stats_.IntervalStart(now);
  RefreshConfiguration();
  for (const auto& queue : routing_->Queues()) {
    auto waiting = routing_->Waiting(queue.name());
    if (!waiting.ok()) continue;
    for (const auto& contact : *waiting) {
      auto id = ParseContactName(contact.name(), "contact");
      if (!id.ok()) continue;
      const absl::Time enqueued = FromTimestamp(contact.enqueue_time());
      contacts_[*id] = Followed{BoardQueue(contact.queue()), enqueued,
                                contact.channel() == v1::CONTACT_CHANNEL_CALLBACK};
      board_.ContactWaiting(*id, BoardQueue(contact.queue()), enqueued, now);
    }
  }
  routing_->AddObserver(this);
  return absl::OkStatus();
}

void SupervisorDesk::Stop() {
  stopped_ = true;
  timer_.cancel();
  for (auto& [id, watcher] : queue_watchers_) watcher.sink->Close(absl::UnavailableError("the server is stopping"));
  for (auto& [id, watcher] : agent_watchers_) watcher.sink->Close(absl::UnavailableError("the server is stopping"));
  queue_watchers_.clear();
  agent_watchers_.clear();
}

void SupervisorDesk::RefreshThresholds() {
  for (const auto& queue : routing_->Queues()) {
    const absl::Duration threshold = queue.has_sl_threshold() ? Span(queue.sl_threshold()) : absl::Seconds(20);
    stats_.SetThresholds(queue.name(), threshold, short_abandon_);
  }
}

void SupervisorDesk::RefreshConfiguration() {
  config_generation_ = routing_->config_generation();
  const absl::Time now = clock_->Now();
  RefreshThresholds();
  std::vector<std::string> queues;
  for (const auto& queue : routing_->Queues()) queues.push_back(queue.name());
  board_.SetQueues(queues, now);
  routing::Router& router = routing_->router();
  for (const auto& agent : routing_->Agents()) {
    if (auto [team, inserted] = teams_.try_emplace(agent.name(), agent.team()); !inserted && team->second != agent.team()) {
      team->second = agent.team();
      board_.TouchAgent(agent.name(), now);
    }
    auto view = router.GetAgent(agent.name());
    if (!view.ok()) continue;
    std::vector<std::string> served;
    for (const auto& queue : view->queues) {
      std::string name = BoardQueue(queue);
      if (served.empty() || served.back() != name) served.push_back(std::move(name));
    }
    board_.SetAgentQueues(agent.name(), std::move(served), now);
    board_.SetAgentState(agent.name(), view->state, view->reason, view->state_since);
  }
}

void SupervisorDesk::PersistInterval(const std::string& queue, rocksdb::WriteBatch* batch) {
  auto open = stats_.OpenIntervalOf(queue);
  if (!open) return;
  v1::QueueIntervalRow row;
  row.set_queue(queue);
  FillCounters(open->start, open->end, open->threshold, open->short_abandon, open->counters, row.mutable_statistics());
  store_.PutInterval(batch, row);
}

void SupervisorDesk::BeforeCommit(const std::vector<routing::RoutingEvent>& events,
                                  rocksdb::WriteBatch* batch, std::vector<v1::Event>*) {
  // A queue's threshold must be the one defined when its events are counted.
  if (routing_->config_generation() != config_generation_) RefreshConfiguration();
  const absl::Time now = clock_->Now();
  routing::Router& router = routing_->router();
  // Queues whose interval figures changed: their rows go into this batch.
  absl::InlinedVector<std::string, 2> changed;
  const auto figures_changed = [&](const std::string& queue) {
    if (std::find(changed.begin(), changed.end(), queue) == changed.end()) changed.push_back(queue);
    board_.Touch(queue, now);
  };
  const auto follow_waiting = [&](uint64_t contact) {
    auto spec = router.WaitingRecord(contact);
    if (!spec.ok()) return;
    board_.ContactWaiting(contact, BoardQueue(spec->queue), spec->enqueue_time.value_or(now), now);
  };
  for (const auto& event : events) {
    if (const auto* queued = std::get_if<routing::ContactQueued>(&event)) {
      // The wait counts from entering this queue: a transferred contact keeps its original
      // enqueue time for its priority, but its first leg's talk is no wait of this queue.
      // Answered within the same command, it is waiting no longer: its view still tells.
      std::string queue;
      routing::Channel channel = routing::Channel::kCall;
      if (auto spec = router.WaitingRecord(queued->contact); spec.ok()) {
        queue = spec->queue;
        channel = spec->channel;
        board_.ContactWaiting(queued->contact, BoardQueue(spec->queue), spec->enqueue_time.value_or(now), now);
      } else if (auto view = router.GetContact(queued->contact); view.ok()) {
        queue = view->queue;
        channel = view->channel;
      } else {
        continue;
      }
      queue = BoardQueue(queue);
      const bool callback = channel == routing::Channel::kCallback;
      contacts_[queued->contact] = Followed{queue, now, callback};
      stats_.Offered(queue, now, callback);
      figures_changed(queue);
    } else if (const auto* overflowed = std::get_if<routing::ContactOverflowed>(&event)) {
      follow_waiting(overflowed->contact);
    } else if (const auto* moved = std::get_if<routing::ContactChanged>(&event)) {
      follow_waiting(moved->contact);
    } else if (const auto* left = std::get_if<routing::ContactLeft>(&event)) {
      board_.ContactLeft(left->contact, now);
      auto followed = contacts_.find(left->contact);
      if (followed == contacts_.end()) continue;  // entered before the desk followed it
      const Followed f = followed->second;
      contacts_.erase(followed);
      const absl::Duration waited = std::max(now - f.enqueued, absl::ZeroDuration());
      // Taken out by its owner (a ticket solved or assigned by hand): the customer did not
      // give up, so it is no abandon; nor an answer.
      if (left->withdrawn) continue;
      if (!left->answered) {
        stats_.Abandoned(f.queue, now, waited, f.callback);
        figures_changed(f.queue);
        continue;
      }
      stats_.Answered(f.queue, now, waited);
      figures_changed(f.queue);
      auto view = router.GetContact(left->contact);
      if (view.ok() && !view->agent.empty()) {
        if (IsVoice(view->channel)) {
          handling_[view->agent] = Handling{f.queue, now, std::nullopt};
          auto agent = router.GetAgent(view->agent);
          board_.SetAgentWork(view->agent, ContactName(left->contact), agent.ok() ? agent->handled : 0, now);
        } else {
          board_.TouchAgent(view->agent, now);  // one ticket more
        }
      }
    } else if (const auto* state = std::get_if<routing::AgentStateChanged>(&event)) {
      board_.SetAgentState(state->agent, state->state, state->reason, now);
      const bool free = state->state == routing::AgentState::kReady ||
                        state->state == routing::AgentState::kNotReady ||
                        state->state == routing::AgentState::kLoggedOut;
      if (auto agent = router.GetAgent(state->agent); agent.ok()) {
        const bool on_call = agent->active_calls > 0 || state->state == routing::AgentState::kWrapUp;
        const auto handling = handling_.find(state->agent);
        const std::string contact =
            on_call && handling != handling_.end() ? board_.Agent(state->agent, now).contact : std::string();
        board_.SetAgentWork(state->agent, contact, agent->handled, now);
      }
      auto handling = handling_.find(state->agent);
      if (handling == handling_.end()) continue;
      Handling& h = handling->second;
      if (state->state == routing::AgentState::kWrapUp) {
        if (!h.wrap_up_since) h.wrap_up_since = now;
      } else if (free) {
        // Talk includes the hold: the desk sees the call from answer to end as one span,
        // and the sum (what AHT needs) is the same.
        const absl::Time talk_end = h.wrap_up_since.value_or(now);
        stats_.Handled(h.queue, now, talk_end - h.answered, absl::ZeroDuration(), now - talk_end);
        figures_changed(h.queue);
        handling_.erase(handling);
      }
    }
  }
  for (const auto& queue : changed) PersistInterval(queue, batch);
}

absl::StatusOr<v1::GetQueueStatisticsResponse> SupervisorDesk::QueueStatistics(
    const std::string& queue) {
  RefreshThresholds();
  std::vector<std::string> names;
  if (queue.empty()) {
    names = stats_.Queues();
  } else {
    if (auto s = CheckResourceName(queue, "queues", "queue"); !s.ok()) return s;
    if (routing_->FindQueue(queue) == nullptr) {
      return absl::NotFoundError(absl::StrCat("queue: '", queue, "' is not defined"));
    }
    names.push_back(queue);
  }
  const absl::Time now = clock_->Now();
  v1::GetQueueStatisticsResponse response;
  for (const auto& name : names) {
    auto* out = response.add_queues();
    out->set_queue(name);
    FillPeriod(stats_.CurrentInterval(name, now), out->mutable_current_interval());
    FillPeriod(stats_.Today(name, now), out->mutable_today());
  }
  return response;
}

absl::StatusOr<v1::ListIntervalStatisticsResponse> SupervisorDesk::IntervalStatistics(
    const v1::ListIntervalStatisticsRequest& request) const {
  constexpr absl::Duration kMaxRange = absl::Hours(24 * 31);
  if (!request.queue().empty()) {
    if (auto s = CheckResourceName(request.queue(), "queues", "queue"); !s.ok()) return s;
  }
  if (!request.has_start_time()) return absl::InvalidArgumentError("start_time: required");
  if (!request.has_end_time()) return absl::InvalidArgumentError("end_time: required");
  const absl::Time from = FromTimestamp(request.start_time());
  const absl::Time to = FromTimestamp(request.end_time());
  if (from < absl::UnixEpoch()) return absl::InvalidArgumentError("start_time: before 1970");
  if (to <= from) return absl::InvalidArgumentError("end_time: must be after start_time");
  if (to - from > kMaxRange) return absl::InvalidArgumentError("end_time: at most 31 days after start_time");
  auto page_size = EffectivePageSize(request.page_size(), 96, 1000);
  if (!page_size.ok()) return page_size.status();
  // The token: "<queue>|<start µs of the last interval returned>".
  std::string after_queue;
  std::optional<absl::Time> after_start;
  if (!request.page_token().empty()) {
    auto key = DecodePageToken(request.page_token(), "intervals",
                               request.queue().empty() ? std::string() : request.queue() + "|");
    if (!key.ok()) return key.status();
    const std::size_t bar = key->rfind('|');
    int64_t micros = 0;
    if (bar == std::string::npos || !absl::SimpleAtoi(key->substr(bar + 1), &micros)) {
      return absl::InvalidArgumentError("page_token: not one this listing gave");
    }
    after_queue = key->substr(0, bar);
    after_start = absl::FromUnixMicros(micros);
  }
  std::vector<std::string> queues;
  if (!request.queue().empty()) {
    queues.push_back(request.queue());
  } else {
    auto stored = store_.Queues();
    if (!stored.ok()) return stored.status();
    queues = *std::move(stored);
  }
  v1::ListIntervalStatisticsResponse response;
  int left = *page_size;
  for (const auto& queue : queues) {
    if (after_start && queue < after_queue) continue;
    const std::optional<absl::Time> after = after_start && queue == after_queue ? after_start : std::nullopt;
    auto rows = store_.Intervals(queue, from, to, left + 1, after);
    if (!rows.ok()) return rows.status();
    for (auto& row : *rows) {
      if (left == 0) {
        const auto& last = response.intervals(response.intervals_size() - 1);
        response.set_next_page_token(EncodePageToken(
            "intervals", absl::StrCat(last.queue(), "|",
                                      absl::ToUnixMicros(FromTimestamp(last.statistics().start_time())))));
        return response;
      }
      auto* out = response.add_intervals();
      out->set_queue(row.queue());
      *out->mutable_statistics() = std::move(*row.mutable_statistics());
      AddFigures(supervisor::ComputeFigures(CountersOf(out->statistics())), out->mutable_statistics());
      --left;
    }
  }
  return response;
}

// ---- Watchers ----

absl::StatusOr<int> SupervisorDesk::PeriodOf(int updates_per_second) const {
  if (updates_per_second < 0 || updates_per_second > 10) {
    return absl::InvalidArgumentError("updates_per_second: must be 1 to 10 (0: the server's default)");
  }
  if (updates_per_second == 0) updates_per_second = config_.supervisor.default_updates_per_second;
  // Rounded up to the beat (never more updates than asked for), so that watchers of one
  // rate share their updates.
  const int period = (kMaxPeriodMs + updates_per_second - 1) / updates_per_second;
  return (period + kTickMs - 1) / kTickMs * kTickMs;
}

v1::QueueLiveStatus SupervisorDesk::QueueStatus(const std::string& queue, absl::Time now) const {
  const supervisor::QueueLive live = board_.Queue(queue);
  v1::QueueLiveStatus out;
  out.set_queue(queue);
  out.set_waiting(live.waiting);
  if (live.oldest_enqueued) {
    *out.mutable_oldest_enqueue_time() = ToTimestamp(*live.oldest_enqueued);
    *out.mutable_oldest_wait() = ToDuration(std::max(now - *live.oldest_enqueued, absl::ZeroDuration()));
  }
  out.set_agents_staffed(live.staffed);
  out.set_agents_ready(live.ready);
  out.set_agents_reserved(live.reserved);
  out.set_agents_busy(live.busy);
  out.set_agents_wrap_up(live.wrap_up);
  out.set_agents_not_ready(live.not_ready);
  for (const auto& [reason, count] : live.not_ready_by_reason) (*out.mutable_not_ready_by_reason())[reason] = count;
  const supervisor::QueueFigures today = stats_.Today(queue, now);
  FillPeriod(stats_.CurrentInterval(queue, now), out.mutable_current_interval());
  FillPeriod(today, out.mutable_today());
  // The position of a contact entering now, among the agents who can serve it: those
  // ahead of it that no ready agent takes at once, each taking an average handling time
  // of the agents serving the queue.
  auto* ewt = out.mutable_estimated_wait();
  ewt->set_name("estimated_wait");
  ewt->set_formula("max(0, waiting + 1 - ready) * aht(today) / (ready + reserved + busy + wrap-up)");
  const int serving = live.ready + live.reserved + live.busy + live.wrap_up;
  const int64_t ahead = std::max<int64_t>(0, live.waiting + 1 - live.ready);
  const supervisor::Figure* aht = supervisor::FindFigure(today.figures, "aht");
  if (serving > 0 && ahead == 0) {
    ewt->set_defined(true);
  } else if (serving > 0 && aht != nullptr && aht->defined) {
    ewt->set_value(static_cast<double>(ahead) * aht->value / serving);
    ewt->set_defined(true);
  }
  return out;
}

v1::AgentLiveStatus SupervisorDesk::AgentStatus(const std::string& agent, absl::Time now) const {
  const supervisor::AgentLive live = board_.Agent(agent, now);
  v1::AgentLiveStatus out;
  out.set_agent(agent);
  if (auto team = teams_.find(agent); team != teams_.end()) out.set_team(team->second);
  out.set_state(AgentStateToProto(live.state));
  out.set_reason(live.reason);
  if (live.state_since != absl::InfinitePast()) {
    *out.mutable_state_since() = ToTimestamp(live.state_since);
    *out.mutable_time_in_state() = ToDuration(std::max(now - live.state_since, absl::ZeroDuration()));
  }
  out.set_contact(live.contact);
  if (auto view = routing_->router().GetAgent(agent); view.ok()) out.set_active_tickets(view->active_tickets);
  out.set_handled(live.handled);
  auto* occupancy = out.mutable_occupancy();
  occupancy->set_name("occupancy");
  occupancy->set_formula("(busy + wrap-up) / (busy + wrap-up + ready + reserved), since login");
  occupancy->set_value(live.occupancy);
  occupancy->set_defined(live.occupancy_defined);
  *out.mutable_handling_time() = ToDuration(live.handling);
  *out.mutable_idle_time() = ToDuration(live.idle);
  for (const auto& queue : live.queues) out.add_queues(queue);
  return out;
}

v1::QueueBoardUpdate SupervisorDesk::QueueUpdate(const std::set<std::string>& queues, bool work_counts,
                                                 absl::Time now) const {
  v1::QueueBoardUpdate update;
  *update.mutable_as_of() = ToTimestamp(now);
  for (const auto& queue : queues) *update.add_queues() = QueueStatus(queue, now);
  if (work_counts) {
    if (ticket_counts_) *update.mutable_tickets() = ticket_counts_();
    if (complaint_counts_) *update.mutable_complaints() = complaint_counts_();
  }
  return update;
}

v1::AgentBoardUpdate SupervisorDesk::AgentUpdate(const std::set<std::string>& agents, absl::Time now) const {
  v1::AgentBoardUpdate update;
  *update.mutable_as_of() = ToTimestamp(now);
  for (const auto& agent : agents) *update.add_agents() = AgentStatus(agent, now);
  return update;
}

absl::StatusOr<SupervisorDesk::WatchPlan> SupervisorDesk::CheckWatch(
    int updates_per_second, const google::protobuf::RepeatedPtrField<std::string>& names,
    const std::string& collection, const std::function<bool(const std::string&)>& defined) {
  if (stopped_) return absl::UnavailableError("the server is stopping");
  WatchPlan plan;
  auto period = PeriodOf(updates_per_second);
  if (!period.ok()) return period.status();
  plan.period_ms = *period;
  for (int i = 0; i < names.size(); ++i) {
    const std::string field = absl::StrCat(collection, "[", i, "]");
    if (auto s = CheckResourceName(names[i], collection, field); !s.ok()) return s;
    if (!defined(names[i])) return absl::NotFoundError(absl::StrCat(field, ": '", names[i], "' is not defined"));
    plan.only.insert(names[i]);
  }
  if (watchers() >= static_cast<std::size_t>(config_.supervisor.max_watchers)) {
    return absl::ResourceExhaustedError(
        absl::StrCat("watchers: ", config_.supervisor.max_watchers, " live views are open (supervisor.max_watchers)"));
  }
  if (routing_->config_generation() != config_generation_) RefreshConfiguration();
  return plan;
}

// The snapshot of what is watched (`all` when the watcher named nothing), then the watcher
// joins the group of its rate.
template <typename Update, typename Sink, typename Build>
uint64_t SupervisorDesk::AddWatcher(WatchPlan plan, std::vector<std::string> all, Build build,
                                    std::shared_ptr<Sink> sink, std::map<uint64_t, Watcher<Sink>>* watchers,
                                    std::map<int, Pending>* groups) {
  std::set<std::string> names = plan.only;
  if (names.empty()) names.insert(std::make_move_iterator(all.begin()), std::make_move_iterator(all.end()));
  Update snapshot = build(names);
  snapshot.set_snapshot(true);
  *snapshot.mutable_first_change_time() = snapshot.as_of();
  sink->Send(Prepare(std::move(snapshot)));
  const uint64_t id = next_watch_++;
  (*watchers)[id] = Watcher<Sink>{std::move(sink), std::move(plan.only), plan.period_ms};
  groups->try_emplace(plan.period_ms);
  ArmTimer();
  return id;
}

absl::StatusOr<uint64_t> SupervisorDesk::WatchQueues(const v1::WatchQueuesRequest& request,
                                                     std::shared_ptr<QueueBoardSink> sink) {
  auto plan = CheckWatch(request.updates_per_second(), request.queues(), "queues",
                         [this](const std::string& queue) { return routing_->FindQueue(queue) != nullptr; });
  if (!plan.ok()) return plan.status();
  const absl::Time now = clock_->Now();
  return AddWatcher<v1::QueueBoardUpdate>(
      *std::move(plan), board_.QueueNames(),
      [&](const std::set<std::string>& queues) { return QueueUpdate(queues, /*work_counts=*/true, now); },
      std::move(sink), &queue_watchers_, &queue_groups_);
}

absl::StatusOr<uint64_t> SupervisorDesk::WatchAgents(const v1::WatchAgentsRequest& request,
                                                     std::shared_ptr<AgentBoardSink> sink) {
  auto plan = CheckWatch(request.updates_per_second(), request.agents(), "agents",
                         [this](const std::string& agent) { return routing_->HasAgent(agent); });
  if (!plan.ok()) return plan.status();
  const absl::Time now = clock_->Now();
  return AddWatcher<v1::AgentBoardUpdate>(
      *std::move(plan), board_.AgentNames(), [&](const std::set<std::string>& agents) { return AgentUpdate(agents, now); },
      std::move(sink), &agent_watchers_, &agent_groups_);
}

void SupervisorDesk::Unwatch(uint64_t watch) {
  queue_watchers_.erase(watch);
  agent_watchers_.erase(watch);
}

void SupervisorDesk::ArmTimer() {
  if (ticking_ || stopped_ || watchers() == 0) return;
  ticking_ = true;
  // On a fixed beat (not "a tick after the last one ended"), so that the time a tick takes
  // does not slow the watchers' rate; a beat missed is not made up.
  const auto now = std::chrono::steady_clock::now();
  next_tick_ = std::max(next_tick_ + std::chrono::milliseconds(kTickMs), now + std::chrono::milliseconds(1));
  timer_.expires_at(next_tick_);
  timer_.async_wait([this](const std::error_code& error) {
    ticking_ = false;
    if (error || stopped_) return;
    Tick();
    ArmTimer();
  });
}

namespace {

// The pending changes of a group, with the board's latest ones added.
void Collect(const std::vector<std::string>& names, std::optional<absl::Time> first_change,
             std::set<std::string>* pending_names, std::optional<absl::Time>* pending_first) {
  if (names.empty()) return;
  pending_names->insert(names.begin(), names.end());
  if (first_change && (!*pending_first || *first_change < **pending_first)) *pending_first = first_change;
}

// The header of a watcher's own filtered copy of an update.
template <typename Update>
Update Header(const Update& all) {
  Update mine;
  *mine.mutable_as_of() = all.as_of();
  *mine.mutable_first_change_time() = all.first_change_time();
  return mine;
}

// An update to the watchers of one rate: those who watch everything share one prepared
// copy; each of the others gets `filter(update, their names)` when that leaves anything.
template <typename Update, typename Watchers, typename Filter>
void SendToGroup(const Update& update, int period, Watchers& watchers, Filter filter) {
  Prepared<Update> shared;
  for (auto& [id, watcher] : watchers) {
    if (watcher.period_ms != period) continue;
    if (watcher.only.empty()) {
      if (!shared) shared = Prepare(update);
      watcher.sink->Send(shared);
    } else if (std::optional<Update> mine = filter(update, watcher.only)) {
      watcher.sink->Send(Prepare(*std::move(mine)));
    }
  }
}

// The groups of rates nobody watches at any more.
template <typename Groups, typename Watchers>
void DropUnusedGroups(Groups* groups, const Watchers& watchers) {
  for (auto it = groups->begin(); it != groups->end();) {
    const int period = it->first;
    const bool used = std::any_of(watchers.begin(), watchers.end(),
                                  [&](const auto& w) { return w.second.period_ms == period; });
    it = used ? std::next(it) : groups->erase(it);
  }
}

}  // namespace

void SupervisorDesk::Tick() {
  if (stopped_) return;
  const absl::Time now = clock_->Now();
  const auto steady_now = std::chrono::steady_clock::now();
  if (routing_->config_generation() != config_generation_) RefreshConfiguration();
  supervisor::LiveBoard::Changes changes = board_.TakeChanges();
  // A new interval: every queue's current figures begin again. The intervals that ended are
  // stored already; the ones kept in memory are let go.
  const absl::Time interval_start = stats_.IntervalStart(now);
  if (interval_start != current_interval_start_) {
    current_interval_start_ = interval_start;
    changes.queues = board_.QueueNames();
    if (!changes.first_queue_change || interval_start < *changes.first_queue_change) {
      changes.first_queue_change = interval_start;
    }
    stats_.TakeClosedIntervals(now);
  }
  // Whether a desk's counts differ from those last seen (cheap: a few numbers each).
  const auto changed = [](const WorkCounter& counter, std::string* last) {
    if (!counter) return false;
    std::string counts = counter().SerializeAsString();
    if (counts == *last) return false;
    *last = std::move(counts);
    return true;
  };
  const bool tickets_changed = changed(ticket_counts_, &last_ticket_counts_);
  const bool complaints_changed = changed(complaint_counts_, &last_complaint_counts_);
  const bool counts_changed = tickets_changed || complaints_changed;

  for (auto& [period, pending] : queue_groups_) {
    Collect(changes.queues, changes.first_queue_change, &pending.queues, &pending.first_change);
    if (counts_changed) {
      pending.work_counts = true;
      if (!pending.first_change || now < *pending.first_change) pending.first_change = now;
    }
    if (steady_now < pending.next_due || (pending.queues.empty() && !pending.work_counts)) continue;
    v1::QueueBoardUpdate update = QueueUpdate(pending.queues, pending.work_counts, now);
    if (pending.first_change) *update.mutable_first_change_time() = ToTimestamp(*pending.first_change);
    SendToGroup(update, period, queue_watchers_, [](const v1::QueueBoardUpdate& all, const std::set<std::string>& only) {
      v1::QueueBoardUpdate mine = Header(all);
      for (const auto& queue : all.queues()) {
        if (only.contains(queue.queue())) *mine.add_queues() = queue;
      }
      if (all.has_tickets()) *mine.mutable_tickets() = all.tickets();
      if (all.has_complaints()) *mine.mutable_complaints() = all.complaints();
      return mine.queues_size() > 0 || all.has_tickets() ? std::optional(std::move(mine)) : std::nullopt;
    });
    pending = Pending{};
    pending.next_due = steady_now + std::chrono::milliseconds(period) - std::chrono::milliseconds(kTickMs / 2);
  }
  for (auto& [period, pending] : agent_groups_) {
    Collect(changes.agents, changes.first_agent_change, &pending.agents, &pending.first_change);
    if (steady_now < pending.next_due || pending.agents.empty()) continue;
    v1::AgentBoardUpdate update = AgentUpdate(pending.agents, now);
    if (pending.first_change) *update.mutable_first_change_time() = ToTimestamp(*pending.first_change);
    SendToGroup(update, period, agent_watchers_, [](const v1::AgentBoardUpdate& all, const std::set<std::string>& only) {
      v1::AgentBoardUpdate mine = Header(all);
      for (const auto& agent : all.agents()) {
        if (only.contains(agent.agent())) *mine.add_agents() = agent;
      }
      return mine.agents_size() > 0 ? std::optional(std::move(mine)) : std::nullopt;
    });
    pending = Pending{};
    pending.next_due = steady_now + std::chrono::milliseconds(period) - std::chrono::milliseconds(kTickMs / 2);
  }
  DropUnusedGroups(&queue_groups_, queue_watchers_);
  DropUnusedGroups(&agent_groups_, agent_watchers_);
}

}  // namespace servicedesk::server
