#include "agent-console/complaint_form.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace servicedesk::console {

namespace {

const std::vector<std::string> kMoods = {"calm", "upset", "angry", "distressed"};
const std::vector<std::string> kSeverities = {"low", "medium", "high", "critical"};
const std::vector<std::string> kSolutions = {"refund",  "replacement", "repair", "compensation",
                                             "apology", "explanation", "other"};
const std::vector<std::string> kResolutionChoices = {"refund",  "replacement", "repair",  "compensation",
                                                     "apology", "explanation", "other",   "escalate"};

std::string Value(const std::map<std::string, std::string>& values, const std::string& key) {
  auto it = values.find(key);
  return it == values.end() ? "" : std::string(absl::StripAsciiWhitespace(it->second));
}

int IndexOf(const std::vector<std::string>& choices, const std::string& value) {
  const std::string lower = absl::AsciiStrToLower(value);
  auto it = std::find(choices.begin(), choices.end(), lower);
  return it == choices.end() ? -1 : static_cast<int>(it - choices.begin());
}

bool NeedsAmount(const std::string& kind) { return kind == "refund" || kind == "compensation"; }

// "12.50" or "12,50" to 1250 minor units.
std::optional<int64_t> Cents(const std::string& text) {
  std::string t(absl::StripAsciiWhitespace(text));
  std::replace(t.begin(), t.end(), ',', '.');
  const std::size_t dot = t.find('.');
  int64_t units = 0, cents = 0;
  if (dot == std::string::npos) {
    if (!absl::SimpleAtoi(t, &units)) return std::nullopt;
  } else {
    const std::string fraction = t.substr(dot + 1);
    if (fraction.empty() || fraction.size() > 2 || !absl::SimpleAtoi(t.substr(0, dot), &units) ||
        !absl::SimpleAtoi(fraction, &cents)) {
      return std::nullopt;
    }
    if (fraction.size() == 1) cents *= 10;
  }
  // A trillion is more than any refund; above it units * 100 could overflow.
  if (units < 0 || cents < 0 || units > 1'000'000'000'000) return std::nullopt;
  return units * 100 + cents;
}

}  // namespace

std::string ComplaintForm::StepTitle(v1::ComplaintStep step) {
  switch (step) {
    case v1::COMPLAINT_STEP_VENTING: return "1 venting: let the customer speak, then note it";
    case v1::COMPLAINT_STEP_RECORDING: return "2 recording: what it is about";
    case v1::COMPLAINT_STEP_RESOLUTION: return "3 resolution: propose, and the customer's answer";
    case v1::COMPLAINT_STEP_FOLLOW_UP: return "4 follow-up: the call back, and how it went";
    case v1::COMPLAINT_STEP_CLOSED: return "closed";
    default: return "unknown step";
  }
}

std::vector<FormField> ComplaintForm::Fields(v1::ComplaintStep step, const std::map<std::string, std::string>& values) {
  using Kind = FormField::Kind;
  switch (step) {
    case v1::COMPLAINT_STEP_VENTING:
      return {
          {"minutes", "how many minutes did the customer speak", true, {}, Kind::kMinutes},
          {"mood", "the customer's mood", true, kMoods, Kind::kText},
          {"notes", "what the customer said (notes)", true, {}, Kind::kText},
          {"remedy", "what the customer asks for (Enter: nothing said)", false, {}, Kind::kText},
      };
    case v1::COMPLAINT_STEP_RECORDING:
      return {
          {"category", "category (e.g. billing, delivery, product, service, staff, other)", true, {}, Kind::kText},
          {"product", "product or service concerned", true, {}, Kind::kText},
          {"description", "what happened, in the customer's words", true, {}, Kind::kText},
          {"expectation", "what the customer expects", true, {}, Kind::kText},
          {"severity", "severity", true, kSeverities, Kind::kText},
      };
    case v1::COMPLAINT_STEP_RESOLUTION: {
      std::vector<FormField> fields = {{"kind", "solution, or escalate", true, kResolutionChoices, Kind::kText}};
      const std::string kind = absl::AsciiStrToLower(Value(values, "kind"));
      if (kind == "escalate") {
        return {fields[0],
                {"to", "to the supervisor, or a queue id", true, {}, Kind::kText},
                {"reason", "why it is escalated", true, {}, Kind::kText}};
      }
      if (NeedsAmount(kind)) {
        fields.push_back({"amount", "amount (e.g. 25.00)", true, {}, Kind::kAmount});
        fields.push_back({"currency", "currency (ISO 4217, e.g. EUR)", true, {}, Kind::kText});
      }
      if (kind == "other") fields.push_back({"description", "the solution, described", true, {}, Kind::kText});
      fields.push_back({"accepted", "did the customer accept it (y/n)", true, {}, Kind::kYesNo});
      return fields;
    }
    case v1::COMPLAINT_STEP_FOLLOW_UP: {
      std::vector<FormField> fields = {{"reached", "was the customer reached (y/n)", true, {}, Kind::kYesNo}};
      const std::string reached = absl::AsciiStrToLower(Value(values, "reached"));
      if (reached == "y" || reached == "yes") {
        fields.push_back({"satisfaction", "satisfaction, 1 (very unhappy) to 5 (very happy)", true, {}, Kind::kScore});
        fields.push_back({"solved", "is the problem really solved (y/n)", true, {}, Kind::kYesNo});
      }
      fields.push_back({"comment", "comment (Enter: none)", false, {}, Kind::kText});
      return fields;
    }
    default:
      return {};
  }
}

