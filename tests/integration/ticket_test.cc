// Tickets through a real servicedeskd (in-process) on a loopback port: the lifecycle, the
// customer's history and screen pop, bad input that changes nothing, reopening, restarts.

#include <gmock/gmock.h>

#include "absl/strings/match.h"
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "services/server/desk_server.h"
#include "servicedesk/v1/customer.grpc.pb.h"
#include "servicedesk/v1/ticket.grpc.pb.h"
#include "tests/support/grpc_context.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_config.h"

namespace servicedesk::server {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using namespace std::chrono_literals;

constexpr const char* kAgent = "agent-1-token-000001";
constexpr const char* kCti = "pbx-1-token-00000001";

using servicedesk::testing::Context;

class TicketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Start();
    v1::CreateCustomerRequest create;
    create.mutable_customer()->set_kind(v1::CUSTOMER_KIND_INDIVIDUAL);
    create.mutable_customer()->set_display_name("Grace Hopper");
    v1::Customer customer;
    ASSERT_TRUE(customers_->CreateCustomer(Context(kAgent).get(), create, &customer).ok());
    customer_ = customer.name();
  }

  void Start() {
    Config config = servicedesk::testing::LoopbackConfig(dir_.path());
    config.tokens = {{kAgent, "agents/a-1", Role::kAgent}, {kCti, "cti/pbx-1", Role::kCti}};
    v1::Queue queue;
    queue.set_name("queues/billing");
    queue.add_channels(v1::CONTACT_CHANNEL_TICKET);
    config.routing.queues.push_back(queue);
    v1::Agent agent;
    agent.set_name("agents/a-1");
    config.routing.agents.push_back(agent);
    config.tickets.reopen_days = 7;
    // Calendar time here (business hours are tested in the core): 1 h to the first
    // response, 4 h to resolution, the warning at 75 %; urgent tickets: 30 min and 90 min.
    config.tickets.default_sla = {"", "", 60, 240, false, 75};
    config.tickets.sla = {{"urgent", "", 30, 90, false, 75}};
    auto desk = DeskServer::Start(config, clock_);
    ASSERT_TRUE(desk.ok()) << desk.status();
    desk_ = *std::move(desk);
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(desk_->port()),
                                       grpc::InsecureChannelCredentials());
    tickets_ = v1::TicketService::NewStub(channel);
    customers_ = v1::CustomerService::NewStub(channel);
  }

  void Restart() {
    desk_->Shutdown();
    desk_.reset();
    Start();
  }

  v1::CreateTicketRequest NewTicket(const std::string& subject = "Invoice charged twice") {
    v1::CreateTicketRequest request;
    auto* ticket = request.mutable_ticket();
    ticket->set_customer(customer_);
    ticket->set_subject(subject);
    ticket->set_description("The March invoice was charged twice to my card.");
    ticket->set_channel(v1::INTERACTION_CHANNEL_EMAIL);
    ticket->set_priority(v1::TICKET_PRIORITY_HIGH);
    ticket->set_queue("queues/billing");
    ticket->add_tags("billing");
    (*ticket->mutable_custom_fields())["invoice"] = "2026-03-118";
    return request;
  }

  v1::Ticket Create(const v1::CreateTicketRequest& request) {
    v1::Ticket ticket;
    auto status = tickets_->CreateTicket(Context(kAgent).get(), request, &ticket);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return ticket;
  }

  grpc::Status Change(const std::string& name, v1::TicketStatus to, v1::Ticket* out,
                      v1::PendingReason reason = v1::PENDING_REASON_UNSPECIFIED) {
    v1::ChangeStatusRequest request;
    request.set_ticket(name);
    request.set_status(to);
    request.set_pending_reason(reason);
    return tickets_->ChangeStatus(Context(kAgent).get(), request, out);
  }

  v1::Ticket Get(const std::string& name) {
    v1::GetTicketRequest request;
    request.set_name(name);
    v1::Ticket ticket;
    EXPECT_TRUE(tickets_->GetTicket(Context(kAgent).get(), request, &ticket).ok());
    return ticket;
  }

  v1::CustomerContext Pop() {
    v1::GetCustomerContextRequest request;
    request.set_customer(customer_);
    v1::CustomerContext context;
    EXPECT_TRUE(customers_->GetCustomerContext(Context(kAgent).get(), request, &context).ok());
    return context;
  }

  std::vector<v1::Interaction> History() {
    v1::ListInteractionsRequest request;
    request.set_parent(customer_);
    v1::ListInteractionsResponse response;
    EXPECT_TRUE(customers_->ListInteractions(Context(kAgent).get(), request, &response).ok());
    return {response.interactions().begin(), response.interactions().end()};
  }

  const Clock* clock_ = nullptr;
  servicedesk::testing::TempDir dir_;
  // Declared before the desk, so destroyed after it: its timers may read the clock to the end.
  std::unique_ptr<ManualClock> manual_;
  std::unique_ptr<DeskServer> desk_;
  std::unique_ptr<v1::TicketService::Stub> tickets_;
  std::unique_ptr<v1::CustomerService::Stub> customers_;
  std::string customer_;
};

