#include "services/server/ticket_desk.h"

#include <algorithm>
#include <chrono>
#include <tuple>

#include <google/protobuf/util/field_mask_util.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/page_token.h"
#include "services/customers/customer_validation.h"
#include "services/customers/resource_names.h"
#include "services/server/history_entry.h"
#include "services/server/logging.h"
#include "services/server/record_listing.h"
#include "services/server/routing_proto.h"
#include "services/tickets/ticket_status.h"

namespace servicedesk::server {

namespace {

constexpr std::size_t kSubject = 200;
constexpr std::size_t kDescription = 20000;
constexpr int kTags = 20;
constexpr std::size_t kTag = 64;
constexpr int kCustomFields = 50;
constexpr std::size_t kCustomKey = 64;
constexpr std::size_t kCustomValue = 1000;
constexpr std::size_t kComment = 10000;
constexpr const char* kPageKind = "tickets";

absl::StatusOr<uint64_t> ParseTicketName(const std::string& name, const std::string& field) {
  uint64_t id = 0;
  if (!absl::StartsWith(name, "tickets/") || !absl::SimpleAtoi(name.substr(8), &id) || id == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": '", name.substr(0, 64), "' is not a ticket name (tickets/{id})"));
  }
  return id;
}

absl::Status CheckText(std::string* text, std::size_t limit, const std::string& field, bool required) {
  *text = std::string(absl::StripAsciiWhitespace(*text));
  if (required && text->empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  if (text->size() > limit) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": at most ", limit, " bytes, got ", text->size()));
  }
  if (customers::HasControlCharacter(*text)) return absl::InvalidArgumentError(absl::StrCat(field, ": contains control characters"));
  return absl::OkStatus();
}

tickets::TicketStatus ToCore(v1::TicketStatus status) {
  return static_cast<tickets::TicketStatus>(static_cast<int>(status) - 1);
}

bool IsOpen(v1::TicketStatus status) { return storage::IsOpenTicketStatus(status); }

std::string StatusWord(v1::TicketStatus status) {
  return tickets::TicketStatusName(ToCore(status));
}

constexpr const char* kSystemPrincipal = "system/sla";

v1::SlaClockRow ToRow(const tickets::SlaClockSnapshot& snapshot) {
  v1::SlaClockRow row;
  *row.mutable_target() = ToDuration(snapshot.target);
  row.set_business_hours(snapshot.business_hours);
  row.set_warning_share(snapshot.warning_share);
  row.set_state(static_cast<int32_t>(snapshot.state));
  *row.mutable_used() = ToDuration(snapshot.used);
  if (snapshot.running_since != absl::InfinitePast()) *row.mutable_running_since() = ToTimestamp(snapshot.running_since);
  if (snapshot.last_now != absl::InfinitePast()) *row.mutable_last_now() = ToTimestamp(snapshot.last_now);
  row.set_warned(snapshot.warned);
  row.set_breached(snapshot.breached);
  for (const auto& fired : snapshot.undelivered) {
    auto* out = row.add_undelivered();
    out->set_kind(static_cast<int32_t>(fired.kind));
    *out->mutable_at() = ToTimestamp(fired.at);
  }
  return row;
}

absl::Duration FromDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

tickets::SlaClockSnapshot FromRow(const v1::SlaClockRow& row) {
  tickets::SlaClockSnapshot snapshot;
  snapshot.target = FromDuration(row.target());
  snapshot.business_hours = row.business_hours();
  snapshot.warning_share = row.warning_share();
  snapshot.state = static_cast<tickets::SlaClockState>(row.state());
  snapshot.used = FromDuration(row.used());
  if (row.has_running_since()) snapshot.running_since = FromTimestamp(row.running_since());
  if (row.has_last_now()) snapshot.last_now = FromTimestamp(row.last_now());
  snapshot.warned = row.warned();
  snapshot.breached = row.breached();
  for (const auto& fired : row.undelivered()) {
    snapshot.undelivered.push_back(
        tickets::SlaEvent{static_cast<tickets::SlaEventKind>(fired.kind()), FromTimestamp(fired.at())});
  }
  return snapshot;
}

const char* ClockStateWord(tickets::SlaClockState state) {
  switch (state) {
    case tickets::SlaClockState::kNotStarted: return "not_started";
    case tickets::SlaClockState::kRunning: return "running";
    case tickets::SlaClockState::kPaused: return "paused";
    case tickets::SlaClockState::kStopped: return "met";
  }
  return "unknown";
}

// The fields a client may name in update_mask.
constexpr const char* kMutable[] = {"subject", "description", "priority", "queue",
                                    "tags",    "custom_fields", "assignee"};

}  // namespace

TicketDesk::TicketDesk(const Config& config, const Clock* clock, DeskLoop* loop, storage::Database* db,
                       storage::EventWriter* writer, const storage::CustomerStore* customers,
                       RoutingDesk* routing)
    : config_(config), clock_(clock), loop_(loop), writer_(writer), customers_(customers),
      routing_(routing), store_(db), timer_(loop->context()) {
  auto rules = TicketRulesFrom(config.tickets);
  if (rules.ok()) rules_ = *std::move(rules);  // ValidateConfig said so; else the defaults
  auto calendar = tickets::BusinessCalendar::Create(rules_.calendar);
  if (!calendar.ok()) {
    rules_ = *TicketRulesFrom(TicketsConfig());
    calendar = tickets::BusinessCalendar::Create(rules_.calendar);
  }
  calendar_ = std::make_unique<tickets::BusinessCalendar>(*std::move(calendar));
  routing_->AddObserver(this);
}

absl::Status TicketDesk::Start() {
  auto open = store_.OpenTicketIds();
  if (!open.ok()) return open.status();
  for (uint64_t id : *open) {
    auto row = store_.GetTicket(id);
    if (!row.ok()) return row.status();
    Clocks clocks = LoadClocks(*row);
    Schedule(id, clocks);
    Tally(id, row->ticket());
    // A waiting contact came back with the routing desk's restore; one being worked did not
    // (every agent is logged out after a restart): an unassigned ticket waits again.
    const v1::Ticket& stored = row->ticket();  // not copied: most open tickets need nothing
    const bool live = LiveContact(stored).has_value();
    const bool wants_queue = (stored.status() == v1::TICKET_STATUS_NEW || stored.status() == v1::TICKET_STATUS_OPEN) &&
                             stored.assignee().empty() && !stored.queue().empty();
    if (live || (stored.contact().empty() && !wants_queue)) continue;
    v1::Ticket ticket = stored;
    rocksdb::WriteBatch batch;
    v1::Event event;
    event.mutable_ticket_changed()->set_change("routing_restored");
    if (auto s = Commit(&batch, id, ticket, clocks, &row->ticket(), kSystemPrincipal, "", &event); !s.ok()) {
      return s;
    }
  }
  ArmTimer();  // what fell due while the server was down is written at once
  return absl::OkStatus();
}

