// CTI through a real servicedeskd (in-process) on a loopback port: call events published
// as a telephony system would, agents' sessions, the customer's history, restarts.

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "services/server/desk_server.h"
#include "servicedesk/v1/customer.grpc.pb.h"
#include "servicedesk/v1/cti.grpc.pb.h"
#include "servicedesk/v1/routing.grpc.pb.h"
#include "servicedesk/v1/supervisor.grpc.pb.h"
#include "tests/support/agent_session.h"
#include "tests/support/grpc_context.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_config.h"

namespace servicedesk::server {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using servicedesk::testing::Session;
using namespace std::chrono_literals;

constexpr const char* kAgent = "agent-1-token-000001";
constexpr const char* kAgent2 = "agent-2-token-000001";
constexpr const char* kPbx = "pbx-1-token-00000001";  // cti/pbx-1
constexpr const char* kAdmin = "admin-token-00000001";
constexpr const char* kNorth = "north-token-00000001";  // role cti, principal without "cti/"
constexpr const char* kCaller = "+4915110000003";

using servicedesk::testing::Context;

class CtiTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(); }

  Config MakeConfig() {
    Config config = servicedesk::testing::LoopbackConfig(dir_.path());
    config.session_grace_seconds = 1;
    config.offer_reminder_seconds = 0;
    config.tokens = {{kAgent, "agents/a-1", Role::kAgent},
                     {kAgent2, "agents/a-2", Role::kAgent},
                     {kPbx, "cti/pbx-1", Role::kCti},
                     {kNorth, "pbx-north", Role::kCti},
                     {kAdmin, "admins/root", Role::kAdmin}};
    v1::Queue queue;
    queue.set_name("queues/billing");
    queue.add_channels(v1::CONTACT_CHANNEL_CALL);
    queue.add_channels(v1::CONTACT_CHANNEL_CALLBACK);
    config.routing.queues.push_back(queue);
    v1::Queue sales;
    sales.set_name("queues/sales");
    sales.add_channels(v1::CONTACT_CHANNEL_CALL);
    config.routing.queues.push_back(sales);
    for (const char* name : {"agents/a-1", "agents/a-2"}) {
      v1::Agent agent;
      agent.set_name(name);
      config.routing.agents.push_back(agent);
    }
    config.cti.called_numbers = {{"+49 30 1000 100", "queues/billing"}};
    config.cti.callback_min_wait_seconds = 0;
    return config;
  }

  void Start() {
    auto desk = DeskServer::Start(MakeConfig(), clock_);
    ASSERT_TRUE(desk.ok()) << desk.status();
    desk_ = *std::move(desk);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(desk_->port()),
                                   grpc::InsecureChannelCredentials());
    cti_ = v1::CtiService::NewStub(channel_);
    agents_ = v1::AgentService::NewStub(channel_);
    contacts_ = v1::ContactService::NewStub(channel_);
    customers_ = v1::CustomerService::NewStub(channel_);
  }

  void Restart() {
    desk_->Shutdown();
    desk_.reset();
    Start();
  }

  v1::CallEvent Event(v1::CallEventType type, const std::string& call = "c1") {
    v1::CallEvent event;
    event.set_source("pbx-1");
    event.set_event_id("ev-" + std::to_string(++next_event_));
    event.set_call_id(call);
    event.set_type(type);
    event.mutable_source_time()->set_seconds(absl::ToUnixSeconds(absl::Now()));
    event.set_calling_number(kCaller);
    event.set_called_number("+49 30 1000 100");
    return event;
  }

  v1::EventAck Publish(const v1::CallEvent& event, const char* token = kPbx) {
    v1::EventAck ack;
    auto status = cti_->PublishEvent(Context(token).get(), event, &ack);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return ack;
  }

  std::vector<v1::Contact> Waiting() { return WaitingIn("queues/billing"); }
  std::vector<v1::Contact> WaitingIn(const std::string& queue) {
    v1::ListWaitingContactsRequest request;
    request.set_queue(queue);
    v1::ListWaitingContactsResponse response;
    EXPECT_TRUE(contacts_->ListWaitingContacts(Context(kAdmin).get(), request, &response).ok());
    return {response.contacts().begin(), response.contacts().end()};
  }

  std::vector<v1::Customer> Holders(const std::string& phone) {
    v1::LookupCustomersRequest request;
    request.set_phone_number(phone);
    v1::LookupCustomersResponse response;
    EXPECT_TRUE(customers_->LookupCustomers(Context(kAdmin).get(), request, &response).ok());
    return {response.customers().begin(), response.customers().end()};
  }

  std::vector<v1::Interaction> History(const std::string& customer) {
    v1::ListInteractionsRequest request;
    request.set_parent(customer);
    v1::ListInteractionsResponse response;
    EXPECT_TRUE(customers_->ListInteractions(Context(kAdmin).get(), request, &response).ok());
    return {response.interactions().begin(), response.interactions().end()};
  }

  // The agent of `token` becomes READY.
  void Ready(const char* token) {
    v1::SetStateRequest ready;
    ready.set_state(v1::AGENT_STATE_READY);
    v1::AgentStatus status;
    ASSERT_TRUE(agents_->SetState(Context(token).get(), ready, &status).ok());
  }

  v1::AgentStatus StatusOfAgent() {
    v1::GetAgentStatusRequest request;
    request.set_agent("agents/a-1");
    v1::AgentStatus status;
    EXPECT_TRUE(agents_->GetAgentStatus(Context(kAdmin).get(), request, &status).ok());
    return status;
  }

  // A-1 takes the call c1 (offered, accepted at the phone) and it ends: a-1 is in wrap-up.
  void CallEndedByAgent1(Session* session) {
    ASSERT_NO_FATAL_FAILURE(Ready(kAgent));
    ASSERT_EQ(Publish(Event(v1::CALL_EVENT_TYPE_OFFERED)).status(), v1::ACK_STATUS_ACCEPTED);
    ASSERT_TRUE(session->NextOffer().has_value());
    v1::CallEvent answered = Event(v1::CALL_EVENT_TYPE_ANSWERED);
    answered.set_agent("agents/a-1");
    ASSERT_EQ(Publish(answered).status(), v1::ACK_STATUS_ACCEPTED);
    ASSERT_EQ(Publish(Event(v1::CALL_EVENT_TYPE_ENDED)).status(), v1::ACK_STATUS_ACCEPTED);
    ASSERT_EQ(StatusOfAgent().state(), v1::AGENT_STATE_WRAP_UP);
  }

  const Clock* clock_ = nullptr;  // the system clock unless a test sets one
  servicedesk::testing::TempDir dir_;
  // Declared before the desk, so destroyed after it: its timers may read the clock to the end.
  std::unique_ptr<ManualClock> manual_;
  std::unique_ptr<DeskServer> desk_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::CtiService::Stub> cti_;
  std::unique_ptr<v1::AgentService::Stub> agents_;
  std::unique_ptr<v1::ContactService::Stub> contacts_;
  std::unique_ptr<v1::CustomerService::Stub> customers_;
  int next_event_ = 0;
};

