#include "services/server/routing_desk.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/customers/resource_names.h"
#include "services/server/logging.h"
#include "services/customers/customer_validation.h"
#include "services/server/routing_proto.h"

namespace servicedesk::server {

namespace {

constexpr const char* kSystemPrincipal = "system/routing";
constexpr const char* kSessionLostReason = "session lost";
constexpr std::size_t kMaxDescription = 500;
constexpr std::size_t kMaxRequestId = 200;

std::string DefinitionName(const v1::RoutingConfigChanged& definition) {
  switch (definition.definition_case()) {
    case v1::RoutingConfigChanged::kSkill: return definition.skill().name();
    case v1::RoutingConfigChanged::kReasonCode: return definition.reason_code().name();
    case v1::RoutingConfigChanged::kQueue: return definition.queue().name();
    case v1::RoutingConfigChanged::kAgent: return definition.agent().name();
    default: return "";
  }
}

v1::AgentEvent Stamped(absl::Time now) {
  v1::AgentEvent event;
  *event.mutable_time() = ToTimestamp(now);
  return event;
}

}  // namespace

RoutingDesk::RoutingDesk(const Config& config, const Clock* clock, DeskLoop* loop,
                         storage::Database* db, storage::EventWriter* writer,
                         const storage::CustomerStore* customers,
                         const customers::CustomerQueries* queries)
    : config_(config),
      clock_(clock),
      loop_(loop),
      writer_(writer),
      customers_(customers),
      queries_(queries),
      store_(db),
      router_(clock),
      timer_(loop->context()) {}

RoutingDesk::~RoutingDesk() = default;

absl::Status RoutingDesk::Start() {
  auto snapshot = store_.Load();
  if (!snapshot.ok()) return snapshot.status();
  for (const auto& skill : snapshot->skills) skills_[skill.name()] = skill;
  for (const auto& code : snapshot->reason_codes) reason_codes_[code.name()] = code;
  // Queues may name overflow targets stored after them: apply in rounds until none is left.
  std::vector<v1::Queue> pending = snapshot->queues;
  while (!pending.empty()) {
    std::vector<v1::Queue> retry;
    absl::Status last;
    for (const auto& queue : pending) {
      v1::RoutingConfigChanged definition;
      *definition.mutable_queue() = queue;
      if (auto s = ApplyDefinition(definition); !s.ok()) {
        retry.push_back(queue);
        last = s;
      }
    }
    if (retry.size() == pending.size()) {
      return absl::DataLossError(absl::StrCat("stored routing queues cannot be applied: ", last.message()));
    }
    pending = std::move(retry);
  }
  for (const auto& agent : snapshot->agents) {
    v1::RoutingConfigChanged definition;
    *definition.mutable_agent() = agent;
    if (auto s = ApplyDefinition(definition); !s.ok()) {
      return absl::DataLossError(absl::StrCat("stored routing agent cannot be applied: ", s.message()));
    }
  }

  // Waiting contacts back in their places, in id order (ties keep their arrival order),
  // before the config file is applied: a change it makes is checked against them (a queue
  // may not drop a channel its waiting contacts need).
  router_.ReserveContactIds(snapshot->next_contact_id);
  stored_next_contact_ = snapshot->next_contact_id;
  int restored = 0;
  rocksdb::WriteBatch batch;
  for (const auto& row : snapshot->contacts) {
    auto spec = SpecFromRow(row);
    absl::Status status = spec.ok() ? router_.Restore(row.contact_id(), *spec) : spec.status();
    constexpr absl::string_view kWidened = "~widened";
    if (!status.ok() && spec.ok() && absl::EndsWith(spec->queue, kWidened)) {
      // The queue no longer widens: the contact waits in the queue it came from.
      spec->queue.resize(spec->queue.size() - kWidened.size());
      status = router_.Restore(row.contact_id(), *spec);
      if (status.ok()) store_.PutContact(&batch, RowFromSpec(row.contact_id(), *spec));
    }
    if (!status.ok()) {
      // Kept, and said at every start until someone acts: a waiting customer is never dropped.
      LogEvent(spdlog::level::err, "routing.contact_not_restored",
               {{"contact", ContactName(row.contact_id())}, {"queue", row.queue()},
                {"error", std::string(status.message())}});
      continue;
    }
    ++restored;
  }

  // What the config file defines, over what is stored (and stored, so the event log says so).
  auto apply_file = [&](v1::RoutingConfigChanged definition) -> absl::Status {
    definition.set_source("config file");
    auto applied = Define(std::move(definition), Mode::kUpsert, "system/config");
    if (!applied.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("routing in the config file: ", applied.status().message()));
    }
    return absl::OkStatus();
  };
  for (const auto& skill : config_.routing.skills) {
    v1::RoutingConfigChanged d;
    *d.mutable_skill() = skill;
    if (auto s = apply_file(d); !s.ok()) return s;
  }
  for (const auto& code : config_.routing.reason_codes) {
    v1::RoutingConfigChanged d;
    *d.mutable_reason_code() = code;
    if (auto s = apply_file(d); !s.ok()) return s;
  }
  for (const auto& queue : config_.routing.queues) {
    v1::RoutingConfigChanged d;
    *d.mutable_queue() = queue;
    if (auto s = apply_file(d); !s.ok()) return s;
  }
  for (const auto& agent : config_.routing.agents) {
    v1::RoutingConfigChanged d;
    *d.mutable_agent() = agent;
    if (auto s = apply_file(d); !s.ok()) return s;
  }

