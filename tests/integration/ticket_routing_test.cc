// Tickets through the routing engine, in a real servicedeskd (in-process) on a loopback port:
// offered like calls to agents with ticket capacity left, assigned on acceptance, picked and
// handed back, ended when solved or pending, raised in priority by an SLA breach, in place
// across a restart.

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "services/server/desk_server.h"
#include "servicedesk/v1/customer.grpc.pb.h"
#include "servicedesk/v1/routing.grpc.pb.h"
#include "servicedesk/v1/ticket.grpc.pb.h"
#include "storage/ticket_store.h"
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

using servicedesk::testing::Context;

class TicketRoutingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Start();
    v1::CreateCustomerRequest create;
    create.mutable_customer()->set_kind(v1::CUSTOMER_KIND_INDIVIDUAL);
    create.mutable_customer()->set_display_name("Ada Lovelace");
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
    // One queue takes both, so that "an agent on a call gets no ticket" is a real choice.
    v1::Queue support;
    support.set_name("queues/support");
    support.add_channels(v1::CONTACT_CHANNEL_CALL);
    support.add_channels(v1::CONTACT_CHANNEL_TICKET);
    support.mutable_wrap_up()->set_seconds(0);
    support.mutable_offer_timeout()->set_seconds(600);
    config.routing.queues.push_back(support);
    v1::Queue second;
    second.set_name("queues/returns");
    second.add_channels(v1::CONTACT_CHANNEL_TICKET);
    config.routing.queues.push_back(second);
    v1::Queue calls_only;
    calls_only.set_name("queues/hotline");
    calls_only.add_channels(v1::CONTACT_CHANNEL_CALL);
    config.routing.queues.push_back(calls_only);
    for (const char* name : {"agents/a-1", "agents/a-2"}) {
      v1::Agent agent;
      agent.set_name(name);
      agent.set_max_tickets(std::string(name) == "agents/a-1" ? 2 : 1);
      config.routing.agents.push_back(agent);
    }
    config.tickets.default_sla = {"", "", 60, 240, false, 75};
    config.tickets.breach_priority_boost = 25;
    auto desk = DeskServer::Start(config, clock_);
    ASSERT_TRUE(desk.ok()) << desk.status();
    desk_ = *std::move(desk);
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(desk_->port()),
                                       grpc::InsecureChannelCredentials());
    tickets_ = v1::TicketService::NewStub(channel);
    customers_ = v1::CustomerService::NewStub(channel);
    agents_ = v1::AgentService::NewStub(channel);
    contacts_ = v1::ContactService::NewStub(channel);
  }

  void Restart() {
    desk_->Shutdown();
    desk_.reset();
    Start();
  }

  v1::Ticket Create(const std::string& subject, const std::string& queue = "queues/support",
                    grpc::Status* out = nullptr) {
    v1::CreateTicketRequest request;
    request.mutable_ticket()->set_customer(customer_);
    request.mutable_ticket()->set_subject(subject);
    request.mutable_ticket()->set_queue(queue);
    v1::Ticket ticket;
    auto status = tickets_->CreateTicket(Context(kSupervisor).get(), request, &ticket);
    if (out != nullptr) {
      *out = status;
    } else {
      EXPECT_TRUE(status.ok()) << status.error_message();
    }
    return ticket;
  }

  v1::Ticket Get(const std::string& name) {
    v1::GetTicketRequest request;
    request.set_name(name);
    v1::Ticket ticket;
    auto status = tickets_->GetTicket(Context(kSupervisor).get(), request, &ticket);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return ticket;
  }

  grpc::Status Change(const char* token, const std::string& name, v1::TicketStatus to,
                      v1::PendingReason reason = v1::PENDING_REASON_UNSPECIFIED) {
    v1::ChangeStatusRequest request;
    request.set_ticket(name);
    request.set_status(to);
    request.set_pending_reason(reason);
    v1::Ticket out;
    return tickets_->ChangeStatus(Context(token).get(), request, &out);
  }

  grpc::Status Pick(const char* token, const std::string& name, v1::Ticket* out) {
    v1::PickTicketRequest request;
    request.set_ticket(name);
    return tickets_->PickTicket(Context(token).get(), request, out);
  }

  grpc::Status HandBack(const char* token, const std::string& name, v1::Ticket* out,
                        const std::string& reason = "") {
    v1::HandBackTicketRequest request;
    request.set_ticket(name);
    request.set_reason(reason);
    return tickets_->HandBackTicket(Context(token).get(), request, out);
  }

  v1::AgentStatus StatusOf(const std::string& agent) {
    v1::GetAgentStatusRequest request;
    request.set_agent(agent);
    v1::AgentStatus status;
    EXPECT_TRUE(agents_->GetAgentStatus(Context(kSupervisor).get(), request, &status).ok());
    return status;
  }

  void SetReady(const char* token) {
    v1::SetStateRequest request;
    request.set_state(v1::AGENT_STATE_READY);
    v1::AgentStatus status;
    auto result = agents_->SetState(Context(token).get(), request, &status);
    EXPECT_TRUE(result.ok()) << result.error_message();
  }

  std::unique_ptr<Session> Connect(const char* token) {
    auto session = std::make_unique<Session>(agents_.get(), token);
    EXPECT_EQ(session->NextState(), v1::AGENT_STATE_NOT_READY);  // logged in
    return session;
  }

  grpc::Status Accept(const char* token, const std::string& offer) {
    v1::AcceptOfferRequest request;
    request.set_offer(offer);
    v1::AcceptOfferResponse response;
    return agents_->AcceptOffer(Context(token).get(), request, &response);
  }

  std::vector<v1::Contact> Waiting(const std::string& queue = "queues/support") {
    v1::ListWaitingContactsRequest request;
    request.set_queue(queue);
    v1::ListWaitingContactsResponse response;
    EXPECT_TRUE(contacts_->ListWaitingContacts(Context(kSupervisor).get(), request, &response).ok());
    return {response.contacts().begin(), response.contacts().end()};
  }

  std::vector<v1::Interaction> History() {
    v1::ListInteractionsRequest request;
    request.set_parent(customer_);
    v1::ListInteractionsResponse response;
    EXPECT_TRUE(customers_->ListInteractions(Context(kSupervisor).get(), request, &response).ok());
    return {response.interactions().begin(), response.interactions().end()};
  }

  v1::CustomerContext Pop() {
    v1::GetCustomerContextRequest request;
    request.set_customer(customer_);
    v1::CustomerContext context;
    EXPECT_TRUE(customers_->GetCustomerContext(Context(kSupervisor).get(), request, &context).ok());
    return context;
  }

  const Clock* clock_ = nullptr;
  servicedesk::testing::TempDir dir_;
  std::unique_ptr<ManualClock> manual_;  // before the desk: its timers read it to the end
  std::unique_ptr<DeskServer> desk_;
  std::unique_ptr<v1::TicketService::Stub> tickets_;
  std::unique_ptr<v1::CustomerService::Stub> customers_;
  std::unique_ptr<v1::AgentService::Stub> agents_;
  std::unique_ptr<v1::ContactService::Stub> contacts_;
  std::string customer_;
};