TEST_F(CtiTest, ACallIsRoutedAnsweredEndedAndWrittenIntoTheCallersHistory) {
  Session session(agents_.get(), kAgent);
  ASSERT_TRUE(session.NextState().has_value());
  ASSERT_NO_FATAL_FAILURE(Ready(kAgent));

  // An unknown caller: a file is opened for them, in state "potential".
  EXPECT_EQ(Publish(Event(v1::CALL_EVENT_TYPE_OFFERED)).status(), v1::ACK_STATUS_ACCEPTED);
  const auto holders = Holders(kCaller);
  ASSERT_EQ(holders.size(), 1u);
  EXPECT_EQ(holders[0].lifecycle_state(), v1::LIFECYCLE_STATE_POTENTIAL);
  auto offer = session.NextOffer();
  ASSERT_TRUE(offer.has_value());
  EXPECT_EQ(offer->queue(), "queues/billing");  // by the called number
  EXPECT_EQ(offer->screen_pop().customer().name(), holders[0].name());

  // The agent picks up at the phone: the pick-up is the acceptance.
  v1::CallEvent answered = Event(v1::CALL_EVENT_TYPE_ANSWERED);
  answered.set_agent("agents/a-1");
  EXPECT_EQ(Publish(answered).status(), v1::ACK_STATUS_ACCEPTED);
  EXPECT_EQ(StatusOfAgent().state(), v1::AGENT_STATE_BUSY);
  EXPECT_EQ(Publish(Event(v1::CALL_EVENT_TYPE_HELD)).status(), v1::ACK_STATUS_ACCEPTED);
  EXPECT_EQ(Publish(Event(v1::CALL_EVENT_TYPE_RETRIEVED)).status(), v1::ACK_STATUS_ACCEPTED);
  EXPECT_EQ(Publish(Event(v1::CALL_EVENT_TYPE_ENDED)).status(), v1::ACK_STATUS_ACCEPTED);
  EXPECT_EQ(StatusOfAgent().state(), v1::AGENT_STATE_WRAP_UP);

  const auto history = History(holders[0].name());
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].channel(), v1::INTERACTION_CHANNEL_CALL);
  EXPECT_EQ(history[0].direction(), v1::DIRECTION_INBOUND);
  EXPECT_EQ(history[0].agent(), "agents/a-1");
  EXPECT_EQ(history[0].queue(), "queues/billing");
  EXPECT_EQ(history[0].outcome(), "normal");
  EXPECT_EQ(history[0].reference(), "calls/pbx-1/c1");
}

TEST_F(CtiTest, ARepeatedEventIsADuplicateAndChangesNothing) {
  const v1::CallEvent offered = Event(v1::CALL_EVENT_TYPE_OFFERED);
  EXPECT_EQ(Publish(offered).status(), v1::ACK_STATUS_ACCEPTED);
  EXPECT_EQ(Publish(offered).status(), v1::ACK_STATUS_DUPLICATE);
  EXPECT_EQ(Waiting().size(), 1u);
  EXPECT_EQ(Holders(kCaller).size(), 1u);
  // And after a restart too.
  Restart();
  EXPECT_EQ(Publish(offered).status(), v1::ACK_STATUS_DUPLICATE);
  EXPECT_EQ(Waiting().size(), 1u);
}

