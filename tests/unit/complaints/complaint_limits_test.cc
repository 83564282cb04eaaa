#include "services/complaints/complaint_limits.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "services/complaints/complaint_workflow.h"

namespace servicedesk::complaints {
namespace {

constexpr absl::Duration kDay = absl::Hours(24);
constexpr absl::Duration kWeek = absl::Hours(7 * 24);

absl::Time Utc(int month, int day, int hour, int minute = 0) {
  return absl::FromCivil(absl::CivilSecond(2024, month, day, hour, minute, 0), absl::UTCTimeZone());
}

ComplaintLimits Limits(int recording_hours, int resolution_hours) {
  ComplaintLimits limits;
  limits.recording = absl::Hours(recording_hours);
  limits.resolution = absl::Hours(resolution_hours);
  return limits;
}

// Specific rules first.
ComplaintLimitsTable Table() {
  ComplaintLimitsTable table;
  table.rules = {
      {Severity::kCritical, CustomerTier::kKeyImportant, Limits(2, 12)},  // [0]
      {Severity::kCritical, std::nullopt, Limits(4, 24)},                 // [1]
      {std::nullopt, CustomerTier::kKeyImportant, Limits(4, 48)},         // [2]
      {Severity::kLow, std::nullopt, Limits(48, 240)},                    // [3]
  };
  return table;
}

std::string Describe(const std::vector<Deadline>& deadlines) {
  std::string out;
  for (const Deadline& d : deadlines) {
    absl::StrAppend(&out, DeadlineKindName(d.kind), "@",
                    absl::FormatTime("%m-%d %H:%M", d.at, absl::UTCTimeZone()),
                    d.raised ? "(raised) " : " ");
  }
  return out.empty() ? "(none)" : out;
}

WorkflowConfig Config(ComplaintLimitsTable limits = {}) {
  WorkflowConfig config;
  config.categories = {"billing", "delivery"};
  config.limits = std::move(limits);
  return config;
}

Workflow MakeWorkflow(WorkflowConfig config) {
  absl::StatusOr<Workflow> workflow = Workflow::Create(std::move(config));
  EXPECT_TRUE(workflow.ok()) << workflow.status();
  return *std::move(workflow);
}

VentingData Venting() {
  VentingData data;
  data.duration = absl::Minutes(5);
  data.mood = Mood::kUpset;
  data.notes = "heard out";
  return data;
}

RecordingData Recording(Severity severity, bool regulated = false) {
  RecordingData data;
  data.category = "billing";
  data.product = "Mobile plan";
  data.description = "Charged twice for March.";
  data.expectation = "Money back";
  data.severity = severity;
  data.regulated = regulated;
  return data;
}

Proposal Accepted() {
  Proposal proposal;
  proposal.kind = SolutionKind::kApology;
  proposal.accepted = true;
  return proposal;
}

FollowUpResult NotReached() { return FollowUpResult{}; }

// ---- The table ----

TEST(ComplaintLimitsTest, Defaults) {
  const ComplaintLimits limits;
  EXPECT_EQ(limits.recording, kDay);
  EXPECT_EQ(limits.resolution, 5 * kDay);
  EXPECT_EQ(limits.follow_up, 7 * kDay);
  EXPECT_EQ(limits.follow_up_delay, 3 * kDay);
  EXPECT_EQ(limits.retry_delay, kDay);
  EXPECT_EQ(limits.max_follow_up_attempts, 3);
  const RegulatoryProfile profile;
  EXPECT_EQ(profile.acknowledgement, 2 * kDay);
  EXPECT_EQ(profile.holding_reply, 4 * kWeek);
  EXPECT_EQ(profile.final_response, 8 * kWeek);
  EXPECT_TRUE(ComplaintLimitsTable{}.Validate().ok());
}

TEST(ComplaintLimitsTest, NamesOfSeveritiesAndDeadlines) {
  EXPECT_STREQ(SeverityName(Severity::kLow), "low");
  EXPECT_STREQ(SeverityName(Severity::kMedium), "medium");
  EXPECT_STREQ(SeverityName(Severity::kHigh), "high");
  EXPECT_STREQ(SeverityName(Severity::kCritical), "critical");
  EXPECT_STREQ(SeverityName(static_cast<Severity>(9)), "unknown");
  EXPECT_STREQ(DeadlineKindName(DeadlineKind::kRecording), "recording");
  EXPECT_STREQ(DeadlineKindName(DeadlineKind::kResolution), "resolution");
  EXPECT_STREQ(DeadlineKindName(DeadlineKind::kFollowUp), "follow_up");
  EXPECT_STREQ(DeadlineKindName(DeadlineKind::kAcknowledgement), "acknowledgement");
  EXPECT_STREQ(DeadlineKindName(DeadlineKind::kHoldingReply), "holding_reply");
  EXPECT_STREQ(DeadlineKindName(DeadlineKind::kFinalResponse), "final_response");
  EXPECT_STREQ(DeadlineKindName(static_cast<DeadlineKind>(9)), "unknown");
}

TEST(ComplaintLimitsTest, FirstMatchingRuleWins) {
  const ComplaintLimitsTable table = Table();
  ASSERT_TRUE(table.Validate().ok()) << table.Validate();
  // Critical key-important: rule 0, although 1 and 2 match too.
  EXPECT_EQ(table.Select(Severity::kCritical, CustomerTier::kKeyImportant), Limits(2, 12));
  EXPECT_EQ(table.Select(Severity::kCritical, CustomerTier::kSmall), Limits(4, 24));
  EXPECT_EQ(table.Select(Severity::kMedium, CustomerTier::kKeyImportant), Limits(4, 48));
  // Low key-important: rule 2 comes before rule 3.
  EXPECT_EQ(table.Select(Severity::kLow, CustomerTier::kKeyImportant), Limits(4, 48));
  EXPECT_EQ(table.Select(Severity::kLow, CustomerTier::kOrdinary), Limits(48, 240));
  EXPECT_EQ(table.Select(Severity::kHigh, CustomerTier::kOrdinary), ComplaintLimits{});
}

TEST(ComplaintLimitsTest, BeforeRecordingOnlyRulesWithoutSeverityMatch) {
  const ComplaintLimitsTable table = Table();
  EXPECT_EQ(table.Select(std::nullopt, CustomerTier::kKeyImportant), Limits(4, 48));
  EXPECT_EQ(table.Select(std::nullopt, CustomerTier::kOrdinary), ComplaintLimits{});
}

void ExpectInvalid(const ComplaintLimitsTable& table, const std::string& message) {
  const absl::Status status = table.Validate();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(status.message(), message);
}

TEST(ComplaintLimitsTest, ValidateNamesTheField) {
  ComplaintLimitsTable table = Table();
  table.rules[1].limits.resolution = absl::ZeroDuration();
  ExpectInvalid(table, "limits.rules[1].resolution: must be positive, got 0");

  table = Table();
  table.rules[0].limits.follow_up = -absl::Hours(1);
  ExpectInvalid(table, "limits.rules[0].follow_up: must be positive, got -1h");

  table = Table();
  table.default_limits.retry_delay = absl::InfiniteDuration();
  ExpectInvalid(table, "limits.default.retry_delay: must be finite");

  table = Table();
  table.default_limits.follow_up_delay = absl::ZeroDuration();
  ExpectInvalid(table, "limits.default.follow_up_delay: must be positive, got 0");

  table = Table();
  table.default_limits.max_follow_up_attempts = 0;
  ExpectInvalid(table, "limits.default.max_follow_up_attempts: must be 1 to 10, got 0");
  table.default_limits.max_follow_up_attempts = 11;
  ExpectInvalid(table, "limits.default.max_follow_up_attempts: must be 1 to 10, got 11");

  table = Table();
  table.rules[2].severity = static_cast<Severity>(4);
  ExpectInvalid(table, "limits.rules[2].severity: unknown value 4");

  table = Table();
  table.rules[3].tier = static_cast<CustomerTier>(5);
  ExpectInvalid(table, "limits.rules[3].tier: unknown value 5");
}

TEST(ComplaintLimitsTest, ValidateFindsARuleThatIsNeverChosen) {
  ComplaintLimitsTable table = Table();
  // A general rule first: the critical key-important rule after it is dead.
  table.rules.insert(table.rules.begin(),
                     {std::nullopt, CustomerTier::kKeyImportant, Limits(1, 1)});
  table.rules[1] = {Severity::kCritical, CustomerTier::kKeyImportant, Limits(2, 12)};
  ExpectInvalid(table,
                "limits.rules[1]: never chosen, earlier rules match every complaint it matches");

  // A catch-all before anything.
  table = Table();
  table.rules.insert(table.rules.begin(), {std::nullopt, std::nullopt, Limits(1, 1)});
  ExpectInvalid(table,
                "limits.rules[1]: never chosen, earlier rules match every complaint it matches");

  // Split over several rules: every severity for ordinary, one by one, then "any severity"
  // for ordinary still matches complaints not recorded yet, so it is not dead.
  table = ComplaintLimitsTable{};
  for (int s = 0; s < kSeverityCount; ++s) {
    table.rules.push_back({static_cast<Severity>(s), CustomerTier::kOrdinary, Limits(1, 1)});
  }
  table.rules.push_back({std::nullopt, CustomerTier::kOrdinary, Limits(2, 2)});
  EXPECT_TRUE(table.Validate().ok()) << table.Validate();
}

TEST(ComplaintLimitsTest, ValidateTheRegulatoryProfile) {
  ComplaintLimitsTable table = Table();
  table.regulatory = RegulatoryProfile{};
  EXPECT_TRUE(table.Validate().ok());
  table.regulatory->acknowledgement = absl::ZeroDuration();
  ExpectInvalid(table, "limits.regulatory.acknowledgement: must be positive, got 0");
  table.regulatory = RegulatoryProfile{};
  table.regulatory->holding_reply = 9 * kWeek;
  ExpectInvalid(
      table, "limits.regulatory.holding_reply: must be before final_response (1344h), got 1512h");
  table.regulatory = RegulatoryProfile{};
  table.regulatory->acknowledgement = 8 * kWeek;
  ExpectInvalid(
      table, "limits.regulatory.acknowledgement: must be before final_response (1344h), got 1344h");
}

// ---- Deadlines through the workflow, in manual time ----

TEST(ComplaintDeadlinesTest, EachStepGetsItsLimitFromItsStart) {
  const Workflow workflow = MakeWorkflow(Config());
  const absl::Time opened = Utc(3, 4, 9);
  ComplaintState state = *workflow.Open(CustomerTier::kOrdinary, opened);
  // Recording within 1 day of opening, also while venting.
  EXPECT_EQ(StepDeadline(state), opened + kDay);
  ASSERT_TRUE(workflow.Vent(state, Venting(), Utc(3, 4, 10)).ok());
  EXPECT_EQ(StepDeadline(state), opened + kDay);
  // Resolution within 5 days of the recording.
  ASSERT_TRUE(workflow.Record(state, Recording(Severity::kMedium), Utc(3, 4, 15)).ok());
  EXPECT_EQ(StepDeadline(state), Utc(3, 9, 15));
  // Follow-up within 7 days of the accepted proposal.
  ASSERT_TRUE(workflow.Propose(state, Accepted(), Utc(3, 6, 8)).ok());
  EXPECT_EQ(StepDeadline(state), Utc(3, 13, 8));
  EXPECT_EQ(state.deadlines.size(), 1u) << Describe(state.deadlines);
  // A reopen starts a new resolution limit.
  FollowUpResult unhappy;
  unhappy.reached = true;
  unhappy.satisfaction = 2;
  unhappy.solved = false;
  ASSERT_TRUE(workflow.RecordFollowUp(state, unhappy, Utc(3, 9, 8)).ok());
  EXPECT_EQ(StepDeadline(state), Utc(3, 14, 8));
  EXPECT_EQ(state.deadlines.size(), 1u) << Describe(state.deadlines);
  // Closed: nothing left.
  ASSERT_TRUE(workflow.Propose(state, Accepted(), Utc(3, 10, 8)).ok());
  FollowUpResult happy = unhappy;
  happy.satisfaction = 5;
  happy.solved = true;
  ASSERT_TRUE(workflow.RecordFollowUp(state, happy, Utc(3, 13, 8)).ok());
  EXPECT_EQ(StepDeadline(state), std::nullopt);
  EXPECT_EQ(NextDueAt(state), std::nullopt);
}

TEST(ComplaintDeadlinesTest, SeverityAndTierPickTheLimits) {
  ComplaintLimitsTable table = Table();
  table.rules[0].limits.follow_up = 2 * kDay;
  table.rules[0].limits.follow_up_delay = absl::Hours(12);
  const Workflow workflow = MakeWorkflow(Config(table));
  ComplaintState state = *workflow.Open(CustomerTier::kKeyImportant, Utc(3, 4, 9));
  // Not recorded yet: rule 2 (key-important, any severity) gives 4 hours to record.
  EXPECT_EQ(StepDeadline(state), Utc(3, 4, 13));
  ASSERT_TRUE(workflow.Vent(state, Venting(), Utc(3, 4, 9, 30)).ok());
  ASSERT_TRUE(workflow.Record(state, Recording(Severity::kCritical), Utc(3, 4, 10)).ok());
  // Critical key-important: rule 0, 12 hours to resolve.
  EXPECT_EQ(StepDeadline(state), Utc(3, 4, 22));
  ASSERT_TRUE(workflow.Propose(state, Accepted(), Utc(3, 4, 20)).ok());
  EXPECT_EQ(state.follow_up_due, Utc(3, 5, 8));
  EXPECT_EQ(StepDeadline(state), Utc(3, 6, 20));
}

TEST(ComplaintDeadlinesTest, ReachedDeadlinesAreHandedOutOnceAtTheirInstant) {
  const Workflow workflow = MakeWorkflow(Config());
  ComplaintState state = *workflow.Open(CustomerTier::kOrdinary, Utc(3, 4, 9));
  EXPECT_EQ(NextDueAt(state), Utc(3, 5, 9));

  DueReport early = TakeDue(state, Utc(3, 5, 8, 59));
  EXPECT_TRUE(early.reached.empty());
  EXPECT_EQ(early.next_at, Utc(3, 5, 9));
  EXPECT_TRUE(Overdue(state, Utc(3, 5, 8, 59)).empty());

  // Exactly at the deadline is late.
  DueReport at = TakeDue(state, Utc(3, 5, 9));
  ASSERT_EQ(at.reached.size(), 1u) << Describe(at.reached);
  EXPECT_EQ(at.reached[0].kind, DeadlineKind::kRecording);
  EXPECT_EQ(at.reached[0].at, Utc(3, 5, 9));
  EXPECT_EQ(at.next_at, std::nullopt);
  EXPECT_EQ(NextDueAt(state), std::nullopt);

  // Once: still overdue, not handed out again.
  EXPECT_TRUE(TakeDue(state, Utc(3, 6, 9)).reached.empty());
  const std::vector<Deadline> overdue = Overdue(state, Utc(3, 6, 9));
  ASSERT_EQ(overdue.size(), 1u);
  EXPECT_TRUE(overdue[0].raised);

  // Recording late, the next step has its own deadline and is raised on its own.
  ASSERT_TRUE(workflow.Vent(state, Venting(), Utc(3, 6, 10)).ok());
  ASSERT_TRUE(workflow.Record(state, Recording(Severity::kMedium), Utc(3, 6, 11)).ok());
  EXPECT_EQ(NextDueAt(state), Utc(3, 11, 11));
  const DueReport resolution = TakeDue(state, Utc(3, 12, 0));
  ASSERT_EQ(resolution.reached.size(), 1u);
  EXPECT_EQ(resolution.reached[0].kind, DeadlineKind::kResolution);
  EXPECT_EQ(resolution.reached[0].at, Utc(3, 11, 11));  // its instant, not the late `now`
}

TEST(ComplaintDeadlinesTest, FollowUpAttemptsFallDueOnceEach) {
  const Workflow workflow = MakeWorkflow(Config());
  ComplaintState state = *workflow.Open(CustomerTier::kOrdinary, Utc(3, 4, 9));
  ASSERT_TRUE(workflow.Vent(state, Venting(), Utc(3, 4, 9, 10)).ok());
  ASSERT_TRUE(workflow.Record(state, Recording(Severity::kMedium), Utc(3, 4, 9, 20)).ok());
  ASSERT_TRUE(workflow.Propose(state, Accepted(), Utc(3, 4, 12)).ok());
  // Due in 3 days; the follow-up limit is 7 days.
  EXPECT_EQ(NextDueAt(state), Utc(3, 7, 12));
  DueReport before = TakeDue(state, Utc(3, 7, 11));
  EXPECT_FALSE(before.follow_up_due.has_value());
  EXPECT_EQ(before.next_at, Utc(3, 7, 12));

  DueReport first = TakeDue(state, Utc(3, 7, 12));
  EXPECT_EQ(first.follow_up_due, Utc(3, 7, 12));
  EXPECT_TRUE(first.reached.empty());
  EXPECT_EQ(first.next_at, Utc(3, 11, 12));  // the follow-up limit
  EXPECT_FALSE(TakeDue(state, Utc(3, 7, 13)).follow_up_due.has_value()) << "handed out once";

  // Not reached: a retry a day later falls due once too.
  ASSERT_TRUE(workflow.RecordFollowUp(state, NotReached(), Utc(3, 7, 14)).ok());
  EXPECT_EQ(NextDueAt(state), Utc(3, 8, 14));
  DueReport retry = TakeDue(state, Utc(3, 8, 14));
  EXPECT_EQ(retry.follow_up_due, Utc(3, 8, 14));
  EXPECT_FALSE(TakeDue(state, Utc(3, 8, 15)).follow_up_due.has_value());

  // Second failure, third attempt due; a late TakeDue still hands it out, with the follow-up
  // limit reached in the same report.
  ASSERT_TRUE(workflow.RecordFollowUp(state, NotReached(), Utc(3, 8, 16)).ok());
  DueReport late = TakeDue(state, Utc(3, 11, 13));
  EXPECT_EQ(late.follow_up_due, Utc(3, 9, 16));
  ASSERT_EQ(late.reached.size(), 1u) << Describe(late.reached);
  EXPECT_EQ(late.reached[0].kind, DeadlineKind::kFollowUp);
  EXPECT_EQ(late.next_at, std::nullopt);

  // Third failure: closed as unreachable, nothing falls due any more.
  ASSERT_TRUE(workflow.RecordFollowUp(state, NotReached(), Utc(3, 11, 14)).ok());
  EXPECT_EQ(state.closure, Closure::kUnreachable);
  EXPECT_EQ(NextDueAt(state), std::nullopt);
  const DueReport after = TakeDue(state, Utc(4, 1, 0));
  EXPECT_TRUE(after.reached.empty());
  EXPECT_FALSE(after.follow_up_due.has_value());
}

TEST(ComplaintDeadlinesTest, NextDueAtCanBeInThePastUntilTakeDue) {
  const Workflow workflow = MakeWorkflow(Config());
  ComplaintState state = *workflow.Open(CustomerTier::kOrdinary, Utc(3, 4, 9));
  // The owner was down for a week: the timer is due at once.
  EXPECT_EQ(NextDueAt(state), Utc(3, 5, 9));
  const DueReport report = TakeDue(state, Utc(3, 11, 9));
  EXPECT_EQ(report.reached.size(), 1u);
  EXPECT_EQ(report.next_at, std::nullopt);
}

// ---- The regulatory profile ----

Workflow RegulatedWorkflow() {
  ComplaintLimitsTable table;
  table.regulatory = RegulatoryProfile{};
  return MakeWorkflow(Config(table));
}

TEST(ComplaintRegulatoryTest, AcknowledgementForEveryComplaintMetByTheRecording) {
  const Workflow workflow = RegulatedWorkflow();
  ComplaintState state = *workflow.Open(CustomerTier::kOrdinary, Utc(3, 4, 9));
  EXPECT_EQ(Describe(state.deadlines), "recording@03-05 09:00 acknowledgement@03-06 09:00 ");
  ASSERT_TRUE(workflow.Vent(state, Venting(), Utc(3, 4, 10)).ok());
  ASSERT_TRUE(workflow.Record(state, Recording(Severity::kLow, false), Utc(3, 4, 11)).ok());
  // Not regulated: only the step limit is left.
  EXPECT_EQ(Describe(state.deadlines), "resolution@03-09 11:00 ");
}

TEST(ComplaintRegulatoryTest, AcknowledgementFallsDueWhenNotRecordedInTime) {
  const Workflow workflow = RegulatedWorkflow();
  ComplaintState state = *workflow.Open(CustomerTier::kOrdinary, Utc(3, 4, 9));
  const DueReport report = TakeDue(state, Utc(3, 6, 9));
  EXPECT_EQ(Describe(report.reached),
            "recording@03-05 09:00(raised) acknowledgement@03-06 09:00(raised) ");
}

TEST(ComplaintRegulatoryTest, RegulatedComplaintGetsHoldingReplyAndFinalResponse) {
  const Workflow workflow = RegulatedWorkflow();
  ComplaintState state = *workflow.Open(CustomerTier::kOrdinary, Utc(3, 4, 9));
  ASSERT_TRUE(workflow.Vent(state, Venting(), Utc(3, 4, 10)).ok());
  ASSERT_TRUE(workflow.Record(state, Recording(Severity::kHigh, true), Utc(3, 4, 11)).ok());
  EXPECT_TRUE(state.regulated);
  // Counted from opening: 4 weeks and 8 weeks after 2024-03-04 09:00.
  EXPECT_EQ(Describe(state.deadlines),
            "resolution@03-09 11:00 holding_reply@04-01 09:00 final_response@04-29 09:00 ");

  // Left in resolution (refused proposals, escalations): everything falls due in order.
  std::vector<std::string> raised;
  absl::Time now = Utc(3, 4, 11);
  for (std::optional<absl::Time> next = NextDueAt(state); next.has_value();
       next = NextDueAt(state)) {
    now = *next;
    for (const Deadline& d : TakeDue(state, now).reached) {
      raised.push_back(absl::StrCat(DeadlineKindName(d.kind), "@",
                                    absl::FormatTime("%m-%d", d.at, absl::UTCTimeZone())));
    }
  }
  EXPECT_EQ(raised, (std::vector<std::string>{"resolution@03-09", "holding_reply@04-01",
                                              "final_response@04-29"}));
  EXPECT_EQ(now, Utc(4, 29, 9));
}

TEST(ComplaintRegulatoryTest, AcceptedProposalIsTheFinalResponse) {
  const Workflow workflow = RegulatedWorkflow();
  ComplaintState state = *workflow.Open(CustomerTier::kOrdinary, Utc(3, 4, 9));
  ASSERT_TRUE(workflow.Vent(state, Venting(), Utc(3, 4, 10)).ok());
  ASSERT_TRUE(workflow.Record(state, Recording(Severity::kHigh, true), Utc(3, 4, 11)).ok());
  ASSERT_TRUE(workflow.Propose(state, Accepted(), Utc(3, 8, 11)).ok());
  EXPECT_EQ(Describe(state.deadlines), "follow_up@03-15 11:00 ");
  // A reopen does not start the final response again.
  FollowUpResult unhappy;
  unhappy.reached = true;
  unhappy.satisfaction = 1;
  unhappy.solved = false;
  ASSERT_TRUE(workflow.RecordFollowUp(state, unhappy, Utc(3, 11, 11)).ok());
  EXPECT_EQ(Describe(state.deadlines), "resolution@03-16 11:00 ");
}

TEST(ComplaintRegulatoryTest, RecordedLateTheRegulatoryDeadlinesFallDueAtOnce) {
  const Workflow workflow = RegulatedWorkflow();
  ComplaintState state = *workflow.Open(CustomerTier::kOrdinary, Utc(3, 4, 9));
  ASSERT_TRUE(workflow.Vent(state, Venting(), Utc(3, 4, 10)).ok());
  // Recorded five weeks after opening (a lost complaint found again).
  ASSERT_TRUE(workflow.Record(state, Recording(Severity::kHigh, true), Utc(4, 8, 9)).ok());
  EXPECT_EQ(NextDueAt(state), Utc(4, 1, 9));
  const DueReport report = TakeDue(state, Utc(4, 8, 9));
  EXPECT_EQ(Describe(report.reached), "holding_reply@04-01 09:00(raised) ");
  EXPECT_EQ(report.next_at, Utc(4, 13, 9));  // the resolution limit, before the final response
}

}  // namespace
}  // namespace servicedesk::complaints
