#include "services/complaints/complaint_workflow.h"

#include <algorithm>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace servicedesk::complaints {
namespace {

bool IsKnown(Step step) { return static_cast<int>(step) < kStepCount; }  // uint8_t: >= 0
bool IsKnown(Action action) { return static_cast<int>(action) < kActionCount; }

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

bool Blank(absl::string_view text) { return absl::StripAsciiWhitespace(text).empty(); }

// A text field: required (not blank) or optional, and at most `max_bytes`.
absl::Status CheckText(absl::string_view field, absl::string_view text, bool required,
                       size_t max_bytes) {
  if (required && Blank(text)) return Invalid(field, "required");
  if (text.size() > max_bytes) {
    return Invalid(field, absl::StrCat("at most ", max_bytes, " bytes, got ", text.size()));
  }
  return absl::OkStatus();
}

// Quoted for a message: user text may hold anything, the message stays one readable line.
std::string Quote(absl::string_view text) {
  constexpr size_t kShown = 60;
  std::string quoted = absl::StrCat("'", absl::CHexEscape(text.substr(0, kShown)));
  if (text.size() > kShown) absl::StrAppend(&quoted, "...");
  return absl::StrCat(quoted, "'");
}

bool IsCurrencyCode(absl::string_view code) {
  return code.size() == 3 &&
         std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// "12.50 EUR".
std::string FormatAmount(int64_t cents, absl::string_view currency) {
  return absl::StrFormat("%d.%02d %s", cents / 100, cents % 100, currency);
}

std::string FormatInstant(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

// "1st", "2nd", "3rd", "4th", ... for the history lines.
std::string Ordinal(int n) {
  const int last_two = n % 100;
  const char* suffix = "th";
  if (last_two < 11 || last_two > 13) {
    switch (n % 10) {
      case 1:
        suffix = "st";
        break;
      case 2:
        suffix = "nd";
        break;
      case 3:
        suffix = "rd";
        break;
      default:
        break;
    }
  }
  return absl::StrCat(n, suffix);
}

// The deadlines of a state, at most one per kind.
void SetDeadline(ComplaintState& state, DeadlineKind kind, absl::Time at) {
  for (Deadline& d : state.deadlines) {
    if (d.kind == kind) {
      d = {kind, at, false};
      return;
    }
  }
  state.deadlines.push_back({kind, at, false});
}

void RemoveDeadline(ComplaintState& state, DeadlineKind kind) {
  std::erase_if(state.deadlines, [kind](const Deadline& d) { return d.kind == kind; });
}

// Every step change goes through here, so that the start and the step agree.
void EnterStep(ComplaintState& state, Step step, absl::Time now) {
  state.step = step;
  state.step_started_at = now;
}

// Nothing is pending after the end: no deadline, no follow-up attempt.
void Close(ComplaintState& state, Closure closure, absl::Time now) {
  EnterStep(state, Step::kClosed, now);
  state.closure = closure;
  state.follow_up_due = absl::InfiniteFuture();
  state.follow_up_handed_out = false;
  state.deadlines.clear();
}

Outcome StartOutcome(const ComplaintState& state, Action action) {
  Outcome outcome;
  outcome.action = action;
  outcome.from = state.step;
  return outcome;
}

}  // namespace

const char* StepName(Step step) {
  switch (step) {
    case Step::kVenting:
      return "venting";
    case Step::kRecording:
      return "recording";
    case Step::kResolution:
      return "resolution";
    case Step::kFollowUp:
      return "follow_up";
    case Step::kClosed:
      return "closed";
  }
  return "unknown";
}

const char* MoodName(Mood mood) {
  switch (mood) {
    case Mood::kCalm:
      return "calm";
    case Mood::kUpset:
      return "upset";
    case Mood::kAngry:
      return "angry";
    case Mood::kDistressed:
      return "distressed";
  }
  return "unknown";
}

const char* SolutionKindName(SolutionKind kind) {
  switch (kind) {
    case SolutionKind::kRefund:
      return "refund";
    case SolutionKind::kReplacement:
      return "replacement";
    case SolutionKind::kRepair:
      return "repair";
    case SolutionKind::kCompensation:
      return "compensation";
    case SolutionKind::kApology:
      return "apology";
    case SolutionKind::kExplanation:
      return "explanation";
    case SolutionKind::kOther:
      return "other";
  }
  return "unknown";
}

const char* ActionName(Action action) {
  switch (action) {
    case Action::kVent:
      return "vent";
    case Action::kRecord:
      return "record";
    case Action::kPropose:
      return "propose";
    case Action::kEscalate:
      return "escalate";
    case Action::kRecordFollowUp:
      return "record_follow_up";
  }
  return "unknown";
}

const char* ClosureName(Closure closure) {
  switch (closure) {
    case Closure::kSatisfied:
      return "satisfied";
    case Closure::kUnreachable:
      return "unreachable";
  }
  return "unknown";
}

Step StepOfAction(Action action) {
  switch (action) {
    case Action::kVent:
      return Step::kVenting;
    case Action::kRecord:
      return Step::kRecording;
    case Action::kPropose:
    case Action::kEscalate:
      return Step::kResolution;
    case Action::kRecordFollowUp:
      return Step::kFollowUp;
  }
  // Outside the enum: no step takes it (Check rejects it as an unknown action first).
  return Step::kClosed;
}

bool IsActionAllowed(Step step, Action action) {
  return IsKnown(step) && IsKnown(action) && step != Step::kClosed && StepOfAction(action) == step;
}

absl::Status Check(const ComplaintState& state, Action action) {
  if (!IsKnown(action)) {
    return Invalid("action", absl::StrCat("unknown value ", static_cast<int>(action)));
  }
  if (!IsKnown(state.step)) {
    return Invalid("complaint.step", absl::StrCat("unknown value ", static_cast<int>(state.step)));
  }
  if (state.step == Step::kClosed) return absl::FailedPreconditionError("complaint is closed");
  const Step needed = StepOfAction(action);
  if (needed == state.step) return absl::OkStatus();
  // Steps go in order, so an action's step is either behind the complaint or ahead of it.
  if (static_cast<int>(needed) < static_cast<int>(state.step)) {
    return absl::FailedPreconditionError(absl::StrCat("complaint is in the ", StepName(state.step),
                                                      " step; ", StepName(needed),
                                                      " is done, cannot ", ActionName(action)));
  }
  return absl::FailedPreconditionError(absl::StrCat("complaint is in the ", StepName(state.step),
                                                    " step; cannot ", ActionName(action),
                                                    " before the ", StepName(needed), " step"));
}

absl::Status Validate(const VentingData& data) {
  if (!data.duration.has_value()) return Invalid("venting.duration", "required");
  if (*data.duration < absl::ZeroDuration()) {
    return Invalid("venting.duration", absl::StrCat("must not be negative, got ",
                                                    absl::FormatDuration(*data.duration)));
  }
  if (*data.duration > kMaxVentingDuration) {
    return Invalid("venting.duration",
                   absl::StrCat("at most ", absl::FormatDuration(kMaxVentingDuration), ", got ",
                                absl::FormatDuration(*data.duration)));
  }
  if (!data.mood.has_value()) return Invalid("venting.mood", "required");
  if (static_cast<int>(*data.mood) >= kMoodCount) {
    return Invalid("venting.mood", absl::StrCat("unknown value ", static_cast<int>(*data.mood)));
  }
  if (absl::Status s = CheckText("venting.notes", data.notes, true, kMaxNotesBytes); !s.ok()) {
    return s;
  }
  return CheckText("venting.requested_remedy", data.requested_remedy, false, kMaxNotesBytes);
}

absl::Status Validate(const RecordingData& data, absl::Span<const std::string> categories) {
  if (Blank(data.category)) return Invalid("recording.category", "required");
  if (std::find(categories.begin(), categories.end(), data.category) == categories.end()) {
    return Invalid("recording.category",
                   absl::StrCat(Quote(data.category), " is not one of the configured categories"));
  }
  if (absl::Status s = CheckText("recording.product", data.product, true, kMaxShortTextBytes);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          CheckText("recording.description", data.description, true, kMaxDescriptionBytes);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckText("recording.expectation", data.expectation, true, kMaxNotesBytes);
      !s.ok()) {
    return s;
  }
  if (!data.severity.has_value()) return Invalid("recording.severity", "required");
  if (static_cast<int>(*data.severity) >= kSeverityCount) {
    return Invalid("recording.severity",
                   absl::StrCat("unknown value ", static_cast<int>(*data.severity)));
  }
  return absl::OkStatus();
}

absl::Status Validate(const Proposal& proposal) {
  if (!proposal.kind.has_value()) return Invalid("proposal.kind", "required");
  if (static_cast<int>(*proposal.kind) >= kSolutionKindCount) {
    return Invalid("proposal.kind",
                   absl::StrCat("unknown value ", static_cast<int>(*proposal.kind)));
  }
  const SolutionKind kind = *proposal.kind;
  const char* kind_name = SolutionKindName(kind);
  // Money changes hands in a refund or a compensation, never in an apology or an
  // explanation; a replacement, a repair or something else may come with a cost or a
  // voucher, or not.
  const bool amount_required = kind == SolutionKind::kRefund || kind == SolutionKind::kCompensation;
  const bool amount_refused = kind == SolutionKind::kApology || kind == SolutionKind::kExplanation;
  if (proposal.amount_cents.has_value()) {
    const int64_t amount = *proposal.amount_cents;
    if (amount_refused) {
      return Invalid("proposal.amount_cents",
                     absl::StrCat("not allowed when the kind is ", kind_name));
    }
    if (amount < 0) {
      return Invalid("proposal.amount_cents", absl::StrCat("must not be negative, got ", amount));
    }
    if (amount == 0 && amount_required) {
      return Invalid("proposal.amount_cents",
                     absl::StrCat("must be positive when the kind is ", kind_name, ", got 0"));
    }
    if (amount > kMaxAmountCents) {
      return Invalid("proposal.amount_cents",
                     absl::StrCat("at most ", kMaxAmountCents, ", got ", amount));
    }
    if (proposal.currency.empty()) return Invalid("proposal.currency", "required with an amount");
    if (!IsCurrencyCode(proposal.currency)) {
      return Invalid("proposal.currency",
                     absl::StrCat("must be an ISO 4217 code of three capital letters, got ",
                                  Quote(proposal.currency)));
    }
  } else {
    if (amount_required) {
      return Invalid("proposal.amount_cents",
                     absl::StrCat("required when the kind is ", kind_name));
    }
    if (!proposal.currency.empty()) return Invalid("proposal.currency", "only with an amount");
  }
  return CheckText("proposal.description", proposal.description, kind == SolutionKind::kOther,
                   kMaxNotesBytes);
}

absl::Status Validate(const Escalation& escalation) {
  if (escalation.to_supervisor && !escalation.to_queue.empty()) {
    return Invalid("escalation.to_queue", "not with to_supervisor (escalate to one of them)");
  }
  if (!escalation.to_supervisor && Blank(escalation.to_queue)) {
    return Invalid("escalation.to_queue", "required unless to_supervisor");
  }
  if (absl::Status s =
          CheckText("escalation.to_queue", escalation.to_queue, false, kMaxShortTextBytes);
      !s.ok()) {
    return s;
  }
  return CheckText("escalation.reason", escalation.reason, true, kMaxNotesBytes);
}

absl::Status Validate(const FollowUpResult& result) {
  if (result.reached) {
    if (!result.satisfaction.has_value()) {
      return Invalid("follow_up.satisfaction", "required when the customer was reached");
    }
    if (*result.satisfaction < 1 || *result.satisfaction > 5) {
      return Invalid("follow_up.satisfaction",
                     absl::StrCat("must be 1 to 5, got ", *result.satisfaction));
    }
    if (!result.solved.has_value()) {
      return Invalid("follow_up.solved", "required when the customer was reached");
    }
  } else {
    // Nobody answered: a satisfaction or a verdict would be made up.
    if (result.satisfaction.has_value()) {
      return Invalid("follow_up.satisfaction", "only when the customer was reached");
    }
    if (result.solved.has_value()) {
      return Invalid("follow_up.solved", "only when the customer was reached");
    }
  }
  return CheckText("follow_up.comment", result.comment, false, kMaxNotesBytes);
}

absl::Status WorkflowConfig::Validate() const {
  if (categories.empty()) return Invalid("categories", "at least one is required");
  std::set<absl::string_view> seen;
  for (size_t i = 0; i < categories.size(); ++i) {
    const std::string field = absl::StrCat("categories[", i, "]");
    if (absl::Status s = CheckText(field, categories[i], true, kMaxShortTextBytes); !s.ok()) {
      return s;
    }
    if (!seen.insert(categories[i]).second) {
      return Invalid(field, absl::StrCat(Quote(categories[i]), " is listed twice"));
    }
  }
  if (satisfied_threshold < 1 || satisfied_threshold > 5) {
    return Invalid("satisfied_threshold",
                   absl::StrCat("must be 1 to 5, got ", satisfied_threshold));
  }
  return limits.Validate();
}

absl::StatusOr<Workflow> Workflow::Create(WorkflowConfig config) {
  if (absl::Status s = config.Validate(); !s.ok()) return s;
  return Workflow(std::move(config));
}

absl::StatusOr<ComplaintState> Workflow::Open(CustomerTier tier, absl::Time now) const {
  if (static_cast<int>(tier) >= kCustomerTierCount) {
    return Invalid("tier", absl::StrCat("unknown value ", static_cast<int>(tier)));
  }
  ComplaintState state;
  state.tier = tier;
  state.opened_at = now;
  EnterStep(state, Step::kVenting, now);
  // The severity is not known yet: the recording limit comes from a rule without one.
  SetDeadline(state, DeadlineKind::kRecording,
              now + config_.limits.Select(std::nullopt, tier).recording);
  if (config_.limits.regulatory.has_value()) {
    SetDeadline(state, DeadlineKind::kAcknowledgement,
                now + config_.limits.regulatory->acknowledgement);
  }
  return state;
}

absl::StatusOr<Outcome> Workflow::Vent(ComplaintState& state, const VentingData& data,
                                       absl::Time now) const {
  if (absl::Status s = Check(state, Action::kVent); !s.ok()) return s;
  if (absl::Status s = Validate(data); !s.ok()) return s;
  now = std::max(now, state.step_started_at);
  Outcome outcome = StartOutcome(state, Action::kVent);
  // The recording deadline runs from opening: venting is part of getting it recorded.
  EnterStep(state, Step::kRecording, now);
  outcome.to = state.step;
  outcome.summary = absl::StrCat("customer heard out for ", absl::FormatDuration(*data.duration),
                                 ", mood ", MoodName(*data.mood), ": recording is next");
  return outcome;
}

absl::StatusOr<Outcome> Workflow::Record(ComplaintState& state, const RecordingData& data,
                                         absl::Time now) const {
  if (absl::Status s = Check(state, Action::kRecord); !s.ok()) return s;
  if (absl::Status s = Validate(data, config_.categories); !s.ok()) return s;
  now = std::max(now, state.step_started_at);
  Outcome outcome = StartOutcome(state, Action::kRecord);
  state.severity = data.severity;
  state.regulated = data.regulated;
  EnterStep(state, Step::kResolution, now);
  // Recorded: the recording limit is met, and so is the acknowledgement (it says what was
  // recorded). The severity is known now and picks the resolution limit.
  RemoveDeadline(state, DeadlineKind::kRecording);
  RemoveDeadline(state, DeadlineKind::kAcknowledgement);
  SetDeadline(state, DeadlineKind::kResolution,
              now + config_.limits.Select(state.severity, state.tier).resolution);
  const bool regulatory = data.regulated && config_.limits.regulatory.has_value();
  if (regulatory) {
    // Counted from opening, whenever the complaint is found to be regulated.
    SetDeadline(state, DeadlineKind::kHoldingReply,
                state.opened_at + config_.limits.regulatory->holding_reply);
    SetDeadline(state, DeadlineKind::kFinalResponse,
                state.opened_at + config_.limits.regulatory->final_response);
  }
  outcome.to = state.step;
  outcome.summary =
      absl::StrCat("recorded: ", data.category, ", severity ", SeverityName(*data.severity),
                   regulatory ? ", regulated" : "", ": resolution is next");
  return outcome;
}

absl::StatusOr<Outcome> Workflow::Propose(ComplaintState& state, const Proposal& proposal,
                                          absl::Time now) const {
  if (absl::Status s = Check(state, Action::kPropose); !s.ok()) return s;
  if (absl::Status s = Validate(proposal); !s.ok()) return s;
  now = std::max(now, state.step_started_at);
  Outcome outcome = StartOutcome(state, Action::kPropose);
  ++state.proposals_in_loop;
  std::string what = SolutionKindName(*proposal.kind);
  if (proposal.amount_cents.has_value()) {
    absl::StrAppend(&what, " of ", FormatAmount(*proposal.amount_cents, proposal.currency));
  }
  const std::string nth = Ordinal(state.proposals_in_loop);
  if (!proposal.accepted) {
    outcome.to = state.step;
    outcome.summary = absl::StrCat(what, " proposed (", nth,
                                   " proposal) and refused: still in resolution, for another "
                                   "proposal or an escalation");
    return outcome;
  }
  const ComplaintLimits& limits = config_.limits.Select(state.severity, state.tier);
  EnterStep(state, Step::kFollowUp, now);
  state.follow_up_attempts = 0;
  state.follow_up_due = now + limits.follow_up_delay;
  state.follow_up_handed_out = false;
  // Accepted: the resolution limit is met, and the accepted proposal is the final response.
  RemoveDeadline(state, DeadlineKind::kResolution);
  RemoveDeadline(state, DeadlineKind::kHoldingReply);
  RemoveDeadline(state, DeadlineKind::kFinalResponse);
  SetDeadline(state, DeadlineKind::kFollowUp, now + limits.follow_up);
  outcome.to = state.step;
  outcome.follow_up_scheduled = state.follow_up_due;
  outcome.summary =
      absl::StrCat(what, " proposed (", nth, " proposal) and accepted: follow-up due at ",
                   FormatInstant(state.follow_up_due));
  return outcome;
}

absl::StatusOr<Outcome> Workflow::Escalate(ComplaintState& state, const Escalation& escalation,
                                           absl::Time /*now*/) const {
  if (absl::Status s = Check(state, Action::kEscalate); !s.ok()) return s;
  if (absl::Status s = Validate(escalation); !s.ok()) return s;
  Outcome outcome = StartOutcome(state, Action::kEscalate);
  // The step and its deadline stay: escalating does not buy time. (`now` is in the
  // signature for symmetry with the other actions; nothing here depends on it.)
  state.escalated = true;
  outcome.to = state.step;
  outcome.escalated = true;
  outcome.summary = absl::StrCat(
      "escalated to ",
      escalation.to_supervisor ? "a supervisor" : absl::StrCat("queue ", escalation.to_queue),
      ": still in resolution");
  return outcome;
}

absl::StatusOr<Outcome> Workflow::RecordFollowUp(ComplaintState& state,
                                                 const FollowUpResult& result,
                                                 absl::Time now) const {
  if (absl::Status s = Check(state, Action::kRecordFollowUp); !s.ok()) return s;
  if (absl::Status s = Validate(result); !s.ok()) return s;
  now = std::max(now, state.step_started_at);
  Outcome outcome = StartOutcome(state, Action::kRecordFollowUp);
  const ComplaintLimits& limits = config_.limits.Select(state.severity, state.tier);
  ++state.follow_up_attempts;
  const int attempt = state.follow_up_attempts;

  if (!result.reached) {
    const std::string tried =
        absl::StrCat("follow-up attempt ", attempt, " of ", limits.max_follow_up_attempts,
                     " did not reach the customer");
    if (attempt >= limits.max_follow_up_attempts) {
      // The customer accepted the solution and has not come back: no sign that it failed,
      // so the complaint ends rather than reopening; the closure says it was never checked.
      Close(state, Closure::kUnreachable, now);
      outcome.to = state.step;
      outcome.closed = Closure::kUnreachable;
      outcome.summary = absl::StrCat(tried, ": closed as unreachable");
      return outcome;
    }
    state.follow_up_due = now + limits.retry_delay;
    state.follow_up_handed_out = false;
    outcome.to = state.step;
    outcome.follow_up_scheduled = state.follow_up_due;
    outcome.summary =
        absl::StrCat(tried, ": next attempt due at ", FormatInstant(state.follow_up_due));
    return outcome;
  }

  const int satisfaction = *result.satisfaction;
  const bool solved = *result.solved;
  const std::string heard = absl::StrCat("follow-up reached the customer: satisfaction ",
                                         satisfaction, ", ", solved ? "solved" : "not solved");
  if (solved && satisfaction >= config_.satisfied_threshold) {
    Close(state, Closure::kSatisfied, now);
    outcome.to = state.step;
    outcome.closed = Closure::kSatisfied;
    outcome.summary = absl::StrCat(heard, ": closed as satisfied");
    return outcome;
  }
  // Unsatisfied, or not really solved: back to resolution, escalated, with a fresh
  // resolution limit (the severity and tier of the complaint pick it again).
  EnterStep(state, Step::kResolution, now);
  ++state.reopen_count;
  state.proposals_in_loop = 0;
  state.escalated = true;
  state.follow_up_attempts = 0;
  state.follow_up_due = absl::InfiniteFuture();
  state.follow_up_handed_out = false;
  RemoveDeadline(state, DeadlineKind::kFollowUp);
  SetDeadline(state, DeadlineKind::kResolution,
              now + config_.limits.Select(state.severity, state.tier).resolution);
  outcome.to = state.step;
  outcome.reopened = true;
  outcome.escalated = true;
  outcome.summary = absl::StrCat(heard, ": reopened (", Ordinal(state.reopen_count),
                                 " time), back to resolution, escalated");
  return outcome;
}

}  // namespace servicedesk::complaints