TEST_F(CtiTest, MalformedEventsAreRejectedNamingTheFieldAndNothingIsStored) {
  v1::CallEvent event = Event(v1::CALL_EVENT_TYPE_OFFERED);
  event.clear_call_id();
  v1::EventAck ack = Publish(event);
  EXPECT_EQ(ack.status(), v1::ACK_STATUS_REJECTED);
  EXPECT_EQ(ack.field(), "call_id");
  event = Event(v1::CALL_EVENT_TYPE_OFFERED);
  event.set_calling_number("not a number");
  ack = Publish(event);
  EXPECT_EQ(ack.status(), v1::ACK_STATUS_REJECTED);
  EXPECT_EQ(ack.field(), "calling_number");
  event = Event(v1::CALL_EVENT_TYPE_OFFERED);
  event.mutable_source_time()->set_seconds(absl::ToUnixSeconds(absl::Now()) + 86400);
  EXPECT_EQ(Publish(event).field(), "source_time");
  event = Event(v1::CALL_EVENT_TYPE_OFFERED);
  (*event.mutable_ivr_data())["account"] = std::string(5000, '1');
  EXPECT_EQ(Publish(event).field(), "ivr_data[account]");
  // Another source's events are not this token's to send.
  event = Event(v1::CALL_EVENT_TYPE_OFFERED);
  event.set_source("pbx-2");
  EXPECT_EQ(Publish(event).field(), "source");
  EXPECT_TRUE(Waiting().empty());
  EXPECT_TRUE(Holders(kCaller).empty());
  // A rejected event id may be used again once the event is right.
  event = Event(v1::CALL_EVENT_TYPE_OFFERED);
  EXPECT_EQ(Publish(event).status(), v1::ACK_STATUS_ACCEPTED);
  // Only CTI systems (and admins) publish.
  v1::EventAck refused;
  EXPECT_EQ(cti_->PublishEvent(Context(kAgent).get(), event, &refused).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(CtiTest, ACallerWhoHangsUpWhileWaitingIsAbandonedAndGetsOneCallback) {
  EXPECT_EQ(Publish(Event(v1::CALL_EVENT_TYPE_OFFERED)).status(), v1::ACK_STATUS_ACCEPTED);
  ASSERT_EQ(Waiting().size(), 1u);
  const std::string call_contact = Waiting()[0].name();
  EXPECT_EQ(Publish(Event(v1::CALL_EVENT_TYPE_ENDED)).status(), v1::ACK_STATUS_ACCEPTED);
  const auto waiting = Waiting();
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_NE(waiting[0].name(), call_contact);
  EXPECT_EQ(waiting[0].channel(), v1::CONTACT_CHANNEL_CALLBACK);
  const auto history = History(Holders(kCaller)[0].name());
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].outcome(), "abandoned");
  // An answer after the hang-up is accepted (telephony is like that), recorded, ignored.
  v1::CallEvent late = Event(v1::CALL_EVENT_TYPE_ANSWERED);
  late.set_agent("agents/a-1");
  EXPECT_EQ(Publish(late).status(), v1::ACK_STATUS_ACCEPTED);
  EXPECT_EQ(History(Holders(kCaller)[0].name()).size(), 1u);
}

TEST_F(CtiTest, ALiveCallSurvivesARestartAndIsRecordedOnce) {
  Session session(agents_.get(), kAgent);
  ASSERT_TRUE(session.NextState().has_value());
  ASSERT_NO_FATAL_FAILURE(Ready(kAgent));
  const v1::CallEvent offered = Event(v1::CALL_EVENT_TYPE_OFFERED);
  EXPECT_EQ(Publish(offered).status(), v1::ACK_STATUS_ACCEPTED);
  ASSERT_TRUE(session.NextOffer().has_value());
  Restart();  // the offer was ringing: the call waits again, the agent is logged out

  EXPECT_EQ(Publish(offered).status(), v1::ACK_STATUS_DUPLICATE);
  ASSERT_EQ(Waiting().size(), 1u);
  v1::CallEvent ended = Event(v1::CALL_EVENT_TYPE_ENDED);
  EXPECT_EQ(Publish(ended).status(), v1::ACK_STATUS_ACCEPTED);
  EXPECT_EQ(Publish(ended).status(), v1::ACK_STATUS_DUPLICATE);
  const auto history = History(Holders(kCaller)[0].name());
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].outcome(), "abandoned");
}

// A telephony system's connection: writes from the test, reads on a thread.
class CtiConnection {
 public:
  CtiConnection(v1::CtiService::Stub* stub, const char* token) {
    context_.AddMetadata("authorization", std::string("Bearer ") + token);
    stream_ = stub->StreamEvents(&context_);
    reader_ = std::thread([this] {
      v1::CtiServerMessage message;
      while (stream_->Read(&message)) {
        std::lock_guard lock(mu_);
        received_.push_back(message);
        cv_.notify_all();
      }
      std::lock_guard lock(mu_);
      ended_ = true;
      cv_.notify_all();
    });
  }
  ~CtiConnection() {
    context_.TryCancel();
    reader_.join();
  }
  bool Send(const v1::CtiClientMessage& message) { return stream_->Write(message); }
  void Hello(const std::string& source) {
    v1::CtiClientMessage hello;
    hello.mutable_hello()->set_source(source);
    Send(hello);
  }
  void SendEvent(const v1::CallEvent& event) {
    v1::CtiClientMessage message;
    *message.mutable_event() = event;
    Send(message);
  }
  // The next server message with `want` (ack or instruction) set, or nullopt.
  std::optional<v1::CtiServerMessage> Next(v1::CtiServerMessage::MessageCase want,
                                           std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu_);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      for (auto it = received_.begin(); it != received_.end(); ++it) {
        if (it->message_case() == want) {
          v1::CtiServerMessage found = *it;
          received_.erase(it);
          return found;
        }
      }
      if (ended_) return std::nullopt;
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) return std::nullopt;
    }
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::CtiClientMessage, v1::CtiServerMessage>> stream_;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<v1::CtiServerMessage> received_;
  bool ended_ = false;
};

