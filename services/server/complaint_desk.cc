#include "services/server/complaint_desk.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/page_token.h"
#include "services/customers/customer_validation.h"
#include "services/customers/resource_names.h"
#include "services/server/complaint_rules.h"
#include "services/server/history_entry.h"
#include "services/server/logging.h"
#include "services/server/record_listing.h"
#include "services/server/routing_proto.h"
#include "storage/ticket_store.h"

namespace servicedesk::server {

namespace {

namespace c = complaints;

constexpr const char* kSystemPrincipal = "system/complaints";
constexpr const char* kPageKind = "complaints";
constexpr std::size_t kSummary = 200;

absl::StatusOr<uint64_t> ParseComplaintName(const std::string& name, const std::string& field) {
  uint64_t id = 0;
  if (!absl::StartsWith(name, "complaints/") || !absl::SimpleAtoi(name.substr(11), &id) || id == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": '", name.substr(0, 64), "' is not a complaint name (complaints/{id})"));
  }
  return id;
}

v1::ComplaintStep StepToProto(c::Step step) { return static_cast<v1::ComplaintStep>(static_cast<int>(step) + 1); }

google::protobuf::Timestamp Stamp(absl::Time time) { return ToTimestamp(time); }

v1::ComplaintStateRow StateToRow(const c::ComplaintState& s) {
  v1::ComplaintStateRow row;
  row.set_step(static_cast<int32_t>(s.step));
  row.set_closure(s.closure ? static_cast<int32_t>(*s.closure) + 1 : 0);
  row.set_tier(static_cast<int32_t>(s.tier));
  row.set_severity(s.severity ? static_cast<int32_t>(*s.severity) + 1 : 0);
  row.set_regulated(s.regulated);
  *row.mutable_opened_at() = Stamp(s.opened_at);
  *row.mutable_step_started_at() = Stamp(s.step_started_at);
  row.set_reopen_count(s.reopen_count);
  row.set_proposals_in_loop(s.proposals_in_loop);
  row.set_escalated(s.escalated);
  row.set_follow_up_attempts(s.follow_up_attempts);
  if (s.follow_up_due != absl::InfiniteFuture()) *row.mutable_follow_up_due() = Stamp(s.follow_up_due);
  row.set_follow_up_handed_out(s.follow_up_handed_out);
  for (const auto& d : s.deadlines) {
    auto* out = row.add_deadlines();
    out->set_kind(static_cast<int32_t>(d.kind));
    *out->mutable_at() = Stamp(d.at);
    out->set_raised(d.raised);
  }
  return row;
}

c::ComplaintState StateFromRow(const v1::ComplaintStateRow& row) {
  c::ComplaintState s;
  s.step = static_cast<c::Step>(row.step());
  if (row.closure() > 0) s.closure = static_cast<c::Closure>(row.closure() - 1);
  s.tier = static_cast<c::CustomerTier>(row.tier());
  if (row.severity() > 0) s.severity = static_cast<c::Severity>(row.severity() - 1);
  s.regulated = row.regulated();
  s.opened_at = FromTimestamp(row.opened_at());
  s.step_started_at = FromTimestamp(row.step_started_at());
  s.reopen_count = row.reopen_count();
  s.proposals_in_loop = row.proposals_in_loop();
  s.escalated = row.escalated();
  s.follow_up_attempts = row.follow_up_attempts();
  s.follow_up_due = row.has_follow_up_due() ? FromTimestamp(row.follow_up_due()) : absl::InfiniteFuture();
  s.follow_up_handed_out = row.follow_up_handed_out();
  for (const auto& d : row.deadlines()) {
    s.deadlines.push_back(c::Deadline{static_cast<c::DeadlineKind>(d.kind()), FromTimestamp(d.at()), d.raised()});
  }
  return s;
}

// A proto enum to the core's (proto value - 1), nullopt for UNSPECIFIED (the core then says
// "required"), INVALID_ARGUMENT naming the field for a value outside the enum.
template <typename Core>
absl::StatusOr<std::optional<Core>> EnumFromProto(int value, int count, const std::string& field) {
  if (value == 0) return std::optional<Core>();
  if (value < 0 || value > count) return absl::InvalidArgumentError(absl::StrCat(field, ": unknown value ", value));
  return std::optional<Core>(static_cast<Core>(value - 1));
}

absl::Duration FromDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

bool IsAgent(const std::string& principal) { return absl::StartsWith(principal, "agents/"); }

// The core names step data by the step ("recording.category"); the request calls the field
// otherwise ("details.category").
absl::Status RenameField(const absl::Status& status, absl::string_view core, absl::string_view request) {
  if (!absl::StartsWith(status.message(), core)) return status;
  return absl::Status(status.code(), absl::StrCat(request, status.message().substr(core.size())));
}

}  // namespace

ComplaintDesk::ComplaintDesk(const Config& config, const Clock* clock, DeskLoop* loop, storage::Database* db,
                             storage::EventWriter* writer, const storage::CustomerStore* customers,
                             RoutingDesk* routing)
    : config_(config), clock_(clock), loop_(loop), writer_(writer), customers_(customers), routing_(routing),
      db_(db), store_(db), timer_(loop->context()) {
  auto rules = ComplaintRulesFrom(config.complaints);
  if (!rules.ok()) rules = ComplaintRulesFrom(ComplaintsConfig());  // ValidateConfig said so
  auto workflow = c::Workflow::Create(*std::move(rules));
  if (workflow.ok()) workflow_.emplace(*std::move(workflow));
  routing_->AddObserver(this);
}