  // Every session ended with the previous process.
  v1::Event event;
  *event.mutable_time() = ToTimestamp(clock_->Now());
  event.set_principal(kSystemPrincipal);
  auto* changed = event.mutable_routing_changed();
  int logged_out = 0;
  for (const auto& row : snapshot->agent_states) {
    if (row.status().state() == v1::AGENT_STATE_LOGGED_OUT) continue;
    v1::AgentStateRow after;
    *after.mutable_status() = row.status();
    after.mutable_status()->set_state(v1::AGENT_STATE_LOGGED_OUT);
    after.mutable_status()->set_reason("server restart");
    *after.mutable_status()->mutable_state_since() = ToTimestamp(clock_->Now());
    store_.PutAgentState(&batch, after);
    *changed->add_changes()->mutable_agent_state() = after.status();
    ++logged_out;
  }
  if (batch.Count() > 0) {
    if (auto seq = writer_->Commit(&batch, &event); !seq.ok()) return seq.status();
  }
  router_.TakeEvents();  // restoring offers nothing: every agent is logged out
  ArmTimer();
  LogEvent(spdlog::level::info, "routing.started",
           {{"queues", absl::StrCat(queues_.size())}, {"agents", absl::StrCat(agents_.size())},
            {"restored_contacts", absl::StrCat(restored)},
            {"agents_logged_out", absl::StrCat(logged_out)}});
  return absl::OkStatus();
}

void RoutingDesk::Stop() {
  if (stopped_) return;
  stopped_ = true;
  timer_.cancel();
  for (auto& [agent, timer] : grace_timers_) timer->cancel();
  grace_timers_.clear();
  for (auto& [agent, session] : sessions_) {
    session.sink->Close(absl::UnavailableError("servicedeskd is shutting down; reconnect"));
  }
  sessions_.clear();
}

absl::Status RoutingDesk::CheckSkillsDefined(
    const google::protobuf::RepeatedPtrField<v1::SkillRequirement>& skills,
    const std::string& field) const {
  for (int i = 0; i < skills.size(); ++i) {
    if (!skills_.contains(skills[i].skill())) {
      return absl::NotFoundError(absl::StrCat(field, "[", i, "].skill: '", skills[i].skill().substr(0, 80),
                                              "' is not a defined skill"));
    }
  }
  return absl::OkStatus();
}

absl::Status RoutingDesk::ApplyDefinition(const v1::RoutingConfigChanged& definition) {
  switch (definition.definition_case()) {
    case v1::RoutingConfigChanged::kSkill: {
      const auto& skill = definition.skill();
      if (auto s = CheckResourceName(skill.name(), "skills", "skill.name"); !s.ok()) return s;
      if (skill.description().size() > kMaxDescription) {
        return absl::InvalidArgumentError("skill.description: at most 500 characters");
      }
      skills_[skill.name()] = skill;
      return absl::OkStatus();
    }
    case v1::RoutingConfigChanged::kReasonCode: {
      const auto& code = definition.reason_code();
      if (auto s = CheckResourceName(code.name(), "reasonCodes", "reason_code.name"); !s.ok()) return s;
      if (code.description().size() > kMaxDescription) {
        return absl::InvalidArgumentError("reason_code.description: at most 500 characters");
      }
      reason_codes_[code.name()] = code;
      return absl::OkStatus();
    }
    case v1::RoutingConfigChanged::kQueue: {
      auto config = QueueFromProto(definition.queue());
      if (!config.ok()) return config.status();
      if (auto s = CheckSkillsDefined(definition.queue().skills(), "queue.skills"); !s.ok()) return s;
      if (auto s = CheckSkillsDefined(definition.queue().widened_skills(), "queue.widened_skills");
          !s.ok()) {
        return s;
      }
      if (auto s = router_.UpsertQueue(*config); !s.ok()) return s;
      queues_[definition.queue().name()] = definition.queue();
      ++config_generation_;
      return absl::OkStatus();
    }
    case v1::RoutingConfigChanged::kAgent: {
      auto config = AgentFromProto(definition.agent());
      if (!config.ok()) return config.status();
      if (auto s = CheckSkillsDefined(definition.agent().skills(), "agent.skills"); !s.ok()) return s;
      if (auto s = router_.UpsertAgent(*config); !s.ok()) return s;
      agents_[definition.agent().name()] = definition.agent();
      ++config_generation_;
      return absl::OkStatus();
    }
    default:
      return absl::InvalidArgumentError("definition: empty");
  }
}

absl::StatusOr<v1::RoutingConfigChanged> RoutingDesk::Define(v1::RoutingConfigChanged definition,
                                                             Mode mode, const std::string& principal) {
  const std::string name = DefinitionName(definition);
  bool exists = false;
  storage::DefinitionKind kind = storage::DefinitionKind::kSkill;
  const char* what = "";
  switch (definition.definition_case()) {
    case v1::RoutingConfigChanged::kSkill:
      exists = skills_.contains(name), kind = storage::DefinitionKind::kSkill, what = "skill";
      break;
    case v1::RoutingConfigChanged::kReasonCode:
      exists = reason_codes_.contains(name), kind = storage::DefinitionKind::kReasonCode,
      what = "reason code";
      break;
    case v1::RoutingConfigChanged::kQueue:
      exists = queues_.contains(name), kind = storage::DefinitionKind::kQueue, what = "queue";
      break;
    case v1::RoutingConfigChanged::kAgent:
      exists = agents_.contains(name), kind = storage::DefinitionKind::kAgent, what = "agent";
      break;
    default:
      return absl::InvalidArgumentError("definition: empty");
  }
  if (mode == Mode::kCreate && exists) {
    return absl::AlreadyExistsError(absl::StrCat("name: ", what, " '", name.substr(0, 80), "' already exists"));
  }
  if (mode == Mode::kUpdate && !exists) {
    return absl::NotFoundError(absl::StrCat("name: ", what, " '", name.substr(0, 80), "' not found"));
  }
  if (definition.source().empty()) definition.set_source("api");
  if (auto s = ApplyDefinition(definition); !s.ok()) return s;
  rocksdb::WriteBatch batch;
  store_.PutDefinition(&batch, kind, name, definition);
  v1::Event event;
  *event.mutable_time() = ToTimestamp(clock_->Now());
  event.set_principal(principal);
  *event.mutable_routing_config_changed() = definition;
  auto seq = writer_->Commit(&batch, &event);
  // A new queue or agent may match waiting work at once: that is committed either way.
  auto matched = Commit(principal);
  if (!seq.ok()) return seq.status();
  if (!matched.ok()) return matched;
  return definition;
}