TEST_F(TicketTest, ATicketIsCreatedWorkedAndSolvedAndTheHistoryAndScreenPopFollowIt) {
  const v1::Ticket created = Create(NewTicket());
  EXPECT_THAT(created.name(), StartsWith("tickets/"));
  EXPECT_EQ(created.status(), v1::TICKET_STATUS_NEW);
  EXPECT_EQ(created.custom_fields().at("invoice"), "2026-03-118");
  auto pop = Pop();
  ASSERT_EQ(pop.open_tickets_size(), 1);
  EXPECT_EQ(pop.open_tickets(0).name(), created.name());
  EXPECT_EQ(pop.open_tickets(0).status(), "new");
  EXPECT_EQ(pop.recent_interactions(0).reference(), created.name());

  v1::Ticket ticket;
  ASSERT_TRUE(Change(created.name(), v1::TICKET_STATUS_OPEN, &ticket).ok());
  ASSERT_TRUE(Change(created.name(), v1::TICKET_STATUS_PENDING, &ticket,
                     v1::PENDING_REASON_WAITING_ON_CUSTOMER)
                  .ok());
  EXPECT_EQ(ticket.pending_reason(), v1::PENDING_REASON_WAITING_ON_CUSTOMER);
  v1::AddCommentRequest comment;
  comment.set_ticket(created.name());
  comment.mutable_comment()->set_body("Refund issued, reference R-77.");
  comment.mutable_comment()->set_public_(true);
  v1::TicketComment added;
  ASSERT_TRUE(tickets_->AddComment(Context(kAgent).get(), comment, &added).ok());
  EXPECT_EQ(added.author(), "agents/a-1");
  ASSERT_TRUE(Change(created.name(), v1::TICKET_STATUS_SOLVED, &ticket).ok());
  EXPECT_TRUE(ticket.has_solved_time());
  EXPECT_EQ(ticket.comment_count(), 1);

  // Solved: gone from the screen pop's open tickets; every step is in the history.
  EXPECT_EQ(Pop().open_tickets_size(), 0);
  const auto history = History();
  ASSERT_EQ(history.size(), 5u);  // created, open, pending, comment, solved
  for (const auto& entry : history) {
    EXPECT_EQ(entry.channel(), v1::INTERACTION_CHANNEL_TICKET);
    EXPECT_EQ(entry.reference(), created.name());
  }
  EXPECT_THAT(history[0].text(), HasSubstr("pending -> solved"));
  // And all of it survives a restart.
  Restart();
  EXPECT_EQ(Get(created.name()).status(), v1::TICKET_STATUS_SOLVED);
  v1::ListCommentsRequest list;
  list.set_ticket(created.name());
  v1::ListCommentsResponse comments;
  ASSERT_TRUE(tickets_->ListComments(Context(kAgent).get(), list, &comments).ok());
  ASSERT_EQ(comments.comments_size(), 1);
  EXPECT_EQ(comments.comments(0).body(), "Refund issued, reference R-77.");
}

TEST_F(TicketTest, AForbiddenTransitionNamesBothStatusesAndChangesNothing) {
  const v1::Ticket created = Create(NewTicket());
  v1::Ticket ticket;
  ASSERT_TRUE(Change(created.name(), v1::TICKET_STATUS_SOLVED, &ticket).ok());
  ASSERT_TRUE(Change(created.name(), v1::TICKET_STATUS_CLOSED, &ticket).ok());
  const size_t before = History().size();
  auto refused = Change(created.name(), v1::TICKET_STATUS_PENDING, &ticket,
                        v1::PENDING_REASON_WAITING_ON_THIRD_PARTY);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(), StartsWith("status:"));
  EXPECT_THAT(refused.error_message(), HasSubstr("closed"));
  EXPECT_THAT(refused.error_message(), HasSubstr("pending"));
  // Pending without its reason.
  const v1::Ticket other = Create(NewTicket("Second"));
  refused = Change(other.name(), v1::TICKET_STATUS_PENDING, &ticket);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), StartsWith("pending_reason:"));
  EXPECT_EQ(Get(created.name()).status(), v1::TICKET_STATUS_CLOSED);
  EXPECT_EQ(Get(other.name()).status(), v1::TICKET_STATUS_NEW);
  EXPECT_EQ(History().size(), before + 1);  // only the second ticket's creation
}

