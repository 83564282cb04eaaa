#include "services/server/supervisor_desk.h"

#include "absl/strings/str_cat.h"
#include "services/server/routing_proto.h"

namespace servicedesk::server {

namespace {

supervisor::QueueStatsOptions OptionsFrom(const SupervisorConfig& config) {
  supervisor::QueueStatsOptions options;
  options.interval = absl::Minutes(config.interval_minutes);
  if (!absl::LoadTimeZone(config.time_zone, &options.zone)) options.zone = absl::UTCTimeZone();
  options.default_short_abandon = absl::Seconds(config.short_abandon_seconds);
  return options;
}

bool IsVoice(routing::Channel channel) {
  return channel == routing::Channel::kCall || channel == routing::Channel::kCallback ||
         channel == routing::Channel::kOutbound;
}

void FillPeriod(const supervisor::QueueFigures& figures, v1::PeriodStatistics* out) {
  *out->mutable_start_time() = ToTimestamp(figures.period_start);
  *out->mutable_end_time() = ToTimestamp(figures.period_end);
  *out->mutable_threshold() = ToDuration(figures.threshold);
  *out->mutable_short_abandon() = ToDuration(figures.short_abandon);
  const supervisor::Counters& c = figures.counters;
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
  for (const auto& figure : figures.figures) {
    auto* f = out->add_figures();
    f->set_name(figure.name);
    f->set_formula(figure.formula);
    f->set_value(figure.value);
    f->set_defined(figure.defined);
  }
}

}  // namespace

SupervisorDesk::SupervisorDesk(const Config& config, const Clock* clock, RoutingDesk* routing)
    : clock_(clock),
      routing_(routing),
      short_abandon_(absl::Seconds(config.supervisor.short_abandon_seconds)),
      stats_(OptionsFrom(config.supervisor)) {}

void SupervisorDesk::Start() {
  RefreshThresholds();
  for (const auto& queue : routing_->Queues()) {
    auto waiting = routing_->Waiting(queue.name());
    if (!waiting.ok()) continue;
    for (const auto& contact : *waiting) {
      auto id = ParseContactName(contact.name(), "contact");
      if (!id.ok()) continue;
      contacts_[*id] = Followed{contact.queue(), FromTimestamp(contact.enqueue_time()),
                                contact.channel() == v1::CONTACT_CHANNEL_CALLBACK};
    }
  }
  routing_->AddObserver(this);
}

void SupervisorDesk::RefreshThresholds() {
  for (const auto& queue : routing_->Queues()) {
    const absl::Duration threshold = queue.has_sl_threshold()
                                         ? absl::Seconds(queue.sl_threshold().seconds()) +
                                               absl::Nanoseconds(queue.sl_threshold().nanos())
                                         : absl::Seconds(20);
    stats_.SetThresholds(queue.name(), threshold, short_abandon_);
  }
}

void SupervisorDesk::BeforeCommit(const std::vector<routing::RoutingEvent>& events,
                                  rocksdb::WriteBatch*, std::vector<v1::Event>*) {
  const absl::Time now = clock_->Now();
  routing::Router& router = routing_->router();
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
      } else if (auto view = router.GetContact(queued->contact); view.ok()) {
        queue = view->queue;
        channel = view->channel;
      } else {
        continue;
      }
      const bool callback = channel == routing::Channel::kCallback;
      contacts_[queued->contact] = Followed{queue, now, callback};
      stats_.Offered(queue, now, callback);
    } else if (const auto* left = std::get_if<routing::ContactLeft>(&event)) {
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
        continue;
      }
      stats_.Answered(f.queue, now, waited);
      auto view = router.GetContact(left->contact);
      if (view.ok() && IsVoice(view->channel) && !view->agent.empty()) {
        handling_[view->agent] = Handling{f.queue, now, std::nullopt};
      }
    } else if (const auto* state = std::get_if<routing::AgentStateChanged>(&event)) {
      auto handling = handling_.find(state->agent);
      if (handling == handling_.end()) continue;
      Handling& h = handling->second;
      switch (state->state) {
        case routing::AgentState::kWrapUp:
          if (!h.wrap_up_since) h.wrap_up_since = now;
          break;
        case routing::AgentState::kReady:
        case routing::AgentState::kNotReady:
        case routing::AgentState::kLoggedOut: {
          // Talk includes the hold: the desk sees the call from answer to end as one span,
          // and the sum (what AHT needs) is the same.
          const absl::Time talk_end = h.wrap_up_since.value_or(now);
          stats_.Handled(h.queue, now, talk_end - h.answered, absl::ZeroDuration(), now - talk_end);
          handling_.erase(handling);
          break;
        }
        default:
          break;
      }
    }
  }
}

absl::StatusOr<v1::GetQueueStatisticsResponse> SupervisorDesk::QueueStatistics(
    const std::string& queue) {
  RefreshThresholds();
  std::vector<std::string> names;
  if (queue.empty()) {
    names = stats_.Queues();
  } else {
    if (auto s = CheckResourceName(queue, "queues", "queue"); !s.ok()) return s;
    bool defined = false;
    for (const auto& q : routing_->Queues()) defined = defined || q.name() == queue;
    if (!defined) return absl::NotFoundError(absl::StrCat("queue: '", queue, "' is not defined"));
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

}  // namespace servicedesk::server
