// Routing through a real servicedeskd (in-process) on a loopback port: agents' sessions
// as gRPC streams, contacts entered through ContactService, administration, restarts.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "services/server/desk_server.h"
#include "servicedesk/v1/customer.grpc.pb.h"
#include "servicedesk/v1/routing.grpc.pb.h"
#include "tests/support/agent_session.h"
#include "tests/support/grpc_context.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_config.h"

namespace servicedesk::server {
namespace {

using servicedesk::testing::Session;

using ::testing::HasSubstr;
using ::testing::StartsWith;
using namespace std::chrono_literals;

constexpr const char* kAgent1 = "agent-1-token-000001";
constexpr const char* kAgent2 = "agent-2-token-000001";
constexpr const char* kSupervisor = "supervisor-token-0001";
constexpr const char* kCti = "cti-token-0000000001";
constexpr const char* kAdmin = "admin-token-00000001";
constexpr const char* kUndefinedAgent = "agent-9-token-000001";  // agents/a-9: no definition

using servicedesk::testing::Context;

google::protobuf::Duration Seconds(double seconds) {
  google::protobuf::Duration d;
  d.set_seconds(static_cast<int64_t>(seconds));
  d.set_nanos(static_cast<int32_t>((seconds - static_cast<double>(d.seconds())) * 1e9));
  return d;
}

class RoutingTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(); }

  Config MakeConfig() {
    Config config = servicedesk::testing::LoopbackConfig(dir_.path());
    config.session_grace_seconds = 1;
    config.offer_reminder_seconds = reminder_seconds_;
    config.tokens = {{kAgent1, "agents/a-1", Role::kAgent},
                     {kAgent2, "agents/a-2", Role::kAgent},
                     {kSupervisor, "supervisors/s-1", Role::kSupervisor},
                     {kCti, "cti/pbx-1", Role::kCti},
                     {kAdmin, "admins/root", Role::kAdmin},
                     {kUndefinedAgent, "agents/a-9", Role::kAgent}};
    // Defined as the config file would define them.
    v1::Skill billing;
    billing.set_name("skills/billing");
    config.routing.skills.push_back(billing);
    v1::ReasonCode lunch;
    lunch.set_name("reasonCodes/lunch");
    config.routing.reason_codes.push_back(lunch);
    v1::Queue queue;
    queue.set_name("queues/billing");
    queue.add_channels(v1::CONTACT_CHANNEL_CALL);
    queue.add_channels(v1::CONTACT_CHANNEL_TICKET);
    auto* skill = queue.add_skills();
    skill->set_skill("skills/billing");
    *queue.mutable_offer_timeout() = Seconds(offer_timeout_seconds_);
    *queue.mutable_wrap_up() = Seconds(30);
    config.routing.queues.push_back(queue);
    for (const char* name : {"agents/a-1", "agents/a-2"}) {
      v1::Agent agent;
      agent.set_name(name);
      auto* s = agent.add_skills();
      s->set_skill("skills/billing");
      s->set_min_proficiency(5);
      config.routing.agents.push_back(agent);
    }
    return config;
  }