TEST_F(TicketRoutingTest, ATicketGoesToTheAgentWithTicketCapacityLeftNotToTheAgentOnACall) {
  // a-2 takes a call first.
  auto second = Connect(kAgent2);
  SetReady(kAgent2);
  v1::EnqueueContactRequest call;
  call.set_channel(v1::CONTACT_CHANNEL_CALL);
  call.set_queue("queues/support");
  v1::Contact call_contact;
  ASSERT_TRUE(contacts_->EnqueueContact(Context(kCti).get(), call, &call_contact).ok());
  auto call_offer = second->NextOffer();
  ASSERT_TRUE(call_offer.has_value());
  ASSERT_TRUE(Accept(kAgent2, call_offer->name()).ok());
  ASSERT_EQ(StatusOf("agents/a-2").active_calls(), 1);

  // a-1 gets the first ticket and works it.
  auto first = Connect(kAgent1);
  SetReady(kAgent1);
  const v1::Ticket t1 = Create("Parcel never arrived");
  EXPECT_EQ(t1.contact_state(), "OFFERED");
  auto offer1 = first->NextOffer();
  ASSERT_TRUE(offer1.has_value());
  EXPECT_EQ(offer1->channel(), v1::CONTACT_CHANNEL_TICKET);
  EXPECT_EQ(offer1->reference(), t1.name());
  EXPECT_EQ(offer1->contact(), t1.contact());
  EXPECT_EQ(offer1->screen_pop().customer().name(), customer_);
  ASSERT_TRUE(Accept(kAgent1, offer1->name()).ok());
  v1::Ticket worked = Get(t1.name());
  EXPECT_EQ(worked.assignee(), "agents/a-1");
  EXPECT_EQ(worked.status(), v1::TICKET_STATUS_OPEN);  // accepted: no longer new
  EXPECT_EQ(worked.contact_state(), "CONNECTED");

  // While working it, a-1 has capacity for one more; a-2, on the call, gets none.
  const v1::Ticket t2 = Create("Wrong size delivered");
  auto offer2 = first->NextOffer();
  ASSERT_TRUE(offer2.has_value());
  EXPECT_EQ(offer2->reference(), t2.name());
  EXPECT_FALSE(second->NextOffer(300ms).has_value());
  ASSERT_TRUE(Accept(kAgent1, offer2->name()).ok());
  EXPECT_EQ(StatusOf("agents/a-1").active_tickets(), 2);

  // Both full now: the third waits, and goes to a-1 as soon as solving the first frees room.
  const v1::Ticket t3 = Create("Refund not received");
  EXPECT_EQ(Get(t3.name()).contact_state(), "WAITING");
  ASSERT_EQ(Waiting().size(), 1u);
  EXPECT_EQ(Waiting()[0].reference(), t3.name());
  EXPECT_EQ(Waiting()[0].channel(), v1::CONTACT_CHANNEL_TICKET);
  ASSERT_TRUE(Change(kAgent1, t1.name(), v1::TICKET_STATUS_SOLVED).ok());
  EXPECT_TRUE(Get(t1.name()).contact().empty());  // the agent's work on it ended with it
  auto offer3 = first->NextOffer();
  ASSERT_TRUE(offer3.has_value());
  EXPECT_EQ(offer3->reference(), t3.name());
  EXPECT_FALSE(second->NextOffer(300ms).has_value());

  // The history tells who took which ticket; the screen pop shows the open ones.
  bool assigned_entry = false;
  for (const auto& interaction : History()) {
    if (interaction.reference() == t1.name() && interaction.outcome() == "assigned") {
      assigned_entry = true;
      EXPECT_EQ(interaction.agent(), "agents/a-1");
      EXPECT_THAT(interaction.text(), HasSubstr("offer accepted"));
    }
  }
  EXPECT_TRUE(assigned_entry);
  const auto pop = Pop();
  std::vector<std::string> open;
  for (const auto& t : pop.open_tickets()) open.push_back(t.name());
  EXPECT_THAT(open, ::testing::UnorderedElementsAre(t2.name(), t3.name()));
}