absl::Status ComplaintDesk::Start() {
  if (!workflow_) return absl::InternalError("complaints: the workflow configuration is invalid");
  if (const std::string& queue = config_.complaints.follow_up_queue; !queue.empty()) {
    const v1::Queue* defined = routing_->FindQueue(queue);
    if (defined == nullptr || std::find(defined->channels().begin(), defined->channels().end(),
                                        v1::CONTACT_CHANNEL_OUTBOUND) == defined->channels().end()) {
      return absl::InvalidArgumentError(absl::StrCat("complaints.follow_up_queue: '", queue,
                                                     "' is not a defined queue that takes outbound contacts"));
    }
  }
  auto open = store_.OpenComplaintIds();
  if (!open.ok()) return open.status();
  for (uint64_t id : *open) {
    auto row = store_.GetComplaint(id);
    if (!row.ok()) return row.status();
    c::ComplaintState state = StateFromRow(row->state());
    Tally(id, state);
    if (state.step == c::Step::kFollowUp && state.follow_up_handed_out && !config_.complaints.follow_up_queue.empty() &&
        !LiveFollowUp(row->complaint())) {
      // Its task was being worked when the server stopped (connected contacts do not come
      // back): the attempt is delivered again.
      redeliver_.insert(id);
      schedule_.insert({clock_->Now(), id});
      scheduled_at_[id] = clock_->Now();
      continue;
    }
    Schedule(id, state);
  }
  ArmTimer();  // what fell due while the server was down is handled at once
  return absl::OkStatus();
}

void ComplaintDesk::Tally(uint64_t id, const c::ComplaintState& state) {
  if (auto it = tallied_.find(id); it != tallied_.end()) {
    const Tallied& old = it->second;
    --step_count_[old.step];
    if (old.overdue) {
      --step_overdue_[old.step];
    } else if (old.overdue_at) {
      becoming_overdue_.erase({*old.overdue_at, id});
    }
    tallied_.erase(it);
  }
  if (state.step == c::Step::kClosed) return;
  Tallied now{std::clamp(static_cast<int>(state.step), 0, 5), std::nullopt, false};
  for (const c::Deadline& d : state.deadlines) {
    if (!now.overdue_at || d.at < *now.overdue_at) now.overdue_at = d.at;
  }
  now.overdue = now.overdue_at && *now.overdue_at <= clock_->Now();
  ++step_count_[now.step];
  if (now.overdue) {
    ++step_overdue_[now.step];
  } else if (now.overdue_at) {
    becoming_overdue_.insert({*now.overdue_at, id});
  }
  tallied_[id] = now;
}

v1::WorkCounts ComplaintDesk::Counts() {
  const absl::Time now = clock_->Now();
  while (!becoming_overdue_.empty() && becoming_overdue_.begin()->first <= now) {
    const uint64_t id = becoming_overdue_.begin()->second;
    becoming_overdue_.erase(becoming_overdue_.begin());
    Tallied& tallied = tallied_[id];
    tallied.overdue = true;
    ++step_overdue_[tallied.step];
  }
  v1::WorkCounts counts;
  for (c::Step step : {c::Step::kVenting, c::Step::kRecording, c::Step::kResolution, c::Step::kFollowUp}) {
    auto* out = counts.add_counts();
    out->set_status(c::StepName(step));
    out->set_count(step_count_[static_cast<int>(step)]);
    out->set_overdue(step_overdue_[static_cast<int>(step)]);
  }
  return counts;
}

void ComplaintDesk::Stop() {
  stopped_ = true;
  timer_.cancel();
}

void ComplaintDesk::Schedule(uint64_t id, const c::ComplaintState& state, absl::Time not_before) {
  if (auto it = scheduled_at_.find(id); it != scheduled_at_.end()) {
    schedule_.erase({it->second, id});
    scheduled_at_.erase(it);
  }
  auto next = c::NextDueAt(state);
  if (!next) return;
  const absl::Time at = std::max(*next, not_before);
  schedule_.insert({at, id});
  scheduled_at_[id] = at;
}

void ComplaintDesk::ArmTimer() {
  if (stopped_) return;
  timer_.cancel();
  if (schedule_.empty()) return;
  const absl::Duration wait = std::max(schedule_.begin()->first - clock_->Now(), absl::ZeroDuration());
  timer_.expires_after(std::chrono::microseconds(absl::ToInt64Microseconds(wait) + 1));
  timer_.async_wait([this](const std::error_code& error) {
    if (!error && !stopped_) RunDue();
  });
}

absl::StatusOr<ComplaintDesk::Loaded> ComplaintDesk::Load(const std::string& name, const std::string& field) const {
  auto id = ParseComplaintName(name, field);
  if (!id.ok()) return id.status();
  auto row = store_.GetComplaint(*id);
  if (!row.ok()) return row.status();
  auto customer = customers::ParseCustomerName(row->complaint().customer(), "complaint.customer");
  if (!customer.ok()) return customer.status();
  Loaded loaded;
  loaded.id = *id;
  loaded.customer = *customer;
  loaded.state = StateFromRow(row->state());
  loaded.row = *std::move(row);
  return loaded;
}

absl::Status ComplaintDesk::CheckActor(const Loaded& loaded, const Actor& actor) const {
  const std::string& owner = loaded.row.complaint().owner();
  if (actor.supervisor || owner.empty() || owner == actor.principal) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("complaint: '", loaded.row.complaint().name(), "' belongs to ",
                                                  owner, "; another agent's complaint needs a supervisor"));
}

