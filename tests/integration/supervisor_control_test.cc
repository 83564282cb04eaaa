// Supervisors' controls through a real servicedeskd (in-process) on a loopback port: moving,
// offering and reprioritising waiting contacts, forcing an agent's state, logging an agent
// out, a contact's routing trace; each audited, each refusal changing nothing.

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "services/server/desk_server.h"
#include "servicedesk/v1/events.pb.h"
#include "servicedesk/v1/routing.grpc.pb.h"
#include "servicedesk/v1/supervisor.grpc.pb.h"
#include "tests/support/agent_session.h"
#include "tests/support/storage_snapshot.h"
#include "tests/support/grpc_context.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_config.h"

namespace servicedesk::server {
namespace {

using servicedesk::testing::Session;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr const char* kAgent1 = "agent-1-token-000001";
constexpr const char* kAgent2 = "agent-2-token-000001";
constexpr const char* kSupervisor = "supervisor-token-0001";
constexpr const char* kCti = "cti-token-0000000001";

using servicedesk::testing::Context;

class SupervisorControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Config config = servicedesk::testing::LoopbackConfig(dir_.path());
    config.tokens = {{kAgent1, "agents/a-1", Role::kAgent},
                     {kAgent2, "agents/a-2", Role::kAgent},
                     {kSupervisor, "supervisors/s-1", Role::kSupervisor},
                     {kCti, "cti/pbx-1", Role::kCti}};
    for (const char* name : {"skills/billing", "skills/sales", "skills/vip"}) {
      v1::Skill skill;
      skill.set_name(name);
      config.routing.skills.push_back(skill);
    }
    v1::ReasonCode lunch;
    lunch.set_name("reasonCodes/lunch");
    config.routing.reason_codes.push_back(lunch);
    for (const char* name : {"billing", "sales", "vip"}) {
      v1::Queue queue;
      queue.set_name(std::string("queues/") + name);
      queue.add_channels(v1::CONTACT_CHANNEL_CALL);
      queue.add_skills()->set_skill(std::string("skills/") + name);
      queue.mutable_offer_timeout()->set_seconds(600);
      config.routing.queues.push_back(queue);
    }
    v1::Agent a1;
    a1.set_name("agents/a-1");
    for (const char* skill : {"skills/billing", "skills/sales"}) {
      auto* s = a1.add_skills();
      s->set_skill(skill);
      s->set_min_proficiency(5);
    }
    config.routing.agents.push_back(a1);
    v1::Agent a2;
    a2.set_name("agents/a-2");
    auto* s = a2.add_skills();
    s->set_skill("skills/billing");
    s->set_min_proficiency(5);
    config.routing.agents.push_back(a2);
    auto desk = DeskServer::Start(config);
    ASSERT_TRUE(desk.ok()) << desk.status();
    desk_ = *std::move(desk);
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(desk_->port()),
                                       grpc::InsecureChannelCredentials());
    supervisor_ = v1::SupervisorService::NewStub(channel);
    agents_ = v1::AgentService::NewStub(channel);
    contacts_ = v1::ContactService::NewStub(channel);
  }

  v1::Contact Enqueue(const std::string& queue = "queues/billing") {
    v1::EnqueueContactRequest request;
    request.set_channel(v1::CONTACT_CHANNEL_CALL);
    request.set_queue(queue);
    v1::Contact contact;
    EXPECT_TRUE(contacts_->EnqueueContact(Context(kCti).get(), request, &contact).ok());
    return contact;
  }

  std::vector<v1::Contact> Waiting(const std::string& queue) {
    v1::ListWaitingContactsRequest request;
    request.set_queue(queue);
    v1::ListWaitingContactsResponse response;
    EXPECT_TRUE(contacts_->ListWaitingContacts(Context(kSupervisor).get(), request, &response).ok());
    return {response.contacts().begin(), response.contacts().end()};
  }

  // The audit events written so far.
  std::vector<v1::Event> Audit() {
    std::vector<v1::Event> out;
    for (const auto& [key, value] : servicedesk::testing::SnapshotAll(desk_->database())) {
      if (!key.starts_with("events/")) continue;
      v1::Event event;
      if (event.ParseFromString(value) && event.has_supervisor_controlled()) out.push_back(event);
    }
    return out;
  }

  servicedesk::testing::TempDir dir_;
  std::unique_ptr<DeskServer> desk_;
  std::unique_ptr<v1::SupervisorService::Stub> supervisor_;
  std::unique_ptr<v1::AgentService::Stub> agents_;
  std::unique_ptr<v1::ContactService::Stub> contacts_;
};