TEST_F(TicketTest, BadInputIsRefusedNamingTheFieldAndNothingIsStored) {
  struct Case {
    std::function<void(v1::CreateTicketRequest*)> spoil;
    grpc::StatusCode code;
    std::string message_start;
  };
  const std::vector<Case> cases = {
      {[](auto* r) { r->mutable_ticket()->set_customer("customers/999"); }, grpc::StatusCode::NOT_FOUND,
       "ticket.customer:"},
      {[](auto* r) { r->mutable_ticket()->set_customer("nobody"); }, grpc::StatusCode::INVALID_ARGUMENT,
       "ticket.customer:"},
      {[](auto* r) { r->mutable_ticket()->set_queue("queues/nowhere"); }, grpc::StatusCode::NOT_FOUND,
       "ticket.queue:"},
      {[](auto* r) { r->mutable_ticket()->set_assignee("agents/ghost"); }, grpc::StatusCode::NOT_FOUND,
       "ticket.assignee:"},
      {[](auto* r) { r->mutable_ticket()->clear_subject(); }, grpc::StatusCode::INVALID_ARGUMENT,
       "ticket.subject:"},
      {[](auto* r) { r->mutable_ticket()->set_description(std::string(20001, 'x')); },
       grpc::StatusCode::INVALID_ARGUMENT, "ticket.description:"},
      {[](auto* r) {
         for (int i = 0; i < 51; ++i) (*r->mutable_ticket()->mutable_custom_fields())["f" + std::to_string(i)] = "v";
       },
       grpc::StatusCode::INVALID_ARGUMENT, "ticket.custom_fields:"},
      {[](auto* r) { r->mutable_ticket()->set_status(v1::TICKET_STATUS_SOLVED); },
       grpc::StatusCode::INVALID_ARGUMENT, "ticket.status:"},
  };
  for (const auto& c : cases) {
    v1::CreateTicketRequest request = NewTicket();
    c.spoil(&request);
    v1::Ticket ticket;
    auto status = tickets_->CreateTicket(Context(kAgent).get(), request, &ticket);
    EXPECT_EQ(status.error_code(), c.code) << status.error_message();
    EXPECT_THAT(status.error_message(), StartsWith(c.message_start));
  }
  v1::ListTicketsRequest list;
  v1::ListTicketsResponse response;
  ASSERT_TRUE(tickets_->ListTickets(Context(kAgent).get(), list, &response).ok());
  EXPECT_EQ(response.tickets_size(), 0);
  EXPECT_TRUE(History().empty());

  // An update naming a read-only field.
  const v1::Ticket created = Create(NewTicket());
  v1::UpdateTicketRequest update;
  update.mutable_ticket()->set_name(created.name());
  update.mutable_ticket()->set_status(v1::TICKET_STATUS_CLOSED);
  update.mutable_update_mask()->add_paths("status");
  v1::Ticket updated;
  auto refused = tickets_->UpdateTicket(Context(kAgent).get(), update, &updated);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), StartsWith("update_mask:"));
  EXPECT_EQ(Get(created.name()).status(), v1::TICKET_STATUS_NEW);
  // A CTI principal has no business with tickets.
  v1::Ticket ticket;
  EXPECT_EQ(tickets_->CreateTicket(Context(kCti).get(), NewTicket(), &ticket).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(TicketTest, AnUpdateChangesTheNamedFieldsOnlyAndARepeatedCreateIsTheSameTicket) {
  v1::CreateTicketRequest request = NewTicket();
  request.set_request_id("mail-4711");
  const v1::Ticket created = Create(request);
  EXPECT_EQ(Create(request).name(), created.name());
  v1::UpdateTicketRequest update;
  update.mutable_ticket()->set_name(created.name());
  update.mutable_ticket()->set_priority(v1::TICKET_PRIORITY_URGENT);
  update.mutable_ticket()->set_subject("ignored: not in the mask");
  update.mutable_ticket()->set_assignee("agents/a-1");
  update.mutable_update_mask()->add_paths("priority");
  update.mutable_update_mask()->add_paths("assignee");
  v1::Ticket updated;
  ASSERT_TRUE(tickets_->UpdateTicket(Context(kAgent).get(), update, &updated).ok());
  EXPECT_EQ(updated.priority(), v1::TICKET_PRIORITY_URGENT);
  EXPECT_EQ(updated.assignee(), "agents/a-1");
  EXPECT_EQ(updated.subject(), created.subject());

  v1::ListTicketsRequest list;
  list.set_assignee("agents/a-1");
  v1::ListTicketsResponse response;
  ASSERT_TRUE(tickets_->ListTickets(Context(kAgent).get(), list, &response).ok());
  ASSERT_EQ(response.tickets_size(), 1);
  EXPECT_EQ(response.tickets(0).name(), created.name());
}

TEST_F(TicketTest, ListsArePagedNewestFirstAndFilteredByCustomerAndStatus) {
  std::vector<std::string> names;
  for (int i = 0; i < 7; ++i) names.push_back(Create(NewTicket("T" + std::to_string(i))).name());
  v1::Ticket ticket;
  ASSERT_TRUE(Change(names[2], v1::TICKET_STATUS_SOLVED, &ticket).ok());
  for (const bool by_customer : {false, true}) {
    std::vector<std::string> seen;
    v1::ListTicketsRequest list;
    if (by_customer) list.set_customer(customer_);
    list.set_page_size(3);
    for (int page = 0; page < 5; ++page) {
      v1::ListTicketsResponse response;
      ASSERT_TRUE(tickets_->ListTickets(Context(kAgent).get(), list, &response).ok());
      for (const auto& t : response.tickets()) seen.push_back(t.name());
      if (response.next_page_token().empty()) break;
      list.set_page_token(response.next_page_token());
    }
    EXPECT_EQ(seen, std::vector<std::string>(names.rbegin(), names.rend())) << by_customer;
  }
  v1::ListTicketsRequest open;
  open.set_customer(customer_);
  open.set_open_only(true);
  v1::ListTicketsResponse response;
  ASSERT_TRUE(tickets_->ListTickets(Context(kAgent).get(), open, &response).ok());
  EXPECT_EQ(response.tickets_size(), 6);
  // A token of one listing is refused by another.
  v1::ListTicketsRequest first;
  first.set_page_size(1);
  ASSERT_TRUE(tickets_->ListTickets(Context(kAgent).get(), first, &response).ok());
  v1::ListTicketsRequest other;
  other.set_customer(customer_);
  other.set_page_token(response.next_page_token());
  auto refused = tickets_->ListTickets(Context(kAgent).get(), other, &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), StartsWith("page_token"));
}