std::optional<routing::ContactView> ComplaintDesk::LiveFollowUp(const v1::Complaint& complaint) const {
  if (complaint.follow_up_contact().empty()) return std::nullopt;
  auto id = ParseContactName(complaint.follow_up_contact(), "contact");
  if (!id.ok()) return std::nullopt;
  auto view = routing_->router().GetContact(*id);
  if (!view.ok() || view->reference != complaint.name()) return std::nullopt;
  return *view;
}

void ComplaintDesk::EndFollowUp(v1::Complaint& complaint, const std::string& actor) {
  auto view = LiveFollowUp(complaint);
  if (view && view->state == routing::ContactState::kActive && view->agent != actor) {
    view.reset();  // another agent is on that call: they end it
  }
  if (view) {
    const uint64_t id = *ParseContactName(complaint.follow_up_contact(), "contact");
    const absl::Status ended = view->state == routing::ContactState::kActive
                                   ? routing_->router().EndContact(view->agent, id)
                                   : routing_->router().Withdraw(id);
    if (!ended.ok()) {
      LogEvent(spdlog::level::warn, "complaints.follow_up_not_ended",
               {{"complaint", complaint.name()}, {"error", std::string(ended.message())}});
    }
  }
  complaint.clear_follow_up_contact();
}

int ComplaintDesk::FollowUpPriority(const Loaded& loaded) const {
  return c::Overdue(loaded.state, clock_->Now()).empty() ? 0 : config_.complaints.overdue_priority_boost;
}

bool ComplaintDesk::DeliverFollowUp(Loaded& loaded) {
  v1::Complaint& complaint = *loaded.row.mutable_complaint();
  EndFollowUp(complaint, kSystemPrincipal);  // a retry replaces the last attempt's task
  if (config_.complaints.follow_up_queue.empty()) return true;  // shown as due, not routed
  routing::ContactSpec spec;
  spec.channel = routing::Channel::kOutbound;
  spec.queue = config_.complaints.follow_up_queue;
  if (auto s = routing_->FillFromCustomer(complaint.customer(), &spec); !s.ok()) {
    LogEvent(spdlog::level::warn, "complaints.follow_up_customer", {{"error", std::string(s.message())}});
  }
  // The agent who resolved it calls back; the queue's preferred-agent window is the fallback.
  if (routing_->HasAgent(complaint.resolved_by())) spec.preferred_agent = complaint.resolved_by();
  spec.priority_adjust = FollowUpPriority(loaded);
  spec.reference = complaint.name();
  spec.enqueue_time = clock_->Now();
  auto id = routing_->router().Enqueue(spec);
  if (!id.ok()) {
    LogEvent(spdlog::level::warn, "complaints.follow_up_not_routed",
             {{"complaint", complaint.name()}, {"error", std::string(id.status().message())}});
    return false;
  }
  complaint.set_follow_up_contact(ContactName(*id));
  return true;
}

void ComplaintDesk::Present(v1::Complaint* complaint, const c::ComplaintState& state) const {
  const absl::Time now = clock_->Now();
  complaint->set_step(StepToProto(state.step));
  *complaint->mutable_step_start_time() = Stamp(state.step_started_at);
  if (auto at = c::StepDeadline(state)) {
    *complaint->mutable_step_deadline() = Stamp(*at);
  } else {
    complaint->clear_step_deadline();
  }
  complaint->clear_deadlines();
  for (const auto& d : state.deadlines) {
    auto* out = complaint->add_deadlines();
    out->set_kind(c::DeadlineKindName(d.kind));
    *out->mutable_deadline() = Stamp(d.at);
    out->set_reached(d.at <= now);
  }
  complaint->set_overdue(!c::Overdue(state, now).empty());
  if (state.step == c::Step::kFollowUp && state.follow_up_due != absl::InfiniteFuture()) {
    *complaint->mutable_follow_up_due_time() = Stamp(state.follow_up_due);
  } else {
    complaint->clear_follow_up_due_time();
  }
  complaint->set_reopen_count(state.reopen_count);
  complaint->set_escalated(state.escalated);
  complaint->set_closure(state.closure ? c::ClosureName(*state.closure) : "");
  if (!complaint->follow_up_contact().empty() && !LiveFollowUp(*complaint)) complaint->clear_follow_up_contact();
}

void ComplaintDesk::Stage(rocksdb::WriteBatch* batch, Loaded& loaded, v1::ScreenPopRow pop_row,
                          const std::string& principal, const std::string& action, const std::string& text,
                          std::vector<v1::Event>* events) {
  v1::ScreenPopRow* pop = &pop_row;
  const absl::Time now = clock_->Now();
  v1::Complaint& complaint = *loaded.row.mutable_complaint();
  Present(&complaint, loaded.state);
  *loaded.row.mutable_state() = StateToRow(loaded.state);
  store_.PutComplaint(batch, loaded.id, loaded.customer, loaded.row);
  Tally(loaded.id, loaded.state);

  v1::Interaction entry;
  entry.set_channel(v1::INTERACTION_CHANNEL_COMPLAINT_STEP);
  entry.set_direction(v1::DIRECTION_INTERNAL);
  entry.set_outcome(action);
  entry.set_text(text);
  entry.set_reference(complaint.name());
  AppendHistoryEntry(batch, writer_, customers_, loaded.customer, principal, now, std::move(entry), pop);

  auto* open = pop->mutable_open_complaints();
  for (int i = 0; i < open->size(); ++i) {
    if (open->Get(i).name() == complaint.name()) {
      open->DeleteSubrange(i, 1);
      break;
    }
  }
  if (complaint.step() != v1::COMPLAINT_STEP_CLOSED) {
    v1::ComplaintSummary summary;
    summary.set_name(complaint.name());
    summary.set_step(c::StepName(loaded.state.step));
    summary.set_category(complaint.details().category());
    if (loaded.state.severity) summary.set_severity(c::SeverityName(*loaded.state.severity));
    *summary.mutable_open_time() = complaint.open_time();
    if (complaint.has_step_deadline()) *summary.mutable_step_deadline() = complaint.step_deadline();
    *open->Add() = std::move(summary);
  }
  customers_->PutScreenPop(batch, loaded.customer, *pop);

  v1::Event& event = events->emplace_back();
  *event.mutable_time() = Stamp(now);
  event.set_principal(principal);
  *event.mutable_complaint_changed()->mutable_complaint() = complaint;
  event.mutable_complaint_changed()->set_action(action);
}