TEST_F(TicketRoutingTest, AnAgentPicksATicketAndHandsItBackAndBadRequestsChangeNothing) {
  auto first = Connect(kAgent1);   // NOT_READY: offered nothing, may still pick
  auto second = Connect(kAgent2);  // NOT_READY
  const v1::Ticket ticket = Create("Password reset link expired");
  EXPECT_EQ(Get(ticket.name()).contact_state(), "WAITING");

  v1::Ticket picked;
  ASSERT_TRUE(Pick(kAgent1, ticket.name(), &picked).ok());
  EXPECT_EQ(picked.assignee(), "agents/a-1");
  EXPECT_EQ(picked.status(), v1::TICKET_STATUS_OPEN);
  EXPECT_EQ(picked.contact_state(), "CONNECTED");
  EXPECT_EQ(picked.contact(), ticket.contact());  // the waiting contact itself, not a copy
  EXPECT_TRUE(Waiting().empty());
  v1::AgentStatus status = StatusOf("agents/a-1");
  EXPECT_EQ(status.active_tickets(), 1);
  EXPECT_EQ(status.state(), v1::AGENT_STATE_BUSY);
  v1::Ticket again;
  ASSERT_TRUE(Pick(kAgent1, ticket.name(), &again).ok());  // a retry: harmless
  EXPECT_EQ(StatusOf("agents/a-1").active_tickets(), 1);

  // Someone else's ticket can be neither picked nor handed back.
  v1::Ticket refused;
  auto taken = Pick(kAgent2, ticket.name(), &refused);
  EXPECT_EQ(taken.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(taken.error_message(), HasSubstr("assigned to agents/a-1"));
  auto not_theirs = HandBack(kAgent2, ticket.name(), &refused);
  EXPECT_EQ(not_theirs.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(not_theirs.error_message(), HasSubstr("assigned to agents/a-1, not agents/a-2"));
  EXPECT_EQ(Get(ticket.name()).assignee(), "agents/a-1");

  // a-2 holds one ticket at most: a second pick is refused and the ticket stays waiting.
  const v1::Ticket other = Create("Invoice address wrong");
  const v1::Ticket third = Create("Coupon not applied");
  ASSERT_TRUE(Pick(kAgent2, other.name(), &picked).ok());
  const v1::Ticket before = Get(third.name());
  auto full = Pick(kAgent2, third.name(), &refused);
  EXPECT_EQ(full.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(full.error_message(), HasSubstr("no capacity for a ticket"));
  const v1::Ticket after = Get(third.name());
  EXPECT_EQ(after.SerializeAsString(), before.SerializeAsString());
  EXPECT_EQ(after.contact_state(), "WAITING");

  // Handed back: unassigned, waiting again; a-1 is free of it and NOT_READY as before.
  v1::Ticket back;
  ASSERT_TRUE(HandBack(kAgent1, ticket.name(), &back, "needs the billing team").ok());
  EXPECT_TRUE(back.assignee().empty());
  EXPECT_EQ(back.contact_state(), "WAITING");
  status = StatusOf("agents/a-1");
  EXPECT_EQ(status.active_tickets(), 0);
  EXPECT_EQ(status.state(), v1::AGENT_STATE_NOT_READY);
  bool handed_back_entry = false;
  for (const auto& interaction : History()) {
    if (interaction.reference() == ticket.name() && interaction.outcome() == "handed_back") {
      handed_back_entry = true;
      EXPECT_THAT(interaction.text(), HasSubstr("needs the billing team"));
    }
  }
  EXPECT_TRUE(handed_back_entry);

  // Pending ends the worker's contact; the ticket stays theirs and does not wait in a queue.
  ASSERT_TRUE(Change(kAgent2, other.name(), v1::TICKET_STATUS_PENDING, v1::PENDING_REASON_WAITING_ON_CUSTOMER).ok());
  EXPECT_EQ(StatusOf("agents/a-2").active_tickets(), 0);
  const v1::Ticket pending = Get(other.name());
  EXPECT_EQ(pending.assignee(), "agents/a-2");
  EXPECT_TRUE(pending.contact().empty());
  auto not_open = Pick(kAgent1, other.name(), &refused);
  EXPECT_EQ(not_open.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(not_open.error_message(), HasSubstr("is pending"));
}

TEST_F(TicketRoutingTest, AHandedBackTicketGoesToAColleagueNotBackToTheAgentWhoGaveItBack) {
  auto first = Connect(kAgent1);
  SetReady(kAgent1);
  const v1::Ticket ticket = Create("Needs a second opinion");
  auto offer = first->NextOffer();
  ASSERT_TRUE(offer.has_value());
  ASSERT_TRUE(Accept(kAgent1, offer->name()).ok());
  auto second = Connect(kAgent2);
  SetReady(kAgent2);
  v1::Ticket back;
  ASSERT_TRUE(HandBack(kAgent1, ticket.name(), &back).ok());
  // a-1 has room and served the customer last, yet the colleague gets it.
  auto offered = second->NextOffer();
  ASSERT_TRUE(offered.has_value());
  EXPECT_EQ(offered->reference(), ticket.name());
  EXPECT_FALSE(first->NextOffer(300ms).has_value());
  // A supervisor's pick for an agent of a ticket someone else holds is refused.
  v1::Ticket refused;
  ASSERT_TRUE(Accept(kAgent2, offered->name()).ok());
  v1::PickTicketRequest pick;
  pick.set_ticket(ticket.name());
  pick.set_agent("agents/a-1");
  auto taken = tickets_->PickTicket(Context(kSupervisor).get(), pick, &refused);
  EXPECT_EQ(taken.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(taken.error_message(), HasSubstr("assigned to agents/a-2"));
}

TEST_F(TicketRoutingTest, AQueueThatTakesNoTicketsIsRefusedNamingTheFieldAndNothingIsStored) {
  grpc::Status status;
  Create("Call me back", "queues/hotline", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("ticket.queue: 'queues/hotline' does not take tickets"));
  v1::ListTicketsRequest list;
  list.set_customer(customer_);
  v1::ListTicketsResponse response;
  ASSERT_TRUE(tickets_->ListTickets(Context(kSupervisor).get(), list, &response).ok());
  EXPECT_EQ(response.tickets_size(), 0);
  EXPECT_TRUE(Waiting("queues/hotline").empty());
}

TEST_F(TicketRoutingTest, AnUpdateMovesTheWaitingTicketOrWithdrawsItWhenAssignedByHand) {
  const v1::Ticket ticket = Create("Damaged item");
  const auto enqueued = Waiting()[0].enqueue_time();
  v1::UpdateTicketRequest update;
  update.mutable_ticket()->set_name(ticket.name());
  update.mutable_ticket()->set_queue("queues/returns");
  update.mutable_update_mask()->add_paths("queue");
  v1::Ticket moved;
  ASSERT_TRUE(tickets_->UpdateTicket(Context(kSupervisor).get(), update, &moved).ok());
  EXPECT_EQ(moved.contact(), ticket.contact());  // the same contact, moved
  EXPECT_TRUE(Waiting().empty());
  auto returns = Waiting("queues/returns");
  ASSERT_EQ(returns.size(), 1u);
  EXPECT_EQ(returns[0].enqueue_time().seconds(), enqueued.seconds());  // its place kept

  update.mutable_ticket()->set_assignee("agents/a-2");
  update.mutable_update_mask()->Clear();
  update.mutable_update_mask()->add_paths("assignee");
  v1::Ticket assigned;
  ASSERT_TRUE(tickets_->UpdateTicket(Context(kSupervisor).get(), update, &assigned).ok());
  EXPECT_TRUE(assigned.contact().empty());
  EXPECT_TRUE(Waiting("queues/returns").empty());
}

TEST_F(TicketRoutingTest, ABreachRaisesTheWaitingTicketsRoutingPriority) {
  manual_ = std::make_unique<ManualClock>(absl::FromUnixSeconds(1'900'000'000));
  clock_ = manual_.get();
  Restart();
  const v1::Ticket late = Create("Order stuck in customs");
  const double at_start = Waiting()[0].priority();
  manual_->Advance(absl::Minutes(61));  // past the 60-minute first response
  desk_->OnTicketDesk([](TicketDesk& desk) {
    desk.RunDueSla();
    return 0;
  });
  const v1::Ticket breached = Get(late.name());
  EXPECT_TRUE(breached.overdue());
  auto waiting = Waiting();
  ASSERT_EQ(waiting.size(), 1u);
  // 61 minutes of waiting are worth 61, the breach 25 more.
  EXPECT_NEAR(waiting[0].priority() - at_start, 61 + 25, 0.01);
  clock_ = nullptr;
}

TEST_F(TicketRoutingTest, WaitingTicketsKeepTheirPlaceAcrossARestartAndUnroutedOnesAreQueued) {
  const v1::Ticket t1 = Create("First in line");
  const v1::Ticket t2 = Create("Second in line");
  const v1::Ticket t3 = Create("Stored before tickets were routed", "");
  EXPECT_TRUE(t3.contact().empty());
  // A ticket's contact is not the supervisor's to take out: the ticket would wait nowhere.
  v1::AbandonContactRequest abandon;
  abandon.set_contact(t1.contact());
  v1::Contact abandoned;
  auto refused = contacts_->AbandonContact(Context(kSupervisor).get(), abandon, &abandoned);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(), HasSubstr(t1.name()));
  // As a data directory from before routed tickets holds it: a queue, no contact.
  desk_->OnTicketDesk([&](TicketDesk&) {
    storage::TicketStore store(desk_->database());
    uint64_t id = std::stoull(t3.name().substr(8));
    auto row = store.GetTicket(id);
    EXPECT_TRUE(row.ok());
    row->mutable_ticket()->set_queue("queues/support");
    rocksdb::WriteBatch batch;
    store.PutTicket(&batch, id, std::stoull(customer_.substr(10)), *row);
    EXPECT_TRUE(desk_->database()->db()->Write(desk_->database()->write_options(), &batch).ok());
    return 0;
  });
  const auto before = Waiting();
  ASSERT_EQ(before.size(), 2u);

  Restart();
  const auto after = Waiting();
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[0].name(), before[0].name());
  EXPECT_EQ(after[0].enqueue_time().seconds(), before[0].enqueue_time().seconds());
  EXPECT_EQ(after[1].name(), before[1].name());
  EXPECT_EQ(after[2].reference(), t3.name());  // queued at start, behind the others
  EXPECT_EQ(Get(t3.name()).contact(), after[2].name());

  auto first = Connect(kAgent1);
  SetReady(kAgent1);
  auto offer = first->NextOffer();
  ASSERT_TRUE(offer.has_value());
  EXPECT_EQ(offer->reference(), t1.name());
  ASSERT_TRUE(Accept(kAgent1, offer->name()).ok());
  // Worked when the server stops: after the restart it is still theirs, not being worked.
  Restart();
  const v1::Ticket kept = Get(t1.name());
  EXPECT_EQ(kept.assignee(), "agents/a-1");
  EXPECT_TRUE(kept.contact().empty());
  EXPECT_EQ(Waiting().size(), 2u);
}

}  // namespace
}  // namespace servicedesk::server
