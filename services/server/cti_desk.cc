#include "services/server/cti_desk.h"

#include <chrono>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/cti/event_validation.h"
#include "services/server/logging.h"
#include "services/server/routing_proto.h"

namespace servicedesk::server {

namespace {

constexpr const char* kSystemPrincipal = "system/cti";

std::string CallKey(const std::string& source, const std::string& call_id) {
  return absl::StrCat(source, "\x1f", call_id);
}

cti::TrackerOptions TrackerOptionsFrom(const CtiConfig& config,
                                       const customers::PhoneNormalizer& phones) {
  cti::TrackerOptions options;
  options.idle_timeout = absl::Seconds(config.idle_timeout_seconds);
  options.default_queue = config.default_queue;
  options.callback_window = absl::Hours(config.callback_window_hours);
  options.callback_min_wait = absl::Seconds(config.callback_min_wait_seconds);
  for (const auto& [number, queue] : config.called_numbers) {
    // Keys as the events will carry them: E.164, or an internal extension as is.
    auto e164 = phones.ToE164(number, "cti.called_numbers");
    options.called_number_queues[e164.ok() ? *e164 : number] = queue;
  }
  return options;
}

// The idempotency key of a call's customer-file writes: short and free of spaces whatever
// the telephony's ids look like (FNV-1a, stable across runs and builds).
std::string CallRequestId(const std::string& source, const std::string& call_id) {
  uint64_t hash = 1469598103934665603ull;
  for (const std::string* part : {&source, &call_id}) {
    for (unsigned char c : *part) {
      hash ^= c;
      hash *= 1099511628211ull;
    }
    hash ^= 0x1f;
    hash *= 1099511628211ull;
  }
  return absl::StrFormat("cti-%016x", hash);
}

cti::CallSnapshot SnapshotFromRow(const v1::CtiCallRow& row) {
  cti::CallSnapshot snapshot;
  cti::CallRecord& record = snapshot.record;
  record.source = row.source();
  record.call_id = row.call_id();
  record.inbound = row.inbound();
  record.calling = row.calling();
  record.called = row.called();
  record.queue = row.queue();
  record.agent = row.agent();
  record.ivr = {row.ivr().begin(), row.ivr().end()};
  record.offered = FromTimestamp(row.offered());
  if (row.has_answered()) record.answered = FromTimestamp(row.answered());
  record.hold = absl::Seconds(row.hold().seconds()) + absl::Nanoseconds(row.hold().nanos());
  snapshot.state = static_cast<cti::CallState>(row.state());
  if (row.has_held_since()) snapshot.held_since = FromTimestamp(row.held_since());
  snapshot.last_heard = FromTimestamp(row.last_heard());
  return snapshot;
}

}  // namespace

std::string SourceOfPrincipal(const std::string& principal) {
  return absl::StartsWith(principal, "cti/") ? principal.substr(4) : principal;
}

CtiDesk::CtiDesk(const Config& config, const Clock* clock, DeskLoop* loop, storage::Database* db,
                 storage::EventWriter* writer, const storage::CustomerStore* customers,
                 customers::CustomerCommands* commands, const customers::PhoneNormalizer* phones,
                 RoutingDesk* routing)
    : config_(config),
      clock_(clock),
      loop_(loop),
      customers_(customers),
      commands_(commands),
      phones_(phones),
      routing_(routing),
      writer_(writer),
      store_(db),
      db_(db),
      commit_([db] { return storage::FromRocks(db->db()->SyncWAL(), "syncing the WAL"); },
              [this](const absl::Status& failed) {
                // After a failed fsync the kernel may have dropped the dirty pages: what the
                // WAL holds is unknown, so nothing is acknowledged and the restart finds out.
                loop_->Post([this, failed] {
                  LogEvent(spdlog::level::err, "cti.sync_failed", {{"error", std::string(failed.message())}});
                  routing_->StorageFailed(failed);
                });
              }),
      tracker_(clock, TrackerOptionsFrom(config.cti, *phones)),
      timer_(loop->context()),
      expiry_timer_(loop->context()) {}

absl::Status CtiDesk::Start() {
  auto calls = store_.LoadCalls();
  if (!calls.ok()) return calls.status();
  for (const auto& row : *calls) {
    tracker_.Restore(SnapshotFromRow(row));
    links_[CallKey(row.source(), row.call_id())] = Link{row.contact_id(), row.customer()};
  }
  for (const auto& [key, link] : links_) {
    if (link.contact != 0) call_of_contact_[link.contact] = key;
  }
  auto instructions = store_.LoadInstructions();
  if (!instructions.ok()) return instructions.status();
  for (auto& stored : *instructions) {
    unacknowledged_[stored.source].push_back(Pending{stored.number, std::move(stored.instruction)});
  }
  routing_->AddObserver(this);
  routing_->SetWrapUpRecorder([this](const std::string& agent, const std::string& code,
                                     const std::string& notes, const std::string& principal) {
    return RecordWrapUp(agent, code, notes, principal);
  });
  ArmTimer();
  ArmExpiry(absl::ZeroDuration());
  LogEvent(spdlog::level::info, "cti.started",
           {{"live_calls", absl::StrCat(calls->size())},
            {"unacknowledged_instructions", absl::StrCat(instructions->size())}});
  return absl::OkStatus();
}

void CtiDesk::Stop() {
  // Nothing applied is left unacknowledged: the sync in flight finishes (its group is
  // answered when the loop drains), then what is left is synced here.
  commit_.Stop();
  (void)writer_->SyncDeferred();  // housekeeping written without an fsync of its own
  stopped_ = true;
  timer_.cancel();
  expiry_timer_.cancel();
  for (auto& [source, connection] : connections_) {
    connection.sink->Close(absl::UnavailableError("servicedeskd is shutting down; reconnect"));
  }
  connections_.clear();
}

void CtiDesk::WhenAcknowledged(std::function<void()> fn) {
  if (!config_.sync_writes) {
    fn();
    return;
  }
  commit_.After(writer_->last_seq(), [fn = std::move(fn)](const absl::Status&) { fn(); });
}

absl::Status CtiDesk::OpenSource(const std::string& source, uint64_t stream_id,
                                 std::shared_ptr<CtiSink> sink) {
  if (stopped_) return absl::UnavailableError("servicedeskd is shutting down");
  if (auto old = connections_.find(source); old != connections_.end()) {
    old->second.sink->Close(absl::AbortedError(
        absl::StrCat("hello: replaced by a newer connection of source '", source, "'")));
  }
  connections_[source] = Connection{stream_id, sink};
  for (const auto& pending : unacknowledged_[source]) {
    v1::CtiServerMessage message;
    *message.mutable_instruction() = pending.instruction;
    sink->Send(std::move(message));
  }
  LogEvent(spdlog::level::info, "cti.connected",
           {{"source", source}, {"resent_instructions", absl::StrCat(unacknowledged_[source].size())}});
  return absl::OkStatus();
}

void CtiDesk::CloseSource(const std::string& source, uint64_t stream_id) {
  auto it = connections_.find(source);
  if (it != connections_.end() && it->second.stream_id == stream_id) connections_.erase(it);
}

void CtiDesk::AcknowledgeInstruction(const std::string& source, const std::string& instruction_id) {
  auto pending = unacknowledged_.find(source);
  if (pending == unacknowledged_.end()) return;
  auto it = std::find_if(pending->second.begin(), pending->second.end(), [&](const Pending& p) {
    return p.instruction.instruction_id() == instruction_id;
  });
  if (it == pending->second.end()) return;  // acknowledged twice, or its call ended: nothing to do
  rocksdb::WriteBatch batch;
  store_.DeleteInstruction(&batch, source, it->number);
  pending->second.erase(it);
  v1::Event event;
  *event.mutable_time() = ToTimestamp(clock_->Now());
  event.set_principal(absl::StrCat("cti/", source));
  event.mutable_cti_instruction_acknowledged()->set_source(source);
  event.mutable_cti_instruction_acknowledged()->set_instruction_id(instruction_id);
  // Not worth an fsync of its own: lost in a crash, the instruction is merely sent again.
  writer_->set_defer_sync(true);
  auto seq = writer_->Commit(&batch, &event);
  writer_->set_defer_sync(false);
  if (!seq.ok()) Failed(seq.status());
}

std::vector<v1::RoutingInstruction> CtiDesk::PendingInstructions(const std::string& source) const {
  std::vector<v1::RoutingInstruction> out;
  if (auto it = unacknowledged_.find(source); it != unacknowledged_.end()) {
    for (const auto& pending : it->second) out.push_back(pending.instruction);
  }
  return out;
}

void CtiDesk::Instruct(const std::string& source, v1::RoutingInstruction instruction,
                       rocksdb::WriteBatch* batch) {
  const uint64_t number = writer_->NextId(batch, "cti_instruction");
  instruction.set_instruction_id(absl::StrCat("i-", number));
  auto& pending = unacknowledged_[source];
  constexpr std::size_t kMaxUnacknowledged = 1000;  // a source that never acknowledges
  if (pending.size() >= kMaxUnacknowledged) {
    store_.DeleteInstruction(batch, source, pending.front().number);
    pending.erase(pending.begin());
  }
  store_.PutInstruction(batch, source, number, instruction);
  pending.push_back(Pending{number, instruction});
  staged_.emplace_back(source, std::move(instruction));
}

void CtiDesk::BeforeCommit(const std::vector<routing::RoutingEvent>& events,
                           rocksdb::WriteBatch* batch, std::vector<v1::Event>* /*more_events*/) {
  // An agent who left wrap-up without a code has nothing more to record on that call: a
  // later wrap-up (of a ticket, of a call without a customer file) is not about it.
  for (const auto& event : events) {
    const auto* state = std::get_if<routing::AgentStateChanged>(&event);
    if (state != nullptr && state->state != routing::AgentState::kWrapUp) {
      wrap_up_targets_.erase(state->agent);
    }
  }
  if (applying_) return;  // the telephony caused these: it knows
  for (const auto& event : events) {
    uint64_t contact = 0;
    std::string agent;
    bool connect = false;
    if (const auto* left = std::get_if<routing::ContactLeft>(&event)) {
      if (!left->answered) continue;
      contact = left->contact;
      connect = true;
      auto view = routing_->router().GetContact(contact);
      if (!view.ok()) continue;
      agent = view->agent;
    } else if (const auto* ended = std::get_if<routing::OfferEnded>(&event)) {
      if (ended->state != routing::OfferState::kWithdrawn) continue;
      contact = ended->contact;
      agent = ended->agent;
    } else {
      continue;
    }
    auto call = call_of_contact_.find(contact);
    if (call == call_of_contact_.end()) continue;
    const auto separator = call->second.find('\x1f');
    const std::string source = call->second.substr(0, separator);
    v1::RoutingInstruction instruction;
    instruction.set_call_id(call->second.substr(separator + 1));
    if (connect) {
      instruction.mutable_connect()->set_agent(agent);
    } else {
      instruction.mutable_withdraw()->set_reason(absl::StrCat("the offer to ", agent, " was withdrawn"));
    }
    Instruct(source, std::move(instruction), batch);
  }
}

void CtiDesk::AfterCommit(const absl::Status& stored) {
  auto staged = std::move(staged_);
  staged_.clear();
  if (!stored.ok()) return;  // not durable: not given (the storage failure ends the process)
  for (auto& [source, instruction] : staged) {
    auto it = connections_.find(source);
    if (it == connections_.end()) continue;  // sent when it connects
    v1::CtiServerMessage message;
    *message.mutable_instruction() = std::move(instruction);
    it->second.sink->Send(std::move(message));
  }
}

absl::Status CtiDesk::RecordWrapUp(const std::string& agent, const std::string& code,
                                   const std::string& notes, const std::string& principal) {
  auto target = wrap_up_targets_.find(agent);
  if (target == wrap_up_targets_.end()) return absl::OkStatus();
  auto recorded = commands_->WrapUpInteraction(target->second.customer, target->second.request_id,
                                               code, notes, principal);
  if (!recorded.ok()) return recorded.status();
  wrap_up_targets_.erase(target);
  return absl::OkStatus();
}

void CtiDesk::Failed(const absl::Status& status) {
  LogEvent(spdlog::level::err, "cti.not_persisted", {{"error", std::string(status.message())}});
  routing_->StorageFailed(status);
}

absl::StatusOr<int> CtiDesk::ExpireEventIds() {
  const absl::Time now = clock_->Now();
  const absl::Time cutoff = now - absl::Hours(config_.cti.dedup_horizon_hours);
  rocksdb::WriteBatch batch;
  constexpr int kPerBatch = 10000;  // one sweep stays short; the next one follows at once
  auto expired = store_.ExpireSeen(&batch, cutoff, kPerBatch);
  if (!expired.ok() || *expired == 0) return expired;
  v1::Event event;
  *event.mutable_time() = ToTimestamp(now);
  event.set_principal(kSystemPrincipal);
  *event.mutable_cti_event_ids_expired()->mutable_before() = ToTimestamp(cutoff);
  event.mutable_cti_event_ids_expired()->set_count(*expired);
  writer_->set_defer_sync(true);
  auto seq = writer_->Commit(&batch, &event);
  writer_->set_defer_sync(false);
  if (!seq.ok()) return seq.status();
  LogEvent(spdlog::level::info, "cti.event_ids_expired", {{"count", absl::StrCat(*expired)}});
  return expired;
}

void CtiDesk::ArmExpiry(absl::Duration after) {
  if (stopped_) return;
  expiry_timer_.expires_after(std::chrono::microseconds(absl::ToInt64Microseconds(after)));
  expiry_timer_.async_wait([this](const std::error_code& error) {
    if (error || stopped_) return;
    auto expired = ExpireEventIds();
    if (!expired.ok()) {
      LogEvent(spdlog::level::err, "cti.expiry_failed", {{"error", std::string(expired.status().message())}});
    }
    // A full sweep means more are due: the next follows shortly, leaving the loop to others.
    ArmExpiry(expired.ok() && *expired >= 10000 ? absl::Seconds(1) : absl::Hours(1));
  });
}

void CtiDesk::Submit(const v1::CallEvent& event, const std::string& principal, bool source_bound,
                     AckCallback done) {
  if (stopped_) {
    // Shutting down: nothing more is applied, so nothing is acknowledged without its fsync.
    done(absl::UnavailableError("servicedeskd is shutting down; send it again after the restart"));
    return;
  }
  writer_->set_defer_sync(true);
  absl::StatusOr<v1::EventAck> ack = Handle(event, principal, source_bound);
  writer_->set_defer_sync(false);
  if (!config_.sync_writes) {  // nothing is ever waited for
    acks_sent_.fetch_add(1, std::memory_order_relaxed);
    done(std::move(ack));
    return;
  }
  // Even a duplicate or a refusal waits for what was written before it: its answer may rest
  // on an event applied moments ago that is not on disk yet.
  commit_.After(writer_->last_seq(), [this, done = std::move(done), ack = std::move(ack)](
                                         const absl::Status& synced) mutable {
    acks_sent_.fetch_add(1, std::memory_order_relaxed);
    done(synced.ok() ? std::move(ack) : absl::StatusOr<v1::EventAck>(synced));
  });
}

void CtiDesk::SaveCall(rocksdb::WriteBatch* batch, const std::string& source,
                       const std::string& call_id) {
  auto snapshot = tracker_.Snapshot(source, call_id);
  const std::string key = CallKey(source, call_id);
  if (!snapshot || snapshot->state == cti::CallState::kEnded) {
    store_.DeleteCall(batch, source, call_id);
    if (auto link = links_.find(key); link != links_.end()) {
      call_of_contact_.erase(link->second.contact);
      links_.erase(link);
    }
    // A finished call needs no connecting any more.
    if (auto pending = unacknowledged_.find(source); pending != unacknowledged_.end()) {
      std::erase_if(pending->second, [&](const Pending& p) {
        if (p.instruction.call_id() != call_id) return false;
        store_.DeleteInstruction(batch, source, p.number);
        return true;
      });
    }
    return;
  }
  const cti::CallRecord& record = snapshot->record;
  v1::CtiCallRow row;
  row.set_source(record.source);
  row.set_call_id(record.call_id);
  row.set_inbound(record.inbound);
  row.set_calling(record.calling);
  row.set_called(record.called);
  row.set_queue(record.queue);
  row.set_agent(record.agent);
  row.mutable_ivr()->insert(record.ivr.begin(), record.ivr.end());
  *row.mutable_offered() = ToTimestamp(record.offered);
  if (record.answered) *row.mutable_answered() = ToTimestamp(*record.answered);
  *row.mutable_last_heard() = ToTimestamp(snapshot->last_heard);
  *row.mutable_hold() = ToDuration(record.hold);
  row.set_state(static_cast<int32_t>(snapshot->state));
  if (snapshot->held_since) *row.mutable_held_since() = ToTimestamp(*snapshot->held_since);
  if (auto link = links_.find(key); link != links_.end()) {
    row.set_contact_id(link->second.contact);
    row.set_customer(link->second.customer);
  }
  store_.PutCall(batch, row);
}

CtiDesk::Link CtiDesk::LinkOf(const std::string& key) const {
  auto it = links_.find(key);
  return it == links_.end() ? Link() : it->second;
}

void CtiDesk::SetLink(const std::string& key, Link link) {
  Link& current = links_[key];
  if (current.contact != 0 && current.contact != link.contact) call_of_contact_.erase(current.contact);
  current = std::move(link);
  if (current.contact != 0) call_of_contact_[current.contact] = key;
}

absl::StatusOr<v1::EventAck> CtiDesk::Handle(const v1::CallEvent& event,
                                             const std::string& principal, bool source_bound) {
  v1::EventAck ack;
  ack.set_source(event.source().substr(0, 128));
  ack.set_event_id(event.event_id().substr(0, 128));
  auto refuse = [&](const absl::Status& status) {
    const std::string message(status.message());
    const auto colon = message.find(':');
    ack.set_status(v1::ACK_STATUS_REJECTED);
    ack.set_field(colon == std::string::npos ? "" : message.substr(0, colon));
    ack.set_reason(message);
    return ack;
  };
  auto normalized = cti::NormalizeEvent(event, *phones_, clock_->Now());
  if (!normalized.ok()) return refuse(normalized.status());
  // A CTI system speaks for itself only: "cti/pbx-1" sends source "pbx-1".
  if (source_bound && normalized->source != SourceOfPrincipal(principal)) {
    return refuse(absl::PermissionDeniedError(absl::StrCat(
        "source: this connection speaks for '", SourceOfPrincipal(principal), "', not '",
        normalized->source.substr(0, 64), "'")));
  }
  auto seen = store_.Seen(normalized->source, normalized->event_id);
  if (!seen.ok()) return seen.status();
  if (*seen) {
    ack.set_status(v1::ACK_STATUS_DUPLICATE);
    return ack;
  }
  const cti::TrackerOutcome outcome = tracker_.Apply(*normalized);
  v1::Event applied;
  *applied.mutable_time() = ToTimestamp(clock_->Now());
  applied.set_principal(principal);
  *applied.mutable_cti_event_applied()->mutable_event() = event;
  auto* normalized_event = applied.mutable_cti_event_applied()->mutable_event();
  normalized_event->set_calling_number(normalized->calling);
  normalized_event->set_called_number(normalized->called);
  if (auto s = Apply(outcome, principal, &applied); !s.ok()) return s;
  ack.set_status(v1::ACK_STATUS_ACCEPTED);
  return ack;
}

absl::Status CtiDesk::Apply(const cti::TrackerOutcome& outcome, const std::string& principal,
                            v1::Event* event) {
  rocksdb::WriteBatch batch;
  std::vector<std::string> anomalies;
  for (const auto& anomaly : outcome.anomalies) anomalies.push_back(anomaly.what);
  std::vector<std::pair<std::string, std::string>> touched;  // (source, call id) to save

  for (const auto& action : outcome.actions) {
    if (const auto* route = std::get_if<cti::RouteCall>(&action)) {
      const std::string source = event->cti_event_applied().event().source();
      const std::string key = CallKey(source, route->call_id);
      auto snapshot = tracker_.Snapshot(source, route->call_id);
      std::string customer;
      if (snapshot) {
        auto identified = IdentifyCaller(snapshot->record, principal);
        if (!identified.ok()) {
          Failed(identified.status());  // the tracker has the call already
          return identified.status();
        }
        customer = *identified;
      }
      auto contact = Route(route->queue, customer, routing::Channel::kCall, &anomalies);
      SetLink(key, Link{contact.ok() ? *contact : 0, customer});
      touched.emplace_back(source, route->call_id);
    } else if (const auto* move = std::get_if<cti::MoveCall>(&action)) {
      const std::string source = event->cti_event_applied().event().source();
      const std::string key = CallKey(source, move->call_id);
      Link link = LinkOf(key);  // a copy: SetLink below updates the reverse map
      routing::Router& router = routing_->router();
      auto view = router.GetContact(link.contact);
      if (view.ok() && view->state == routing::ContactState::kActive) {
        auto moved = move->agent.empty() ? router.TransferToQueue(view->agent, link.contact, move->queue)
                                         : router.TransferToAgent(view->agent, link.contact, move->agent);
        if (moved.ok()) link.contact = *moved;
        else anomalies.push_back(absl::StrCat("transfer not routed: ", moved.status().message()));
      } else if (view.ok() && move->agent.empty() && !move->queue.empty()) {
        // Still waiting: the same contact moves, keeping its enqueue time, and the queues'
        // figures see no abandon and no new offer.
        if (auto moved = router.Move(link.contact, move->queue); !moved.ok()) {
          anomalies.push_back(absl::StrCat("transfer not routed: ", moved.message()));
        }
      } else if (view.ok()) {
        auto spec = router.WaitingRecord(link.contact);
        if (spec.ok()) {
          if (!move->queue.empty()) spec->queue = move->queue;
          spec->preferred_agent = move->agent;
          // The new place first: if it is refused (a full queue), the caller keeps the old one.
          // The old one is withdrawn, not abandoned: the caller did not hang up.
          auto moved = router.Enqueue(*spec);
          if (moved.ok()) {
            (void)router.Withdraw(link.contact);
            link.contact = *moved;
          } else {
            anomalies.push_back(absl::StrCat("transfer not routed: ", moved.status().message()));
          }
        }
      } else {
        auto contact = Route(move->queue, link.customer, routing::Channel::kCall, &anomalies);
        if (contact.ok()) link.contact = *contact;
      }
      SetLink(key, link);
      touched.emplace_back(source, move->call_id);
    } else if (const auto* answered = std::get_if<cti::CallAnswered>(&action)) {
      const std::string source = event->cti_event_applied().event().source();
      const Link link = LinkOf(CallKey(source, answered->call_id));
      routing::Router& router = routing_->router();
      // The pick-up is the acceptance when the offer is still ringing at that agent.
      auto agent = router.GetAgent(answered->agent);
      if (agent.ok() && agent->pending_offer) {
        auto offer = router.PendingOffer(*agent->pending_offer);
        if (offer.ok() && offer->contact == link.contact) {
          (void)router.Accept(answered->agent, offer->offer);
        }
      }
      auto view = router.GetContact(link.contact);
      if (link.contact != 0 && (!view.ok() || view->state != routing::ContactState::kActive ||
                                view->agent != answered->agent)) {
        anomalies.push_back(absl::StrCat("answered by ", answered->agent, " without the desk's offer"));
      }
      touched.emplace_back(source, answered->call_id);
    } else if (const auto* abandoned = std::get_if<cti::CallAbandoned>(&action)) {
      const std::string source = event->cti_event_applied().event().source();
      const std::string key = CallKey(source, abandoned->call_id);
      const Link link = LinkOf(key);
      routing::Router& router = routing_->router();
      if (link.contact != 0 && router.GetContact(link.contact).ok()) {
        (void)router.Abandon(link.contact);
      }
      if (abandoned->create_callback && !abandoned->queue.empty()) {
        // The callback waits like any contact; the agent sees whom to call back.
        (void)Route(abandoned->queue, link.customer,
                    routing::Channel::kCallback, &anomalies);
      }
    } else if (const auto* finished = std::get_if<cti::CallFinished>(&action)) {
      const cti::CallRecord& record = finished->record;
      const std::string key = CallKey(record.source, record.call_id);
      const Link link = LinkOf(key);
      routing::Router& router = routing_->router();
      auto view = router.GetContact(link.contact);
      std::string wrapping_up;  // the agent this call's end put into wrap-up
      if (link.contact != 0 && view.ok() && view->state == routing::ContactState::kActive &&
          router.EndContact(view->agent, link.contact).ok()) {
        wrapping_up = view->agent;
      }
      if (!link.customer.empty()) {
        if (auto s = RecordInteraction(record, link.customer, principal); !s.ok()) {
          Failed(s);  // the tracker has ended the call already
          return s;
        }
        // The wrap-up code and notes that agent gives next belong on this entry.
        if (!wrapping_up.empty()) {
          wrap_up_targets_[wrapping_up] =
              WrapUpTarget{link.customer, CallRequestId(record.source, record.call_id)};
        }
      }
      touched.emplace_back(record.source, record.call_id);
    }
  }
  for (const auto& [source, call_id] : touched) SaveCall(&batch, source, call_id);
  if (event->has_cti_event_applied() && !event->cti_event_applied().event().event_id().empty()) {
    const auto& applied = event->cti_event_applied().event();
    store_.PutSeen(&batch, applied.source(), applied.event_id(), clock_->Now());
  }
  for (const auto& what : anomalies) {
    event->mutable_cti_event_applied()->add_anomalies(what);
    LogEvent(spdlog::level::info, "cti.anomaly",
             {{"call_id", event->cti_event_applied().event().call_id()},
              {"event_id", event->cti_event_applied().event().event_id()},
              {"what", what}});
  }
  applying_ = true;
  auto stored = routing_->Commit(principal, &batch, {event});
  applying_ = false;
  ArmTimer();
  return stored;
}

absl::StatusOr<std::string> CtiDesk::IdentifyCaller(const cti::CallRecord& record,
                                                    const std::string& principal) {
  if (record.calling.empty() || record.calling.front() != '+') return std::string();
  auto holders = customers_->FindByPhone(record.calling);
  if (!holders.ok()) return holders.status();
  if (!holders->empty()) return absl::StrCat("customers/", holders->front());
  if (!config_.cti.create_unknown_callers) return std::string();
  // First contact: a file, numbered automatically, in state "potential" (DOMAIN.md).
  v1::CreateCustomerRequest request;
  request.set_request_id(CallRequestId(record.source, record.call_id));
  auto* customer = request.mutable_customer();
  customer->set_kind(v1::CUSTOMER_KIND_INDIVIDUAL);
  customer->set_display_name(absl::StrCat("Caller ", record.calling));
  customer->set_lifecycle_state(v1::LIFECYCLE_STATE_POTENTIAL);
  auto* phone = customer->add_phone_numbers();
  phone->set_number(record.calling);
  auto created = commands_->Create(std::move(request), principal);
  if (!created.ok()) return created.status();
  return created->name();
}

absl::StatusOr<uint64_t> CtiDesk::Route(const std::string& queue, const std::string& customer,
                                        routing::Channel channel,
                                        std::vector<std::string>* anomalies) {
  routing::ContactSpec spec;
  spec.channel = channel;
  spec.enqueue_time = clock_->Now();
  if (!customer.empty()) (void)routing_->FillFromCustomer(customer, &spec);
  std::vector<std::string> tried;
  for (const std::string& candidate : {queue, config_.cti.default_queue}) {
    if (candidate.empty() || std::find(tried.begin(), tried.end(), candidate) != tried.end()) continue;
    tried.push_back(candidate);
    spec.queue = candidate;
    auto id = routing_->router().Enqueue(spec);
    if (id.ok()) return id;
    anomalies->push_back(absl::StrCat("not routed to ", candidate, ": ", id.status().message()));
  }
  if (tried.empty()) anomalies->push_back("no queue for the call: recorded, not routed");
  return absl::NotFoundError("no queue took the call");
}

absl::Status CtiDesk::RecordInteraction(const cti::CallRecord& record, const std::string& customer,
                                        const std::string& principal) {
  v1::CreateInteractionRequest request;
  request.set_parent(customer);
  request.set_request_id(CallRequestId(record.source, record.call_id));
  auto* interaction = request.mutable_interaction();
  interaction->set_channel(v1::INTERACTION_CHANNEL_CALL);
  interaction->set_direction(record.inbound ? v1::DIRECTION_INBOUND : v1::DIRECTION_OUTBOUND);
  interaction->set_agent(record.agent);
  interaction->set_queue(record.queue);
  *interaction->mutable_start_time() = ToTimestamp(record.offered);
  *interaction->mutable_end_time() = ToTimestamp(std::max(record.ended, record.offered));
  interaction->set_outcome(record.abandoned ? "abandoned" : cti::EndCauseName(record.cause));
  interaction->set_text(absl::StrFormat(
      "%s call %s -> %s; waited %ds, talked %ds, on hold %ds", record.inbound ? "inbound" : "outbound",
      record.calling.empty() ? "(withheld)" : record.calling, record.called,
      absl::ToInt64Seconds(record.wait), absl::ToInt64Seconds(record.talk),
      absl::ToInt64Seconds(record.hold)));
  interaction->set_reference(absl::StrCat("calls/", record.source, "/", record.call_id));
  auto* call = interaction->mutable_call();
  call->set_calling_number(record.calling);
  call->set_called_number(record.called);
  if (record.answered) *call->mutable_answered_time() = ToTimestamp(*record.answered);
  *call->mutable_wait() = ToDuration(record.wait);
  *call->mutable_talk() = ToDuration(record.talk);
  *call->mutable_hold() = ToDuration(record.hold);
  auto appended = commands_->AppendInteraction(std::move(request), principal);
  return appended.ok() ? absl::OkStatus() : appended.status();
}

void CtiDesk::ArmTimer() {
  if (stopped_) return;
  timer_.cancel();
  auto next = tracker_.NextDeadline();
  if (!next) return;
  const absl::Duration wait = std::max(*next - clock_->Now(), absl::ZeroDuration());
  timer_.expires_after(std::chrono::microseconds(absl::ToInt64Microseconds(wait) + 1));
  timer_.async_wait([this](const std::error_code& error) {
    if (!error) OnTimer();
  });
}

void CtiDesk::OnTimer() {
  if (stopped_) return;
  const cti::TrackerOutcome outcome = tracker_.ExpireIdle();
  // One event per closed call: each action list of a call ends with its CallFinished.
  cti::TrackerOutcome one;
  for (const auto& action : outcome.actions) {
    one.actions.push_back(action);
    const auto* finished = std::get_if<cti::CallFinished>(&action);
    if (finished == nullptr) continue;
    for (const auto& anomaly : outcome.anomalies) {
      if (anomaly.call_id == finished->record.call_id) one.anomalies.push_back(anomaly);
    }
    v1::Event event;
    *event.mutable_time() = ToTimestamp(clock_->Now());
    event.set_principal(kSystemPrincipal);
    auto* applied = event.mutable_cti_event_applied()->mutable_event();
    applied->set_source(finished->record.source);
    applied->set_call_id(finished->record.call_id);
    applied->set_type(v1::CALL_EVENT_TYPE_ENDED);
    if (auto s = Apply(one, kSystemPrincipal, &event); !s.ok()) {
      LogEvent(spdlog::level::err, "cti.timeout_not_persisted", {{"error", std::string(s.message())}});
    }
    one = cti::TrackerOutcome();
  }
  ArmTimer();
}

}  // namespace servicedesk::server