std::vector<v1::Skill> RoutingDesk::Skills() const {
  std::vector<v1::Skill> out;
  for (const auto& [name, skill] : skills_) out.push_back(skill);
  return out;
}

std::vector<v1::ReasonCode> RoutingDesk::ReasonCodes() const {
  std::vector<v1::ReasonCode> out;
  for (const auto& [name, code] : reason_codes_) out.push_back(code);
  return out;
}

std::vector<v1::Queue> RoutingDesk::Queues() const {
  std::vector<v1::Queue> out;
  for (const auto& [name, queue] : queues_) out.push_back(queue);
  return out;
}

const v1::Queue* RoutingDesk::FindQueue(const std::string& name) const {
  auto it = queues_.find(name);
  return it == queues_.end() ? nullptr : &it->second;
}

std::vector<v1::Agent> RoutingDesk::Agents() const {
  std::vector<v1::Agent> out;
  for (const auto& [name, agent] : agents_) out.push_back(agent);
  return out;
}

absl::Status RoutingDesk::Commit(const std::string& principal) {
  rocksdb::WriteBatch batch;
  return Commit(principal, &batch);
}

absl::Status RoutingDesk::Commit(const std::string& principal, rocksdb::WriteBatch* batch,
                                 const std::vector<v1::Event*>& leading) {
  const std::vector<routing::RoutingEvent> events = router_.TakeEvents();
  absl::Status stored = absl::OkStatus();
  if (!events.empty() || batch->Count() > 0 || !leading.empty()) {
    v1::Event event;
    *event.mutable_time() = ToTimestamp(clock_->Now());
    event.set_principal(principal);
    auto* changed = event.mutable_routing_changed();
    for (const auto& routing_event : events) {
      auto* change = changed->add_changes();
      if (const auto* queued = std::get_if<routing::ContactQueued>(&routing_event)) {
        if (auto spec = router_.WaitingRecord(queued->contact); spec.ok()) {
          *change->mutable_contact_queued() = RowFromSpec(queued->contact, *spec);
          store_.PutContact(batch, change->contact_queued());
        } else {
          change->mutable_contact_queued()->set_contact_id(queued->contact);
        }
      } else if (const auto* moved = std::get_if<routing::ContactOverflowed>(&routing_event)) {
        if (auto spec = router_.WaitingRecord(moved->contact); spec.ok()) {
          *change->mutable_contact_overflowed() = RowFromSpec(moved->contact, *spec);
          store_.PutContact(batch, change->contact_overflowed());
        } else {
          change->mutable_contact_overflowed()->set_contact_id(moved->contact);
        }
      } else if (const auto* changed_contact = std::get_if<routing::ContactChanged>(&routing_event)) {
        if (auto spec = router_.WaitingRecord(changed_contact->contact); spec.ok()) {
          *change->mutable_contact_changed() = RowFromSpec(changed_contact->contact, *spec);
          store_.PutContact(batch, change->contact_changed());
        } else {
          change->mutable_contact_changed()->set_contact_id(changed_contact->contact);
        }
      } else if (const auto* left = std::get_if<routing::ContactLeft>(&routing_event)) {
        if (left->answered) {
          change->set_contact_answered(ContactName(left->contact));
        } else if (left->withdrawn) {
          change->set_contact_withdrawn(ContactName(left->contact));
        } else {
          change->set_contact_abandoned(ContactName(left->contact));
        }
        store_.DeleteContact(batch, left->contact);
      } else if (const auto* made = std::get_if<routing::OfferMade>(&routing_event)) {
        auto* offer = change->mutable_offer_made();
        offer->set_offer(OfferName(made->offer));
        offer->set_contact(ContactName(made->contact));
        offer->set_agent(made->agent);
        *offer->mutable_expire_time() = ToTimestamp(made->expires);
      } else if (const auto* ended = std::get_if<routing::OfferEnded>(&routing_event)) {
        auto* offer = change->mutable_offer_ended();
        offer->set_offer(OfferName(ended->offer));
        offer->set_contact(ContactName(ended->contact));
        offer->set_state(OfferStateToProto(ended->state));
      } else if (const auto* state = std::get_if<routing::AgentStateChanged>(&routing_event)) {
        auto view = router_.GetAgent(state->agent);
        if (view.ok()) {
          v1::AgentStateRow row;
          *row.mutable_status() = StatusToProto(*view);
          // The event's own state: the agent may have moved on within this command.
          row.mutable_status()->set_state(AgentStateToProto(state->state));
          row.mutable_status()->set_reason(state->reason);
          *change->mutable_agent_state() = row.status();
          store_.PutAgentState(batch, row);
        }
      }
    }
    // Ids are never reused (a ticket names its contact): every id handed out is recorded,
    // also for a contact connected at once (Connect) that never waited.
    if (router_.next_contact_id() != stored_next_contact_) {
      store_.PutNextContactId(batch, router_.next_contact_id());
      stored_next_contact_ = router_.next_contact_id();
    }
    std::vector<v1::Event> more_events;
    if (!events.empty()) {
      for (Observer* observer : observers_) observer->BeforeCommit(events, batch, &more_events);
    }
    std::vector<v1::Event*> written = leading;
    if (!events.empty() || leading.empty()) written.push_back(&event);
    for (v1::Event& more : more_events) written.push_back(&more);
    auto seq = writer_->Commit(batch, written);
    if (!seq.ok()) {
      stored = seq.status();
      LogEvent(spdlog::level::err, "routing.not_persisted",
               {{"principal", principal}, {"error", std::string(seq.status().message())}});
      StorageFailed(stored);
    }
  }
  Notify(events);
  if (!events.empty()) {
    for (Observer* observer : observers_) observer->AfterCommit(stored);
  }
  ArmTimer();
  return stored;
}