TEST_F(CtiTest, AStreamAcknowledgesEachEventRejectsGarbageAndStaysUsable) {
  CtiConnection pbx(cti_.get(), kPbx);
  // An event before the hello is refused, not fatal.
  pbx.SendEvent(Event(v1::CALL_EVENT_TYPE_OFFERED, "early"));
  auto early = pbx.Next(v1::CtiServerMessage::kAck);
  ASSERT_TRUE(early.has_value());
  EXPECT_EQ(early->ack().field(), "hello");
  pbx.Hello("pbx-1");
  v1::CallEvent offered = Event(v1::CALL_EVENT_TYPE_OFFERED);
  offered.clear_source();  // the hello's source
  pbx.SendEvent(offered);
  auto ack = pbx.Next(v1::CtiServerMessage::kAck);
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->ack().status(), v1::ACK_STATUS_ACCEPTED);
  EXPECT_EQ(ack->ack().event_id(), offered.event_id());
  pbx.Send(v1::CtiClientMessage());  // nothing in it
  auto garbage = pbx.Next(v1::CtiServerMessage::kAck);
  ASSERT_TRUE(garbage.has_value());
  EXPECT_EQ(garbage->ack().status(), v1::ACK_STATUS_REJECTED);
  EXPECT_EQ(garbage->ack().field(), "message");
  pbx.SendEvent(offered);
  auto again = pbx.Next(v1::CtiServerMessage::kAck);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->ack().status(), v1::ACK_STATUS_DUPLICATE);
  EXPECT_EQ(Waiting().size(), 1u);
}

TEST_F(CtiTest, AnAcceptedOfferBecomesAConnectInstructionSentAgainUntilAcknowledged) {
  Session session(agents_.get(), kAgent);
  ASSERT_TRUE(session.NextState().has_value());
  ASSERT_NO_FATAL_FAILURE(Ready(kAgent));
  v1::RoutingInstruction instruction;
  {
    CtiConnection pbx(cti_.get(), kPbx);
    pbx.Hello("pbx-1");
    pbx.SendEvent(Event(v1::CALL_EVENT_TYPE_OFFERED));
    ASSERT_TRUE(pbx.Next(v1::CtiServerMessage::kAck).has_value());
    auto offer = session.NextOffer();
    ASSERT_TRUE(offer.has_value());
    v1::AcceptOfferRequest accept;
    accept.set_offer(offer->name());
    v1::AcceptOfferResponse accepted;
    ASSERT_TRUE(agents_->AcceptOffer(Context(kAgent).get(), accept, &accepted).ok());
    auto sent = pbx.Next(v1::CtiServerMessage::kInstruction);
    ASSERT_TRUE(sent.has_value());
    instruction = sent->instruction();
    EXPECT_EQ(instruction.call_id(), "c1");
    EXPECT_EQ(instruction.connect().agent(), "agents/a-1");
  }  // the connection drops before the telephony acknowledged it
  CtiConnection again(cti_.get(), kPbx);
  again.Hello("pbx-1");
  auto resent = again.Next(v1::CtiServerMessage::kInstruction);
  ASSERT_TRUE(resent.has_value());
  EXPECT_EQ(resent->instruction().instruction_id(), instruction.instruction_id());
  v1::CtiClientMessage done;
  done.mutable_instruction_ack()->set_instruction_id(instruction.instruction_id());
  again.Send(done);
  // The telephony connected the call: its answer confirms, without a second instruction.
  v1::CallEvent answered = Event(v1::CALL_EVENT_TYPE_ANSWERED);
  answered.set_agent("agents/a-1");
  again.SendEvent(answered);
  ASSERT_TRUE(again.Next(v1::CtiServerMessage::kAck).has_value());
  EXPECT_FALSE(again.Next(v1::CtiServerMessage::kInstruction, 300ms).has_value());
  EXPECT_EQ(StatusOfAgent().state(), v1::AGENT_STATE_BUSY);
}

TEST_F(CtiTest, ACallTransferredByTheTelephonyToAnotherAgentIsOneCallInTheHistory) {
  Session first(agents_.get(), kAgent);
  ASSERT_TRUE(first.NextState().has_value());
  ASSERT_NO_FATAL_FAILURE(Ready(kAgent));
  EXPECT_EQ(Publish(Event(v1::CALL_EVENT_TYPE_OFFERED)).status(), v1::ACK_STATUS_ACCEPTED);
  ASSERT_TRUE(first.NextOffer().has_value());
  v1::CallEvent answered = Event(v1::CALL_EVENT_TYPE_ANSWERED);
  answered.set_agent("agents/a-1");
  EXPECT_EQ(Publish(answered).status(), v1::ACK_STATUS_ACCEPTED);

  Session second(agents_.get(), kAgent2);
  ASSERT_TRUE(second.NextState().has_value());
  ASSERT_NO_FATAL_FAILURE(Ready(kAgent2));
  v1::CallEvent transfer = Event(v1::CALL_EVENT_TYPE_TRANSFERRED);
  transfer.set_transfer_target(v1::TRANSFER_TARGET_KIND_AGENT);
  transfer.set_agent("agents/a-2");
  EXPECT_EQ(Publish(transfer).status(), v1::ACK_STATUS_ACCEPTED);
  auto offer = second.NextOffer();
  ASSERT_TRUE(offer.has_value());  // offered to the colleague, keeping the caller's pop
  EXPECT_FALSE(offer->screen_pop().customer().name().empty());
  EXPECT_EQ(StatusOfAgent().state(), v1::AGENT_STATE_WRAP_UP);  // a-1's part is over

  v1::CallEvent picked_up = Event(v1::CALL_EVENT_TYPE_ANSWERED);
  picked_up.set_agent("agents/a-2");
  EXPECT_EQ(Publish(picked_up).status(), v1::ACK_STATUS_ACCEPTED);
  EXPECT_EQ(Publish(Event(v1::CALL_EVENT_TYPE_ENDED)).status(), v1::ACK_STATUS_ACCEPTED);
  const auto history = History(Holders(kCaller)[0].name());
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].agent(), "agents/a-2");
  EXPECT_EQ(history[0].outcome(), "normal");
}