std::string ComplaintForm::Check(const FormField& field, const std::string& answer) {
  const std::string value(absl::StripAsciiWhitespace(answer));
  if (value.empty()) return field.required ? "required" : "";
  if (!field.choices.empty() && IndexOf(field.choices, value) < 0) {
    return absl::StrCat("one of: ", absl::StrJoin(field.choices, ", "));
  }
  switch (field.kind) {
    case FormField::Kind::kMinutes: {
      int minutes = 0;
      if (!absl::SimpleAtoi(value, &minutes) || minutes < 1 || minutes > 240) return "a number of minutes, 1 to 240";
      break;
    }
    case FormField::Kind::kAmount:
      if (!Cents(value) || *Cents(value) == 0) return "an amount above zero, e.g. 25.00";
      break;
    case FormField::Kind::kYesNo: {
      const std::string lower = absl::AsciiStrToLower(value);
      if (lower != "y" && lower != "n" && lower != "yes" && lower != "no") return "y or n";
      break;
    }
    case FormField::Kind::kScore: {
      int score = 0;
      if (!absl::SimpleAtoi(value, &score) || score < 1 || score > 5) return "1 to 5";
      break;
    }
    case FormField::Kind::kText:
      break;
  }
  if (field.key == "currency") {
    if (value.size() != 3 || !std::all_of(value.begin(), value.end(), [](char c) { return absl::ascii_isalpha(c); })) {
      return "three letters, e.g. EUR";
    }
  }
  return "";
}

v1::RecordVentingRequest ComplaintForm::Venting(const std::string& complaint,
                                                const std::map<std::string, std::string>& values) {
  v1::RecordVentingRequest request;
  request.set_complaint(complaint);
  auto* venting = request.mutable_venting();
  int minutes = 0;
  (void)absl::SimpleAtoi(Value(values, "minutes"), &minutes);
  venting->mutable_duration()->set_seconds(int64_t{minutes} * 60);
  venting->set_mood(static_cast<v1::CustomerMood>(IndexOf(kMoods, Value(values, "mood")) + 1));
  venting->set_notes(Value(values, "notes"));
  venting->set_requested_remedy(Value(values, "remedy"));
  return request;
}

v1::RecordDetailsRequest ComplaintForm::Details(const std::string& complaint,
                                                const std::map<std::string, std::string>& values) {
  v1::RecordDetailsRequest request;
  request.set_complaint(complaint);
  auto* details = request.mutable_details();
  details->set_category(absl::AsciiStrToLower(Value(values, "category")));
  details->set_product(Value(values, "product"));
  details->set_description(Value(values, "description"));
  details->set_expectation(Value(values, "expectation"));
  details->set_severity(static_cast<v1::ComplaintSeverity>(IndexOf(kSeverities, Value(values, "severity")) + 1));
  return request;
}

v1::ProposeResolutionRequest ComplaintForm::Proposal(const std::string& complaint,
                                                     const std::map<std::string, std::string>& values) {
  v1::ProposeResolutionRequest request;
  request.set_complaint(complaint);
  auto* proposal = request.mutable_proposal();
  const std::string kind = absl::AsciiStrToLower(Value(values, "kind"));
  proposal->set_kind(static_cast<v1::SolutionKind>(IndexOf(kSolutions, kind) + 1));
  if (NeedsAmount(kind)) {
    if (auto cents = Cents(Value(values, "amount"))) proposal->set_amount_cents(*cents);
    proposal->set_currency(absl::AsciiStrToUpper(Value(values, "currency")));
  }
  if (kind == "other") proposal->set_description(Value(values, "description"));
  const std::string accepted = absl::AsciiStrToLower(Value(values, "accepted"));
  proposal->set_accepted(accepted == "y" || accepted == "yes");
  return request;
}

v1::RecordFollowUpRequest ComplaintForm::FollowUp(const std::string& complaint,
                                                 const std::map<std::string, std::string>& values) {
  v1::RecordFollowUpRequest request;
  request.set_complaint(complaint);
  auto* result = request.mutable_result();
  const auto yes = [&](const std::string& key) {
    const std::string v = absl::AsciiStrToLower(Value(values, key));
    return v == "y" || v == "yes";
  };
  result->set_reached(yes("reached"));
  if (result->reached()) {
    int score = 0;
    (void)absl::SimpleAtoi(Value(values, "satisfaction"), &score);
    result->set_satisfaction(score);
    result->set_solved(yes("solved"));
  }
  result->set_comment(Value(values, "comment"));
  return request;
}

bool ComplaintForm::Escalating(const std::map<std::string, std::string>& values) {
  return absl::AsciiStrToLower(Value(values, "kind")) == "escalate";
}

v1::EscalateComplaintRequest ComplaintForm::Escalation(const std::string& complaint,
                                                       const std::map<std::string, std::string>& values) {
  v1::EscalateComplaintRequest request;
  request.set_complaint(complaint);
  auto* escalation = request.mutable_escalation();
  const std::string to = Value(values, "to");
  if (absl::AsciiStrToLower(to) == "supervisor") {
    escalation->set_to_supervisor(true);
  } else {
    escalation->set_to_queue(to.starts_with("queues/") ? to : absl::StrCat("queues/", to));
  }
  escalation->set_reason(Value(values, "reason"));
  return request;
}

}  // namespace servicedesk::console
