#pragma once

// The four-step complaint workflow (DOMAIN.md section 2): venting, recording, resolution,
// follow-up, then closed.
//
//   step         action            result
//   venting      vent              -> recording
//   recording    record            -> resolution (the severity picks the limits)
//   resolution   propose, refused  -> resolution (another proposal, or an escalation)
//                propose, accepted -> follow-up, first attempt due after follow_up_delay
//                escalate          -> resolution, escalated
//   follow-up    record_follow_up:
//                  not reached     -> follow-up, next attempt due after retry_delay; after
//                                     max_follow_up_attempts failed attempts: closed,
//                                     unreachable
//                  reached, satisfaction >= satisfied_threshold and solved
//                                  -> closed, satisfied
//                  reached, otherwise
//                                  -> resolution, escalated, reopen count + 1
//   closed       nothing
//
// Each action belongs to exactly one step (StepOfAction); nothing else decides what may
// happen when. An action of a finished step, or of a step not reached yet, is
// FAILED_PRECONDITION naming the current step; any action on a closed complaint is
// FAILED_PRECONDITION "complaint is closed". Step data is checked field by field
// (INVALID_ARGUMENT naming the field). On any error the state is left exactly as it was.
//
// Pure: no storage, no clock (time is passed in), no proto types. The owner stores the step
// data and the state, and turns each Outcome into events and history. Deadlines and the
// follow-up schedule are in complaint_limits.h. Thread safety: the free functions are pure;
// a Workflow is immutable after Create (const methods, safe from any thread) and changes
// only the state it is given.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "services/complaints/complaint_limits.h"