TEST_F(CtiTest, AConnectionSendingFasterThanTheDeskIsHeldBackAndLosesNothing) {
  CtiConnection pbx(cti_.get(), kPbx);
  pbx.Hello("pbx-1");
  // Far more than the desk lets one connection have unanswered: reading pauses and resumes.
  constexpr int kEvents = 3000;
  for (int i = 0; i < kEvents; ++i) {
    v1::CallEvent event = Event(i % 2 == 0 ? v1::CALL_EVENT_TYPE_OFFERED : v1::CALL_EVENT_TYPE_ENDED,
                                "burst-" + std::to_string(i / 2));
    pbx.SendEvent(event);
  }
  int accepted = 0;
  for (int i = 0; i < kEvents; ++i) {
    auto ack = pbx.Next(v1::CtiServerMessage::kAck, 20s);
    ASSERT_TRUE(ack.has_value()) << "acknowledgement " << i << " never came";
    if (ack->ack().status() == v1::ACK_STATUS_ACCEPTED) ++accepted;
  }
  EXPECT_EQ(accepted, kEvents);
}

TEST_F(CtiTest, CallIdsOfAnyShapeAreRoutedAndRecorded) {
  const std::string call = "call 42 / " + std::string(110, 'x');  // spaces, 120 characters
  EXPECT_EQ(Publish(Event(v1::CALL_EVENT_TYPE_OFFERED, call)).status(), v1::ACK_STATUS_ACCEPTED);
  ASSERT_EQ(Waiting().size(), 1u);
  v1::CallEvent answered = Event(v1::CALL_EVENT_TYPE_ANSWERED, call);
  answered.set_agent("agents/a-1");
  EXPECT_EQ(Publish(answered).status(), v1::ACK_STATUS_ACCEPTED);
  EXPECT_EQ(Publish(Event(v1::CALL_EVENT_TYPE_ENDED, call)).status(), v1::ACK_STATUS_ACCEPTED);
  const auto history = History(Holders(kCaller)[0].name());
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].reference(), "calls/pbx-1/" + call);
}

TEST_F(CtiTest, EveryCtiTokenSpeaksForItsOwnSourceOnly) {
  v1::CallEvent event = Event(v1::CALL_EVENT_TYPE_OFFERED);
  event.set_source("pbx-1");  // another system's calls
  v1::EventAck ack = Publish(event, kNorth);
  EXPECT_EQ(ack.status(), v1::ACK_STATUS_REJECTED);
  EXPECT_EQ(ack.field(), "source");
  event.set_source("pbx-north");
  EXPECT_EQ(Publish(event, kNorth).status(), v1::ACK_STATUS_ACCEPTED);
  CtiConnection impostor(cti_.get(), kNorth);
  impostor.Hello("pbx-1");
  EXPECT_FALSE(impostor.Next(v1::CtiServerMessage::kAck, 2s).has_value());  // closed, not served
}

}  // namespace
}  // namespace servicedesk::server

namespace servicedesk::server {
namespace {

TEST_F(CtiTest, TheCallsHistoryEntryCarriesItsFiguresAndTheAgentsWrapUpCodeAndNotes) {
  Session session(agents_.get(), kAgent);
  ASSERT_TRUE(session.NextState().has_value());
  CallEndedByAgent1(&session);
  const std::string customer = Holders(kCaller)[0].name();
  auto history = History(customer);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].call().calling_number(), kCaller);
  EXPECT_EQ(history[0].call().called_number(), "+49301000100");
  EXPECT_TRUE(history[0].call().has_answered_time());
  EXPECT_TRUE(history[0].call().has_wait());
  EXPECT_TRUE(history[0].wrap_up_code().empty());

  // A malformed code: refused naming the field; the agent is still wrapping up, the entry unchanged.
  v1::CompleteWrapUpRequest bad;
  bad.set_wrap_up_code("not a code!");
  bad.set_notes("whatever");
  v1::AgentStatus status;
  auto refused = agents_->CompleteWrapUp(Context(kAgent).get(), bad, &status);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), StartsWith("wrap_up_code:"));
  v1::CompleteWrapUpRequest too_long;
  too_long.set_notes(std::string(4001, 'x'));
  refused = agents_->CompleteWrapUp(Context(kAgent).get(), too_long, &status);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), StartsWith("notes:"));
  EXPECT_EQ(StatusOfAgent().state(), v1::AGENT_STATE_WRAP_UP);
  EXPECT_TRUE(History(customer)[0].wrap_up_notes().empty());

  v1::CompleteWrapUpRequest done;
  done.set_wrap_up_code("billing.refund");
  done.set_notes("Refund of the March invoice promised.\nCall back if not received.");
  ASSERT_TRUE(agents_->CompleteWrapUp(Context(kAgent).get(), done, &status).ok());
  EXPECT_NE(StatusOfAgent().state(), v1::AGENT_STATE_WRAP_UP);
  history = History(customer);
  ASSERT_EQ(history.size(), 1u);  // the same entry, not a second one
  EXPECT_EQ(history[0].wrap_up_code(), "billing.refund");
  EXPECT_EQ(history[0].wrap_up_notes(), done.notes());
  // The next screen pop shows it at once.
  v1::GetCustomerContextRequest pop;
  pop.set_customer(customer);
  v1::CustomerContext context;
  ASSERT_TRUE(customers_->GetCustomerContext(Context(kAdmin).get(), pop, &context).ok());
  ASSERT_GE(context.recent_interactions_size(), 1);
  EXPECT_EQ(context.recent_interactions(0).wrap_up_code(), "billing.refund");
}