TEST_F(SupervisorControlTest, AWaitingContactMovesKeepingItsPlaceAndAnUnservableMoveIsRefused) {
  const v1::Contact call = Enqueue();
  v1::MoveContactRequest move;
  move.set_contact(call.name());
  move.set_queue("queues/vip");  // nobody has the vip skill
  v1::Contact moved;
  const auto before = servicedesk::testing::SnapshotAll(desk_->database());
  auto refused = supervisor_->MoveContact(Context(kSupervisor).get(), move, &moved);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(), HasSubstr("no agent could serve"));
  EXPECT_EQ(servicedesk::testing::SnapshotAll(desk_->database()), before);  // nothing written
  // Not a supervisor: refused.
  move.set_queue("queues/sales");
  auto agent = supervisor_->MoveContact(Context(kAgent1).get(), move, &moved);
  EXPECT_EQ(agent.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // Unknown contact and queue.
  v1::MoveContactRequest unknown = move;
  unknown.set_contact("contacts/999");
  EXPECT_EQ(supervisor_->MoveContact(Context(kSupervisor).get(), unknown, &moved).error_code(),
            grpc::StatusCode::NOT_FOUND);
  unknown = move;
  unknown.set_queue("queues/nowhere");
  EXPECT_EQ(supervisor_->MoveContact(Context(kSupervisor).get(), unknown, &moved).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(Audit().empty());

  move.set_reason("sales handles upgrades");
  ASSERT_TRUE(supervisor_->MoveContact(Context(kSupervisor).get(), move, &moved).ok());
  EXPECT_EQ(moved.queue(), "queues/sales");
  EXPECT_TRUE(Waiting("queues/billing").empty());
  ASSERT_EQ(Waiting("queues/sales").size(), 1u);
  EXPECT_EQ(Waiting("queues/sales")[0].name(), call.name());
  EXPECT_EQ(Waiting("queues/sales")[0].enqueue_time().seconds(), call.enqueue_time().seconds());
  const auto audit = Audit();
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].principal(), "supervisors/s-1");
  EXPECT_EQ(audit[0].supervisor_controlled().control(), "move_contact");
  EXPECT_EQ(audit[0].supervisor_controlled().target(), call.name());
  EXPECT_EQ(audit[0].supervisor_controlled().detail(), "from queues/billing to queues/sales");
  EXPECT_EQ(audit[0].supervisor_controlled().reason(), "sales handles upgrades");
}