absl::Status ComplaintDesk::Write(const std::string& principal, rocksdb::WriteBatch* batch,
                                  std::vector<v1::Event>* events) {
  std::vector<v1::Event*> written;
  for (v1::Event& e : *events) written.push_back(&e);
  own_commit_ = true;
  auto stored = routing_->Commit(principal, batch, written);
  own_commit_ = false;
  return stored;
}

namespace {

void Audit(v1::Complaint* complaint, absl::Time now, const std::string& principal, const std::string& action,
           c::Step from, c::Step to, const std::string& summary) {
  auto* entry = complaint->add_audit();
  *entry->mutable_time() = Stamp(now);
  entry->set_principal(principal);
  entry->set_action(action);
  entry->set_from(StepToProto(from));
  entry->set_to(StepToProto(to));
  entry->set_summary(summary);
}

}  // namespace

absl::StatusOr<v1::Complaint> ComplaintDesk::Open(const v1::OpenComplaintRequest& request, const Actor& actor) {
  if (request.request_id().size() > 100) return absl::InvalidArgumentError("request_id: at most 100 characters");
  if (!request.request_id().empty()) {
    auto earlier = store_.FindByRequestId(request.request_id());
    if (!earlier.ok()) return earlier.status();
    if (earlier->has_value()) return Get(storage::ComplaintName(**earlier));
  }
  auto customer_id = customers::ParseCustomerName(request.customer(), "customer");
  if (!customer_id.ok()) return customer_id.status();
  v1::Customer customer;
  if (auto s = customers_->GetCustomerInto(*customer_id, &customer); !s.ok()) {
    if (absl::IsNotFound(s)) return absl::NotFoundError(absl::StrCat("customer: '", request.customer(), "' not found"));
    return s;
  }
  v1::ComplaintSource source = request.source();
  if (!v1::ComplaintSource_IsValid(source)) {
    return absl::InvalidArgumentError(absl::StrCat("source: unknown value ", source));
  }
  if (source == v1::COMPLAINT_SOURCE_UNSPECIFIED) source = v1::COMPLAINT_SOURCE_DIRECT;
  const std::string& reference = request.source_reference();
  switch (source) {
    case v1::COMPLAINT_SOURCE_CALL:
      if (auto id = ParseContactName(reference, "source_reference"); !id.ok()) return id.status();
      break;
    case v1::COMPLAINT_SOURCE_TICKET: {
      uint64_t ticket_id = 0;
      if (!absl::StartsWith(reference, "tickets/") || !absl::SimpleAtoi(reference.substr(8), &ticket_id) ||
          storage::TicketName(ticket_id) != reference) {
        return absl::InvalidArgumentError(
            absl::StrCat("source_reference: '", reference.substr(0, 64), "' is not a ticket name (tickets/{id})"));
      }
      auto ticket = storage::TicketStore(db_).GetTicket(ticket_id);
      if (absl::IsNotFound(ticket.status())) {
        return absl::NotFoundError(absl::StrCat("source_reference: '", reference, "' not found"));
      }
      if (!ticket.ok()) return ticket.status();
      if (ticket->ticket().customer() != request.customer()) {
        return absl::InvalidArgumentError(
            absl::StrCat("source_reference: '", reference, "' is another customer's ticket"));
      }
      break;
    }
    default:
      if (!reference.empty()) {
        return absl::InvalidArgumentError("source_reference: a direct complaint has none (or give source)");
      }
  }
  std::string summary(absl::StripAsciiWhitespace(request.summary()));
  if (summary.size() > kSummary || customers::HasControlCharacter(summary)) {
    return absl::InvalidArgumentError(
        absl::StrCat("summary: at most ", kSummary, " bytes without control characters"));
  }
  const auto tier = customer.tier() >= 1 && customer.tier() <= 4 ? static_cast<c::CustomerTier>(customer.tier())
                                                                 : c::CustomerTier::kUnknown;
  const absl::Time now = clock_->Now();
  auto state = workflow_->Open(tier, now);
  if (!state.ok()) return state.status();

  rocksdb::WriteBatch batch;
  Loaded loaded;
  loaded.id = writer_->NextId(&batch, "complaint");
  loaded.customer = *customer_id;
  loaded.state = *std::move(state);
  v1::Complaint& complaint = *loaded.row.mutable_complaint();
  complaint.set_name(storage::ComplaintName(loaded.id));
  complaint.set_customer(request.customer());
  complaint.set_source(source);
  complaint.set_source_reference(reference);
  complaint.set_summary(summary);
  if (!actor.supervisor) complaint.set_owner(actor.principal);
  *complaint.mutable_open_time() = Stamp(now);
  Audit(&complaint, now, actor.principal, "opened", c::Step::kVenting, c::Step::kVenting,
        summary.empty() ? "complaint opened" : absl::StrCat("complaint opened: ", summary));
  if (!request.request_id().empty()) store_.PutRequestId(&batch, request.request_id(), loaded.id);
  auto pop = customers_->ReadScreenPop(loaded.customer);
  if (!pop.ok()) return pop.status();
  std::vector<v1::Event> events;
  Stage(&batch, loaded, *std::move(pop), actor.principal, "opened",
        absl::StrCat("complaint opened", summary.empty() ? "" : ": ", summary), &events);
  if (auto s = Write(actor.principal, &batch, &events); !s.ok()) return s;
  Schedule(loaded.id, loaded.state);
  ArmTimer();
  return loaded.row.complaint();
}