void RoutingDesk::Notify(const std::vector<routing::RoutingEvent>& events) {
  absl::flat_hash_map<std::string, bool> status_changed;
  for (const auto& routing_event : events) {
    if (const auto* made = std::get_if<routing::OfferMade>(&routing_event)) {
      SendOffer(*made, /*new_offer=*/true);
    } else if (const auto* ended = std::get_if<routing::OfferEnded>(&routing_event)) {
      v1::AgentEvent event = Stamped(clock_->Now());
      auto* withdrawn = event.mutable_offer_withdrawn();
      withdrawn->set_offer(OfferName(ended->offer));
      withdrawn->set_contact(ContactName(ended->contact));
      withdrawn->set_state(OfferStateToProto(ended->state));
      Send(ended->agent, std::move(event));
    } else if (const auto* state = std::get_if<routing::AgentStateChanged>(&routing_event)) {
      v1::AgentEvent event = Stamped(clock_->Now());
      auto view = router_.GetAgent(state->agent);
      if (!view.ok()) continue;
      *event.mutable_status() = StatusToProto(*view);
      event.mutable_status()->set_state(AgentStateToProto(state->state));
      event.mutable_status()->set_reason(state->reason);
      Send(state->agent, std::move(event));
    }
  }
}

void RoutingDesk::SendOffer(const routing::OfferMade& made, bool new_offer) {
  auto session = sessions_.find(made.agent);
  if (new_offer && config_.offer_reminder_seconds > 0) {
    const absl::Time at = made.expires - absl::Seconds(config_.offer_reminder_seconds);
    if (at > clock_->Now()) reminders_.emplace(at, Reminder{made.agent, made.offer});
  }
  if (session == sessions_.end()) return;  // ringing at an agent without a session: it times out
  auto contact = router_.GetContact(made.contact);
  if (!contact.ok()) return;
  v1::AgentEvent event = Stamped(clock_->Now());
  auto* offer = event.mutable_offer();
  offer->set_name(OfferName(made.offer));
  offer->set_contact(ContactName(made.contact));
  offer->set_queue(contact->queue);
  offer->set_channel(ChannelToProto(contact->channel));
  *offer->mutable_expire_time() = ToTimestamp(made.expires);
  *offer->mutable_waited() = ToDuration(clock_->Now() - contact->enqueue_time);
  offer->set_priority(contact->priority);
  offer->set_reference(contact->reference);
  auto record = router_.WaitingRecord(made.contact);
  if (record.ok() && !record->customer.empty()) {
    v1::GetCustomerContextRequest request;
    request.set_customer(record->customer);
    request.set_contact(ContactName(made.contact));
    auto* pop = offer->mutable_screen_pop();
    if (auto s = queries_->Context(request, pop); !s.ok()) {
      // The offer still goes out: the agent can look the caller up by hand.
      offer->clear_screen_pop();
      LogEvent(spdlog::level::warn, "routing.screen_pop_failed",
               {{"contact", ContactName(made.contact)}, {"error", std::string(s.message())}});
    }
  }
  session->second.sink->Send(std::move(event));
}

void RoutingDesk::SendStatus(const std::string& agent) {
  auto view = router_.GetAgent(agent);
  if (!view.ok()) return;
  v1::AgentEvent event = Stamped(clock_->Now());
  *event.mutable_status() = StatusToProto(*view);
  Send(agent, std::move(event));
}

void RoutingDesk::Send(const std::string& agent, v1::AgentEvent event) {
  auto session = sessions_.find(agent);
  if (session != sessions_.end()) session->second.sink->Send(std::move(event));
}

void RoutingDesk::ArmTimer() {
  if (stopped_) return;
  std::optional<absl::Time> next = router_.NextDeadline();
  if (!reminders_.empty() && (!next || reminders_.begin()->first < *next)) {
    next = reminders_.begin()->first;
  }
  timer_.cancel();
  if (!next) return;
  const absl::Duration wait = std::max(*next - clock_->Now(), absl::ZeroDuration());
  timer_.expires_after(std::chrono::microseconds(absl::ToInt64Microseconds(wait) + 1));
  timer_.async_wait([this](const std::error_code& error) {
    if (!error) OnTimer();
  });
}

void RoutingDesk::OnTimer() {
  if (stopped_) return;
  const absl::Time now = clock_->Now();
  while (!reminders_.empty() && reminders_.begin()->first <= now) {
    const Reminder reminder = reminders_.begin()->second;
    reminders_.erase(reminders_.begin());
    auto view = router_.GetAgent(reminder.agent);
    if (!view.ok() || view->pending_offer != reminder.offer) continue;
    v1::AgentEvent event = Stamped(now);
    event.mutable_reminder()->set_subject(OfferName(reminder.offer));
    event.mutable_reminder()->set_text(absl::StrCat(
        "offer ", reminder.offer, " is still ringing; it times out in ", config_.offer_reminder_seconds,
        " s"));
    Send(reminder.agent, std::move(event));
  }
  router_.RunDueTimers();
  (void)Commit(kSystemPrincipal);  // failures are logged by Commit
}