void TicketDesk::Tally(uint64_t id, const v1::Ticket& ticket) {
  if (auto it = tallied_.find(id); it != tallied_.end()) {
    auto& [count, overdue] = counts_[it->second.status];
    --count;
    if (it->second.overdue) --overdue;
    tallied_.erase(it);
  }
  if (!IsOpen(ticket.status())) return;
  tallied_[id] = Tallied{ticket.status(), ticket.overdue()};
  auto& [count, overdue] = counts_[ticket.status()];
  ++count;
  if (ticket.overdue()) ++overdue;
}

v1::WorkCounts TicketDesk::Counts() const {
  v1::WorkCounts counts;
  for (v1::TicketStatus status : {v1::TICKET_STATUS_NEW, v1::TICKET_STATUS_OPEN, v1::TICKET_STATUS_PENDING}) {
    auto* out = counts.add_counts();
    out->set_status(StatusWord(status));
    if (auto it = counts_.find(status); it != counts_.end()) {
      out->set_count(it->second.first);
      out->set_overdue(it->second.second);
    }
  }
  return counts;
}

void TicketDesk::Stop() {
  stopped_ = true;
  timer_.cancel();
}

TicketDesk::Clocks TicketDesk::LoadClocks(const v1::TicketRow& row) const {
  Clocks clocks;
  if (row.has_first_response()) {
    clocks.first_response = tickets::SlaClock::Restore(FromRow(row.first_response()), calendar_.get());
  }
  if (row.has_resolution()) {
    clocks.resolution = tickets::SlaClock::Restore(FromRow(row.resolution()), calendar_.get());
  }
  return clocks;
}

const tickets::SlaTargets& TicketDesk::TargetsFor(const v1::Ticket& ticket) const {
  auto tier = tickets::CustomerTier::kUnknown;
  if (auto id = customers::ParseCustomerName(ticket.customer(), "customer"); id.ok()) {
    v1::Customer customer;
    if (customers_->GetCustomerInto(*id, &customer).ok() && customer.tier() >= 1 && customer.tier() <= 4) {
      tier = static_cast<tickets::CustomerTier>(customer.tier());  // the same numbering
    }
  }
  const auto priority = static_cast<tickets::TicketPriority>(
      std::clamp(static_cast<int>(ticket.priority()) - 1, 0, tickets::kTicketPriorityCount - 1));
  return rules_.policy.Select(priority, tier);
}

absl::StatusOr<TicketDesk::Clocks> TicketDesk::NewClocks(const v1::Ticket& ticket, absl::Time now) const {
  const tickets::SlaTargets& targets = TargetsFor(ticket);
  const tickets::BusinessCalendar* calendar = targets.business_hours ? calendar_.get() : nullptr;
  Clocks clocks;
  clocks.first_response.emplace(targets.first_response, targets.business_hours, calendar, targets.warning_share);
  clocks.resolution.emplace(targets.resolution, targets.business_hours, calendar, targets.warning_share);
  if (auto s = clocks.first_response->Start(now); !s.ok()) return s;
  if (auto s = clocks.resolution->Start(now); !s.ok()) return s;
  return clocks;
}

void TicketDesk::Schedule(uint64_t id, const Clocks& clocks) {
  if (auto it = scheduled_at_.find(id); it != scheduled_at_.end()) {
    schedule_.erase({it->second, id});
    scheduled_at_.erase(it);
  }
  std::optional<absl::Time> next;
  for (const auto* clock : {&clocks.first_response, &clocks.resolution}) {
    if (!clock->has_value()) continue;
    if (auto at = (*clock)->NextEventAt(); at && (!next || *at < *next)) next = at;
  }
  if (!next) return;
  schedule_.insert({*next, id});
  scheduled_at_[id] = *next;
}

void TicketDesk::ArmTimer() {
  if (stopped_) return;
  timer_.cancel();
  if (schedule_.empty()) return;
  const absl::Duration wait = std::max(schedule_.begin()->first - clock_->Now(), absl::ZeroDuration());
  timer_.expires_after(std::chrono::microseconds(absl::ToInt64Microseconds(wait) + 1));
  timer_.async_wait([this](const std::error_code& error) {
    if (!error && !stopped_) RunDueSla();
  });
}

void TicketDesk::RunDueSla() {
  const absl::Time now = clock_->Now();
  while (!schedule_.empty() && schedule_.begin()->first <= now) {
    const uint64_t id = schedule_.begin()->second;
    schedule_.erase(schedule_.begin());
    scheduled_at_.erase(id);
    auto row = store_.GetTicket(id);
    if (!row.ok()) continue;
    Clocks clocks = LoadClocks(*row);
    v1::Ticket ticket = row->ticket();
    rocksdb::WriteBatch batch;
    if (auto s = Commit(&batch, id, ticket, clocks, &row->ticket(), kSystemPrincipal, "", nullptr); !s.ok()) {
      LogEvent(spdlog::level::err, "tickets.sla_not_persisted",
               {{"ticket", ticket.name()}, {"error", std::string(s.message())}});
      routing_->StorageFailed(s);
    }
  }
  ArmTimer();
}