absl::StatusOr<v1::Complaint> ComplaintDesk::Run(const std::string& name, const Actor& actor, c::Action action,
                                                 const Act& act) {
  auto loaded = Load(name, "complaint");
  if (!loaded.ok()) return loaded.status();
  if (auto s = c::Check(loaded->state, action); !s.ok()) return s;
  if (auto s = CheckActor(*loaded, actor); !s.ok()) return s;
  // Read what can fail before the router or the state changes.
  auto pop = customers_->ReadScreenPop(loaded->customer);
  if (!pop.ok()) return pop.status();
  const absl::Time now = clock_->Now();
  const c::Step from = loaded->state.step;
  v1::Complaint& complaint = *loaded->row.mutable_complaint();
  // An agent acting on a complaint nobody owns takes it (an escalation to a queue then
  // gives it up again).
  if (complaint.owner().empty() && !actor.supervisor) complaint.set_owner(actor.principal);
  auto outcome = act(*loaded, now);  // the workflow leaves the state as it was on error
  if (!outcome.ok()) return outcome.status();
  Audit(&complaint, now, actor.principal, c::ActionName(action), from, outcome->to, outcome->summary);
  if (action == c::Action::kRecordFollowUp || outcome->closed || outcome->reopened) {
    EndFollowUp(complaint, actor.principal);  // this attempt is done; a retry is delivered anew when due
  }
  if (outcome->reopened) {
    auto* escalation = complaint.add_escalations();
    escalation->set_to_supervisor(true);
    escalation->set_reason("follow-up: the customer is not satisfied or the problem is not solved");
    *escalation->mutable_record_time() = Stamp(now);
    escalation->set_reopen(true);
  }
  if (outcome->closed) *complaint.mutable_close_time() = Stamp(now);
  rocksdb::WriteBatch batch;
  std::vector<v1::Event> events;
  Stage(&batch, *loaded, *std::move(pop), actor.principal, c::ActionName(action),
        absl::StrCat("complaint ", c::StepName(from), ": ", outcome->summary), &events);
  if (auto s = Write(actor.principal, &batch, &events); !s.ok()) return s;
  Schedule(loaded->id, loaded->state);
  ArmTimer();
  return loaded->row.complaint();
}

absl::StatusOr<v1::Complaint> ComplaintDesk::Vent(const v1::RecordVentingRequest& request, const Actor& actor) {
  return Run(request.complaint(), actor, c::Action::kVent, [&](Loaded& loaded, absl::Time now) -> absl::StatusOr<c::Outcome> {
    const v1::Venting& in = request.venting();
    c::VentingData data;
    if (in.has_duration()) data.duration = FromDuration(in.duration());
    auto mood = EnumFromProto<c::Mood>(in.mood(), c::kMoodCount, "venting.mood");
    if (!mood.ok()) return mood.status();
    data.mood = *mood;
    data.notes = in.notes();
    data.requested_remedy = in.requested_remedy();
    auto outcome = workflow_->Vent(loaded.state, data, now);
    if (!outcome.ok()) return outcome;
    v1::Venting* out = loaded.row.mutable_complaint()->mutable_venting();
    *out = in;
    *out->mutable_record_time() = Stamp(now);
    out->set_agent(actor.principal);
    return outcome;
  });
}

absl::StatusOr<v1::Complaint> ComplaintDesk::Record(const v1::RecordDetailsRequest& request, const Actor& actor) {
  return Run(request.complaint(), actor, c::Action::kRecord, [&](Loaded& loaded, absl::Time now) -> absl::StatusOr<c::Outcome> {
    const v1::ComplaintDetails& in = request.details();
    c::RecordingData data;
    data.category = in.category();
    data.product = in.product();
    data.description = in.description();
    data.expectation = in.expectation();
    auto severity = EnumFromProto<c::Severity>(in.severity(), 4, "details.severity");
    if (!severity.ok()) return severity.status();
    data.severity = *severity;
    data.regulated = in.regulated();
    auto outcome = workflow_->Record(loaded.state, data, now);
    if (!outcome.ok()) return RenameField(outcome.status(), "recording.", "details.");
    v1::ComplaintDetails* out = loaded.row.mutable_complaint()->mutable_details();
    *out = in;
    *out->mutable_record_time() = Stamp(now);
    out->set_agent(actor.principal);
    return outcome;
  });
}