TEST_F(CtiTest, AWrapUpCodeOfALaterContactNeverLandsOnAnEarlierCall) {
  Session session(agents_.get(), kAgent);
  ASSERT_TRUE(session.NextState().has_value());
  CallEndedByAgent1(&session);
  const std::string customer = Holders(kCaller)[0].name();
  v1::AgentStatus status;
  // Wrap-up without a code: nothing more belongs on that call.
  ASSERT_TRUE(agents_->CompleteWrapUp(Context(kAgent).get(), v1::CompleteWrapUpRequest(), &status).ok());
  ASSERT_NO_FATAL_FAILURE(Ready(kAgent));
  // Then a contact that is not a telephony call, ended and wrapped up with a code.
  v1::EnqueueContactRequest enqueue;
  enqueue.set_channel(v1::CONTACT_CHANNEL_CALL);
  enqueue.set_queue("queues/billing");
  v1::Contact contact;
  ASSERT_TRUE(contacts_->EnqueueContact(Context(kAdmin).get(), enqueue, &contact).ok());
  auto offer = session.NextOffer();
  ASSERT_TRUE(offer.has_value());
  v1::AcceptOfferRequest accept;
  accept.set_offer(offer->name());
  v1::AcceptOfferResponse accepted;
  ASSERT_TRUE(agents_->AcceptOffer(Context(kAgent).get(), accept, &accepted).ok());
  v1::EndContactRequest end;
  end.set_contact(accepted.contact());
  ASSERT_TRUE(agents_->EndContact(Context(kAgent).get(), end, &status).ok());
  v1::CompleteWrapUpRequest coded;
  coded.set_wrap_up_code("sales.lead");
  ASSERT_TRUE(agents_->CompleteWrapUp(Context(kAgent).get(), coded, &status).ok());
  const auto history = History(customer);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_TRUE(history[0].wrap_up_code().empty());  // the earlier call keeps no code
}

TEST_F(CtiTest, ClientsCannotWriteTheFieldsTheDeskRecordsFromCallsAndWrapUps) {
  v1::CreateCustomerRequest create;
  create.mutable_customer()->set_kind(v1::CUSTOMER_KIND_INDIVIDUAL);
  create.mutable_customer()->set_display_name("Ada");
  v1::Customer customer;
  ASSERT_TRUE(customers_->CreateCustomer(Context(kAdmin).get(), create, &customer).ok());
  v1::CreateInteractionRequest request;
  request.set_parent(customer.name());
  request.mutable_interaction()->set_channel(v1::INTERACTION_CHANNEL_CALL);
  request.mutable_interaction()->set_wrap_up_code("x");
  v1::Interaction created;
  auto refused = customers_->CreateInteraction(Context(kAdmin).get(), request, &created);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), StartsWith("interaction.wrap_up_code:"));
  request.mutable_interaction()->clear_wrap_up_code();
  request.mutable_interaction()->mutable_call()->set_calling_number("+4915110000003");
  refused = customers_->CreateInteraction(Context(kAdmin).get(), request, &created);
  EXPECT_THAT(refused.error_message(), StartsWith("interaction.call:"));
  EXPECT_TRUE(History(customer.name()).empty());
}

TEST_F(CtiTest, AnUnacknowledgedInstructionOutlivesARestartAndAnAcknowledgedOneDoesNot) {
  std::string instruction_id;
  {
    Session session(agents_.get(), kAgent);
    ASSERT_TRUE(session.NextState().has_value());
    ASSERT_NO_FATAL_FAILURE(Ready(kAgent));
    ASSERT_EQ(Publish(Event(v1::CALL_EVENT_TYPE_OFFERED)).status(), v1::ACK_STATUS_ACCEPTED);
    auto offer = session.NextOffer();
    ASSERT_TRUE(offer.has_value());
    v1::AcceptOfferRequest accept;
    accept.set_offer(offer->name());
    v1::AcceptOfferResponse accepted;
    // No CTI connection is open: the instruction waits for one.
    ASSERT_TRUE(agents_->AcceptOffer(Context(kAgent).get(), accept, &accepted).ok());
    auto pending = desk_->OnCtiDesk([](CtiDesk& cti) { return cti.PendingInstructions("pbx-1"); });
    ASSERT_EQ(pending.size(), 1u);
    instruction_id = pending[0].instruction_id();
  }
  Restart();
  {
    CtiConnection pbx(cti_.get(), kPbx);
    pbx.Hello("pbx-1");
    auto sent = pbx.Next(v1::CtiServerMessage::kInstruction);
    ASSERT_TRUE(sent.has_value());
    EXPECT_EQ(sent->instruction().instruction_id(), instruction_id);
    EXPECT_EQ(sent->instruction().call_id(), "c1");
    EXPECT_EQ(sent->instruction().connect().agent(), "agents/a-1");
    v1::CtiClientMessage done;
    done.mutable_instruction_ack()->set_instruction_id(instruction_id);
    pbx.Send(done);
    // Acknowledged once it is applied on the loop: a later event's ack comes after it.
    pbx.SendEvent(Event(v1::CALL_EVENT_TYPE_HELD));
    ASSERT_TRUE(pbx.Next(v1::CtiServerMessage::kAck).has_value());
  }
  Restart();
  CtiConnection pbx(cti_.get(), kPbx);
  pbx.Hello("pbx-1");
  EXPECT_FALSE(pbx.Next(v1::CtiServerMessage::kInstruction, 300ms).has_value());
  EXPECT_TRUE(desk_->OnCtiDesk([](CtiDesk& cti) { return cti.PendingInstructions("pbx-1"); }).empty());
}

