#include "services/complaints/complaint_workflow.h"

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "services/complaints/complaint_limits.h"

namespace servicedesk::complaints {
namespace {

constexpr Step kAllSteps[] = {Step::kVenting, Step::kRecording, Step::kResolution, Step::kFollowUp,
                              Step::kClosed};
constexpr Action kAllActions[] = {Action::kVent, Action::kRecord, Action::kPropose,
                                  Action::kEscalate, Action::kRecordFollowUp};

// The allowed (step, action) pairs as the issue describes them, written out independently of
// the code: a change to StepOfAction must change this list too.
const std::set<std::pair<Step, Action>>& ExpectedAllowed() {
  static const auto* const kExpected = new std::set<std::pair<Step, Action>>{
      {Step::kVenting, Action::kVent},
      {Step::kRecording, Action::kRecord},
      {Step::kResolution, Action::kPropose},
      {Step::kResolution, Action::kEscalate},
      {Step::kFollowUp, Action::kRecordFollowUp},
  };
  return *kExpected;
}

absl::Time Utc(int month, int day, int hour, int minute = 0) {
  return absl::FromCivil(absl::CivilSecond(2024, month, day, hour, minute, 0), absl::UTCTimeZone());
}

constexpr absl::Duration kDay = absl::Hours(24);

WorkflowConfig Config() {
  WorkflowConfig config;
  config.categories = {"billing", "delivery", "product_quality"};
  return config;
}

Workflow MakeWorkflow(WorkflowConfig config = Config()) {
  absl::StatusOr<Workflow> workflow = Workflow::Create(std::move(config));
  EXPECT_TRUE(workflow.ok()) << workflow.status();
  return *std::move(workflow);
}

VentingData GoodVenting() {
  VentingData data;
  data.duration = absl::Minutes(12);
  data.mood = Mood::kAngry;
  data.notes = "Third late delivery this month; wants it to stop.";
  data.requested_remedy = "refund of the delivery fee";
  return data;
}

RecordingData GoodRecording(Severity severity = Severity::kMedium, bool regulated = false) {
  RecordingData data;
  data.category = "delivery";
  data.product = "Express delivery";
  data.description = "The parcel came three days late, again.";
  data.expectation = "Delivery fee refunded";
  data.severity = severity;
  data.regulated = regulated;
  return data;
}

Proposal Refund(bool accepted, int64_t cents = 1250) {
  Proposal proposal;
  proposal.kind = SolutionKind::kRefund;
  proposal.amount_cents = cents;
  proposal.currency = "EUR";
  proposal.accepted = accepted;
  return proposal;
}

Escalation ToSupervisor() {
  Escalation escalation;
  escalation.to_supervisor = true;
  escalation.reason = "customer refuses every refund offered";
  return escalation;
}

FollowUpResult Reached(int satisfaction, bool solved) {
  FollowUpResult result;
  result.reached = true;
  result.satisfaction = satisfaction;
  result.solved = solved;
  result.comment = "spoke to the customer";
  return result;
}

FollowUpResult NotReached() {
  FollowUpResult result;
  result.comment = "voicemail";
  return result;
}

// A complaint opened at 2024-03-04 09:00 and driven to `step` with valid data, one hour per
// action.
ComplaintState StateIn(const Workflow& workflow, Step step) {
  absl::Time t = Utc(3, 4, 9);
  absl::StatusOr<ComplaintState> opened = workflow.Open(CustomerTier::kOrdinary, t);
  EXPECT_TRUE(opened.ok()) << opened.status();
  ComplaintState state = *opened;
  if (step == Step::kVenting) return state;
  EXPECT_TRUE(workflow.Vent(state, GoodVenting(), t += absl::Hours(1)).ok());
  if (step == Step::kRecording) return state;
  EXPECT_TRUE(workflow.Record(state, GoodRecording(), t += absl::Hours(1)).ok());
  if (step == Step::kResolution) return state;
  EXPECT_TRUE(workflow.Propose(state, Refund(true), t += absl::Hours(1)).ok());
  if (step == Step::kFollowUp) return state;
  EXPECT_TRUE(workflow.RecordFollowUp(state, Reached(5, true), t += 3 * kDay).ok());
  EXPECT_EQ(state.step, Step::kClosed);
  return state;
}

// Runs `action` with valid data for it.
absl::StatusOr<Outcome> Apply(const Workflow& workflow, ComplaintState& state, Action action,
                              absl::Time now) {
  switch (action) {
    case Action::kVent:
      return workflow.Vent(state, GoodVenting(), now);
    case Action::kRecord:
      return workflow.Record(state, GoodRecording(), now);
    case Action::kPropose:
      return workflow.Propose(state, Refund(false), now);
    case Action::kEscalate:
      return workflow.Escalate(state, ToSupervisor(), now);
    case Action::kRecordFollowUp:
      return workflow.RecordFollowUp(state, NotReached(), now);
  }
  return absl::InternalError("unreachable");
}

// ---- Names ----

TEST(ComplaintNamesTest, AllNames) {
  EXPECT_STREQ(StepName(Step::kVenting), "venting");
  EXPECT_STREQ(StepName(Step::kRecording), "recording");
  EXPECT_STREQ(StepName(Step::kResolution), "resolution");
  EXPECT_STREQ(StepName(Step::kFollowUp), "follow_up");
  EXPECT_STREQ(StepName(Step::kClosed), "closed");
  EXPECT_STREQ(StepName(static_cast<Step>(9)), "unknown");
  EXPECT_STREQ(MoodName(Mood::kCalm), "calm");
  EXPECT_STREQ(MoodName(Mood::kUpset), "upset");
  EXPECT_STREQ(MoodName(Mood::kAngry), "angry");
  EXPECT_STREQ(MoodName(Mood::kDistressed), "distressed");
  EXPECT_STREQ(SolutionKindName(SolutionKind::kRefund), "refund");
  EXPECT_STREQ(SolutionKindName(SolutionKind::kReplacement), "replacement");
  EXPECT_STREQ(SolutionKindName(SolutionKind::kRepair), "repair");
  EXPECT_STREQ(SolutionKindName(SolutionKind::kCompensation), "compensation");
  EXPECT_STREQ(SolutionKindName(SolutionKind::kApology), "apology");
  EXPECT_STREQ(SolutionKindName(SolutionKind::kExplanation), "explanation");
  EXPECT_STREQ(SolutionKindName(SolutionKind::kOther), "other");
  EXPECT_STREQ(ActionName(Action::kVent), "vent");
  EXPECT_STREQ(ActionName(Action::kRecord), "record");
  EXPECT_STREQ(ActionName(Action::kPropose), "propose");
  EXPECT_STREQ(ActionName(Action::kEscalate), "escalate");
  EXPECT_STREQ(ActionName(Action::kRecordFollowUp), "record_follow_up");
  EXPECT_STREQ(ActionName(static_cast<Action>(9)), "unknown");
  EXPECT_STREQ(ClosureName(Closure::kSatisfied), "satisfied");
  EXPECT_STREQ(ClosureName(Closure::kUnreachable), "unreachable");
  EXPECT_STREQ(SeverityName(Severity::kCritical), "critical");
}

// ---- The state machine, exhaustively: every step x every action ----

TEST(ComplaintCheckTest, EveryStepTimesEveryAction) {
  int allowed = 0;
  int forbidden = 0;
  for (Step step : kAllSteps) {
    ComplaintState state;
    state.step = step;
    for (Action action : kAllActions) {
      const std::string context = absl::StrCat(StepName(step), " x ", ActionName(action));
      const absl::Status status = Check(state, action);
      const bool expected = ExpectedAllowed().contains({step, action});
      EXPECT_EQ(IsActionAllowed(step, action), expected) << context;
      if (expected) {
        ++allowed;
        EXPECT_TRUE(status.ok()) << context << ": " << status;
        EXPECT_EQ(StepOfAction(action), step) << context;
        continue;
      }
      ++forbidden;
      EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << context;
      const std::string message(status.message());
      if (step == Step::kClosed) {
        EXPECT_EQ(message, "complaint is closed") << context;
      } else {
        EXPECT_TRUE(absl::StartsWith(
            message, absl::StrCat("complaint is in the ", StepName(step), " step; ")))
            << context << ": " << message;
        EXPECT_TRUE(absl::StrContains(message, absl::StrCat("cannot ", ActionName(action))))
            << context << ": " << message;
      }
    }
  }
  EXPECT_EQ(allowed, 5);
  EXPECT_EQ(forbidden, 20);
}

TEST(ComplaintCheckTest, MessagesSayWhetherTheStepIsDoneOrNotReached) {
  ComplaintState state;
  state.step = Step::kRecording;
  EXPECT_EQ(Check(state, Action::kVent).message(),
            "complaint is in the recording step; venting is done, cannot vent");
  EXPECT_EQ(Check(state, Action::kRecordFollowUp).message(),
            "complaint is in the recording step; cannot record_follow_up before the follow_up "
            "step");
  state.step = Step::kVenting;
  EXPECT_EQ(Check(state, Action::kPropose).message(),
            "complaint is in the venting step; cannot propose before the resolution step");
  state.step = Step::kFollowUp;
  EXPECT_EQ(Check(state, Action::kEscalate).message(),
            "complaint is in the follow_up step; resolution is done, cannot escalate");
  state.step = Step::kResolution;
  EXPECT_EQ(Check(state, Action::kRecord).message(),
            "complaint is in the resolution step; recording is done, cannot record");
}

TEST(ComplaintCheckTest, UnknownValuesAreInvalidArguments) {
  ComplaintState state;
  const absl::Status bad_action = Check(state, static_cast<Action>(9));
  EXPECT_EQ(bad_action.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_action.message(), "action: unknown value 9");
  state.step = static_cast<Step>(7);
  const absl::Status bad_step = Check(state, Action::kVent);
  EXPECT_EQ(bad_step.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_step.message(), "complaint.step: unknown value 7");
  EXPECT_FALSE(IsActionAllowed(static_cast<Step>(7), Action::kVent));
  EXPECT_FALSE(IsActionAllowed(Step::kVenting, static_cast<Action>(9)));
}

// The same table through the workflow itself, with real states and valid data: an allowed
// action works and starts from its step; any other is FAILED_PRECONDITION and changes
// nothing.
TEST(ComplaintWorkflowTest, EveryStepTimesEveryActionThroughTheWorkflow) {
  const Workflow workflow = MakeWorkflow();
  for (Step step : kAllSteps) {
    for (Action action : kAllActions) {
      const std::string context = absl::StrCat(StepName(step), " x ", ActionName(action));
      ComplaintState state = StateIn(workflow, step);
      ASSERT_EQ(state.step, step) << context;
      const ComplaintState before = state;
      const absl::StatusOr<Outcome> outcome = Apply(workflow, state, action, Utc(4, 1, 12));
      if (ExpectedAllowed().contains({step, action})) {
        ASSERT_TRUE(outcome.ok()) << context << ": " << outcome.status();
        EXPECT_EQ(outcome->action, action) << context;
        EXPECT_EQ(outcome->from, step) << context;
        EXPECT_EQ(outcome->to, state.step) << context;
        EXPECT_FALSE(outcome->summary.empty()) << context;
      } else {
        EXPECT_EQ(outcome.status().code(), absl::StatusCode::kFailedPrecondition) << context;
        EXPECT_EQ(outcome.status(), Check(before, action)) << context;
        EXPECT_EQ(state, before) << context << ": the state changed";
      }
    }
  }
}

// Where each allowed action leads, with the data that decides it.
TEST(ComplaintWorkflowTest, EachAllowedActionLeadsToItsStep) {
  const Workflow workflow = MakeWorkflow();
  const absl::Time now = Utc(4, 1, 12);
  struct Case {
    Step from;
    std::function<absl::StatusOr<Outcome>(ComplaintState&)> act;
    Step to;
  };
  const Case cases[] = {
      {Step::kVenting, [&](ComplaintState& s) { return workflow.Vent(s, GoodVenting(), now); },
       Step::kRecording},
      {Step::kRecording,
       [&](ComplaintState& s) { return workflow.Record(s, GoodRecording(), now); },
       Step::kResolution},
      {Step::kResolution,
       [&](ComplaintState& s) { return workflow.Propose(s, Refund(false), now); },
       Step::kResolution},
      {Step::kResolution, [&](ComplaintState& s) { return workflow.Propose(s, Refund(true), now); },
       Step::kFollowUp},
      {Step::kResolution,
       [&](ComplaintState& s) { return workflow.Escalate(s, ToSupervisor(), now); },
       Step::kResolution},
      {Step::kFollowUp,
       [&](ComplaintState& s) { return workflow.RecordFollowUp(s, NotReached(), now); },
       Step::kFollowUp},
      {Step::kFollowUp,
       [&](ComplaintState& s) { return workflow.RecordFollowUp(s, Reached(5, true), now); },
       Step::kClosed},
      {Step::kFollowUp,
       [&](ComplaintState& s) { return workflow.RecordFollowUp(s, Reached(2, true), now); },
       Step::kResolution},
  };
  for (const Case& c : cases) {
    ComplaintState state = StateIn(workflow, c.from);
    const absl::StatusOr<Outcome> outcome = c.act(state);
    ASSERT_TRUE(outcome.ok()) << outcome.status();
    EXPECT_EQ(state.step, c.to) << StepName(c.from);
    EXPECT_EQ(outcome->to, c.to);
  }
}

TEST(ComplaintWorkflowTest, StepIsCheckedBeforeTheData) {
  const Workflow workflow = MakeWorkflow();
  ComplaintState state = StateIn(workflow, Step::kClosed);
  const absl::StatusOr<Outcome> outcome =
      workflow.RecordFollowUp(state, Reached(9, true), Utc(5, 1, 9));
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(outcome.status().message(), "complaint is closed");
}

// ---- Opening ----

TEST(ComplaintWorkflowTest, OpenStartsInVenting) {
  const Workflow workflow = MakeWorkflow();
  const absl::StatusOr<ComplaintState> state =
      workflow.Open(CustomerTier::kKeyImportant, Utc(3, 4, 9));
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->step, Step::kVenting);
  EXPECT_EQ(state->tier, CustomerTier::kKeyImportant);
  EXPECT_EQ(state->opened_at, Utc(3, 4, 9));
  EXPECT_EQ(state->step_started_at, Utc(3, 4, 9));
  EXPECT_FALSE(state->severity.has_value());
  EXPECT_FALSE(state->closure.has_value());
  EXPECT_EQ(state->reopen_count, 0);
  EXPECT_FALSE(state->escalated);
  EXPECT_EQ(state->follow_up_due, absl::InfiniteFuture());
  EXPECT_TRUE(Check(*state, Action::kVent).ok());
}

TEST(ComplaintWorkflowTest, OpenRejectsAnUnknownTier) {
  const Workflow workflow = MakeWorkflow();
  const absl::StatusOr<ComplaintState> state =
      workflow.Open(static_cast<CustomerTier>(9), Utc(3, 4, 9));
  EXPECT_EQ(state.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(state.status().message(), "tier: unknown value 9");
}

// ---- Validation: each error names its field ----

struct ValidationCase {
  std::string name;
  std::function<absl::Status()> validate;
  std::string message;  // exact
};

void ExpectAll(const std::vector<ValidationCase>& cases) {
  for (const ValidationCase& c : cases) {
    const absl::Status status = c.validate();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.name << ": " << status;
    EXPECT_EQ(status.message(), c.message) << c.name;
  }
}

template <typename T>
std::function<absl::Status()> With(T data, std::function<void(T&)> change) {
  change(data);
  return [data] { return Validate(data); };
}

TEST(ComplaintValidationTest, GoodDataPasses) {
  const WorkflowConfig config = Config();
  EXPECT_TRUE(Validate(GoodVenting()).ok());
  EXPECT_TRUE(Validate(GoodRecording(), config.categories).ok());
  EXPECT_TRUE(Validate(Refund(true)).ok());
  EXPECT_TRUE(Validate(ToSupervisor()).ok());
  EXPECT_TRUE(Validate(Reached(3, false)).ok());
  EXPECT_TRUE(Validate(NotReached()).ok());
}

TEST(ComplaintValidationTest, Venting) {
  using V = VentingData;
  ExpectAll({
      {"duration missing", With<V>(GoodVenting(), [](V& d) { d.duration.reset(); }),
       "venting.duration: required"},
      {"duration negative", With<V>(GoodVenting(), [](V& d) { d.duration = absl::Seconds(-1); }),
       "venting.duration: must not be negative, got -1s"},
      {"duration too long", With<V>(GoodVenting(), [](V& d) { d.duration = absl::Hours(5); }),
       "venting.duration: at most 4h, got 5h"},
      {"mood missing", With<V>(GoodVenting(), [](V& d) { d.mood.reset(); }),
       "venting.mood: required"},
      {"mood unknown", With<V>(GoodVenting(), [](V& d) { d.mood = static_cast<Mood>(8); }),
       "venting.mood: unknown value 8"},
      {"notes missing", With<V>(GoodVenting(), [](V& d) { d.notes = " \t\n"; }),
       "venting.notes: required"},
      {"notes too long", With<V>(GoodVenting(), [](V& d) { d.notes = std::string(2001, 'n'); }),
       "venting.notes: at most 2000 bytes, got 2001"},
      {"remedy too long",
       With<V>(GoodVenting(), [](V& d) { d.requested_remedy = std::string(2001, 'r'); }),
       "venting.requested_remedy: at most 2000 bytes, got 2001"},
  });
  // The limits themselves are allowed; the remedy is optional.
  VentingData edge = GoodVenting();
  edge.duration = absl::Hours(4);
  edge.notes = std::string(2000, 'n');
  edge.requested_remedy.clear();
  EXPECT_TRUE(Validate(edge).ok());
  edge.duration = absl::ZeroDuration();
  EXPECT_TRUE(Validate(edge).ok());
}

TEST(ComplaintValidationTest, Recording) {
  const std::vector<std::string> categories = Config().categories;
  const auto with = [&](std::function<void(RecordingData&)> change) {
    RecordingData data = GoodRecording();
    change(data);
    return std::function<absl::Status()>([data, categories] { return Validate(data, categories); });
  };
  using R = RecordingData;
  ExpectAll({
      {"category missing", with([](R& d) { d.category = ""; }), "recording.category: required"},
      {"category unknown", with([](R& d) { d.category = "x"; }),
       "recording.category: 'x' is not one of the configured categories"},
      {"category differs in case", with([](R& d) { d.category = "Billing"; }),
       "recording.category: 'Billing' is not one of the configured categories"},
      {"category quoted safely", with([](R& d) { d.category = "a'\nb"; }),
       "recording.category: 'a\\'\\nb' is not one of the configured categories"},
      {"product missing", with([](R& d) { d.product = " "; }), "recording.product: required"},
      {"product too long", with([](R& d) { d.product = std::string(201, 'p'); }),
       "recording.product: at most 200 bytes, got 201"},
      {"description missing", with([](R& d) { d.description.clear(); }),
       "recording.description: required"},
      {"description too long", with([](R& d) { d.description = std::string(10001, 'd'); }),
       "recording.description: at most 10000 bytes, got 10001"},
      {"expectation missing", with([](R& d) { d.expectation.clear(); }),
       "recording.expectation: required"},
      {"expectation too long", with([](R& d) { d.expectation = std::string(2001, 'e'); }),
       "recording.expectation: at most 2000 bytes, got 2001"},
      {"severity missing", with([](R& d) { d.severity.reset(); }), "recording.severity: required"},
      {"severity unknown", with([](R& d) { d.severity = static_cast<Severity>(4); }),
       "recording.severity: unknown value 4"},
  });
  RecordingData edge = GoodRecording();
  edge.description = std::string(10000, 'd');
  EXPECT_TRUE(Validate(edge, categories).ok());
  EXPECT_FALSE(Validate(GoodRecording(), {}).ok()) << "no category is configured";
}

TEST(ComplaintValidationTest, Proposal) {
  using P = Proposal;
  const auto kind = [](SolutionKind k) {
    return [k](P& p) {
      p.kind = k;
      p.amount_cents.reset();
      p.currency.clear();
    };
  };
  ExpectAll({
      {"kind missing", With<P>(Refund(true), [](P& p) { p.kind.reset(); }),
       "proposal.kind: required"},
      {"kind unknown", With<P>(Refund(true), [](P& p) { p.kind = static_cast<SolutionKind>(7); }),
       "proposal.kind: unknown value 7"},
      {"refund without amount", With<P>(Refund(true), kind(SolutionKind::kRefund)),
       "proposal.amount_cents: required when the kind is refund"},
      {"compensation without amount", With<P>(Refund(true), kind(SolutionKind::kCompensation)),
       "proposal.amount_cents: required when the kind is compensation"},
      {"refund of zero", With<P>(Refund(true), [](P& p) { p.amount_cents = 0; }),
       "proposal.amount_cents: must be positive when the kind is refund, got 0"},
      {"negative amount", With<P>(Refund(true), [](P& p) { p.amount_cents = -5; }),
       "proposal.amount_cents: must not be negative, got -5"},
      {"amount over the cap",
       With<P>(Refund(true), [](P& p) { p.amount_cents = kMaxAmountCents + 1; }),
       "proposal.amount_cents: at most 100000000, got 100000001"},
      {"apology with an amount",
       With<P>(Refund(true), [](P& p) { p.kind = SolutionKind::kApology; }),
       "proposal.amount_cents: not allowed when the kind is apology"},
      {"explanation with an amount",
       With<P>(Refund(true), [](P& p) { p.kind = SolutionKind::kExplanation; }),
       "proposal.amount_cents: not allowed when the kind is explanation"},
      {"amount without currency", With<P>(Refund(true), [](P& p) { p.currency.clear(); }),
       "proposal.currency: required with an amount"},
      {"currency malformed", With<P>(Refund(true), [](P& p) { p.currency = "eur"; }),
       "proposal.currency: must be an ISO 4217 code of three capital letters, got 'eur'"},
      {"currency without amount",
       With<P>(Refund(true),
               [](P& p) {
                 p.kind = SolutionKind::kApology;
                 p.amount_cents.reset();
               }),
       "proposal.currency: only with an amount"},
      {"other without description", With<P>(Refund(true), kind(SolutionKind::kOther)),
       "proposal.description: required"},
      {"description too long",
       With<P>(Refund(true), [](P& p) { p.description = std::string(2001, 'x'); }),
       "proposal.description: at most 2000 bytes, got 2001"},
  });
  // Optional amounts: a repair may come with a voucher, or not; zero is fine there.
  Proposal repair;
  repair.kind = SolutionKind::kRepair;
  EXPECT_TRUE(Validate(repair).ok());
  repair.amount_cents = 0;
  repair.currency = "CNY";
  EXPECT_TRUE(Validate(repair).ok());
  Proposal apology;
  apology.kind = SolutionKind::kApology;
  EXPECT_TRUE(Validate(apology).ok());
  Proposal most = Refund(true, kMaxAmountCents);
  EXPECT_TRUE(Validate(most).ok());
}

TEST(ComplaintValidationTest, Escalation) {
  using E = Escalation;
  ExpectAll({
      {"no target", With<E>(ToSupervisor(), [](E& e) { e.to_supervisor = false; }),
       "escalation.to_queue: required unless to_supervisor"},
      {"two targets", With<E>(ToSupervisor(), [](E& e) { e.to_queue = "queues/vip"; }),
       "escalation.to_queue: not with to_supervisor (escalate to one of them)"},
      {"queue too long",
       With<E>(ToSupervisor(),
               [](E& e) {
                 e.to_supervisor = false;
                 e.to_queue = std::string(201, 'q');
               }),
       "escalation.to_queue: at most 200 bytes, got 201"},
      {"reason missing", With<E>(ToSupervisor(), [](E& e) { e.reason.clear(); }),
       "escalation.reason: required"},
      {"reason too long", With<E>(ToSupervisor(), [](E& e) { e.reason = std::string(2001, 'r'); }),
       "escalation.reason: at most 2000 bytes, got 2001"},
  });
  Escalation to_queue;
  to_queue.to_queue = "queues/complaints-l2";
  to_queue.reason = "needs a specialist";
  EXPECT_TRUE(Validate(to_queue).ok());
}

TEST(ComplaintValidationTest, FollowUp) {
  using F = FollowUpResult;
  ExpectAll({
      {"satisfaction 7", With<F>(Reached(5, true), [](F& r) { r.satisfaction = 7; }),
       "follow_up.satisfaction: must be 1 to 5, got 7"},
      {"satisfaction 0", With<F>(Reached(5, true), [](F& r) { r.satisfaction = 0; }),
       "follow_up.satisfaction: must be 1 to 5, got 0"},
      {"satisfaction missing", With<F>(Reached(5, true), [](F& r) { r.satisfaction.reset(); }),
       "follow_up.satisfaction: required when the customer was reached"},
      {"solved missing", With<F>(Reached(5, true), [](F& r) { r.solved.reset(); }),
       "follow_up.solved: required when the customer was reached"},
      {"satisfaction without reaching", With<F>(NotReached(), [](F& r) { r.satisfaction = 3; }),
       "follow_up.satisfaction: only when the customer was reached"},
      {"solved without reaching", With<F>(NotReached(), [](F& r) { r.solved = true; }),
       "follow_up.solved: only when the customer was reached"},
      {"comment too long", With<F>(NotReached(), [](F& r) { r.comment = std::string(2001, 'c'); }),
       "follow_up.comment: at most 2000 bytes, got 2001"},
  });
  for (int satisfaction = 1; satisfaction <= 5; ++satisfaction) {
    EXPECT_TRUE(Validate(Reached(satisfaction, true)).ok()) << satisfaction;
  }
}

// Bad data: a clear error from the action itself, and nothing changed.
TEST(ComplaintWorkflowTest, BadDataChangesNothing) {
  const Workflow workflow = MakeWorkflow();
  const absl::Time now = Utc(4, 1, 12);
  {
    ComplaintState state = StateIn(workflow, Step::kVenting);
    const ComplaintState before = state;
    VentingData data = GoodVenting();
    data.mood.reset();
    EXPECT_EQ(workflow.Vent(state, data, now).status().message(), "venting.mood: required");
    EXPECT_EQ(state, before);
  }
  {
    ComplaintState state = StateIn(workflow, Step::kRecording);
    const ComplaintState before = state;
    RecordingData data = GoodRecording();
    data.category = "x";
    EXPECT_EQ(workflow.Record(state, data, now).status().message(),
              "recording.category: 'x' is not one of the configured categories");
    EXPECT_EQ(state, before);
  }
  {
    ComplaintState state = StateIn(workflow, Step::kResolution);
    const ComplaintState before = state;
    EXPECT_EQ(workflow.Propose(state, Refund(true, -1), now).status().code(),
              absl::StatusCode::kInvalidArgument);
    Escalation nowhere = ToSupervisor();
    nowhere.to_supervisor = false;
    EXPECT_EQ(workflow.Escalate(state, nowhere, now).status().code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(state, before);
  }
  {
    ComplaintState state = StateIn(workflow, Step::kFollowUp);
    const ComplaintState before = state;
    EXPECT_EQ(workflow.RecordFollowUp(state, Reached(7, true), now).status().message(),
              "follow_up.satisfaction: must be 1 to 5, got 7");
    EXPECT_EQ(state, before);
  }
}

// ---- Resolution ----

TEST(ComplaintWorkflowTest, RefusedProposalsAndEscalationsStayInResolution) {
  const Workflow workflow = MakeWorkflow();
  ComplaintState state = StateIn(workflow, Step::kResolution);
  const std::optional<absl::Time> deadline = StepDeadline(state);

  absl::StatusOr<Outcome> first = workflow.Propose(state, Refund(false, 500), Utc(3, 5, 9));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->to, Step::kResolution);
  EXPECT_FALSE(first->follow_up_scheduled.has_value());
  EXPECT_EQ(state.proposals_in_loop, 1);
  EXPECT_EQ(first->summary,
            "refund of 5.00 EUR proposed (1st proposal) and refused: still in resolution, for "
            "another proposal or an escalation");

  absl::StatusOr<Outcome> second = workflow.Propose(state, Refund(false, 1999), Utc(3, 5, 10));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(state.proposals_in_loop, 2);
  EXPECT_TRUE(absl::StartsWith(second->summary, "refund of 19.99 EUR proposed (2nd proposal)"))
      << second->summary;

  absl::StatusOr<Outcome> escalated = workflow.Escalate(state, ToSupervisor(), Utc(3, 5, 11));
  ASSERT_TRUE(escalated.ok());
  EXPECT_TRUE(escalated->escalated);
  EXPECT_EQ(escalated->to, Step::kResolution);
  EXPECT_EQ(escalated->summary, "escalated to a supervisor: still in resolution");
  EXPECT_TRUE(state.escalated);

  // Escalating again, to a queue, is allowed; the step deadline never moves.
  Escalation to_queue;
  to_queue.to_queue = "queues/complaints-l2";
  to_queue.reason = "supervisor hands it to the specialists";
  absl::StatusOr<Outcome> again = workflow.Escalate(state, to_queue, Utc(3, 5, 12));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->summary, "escalated to queue queues/complaints-l2: still in resolution");
  EXPECT_EQ(state.step, Step::kResolution);
  EXPECT_EQ(StepDeadline(state), deadline);
}

TEST(ComplaintWorkflowTest, EscalationBeforeAnyProposalIsAllowed) {
  const Workflow workflow = MakeWorkflow();
  ComplaintState state = StateIn(workflow, Step::kResolution);
  EXPECT_TRUE(workflow.Escalate(state, ToSupervisor(), Utc(3, 4, 12)).ok());
  EXPECT_EQ(state.proposals_in_loop, 0);
}

// ---- Follow-up scheduling, in manual time ----

TEST(ComplaintFollowUpTest, AcceptedProposalSchedulesTheFollowUp) {
  const Workflow workflow = MakeWorkflow();
  ComplaintState state = StateIn(workflow, Step::kResolution);
  const absl::Time accepted_at = Utc(3, 5, 14, 30);
  absl::StatusOr<Outcome> outcome = workflow.Propose(state, Refund(true), accepted_at);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->from, Step::kResolution);
  EXPECT_EQ(outcome->to, Step::kFollowUp);
  EXPECT_EQ(state.step, Step::kFollowUp);
  EXPECT_EQ(state.step_started_at, accepted_at);
  // Default delay: 3 days.
  EXPECT_EQ(outcome->follow_up_scheduled, accepted_at + 3 * kDay);
  EXPECT_EQ(state.follow_up_due, Utc(3, 8, 14, 30));
  EXPECT_EQ(state.follow_up_attempts, 0);
  EXPECT_EQ(outcome->summary,
            "refund of 12.50 EUR proposed (1st proposal) and accepted: follow-up due at "
            "2024-03-08T14:30:00Z");
}