absl::StatusOr<v1::Complaint> ComplaintDesk::Propose(const v1::ProposeResolutionRequest& request, const Actor& actor) {
  return Run(request.complaint(), actor, c::Action::kPropose, [&](Loaded& loaded, absl::Time now) -> absl::StatusOr<c::Outcome> {
    const v1::ResolutionProposal& in = request.proposal();
    c::Proposal proposal;
    auto kind = EnumFromProto<c::SolutionKind>(in.kind(), c::kSolutionKindCount, "proposal.kind");
    if (!kind.ok()) return kind.status();
    proposal.kind = *kind;
    if (in.has_amount_cents()) proposal.amount_cents = in.amount_cents();
    proposal.currency = in.currency();
    proposal.description = in.description();
    proposal.accepted = in.accepted();
    auto outcome = workflow_->Propose(loaded.state, proposal, now);
    if (!outcome.ok()) return outcome;
    v1::Complaint& complaint = *loaded.row.mutable_complaint();
    v1::ResolutionProposal* out = complaint.add_proposals();
    *out = in;
    *out->mutable_record_time() = Stamp(now);
    out->set_agent(actor.principal);
    if (in.accepted()) {
      // The follow-up goes to whoever resolved it: the agent, or the owner for a supervisor.
      complaint.set_resolved_by(IsAgent(actor.principal) ? actor.principal : complaint.owner());
    }
    return outcome;
  });
}

absl::StatusOr<v1::Complaint> ComplaintDesk::Escalate(const v1::EscalateComplaintRequest& request, const Actor& actor) {
  return Run(request.complaint(), actor, c::Action::kEscalate, [&](Loaded& loaded, absl::Time now) -> absl::StatusOr<c::Outcome> {
    const v1::ComplaintEscalation& in = request.escalation();
    c::Escalation escalation{in.to_supervisor(), in.to_queue(), in.reason()};
    if (auto s = c::Validate(escalation); !s.ok()) return s;
    if (!in.to_queue().empty()) {
      if (auto s = CheckResourceName(in.to_queue(), "queues", "escalation.to_queue"); !s.ok()) return s;
      if (routing_->FindQueue(in.to_queue()) == nullptr) {
        return absl::NotFoundError(absl::StrCat("escalation.to_queue: '", in.to_queue(), "' is not defined"));
      }
    }
    auto outcome = workflow_->Escalate(loaded.state, escalation, now);
    if (!outcome.ok()) return outcome;
    v1::Complaint& complaint = *loaded.row.mutable_complaint();
    v1::ComplaintEscalation* out = complaint.add_escalations();
    *out = in;
    *out->mutable_record_time() = Stamp(now);
    out->set_agent(actor.principal);
    out->set_reopen(false);
    if (!in.to_queue().empty()) {
      complaint.set_escalated_to_queue(in.to_queue());
      complaint.clear_owner();  // the queue's agents take it from here (the next to act owns it)
    }
    return outcome;
  });
}

absl::StatusOr<v1::Complaint> ComplaintDesk::FollowUp(const v1::RecordFollowUpRequest& request, const Actor& actor) {
  return Run(request.complaint(), actor, c::Action::kRecordFollowUp,
             [&](Loaded& loaded, absl::Time now) -> absl::StatusOr<c::Outcome> {
               const v1::FollowUpAttempt& in = request.result();
               c::FollowUpResult result;
               result.reached = in.reached();
               if (in.has_satisfaction()) result.satisfaction = in.satisfaction();
               result.comment = in.comment();
               if (in.has_solved()) result.solved = in.solved();
               auto outcome = workflow_->RecordFollowUp(loaded.state, result, now);
               if (!outcome.ok()) return RenameField(outcome.status(), "follow_up.", "result.");
               v1::FollowUpAttempt* out = loaded.row.mutable_complaint()->add_follow_ups();
               *out = in;
               *out->mutable_record_time() = Stamp(now);
               out->set_agent(actor.principal);
               return outcome;
             });
}