absl::Status RoutingDesk::OpenSession(const std::string& agent, uint64_t session_id,
                                      std::shared_ptr<SessionSink> sink) {
  if (stopped_) return absl::UnavailableError("servicedeskd is shutting down");
  if (auto s = CheckResourceName(agent, "agents", "agent"); !s.ok()) return s;
  if (!agents_.contains(agent)) {
    return absl::NotFoundError(absl::StrCat("agent: '", agent, "' is not a defined agent"));
  }
  if (auto old = sessions_.find(agent); old != sessions_.end()) {
    old->second.sink->Close(absl::AbortedError(
        absl::StrCat("session: replaced by a newer session of ", agent)));
    sessions_.erase(old);
  }
  if (auto grace = grace_timers_.find(agent); grace != grace_timers_.end()) {
    grace->second->cancel();
    grace_timers_.erase(grace);
  }
  sessions_[agent] = Session{session_id, sink};
  auto before = router_.GetAgent(agent);
  const bool was_logged_out = before.ok() && before->state == routing::AgentState::kLoggedOut;
  if (auto s = router_.Login(agent); !s.ok()) return s;
  // A session lost while busy asked for NOT_READY("session lost"); back, it is withdrawn.
  if (auto view = router_.GetAgent(agent);
      view.ok() && view->requested_reason == kSessionLostReason) {
    (void)router_.SetReady(agent);
  }
  auto stored = Commit(agent);
  // The first message is the agent's status: sent by Commit when the login changed it.
  if (!was_logged_out) SendStatus(agent);
  // An offer ringing since before a reconnect is offered again on the new stream.
  if (auto view = router_.GetAgent(agent); view.ok() && view->pending_offer) {
    if (auto offer = router_.PendingOffer(*view->pending_offer); offer.ok()) {
      SendOffer(*offer, /*new_offer=*/false);
    }
  }
  LogEvent(spdlog::level::info, "agent.session_opened", {{"agent", agent}});
  return stored;
}

void RoutingDesk::SessionEnded(const std::string& agent, uint64_t session_id) {
  auto it = sessions_.find(agent);
  if (stopped_ || it == sessions_.end() || it->second.id != session_id) return;
  sessions_.erase(it);
  LogEvent(spdlog::level::info, "agent.session_ended",
           {{"agent", agent}, {"grace_seconds", absl::StrCat(config_.session_grace_seconds)}});
  auto timer = std::make_unique<asio::steady_timer>(loop_->context());
  timer->expires_after(std::chrono::seconds(config_.session_grace_seconds));
  timer->async_wait([this, agent, session_id](const std::error_code& error) {
    if (!error) OnSessionLost(agent, session_id);
  });
  grace_timers_[agent] = std::move(timer);
}

void RoutingDesk::OnSessionLost(const std::string& agent, uint64_t session_id) {
  if (stopped_ || sessions_.contains(agent)) return;
  grace_timers_.erase(agent);
  auto logout = router_.Logout(agent);
  if (!logout.ok()) {
    // Still connected to work: no new offers; the logout happens when the work ends.
    (void)router_.SetNotReady(agent, kSessionLostReason);
    auto timer = std::make_unique<asio::steady_timer>(loop_->context());
    timer->expires_after(std::chrono::seconds(std::max(1, config_.session_grace_seconds)));
    timer->async_wait([this, agent, session_id](const std::error_code& error) {
      if (!error) OnSessionLost(agent, session_id);
    });
    grace_timers_[agent] = std::move(timer);
  }
  LogEvent(spdlog::level::info, logout.ok() ? "agent.logged_out" : "agent.logout_deferred",
           {{"agent", agent}, {"reason", kSessionLostReason}});
  (void)Commit(kSystemPrincipal);
}

absl::StatusOr<v1::AgentStatus> RoutingDesk::Then(absl::Status status, const std::string& agent,
                                                  const std::string& principal) {
  // Committed whatever the outcome: a refused command changes nothing, but anything the
  // router did must never stay unsaved and unsent.
  auto stored = Commit(principal);
  if (!status.ok()) return status;
  if (!stored.ok()) return stored;
  return Status(agent);
}

absl::StatusOr<v1::AgentStatus> RoutingDesk::Status(const std::string& agent) const {
  auto view = router_.GetAgent(agent);
  if (!view.ok()) return view.status();
  return StatusToProto(*view);
}

absl::StatusOr<v1::AgentStatus> RoutingDesk::SetState(const std::string& agent,
                                                      const v1::SetStateRequest& request,
                                                      const std::string& principal) {
  return Then(ApplyState(agent, request), agent, principal);
}

absl::Status RoutingDesk::ApplyState(const std::string& agent, const v1::SetStateRequest& request) {
  switch (request.state()) {
    case v1::AGENT_STATE_READY:
      if (!request.reason_code().empty()) {
        return absl::InvalidArgumentError("reason_code: only for NOT_READY");
      }
      return router_.SetReady(agent);
    case v1::AGENT_STATE_NOT_READY: {
      if (request.reason_code().empty()) {
        return absl::InvalidArgumentError("reason_code: required for NOT_READY");
      }
      if (!reason_codes_.contains(request.reason_code())) {
        return absl::InvalidArgumentError(absl::StrCat(
            "reason_code: '", request.reason_code().substr(0, 80), "' is not a defined reason code"));
      }
      return router_.SetNotReady(agent, request.reason_code());
    }
    case v1::AGENT_STATE_LOGGED_OUT: {
      auto status = router_.Logout(agent);
      if (status.ok()) {
        if (auto session = sessions_.find(agent); session != sessions_.end()) {
          session->second.sink->Close(absl::OkStatus());
          sessions_.erase(session);
        }
      }
      return status;
    }
    default:
      return absl::InvalidArgumentError(
          "state: an agent sets READY, NOT_READY or LOGGED_OUT; the desk sets the others");
  }
}