  void Start() { Start(MakeConfig()); }
  void Start(const Config& config) {
    auto desk = DeskServer::Start(config);
    ASSERT_TRUE(desk.ok()) << desk.status();
    desk_ = *std::move(desk);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(desk_->port()),
                                   grpc::InsecureChannelCredentials());
    agents_ = v1::AgentService::NewStub(channel_);
    contacts_ = v1::ContactService::NewStub(channel_);
    admin_ = v1::RoutingAdminService::NewStub(channel_);
    customers_ = v1::CustomerService::NewStub(channel_);
  }

  void Restart() {
    desk_->Shutdown();
    desk_.reset();
    Start();
  }

  v1::AgentStatus SetState(const char* token, v1::AgentState state, const std::string& reason = "",
                           grpc::Status* out = nullptr, const std::string& agent = "") {
    v1::SetStateRequest request;
    request.set_state(state);
    request.set_reason_code(reason);
    request.set_agent(agent);
    v1::AgentStatus status;
    auto result = agents_->SetState(Context(token).get(), request, &status);
    if (out != nullptr) {
      *out = result;
    } else {
      EXPECT_TRUE(result.ok()) << result.error_message();
    }
    return status;
  }

  v1::AgentStatus StatusOf(const std::string& agent) {
    v1::GetAgentStatusRequest request;
    request.set_agent(agent);
    v1::AgentStatus status;
    auto result = agents_->GetAgentStatus(Context(kSupervisor).get(), request, &status);
    EXPECT_TRUE(result.ok()) << result.error_message();
    return status;
  }

  v1::Contact Enqueue(int priority_adjust = 0, const std::string& customer = "",
                      const std::string& request_id = "", grpc::Status* out = nullptr,
                      const std::string& queue = "queues/billing") {
    v1::EnqueueContactRequest request;
    request.set_channel(v1::CONTACT_CHANNEL_CALL);
    request.set_queue(queue);
    request.set_priority_adjust(priority_adjust);
    request.set_customer(customer);
    request.set_request_id(request_id);
    v1::Contact contact;
    auto result = contacts_->EnqueueContact(Context(kCti).get(), request, &contact);
    if (out != nullptr) {
      *out = result;
    } else {
      EXPECT_TRUE(result.ok()) << result.error_message();
    }
    return contact;
  }

  std::vector<v1::Contact> Waiting(const std::string& queue = "queues/billing") {
    v1::ListWaitingContactsRequest request;
    request.set_queue(queue);
    v1::ListWaitingContactsResponse response;
    auto result = contacts_->ListWaitingContacts(Context(kSupervisor).get(), request, &response);
    EXPECT_TRUE(result.ok()) << result.error_message();
    return {response.contacts().begin(), response.contacts().end()};
  }

  // Connects and makes the agent READY.
  std::unique_ptr<Session> ReadyAgent(const char* token) {
    auto session = std::make_unique<Session>(agents_.get(), token);
    EXPECT_EQ(session->NextState(), v1::AGENT_STATE_NOT_READY);  // logged in
    SetState(token, v1::AGENT_STATE_READY);
    EXPECT_EQ(session->NextState(), v1::AGENT_STATE_READY);
    return session;
  }

  double offer_timeout_seconds_ = 15;
  int reminder_seconds_ = 0;
  servicedesk::testing::TempDir dir_;
  std::unique_ptr<DeskServer> desk_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AgentService::Stub> agents_;
  std::unique_ptr<v1::ContactService::Stub> contacts_;
  std::unique_ptr<v1::RoutingAdminService::Stub> admin_;
  std::unique_ptr<v1::CustomerService::Stub> customers_;
};