void ComplaintDesk::RunDue() {
  const absl::Time now = clock_->Now();
  // Entries put back for later go in after the loop: one whose time has come again must not
  // spin it.
  std::vector<std::pair<uint64_t, absl::Time>> later;
  while (!schedule_.empty() && schedule_.begin()->first <= now) {
    const uint64_t id = schedule_.begin()->second;
    schedule_.erase(schedule_.begin());
    scheduled_at_.erase(id);
    auto loaded = Load(storage::ComplaintName(id), "complaint");
    if (!loaded.ok()) continue;
    auto pop = customers_->ReadScreenPop(loaded->customer);
    if (!pop.ok()) {
      LogEvent(spdlog::level::err, "complaints.due_not_read", {{"error", std::string(pop.status().message())}});
      later.emplace_back(id, now + absl::Minutes(1));
      continue;
    }
    c::DueReport report = c::TakeDue(loaded->state, now);
    v1::Complaint& complaint = *loaded->row.mutable_complaint();
    const bool redeliver = redeliver_.erase(id) > 0 && loaded->state.step == c::Step::kFollowUp;
    std::vector<std::string> what;
    for (const auto& deadline : report.reached) {
      const std::string text = absl::StrCat(c::DeadlineKindName(deadline.kind), " limit reached (due ",
                                            absl::FormatTime("%Y-%m-%d %H:%M UTC", deadline.at, absl::UTCTimeZone()),
                                            ")");
      Audit(&complaint, now, kSystemPrincipal, "deadline_reached", loaded->state.step, loaded->state.step, text);
      what.push_back(text);
    }
    absl::Time not_before = absl::InfinitePast();
    if (report.follow_up_due || redeliver) {
      if (DeliverFollowUp(*loaded)) {
        const std::string text =
            absl::StrCat("follow-up attempt ", loaded->state.follow_up_attempts + 1, redeliver ? " due again" : " due",
                         complaint.follow_up_contact().empty()
                             ? ""
                             : absl::StrCat(": ", complaint.follow_up_contact(), " for ",
                                            complaint.resolved_by().empty() ? config_.complaints.follow_up_queue
                                                                            : complaint.resolved_by()));
        Audit(&complaint, now, kSystemPrincipal, "follow_up_due", loaded->state.step, loaded->state.step, text);
        what.push_back(text);
      } else {
        // Not routed now (the queue is full, say): tried again in a few minutes.
        loaded->state.follow_up_handed_out = false;
        not_before = now + absl::Minutes(5);
      }
    } else if (!report.reached.empty()) {
      if (auto view = LiveFollowUp(complaint); view && view->state != routing::ContactState::kActive) {
        // Overdue: the follow-up waiting in its queue moves up.
        (void)routing_->router().Reprioritize(*ParseContactName(complaint.follow_up_contact(), "contact"),
                                              FollowUpPriority(*loaded));
      }
    }
    if (what.empty()) {
      if (not_before == absl::InfinitePast()) {
        Schedule(id, loaded->state);
      } else if (auto next = c::NextDueAt(loaded->state)) {
        later.emplace_back(id, std::max(*next, not_before));
      }
      continue;
    }
    rocksdb::WriteBatch batch;
    std::vector<v1::Event> events;
    const std::string action = report.follow_up_due || redeliver ? "follow_up_due" : "deadline_reached";
    Stage(&batch, *loaded, *std::move(pop), kSystemPrincipal, action, absl::StrJoin(what, "; "), &events);
    if (auto stored = Write(kSystemPrincipal, &batch, &events); !stored.ok()) {
      LogEvent(spdlog::level::err, "complaints.due_not_persisted",
               {{"complaint", complaint.name()}, {"error", std::string(stored.message())}});
      routing_->StorageFailed(stored);
    }
    if (auto next = c::NextDueAt(loaded->state)) later.emplace_back(id, std::max(*next, not_before));
  }
  for (const auto& [id, at] : later) {
    if (auto it = scheduled_at_.find(id); it != scheduled_at_.end()) schedule_.erase({it->second, id});
    schedule_.insert({at, id});
    scheduled_at_[id] = at;
  }
  ArmTimer();
}

void ComplaintDesk::BeforeCommit(const std::vector<routing::RoutingEvent>& events, rocksdb::WriteBatch* batch,
                                 std::vector<v1::Event>* more_events) {
  if (own_commit_) return;
  for (const auto& event : events) {
    if (const auto* queued = std::get_if<routing::ContactQueued>(&event)) {
      OnFollowUpMoved(queued->contact, batch, more_events);
      continue;
    }
    const auto* left = std::get_if<routing::ContactLeft>(&event);
    if (left == nullptr || !left->answered) continue;
    auto view = routing_->router().GetContact(left->contact);
    if (!view.ok() || !absl::StartsWith(view->reference, "complaints/")) continue;
    auto loaded = Load(view->reference, "reference");
    if (!loaded.ok()) continue;
    v1::Complaint& complaint = *loaded->row.mutable_complaint();
    if (complaint.follow_up_contact() != ContactName(left->contact)) continue;
    auto pop = customers_->ReadScreenPop(loaded->customer);
    if (!pop.ok()) {
      LogEvent(spdlog::level::err, "complaints.follow_up_not_staged",
               {{"complaint", complaint.name()}, {"error", std::string(pop.status().message())}});
      continue;
    }
    complaint.set_owner(view->agent);
    const std::string text = absl::StrCat("follow-up taken by ", view->agent);
    Audit(&complaint, clock_->Now(), view->agent, "follow_up_taken", loaded->state.step, loaded->state.step, text);
    Stage(batch, *loaded, *std::move(pop), view->agent, "follow_up_taken", text, more_events);
  }
}

// A follow-up task handed on by its agent (AgentService.Transfer): the complaint follows the
// new contact, so that it is ended, withdrawn or taken like the first.
void ComplaintDesk::OnFollowUpMoved(uint64_t contact, rocksdb::WriteBatch* batch, std::vector<v1::Event>* events) {
  auto spec = routing_->router().WaitingRecord(contact);
  if (!spec.ok() || !absl::StartsWith(spec->reference, "complaints/")) return;
  auto loaded = Load(spec->reference, "reference");
  if (!loaded.ok()) return;
  v1::Complaint& complaint = *loaded->row.mutable_complaint();
  if (complaint.follow_up_contact() == ContactName(contact) || loaded->state.step != c::Step::kFollowUp) return;
  auto pop = customers_->ReadScreenPop(loaded->customer);
  if (!pop.ok()) return;
  complaint.set_follow_up_contact(ContactName(contact));
  const std::string text = absl::StrCat("follow-up transferred to ",
                                        spec->preferred_agent.empty() ? spec->queue : spec->preferred_agent);
  Audit(&complaint, clock_->Now(), kSystemPrincipal, "follow_up_transferred", loaded->state.step, loaded->state.step,
        text);
  Stage(batch, *loaded, *std::move(pop), kSystemPrincipal, "follow_up_transferred", text, events);
}

absl::StatusOr<v1::Complaint> ComplaintDesk::Get(const std::string& name) const {
  auto loaded = Load(name, "name");
  if (!loaded.ok()) return loaded.status();
  v1::Complaint complaint = loaded->row.complaint();
  Present(&complaint, loaded->state);
  return complaint;
}