absl::StatusOr<v1::AcceptOfferResponse> RoutingDesk::Accept(const std::string& agent,
                                                            const std::string& offer,
                                                            const std::string& principal) {
  auto id = ParseOfferName(offer, "offer");
  if (!id.ok()) return id.status();
  auto accepted = router_.Accept(agent, *id);
  auto stored = Commit(principal);
  if (!accepted.ok()) return accepted.status();
  if (!stored.ok()) return stored;
  v1::AcceptOfferResponse response;
  response.set_contact(ContactName(accepted->contact));
  *response.mutable_waited() = ToDuration(accepted->waited);
  return response;
}

absl::StatusOr<v1::AgentStatus> RoutingDesk::Reject(const std::string& agent, const std::string& offer,
                                                    const std::string& principal) {
  auto id = ParseOfferName(offer, "offer");
  if (!id.ok()) return id.status();
  return Then(router_.Reject(agent, *id), agent, principal);
}

absl::StatusOr<v1::AgentStatus> RoutingDesk::EndContact(const std::string& agent,
                                                        const std::string& contact,
                                                        const std::string& principal) {
  auto id = ParseContactName(contact, "contact");
  if (!id.ok()) return id.status();
  auto status = Then(router_.EndContact(agent, *id), agent, principal);
  // Asked out while the session was gone: the work is over, so is the agent's day.
  if (status.ok() && !sessions_.contains(agent) && status->requested_reason() == kSessionLostReason) {
    OnSessionLost(agent, 0);
    return Status(agent);
  }
  return status;
}

absl::StatusOr<v1::AgentStatus> RoutingDesk::CompleteWrapUp(const std::string& agent,
                                                            const v1::CompleteWrapUpRequest& request,
                                                            const std::string& principal) {
  std::string code = request.wrap_up_code();
  std::string notes = request.notes();
  if (auto s = customers::ValidateWrapUp(&code, &notes, ""); !s.ok()) return s;
  auto view = router_.GetAgent(agent);
  if (!view.ok()) return view.status();
  if (view->state != routing::AgentState::kWrapUp) {
    return absl::FailedPreconditionError(absl::StrCat(
        "agent: '", agent, "' is ", routing::AgentStateName(view->state), ", not WRAP_UP"));
  }
  // Recorded first: if that fails the agent is still in wrap-up and can send it again.
  if ((!code.empty() || !notes.empty()) && wrap_up_recorder_) {
    if (auto s = wrap_up_recorder_(agent, code, notes, principal); !s.ok()) return s;
  }
  return Then(router_.CompleteWrapUp(agent), agent, principal);
}

void RoutingDesk::StorageFailed(const absl::Status& status) const {
  if (storage_failure_) {
    storage_failure_(status);
    return;
  }
  // The change is applied in memory but not on disk, and may be half of a larger one: going
  // on would serve state that a restart would not find. Ending the process is the one way
  // back to a consistent desk: the restart rebuilds everything from what is durable, and
  // clients retry what was not acknowledged (RocksDB stops accepting writes after such an
  // error anyway).
  LogEvent(spdlog::level::critical, "storage.write_failed",
           {{"error", std::string(status.message())}, {"action", "exiting; restart recovers"}});
  spdlog::default_logger()->flush();
  std::_Exit(3);
}

absl::StatusOr<v1::TransferResponse> RoutingDesk::Transfer(const std::string& agent,
                                                           const v1::TransferRequest& request,
                                                           const std::string& principal) {
  auto id = ParseContactName(request.contact(), "contact");
  if (!id.ok()) return id.status();
  absl::StatusOr<uint64_t> moved;
  switch (request.target_case()) {
    case v1::TransferRequest::kQueue:
      if (auto s = CheckResourceName(request.queue(), "queues", "queue"); !s.ok()) return s;
      moved = router_.TransferToQueue(agent, *id, request.queue());
      break;
    case v1::TransferRequest::kToAgent:
      if (auto s = CheckResourceName(request.to_agent(), "agents", "to_agent"); !s.ok()) return s;
      moved = router_.TransferToAgent(agent, *id, request.to_agent());
      break;
    default:
      return absl::InvalidArgumentError("target: a queue or to_agent is required");
  }
  auto stored = Commit(principal);
  if (!moved.ok()) return moved.status();
  if (!stored.ok()) return stored;
  v1::TransferResponse response;
  response.set_contact(ContactName(*moved));
  return response;
}

absl::Status RoutingDesk::Control(const std::string& principal, v1::SupervisorControlled what,
                                  const std::function<absl::Status()>& change) {
  if (what.reason().size() > 500) return absl::InvalidArgumentError("reason: at most 500 bytes");
  absl::Status status = change();
  if (!status.ok()) {
    (void)Commit(principal);  // a refused control changes nothing, but nothing stays unsaved
    return status;
  }
  LogEvent(spdlog::level::info, "supervisor.control",
           {{"principal", principal}, {"control", what.control()}, {"target", what.target()}, {"detail", what.detail()}});
  v1::Event event;
  *event.mutable_time() = ToTimestamp(clock_->Now());
  event.set_principal(principal);
  *event.mutable_supervisor_controlled() = std::move(what);
  rocksdb::WriteBatch batch;
  return Commit(principal, &batch, {&event});
}

