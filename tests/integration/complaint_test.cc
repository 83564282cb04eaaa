// The four-step complaint workflow through a real servicedeskd (in-process) on a loopback
// port, in manual time: a complaint from an answered call through venting, recording,
// resolution and follow-up (routed back to the agent), reopened once and closed; bad input
// that changes nothing; follow-ups due across a restart.

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "services/server/desk_server.h"
#include "servicedesk/v1/complaint.grpc.pb.h"
#include "servicedesk/v1/customer.grpc.pb.h"
#include "servicedesk/v1/routing.grpc.pb.h"
#include "tests/support/agent_session.h"
#include "tests/support/grpc_context.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_config.h"

namespace servicedesk::server {
namespace {

using servicedesk::testing::Session;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using namespace std::chrono_literals;

constexpr const char* kAgent1 = "agent-1-token-000001";
constexpr const char* kAgent2 = "agent-2-token-000001";
constexpr const char* kSupervisor = "supervisor-token-0001";
constexpr const char* kCti = "cti-token-0000000001";

using servicedesk::testing::Context;

class ComplaintTest : public ::testing::Test {
 protected:
  void SetUp() override {
    manual_ = std::make_unique<ManualClock>(absl::FromUnixSeconds(1'900'000'000));
    Start();
    v1::CreateCustomerRequest create;
    create.mutable_customer()->set_kind(v1::CUSTOMER_KIND_INDIVIDUAL);
    create.mutable_customer()->set_display_name("Katherine Johnson");
    create.mutable_customer()->set_tier(v1::CUSTOMER_TIER_ORDINARY);
    v1::Customer customer;
    ASSERT_TRUE(customers_->CreateCustomer(Context(kSupervisor).get(), create, &customer).ok());
    customer_ = customer.name();
  }

  void Start() {
    Config config = servicedesk::testing::LoopbackConfig(dir_.path());
    config.tokens = {{kAgent1, "agents/a-1", Role::kAgent},
                     {kAgent2, "agents/a-2", Role::kAgent},
                     {kSupervisor, "supervisors/s-1", Role::kSupervisor},
                     {kCti, "cti/pbx-1", Role::kCti}};
    v1::Queue support;
    support.set_name("queues/support");
    support.add_channels(v1::CONTACT_CHANNEL_CALL);
    support.add_channels(v1::CONTACT_CHANNEL_OUTBOUND);
    support.mutable_wrap_up()->set_seconds(0);
    support.mutable_offer_timeout()->set_seconds(3600);
    support.mutable_preferred_agent_window()->set_seconds(600);
    config.routing.queues.push_back(support);
    for (const char* name : {"agents/a-1", "agents/a-2"}) {
      v1::Agent agent;
      agent.set_name(name);
      config.routing.agents.push_back(agent);
    }
    config.complaints.categories = {"billing", "delivery"};
    config.complaints.follow_up_queue = "queues/support";
    config.complaints.follow_up_delay_hours = 48;
    auto desk = DeskServer::Start(config, manual_.get());
    ASSERT_TRUE(desk.ok()) << desk.status();
    desk_ = *std::move(desk);
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(desk_->port()),
                                       grpc::InsecureChannelCredentials());
    complaints_ = v1::ComplaintService::NewStub(channel);
    customers_ = v1::CustomerService::NewStub(channel);
    agents_ = v1::AgentService::NewStub(channel);
    contacts_ = v1::ContactService::NewStub(channel);
  }

  void Restart() {
    desk_->Shutdown();
    desk_.reset();
    Start();
  }

  void Advance(absl::Duration by) {
    manual_->Advance(by);
    desk_->OnComplaintDesk([](ComplaintDesk& desk) {
      desk.RunDue();
      return 0;
    });
  }

  v1::Complaint Open(const char* token = kAgent1, const std::string& contact = "") {
    v1::OpenComplaintRequest request;
    request.set_customer(customer_);
    request.set_source(contact.empty() ? v1::COMPLAINT_SOURCE_DIRECT : v1::COMPLAINT_SOURCE_CALL);
    request.set_source_reference(contact);
    request.set_summary("Charged twice for the March invoice");
    v1::Complaint complaint;
    auto status = complaints_->OpenComplaint(Context(token).get(), request, &complaint);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return complaint;
  }

  grpc::Status Vent(const std::string& name, v1::Complaint* out, const char* token = kAgent1,
                    v1::CustomerMood mood = v1::CUSTOMER_MOOD_ANGRY) {
    v1::RecordVentingRequest request;
    request.set_complaint(name);
    request.mutable_venting()->mutable_duration()->set_seconds(240);
    request.mutable_venting()->set_mood(mood);
    request.mutable_venting()->set_notes("Furious about the double charge; third call this week.");
    request.mutable_venting()->set_requested_remedy("refund");
    return complaints_->RecordVenting(Context(token).get(), request, out);
  }

  grpc::Status Record(const std::string& name, v1::Complaint* out, const std::string& category = "billing") {
    v1::RecordDetailsRequest request;
    request.set_complaint(name);
    auto* details = request.mutable_details();
    details->set_category(category);
    details->set_product("Mobile plan M");
    details->set_description("You took the money twice and nobody calls back.");
    details->set_expectation("The second charge refunded this week");
    details->set_severity(v1::COMPLAINT_SEVERITY_HIGH);
    return complaints_->RecordDetails(Context(kAgent1).get(), request, out);
  }

  grpc::Status Propose(const std::string& name, bool accepted, v1::Complaint* out) {
    v1::ProposeResolutionRequest request;
    request.set_complaint(name);
    auto* proposal = request.mutable_proposal();
    proposal->set_kind(v1::SOLUTION_KIND_REFUND);
    proposal->set_amount_cents(3999);
    proposal->set_currency("EUR");
    proposal->set_accepted(accepted);
    return complaints_->ProposeResolution(Context(kAgent1).get(), request, out);
  }

  grpc::Status FollowUp(const std::string& name, int satisfaction, bool solved, v1::Complaint* out) {
    v1::RecordFollowUpRequest request;
    request.set_complaint(name);
    request.mutable_result()->set_reached(true);
    request.mutable_result()->set_satisfaction(satisfaction);
    request.mutable_result()->set_solved(solved);
    request.mutable_result()->set_comment(satisfaction >= 4 ? "All good now" : "Refund never arrived");
    return complaints_->RecordFollowUp(Context(kAgent1).get(), request, out);
  }

  v1::Complaint Get(const std::string& name) {
    v1::GetComplaintRequest request;
    request.set_name(name);
    v1::Complaint complaint;
    EXPECT_TRUE(complaints_->GetComplaint(Context(kSupervisor).get(), request, &complaint).ok());
    return complaint;
  }

  grpc::Status Accept(const char* token, const std::string& offer) {
    v1::AcceptOfferRequest request;
    request.set_offer(offer);
    v1::AcceptOfferResponse response;
    return agents_->AcceptOffer(Context(token).get(), request, &response);
  }

  grpc::Status End(const char* token, const std::string& contact) {
    v1::EndContactRequest request;
    request.set_contact(contact);
    v1::AgentStatus status;
    return agents_->EndContact(Context(token).get(), request, &status);
  }

  void SetReady(const char* token) {
    v1::SetStateRequest request;
    request.set_state(v1::AGENT_STATE_READY);
    v1::AgentStatus status;
    ASSERT_TRUE(agents_->SetState(Context(token).get(), request, &status).ok());
  }

  std::vector<v1::Interaction> History() {
    v1::ListInteractionsRequest request;
    request.set_parent(customer_);
    request.set_page_size(100);
    v1::ListInteractionsResponse response;
    EXPECT_TRUE(customers_->ListInteractions(Context(kSupervisor).get(), request, &response).ok());
    return {response.interactions().begin(), response.interactions().end()};
  }

  servicedesk::testing::TempDir dir_;
  std::unique_ptr<ManualClock> manual_;  // before the desk: its timers read it to the end
  std::unique_ptr<DeskServer> desk_;
  std::unique_ptr<v1::ComplaintService::Stub> complaints_;
  std::unique_ptr<v1::CustomerService::Stub> customers_;
  std::unique_ptr<v1::AgentService::Stub> agents_;
  std::unique_ptr<v1::ContactService::Stub> contacts_;
  std::string customer_;
};

TEST_F(ComplaintTest, FromACallThroughFourStepsAReopenAndASecondFollowUpThatClosesIt) {
  // The call: offered, answered, the customer complains.
  Session session(agents_.get(), kAgent1);
  ASSERT_EQ(session.NextState(), v1::AGENT_STATE_NOT_READY);
  SetReady(kAgent1);
  v1::EnqueueContactRequest call;
  call.set_channel(v1::CONTACT_CHANNEL_CALL);
  call.set_queue("queues/support");
  call.set_customer(customer_);
  v1::Contact contact;
  ASSERT_TRUE(contacts_->EnqueueContact(Context(kCti).get(), call, &contact).ok());
  auto offer = session.NextOffer();
  ASSERT_TRUE(offer.has_value());
  ASSERT_TRUE(Accept(kAgent1, offer->name()).ok());

  const v1::Complaint opened = Open(kAgent1, contact.name());
  EXPECT_EQ(opened.step(), v1::COMPLAINT_STEP_VENTING);
  EXPECT_EQ(opened.owner(), "agents/a-1");
  EXPECT_EQ(opened.source(), v1::COMPLAINT_SOURCE_CALL);
  EXPECT_TRUE(opened.has_step_deadline());  // recording within a day
  v1::Complaint complaint;
  ASSERT_TRUE(Vent(opened.name(), &complaint).ok());
  EXPECT_EQ(complaint.step(), v1::COMPLAINT_STEP_RECORDING);
  EXPECT_EQ(complaint.venting().mood(), v1::CUSTOMER_MOOD_ANGRY);
  ASSERT_TRUE(Record(opened.name(), &complaint).ok());
  EXPECT_EQ(complaint.step(), v1::COMPLAINT_STEP_RESOLUTION);
  ASSERT_TRUE(Propose(opened.name(), /*accepted=*/true, &complaint).ok());
  EXPECT_EQ(complaint.step(), v1::COMPLAINT_STEP_FOLLOW_UP);
  EXPECT_EQ(complaint.resolved_by(), "agents/a-1");
  EXPECT_EQ(complaint.follow_up_due_time().seconds(), 1'900'000'000 + 48 * 3600);
  ASSERT_TRUE(End(kAgent1, contact.name()).ok());  // the call ends; no wrap-up in this queue

  // Two days later the follow-up is due: an outbound task offered to the same agent.
  Advance(absl::Hours(48));
  complaint = Get(opened.name());
  ASSERT_FALSE(complaint.follow_up_contact().empty());
  auto follow_up = session.NextOffer();
  ASSERT_TRUE(follow_up.has_value());
  EXPECT_EQ(follow_up->channel(), v1::CONTACT_CHANNEL_OUTBOUND);
  EXPECT_EQ(follow_up->reference(), opened.name());
  EXPECT_EQ(follow_up->contact(), complaint.follow_up_contact());
  ASSERT_TRUE(Accept(kAgent1, follow_up->name()).ok());

  // The customer is not satisfied: back to resolution, escalated.
  ASSERT_TRUE(FollowUp(opened.name(), 2, false, &complaint).ok());
  EXPECT_EQ(complaint.step(), v1::COMPLAINT_STEP_RESOLUTION);
  EXPECT_EQ(complaint.reopen_count(), 1);
  EXPECT_TRUE(complaint.escalated());
  EXPECT_TRUE(complaint.follow_up_contact().empty());  // the agent's task ended with it
  ASSERT_TRUE(Propose(opened.name(), /*accepted=*/true, &complaint).ok());
  EXPECT_EQ(complaint.step(), v1::COMPLAINT_STEP_FOLLOW_UP);

  // The second follow-up, again to the same agent, closes it.
  Advance(absl::Hours(48));
  auto second = session.NextOffer();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->reference(), opened.name());
  ASSERT_TRUE(Accept(kAgent1, second->name()).ok());
  ASSERT_TRUE(FollowUp(opened.name(), 5, true, &complaint).ok());
  EXPECT_EQ(complaint.step(), v1::COMPLAINT_STEP_CLOSED);
  EXPECT_EQ(complaint.closure(), "satisfied");
  EXPECT_EQ(complaint.proposals_size(), 2);
  EXPECT_EQ(complaint.follow_ups_size(), 2);

  // The history shows every step in order (by entry id: many share an instant here).
  std::vector<std::pair<uint64_t, std::string>> entries;
  for (const auto& interaction : History()) {
    if (interaction.reference() != opened.name()) continue;
    entries.emplace_back(std::stoull(interaction.name().substr(interaction.name().rfind('/') + 1)),
                         interaction.outcome());
  }
  std::sort(entries.begin(), entries.end());
  std::vector<std::string> steps;
  for (const auto& [id, outcome] : entries) steps.push_back(outcome);
  EXPECT_THAT(steps, ElementsAre("opened", "vent", "record", "propose", "follow_up_due", "follow_up_taken",
                                 "record_follow_up", "propose", "follow_up_due", "follow_up_taken",
                                 "record_follow_up"));
  std::vector<std::string> audit;
  for (const auto& entry : complaint.audit()) audit.push_back(entry.action());
  EXPECT_EQ(audit, steps);
  // Closed: no longer in the screen pop.
  v1::GetCustomerContextRequest pop_request;
  pop_request.set_customer(customer_);
  v1::CustomerContext pop;
  ASSERT_TRUE(customers_->GetCustomerContext(Context(kSupervisor).get(), pop_request, &pop).ok());
  EXPECT_EQ(pop.open_complaints_size(), 0);

  v1::ComplaintFigures figures;
  ASSERT_TRUE(complaints_->GetComplaintFigures(Context(kSupervisor).get(), v1::GetComplaintFiguresRequest(), &figures)
                  .ok());
  EXPECT_EQ(figures.by_step(4).count(), 1);  // closed
  EXPECT_DOUBLE_EQ(figures.first_proposal_acceptance_rate(), 1.0);
  EXPECT_EQ(figures.reopened(), 1);
  EXPECT_DOUBLE_EQ(figures.average_satisfaction(), 3.5);
}

TEST_F(ComplaintTest, BadInputAndWrongStepsAreRefusedNamingTheFieldAndChangeNothing) {
  const v1::Complaint opened = Open();
  v1::Complaint out;
  auto check_unchanged = [&] {
    const v1::Complaint now = Get(opened.name());
    EXPECT_EQ(now.audit_size(), 1);
    EXPECT_EQ(now.step(), v1::COMPLAINT_STEP_VENTING);
  };
  // Missing step data: the field is named.
  v1::RecordVentingRequest empty;
  empty.set_complaint(opened.name());
  auto missing = complaints_->RecordVenting(Context(kAgent1).get(), empty, &out);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(missing.error_message(), StartsWith("venting."));
  check_unchanged();
  // A step out of order: FAILED_PRECONDITION naming the current step.
  auto early = Propose(opened.name(), true, &out);
  EXPECT_EQ(early.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(early.error_message(), HasSubstr("venting step"));
  check_unchanged();
  // Another agent's complaint: refused without the supervisor role.
  auto theirs = Vent(opened.name(), &out, kAgent2);
  EXPECT_EQ(theirs.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(theirs.error_message(), HasSubstr("belongs to agents/a-1"));
  check_unchanged();
  ASSERT_TRUE(Vent(opened.name(), &out, kSupervisor).ok());  // a supervisor may
  // Repeating a finished step.
  auto again = Vent(opened.name(), &out);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(again.error_message(), HasSubstr("recording step"));
  // An unknown category.
  auto category = Record(opened.name(), &out, "weather");
  EXPECT_EQ(category.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(category.error_message(), StartsWith("details.category: 'weather'"));
  EXPECT_EQ(Get(opened.name()).step(), v1::COMPLAINT_STEP_RECORDING);
  ASSERT_TRUE(Record(opened.name(), &out).ok());
  ASSERT_TRUE(Propose(opened.name(), true, &out).ok());
  // A satisfaction outside 1 to 5.
  auto satisfaction = FollowUp(opened.name(), 7, true, &out);
  EXPECT_EQ(satisfaction.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(satisfaction.error_message(), StartsWith("result.satisfaction"));
  EXPECT_EQ(Get(opened.name()).follow_ups_size(), 0);
  ASSERT_TRUE(FollowUp(opened.name(), 4, true, &out).ok());
  EXPECT_EQ(out.step(), v1::COMPLAINT_STEP_CLOSED);
  // Acting on a closed complaint.
  auto closed = FollowUp(opened.name(), 5, true, &out);
  EXPECT_EQ(closed.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(closed.error_message(), HasSubstr("closed"));
  // Unknown customer and complaint.
  v1::OpenComplaintRequest unknown;
  unknown.set_customer("customers/999");
  auto no_customer = complaints_->OpenComplaint(Context(kAgent1).get(), unknown, &out);
  EXPECT_EQ(no_customer.error_code(), grpc::StatusCode::NOT_FOUND);
  v1::GetComplaintRequest get;
  get.set_name("complaints/999");
  EXPECT_EQ(complaints_->GetComplaint(Context(kAgent1).get(), get, &out).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ComplaintTest, AFollowUpDueWhileTheServerWasDownIsDeliveredOnceAfterTheRestart) {
  const v1::Complaint opened = Open();
  v1::Complaint out;
  ASSERT_TRUE(Vent(opened.name(), &out).ok());
  ASSERT_TRUE(Record(opened.name(), &out).ok());
  ASSERT_TRUE(Propose(opened.name(), true, &out).ok());
  // A restart before the due time: nothing is delivered early.
  Restart();
  manual_->Advance(absl::Hours(47));
  Advance(absl::ZeroDuration());
  EXPECT_TRUE(Get(opened.name()).follow_up_contact().empty());
  // Down across the due time: delivered right after the restart, once.
  desk_->Shutdown();
  desk_.reset();
  manual_->Advance(absl::Hours(2));
  Start();
  Advance(absl::ZeroDuration());
  const v1::Complaint due = Get(opened.name());
  ASSERT_FALSE(due.follow_up_contact().empty());
  Restart();
  Advance(absl::Hours(1));
  const v1::Complaint after = Get(opened.name());
  EXPECT_EQ(after.follow_up_contact(), due.follow_up_contact());  // still the same task, not a second one
  int delivered = 0;
  for (const auto& entry : after.audit()) delivered += entry.action() == "follow_up_due";
  EXPECT_EQ(delivered, 1);
  v1::ListWaitingContactsRequest waiting;
  waiting.set_queue("queues/support");
  v1::ListWaitingContactsResponse listed;
  ASSERT_TRUE(contacts_->ListWaitingContacts(Context(kSupervisor).get(), waiting, &listed).ok());
  ASSERT_EQ(listed.contacts_size(), 1);
  EXPECT_EQ(listed.contacts(0).reference(), opened.name());
}

TEST_F(ComplaintTest, AnEscalationToAQueueLetsThatQueuesAgentsTakeTheComplaint) {
  const v1::Complaint opened = Open();
  v1::Complaint out;
  ASSERT_TRUE(Vent(opened.name(), &out).ok());
  ASSERT_TRUE(Record(opened.name(), &out).ok());
  v1::EscalateComplaintRequest escalate;
  escalate.set_complaint(opened.name());
  escalate.mutable_escalation()->set_to_queue("queues/nowhere");
  escalate.mutable_escalation()->set_reason("needs billing specialists");
  auto unknown = complaints_->EscalateComplaint(Context(kAgent1).get(), escalate, &out);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(unknown.error_message(), StartsWith("escalation.to_queue"));
  escalate.mutable_escalation()->set_to_queue("queues/support");
  ASSERT_TRUE(complaints_->EscalateComplaint(Context(kAgent1).get(), escalate, &out).ok());
  EXPECT_TRUE(out.owner().empty());
  EXPECT_TRUE(out.escalated());
  EXPECT_EQ(out.escalated_to_queue(), "queues/support");
  // An agent of that queue takes it by acting on it.
  v1::ProposeResolutionRequest propose;
  propose.set_complaint(opened.name());
  propose.mutable_proposal()->set_kind(v1::SOLUTION_KIND_APOLOGY);
  ASSERT_TRUE(complaints_->ProposeResolution(Context(kAgent2).get(), propose, &out).ok());
  EXPECT_EQ(out.owner(), "agents/a-2");
  auto first_agent = Propose(opened.name(), true, &out);
  EXPECT_EQ(first_agent.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(ComplaintTest, AFollowUpBeingWorkedWhenTheServerStopsIsDeliveredAgain) {
  const v1::Complaint opened = Open();
  v1::Complaint out;
  ASSERT_TRUE(Vent(opened.name(), &out).ok());
  ASSERT_TRUE(Record(opened.name(), &out).ok());
  ASSERT_TRUE(Propose(opened.name(), true, &out).ok());
  std::string first_task;
  {
    Session session(agents_.get(), kAgent1);
    ASSERT_EQ(session.NextState(), v1::AGENT_STATE_NOT_READY);
    SetReady(kAgent1);
    Advance(absl::Hours(48));
    auto offer = session.NextOffer();
    ASSERT_TRUE(offer.has_value());
    ASSERT_TRUE(Accept(kAgent1, offer->name()).ok());
    first_task = offer->contact();
    EXPECT_EQ(Get(opened.name()).owner(), "agents/a-1");
  }
  Restart();  // the call in progress is gone with the restart
  Advance(absl::ZeroDuration());
  const v1::Complaint after = Get(opened.name());
  ASSERT_FALSE(after.follow_up_contact().empty());
  EXPECT_NE(after.follow_up_contact(), first_task);
  int delivered = 0;
  for (const auto& entry : after.audit()) delivered += entry.action() == "follow_up_due";
  EXPECT_EQ(delivered, 2);
}

}  // namespace
}  // namespace servicedesk::server