TEST(ComplaintFollowUpTest, ConfiguredDelayIsUsed) {
  WorkflowConfig config = Config();
  config.limits.default_limits.follow_up_delay = absl::Hours(36);
  const Workflow workflow = MakeWorkflow(config);
  ComplaintState state = StateIn(workflow, Step::kResolution);
  ASSERT_TRUE(workflow.Propose(state, Refund(true), Utc(3, 5, 12)).ok());
  EXPECT_EQ(state.follow_up_due, Utc(3, 7, 0));
}

TEST(ComplaintFollowUpTest, UnreachedCustomerIsRetriedThenClosedAsUnreachable) {
  const Workflow workflow = MakeWorkflow();
  ComplaintState state = StateIn(workflow, Step::kResolution);
  ASSERT_TRUE(workflow.Propose(state, Refund(true), Utc(3, 5, 9)).ok());
  ASSERT_EQ(state.follow_up_due, Utc(3, 8, 9));

  // Attempt 1 at the due time, 30 minutes later it is recorded as not reached.
  absl::StatusOr<Outcome> first = workflow.RecordFollowUp(state, NotReached(), Utc(3, 8, 9, 30));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->to, Step::kFollowUp);
  EXPECT_EQ(state.follow_up_attempts, 1);
  EXPECT_EQ(first->follow_up_scheduled, Utc(3, 9, 9, 30));  // retry delay: 1 day
  EXPECT_EQ(state.follow_up_due, Utc(3, 9, 9, 30));
  EXPECT_FALSE(first->closed.has_value());
  EXPECT_EQ(first->summary,
            "follow-up attempt 1 of 3 did not reach the customer: next attempt due at "
            "2024-03-09T09:30:00Z");

  absl::StatusOr<Outcome> second = workflow.RecordFollowUp(state, NotReached(), Utc(3, 9, 10));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(state.follow_up_attempts, 2);
  EXPECT_EQ(state.follow_up_due, Utc(3, 10, 10));

  absl::StatusOr<Outcome> third = workflow.RecordFollowUp(state, NotReached(), Utc(3, 10, 11));
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->to, Step::kClosed);
  EXPECT_EQ(third->closed, Closure::kUnreachable);
  EXPECT_FALSE(third->follow_up_scheduled.has_value());
  EXPECT_FALSE(third->reopened);
  EXPECT_EQ(third->summary,
            "follow-up attempt 3 of 3 did not reach the customer: closed as unreachable");
  EXPECT_EQ(state.step, Step::kClosed);
  EXPECT_EQ(state.closure, Closure::kUnreachable);
  EXPECT_EQ(state.follow_up_due, absl::InfiniteFuture());
  EXPECT_TRUE(state.deadlines.empty());
  EXPECT_EQ(state.reopen_count, 0);
  EXPECT_EQ(Check(state, Action::kRecordFollowUp).message(), "complaint is closed");
}