namespace servicedesk::complaints {

enum class Step : uint8_t {
  kVenting = 0,
  kRecording = 1,
  kResolution = 2,
  kFollowUp = 3,
  kClosed = 4,
};
inline constexpr int kStepCount = 5;
// "venting", "recording", "resolution", "follow_up", "closed"; "unknown" outside the enum.
const char* StepName(Step step);

// The agent's read of the customer's mood while venting.
enum class Mood : uint8_t { kCalm = 0, kUpset = 1, kAngry = 2, kDistressed = 3 };
inline constexpr int kMoodCount = 4;
// "calm", "upset", "angry", "distressed"; "unknown" outside the enum.
const char* MoodName(Mood mood);

enum class SolutionKind : uint8_t {
  kRefund = 0,
  kReplacement = 1,
  kRepair = 2,
  kCompensation = 3,
  kApology = 4,
  kExplanation = 5,
  kOther = 6,
};
inline constexpr int kSolutionKindCount = 7;
// "refund", "replacement", "repair", "compensation", "apology", "explanation", "other";
// "unknown" outside the enum.
const char* SolutionKindName(SolutionKind kind);

enum class Action : uint8_t {
  kVent = 0,
  kRecord = 1,
  kPropose = 2,
  kEscalate = 3,
  kRecordFollowUp = 4,
};
inline constexpr int kActionCount = 5;
// "vent", "record", "propose", "escalate", "record_follow_up"; "unknown" outside the enum.
const char* ActionName(Action action);

// The step an action belongs to: vent -> venting, record -> recording, propose and escalate
// -> resolution, record_follow_up -> follow-up. Never kClosed.
Step StepOfAction(Action action);
// Whether `action` may be taken in `step`: exactly when StepOfAction(action) == step.
bool IsActionAllowed(Step step, Action action);

// How a closed complaint ended.
enum class Closure : uint8_t {
  kSatisfied = 0,    // reached at follow-up, satisfied and solved
  kUnreachable = 1,  // not reached in max_follow_up_attempts attempts
};
// "satisfied", "unreachable"; "unknown" outside the enum.
const char* ClosureName(Closure closure);

// Input limits. Text limits are in bytes (UTF-8) of the text as given; a required text field
// is missing when it is empty or only ASCII whitespace.
inline constexpr size_t kMaxShortTextBytes = 200;       // product, queue, category
inline constexpr size_t kMaxNotesBytes = 2'000;         // notes, remedy, expectation, reasons
inline constexpr size_t kMaxDescriptionBytes = 10'000;  // the customer's own words
inline constexpr absl::Duration kMaxVentingDuration = absl::Hours(4);
// In minor units of the currency: 1,000,000.00. More is not a call-center decision.
inline constexpr int64_t kMaxAmountCents = 100'000'000;

// Step 1: the customer was heard out.
struct VentingData {
  std::optional<absl::Duration> duration;  // required, 0 to 4h
  std::optional<Mood> mood;                // required
  std::string notes;                       // required, <= 2,000 bytes
  std::string requested_remedy;            // optional, <= 2,000 bytes
};

// Step 2: what the complaint is about.
struct RecordingData {
  std::string category;              // required, one of the configured categories (exact)
  std::string product;               // required, product or service, <= 200 bytes
  std::string description;           // required, the customer's words, <= 10,000 bytes
  std::string expectation;           // required, what the customer expects, <= 2,000 bytes
  std::optional<Severity> severity;  // required
  bool regulated = false;            // under the regulatory profile (when one is set)
};

// Step 3: a proposed solution and the customer's answer to it.
struct Proposal {
  std::optional<SolutionKind> kind;  // required
  // Minor units. Required (and positive) for refund and compensation; not allowed for apology
  // and explanation; optional for the others. 0 to kMaxAmountCents.
  std::optional<int64_t> amount_cents;
  std::string currency;     // ISO 4217 ("EUR"); required with an amount, not allowed without
  std::string description;  // required for kOther, optional otherwise; <= 2,000 bytes
  bool accepted = false;    // the customer's answer: accepted (true) or refused (false)
};

// Step 3: the complaint goes to a supervisor or to another queue. Exactly one target.
struct Escalation {
  bool to_supervisor = false;
  std::string to_queue;  // queue name, <= 200 bytes; empty when to_supervisor
  std::string reason;    // required, <= 2,000 bytes
};

// Step 4: the result of one follow-up attempt.
struct FollowUpResult {
  bool reached = false;
  std::optional<int> satisfaction;  // 1 to 5; required when reached, not allowed otherwise
  std::string comment;              // optional, <= 2,000 bytes (also for a failed attempt)
  std::optional<bool> solved;       // required when reached, not allowed otherwise
};

// Where a complaint is, as plain data: store it with the complaint, give it back to the
// Workflow with each action.
struct ComplaintState {
  Step step = Step::kVenting;
  std::optional<Closure> closure;  // set exactly when step == kClosed
  // The tier the limits are chosen by: the customer's tier at opening. A later change of
  // tier does not move the limits of an open complaint (the customer was told them).
  CustomerTier tier = CustomerTier::kUnknown;
  std::optional<Severity> severity;  // from the recording on
  bool regulated = false;            // from the recording on
  absl::Time opened_at = absl::InfinitePast();
  absl::Time step_started_at = absl::InfinitePast();
  // Times the complaint went back from follow-up to resolution.
  int reopen_count = 0;
  // Proposals made since the resolution step last started (refused ones, plus the accepted
  // one once accepted). Reset by a reopen.
  int proposals_in_loop = 0;
  // Escalated by an agent or by a reopen. Stays set until the complaint closes: an
  // escalated complaint stays with whoever it was escalated to.
  bool escalated = false;
  // Follow-up attempts made in the current follow-up step (reached or not).
  int follow_up_attempts = 0;
  // In the follow-up step: when the current attempt is due. InfiniteFuture otherwise.
  absl::Time follow_up_due = absl::InfiniteFuture();
  // Whether TakeDue handed the current attempt out (see complaint_limits.h).
  bool follow_up_handed_out = false;
  // The pending deadlines, at most one per kind (see complaint_limits.h).
  std::vector<Deadline> deadlines;