absl::Status TicketDesk::ValidateFields(v1::Ticket* ticket, const std::string& field, bool check_queue,
                                        bool check_assignee) const {
  auto f = [&](const char* name) { return absl::StrCat(field, ".", name); };
  if (auto s = CheckText(ticket->mutable_subject(), kSubject, f("subject"), true); !s.ok()) return s;
  if (auto s = CheckText(ticket->mutable_description(), kDescription, f("description"), false); !s.ok()) {
    return s;
  }
  if (ticket->priority() == v1::TICKET_PRIORITY_UNSPECIFIED) ticket->set_priority(v1::TICKET_PRIORITY_NORMAL);
  if (!v1::TicketPriority_IsValid(ticket->priority())) {
    return absl::InvalidArgumentError(absl::StrCat(f("priority"), ": unknown value ", ticket->priority()));
  }
  if (ticket->channel() == v1::INTERACTION_CHANNEL_UNSPECIFIED) ticket->set_channel(v1::INTERACTION_CHANNEL_TICKET);
  if (!v1::InteractionChannel_IsValid(ticket->channel())) {
    return absl::InvalidArgumentError(absl::StrCat(f("channel"), ": unknown value ", ticket->channel()));
  }
  if (ticket->tags_size() > kTags) {
    return absl::InvalidArgumentError(absl::StrCat(f("tags"), ": at most ", kTags, ", got ", ticket->tags_size()));
  }
  for (int i = 0; i < ticket->tags_size(); ++i) {
    if (auto s = CheckText(ticket->mutable_tags(i), kTag, absl::StrCat(f("tags"), "[", i, "]"), true); !s.ok()) {
      return s;
    }
  }
  if (ticket->custom_fields_size() > kCustomFields) {
    return absl::InvalidArgumentError(absl::StrCat(f("custom_fields"), ": at most ", kCustomFields,
                                                   ", got ", ticket->custom_fields_size()));
  }
  for (const auto& [key, value] : ticket->custom_fields()) {
    const std::string name = absl::StrCat(f("custom_fields"), "[\"", key.substr(0, 64), "\"]");
    if (key.empty() || key.size() > kCustomKey || customers::HasControlCharacter(key)) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": keys are 1 to ", kCustomKey, " characters"));
    }
    if (value.size() > kCustomValue || customers::HasControlCharacter(value)) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": at most ", kCustomValue, " bytes, no control characters"));
    }
  }
  if (check_queue && !ticket->queue().empty()) {
    if (auto s = CheckResourceName(ticket->queue(), "queues", f("queue")); !s.ok()) return s;
    const v1::Queue* queue = routing_->FindQueue(ticket->queue());
    if (queue == nullptr) {
      return absl::NotFoundError(absl::StrCat(f("queue"), ": '", ticket->queue(), "' is not defined"));
    }
    if (std::find(queue->channels().begin(), queue->channels().end(), v1::CONTACT_CHANNEL_TICKET) ==
        queue->channels().end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(f("queue"), ": '", ticket->queue(), "' does not take tickets (its channels)"));
    }
  }
  if (check_assignee && !ticket->assignee().empty()) {
    if (auto s = CheckResourceName(ticket->assignee(), "agents", f("assignee")); !s.ok()) return s;
    if (!routing_->HasAgent(ticket->assignee())) {
      return absl::NotFoundError(absl::StrCat(f("assignee"), ": '", ticket->assignee(), "' is not defined"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Ticket> TicketDesk::Create(v1::CreateTicketRequest request, const std::string& principal) {
  if (request.request_id().size() > 100) {
    return absl::InvalidArgumentError("request_id: at most 100 characters");
  }
  if (!request.request_id().empty()) {
    auto earlier = store_.FindByRequestId(request.request_id());
    if (!earlier.ok()) return earlier.status();
    if (earlier->has_value()) {
      auto row = store_.GetTicket(**earlier);
      if (!row.ok()) return row.status();
      return row->ticket();
    }
  }
  if (!request.has_ticket()) return absl::InvalidArgumentError("ticket: required");
  v1::Ticket ticket = std::move(*request.mutable_ticket());
  if (!ticket.name().empty()) return absl::InvalidArgumentError("ticket.name: output only");
  if (ticket.status() != v1::TICKET_STATUS_UNSPECIFIED) {
    return absl::InvalidArgumentError("ticket.status: output only (a ticket starts new; ChangeStatus moves it)");
  }
  ticket.clear_reopens();
  ticket.clear_contact();
  ticket.clear_contact_state();
  auto customer_id = customers::ParseCustomerName(ticket.customer(), "ticket.customer");
  if (!customer_id.ok()) return customer_id.status();
  v1::Customer customer;
  if (auto s = customers_->GetCustomerInto(*customer_id, &customer); !s.ok()) {
    if (absl::IsNotFound(s)) {
      return absl::NotFoundError(absl::StrCat("ticket.customer: '", ticket.customer(), "' not found"));
    }
    return s;
  }
  if (auto s = ValidateFields(&ticket, "ticket"); !s.ok()) return s;
  return CreateValidated(std::move(ticket), request.request_id(), principal, "created");
}

absl::StatusOr<v1::Ticket> TicketDesk::CreateValidated(v1::Ticket ticket, const std::string& request_id,
                                                       const std::string& principal,
                                                       const std::string& change,
                                                       std::optional<uint64_t> reopened_id) {
  auto customer_id = customers::ParseCustomerName(ticket.customer(), "ticket.customer");
  if (!customer_id.ok()) return customer_id.status();
  rocksdb::WriteBatch batch;
  const uint64_t id = writer_->NextId(&batch, "ticket");
  const auto now = ToTimestamp(clock_->Now());
  ticket.set_name(storage::TicketName(id));
  ticket.set_status(v1::TICKET_STATUS_NEW);
  ticket.clear_pending_reason();
  ticket.clear_solved_time();
  ticket.clear_reopened_as();
  ticket.clear_deadlines();
  ticket.set_overdue(false);
  ticket.set_comment_count(0);
  *ticket.mutable_create_time() = now;
  *ticket.mutable_update_time() = now;
  if (!request_id.empty()) store_.PutRequestId(&batch, request_id, id);
  auto clocks = NewClocks(ticket, clock_->Now());
  if (!clocks.ok()) return clocks.status();
  if (reopened_id) {
    // The old ticket names its successor, in the same batch.
    auto old = store_.GetTicket(*reopened_id);
    if (!old.ok()) return old.status();
    old->mutable_ticket()->set_reopened_as(ticket.name());
    store_.PutTicket(&batch, *reopened_id, *customer_id, *old);
  }
  v1::Event event;
  event.mutable_ticket_changed()->set_change(change);
  const std::string what = ticket.reopens().empty()
                               ? absl::StrCat("ticket created: ", ticket.subject())
                               : absl::StrCat("ticket created, reopening ", ticket.reopens(), ": ", ticket.subject());
  if (auto s = Commit(&batch, id, ticket, *clocks, nullptr, principal, what, &event); !s.ok()) return s;
  return ticket;
}

TicketDesk::Evaluation TicketDesk::Evaluate(v1::Ticket& ticket, Clocks& clocks, v1::TicketRow* row,
                                            absl::Time now) const {
  Evaluation out;
  ticket.clear_deadlines();
  ticket.set_overdue(false);
  for (auto [target, clock, is_resolution] :
       {std::tuple{"first_response", &clocks.first_response, false},
        std::tuple{"resolution", &clocks.resolution, true}}) {
    if (!clock->has_value()) continue;
    v1::SlaClockRow* slot = is_resolution ? row->mutable_resolution() : row->mutable_first_response();
    tickets::SlaClock& c = **clock;
    for (const auto& e : c.Due(now)) out.fired.push_back(Fired{target, e});
    auto* deadline = ticket.add_deadlines();
    deadline->set_target(target);
    deadline->set_state(ClockStateWord(c.state()));
    if (auto at = c.Deadline()) {
      *deadline->mutable_deadline() = ToTimestamp(*at);
      if (c.state() == tickets::SlaClockState::kRunning && (!out.next_deadline || *at < *out.next_deadline)) {
        out.next_deadline = at;
      }
    }
    *deadline->mutable_used() = ToDuration(c.Used(now));
    *deadline->mutable_goal() = ToDuration(c.target());
    deadline->set_business_hours(c.Snapshot().business_hours);
    deadline->set_warned(c.warned());
    deadline->set_breached(c.breached());
    if (c.breached() && c.state() != tickets::SlaClockState::kStopped && IsOpen(ticket.status())) {
      ticket.set_overdue(true);
    }
    *slot = ToRow(c.Snapshot());
  }
  return out;
}

absl::Status TicketDesk::Commit(rocksdb::WriteBatch* batch, uint64_t id, v1::Ticket& ticket,
                                Clocks& clocks, const v1::Ticket* before, const std::string& principal,
                                const std::string& what, v1::Event* event) {
  std::vector<v1::Event> events;
  // Evaluated before the routing so that a breach due now raises the routing priority in
  // this change.
  v1::TicketRow row;
  const Evaluation evaluation = Evaluate(ticket, clocks, &row, clock_->Now());
  if (event == nullptr && evaluation.fired.empty()) {
    Schedule(id, clocks);
    return absl::OkStatus();
  }
  // What can fail is read before the router changes: a ticket change and its routing change
  // are written together or not at all.
  auto customer_id = customers::ParseCustomerName(ticket.customer(), "ticket.customer");
  if (!customer_id.ok()) return customer_id.status();
  auto pop = customers_->ReadScreenPop(*customer_id);
  if (!pop.ok()) return pop.status();
  SyncRouting(ticket, before, &*pop);
  Stage(batch, id, *customer_id, *std::move(pop), ticket, std::move(row), evaluation, principal, what, event, &events);
  std::vector<v1::Event*> written;
  for (v1::Event& e : events) written.push_back(&e);
  own_commit_ = true;
  auto stored = routing_->Commit(principal, batch, written);
  own_commit_ = false;
  if (!stored.ok()) return stored;
  Schedule(id, clocks);
  ArmTimer();
  Present(&ticket);
  return absl::OkStatus();
}

void TicketDesk::Stage(rocksdb::WriteBatch* batch, uint64_t id, uint64_t customer, v1::ScreenPopRow pop,
                       v1::Ticket& ticket, v1::TicketRow row, const Evaluation& evaluation,
                       const std::string& principal, const std::string& what, v1::Event* event,
                       std::vector<v1::Event>* events) {
  const uint64_t* customer_id = &customer;
  const absl::Time now = clock_->Now();
  ticket.clear_contact_state();  // output only, never stored
  *row.mutable_ticket() = ticket;
  Tally(id, ticket);
  store_.PutTicket(batch, id, *customer_id, row);

  // The customer's history, and the screen pop's open tickets and recent entries.
  auto add_history = [&](const std::string& text, const std::string& outcome, bool inbound) {
    v1::Interaction entry;
    entry.set_channel(v1::INTERACTION_CHANNEL_TICKET);
    entry.set_direction(inbound ? v1::DIRECTION_INBOUND : v1::DIRECTION_INTERNAL);
    entry.set_queue(ticket.queue());
    entry.set_outcome(outcome);
    entry.set_text(text);
    entry.set_reference(ticket.name());
    AppendHistoryEntry(batch, writer_, customers_, *customer_id, principal, now, std::move(entry), &pop);
  };
  if (event != nullptr) {
    if (!what.empty()) {
      add_history(what, event->ticket_changed().change(), event->ticket_changed().change() == "created");
    }
    events->push_back(std::move(*event));
  }
  for (const auto& f : evaluation.fired) {
    const bool breach = f.event.kind == tickets::SlaEventKind::kBreach;
    add_history(absl::StrCat("SLA ", breach ? "breached" : "warning", ": ", f.target, " (",
                             breach ? "target reached at " : "most of the target used at ",
                             absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", f.event.at, absl::UTCTimeZone()), ")"),
                breach ? "sla_breached" : "sla_warning", false);
    v1::Event& e = events->emplace_back();
    e.mutable_ticket_changed()->set_change(breach ? "sla_breached" : "sla_warning");
    e.set_principal(kSystemPrincipal);
  }
  auto* open = pop.mutable_open_tickets();
  for (int i = 0; i < open->size(); ++i) {
    if (open->Get(i).name() == ticket.name()) {
      open->DeleteSubrange(i, 1);
      break;
    }
  }
  if (IsOpen(ticket.status())) {
    v1::TicketSummary summary;
    summary.set_name(ticket.name());
    summary.set_subject(ticket.subject());
    summary.set_status(StatusWord(ticket.status()));
    summary.set_priority(ticket.priority());
    *summary.mutable_create_time() = ticket.create_time();
    if (evaluation.next_deadline) *summary.mutable_next_deadline() = ToTimestamp(*evaluation.next_deadline);
    *open->Add() = std::move(summary);
  }
  customers_->PutScreenPop(batch, *customer_id, pop);

  for (v1::Event& e : *events) {
    *e.mutable_time() = ToTimestamp(now);
    if (e.principal().empty()) e.set_principal(principal);
    *e.mutable_ticket_changed()->mutable_ticket() = ticket;
  }
}

int TicketDesk::RoutingPriority(const v1::Ticket& ticket) const {
  int adjust = 0;
  switch (ticket.priority()) {
    case v1::TICKET_PRIORITY_LOW: adjust = -5; break;
    case v1::TICKET_PRIORITY_HIGH: adjust = 10; break;
    case v1::TICKET_PRIORITY_URGENT: adjust = 20; break;
    default: break;
  }
  if (ticket.overdue()) adjust += config_.tickets.breach_priority_boost;
  return std::clamp(adjust, -100, 100);  // the router's range
}

std::optional<routing::ContactView> TicketDesk::LiveContact(const v1::Ticket& ticket) const {
  if (ticket.contact().empty()) return std::nullopt;
  auto id = ParseContactName(ticket.contact(), "contact");
  if (!id.ok()) return std::nullopt;
  auto view = routing_->router().GetContact(*id);
  // Contact ids are never reused; the reference guards against a stale name all the same.
  if (!view.ok() || view->reference != ticket.name()) return std::nullopt;
  return *view;
}

void TicketDesk::Present(v1::Ticket* ticket) const {
  auto view = LiveContact(*ticket);
  if (!view) {
    ticket->clear_contact();
    ticket->clear_contact_state();
    return;
  }
  ticket->set_contact_state(ContactStateName(view->state));
}

std::optional<uint64_t> TicketDesk::TicketOf(const std::string& reference) const {
  if (!absl::StartsWith(reference, "tickets/")) return std::nullopt;
  auto id = ParseTicketName(reference, "reference");
  if (!id.ok()) return std::nullopt;
  return *id;
}

void TicketDesk::SyncRouting(v1::Ticket& ticket, const v1::Ticket* before, const v1::ScreenPopRow* pop) {
  routing::Router& router = routing_->router();
  auto log_refusal = [&](const char* what, const absl::Status& status) {
    if (status.ok()) return;
    LogEvent(spdlog::level::warn, "tickets.routing_refused",
             {{"ticket", ticket.name()}, {"what", what}, {"error", std::string(status.message())}});
  };
  std::optional<routing::ContactView> view = LiveContact(ticket);
  const auto contact_id = [&] { return *ParseContactName(ticket.contact(), "contact"); };
  const bool workable = ticket.status() == v1::TICKET_STATUS_NEW || ticket.status() == v1::TICKET_STATUS_OPEN;
  const bool wants_queue = workable && ticket.assignee().empty() && !ticket.queue().empty();
  const int priority = RoutingPriority(ticket);
  if (view && view->state == routing::ContactState::kActive) {
    // Being worked: that ends when the agent stops being its assignee or it stops being open.
    if (workable && ticket.assignee() == view->agent) {
      log_refusal("reprioritize", router.Reprioritize(contact_id(), priority));
      return;
    }
    log_refusal("end", router.EndContact(view->agent, contact_id()));
    view.reset();
  }
  if (view) {  // waiting or offered
    if (!wants_queue) {
      log_refusal("withdraw", router.Withdraw(contact_id()));
      ticket.clear_contact();
      return;
    }
    if (before != nullptr && before->queue() != ticket.queue()) {
      log_refusal("move", router.Move(contact_id(), ticket.queue()));
    }
    log_refusal("reprioritize", router.Reprioritize(contact_id(), priority));
    return;
  }
  ticket.clear_contact();
  if (!wants_queue) return;
  routing::ContactSpec spec;
  spec.channel = routing::Channel::kTicket;
  spec.queue = ticket.queue();
  spec.priority_adjust = priority;
  spec.reference = ticket.name();
  spec.enqueue_time = clock_->Now();
  if (auto s = pop != nullptr ? routing_->FillFromScreenPop(ticket.customer(), *pop, &spec)
                              : routing_->FillFromCustomer(ticket.customer(), &spec);
      !s.ok()) {
    log_refusal("customer", s);  // routed without the customer's tier
  }
  // The agent who just gave it back (or was taken off it) is nobody's preference for it.
  if (before != nullptr && spec.preferred_agent == before->assignee()) spec.preferred_agent.clear();
  auto id = router.Enqueue(spec);
  if (!id.ok()) {
    log_refusal("enqueue", id.status());
    return;
  }
  ticket.set_contact(ContactName(*id));
}

void TicketDesk::BeforeCommit(const std::vector<routing::RoutingEvent>& events, rocksdb::WriteBatch* batch,
                              std::vector<v1::Event>* more_events) {
  if (own_commit_) return;  // this desk's own change: already in line
  for (const auto& event : events) {
    if (const auto* left = std::get_if<routing::ContactLeft>(&event); left != nullptr && left->answered) {
      OnContactAnswered(left->contact, batch, more_events);
    } else if (const auto* queued = std::get_if<routing::ContactQueued>(&event)) {
      OnContactQueued(queued->contact, batch, more_events);
    }
  }
}

// An offer of a ticket accepted: the agent is its assignee, and a new ticket is open.
void TicketDesk::OnContactAnswered(uint64_t contact, rocksdb::WriteBatch* batch,
                                   std::vector<v1::Event>* events) {
  auto view = routing_->router().GetContact(contact);
  if (!view.ok() || view->agent.empty()) return;
  auto id = TicketOf(view->reference);
  if (!id) return;
  auto row = store_.GetTicket(*id);
  if (!row.ok()) return;
  v1::Ticket ticket = row->ticket();
  if (!IsOpen(ticket.status())) return;
  if (ticket.contact() != ContactName(contact) && LiveContact(ticket)) {
    LogEvent(spdlog::level::warn, "tickets.second_contact_answered",
             {{"ticket", ticket.name()}, {"contact", ContactName(contact)}, {"agent", view->agent}});
    return;  // the ticket waits elsewhere under its own contact
  }
  ticket.set_assignee(view->agent);
  ticket.set_contact(ContactName(contact));
  if (ticket.status() == v1::TICKET_STATUS_NEW) ticket.set_status(v1::TICKET_STATUS_OPEN);
  *ticket.mutable_update_time() = ToTimestamp(clock_->Now());
  auto customer_id = customers::ParseCustomerName(ticket.customer(), "ticket.customer");
  auto pop = customer_id.ok() ? customers_->ReadScreenPop(*customer_id) : customer_id.status();
  if (!pop.ok()) {
    LogEvent(spdlog::level::err, "tickets.assignment_not_staged",
             {{"ticket", ticket.name()}, {"error", std::string(pop.status().message())}});
    return;
  }
  Clocks clocks = LoadClocks(*row);
  v1::Event event;
  event.mutable_ticket_changed()->set_change("assigned");
  v1::TicketRow evaluated;
  const Evaluation evaluation = Evaluate(ticket, clocks, &evaluated, clock_->Now());
  Stage(batch, *id, *customer_id, *std::move(pop), ticket, std::move(evaluated), evaluation, view->agent,
        absl::StrCat("assigned to ", view->agent, " (offer accepted)"), &event, events);
  Schedule(*id, clocks);
}

// A ticket's contact handed on by its agent (AgentService.Transfer): the ticket follows it,
// unassigned, into the queue it now waits in.
void TicketDesk::OnContactQueued(uint64_t contact, rocksdb::WriteBatch* batch, std::vector<v1::Event>* events) {
  auto spec = routing_->router().WaitingRecord(contact);
  if (!spec.ok()) return;
  auto id = TicketOf(spec->reference);
  if (!id) return;
  auto row = store_.GetTicket(*id);
  if (!row.ok()) return;
  v1::Ticket ticket = row->ticket();
  if (ticket.contact() == ContactName(contact)) return;
  auto customer_id = customers::ParseCustomerName(ticket.customer(), "ticket.customer");
  auto pop = customer_id.ok() ? customers_->ReadScreenPop(*customer_id) : customer_id.status();
  if (!pop.ok()) {
    LogEvent(spdlog::level::err, "tickets.transfer_not_staged",
             {{"ticket", ticket.name()}, {"error", std::string(pop.status().message())}});
    return;
  }
  const std::string from = ticket.assignee();
  ticket.clear_assignee();
  // To a queue: the ticket belongs there now. To a colleague: it stays in its queue (the
  // contact's may be an overflow queue), waiting for them.
  if (spec->preferred_agent.empty()) ticket.set_queue(spec->queue);
  ticket.set_contact(ContactName(contact));
  *ticket.mutable_update_time() = ToTimestamp(clock_->Now());
  Clocks clocks = LoadClocks(*row);
  v1::Event event;
  event.mutable_ticket_changed()->set_change("transferred");
  const std::string to = spec->preferred_agent.empty() ? spec->queue : spec->preferred_agent;
  v1::TicketRow evaluated;
  const Evaluation evaluation = Evaluate(ticket, clocks, &evaluated, clock_->Now());
  Stage(batch, *id, *customer_id, *std::move(pop), ticket, std::move(evaluated), evaluation,
        from.empty() ? kSystemPrincipal : from,
        absl::StrCat("transferred to ", to), &event, events);
  Schedule(*id, clocks);
}

absl::StatusOr<v1::Ticket> TicketDesk::Get(const std::string& name) const {
  auto id = ParseTicketName(name, "name");
  if (!id.ok()) return id.status();
  auto row = store_.GetTicket(*id);
  if (!row.ok()) return row.status();
  v1::Ticket ticket = row->ticket();
  Present(&ticket);
  return ticket;
}

absl::StatusOr<v1::ListTicketsResponse> TicketDesk::List(const v1::ListTicketsRequest& request) const {
  auto listing = ParseRecordListing(kPageKind, request.customer(), request.page_size(), request.page_token());
  if (!listing.ok()) return listing.status();
  if (!v1::TicketStatus_IsValid(request.status())) {
    return absl::InvalidArgumentError(absl::StrCat("status: unknown value ", request.status()));
  }
  auto keep = [&](const v1::Ticket& t) {
    if (request.status() != v1::TICKET_STATUS_UNSPECIFIED && t.status() != request.status()) return false;
    if (request.open_only() && !IsOpen(t.status())) return false;
    if (request.overdue() && !t.overdue()) return false;
    if (!request.queue().empty() && t.queue() != request.queue()) return false;
    if (!request.assignee().empty() && t.assignee() != request.assignee()) return false;
    return true;
  };
  auto page = store_.List(listing->customer_id, listing->after, keep, listing->page_size);
  if (!page.ok()) return page.status();
  v1::ListTicketsResponse response;
  for (auto& ticket : page->tickets) {
    Present(&ticket);
    *response.add_tickets() = std::move(ticket);
  }
  if (page->last) {
    response.set_next_page_token(RecordPageToken(kPageKind, request.customer(), *page->last));
  }
  return response;
}

absl::StatusOr<v1::Ticket> TicketDesk::Update(const v1::UpdateTicketRequest& request,
                                              const std::string& principal) {
  auto id = ParseTicketName(request.ticket().name(), "ticket.name");
  if (!id.ok()) return id.status();
  if (request.update_mask().paths_size() == 0) {
    return absl::InvalidArgumentError("update_mask: required (name the fields to change)");
  }
  for (const auto& path : request.update_mask().paths()) {
    if (std::none_of(std::begin(kMutable), std::end(kMutable), [&](const char* m) { return path == m; })) {
      return absl::InvalidArgumentError(absl::StrCat(
          "update_mask: '", path.substr(0, 64),
          "' cannot be changed here (subject, description, priority, queue, tags, custom_fields, assignee; "
          "the status through ChangeStatus)"));
    }
  }
  auto row = store_.GetTicket(*id);
  if (!row.ok()) return row.status();
  v1::Ticket ticket = row->ticket();
  google::protobuf::util::FieldMaskUtil::MergeOptions options;
  options.set_replace_repeated_fields(true);  // tags and custom_fields are replaced whole
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(request.ticket(), request.update_mask(), options,
                                                        &ticket);
  const auto& paths = request.update_mask().paths();
  const bool queue_named = std::find(paths.begin(), paths.end(), "queue") != paths.end();
  const bool assignee_named = std::find(paths.begin(), paths.end(), "assignee") != paths.end();
  if (auto s = ValidateFields(&ticket, "ticket", queue_named, assignee_named); !s.ok()) return s;
  const absl::Time now = clock_->Now();
  *ticket.mutable_update_time() = ToTimestamp(now);
  Clocks clocks = LoadClocks(*row);
  if (ticket.priority() != row->ticket().priority()) {
    // Another policy: its targets from now on, the time used kept.
    const tickets::SlaTargets& targets = TargetsFor(ticket);
    if (clocks.first_response) clocks.first_response->ChangeTarget(targets.first_response, now);
    if (clocks.resolution) clocks.resolution->ChangeTarget(targets.resolution, now);
  }
  rocksdb::WriteBatch batch;
  v1::Event event;
  event.mutable_ticket_changed()->set_change("updated");
  *event.mutable_ticket_changed()->mutable_update_mask() = request.update_mask();
  if (auto s = Commit(&batch, *id, ticket, clocks, &row->ticket(), principal,
                      absl::StrCat("ticket updated (", absl::StrJoin(request.update_mask().paths(), ", "), ")"),
                      &event);
      !s.ok()) {
    return s;
  }
  return ticket;
}

absl::StatusOr<v1::TicketComment> TicketDesk::AddComment(const v1::AddCommentRequest& request,
                                                         const std::string& principal) {
  auto id = ParseTicketName(request.ticket(), "ticket");
  if (!id.ok()) return id.status();
  v1::TicketComment comment = request.comment();
  if (auto s = CheckText(comment.mutable_body(), kComment, "comment.body", true); !s.ok()) return s;
  auto row = store_.GetTicket(*id);
  if (!row.ok()) return row.status();
  v1::Ticket ticket = row->ticket();
  const uint32_t number = static_cast<uint32_t>(ticket.comment_count()) + 1;
  comment.set_name(absl::StrCat(ticket.name(), "/comments/", number));
  comment.set_author(principal);
  *comment.mutable_create_time() = ToTimestamp(clock_->Now());
  ticket.set_comment_count(static_cast<int32_t>(number));
  *ticket.mutable_update_time() = comment.create_time();
  Clocks clocks = LoadClocks(*row);
  // The first public reply by an agent is the first response.
  if (comment.public_() && absl::StartsWith(principal, "agents/") && clocks.first_response) {
    clocks.first_response->Stop(clock_->Now()).IgnoreError();  // already met: nothing to do
  }
  rocksdb::WriteBatch batch;
  store_.PutComment(&batch, *id, number, comment);
  v1::Event event;
  event.mutable_ticket_changed()->set_change("commented");
  *event.mutable_ticket_changed()->mutable_comment() = comment;
  if (auto s = Commit(&batch, *id, ticket, clocks, &row->ticket(), principal,
                      absl::StrCat(comment.public_() ? "public" : "internal", " comment: ", comment.body()),
                      &event);
      !s.ok()) {
    return s;
  }
  return comment;
}

absl::StatusOr<v1::ListCommentsResponse> TicketDesk::Comments(const v1::ListCommentsRequest& request) const {
  auto id = ParseTicketName(request.ticket(), "ticket");
  if (!id.ok()) return id.status();
  if (auto row = store_.GetTicket(*id); !row.ok()) return row.status();
  auto comments = store_.ListComments(*id);
  if (!comments.ok()) return comments.status();
  v1::ListCommentsResponse response;
  for (auto& c : *comments) *response.add_comments() = std::move(c);
  return response;
}

absl::StatusOr<v1::Ticket> TicketDesk::ChangeStatus(const v1::ChangeStatusRequest& request,
                                                    const std::string& principal) {
  auto id = ParseTicketName(request.ticket(), "ticket");
  if (!id.ok()) return id.status();
  if (request.status() == v1::TICKET_STATUS_UNSPECIFIED || !v1::TicketStatus_IsValid(request.status())) {
    return absl::InvalidArgumentError("status: required (open, pending, solved or closed)");
  }
  if (!v1::PendingReason_IsValid(request.pending_reason())) {
    return absl::InvalidArgumentError(absl::StrCat("pending_reason: unknown value ", request.pending_reason()));
  }
  auto row = store_.GetTicket(*id);
  if (!row.ok()) return row.status();
  v1::Ticket ticket = row->ticket();
  const absl::Time now = clock_->Now();
  const v1::TicketStatus from = ticket.status();
  const v1::TicketStatus to = request.status();

  // A customer back on a ticket solved too long ago, or closed: a new ticket, linked. Asked
  // again (a client's retry), the same new ticket is the answer, not another one.
  if (to == v1::TICKET_STATUS_OPEN && !ticket.reopened_as().empty() &&
      (from == v1::TICKET_STATUS_CLOSED || from == v1::TICKET_STATUS_SOLVED)) {
    return Get(ticket.reopened_as());
  }
  if (to == v1::TICKET_STATUS_OPEN &&
      (from == v1::TICKET_STATUS_CLOSED ||
       (from == v1::TICKET_STATUS_SOLVED &&
        tickets::DecideReopen(FromTimestamp(ticket.solved_time()), now,
                              absl::Hours(24) * config_.tickets.reopen_days) ==
            tickets::ReopenOutcome::kNewLinkedTicket))) {
    v1::Ticket next;
    next.set_customer(ticket.customer());
    next.set_subject(ticket.subject());
    next.set_description(ticket.description());
    next.set_channel(ticket.channel());
    next.set_priority(ticket.priority());
    next.set_queue(ticket.queue());
    *next.mutable_tags() = ticket.tags();
    *next.mutable_custom_fields() = ticket.custom_fields();
    next.set_reopens(ticket.name());
    return CreateValidated(std::move(next), "", principal, "reopened_as_new", *id);
  }

  std::optional<tickets::PendingReason> reason;
  if (request.pending_reason() != v1::PENDING_REASON_UNSPECIFIED) {
    reason = static_cast<tickets::PendingReason>(static_cast<int>(request.pending_reason()) - 1);
  }
  if (auto s = tickets::CheckTransition(ToCore(from), ToCore(to), reason); !s.ok()) return s;
  Clocks clocks = LoadClocks(*row);
  for (auto* clock : {&clocks.first_response, &clocks.resolution}) {
    if (!clock->has_value()) continue;
    // A clock already in the wanted state (or stopped for good) answers OK or a precondition
    // error; either way nothing is left to do for it.
    if (to == v1::TICKET_STATUS_PENDING) (*clock)->Pause(now).IgnoreError();
    if (to == v1::TICKET_STATUS_OPEN && from == v1::TICKET_STATUS_PENDING) (*clock)->Resume(now).IgnoreError();
    if (to == v1::TICKET_STATUS_SOLVED || to == v1::TICKET_STATUS_CLOSED) (*clock)->Stop(now).IgnoreError();
  }
  if (to == v1::TICKET_STATUS_OPEN && from == v1::TICKET_STATUS_SOLVED) {
    // Reopened: the resolution target counts anew.
    auto fresh = NewClocks(ticket, now);
    if (!fresh.ok()) return fresh.status();
    clocks.resolution = std::move(fresh->resolution);
  }
  ticket.set_status(to);
  ticket.set_pending_reason(request.pending_reason());
  if (to == v1::TICKET_STATUS_SOLVED) *ticket.mutable_solved_time() = ToTimestamp(now);
  if (to == v1::TICKET_STATUS_OPEN) ticket.clear_solved_time();
  *ticket.mutable_update_time() = ToTimestamp(now);
  rocksdb::WriteBatch batch;
  v1::Event event;
  event.mutable_ticket_changed()->set_change("status_changed");
  std::string what = absl::StrCat("status: ", StatusWord(from), " -> ", StatusWord(to));
  if (reason) absl::StrAppend(&what, " (", tickets::PendingReasonName(*reason), ")");
  if (auto s = Commit(&batch, *id, ticket, clocks, &row->ticket(), principal, what, &event); !s.ok()) return s;
  return ticket;
}

absl::StatusOr<v1::Ticket> TicketDesk::Pick(const std::string& name, const std::string& agent,
                                            const std::string& principal) {
  auto id = ParseTicketName(name, "ticket");
  if (!id.ok()) return id.status();
  if (auto s = CheckResourceName(agent, "agents", "agent"); !s.ok()) return s;
  if (!routing_->HasAgent(agent)) return absl::NotFoundError(absl::StrCat("agent: '", agent, "' is not defined"));
  auto row = store_.GetTicket(*id);
  if (!row.ok()) return row.status();
  v1::Ticket ticket = row->ticket();
  if (ticket.status() != v1::TICKET_STATUS_NEW && ticket.status() != v1::TICKET_STATUS_OPEN) {
    return absl::FailedPreconditionError(absl::StrCat(
        "ticket: '", ticket.name(), "' is ", StatusWord(ticket.status()), "; only new or open tickets are picked"));
  }
  if (!ticket.assignee().empty() && ticket.assignee() != agent) {
    return absl::FailedPreconditionError(absl::StrCat("ticket: '", ticket.name(), "' is assigned to ",
                                                      ticket.assignee(), "; a supervisor reassigns it"));
  }
  routing::Router& router = routing_->router();
  auto view = LiveContact(ticket);
  if (view && view->state == routing::ContactState::kActive) {
    if (view->agent == agent) {  // already theirs: a retry
      Present(&ticket);
      return ticket;
    }
    return absl::FailedPreconditionError(
        absl::StrCat("ticket: '", ticket.name(), "' is being worked by ", view->agent));
  }
  if (view && view->state == routing::ContactState::kOffered && view->agent == agent) {
    // Ringing at this very agent: picking it is accepting the offer.
    auto status = router.GetAgent(agent);
    if (!status.ok() || !status->pending_offer) return absl::InternalError("offer: not found for the agent");
    auto accepted = router.Accept(agent, *status->pending_offer);
    if (!accepted.ok()) return accepted.status();
  } else if (view) {
    auto picked = router.Pick(agent, *ParseContactName(ticket.contact(), "contact"));
    if (!picked.ok()) return picked.status();  // nothing changed
  } else {
    routing::ContactSpec spec;
    spec.channel = routing::Channel::kTicket;
    spec.queue = ticket.queue();
    if (spec.queue.empty() || routing_->FindQueue(spec.queue) == nullptr) {
      // A ticket without a (defined) queue is worked all the same: counted in any queue the
      // agent serves that takes tickets.
      spec.queue.clear();
      auto status = router.GetAgent(agent);
      if (status.ok()) {
        for (const auto& queue : status->queues) {
          const v1::Queue* q = routing_->FindQueue(queue);
          if (q != nullptr && std::find(q->channels().begin(), q->channels().end(), v1::CONTACT_CHANNEL_TICKET) !=
                                  q->channels().end()) {
            spec.queue = queue;
            break;
          }
        }
      }
      if (spec.queue.empty()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "ticket: '", ticket.name(), "' has no queue, and ", agent, " serves no queue that takes tickets"));
      }
    }
    spec.priority_adjust = RoutingPriority(ticket);
    spec.reference = ticket.name();
    spec.customer = ticket.customer();
    auto connected = router.Connect(agent, spec);
    if (!connected.ok()) return connected.status();  // nothing changed
    ticket.set_contact(ContactName(*connected));
  }
  const v1::Ticket before = ticket;
  ticket.set_assignee(agent);
  if (ticket.status() == v1::TICKET_STATUS_NEW) ticket.set_status(v1::TICKET_STATUS_OPEN);
  *ticket.mutable_update_time() = ToTimestamp(clock_->Now());
  Clocks clocks = LoadClocks(*row);
  rocksdb::WriteBatch batch;
  v1::Event event;
  event.mutable_ticket_changed()->set_change("picked");
  if (auto s = Commit(&batch, *id, ticket, clocks, &before, principal, absl::StrCat("picked by ", agent), &event);
      !s.ok()) {
    return s;
  }
  return ticket;
}

absl::StatusOr<v1::Ticket> TicketDesk::HandBack(const v1::HandBackTicketRequest& request, const std::string& agent,
                                                const std::string& principal) {
  auto id = ParseTicketName(request.ticket(), "ticket");
  if (!id.ok()) return id.status();
  std::string reason = request.reason();
  if (auto s = CheckText(&reason, 500, "reason", false); !s.ok()) return s;
  auto row = store_.GetTicket(*id);
  if (!row.ok()) return row.status();
  v1::Ticket ticket = row->ticket();
  if (ticket.assignee() != agent) {
    return absl::FailedPreconditionError(absl::StrCat(
        "ticket: '", ticket.name(), "' is assigned to ", ticket.assignee().empty() ? "nobody" : ticket.assignee(),
        ", not ", agent));
  }
  if (!IsOpen(ticket.status())) {
    return absl::FailedPreconditionError(
        absl::StrCat("ticket: '", ticket.name(), "' is ", StatusWord(ticket.status()), "; only open tickets go back"));
  }
  if (ticket.queue().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("ticket: '", ticket.name(), "' has no queue to go back to; set ticket.queue first"));
  }
  ticket.clear_assignee();
  *ticket.mutable_update_time() = ToTimestamp(clock_->Now());
  Clocks clocks = LoadClocks(*row);
  rocksdb::WriteBatch batch;
  v1::Event event;
  event.mutable_ticket_changed()->set_change("handed_back");
  std::string what = absl::StrCat("handed back to ", ticket.queue(), " by ", agent);
  if (!reason.empty()) absl::StrAppend(&what, ": ", reason);
  if (auto s = Commit(&batch, *id, ticket, clocks, &row->ticket(), principal, what, &event); !s.ok()) return s;
  return ticket;
}

}  // namespace servicedesk::server