TEST(ComplaintFollowUpTest, MaxAttemptsIsConfigurable) {
  WorkflowConfig config = Config();
  config.limits.default_limits.max_follow_up_attempts = 1;
  config.limits.default_limits.retry_delay = absl::Hours(4);
  const Workflow workflow = MakeWorkflow(config);
  ComplaintState state = StateIn(workflow, Step::kFollowUp);
  absl::StatusOr<Outcome> only = workflow.RecordFollowUp(state, NotReached(), Utc(3, 8, 9));
  ASSERT_TRUE(only.ok());
  EXPECT_EQ(only->closed, Closure::kUnreachable);
  EXPECT_EQ(only->summary,
            "follow-up attempt 1 of 1 did not reach the customer: closed as unreachable");
}

TEST(ComplaintFollowUpTest, ReachedOnARetryCountsTheAttempts) {
  const Workflow workflow = MakeWorkflow();
  ComplaintState state = StateIn(workflow, Step::kFollowUp);
  ASSERT_TRUE(workflow.RecordFollowUp(state, NotReached(), Utc(3, 8, 9)).ok());
  absl::StatusOr<Outcome> reached = workflow.RecordFollowUp(state, Reached(4, true), Utc(3, 9, 9));
  ASSERT_TRUE(reached.ok());
  EXPECT_EQ(state.follow_up_attempts, 2);
  EXPECT_EQ(reached->closed, Closure::kSatisfied);
}