TEST_F(CtiTest, EventIdsAreForgottenAfterTheHorizonAndNotBefore) {
  manual_ = std::make_unique<ManualClock>(absl::Now());
  ManualClock& clock = *manual_;
  clock_ = &clock;
  Restart();
  const v1::CallEvent first = Event(v1::CALL_EVENT_TYPE_OFFERED, "c1");
  ASSERT_EQ(Publish(first).status(), v1::ACK_STATUS_ACCEPTED);
  clock.Advance(absl::Hours(100));
  v1::CallEvent second = Event(v1::CALL_EVENT_TYPE_OFFERED, "c2");
  second.mutable_source_time()->set_seconds(absl::ToUnixSeconds(clock.Now()));
  ASSERT_EQ(Publish(second).status(), v1::ACK_STATUS_ACCEPTED);
  clock.Advance(absl::Hours(69));  // the first is 169 h old, the second 69 h (horizon 168 h)
  auto expired = desk_->OnCtiDesk([](CtiDesk& cti) { return cti.ExpireEventIds(); });
  ASSERT_TRUE(expired.ok()) << expired.status();
  EXPECT_EQ(*expired, 1);
  EXPECT_EQ(Publish(second).status(), v1::ACK_STATUS_DUPLICATE);
  EXPECT_EQ(Publish(first).status(), v1::ACK_STATUS_ACCEPTED);  // forgotten: new to the desk
  EXPECT_EQ(*desk_->OnCtiDesk([](CtiDesk& cti) { return cti.ExpireEventIds(); }), 0);
  clock_ = nullptr;
}

TEST_F(CtiTest, AFailedWriteIsNeverAcknowledgedAndTheRestartKeepsNothingOfIt) {
  std::vector<absl::Status> failures;
  desk_->OnDesks([&](RoutingDesk& routing, CtiDesk&, storage::EventWriter& writer) {
    // In production the process ends here; the test keeps it to look.
    routing.SetStorageFailureHandler([&](const absl::Status& status) { failures.push_back(status); });
    writer.InjectFailureForTesting(absl::UnavailableError("disk full"));
    return 0;
  });
  const v1::CallEvent offered = Event(v1::CALL_EVENT_TYPE_OFFERED);
  v1::EventAck ack;
  auto published = cti_->PublishEvent(Context(kPbx).get(), offered, &ack);
  EXPECT_FALSE(published.ok());  // not acknowledged at all: the telephony sends it again
  EXPECT_FALSE(desk_->OnDesks([&](RoutingDesk&, CtiDesk&, storage::EventWriter&) {
    return failures.empty();
  }));
  desk_->OnDesks([&](RoutingDesk&, CtiDesk&, storage::EventWriter& writer) {
    writer.InjectFailureForTesting(absl::OkStatus());
    return 0;
  });
  Restart();  // what a real failure does: the desk comes back from what is durable
  EXPECT_TRUE(Waiting().empty());
  EXPECT_TRUE(Holders(kCaller).empty());
  EXPECT_EQ(Publish(offered).status(), v1::ACK_STATUS_ACCEPTED);  // new to the desk
  EXPECT_EQ(Waiting().size(), 1u);
}


const v1::Figure& FigureNamed(const v1::PeriodStatistics& period, const std::string& name) {
  for (const auto& figure : period.figures()) {
    if (figure.name() == name) return figure;
  }
  static const v1::Figure kMissing;
  ADD_FAILURE() << "no figure " << name;
  return kMissing;
}

