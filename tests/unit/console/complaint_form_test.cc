// The guided complaint form: each step asks only its own fields, refuses an answer that
// would be refused (and says why), and builds the step's request from the answers.

#include "agent-console/complaint_form.h"

#include <gtest/gtest.h>

namespace servicedesk::console {
namespace {

std::vector<std::string> Keys(const std::vector<FormField>& fields) {
  std::vector<std::string> keys;
  for (const auto& f : fields) keys.push_back(f.key);
  return keys;
}

const FormField& Field(const std::vector<FormField>& fields, const std::string& key) {
  for (const auto& f : fields) {
    if (f.key == key) return f;
  }
  throw std::runtime_error("no field " + key);
}

TEST(ComplaintFormTest, EachStepAsksItsOwnFieldsAndTheLaterStepsNone) {
  EXPECT_EQ(Keys(ComplaintForm::Fields(v1::COMPLAINT_STEP_VENTING, {})),
            (std::vector<std::string>{"minutes", "mood", "notes", "remedy"}));
  EXPECT_EQ(Keys(ComplaintForm::Fields(v1::COMPLAINT_STEP_RECORDING, {})),
            (std::vector<std::string>{"category", "product", "description", "expectation", "severity"}));
  EXPECT_EQ(Keys(ComplaintForm::Fields(v1::COMPLAINT_STEP_RESOLUTION, {})),
            (std::vector<std::string>{"kind", "accepted"}));
  EXPECT_EQ(Keys(ComplaintForm::Fields(v1::COMPLAINT_STEP_RESOLUTION, {{"kind", "Refund"}})),
            (std::vector<std::string>{"kind", "amount", "currency", "accepted"}));
  EXPECT_EQ(Keys(ComplaintForm::Fields(v1::COMPLAINT_STEP_RESOLUTION, {{"kind", "other"}})),
            (std::vector<std::string>{"kind", "description", "accepted"}));
  EXPECT_EQ(Keys(ComplaintForm::Fields(v1::COMPLAINT_STEP_FOLLOW_UP, {})),
            (std::vector<std::string>{"reached", "comment"}));
  EXPECT_EQ(Keys(ComplaintForm::Fields(v1::COMPLAINT_STEP_FOLLOW_UP, {{"reached", "y"}})),
            (std::vector<std::string>{"reached", "satisfaction", "solved", "comment"}));
  EXPECT_TRUE(ComplaintForm::Fields(v1::COMPLAINT_STEP_CLOSED, {}).empty());
  EXPECT_EQ(Keys(ComplaintForm::Fields(v1::COMPLAINT_STEP_RESOLUTION, {{"kind", "Escalate"}})),
            (std::vector<std::string>{"kind", "to", "reason"}));
}

TEST(ComplaintFormTest, AnswersThatWouldBeRefusedAreRefusedWithTheReason) {
  const auto venting = ComplaintForm::Fields(v1::COMPLAINT_STEP_VENTING, {});
  EXPECT_EQ(ComplaintForm::Check(Field(venting, "notes"), "  "), "required");
  EXPECT_EQ(ComplaintForm::Check(Field(venting, "remedy"), ""), "");  // optional
  EXPECT_EQ(ComplaintForm::Check(Field(venting, "mood"), "furious"), "one of: calm, upset, angry, distressed");
  EXPECT_EQ(ComplaintForm::Check(Field(venting, "mood"), "Angry"), "");
  EXPECT_EQ(ComplaintForm::Check(Field(venting, "minutes"), "0"), "a number of minutes, 1 to 240");
  EXPECT_EQ(ComplaintForm::Check(Field(venting, "minutes"), "five"), "a number of minutes, 1 to 240");
  EXPECT_EQ(ComplaintForm::Check(Field(venting, "minutes"), "5"), "");
  const auto resolution = ComplaintForm::Fields(v1::COMPLAINT_STEP_RESOLUTION, {{"kind", "refund"}});
  EXPECT_EQ(ComplaintForm::Check(Field(resolution, "amount"), "0"), "an amount above zero, e.g. 25.00");
  EXPECT_EQ(ComplaintForm::Check(Field(resolution, "amount"), "12.345"), "an amount above zero, e.g. 25.00");
  EXPECT_EQ(ComplaintForm::Check(Field(resolution, "amount"), "12,5"), "");
  // Far beyond any refund: refused, not overflowed.
  EXPECT_EQ(ComplaintForm::Check(Field(resolution, "amount"), "99999999999999999"), "an amount above zero, e.g. 25.00");
  EXPECT_EQ(ComplaintForm::Check(Field(resolution, "currency"), "EURO"), "three letters, e.g. EUR");
  EXPECT_EQ(ComplaintForm::Check(Field(resolution, "accepted"), "maybe"), "y or n");
}

TEST(ComplaintFormTest, TheStepsRequestsAreBuiltFromTheAnswers) {
  const auto venting = ComplaintForm::Venting(
      "complaints/4", {{"minutes", "5"}, {"mood", "Angry"}, {"notes", " double charge "}, {"remedy", ""}});
  EXPECT_EQ(venting.complaint(), "complaints/4");
  EXPECT_EQ(venting.venting().duration().seconds(), 300);
  EXPECT_EQ(venting.venting().mood(), v1::CUSTOMER_MOOD_ANGRY);
  EXPECT_EQ(venting.venting().notes(), "double charge");

  const auto details = ComplaintForm::Details("complaints/4", {{"category", "Billing"},
                                                               {"product", "room 12"},
                                                               {"description", "charged twice"},
                                                               {"expectation", "one refund"},
                                                               {"severity", "high"}});
  EXPECT_EQ(details.details().category(), "billing");
  EXPECT_EQ(details.details().severity(), v1::COMPLAINT_SEVERITY_HIGH);

  const auto refund = ComplaintForm::Proposal(
      "complaints/4", {{"kind", "refund"}, {"amount", "12,5"}, {"currency", "eur"}, {"accepted", "Y"}});
  EXPECT_EQ(refund.proposal().kind(), v1::SOLUTION_KIND_REFUND);
  EXPECT_EQ(refund.proposal().amount_cents(), 1250);
  EXPECT_EQ(refund.proposal().currency(), "EUR");
  EXPECT_TRUE(refund.proposal().accepted());
  const auto apology = ComplaintForm::Proposal("complaints/4", {{"kind", "apology"}, {"accepted", "n"}});
  EXPECT_EQ(apology.proposal().kind(), v1::SOLUTION_KIND_APOLOGY);
  EXPECT_FALSE(apology.proposal().has_amount_cents());
  EXPECT_FALSE(apology.proposal().accepted());

  EXPECT_TRUE(ComplaintForm::Escalating({{"kind", "escalate"}}));
  EXPECT_FALSE(ComplaintForm::Escalating({{"kind", "refund"}}));
  const auto to_supervisor =
      ComplaintForm::Escalation("complaints/4", {{"kind", "escalate"}, {"to", "Supervisor"}, {"reason", "legal threat"}});
  EXPECT_TRUE(to_supervisor.escalation().to_supervisor());
  EXPECT_EQ(to_supervisor.escalation().reason(), "legal threat");
  const auto to_queue = ComplaintForm::Escalation("complaints/4", {{"kind", "escalate"}, {"to", "billing"}, {"reason", "x"}});
  EXPECT_FALSE(to_queue.escalation().to_supervisor());
  EXPECT_EQ(to_queue.escalation().to_queue(), "queues/billing");

  const auto reached = ComplaintForm::FollowUp(
      "complaints/4", {{"reached", "yes"}, {"satisfaction", "4"}, {"solved", "n"}, {"comment", "still waiting"}});
  EXPECT_TRUE(reached.result().reached());
  EXPECT_EQ(reached.result().satisfaction(), 4);
  EXPECT_FALSE(reached.result().solved());
  EXPECT_EQ(reached.result().comment(), "still waiting");
  const auto unreached = ComplaintForm::FollowUp("complaints/4", {{"reached", "n"}});
  EXPECT_FALSE(unreached.result().reached());
  EXPECT_FALSE(unreached.result().has_satisfaction());  // refused by the server when not reached
  EXPECT_FALSE(unreached.result().has_solved());
  const auto follow_up = ComplaintForm::Fields(v1::COMPLAINT_STEP_FOLLOW_UP, {{"reached", "y"}});
  EXPECT_EQ(ComplaintForm::Check(Field(follow_up, "satisfaction"), "6"), "1 to 5");
  EXPECT_EQ(ComplaintForm::Check(Field(follow_up, "satisfaction"), "5"), "");
}

}  // namespace
}  // namespace servicedesk::console