TEST(ComplaintFollowUpTest, SatisfiedAndSolvedCloses) {
  const Workflow workflow = MakeWorkflow();
  for (int satisfaction : {4, 5}) {
    ComplaintState state = StateIn(workflow, Step::kFollowUp);
    absl::StatusOr<Outcome> outcome =
        workflow.RecordFollowUp(state, Reached(satisfaction, true), Utc(3, 8, 9));
    ASSERT_TRUE(outcome.ok()) << outcome.status();
    EXPECT_EQ(outcome->to, Step::kClosed) << satisfaction;
    EXPECT_EQ(outcome->closed, Closure::kSatisfied);
    EXPECT_FALSE(outcome->reopened);
    EXPECT_EQ(state.closure, Closure::kSatisfied);
    EXPECT_TRUE(state.deadlines.empty());
    EXPECT_EQ(outcome->summary, absl::StrCat("follow-up reached the customer: satisfaction ",
                                             satisfaction, ", solved: closed as satisfied"));
  }
}

TEST(ComplaintFollowUpTest, UnsatisfiedOrNotSolvedReopensEscalated) {
  const Workflow workflow = MakeWorkflow();
  const std::pair<int, bool> cases[] = {{3, true}, {1, true}, {5, false}, {4, false}};
  for (const auto& [satisfaction, solved] : cases) {
    ComplaintState state = StateIn(workflow, Step::kFollowUp);
    const absl::Time now = Utc(3, 8, 9);
    absl::StatusOr<Outcome> outcome =
        workflow.RecordFollowUp(state, Reached(satisfaction, solved), now);
    ASSERT_TRUE(outcome.ok()) << outcome.status();
    const std::string context = absl::StrCat(satisfaction, solved ? " solved" : " not solved");
    EXPECT_EQ(outcome->from, Step::kFollowUp) << context;
    EXPECT_EQ(outcome->to, Step::kResolution) << context;
    EXPECT_TRUE(outcome->reopened) << context;
    EXPECT_TRUE(outcome->escalated) << context;
    EXPECT_FALSE(outcome->closed.has_value()) << context;
    EXPECT_EQ(state.step, Step::kResolution);
    EXPECT_EQ(state.reopen_count, 1);
    EXPECT_TRUE(state.escalated);
    EXPECT_EQ(state.proposals_in_loop, 0);
    EXPECT_EQ(state.follow_up_attempts, 0);
    EXPECT_EQ(state.follow_up_due, absl::InfiniteFuture());
    EXPECT_EQ(state.step_started_at, now);
    // A fresh resolution limit (default 5 days) from the reopen.
    EXPECT_EQ(StepDeadline(state), now + 5 * kDay);
  }
}