TEST_F(TicketTest, ASolvedTicketReopensWithinTheWindowAndLaterANewLinkedTicketIsOpened) {
  manual_ = std::make_unique<ManualClock>(absl::Now());
  ManualClock& clock = *manual_;
  clock_ = &clock;
  Restart();
  const v1::Ticket first = Create(NewTicket());
  v1::Ticket ticket;
  ASSERT_TRUE(Change(first.name(), v1::TICKET_STATUS_SOLVED, &ticket).ok());
  clock.Advance(absl::Hours(24 * 7));  // exactly at the end of the window: reopened
  ASSERT_TRUE(Change(first.name(), v1::TICKET_STATUS_OPEN, &ticket).ok());
  EXPECT_EQ(ticket.name(), first.name());
  EXPECT_EQ(ticket.status(), v1::TICKET_STATUS_OPEN);
  ASSERT_TRUE(Change(first.name(), v1::TICKET_STATUS_SOLVED, &ticket).ok());
  clock.Advance(absl::Hours(24 * 7) + absl::Seconds(1));
  v1::Ticket reopened;
  ASSERT_TRUE(Change(first.name(), v1::TICKET_STATUS_OPEN, &reopened).ok());
  EXPECT_NE(reopened.name(), first.name());
  EXPECT_EQ(reopened.reopens(), first.name());
  EXPECT_EQ(reopened.status(), v1::TICKET_STATUS_NEW);
  EXPECT_EQ(reopened.subject(), first.subject());
  EXPECT_EQ(Get(first.name()).status(), v1::TICKET_STATUS_SOLVED);  // the old one stays solved
  EXPECT_EQ(Get(first.name()).reopened_as(), reopened.name());
  v1::Ticket again;  // a client's retry: the same new ticket, not a third one
  ASSERT_TRUE(Change(first.name(), v1::TICKET_STATUS_OPEN, &again).ok());
  EXPECT_EQ(again.name(), reopened.name());
  EXPECT_EQ(Pop().open_tickets_size(), 1);
  clock_ = nullptr;
}