TEST_F(SupervisorControlTest, APriorityChangeReordersTheQueue) {
  const v1::Contact first = Enqueue();
  const v1::Contact second = Enqueue();
  ASSERT_EQ(Waiting("queues/billing")[0].name(), first.name());
  v1::SetContactPriorityRequest request;
  request.set_contact(second.name());
  request.set_priority_adjust(50);
  v1::Contact changed;
  ASSERT_TRUE(supervisor_->SetContactPriority(Context(kSupervisor).get(), request, &changed).ok());
  EXPECT_EQ(Waiting("queues/billing")[0].name(), second.name());
  request.set_priority_adjust(101);
  auto out_of_range = supervisor_->SetContactPriority(Context(kSupervisor).get(), request, &changed);
  EXPECT_EQ(out_of_range.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(out_of_range.error_message(), HasSubstr("priority_adjust"));
}

TEST_F(SupervisorControlTest, AContactDeclinedByAnAgentIsOfferedToThemByTheSupervisorWithItsTrace) {
  Session first(agents_.get(), kAgent1);
  ASSERT_EQ(first.NextState(), v1::AGENT_STATE_NOT_READY);
  v1::ForceAgentStateRequest force;
  force.set_agent("agents/a-1");
  force.set_state(v1::AGENT_STATE_READY);
  v1::AgentStatus status;
  ASSERT_TRUE(supervisor_->ForceAgentState(Context(kSupervisor).get(), force, &status).ok());
  EXPECT_EQ(status.state(), v1::AGENT_STATE_READY);
  const v1::Contact call = Enqueue();
  auto offer = first.NextOffer();
  ASSERT_TRUE(offer.has_value());
  v1::RejectOfferRequest reject;
  reject.set_offer(offer->name());
  ASSERT_TRUE(agents_->RejectOffer(Context(kAgent1).get(), reject, &status).ok());
  ASSERT_EQ(Waiting("queues/billing").size(), 1u);  // a-1 declined it: it waits out the back-off

  v1::OfferContactRequest request;
  request.set_contact(call.name());
  request.set_agent("agents/a-2");  // not logged in
  v1::Contact offered;
  auto absent = supervisor_->OfferContact(Context(kSupervisor).get(), request, &offered);
  EXPECT_EQ(absent.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(absent.error_message(), HasSubstr("LOGGED_OUT"));
  request.set_agent("agents/a-9");
  EXPECT_EQ(supervisor_->OfferContact(Context(kSupervisor).get(), request, &offered).error_code(),
            grpc::StatusCode::NOT_FOUND);
  request.set_agent("agents/a-1");
  ASSERT_TRUE(supervisor_->OfferContact(Context(kSupervisor).get(), request, &offered).ok());
  auto again = first.NextOffer();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->contact(), call.name());

  v1::GetContactTraceRequest trace_request;
  trace_request.set_contact(call.name());
  v1::RoutingTrace trace;
  ASSERT_TRUE(supervisor_->GetContactTrace(Context(kSupervisor).get(), trace_request, &trace).ok());
  EXPECT_EQ(trace.rule(), "offered by a supervisor");
  EXPECT_EQ(trace.agent(), "agents/a-1");
  std::vector<std::string> controls;
  for (const auto& event : Audit()) controls.push_back(event.supervisor_controlled().control());
  EXPECT_EQ(controls, (std::vector<std::string>{"force_agent_state", "offer_contact"}));
}

TEST_F(SupervisorControlTest, ForcedStatesAndALogOutReachTheAgentsSession) {
  Session session(agents_.get(), kAgent2);
  ASSERT_EQ(session.NextState(), v1::AGENT_STATE_NOT_READY);
  v1::ForceAgentStateRequest force;
  force.set_agent("agents/a-2");
  force.set_state(v1::AGENT_STATE_NOT_READY);
  force.set_reason_code("reasonCodes/coffee");
  v1::AgentStatus status;
  auto unknown_reason = supervisor_->ForceAgentState(Context(kSupervisor).get(), force, &status);
  EXPECT_EQ(unknown_reason.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(unknown_reason.error_message(), HasSubstr("reason_code"));
  force.set_reason_code("reasonCodes/lunch");
  ASSERT_TRUE(supervisor_->ForceAgentState(Context(kSupervisor).get(), force, &status).ok());
  EXPECT_EQ(status.reason(), "reasonCodes/lunch");
  auto seen = session.WaitFor([](const v1::AgentEvent& e) {
    return e.has_status() && e.status().reason() == "reasonCodes/lunch";
  });
  EXPECT_TRUE(seen.has_value());

  v1::LogOutAgentRequest logout;
  logout.set_agent("agents/a-2");
  logout.set_reason("end of shift");
  ASSERT_TRUE(supervisor_->LogOutAgent(Context(kSupervisor).get(), logout, &status).ok());
  EXPECT_EQ(status.state(), v1::AGENT_STATE_LOGGED_OUT);
  EXPECT_TRUE(session.Ended().has_value());  // the session stream ends
  logout.set_agent("agents/a-9");
  EXPECT_EQ(supervisor_->LogOutAgent(Context(kSupervisor).get(), logout, &status).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace servicedesk::server