TEST(ComplaintFollowUpTest, SatisfiedThresholdIsConfigurable) {
  WorkflowConfig config = Config();
  config.satisfied_threshold = 3;
  const Workflow workflow = MakeWorkflow(config);
  ComplaintState state = StateIn(workflow, Step::kFollowUp);
  ASSERT_TRUE(workflow.RecordFollowUp(state, Reached(3, true), Utc(3, 8, 9)).ok());
  EXPECT_EQ(state.closure, Closure::kSatisfied);
  ComplaintState other = StateIn(workflow, Step::kFollowUp);
  ASSERT_TRUE(workflow.RecordFollowUp(other, Reached(2, true), Utc(3, 8, 9)).ok());
  EXPECT_EQ(other.step, Step::kResolution);
}

TEST(ComplaintFollowUpTest, ResultMayComeBeforeTheAttemptIsDue) {
  const Workflow workflow = MakeWorkflow();
  ComplaintState state = StateIn(workflow, Step::kFollowUp);
  ASSERT_GT(state.follow_up_due, Utc(3, 5, 9));
  // The customer calls in the next morning to say all is well.
  EXPECT_TRUE(workflow.RecordFollowUp(state, Reached(5, true), Utc(3, 5, 9)).ok());
  EXPECT_EQ(state.closure, Closure::kSatisfied);
}