TEST_F(CtiTest, CallsThroughTheTelephonyFeedTheQueueCountersWithTheirTimes) {
  // Manual time, well inside one 15-minute interval.
  const absl::Time start = absl::FromUnixSeconds(
      (absl::ToUnixSeconds(absl::Now()) / 900 + 2) * 900 + 60);
  manual_ = std::make_unique<ManualClock>(start);
  ManualClock& clock = *manual_;
  clock_ = &clock;
  Restart();
  Session session(agents_.get(), kAgent);
  ASSERT_TRUE(session.NextState().has_value());
  // Three callers wait with nobody ready.
  for (const char* call : {"c1", "c2", "c3"}) {
    ASSERT_EQ(Publish(Event(v1::CALL_EVENT_TYPE_OFFERED, call)).status(), v1::ACK_STATUS_ACCEPTED);
  }
  clock.Advance(absl::Seconds(3));
  ASSERT_EQ(Publish(Event(v1::CALL_EVENT_TYPE_ENDED, "c3")).status(), v1::ACK_STATUS_ACCEPTED);  // short abandon
  clock.Advance(absl::Seconds(7));
  ASSERT_NO_FATAL_FAILURE(Ready(kAgent));
  v1::AgentStatus status;
  ASSERT_TRUE(session.NextOffer().has_value());
  v1::CallEvent answered = Event(v1::CALL_EVENT_TYPE_ANSWERED, "c1");
  answered.set_agent("agents/a-1");
  ASSERT_EQ(Publish(answered).status(), v1::ACK_STATUS_ACCEPTED);  // waited 10 s
  clock.Advance(absl::Seconds(30));
  ASSERT_EQ(Publish(Event(v1::CALL_EVENT_TYPE_ENDED, "c2")).status(), v1::ACK_STATUS_ACCEPTED);  // after 40 s
  clock.Advance(absl::Seconds(30));
  ASSERT_EQ(Publish(Event(v1::CALL_EVENT_TYPE_ENDED, "c1")).status(), v1::ACK_STATUS_ACCEPTED);  // talked 60 s
  clock.Advance(absl::Seconds(10));
  ASSERT_TRUE(agents_->CompleteWrapUp(Context(kAgent).get(), v1::CompleteWrapUpRequest(), &status).ok());

  auto supervisor = v1::SupervisorService::NewStub(channel_);
  v1::GetQueueStatisticsRequest request;
  request.set_queue("queues/billing");
  v1::GetQueueStatisticsResponse response;
  ASSERT_TRUE(supervisor->GetQueueStatistics(Context(kAdmin).get(), request, &response).ok());
  ASSERT_EQ(response.queues_size(), 1);
  for (const v1::PeriodStatistics& period :
       {response.queues(0).current_interval(), response.queues(0).today()}) {
    // The same number hung up twice: one callback task (at most one per caller in the
    // window), which waits in the queue too.
    EXPECT_EQ(period.offered(), 4);
    EXPECT_EQ(period.offered_callbacks(), 1);
    EXPECT_EQ(period.answered(), 1);
    EXPECT_EQ(period.answered_within_threshold(), 1);
    EXPECT_EQ(period.abandoned(), 2);
    EXPECT_EQ(period.abandoned_within_threshold(), 1);
    EXPECT_EQ(period.abandoned_short(), 1);
    EXPECT_EQ(period.handled(), 1);
    EXPECT_EQ(period.threshold().seconds(), 20);
    EXPECT_DOUBLE_EQ(FigureNamed(period, "service_level_1").value(), 1.0);
    EXPECT_DOUBLE_EQ(FigureNamed(period, "service_level_2").value(), 1.0 / 3);
    EXPECT_DOUBLE_EQ(FigureNamed(period, "service_level_3").value(), 2.0 / 3);
    EXPECT_DOUBLE_EQ(FigureNamed(period, "service_level_4").value(), 0.5);
    EXPECT_DOUBLE_EQ(FigureNamed(period, "service_level_5").value(), 0.5);
    EXPECT_EQ(FigureNamed(period, "service_level_2").formula(), "answered<=T / (answered + abandoned)");
    EXPECT_DOUBLE_EQ(FigureNamed(period, "asa").value(), 10);
    EXPECT_DOUBLE_EQ(FigureNamed(period, "aht").value(), 70);  // 60 s talk + 10 s wrap-up
    EXPECT_DOUBLE_EQ(FigureNamed(period, "abandon_rate").value(), 2.0 / 4);
    EXPECT_DOUBLE_EQ(FigureNamed(period, "abandon_rate_excluding_callbacks").value(), 2.0 / 3);
    EXPECT_DOUBLE_EQ(FigureNamed(period, "average_abandon_time").value(), 21.5);
  }

  // Bad input and the wrong role.
  request.set_queue("queues/nowhere");
  auto unknown = supervisor->GetQueueStatistics(Context(kAdmin).get(), request, &response);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  request.set_queue("billing");
  auto malformed = supervisor->GetQueueStatistics(Context(kAdmin).get(), request, &response);
  EXPECT_EQ(malformed.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(malformed.error_message(), StartsWith("queue:"));
  request.clear_queue();
  auto refused = supervisor->GetQueueStatistics(Context(kAgent).get(), request, &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  clock_ = nullptr;
}

TEST_F(CtiTest, AWaitingCallMovedToAnotherQueueKeepsItsPlaceAndIsNoAbandon) {
  EXPECT_EQ(Publish(Event(v1::CALL_EVENT_TYPE_OFFERED)).status(), v1::ACK_STATUS_ACCEPTED);
  const auto before = WaitingIn("queues/billing");
  ASSERT_EQ(before.size(), 1u);
  v1::CallEvent transfer = Event(v1::CALL_EVENT_TYPE_TRANSFERRED);
  transfer.set_transfer_target(v1::TRANSFER_TARGET_KIND_QUEUE);
  transfer.set_queue("queues/sales");
  EXPECT_EQ(Publish(transfer).status(), v1::ACK_STATUS_ACCEPTED);
  EXPECT_TRUE(WaitingIn("queues/billing").empty());
  const auto after = WaitingIn("queues/sales");
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].name(), before[0].name());  // the same contact
  EXPECT_EQ(after[0].enqueue_time().seconds(), before[0].enqueue_time().seconds());

  auto supervisor = v1::SupervisorService::NewStub(channel_);
  v1::GetQueueStatisticsRequest request;
  request.set_queue("queues/billing");
  v1::GetQueueStatisticsResponse response;
  ASSERT_TRUE(supervisor->GetQueueStatistics(Context(kAdmin).get(), request, &response).ok());
  EXPECT_EQ(response.queues(0).today().offered(), 1);
  EXPECT_EQ(response.queues(0).today().abandoned(), 0);
}

}  // namespace
}  // namespace servicedesk::server