TEST_F(RoutingTest, ACallIsOfferedWithTheScreenPopAndRunsThroughWrapUp) {
  v1::CreateCustomerRequest create;
  create.mutable_customer()->set_kind(v1::CUSTOMER_KIND_INDIVIDUAL);
  create.mutable_customer()->set_display_name("Mia Keller");
  create.mutable_customer()->set_tier(v1::CUSTOMER_TIER_KEY_IMPORTANT);
  v1::Customer customer;
  ASSERT_TRUE(customers_->CreateCustomer(Context(kAdmin).get(), create, &customer).ok());

  auto session = ReadyAgent(kAgent1);
  const v1::Contact contact = Enqueue(0, customer.name());
  auto offer = session->NextOffer();
  ASSERT_TRUE(offer.has_value());
  EXPECT_EQ(offer->contact(), contact.name());
  EXPECT_EQ(offer->queue(), "queues/billing");
  EXPECT_EQ(offer->channel(), v1::CONTACT_CHANNEL_CALL);
  EXPECT_EQ(offer->screen_pop().customer().name(), customer.name());
  EXPECT_EQ(offer->screen_pop().customer().display_name(), "Mia Keller");
  EXPECT_EQ(StatusOf("agents/a-1").state(), v1::AGENT_STATE_RESERVED);

  v1::AcceptOfferRequest accept;
  accept.set_offer(offer->name());
  v1::AcceptOfferResponse first, second;
  ASSERT_TRUE(agents_->AcceptOffer(Context(kAgent1).get(), accept, &first).ok());
  EXPECT_EQ(first.contact(), contact.name());
  // A second accept is harmless and gives the same answer.
  ASSERT_TRUE(agents_->AcceptOffer(Context(kAgent1).get(), accept, &second).ok());
  EXPECT_EQ(second.SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(session->NextState(), v1::AGENT_STATE_BUSY);
  EXPECT_TRUE(Waiting().empty());

  v1::EndContactRequest end;
  end.set_contact(contact.name());
  v1::AgentStatus after_end;
  ASSERT_TRUE(agents_->EndContact(Context(kAgent1).get(), end, &after_end).ok());
  EXPECT_EQ(after_end.state(), v1::AGENT_STATE_WRAP_UP);
  EXPECT_EQ(after_end.contacts_handled(), 1);
  v1::AgentStatus after_wrap;
  ASSERT_TRUE(agents_->CompleteWrapUp(Context(kAgent1).get(), v1::CompleteWrapUpRequest(), &after_wrap).ok());
  EXPECT_EQ(after_wrap.state(), v1::AGENT_STATE_READY);

  v1::GetRoutingTraceRequest trace_request;
  trace_request.set_offer(offer->name());
  v1::RoutingTrace trace;
  ASSERT_TRUE(agents_->GetRoutingTrace(Context(kAgent1).get(), trace_request, &trace).ok());
  EXPECT_EQ(trace.agent(), "agents/a-1");
  EXPECT_FALSE(trace.rule().empty());
  EXPECT_FALSE(trace.candidates().empty());
  // Another agent does not read a colleague's traces.
  auto refused = agents_->GetRoutingTrace(Context(kAgent2).get(), trace_request, &trace);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(RoutingTest, ARejectedOfferGoesToTheNextAgentAndTheRejecterHearsOfIt) {
  auto first = ReadyAgent(kAgent1);
  const v1::Contact contact = Enqueue();
  auto offer = first->NextOffer();
  ASSERT_TRUE(offer.has_value());
  auto second = ReadyAgent(kAgent2);  // busy a-1 had it; a-2 is idle now

  v1::RejectOfferRequest reject;
  reject.set_offer(offer->name());
  v1::AgentStatus status;
  ASSERT_TRUE(agents_->RejectOffer(Context(kAgent1).get(), reject, &status).ok());
  EXPECT_EQ(status.consecutive_missed_offers(), 1);
  auto withdrawn = first->WaitFor([](const v1::AgentEvent& e) { return e.has_offer_withdrawn(); });
  ASSERT_TRUE(withdrawn.has_value());
  EXPECT_EQ(withdrawn->offer_withdrawn().state(), v1::OFFER_STATE_REJECTED);
  auto next = second->NextOffer();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->contact(), contact.name());

  // The rejected offer cannot be accepted any more: the error names its state.
  v1::AcceptOfferRequest late;
  late.set_offer(offer->name());
  v1::AcceptOfferResponse response;
  auto refused = agents_->AcceptOffer(Context(kAgent1).get(), late, &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(), HasSubstr("REJECTED"));
  // Nor by someone it was not made to.
  late.set_offer(next->name());
  EXPECT_EQ(agents_->AcceptOffer(Context(kAgent1).get(), late, &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

class ShortOfferRoutingTest : public RoutingTest {
 protected:
  void SetUp() override {
    offer_timeout_seconds_ = 0.5;
    RoutingTest::SetUp();
  }
};

TEST_F(ShortOfferRoutingTest, AnUnansweredOfferTimesOutAndTheContactWaitsAgain) {
  auto session = ReadyAgent(kAgent1);
  const v1::Contact contact = Enqueue();
  auto offer = session->NextOffer();
  ASSERT_TRUE(offer.has_value());
  auto withdrawn = session->WaitFor([](const v1::AgentEvent& e) { return e.has_offer_withdrawn(); });
  ASSERT_TRUE(withdrawn.has_value());
  EXPECT_EQ(withdrawn->offer_withdrawn().state(), v1::OFFER_STATE_TIMED_OUT);
  const auto waiting = Waiting();
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(waiting[0].name(), contact.name());
  EXPECT_EQ(waiting[0].enqueue_time().seconds(), contact.enqueue_time().seconds());
  EXPECT_EQ(waiting[0].enqueue_time().nanos(), contact.enqueue_time().nanos());

  v1::AcceptOfferRequest late;
  late.set_offer(offer->name());
  v1::AcceptOfferResponse response;
  auto refused = agents_->AcceptOffer(Context(kAgent1).get(), late, &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(), HasSubstr("TIMED_OUT"));
  EXPECT_EQ(StatusOf("agents/a-1").consecutive_missed_offers(), 1);
}

class ReminderRoutingTest : public RoutingTest {
 protected:
  void SetUp() override {
    offer_timeout_seconds_ = 1.5;
    reminder_seconds_ = 1;
    RoutingTest::SetUp();
  }
};

TEST_F(ReminderRoutingTest, ARingingOfferIsRemindedBeforeItTimesOut) {
  auto session = ReadyAgent(kAgent1);
  Enqueue();
  auto offer = session->NextOffer();
  ASSERT_TRUE(offer.has_value());
  auto reminder = session->WaitFor([](const v1::AgentEvent& e) { return e.has_reminder(); });
  ASSERT_TRUE(reminder.has_value());
  EXPECT_EQ(reminder->reminder().subject(), offer->name());
  EXPECT_THAT(reminder->reminder().text(), HasSubstr("times out in 1 s"));
  // Reminded before the timeout, which follows.
  auto withdrawn = session->WaitFor([](const v1::AgentEvent& e) { return e.has_offer_withdrawn(); });
  ASSERT_TRUE(withdrawn.has_value());
  EXPECT_EQ(withdrawn->offer_withdrawn().state(), v1::OFFER_STATE_TIMED_OUT);
}

TEST_F(RoutingTest, ALostSessionLogsTheAgentOutAfterTheGracePeriod) {
  auto session = ReadyAgent(kAgent1);
  session->Cancel();
  ASSERT_TRUE(session->Ended().has_value());
  // Within the grace period the agent is still there (a reconnect would keep them).
  EXPECT_NE(StatusOf("agents/a-1").state(), v1::AGENT_STATE_LOGGED_OUT);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (StatusOf("agents/a-1").state() != v1::AGENT_STATE_LOGGED_OUT &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(StatusOf("agents/a-1").state(), v1::AGENT_STATE_LOGGED_OUT);
  // A contact arriving now waits: nobody is offered it.
  Enqueue();
  EXPECT_EQ(Waiting().size(), 1u);
}

TEST_F(RoutingTest, AnAgentWhoLosesTheSessionOnACallGetsNoMoreWorkAndIsOutWhenItEnds) {
  auto session = ReadyAgent(kAgent1);
  const v1::Contact call = Enqueue();
  auto offer = session->NextOffer();
  ASSERT_TRUE(offer.has_value());
  v1::AcceptOfferRequest accept;
  accept.set_offer(offer->name());
  v1::AcceptOfferResponse accepted;
  ASSERT_TRUE(agents_->AcceptOffer(Context(kAgent1).get(), accept, &accepted).ok());
  session->Cancel();
  ASSERT_TRUE(session->Ended().has_value());
  // After the grace period the agent cannot be logged out (the call is live) but is asked out.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (StatusOf("agents/a-1").requested_reason() != "session lost" &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(StatusOf("agents/a-1").state(), v1::AGENT_STATE_BUSY);
  EXPECT_EQ(StatusOf("agents/a-1").requested_reason(), "session lost");
  Enqueue();
  EXPECT_EQ(Waiting().size(), 1u);  // not offered to the agent without a session
  // The supervisor ends the call for them: the agent is out, no ghost left behind.
  v1::EndContactRequest end;
  end.set_agent("agents/a-1");
  end.set_contact(call.name());
  v1::AgentStatus status;
  ASSERT_TRUE(agents_->EndContact(Context(kSupervisor).get(), end, &status).ok());
  EXPECT_EQ(status.state(), v1::AGENT_STATE_LOGGED_OUT);
}

TEST_F(RoutingTest, ASessionForAnUndefinedAgentIsRefused) {
  Session session(agents_.get(), kUndefinedAgent);
  auto ended = session.Ended();
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(ended->error_message(), StartsWith("agent:"));
  v1::ListAgentsResponse agents;
  ASSERT_TRUE(admin_->ListAgents(Context(kAdmin).get(), v1::ListAgentsRequest(), &agents).ok());
  EXPECT_EQ(agents.agents_size(), 2);  // nothing was created for it
}

TEST_F(RoutingTest, AnAbsurdTimeoutInTheConfigFileStopsTheStartWithTheFieldNamed) {
  desk_->Shutdown();
  desk_.reset();
  Config config = MakeConfig();
  *config.routing.queues[0].mutable_offer_timeout() = Seconds(-5);
  auto refused = DeskServer::Start(config);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("queue.offer_timeout:"));
  // The stored definitions are untouched: a good start afterwards has the old queue.
  Start();
  v1::ListQueuesResponse queues;
  ASSERT_TRUE(admin_->ListQueues(Context(kAdmin).get(), v1::ListQueuesRequest(), &queues).ok());
  ASSERT_EQ(queues.queues_size(), 1);
  EXPECT_EQ(queues.queues(0).offer_timeout().seconds(), 15);
}

TEST_F(RoutingTest, AContactWaitingWithAWidenedRequirementSurvivesTheWideningsRemoval) {
  desk_->Shutdown();
  desk_.reset();
  Config widening = MakeConfig();
  v1::Queue& billing = widening.routing.queues[0];
  *billing.mutable_max_wait() = Seconds(0.2);
  v1::SkillRequirement* wide = billing.add_widened_skills();
  wide->set_skill("skills/billing");
  wide->set_min_proficiency(1);
  billing.mutable_skills(0)->set_min_proficiency(9);  // nobody qualifies at first
  Start(widening);
  const v1::Contact contact = Enqueue();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  std::vector<v1::Contact> waiting;
  do {
    std::this_thread::sleep_for(50ms);
    waiting = Waiting();
  } while ((waiting.empty() || waiting[0].queue() != "queues/billing~widened") &&
           std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(waiting[0].queue(), "queues/billing~widened");  // overflowed, and listed

  // The widening is removed from the config while the desk is down: the caller is not
  // dropped but waits in the queue they came from, with the same enqueue time.
  desk_->Shutdown();
  desk_.reset();
  Start(MakeConfig());
  waiting = Waiting();
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(waiting[0].name(), contact.name());
  EXPECT_EQ(waiting[0].queue(), "queues/billing");
  EXPECT_EQ(waiting[0].enqueue_time().seconds(), contact.enqueue_time().seconds());
  EXPECT_EQ(waiting[0].enqueue_time().nanos(), contact.enqueue_time().nanos());
}

TEST_F(RoutingTest, ASecondSessionReplacesTheFirst) {
  auto first = ReadyAgent(kAgent1);
  Session second(agents_.get(), kAgent1);
  auto ended = first->Ended();
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->error_code(), grpc::StatusCode::ABORTED);
  // The agent stays logged in through the new session, beyond the grace period.
  std::this_thread::sleep_for(1500ms);
  EXPECT_NE(StatusOf("agents/a-1").state(), v1::AGENT_STATE_LOGGED_OUT);
}

TEST_F(RoutingTest, AgentsActOnlyForThemselvesAndBadStateChangesChangeNothing) {
  auto session = ReadyAgent(kAgent1);
  grpc::Status status;
  SetState(kAgent1, v1::AGENT_STATE_NOT_READY, "reasonCodes/lunch", &status, "agents/a-2");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  SetState(kAgent1, v1::AGENT_STATE_NOT_READY, "reasonCodes/nap", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("reason_code:"));
  SetState(kAgent1, v1::AGENT_STATE_NOT_READY, "", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  SetState(kAgent1, v1::AGENT_STATE_BUSY, "", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("state:"));
  EXPECT_EQ(StatusOf("agents/a-1").state(), v1::AGENT_STATE_READY);
  // a-2 has no session: it is logged out and cannot become ready.
  SetState(kAgent2, v1::AGENT_STATE_READY, "", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("LOGGED_OUT"));
  // A supervisor may act for an agent, but not for one who does not exist.
  SetState(kSupervisor, v1::AGENT_STATE_NOT_READY, "reasonCodes/lunch", &status, "agents/ghost");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  const auto changed = SetState(kSupervisor, v1::AGENT_STATE_NOT_READY, "reasonCodes/lunch", &status,
                                "agents/a-1");
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(changed.reason(), "reasonCodes/lunch");
  EXPECT_EQ(session->WaitFor([](const v1::AgentEvent& e) {
                       return e.has_status() && e.status().state() == v1::AGENT_STATE_NOT_READY;
                     })->status().reason(),
            "reasonCodes/lunch");
}

TEST_F(RoutingTest, EnqueueValidatesAndARetryWithTheSameRequestIdIsHarmless) {
  grpc::Status status;
  Enqueue(0, "", "", &status, "queues/nowhere");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), StartsWith("queue:"));
  Enqueue(0, "", "", &status, "billing");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  Enqueue(500, "", "", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("priority_adjust:"));
  v1::EnqueueContactRequest many;
  many.set_channel(v1::CONTACT_CHANNEL_CALL);
  many.set_queue("queues/billing");
  for (int i = 0; i < 101; ++i) many.add_extra_skills()->set_skill("skills/s" + std::to_string(i));
  v1::Contact refused;
  status = contacts_->EnqueueContact(Context(kCti).get(), many, &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("extra_skills: at most 100"));
  Enqueue(0, "customers/999999", "", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), StartsWith("customer:"));
  EXPECT_TRUE(Waiting().empty());

  const v1::Contact first = Enqueue(0, "", "pbx-call-42");
  const v1::Contact again = Enqueue(0, "", "pbx-call-42");
  EXPECT_EQ(again.name(), first.name());
  EXPECT_EQ(Waiting().size(), 1u);
  // Only the CTI, supervisors and admins put work into queues.
  v1::EnqueueContactRequest request;
  request.set_channel(v1::CONTACT_CHANNEL_CALL);
  request.set_queue("queues/billing");
  v1::Contact contact;
  EXPECT_EQ(contacts_->EnqueueContact(Context(kAgent1).get(), request, &contact).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(RoutingTest, AdministrationValidatesAndRefusesAbsurdTimeouts) {
  v1::Queue queue;
  queue.set_name("queues/tech");
  queue.add_skills()->set_skill("skills/tech");
  v1::Queue created;
  auto status = admin_->CreateQueue(Context(kAdmin).get(), queue, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), StartsWith("queue.skills[0].skill:"));

  v1::Skill tech;
  tech.set_name("skills/tech");
  v1::Skill skill;
  ASSERT_TRUE(admin_->CreateSkill(Context(kAdmin).get(), tech, &skill).ok());
  EXPECT_EQ(admin_->CreateSkill(Context(kAdmin).get(), tech, &skill).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);

  *queue.mutable_offer_timeout() = Seconds(-5);
  status = admin_->CreateQueue(Context(kAdmin).get(), queue, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("queue.offer_timeout:"));
  *queue.mutable_offer_timeout() = Seconds(86400 * 7);
  status = admin_->CreateQueue(Context(kAdmin).get(), queue, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::ListQueuesResponse queues;
  ASSERT_TRUE(admin_->ListQueues(Context(kAdmin).get(), v1::ListQueuesRequest(), &queues).ok());
  ASSERT_EQ(queues.queues_size(), 1);  // only billing: nothing was half-created

  *queue.mutable_offer_timeout() = Seconds(20);
  ASSERT_TRUE(admin_->CreateQueue(Context(kAdmin).get(), queue, &created).ok());
  EXPECT_EQ(admin_->CreateQueue(Context(kAdmin).get(), queue, &created).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  v1::Queue unknown;
  unknown.set_name("queues/none");
  EXPECT_EQ(admin_->UpdateQueue(Context(kAdmin).get(), unknown, &created).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // Administration is the admin's; agents may list.
  EXPECT_EQ(admin_->CreateSkill(Context(kAgent1).get(), tech, &skill).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::ListReasonCodesResponse codes;
  ASSERT_TRUE(admin_->ListReasonCodes(Context(kAgent1).get(), v1::ListReasonCodesRequest(), &codes).ok());
  ASSERT_EQ(codes.reason_codes_size(), 1);
  EXPECT_EQ(codes.reason_codes(0).name(), "reasonCodes/lunch");

  // An agent with the new skill joins the new queue, and it survives a restart.
  v1::Agent agent;
  agent.set_name("agents/a-3");
  auto* s = agent.add_skills();
  s->set_skill("skills/tech");
  s->set_min_proficiency(11);
  v1::Agent stored;
  status = admin_->CreateAgent(Context(kAdmin).get(), agent, &stored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("agent.skills[0].min_proficiency:"));
  s->set_min_proficiency(7);
  ASSERT_TRUE(admin_->CreateAgent(Context(kAdmin).get(), agent, &stored).ok());
  Restart();
  v1::ListAgentsResponse agents;
  ASSERT_TRUE(admin_->ListAgents(Context(kAdmin).get(), v1::ListAgentsRequest(), &agents).ok());
  ASSERT_EQ(agents.agents_size(), 3);
  EXPECT_EQ(agents.agents(2).name(), "agents/a-3");
  EXPECT_EQ(agents.agents(2).skills(0).min_proficiency(), 7);
  EXPECT_THAT(StatusOf("agents/a-3").queues(), ::testing::ElementsAre("queues/tech"));
}

TEST_F(RoutingTest, ARestartKeepsTheQueueOrderAndPutsAPendingOfferBack) {
  // Different priorities, so that the order is not simply the arrival order.
  std::vector<std::string> names;
  for (int adjust : {0, 20, -10, 20, 5}) {
    names.push_back(Enqueue(adjust).name());
    std::this_thread::sleep_for(2ms);
  }
  const auto before = Waiting();
  ASSERT_EQ(before.size(), 5u);
  EXPECT_EQ(before[0].name(), names[1]);  // +20, earlier
  EXPECT_EQ(before[1].name(), names[3]);  // +20
  EXPECT_EQ(before[4].name(), names[2]);  // -10

  // a-1 takes the best one as an offer and leaves it ringing through the restart.
  auto session = ReadyAgent(kAgent1);
  auto offer = session->NextOffer();
  ASSERT_TRUE(offer.has_value());
  EXPECT_EQ(offer->contact(), names[1]);
  session.reset();
  Restart();

  const auto after = Waiting();
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(after[i].name(), before[i].name()) << i;
    EXPECT_EQ(after[i].enqueue_time().seconds(), before[i].enqueue_time().seconds()) << i;
    EXPECT_EQ(after[i].enqueue_time().nanos(), before[i].enqueue_time().nanos()) << i;
    EXPECT_EQ(after[i].state(), "WAITING");
  }
  EXPECT_EQ(StatusOf("agents/a-1").state(), v1::AGENT_STATE_LOGGED_OUT);
  // Ids are not reused after the restart.
  const v1::Contact next = Enqueue();
  EXPECT_EQ(next.name(), "contacts/6");
}

}  // namespace
}  // namespace servicedesk::server