// The history shows the loop: resolution -> follow-up -> resolution -> follow-up -> closed.
TEST(ComplaintFollowUpTest, TheLoopCanRunMoreThanOnce) {
  const Workflow workflow = MakeWorkflow();
  ComplaintState state = StateIn(workflow, Step::kFollowUp);
  std::vector<std::string> history;
  const auto run = [&](absl::StatusOr<Outcome> outcome) {
    ASSERT_TRUE(outcome.ok()) << outcome.status();
    history.push_back(absl::StrCat(StepName(outcome->from), " -> ", StepName(outcome->to)));
  };
  run(workflow.RecordFollowUp(state, Reached(2, false), Utc(3, 8, 9)));
  run(workflow.Propose(state, Refund(false), Utc(3, 8, 10)));
  run(workflow.Propose(state, Refund(true, 5000), Utc(3, 8, 11)));
  EXPECT_EQ(state.proposals_in_loop, 2);
  EXPECT_EQ(state.follow_up_due, Utc(3, 11, 11));
  run(workflow.RecordFollowUp(state, Reached(3, true), Utc(3, 11, 12)));
  EXPECT_EQ(state.reopen_count, 2);
  run(workflow.Propose(state, Refund(true, 9000), Utc(3, 11, 13)));
  run(workflow.RecordFollowUp(state, Reached(5, true), Utc(3, 14, 13)));
  EXPECT_EQ(history,
            (std::vector<std::string>{"follow_up -> resolution", "resolution -> resolution",
                                      "resolution -> follow_up", "follow_up -> resolution",
                                      "resolution -> follow_up", "follow_up -> closed"}));
  EXPECT_EQ(state.closure, Closure::kSatisfied);
  EXPECT_EQ(state.reopen_count, 2);
}