TEST_F(TicketTest, SlaClocksWarnAndBreachOncePauseWhilePendingAndSurviveARestart) {
  manual_ = std::make_unique<ManualClock>(absl::FromUnixSeconds(1'900'000'000));
  ManualClock& clock = *manual_;
  clock_ = &clock;
  Restart();
  const v1::Ticket created = Create(NewTicket());  // priority high: the default targets
  ASSERT_EQ(created.deadlines_size(), 2);
  EXPECT_EQ(created.deadlines(0).target(), "first_response");
  EXPECT_EQ(created.deadlines(0).state(), "running");
  EXPECT_EQ(created.deadlines(0).deadline().seconds(), 1'900'000'000 + 3600);
  EXPECT_EQ(created.deadlines(1).deadline().seconds(), 1'900'000'000 + 4 * 3600);
  EXPECT_EQ(Pop().open_tickets(0).next_deadline().seconds(), 1'900'000'000 + 3600);
  auto run_due = [&] { desk_->OnTicketDesk([](TicketDesk& d) { d.RunDueSla(); return 0; }); };
  auto sla_entries = [&](const std::string& word) {
    int n = 0;
    for (const auto& entry : History()) n += absl::StrContains(entry.text(), word) ? 1 : 0;
    return n;
  };

  clock.Advance(absl::Minutes(45));  // 75 % of the first response used
  run_due();
  run_due();
  EXPECT_EQ(sla_entries("SLA warning: first_response"), 1);
  EXPECT_TRUE(Get(created.name()).deadlines(0).warned());

  clock.Advance(absl::Minutes(5));
  v1::Ticket ticket;
  ASSERT_TRUE(Change(created.name(), v1::TICKET_STATUS_PENDING, &ticket,
                     v1::PENDING_REASON_WAITING_ON_CUSTOMER)
                  .ok());
  EXPECT_EQ(ticket.deadlines(0).state(), "paused");
  clock.Advance(absl::Hours(5));  // far past both targets, but the clocks stand still
  run_due();
  EXPECT_EQ(sla_entries("SLA breached"), 0);
  EXPECT_EQ(Get(created.name()).deadlines(0).used().seconds(), 50 * 60);

  ASSERT_TRUE(Change(created.name(), v1::TICKET_STATUS_OPEN, &ticket).ok());
  EXPECT_EQ(ticket.deadlines(0).deadline().seconds(), absl::ToUnixSeconds(clock.Now()) + 10 * 60);
  clock.Advance(absl::Minutes(10));
  run_due();
  EXPECT_EQ(sla_entries("SLA breached: first_response"), 1);
  ticket = Get(created.name());
  EXPECT_TRUE(ticket.overdue());
  v1::ListTicketsRequest overdue;
  overdue.set_overdue(true);
  v1::ListTicketsResponse listed;
  ASSERT_TRUE(tickets_->ListTickets(Context(kAgent).get(), overdue, &listed).ok());
  ASSERT_EQ(listed.tickets_size(), 1);

  // The agent answers: the first response is met (late); nothing is overdue any more.
  v1::AddCommentRequest reply;
  reply.set_ticket(created.name());
  reply.mutable_comment()->set_body("We are on it.");
  reply.mutable_comment()->set_public_(true);
  v1::TicketComment added;
  ASSERT_TRUE(tickets_->AddComment(Context(kAgent).get(), reply, &added).ok());
  ticket = Get(created.name());
  EXPECT_EQ(ticket.deadlines(0).state(), "met");
  EXPECT_FALSE(ticket.overdue());

  // Urgent now: 90 minutes to resolution, of which 60 are used (50 + 10).
  v1::UpdateTicketRequest update;
  update.mutable_ticket()->set_name(created.name());
  update.mutable_ticket()->set_priority(v1::TICKET_PRIORITY_URGENT);
  update.mutable_update_mask()->add_paths("priority");
  ASSERT_TRUE(tickets_->UpdateTicket(Context(kAgent).get(), update, &ticket).ok());
  EXPECT_EQ(ticket.deadlines(1).goal().seconds(), 90 * 60);
  EXPECT_EQ(ticket.deadlines(1).used().seconds(), 60 * 60);
  EXPECT_EQ(ticket.deadlines(1).deadline().seconds(), absl::ToUnixSeconds(clock.Now()) + 30 * 60);

  // The breach falls due while the server is down: written once, at the restart.
  desk_->Shutdown();
  clock.Advance(absl::Minutes(31));
  Restart();
  run_due();
  run_due();
  EXPECT_EQ(sla_entries("SLA breached: resolution"), 1);
  EXPECT_TRUE(Get(created.name()).overdue());
  clock_ = nullptr;
}

}  // namespace
}  // namespace servicedesk::server