absl::StatusOr<v1::AgentStatus> RoutingDesk::ForceState(const v1::ForceAgentStateRequest& request,
                                                        const std::string& principal) {
  if (auto s = CheckResourceName(request.agent(), "agents", "agent"); !s.ok()) return s;
  if (request.state() != v1::AGENT_STATE_READY && request.state() != v1::AGENT_STATE_NOT_READY) {
    return absl::InvalidArgumentError("state: READY or NOT_READY (LogOutAgent logs out)");
  }
  v1::SetStateRequest set;
  set.set_state(request.state());
  set.set_reason_code(request.reason_code());
  v1::SupervisorControlled what;
  what.set_control("force_agent_state");
  what.set_target(request.agent());
  what.set_detail(absl::StrCat(v1::AgentState_Name(request.state()),
                               request.reason_code().empty() ? "" : " ", request.reason_code()));
  what.set_reason(request.reason());
  if (auto s = Control(principal, what, [&] { return ApplyState(request.agent(), set); }); !s.ok()) return s;
  return Status(request.agent());
}

absl::StatusOr<v1::AgentStatus> RoutingDesk::ForceLogout(const v1::LogOutAgentRequest& request,
                                                         const std::string& principal) {
  if (auto s = CheckResourceName(request.agent(), "agents", "agent"); !s.ok()) return s;
  v1::SetStateRequest set;
  set.set_state(v1::AGENT_STATE_LOGGED_OUT);
  v1::SupervisorControlled what;
  what.set_control("log_out_agent");
  what.set_target(request.agent());
  what.set_detail("LOGGED_OUT");
  what.set_reason(request.reason());
  if (auto s = Control(principal, what, [&] { return ApplyState(request.agent(), set); }); !s.ok()) return s;
  return Status(request.agent());
}

absl::StatusOr<v1::Contact> RoutingDesk::MoveContact(const v1::MoveContactRequest& request,
                                                     const std::string& principal) {
  auto id = ParseContactName(request.contact(), "contact");
  if (!id.ok()) return id.status();
  if (auto s = CheckResourceName(request.queue(), "queues", "queue"); !s.ok()) return s;
  auto before = ContactProto(*id);
  if (!before.ok()) return before.status();
  if (absl::StartsWith(before->reference(), "tickets/")) {
    return absl::FailedPreconditionError(absl::StrCat("contact: '", request.contact(), "' is the contact of ",
                                                      before->reference(), "; change the ticket's queue instead"));
  }
  if (!queues_.contains(request.queue())) {
    return absl::NotFoundError(absl::StrCat("queue: '", request.queue(), "' not found"));
  }
  if (!router_.Servable(*id, request.queue())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "queue: no agent could serve ", request.contact(), " in '", request.queue(),
        "' (its channel, the queue's skills and the contact's own)"));
  }
  v1::SupervisorControlled what;
  what.set_control("move_contact");
  what.set_target(request.contact());
  what.set_detail(absl::StrCat("from ", before->queue(), " to ", request.queue()));
  what.set_reason(request.reason());
  if (auto s = Control(principal, what, [&] { return router_.Move(*id, request.queue()); }); !s.ok()) return s;
  return ContactProto(*id);
}

absl::StatusOr<v1::Contact> RoutingDesk::OfferContact(const v1::OfferContactRequest& request,
                                                      const std::string& principal) {
  auto id = ParseContactName(request.contact(), "contact");
  if (!id.ok()) return id.status();
  if (auto s = CheckResourceName(request.agent(), "agents", "agent"); !s.ok()) return s;
  v1::SupervisorControlled what;
  what.set_control("offer_contact");
  what.set_target(request.contact());
  what.set_detail(absl::StrCat("to ", request.agent()));
  what.set_reason(request.reason());
  if (auto s = Control(principal, what, [&] { return router_.OfferTo(*id, request.agent()); }); !s.ok()) return s;
  return ContactProto(*id);
}

absl::StatusOr<v1::Contact> RoutingDesk::SetContactPriority(const v1::SetContactPriorityRequest& request,
                                                            const std::string& principal) {
  auto id = ParseContactName(request.contact(), "contact");
  if (!id.ok()) return id.status();
  if (request.priority_adjust() < -100 || request.priority_adjust() > 100) {
    return absl::InvalidArgumentError("priority_adjust: must be -100 to 100");
  }
  v1::SupervisorControlled what;
  what.set_control("set_contact_priority");
  what.set_target(request.contact());
  what.set_detail(absl::StrCat("priority_adjust ", request.priority_adjust()));
  what.set_reason(request.reason());
  if (auto s = Control(principal, what, [&] { return router_.Reprioritize(*id, request.priority_adjust()); });
      !s.ok()) {
    return s;
  }
  return ContactProto(*id);
}

absl::StatusOr<v1::RoutingTrace> RoutingDesk::ContactTrace(const std::string& contact) const {
  auto id = ParseContactName(contact, "contact");
  if (!id.ok()) return id.status();
  auto view = router_.GetContact(*id);
  if (!view.ok()) return view.status();
  if (!view->last_offer) {
    return absl::FailedPreconditionError(absl::StrCat("contact: '", contact, "' has not been offered yet"));
  }
  auto trace = router_.Trace(*view->last_offer);
  if (!trace.ok()) return trace.status();
  return TraceToProto(*trace);
}

absl::StatusOr<v1::RoutingTrace> RoutingDesk::Trace(const std::string& offer) const {
  auto id = ParseOfferName(offer, "offer");
  if (!id.ok()) return id.status();
  auto trace = router_.Trace(*id);
  if (!trace.ok()) return trace.status();
  return TraceToProto(*trace);
}

absl::StatusOr<v1::Contact> RoutingDesk::ContactProto(uint64_t id) const {
  auto view = router_.GetContact(id);
  if (!view.ok()) return view.status();
  v1::Contact contact;
  contact.set_name(ContactName(id));
  contact.set_channel(ChannelToProto(view->channel));
  contact.set_queue(view->queue);
  *contact.mutable_enqueue_time() = ToTimestamp(view->enqueue_time);
  contact.set_priority(view->priority);
  contact.set_state(ContactStateName(view->state));
  contact.set_agent(view->agent);
  contact.set_reference(view->reference);
  if (auto record = router_.WaitingRecord(id); record.ok()) contact.set_customer(record->customer);
  return contact;
}