TEST(ComplaintWorkflowTest, StepStartsAndSummariesAlongTheWay) {
  const Workflow workflow = MakeWorkflow();
  absl::StatusOr<ComplaintState> opened = workflow.Open(CustomerTier::kOrdinary, Utc(3, 4, 9));
  ASSERT_TRUE(opened.ok());
  ComplaintState state = *opened;
  absl::StatusOr<Outcome> vented = workflow.Vent(state, GoodVenting(), Utc(3, 4, 9, 12));
  ASSERT_TRUE(vented.ok());
  EXPECT_EQ(vented->summary, "customer heard out for 12m, mood angry: recording is next");
  EXPECT_EQ(state.step_started_at, Utc(3, 4, 9, 12));
  absl::StatusOr<Outcome> recorded =
      workflow.Record(state, GoodRecording(Severity::kHigh), Utc(3, 4, 9, 30));
  ASSERT_TRUE(recorded.ok());
  EXPECT_EQ(recorded->summary, "recorded: delivery, severity high: resolution is next");
  EXPECT_EQ(state.severity, Severity::kHigh);
  EXPECT_FALSE(state.regulated);
  EXPECT_EQ(state.step_started_at, Utc(3, 4, 9, 30));
}

TEST(ComplaintWorkflowTest, TimeNeverRunsBackWithinAComplaint) {
  const Workflow workflow = MakeWorkflow();
  ComplaintState state = StateIn(workflow, Step::kResolution);
  const absl::Time started = state.step_started_at;
  // A `now` from a machine whose clock is behind: counts as the step's start.
  ASSERT_TRUE(workflow.Propose(state, Refund(true), started - absl::Hours(2)).ok());
  EXPECT_EQ(state.step_started_at, started);
  EXPECT_EQ(state.follow_up_due, started + 3 * kDay);
}

