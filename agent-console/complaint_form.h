#pragma once

// The guided complaint form of the interactive console: the four steps of DOMAIN.md's
// complaint handling (venting, recording, resolution, and the follow-up call the server
// schedules and routes back as a task), each with its required fields, asked one at a time and checked as they are
// typed, so that a step cannot be sent incomplete and no step can be skipped: the form
// offers only the complaint's current step. The server checks everything again (and keeps
// the order); the form spares the agent a refusal.
//
// Pure (no terminal, no gRPC calls): the UI asks the fields and sends the request built here.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "servicedesk/v1/complaint.pb.h"

namespace servicedesk::console {

struct FormField {
  std::string key;                   // "notes"
  std::string question;              // "what did the customer say (notes)"
  bool required = true;
  std::vector<std::string> choices;  // when not empty: the answer must be one of these
  enum class Kind { kText, kMinutes, kAmount, kYesNo, kScore } kind = Kind::kText;
};

class ComplaintForm {
 public:
  // The fields of the step the complaint is in (VENTING, RECORDING, RESOLUTION, FOLLOW_UP);
  // empty when CLOSED. `values` so far: a field that depends on
  // another (the amount of a refund) is asked only when it applies.
  static std::vector<FormField> Fields(v1::ComplaintStep step, const std::map<std::string, std::string>& values);

  // Empty when `answer` is acceptable for `field`; else why not (shown, and asked again).
  static std::string Check(const FormField& field, const std::string& answer);

  // The request of the step from the answers (all checked).
  static v1::RecordVentingRequest Venting(const std::string& complaint, const std::map<std::string, std::string>& values);
  static v1::RecordDetailsRequest Details(const std::string& complaint, const std::map<std::string, std::string>& values);
  static v1::ProposeResolutionRequest Proposal(const std::string& complaint,
                                               const std::map<std::string, std::string>& values);
  // In the resolution step the agent may escalate instead of proposing (to the supervisor,
  // or to a queue whose agents take the complaint over).
  static bool Escalating(const std::map<std::string, std::string>& values);
  static v1::EscalateComplaintRequest Escalation(const std::string& complaint,
                                                 const std::map<std::string, std::string>& values);
  static v1::RecordFollowUpRequest FollowUp(const std::string& complaint,
                                            const std::map<std::string, std::string>& values);

  // "venting", "recording", ... as the steps are named on screen.
  static std::string StepTitle(v1::ComplaintStep step);
};

}  // namespace servicedesk::console