absl::Status RoutingDesk::FillFromCustomer(const std::string& customer,
                                           routing::ContactSpec* spec) const {
  auto customer_id = customers::ParseCustomerName(customer, "customer");
  if (!customer_id.ok()) return customer_id.status();
  auto pop = customers_->ReadScreenPop(*customer_id);
  if (!pop.ok()) return pop.status();
  return FillFromScreenPop(customer, *pop, spec);
}

absl::Status RoutingDesk::FillFromScreenPop(const std::string& customer, const v1::ScreenPopRow& pop_row,
                                            routing::ContactSpec* spec) const {
  const v1::ScreenPopRow* pop = &pop_row;
  if (!pop->has_customer()) {
    return absl::NotFoundError(absl::StrCat("customer: '", customer, "' not found"));
  }
  spec->customer = customer;
  spec->tier = TierFromProto(pop->customer().tier());
  spec->open_complaint = pop->open_complaints_size() > 0;
  if (spec->preferred_agent.empty()) {
    // Key customers go to their owner; others to whoever served them last.
    const bool key =
        spec->tier == routing::Tier::kKeyImportant || spec->tier == routing::Tier::kKeySecondary;
    if (key && agents_.contains(pop->customer().owner_agent())) {
      spec->preferred_agent = pop->customer().owner_agent();
    } else {
      for (const auto& interaction : pop->recent_interactions()) {
        if (agents_.contains(interaction.agent())) {
          spec->preferred_agent = interaction.agent();
          break;
        }
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Contact> RoutingDesk::Enqueue(const v1::EnqueueContactRequest& request,
                                                 const std::string& principal) {
  if (request.request_id().size() > kMaxRequestId) {
    return absl::InvalidArgumentError("request_id: at most 200 characters");
  }
  if (!request.request_id().empty()) {
    auto earlier = store_.FindRequest(request.request_id());
    if (!earlier.ok()) return earlier.status();
    if (*earlier) {
      auto contact = ContactProto(**earlier);
      if (contact.ok()) return contact;
      v1::Contact done;  // answered or gone since: the retry still gets its contact's name
      done.set_name(ContactName(**earlier));
      done.set_state("CLOSED");
      return done;
    }
  }
  routing::ContactSpec spec;
  auto channel = ChannelFromProto(request.channel(), "channel");
  if (!channel.ok()) return channel.status();
  spec.channel = *channel;
  if (auto s = CheckResourceName(request.queue(), "queues", "queue"); !s.ok()) return s;
  spec.queue = request.queue();
  if (request.priority_adjust() < -100 || request.priority_adjust() > 100) {
    return absl::InvalidArgumentError("priority_adjust: must be -100 to 100");
  }
  spec.priority_adjust = request.priority_adjust();
  auto extra = SkillsFromProto(request.extra_skills(), "extra_skills");
  if (!extra.ok()) return extra.status();
  if (auto s = CheckSkillsDefined(request.extra_skills(), "extra_skills"); !s.ok()) return s;
  spec.extra_skills = *std::move(extra);
  if (!request.preferred_agent().empty()) {
    if (auto s = CheckResourceName(request.preferred_agent(), "agents", "preferred_agent"); !s.ok()) {
      return s;
    }
    spec.preferred_agent = request.preferred_agent();
  }
  if (!request.customer().empty()) {
    if (auto status = FillFromCustomer(request.customer(), &spec); !status.ok()) return status;
  }
  spec.enqueue_time = clock_->Now();
  auto id = router_.Enqueue(spec);
  if (!id.ok()) {
    (void)Commit(principal);
    return id.status();
  }
  rocksdb::WriteBatch batch;
  if (!request.request_id().empty()) store_.PutRequest(&batch, request.request_id(), *id);
  auto contact = ContactProto(*id);  // before Commit: an offer may already be out
  if (auto stored = Commit(principal, &batch); !stored.ok()) return stored;
  return contact;
}

absl::StatusOr<v1::Contact> RoutingDesk::Abandon(const std::string& contact,
                                                 const std::string& principal) {
  auto id = ParseContactName(contact, "contact");
  if (!id.ok()) return id.status();
  auto before = ContactProto(*id);
  if (!before.ok()) return before.status();
  if (!before->reference().empty()) {
    // Its owner keeps it in line with the ticket: taken out here, the ticket would wait in
    // no queue.
    return absl::FailedPreconditionError(absl::StrCat(
        "contact: '", contact, "' is the contact of ", before->reference(),
        "; change the ticket instead (assign it, set it pending or solve it)"));
  }
  auto abandoned = router_.Abandon(*id);
  auto stored = Commit(principal);
  if (!abandoned.ok()) return abandoned;
  if (!stored.ok()) return stored;
  before->set_state("ABANDONED");
  return before;
}

absl::StatusOr<std::vector<v1::Contact>> RoutingDesk::Waiting(const std::string& queue) const {
  if (auto s = CheckResourceName(queue, "queues", "queue"); !s.ok()) return s;
  auto ids = router_.Waiting(queue);
  if (!ids.ok()) return ids.status();
  // Then those that overflowed into the queue's widened requirement (queue "<name>~widened").
  if (auto widened = router_.Waiting(queue + "~widened"); widened.ok()) {
    ids->insert(ids->end(), widened->begin(), widened->end());
  }
  std::vector<v1::Contact> out;
  for (uint64_t id : *ids) {
    auto contact = ContactProto(id);
    if (contact.ok()) out.push_back(*std::move(contact));
  }
  return out;
}

}  // namespace servicedesk::server