// ---- Configuration ----

TEST(WorkflowConfigTest, BadConfigurationNamesTheField) {
  const auto expect = [](WorkflowConfig config, const std::string& message) {
    const absl::StatusOr<Workflow> workflow = Workflow::Create(std::move(config));
    EXPECT_EQ(workflow.status().code(), absl::StatusCode::kInvalidArgument) << message;
    EXPECT_EQ(workflow.status().message(), message);
  };
  WorkflowConfig config = Config();
  config.categories.clear();
  expect(config, "categories: at least one is required");
  config = Config();
  config.categories.push_back(" ");
  expect(config, "categories[3]: required");
  config = Config();
  config.categories.push_back("billing");
  expect(config, "categories[3]: 'billing' is listed twice");
  config = Config();
  config.categories.push_back(std::string(201, 'c'));
  expect(config, "categories[3]: at most 200 bytes, got 201");
  config = Config();
  config.satisfied_threshold = 0;
  expect(config, "satisfied_threshold: must be 1 to 5, got 0");
  config.satisfied_threshold = 6;
  expect(config, "satisfied_threshold: must be 1 to 5, got 6");
  config = Config();
  config.limits.default_limits.recording = absl::ZeroDuration();
  expect(config, "limits.default.recording: must be positive, got 0");
}

}  // namespace
}  // namespace servicedesk::complaints