absl::StatusOr<v1::ListComplaintsResponse> ComplaintDesk::List(const v1::ListComplaintsRequest& request) const {
  auto listing = ParseRecordListing(kPageKind, request.customer(), request.page_size(), request.page_token());
  if (!listing.ok()) return listing.status();
  if (!v1::ComplaintStep_IsValid(request.step())) {
    return absl::InvalidArgumentError(absl::StrCat("step: unknown value ", request.step()));
  }
  if (!v1::ComplaintSeverity_IsValid(request.severity())) {
    return absl::InvalidArgumentError(absl::StrCat("severity: unknown value ", request.severity()));
  }
  const absl::Time now = clock_->Now();
  auto keep = [&](const v1::ComplaintRow& row) {
    const v1::Complaint& complaint = row.complaint();
    if (request.step() != v1::COMPLAINT_STEP_UNSPECIFIED && complaint.step() != request.step()) return false;
    if (request.open_only() && complaint.step() == v1::COMPLAINT_STEP_CLOSED) return false;
    if (!request.owner().empty() && complaint.owner() != request.owner()) return false;
    if (!request.category().empty() && complaint.details().category() != request.category()) return false;
    if (request.severity() != v1::COMPLAINT_SEVERITY_UNSPECIFIED && complaint.details().severity() != request.severity()) {
      return false;
    }
    if (request.overdue() && c::Overdue(StateFromRow(row.state()), now).empty()) return false;
    return true;
  };
  auto page = store_.List(listing->customer_id, listing->after, keep, listing->page_size);
  if (!page.ok()) return page.status();
  v1::ListComplaintsResponse response;
  for (auto& complaint : page->complaints) {
    auto id = ParseComplaintName(complaint.name(), "name");
    if (id.ok()) {
      if (auto row = store_.GetComplaint(*id); row.ok()) Present(&complaint, StateFromRow(row->state()));
    }
    *response.add_complaints() = std::move(complaint);
  }
  if (page->last) {
    response.set_next_page_token(RecordPageToken(kPageKind, request.customer(), *page->last));
  }
  return response;
}

absl::StatusOr<v1::ComplaintFigures> ComplaintDesk::Figures() const {
  const absl::Time now = clock_->Now();
  int64_t by_step[6] = {}, overdue[6] = {};
  std::vector<double> step_seconds[6];
  v1::ComplaintFigures figures;
  int64_t resolved = 0, reopened = 0, satisfaction_total = 0;
  auto scanned = store_.ForEach([&](const v1::ComplaintRow& row) {
    const v1::Complaint& complaint = row.complaint();
    const int step = std::clamp(static_cast<int>(complaint.step()), 0, 5);
    ++by_step[step];
    if (!c::Overdue(StateFromRow(row.state()), now).empty()) ++overdue[step];
    // Time in each step, from the audit trail (its entries are the complaint's events).
    absl::Time entered = FromTimestamp(complaint.open_time());
    for (const auto& entry : complaint.audit()) {
      if (entry.from() == entry.to()) continue;
      const absl::Time at = FromTimestamp(entry.time());
      step_seconds[std::clamp(static_cast<int>(entry.from()), 0, 5)].push_back(absl::ToDoubleSeconds(at - entered));
      entered = at;
    }
    if (complaint.proposals_size() > 0) {
      figures.set_first_proposals(figures.first_proposals() + 1);
      if (complaint.proposals(0).accepted()) figures.set_first_proposals_accepted(figures.first_proposals_accepted() + 1);
    }
    if (std::any_of(complaint.proposals().begin(), complaint.proposals().end(),
                    [](const v1::ResolutionProposal& p) { return p.accepted(); })) {
      ++resolved;  // reached follow-up at least once: what a reopen is counted against
    }
    if (complaint.reopen_count() > 0) ++reopened;
    bool reached = false;
    for (const auto& attempt : complaint.follow_ups()) {
      if (!attempt.reached() || !attempt.has_satisfaction()) continue;
      reached = true;
      satisfaction_total += attempt.satisfaction();
      figures.set_satisfaction_samples(figures.satisfaction_samples() + 1);
    }
    if (reached) figures.set_followed_up(figures.followed_up() + 1);
  });
  if (!scanned.ok()) return scanned;
  for (int step = 1; step <= 5; ++step) {
    auto* count = figures.add_by_step();
    count->set_step(static_cast<v1::ComplaintStep>(step));
    count->set_count(by_step[step]);
    count->set_overdue(overdue[step]);
    if (step == 5) continue;
    auto& samples = step_seconds[step];
    auto* time = figures.add_median_time_in_step();
    time->set_step(static_cast<v1::ComplaintStep>(step));
    time->set_samples(static_cast<int64_t>(samples.size()));
    if (!samples.empty()) {
      std::sort(samples.begin(), samples.end());
      const std::size_t n = samples.size();
      const double median = n % 2 == 1 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
      *time->mutable_median() = ToDuration(absl::Seconds(median));
    }
  }
  figures.set_reopened(reopened);
  if (figures.first_proposals() > 0) {
    figures.set_first_proposal_acceptance_rate(static_cast<double>(figures.first_proposals_accepted()) /
                                               static_cast<double>(figures.first_proposals()));
  }
  if (resolved > 0) figures.set_reopen_rate(static_cast<double>(reopened) / static_cast<double>(resolved));
  if (figures.satisfaction_samples() > 0) {
    figures.set_average_satisfaction(static_cast<double>(satisfaction_total) /
                                     static_cast<double>(figures.satisfaction_samples()));
  }
  return figures;
}

}  // namespace servicedesk::server