  bool operator==(const ComplaintState& other) const = default;
};

// What an action did, for the owner's events and history.
struct Outcome {
  Action action = Action::kVent;
  Step from = Step::kVenting;
  Step to = Step::kVenting;
  // A follow-up attempt was scheduled (the first one, or a retry) for this instant.
  std::optional<absl::Time> follow_up_scheduled;
  // Back from follow-up to resolution (the loop the history shows).
  bool reopened = false;
  // This action escalated the complaint (an escalation, or a reopen).
  bool escalated = false;
  // The complaint closed, and how.
  std::optional<Closure> closed;
  // One line for the history, e.g. "follow-up attempt 3 of 3 did not reach the customer:
  // closed as unreachable".
  std::string summary;
};

// OK when `action` may be taken now. Otherwise, in this order:
//   INVALID_ARGUMENT "action: unknown value 9", "complaint.step: unknown value 7";
//   FAILED_PRECONDITION "complaint is closed";
//   FAILED_PRECONDITION naming the current step and the action, for a finished step:
//     "complaint is in the recording step; venting is done, cannot vent"
//   or for a step not reached yet:
//     "complaint is in the venting step; cannot propose before the resolution step".
absl::Status Check(const ComplaintState& state, Action action);

// OK, or INVALID_ARGUMENT naming the first bad field, e.g. "venting.mood: required",
// "recording.category: 'x' is not one of the configured categories",
// "proposal.amount_cents: required when the kind is refund",
// "escalation.to_queue: required unless to_supervisor",
// "follow_up.satisfaction: must be 1 to 5, got 7".
absl::Status Validate(const VentingData& data);
absl::Status Validate(const RecordingData& data, absl::Span<const std::string> categories);
absl::Status Validate(const Proposal& proposal);
absl::Status Validate(const Escalation& escalation);
absl::Status Validate(const FollowUpResult& result);

struct WorkflowConfig {
  // The complaint categories agents choose from. At least one; each not blank,
  // <= 200 bytes, listed once. Matched exactly (case matters).
  std::vector<std::string> categories;
  // A reached customer counts as satisfied from this satisfaction on (and only when the
  // problem is solved). 1 to 5. Default: 4.
  int satisfied_threshold = 4;
  ComplaintLimitsTable limits;

  // OK, or INVALID_ARGUMENT naming the field: "categories[2]: 'Billing' is listed twice",
  // "satisfied_threshold: must be 1 to 5, got 0", "limits.default.recording: ...".
  absl::Status Validate() const;
};

// The workflow with its configuration. Each action: Check, then Validate the data, then
// change `state` and say what happened; on error `state` is untouched. A `now` earlier than
// the start of the current step counts as that start (clocks of two machines): time never
// runs back within a complaint.
class Workflow {
 public:
  // INVALID_ARGUMENT (from config.Validate()) for a bad configuration.
  static absl::StatusOr<Workflow> Create(WorkflowConfig config);

  // A new complaint in the venting step, opened at `now`, with its recording deadline (and
  // the acknowledgement deadline under a regulatory profile). INVALID_ARGUMENT
  // "tier: unknown value 9" for a tier outside the enum. Opened from a call, a ticket or
  // directly: the owner records where from; the workflow is the same.
  absl::StatusOr<ComplaintState> Open(CustomerTier tier, absl::Time now) const;

  // venting -> recording.
  absl::StatusOr<Outcome> Vent(ComplaintState& state, const VentingData& data,
                               absl::Time now) const;
  // recording -> resolution: sets severity and regulated, which pick the resolution limit
  // and the regulatory deadlines; the acknowledgement is met.
  absl::StatusOr<Outcome> Record(ComplaintState& state, const RecordingData& data,
                                 absl::Time now) const;
  // Refused: stays in resolution (proposals_in_loop + 1). Accepted: -> follow-up, the first
  // attempt due at now + follow_up_delay, the follow-up deadline set, the final response
  // (and holding reply) met.
  absl::StatusOr<Outcome> Propose(ComplaintState& state, const Proposal& proposal,
                                  absl::Time now) const;
  // Stays in resolution, escalated. Allowed before any proposal too (the agent may see at
  // once that it is beyond them), and more than once (supervisor, then another queue).
  absl::StatusOr<Outcome> Escalate(ComplaintState& state, const Escalation& escalation,
                                   absl::Time now) const;
  // The result of one attempt; see the table at the top. May be recorded before the
  // attempt falls due (the customer called in).
  absl::StatusOr<Outcome> RecordFollowUp(ComplaintState& state, const FollowUpResult& result,
                                         absl::Time now) const;

  const WorkflowConfig& config() const { return config_; }

 private:
  explicit Workflow(WorkflowConfig config) : config_(std::move(config)) {}

  WorkflowConfig config_;
};

}  // namespace servicedesk::complaints
