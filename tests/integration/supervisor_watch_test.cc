// Supervisors' live views through a real servicedeskd (in-process) on a loopback port: calls
// pushed by the telephony (CTI) and answered by agents' sessions show up in a watcher's
// stream with the figures computed by hand; a watcher that does not read gets updates folded
// together; the interval history survives a restart; bad requests are refused.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "services/common/clock.h"
#include "services/server/desk_server.h"
#include "servicedesk/v1/cti.grpc.pb.h"
#include "servicedesk/v1/routing.grpc.pb.h"
#include "servicedesk/v1/supervisor.grpc.pb.h"
#include "tests/support/agent_session.h"
#include "tests/support/grpc_context.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_config.h"

namespace servicedesk::server {
namespace {

using servicedesk::testing::Context;
using servicedesk::testing::Session;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr const char* kAgent1 = "agent-1-token-000001";
constexpr const char* kPbx = "pbx-1-token-00000001";
constexpr const char* kSupervisor = "supervisor-token-0001";
constexpr const char* kCaller = "+4915110000003";

// A live view read on its own thread.
template <typename Update>
class Watch : public servicedesk::testing::StreamReader<Update> {
 public:
  template <typename Stub, typename Request, typename Method>
  Watch(Stub* stub, Method method, const Request& request, const char* token)
      : servicedesk::testing::StreamReader<Update>(
            token, [stub, method, request](grpc::ClientContext* context) { return (stub->*method)(context, request); }) {}
};

const v1::QueueLiveStatus* FindQueue(const v1::QueueBoardUpdate& update, const std::string& queue) {
  for (const auto& q : update.queues()) {
    if (q.queue() == queue) return &q;
  }
  return nullptr;
}

const v1::AgentLiveStatus* FindAgent(const v1::AgentBoardUpdate& update, const std::string& agent) {
  for (const auto& a : update.agents()) {
    if (a.agent() == agent) return &a;
  }
  return nullptr;
}

double FigureValue(const v1::PeriodStatistics& period, const std::string& name) {
  for (const auto& f : period.figures()) {
    if (f.name() == name) return f.defined() ? f.value() : -1;
  }
  return -2;
}

class SupervisorWatchTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(); }

  Config MakeConfig() {
    Config config = servicedesk::testing::LoopbackConfig(dir_.path());
    config.offer_reminder_seconds = 0;
    config.tokens = {{kAgent1, "agents/a-1", Role::kAgent},
                     {kPbx, "cti/pbx-1", Role::kCti},
                     {kSupervisor, "supervisors/s-1", Role::kSupervisor}};
    v1::Queue billing;
    billing.set_name("queues/billing");
    billing.add_channels(v1::CONTACT_CHANNEL_CALL);
    billing.mutable_sl_threshold()->set_seconds(20);
    billing.mutable_offer_timeout()->set_seconds(600);
    billing.mutable_wrap_up()->set_seconds(600);
    config.routing.queues.push_back(billing);
    for (int i = 0; i < extra_queues_; ++i) {
      v1::Queue queue;
      queue.set_name("queues/q" + std::to_string(i));
      queue.add_channels(v1::CONTACT_CHANNEL_CALL);
      config.routing.queues.push_back(queue);
    }
    v1::Agent agent;
    agent.set_name("agents/a-1");
    agent.set_team("north");
    config.routing.agents.push_back(agent);
    config.cti.called_numbers = {{"+49 30 1000 100", "queues/billing"}};
    config.cti.callback_window_hours = 0;  // a hang-up is an abandon, and no callback
    return config;
  }

  void Start() {
    auto desk = DeskServer::Start(MakeConfig(), &clock_);
    ASSERT_TRUE(desk.ok()) << desk.status();
    desk_ = *std::move(desk);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(desk_->port()), grpc::InsecureChannelCredentials());
    supervisor_ = v1::SupervisorService::NewStub(channel_);
    agents_ = v1::AgentService::NewStub(channel_);
    cti_ = v1::CtiService::NewStub(channel_);
    contacts_ = v1::ContactService::NewStub(channel_);
  }

  void Restart() {
    desk_->Shutdown();
    desk_.reset();
    Start();
  }

  v1::CallEvent Event(v1::CallEventType type, const std::string& call) {
    v1::CallEvent event;
    event.set_source("pbx-1");
    event.set_event_id("ev-" + std::to_string(++next_event_));
    event.set_call_id(call);
    event.set_type(type);
    *event.mutable_source_time() = ToTimestamp(clock_.Now());
    event.set_calling_number(kCaller);
    event.set_called_number("+49 30 1000 100");
    return event;
  }
  void Publish(const v1::CallEvent& event) {
    v1::EventAck ack;
    auto status = cti_->PublishEvent(Context(kPbx).get(), event, &ack);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(ack.status(), v1::ACK_STATUS_ACCEPTED) << ack.ShortDebugString();
  }
  static google::protobuf::Timestamp ToTimestamp(absl::Time t) {
    google::protobuf::Timestamp stamp;
    stamp.set_seconds(absl::ToUnixSeconds(t));
    return stamp;
  }

  void SetState(v1::AgentState state) {
    v1::SetStateRequest request;
    request.set_state(state);
    v1::AgentStatus status;
    ASSERT_TRUE(agents_->SetState(Context(kAgent1).get(), request, &status).ok());
  }

  v1::WatchQueuesRequest QueuesRequest(int rate = 10) {
    v1::WatchQueuesRequest request;
    request.set_updates_per_second(rate);
    return request;
  }

  // 2026-12-01 10:00:00 UTC: the interval 10:00 to 10:15.
  ManualClock clock_{absl::FromCivil(absl::CivilSecond(2026, 12, 1, 10, 0, 0), absl::UTCTimeZone())};
  int extra_queues_ = 0;
  int next_event_ = 0;
  servicedesk::testing::TempDir dir_;
  std::unique_ptr<DeskServer> desk_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::SupervisorService::Stub> supervisor_;
  std::unique_ptr<v1::AgentService::Stub> agents_;
  std::unique_ptr<v1::CtiService::Stub> cti_;
  std::unique_ptr<v1::ContactService::Stub> contacts_;
};

// One call answered by the agent 12 s after it arrived (within T = 20 s), talked for 60 s and
// wrapped up in 10 s; one caller who hung up after 25 s (an abandon after T). By hand:
// offered 2, answered 1 (within T), abandoned 1 (after T); service level 1 = 1/1, 2 = 1/2,
// 3 = 1/2, 4 = 1/(1 + 1); ASA 12 s; AHT 70 s; abandon rate 1/2. The agent: reserved 12 s
// (idle), busy 60 s and wrap-up 10 s (handling): occupancy 70 / 82.
TEST_F(SupervisorWatchTest, CallsPushedByCtiAndAnsweredShowUpInTheWatchersFigures) {
  Watch<v1::QueueBoardUpdate> queues(supervisor_.get(), &v1::SupervisorService::Stub::WatchQueues, QueuesRequest(),
                                     kSupervisor);
  Watch<v1::AgentBoardUpdate> agents(supervisor_.get(), &v1::SupervisorService::Stub::WatchAgents,
                                     [] {
                                       v1::WatchAgentsRequest r;
                                       r.set_updates_per_second(10);
                                       return r;
                                     }(),
                                     kSupervisor);
  auto snapshot = queues.WaitFor([](const auto& u) { return u.snapshot(); });
  ASSERT_TRUE(snapshot.has_value());
  ASSERT_NE(FindQueue(*snapshot, "queues/billing"), nullptr);
  EXPECT_EQ(FindQueue(*snapshot, "queues/billing")->waiting(), 0);
  EXPECT_EQ(FindQueue(*snapshot, "queues/billing")->agents_staffed(), 0);
  ASSERT_TRUE(snapshot->has_tickets());
  ASSERT_TRUE(snapshot->has_complaints());
  auto agent_snapshot = agents.WaitFor([](const auto& u) { return u.snapshot(); });
  ASSERT_TRUE(agent_snapshot.has_value());
  ASSERT_NE(FindAgent(*agent_snapshot, "agents/a-1"), nullptr);
  EXPECT_EQ(FindAgent(*agent_snapshot, "agents/a-1")->state(), v1::AGENT_STATE_LOGGED_OUT);
  EXPECT_EQ(FindAgent(*agent_snapshot, "agents/a-1")->team(), "north");

  Session session(agents_.get(), kAgent1);
  ASSERT_TRUE(session.NextState().has_value());
  ASSERT_NO_FATAL_FAILURE(SetState(v1::AGENT_STATE_READY));
  auto staffed = queues.WaitFor([](const auto& u) {
    const auto* q = FindQueue(u, "queues/billing");
    return q != nullptr && q->agents_ready() == 1;
  });
  ASSERT_TRUE(staffed.has_value());
  EXPECT_EQ(FindQueue(*staffed, "queues/billing")->agents_staffed(), 1);
  EXPECT_FALSE(staffed->snapshot());

  ASSERT_NO_FATAL_FAILURE(Publish(Event(v1::CALL_EVENT_TYPE_OFFERED, "c1")));
  ASSERT_TRUE(session.NextOffer().has_value());
  clock_.Advance(absl::Seconds(12));
  v1::CallEvent answered = Event(v1::CALL_EVENT_TYPE_ANSWERED, "c1");
  answered.set_agent("agents/a-1");
  ASSERT_NO_FATAL_FAILURE(Publish(answered));
  auto on_call = agents.WaitFor([](const auto& u) {
    const auto* a = FindAgent(u, "agents/a-1");
    return a != nullptr && a->state() == v1::AGENT_STATE_BUSY;
  });
  ASSERT_TRUE(on_call.has_value());
  EXPECT_THAT(FindAgent(*on_call, "agents/a-1")->contact(), ::testing::StartsWith("contacts/"));

  // A second caller waits (the agent is busy) and hangs up after 25 s.
  ASSERT_NO_FATAL_FAILURE(Publish(Event(v1::CALL_EVENT_TYPE_OFFERED, "c2")));
  auto waiting = queues.WaitFor([](const auto& u) {
    const auto* q = FindQueue(u, "queues/billing");
    return q != nullptr && q->waiting() == 1;
  });
  ASSERT_TRUE(waiting.has_value());
  EXPECT_EQ(FindQueue(*waiting, "queues/billing")->agents_busy(), 1);
  EXPECT_EQ(FindQueue(*waiting, "queues/billing")->oldest_enqueue_time().seconds(),
            absl::ToUnixSeconds(clock_.Now()));
  clock_.Advance(absl::Seconds(25));
  ASSERT_NO_FATAL_FAILURE(Publish(Event(v1::CALL_EVENT_TYPE_ENDED, "c2")));
  clock_.Advance(absl::Seconds(35));  // the first call: 60 s of talk
  ASSERT_NO_FATAL_FAILURE(Publish(Event(v1::CALL_EVENT_TYPE_ENDED, "c1")));
  clock_.Advance(absl::Seconds(10));
  v1::AgentStatus after_wrap;
  ASSERT_TRUE(agents_->CompleteWrapUp(Context(kAgent1).get(), v1::CompleteWrapUpRequest(), &after_wrap).ok());

  auto done = queues.WaitFor([](const auto& u) {
    const auto* q = FindQueue(u, "queues/billing");
    return q != nullptr && q->today().handled() == 1;
  });
  ASSERT_TRUE(done.has_value());
  const v1::QueueLiveStatus& billing = *FindQueue(*done, "queues/billing");
  EXPECT_EQ(billing.waiting(), 0);
  EXPECT_FALSE(billing.has_oldest_enqueue_time());
  EXPECT_EQ(billing.agents_ready(), 1);
  const v1::PeriodStatistics& today = billing.today();
  EXPECT_EQ(today.offered(), 2);
  EXPECT_EQ(today.answered(), 1);
  EXPECT_EQ(today.answered_within_threshold(), 1);
  EXPECT_EQ(today.abandoned(), 1);
  EXPECT_EQ(today.abandoned_within_threshold(), 0);
  EXPECT_DOUBLE_EQ(FigureValue(today, "service_level_1"), 1.0);
  EXPECT_DOUBLE_EQ(FigureValue(today, "service_level_2"), 0.5);
  EXPECT_DOUBLE_EQ(FigureValue(today, "service_level_3"), 0.5);
  EXPECT_DOUBLE_EQ(FigureValue(today, "service_level_4"), 0.5);
  EXPECT_DOUBLE_EQ(FigureValue(today, "asa"), 12.0);
  EXPECT_DOUBLE_EQ(FigureValue(today, "aht"), 70.0);
  EXPECT_DOUBLE_EQ(FigureValue(today, "abandon_rate"), 0.5);
  EXPECT_EQ(billing.current_interval().offered(), 2);  // all within 10:00 to 10:15
  // Nothing waits and an agent is ready: a new caller is answered at once.
  EXPECT_TRUE(billing.estimated_wait().defined());
  EXPECT_DOUBLE_EQ(billing.estimated_wait().value(), 0.0);
  EXPECT_THAT(billing.estimated_wait().formula(), HasSubstr("aht"));

  auto free_again = agents.WaitFor([](const auto& u) {
    const auto* a = FindAgent(u, "agents/a-1");
    return a != nullptr && a->state() == v1::AGENT_STATE_READY && a->handled() == 1;
  });
  ASSERT_TRUE(free_again.has_value());
  const v1::AgentLiveStatus& agent = *FindAgent(*free_again, "agents/a-1");
  EXPECT_EQ(agent.contact(), "");
  EXPECT_EQ(agent.handling_time().seconds(), 70);
  EXPECT_EQ(agent.idle_time().seconds(), 12);
  EXPECT_TRUE(agent.occupancy().defined());
  EXPECT_NEAR(agent.occupancy().value(), 70.0 / 82.0, 1e-9);
  EXPECT_EQ(agent.queues_size(), 1);
}

TEST_F(SupervisorWatchTest, WatchersWithoutTheRoleOrWithABadRequestAreRefused) {
  {
    Watch<v1::QueueBoardUpdate> agent(supervisor_.get(), &v1::SupervisorService::Stub::WatchQueues, QueuesRequest(),
                                      kAgent1);
    auto ended = agent.Ended();
    ASSERT_TRUE(ended.has_value());
    EXPECT_EQ(ended->error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    Watch<v1::QueueBoardUpdate> fast(supervisor_.get(), &v1::SupervisorService::Stub::WatchQueues, QueuesRequest(11),
                                     kSupervisor);
    auto ended = fast.Ended();
    ASSERT_TRUE(ended.has_value());
    EXPECT_EQ(ended->error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(ended->error_message(), HasSubstr("updates_per_second"));
  }
  {
    v1::WatchQueuesRequest request = QueuesRequest();
    request.add_queues("queues/nowhere");
    Watch<v1::QueueBoardUpdate> unknown(supervisor_.get(), &v1::SupervisorService::Stub::WatchQueues, request,
                                        kSupervisor);
    auto ended = unknown.Ended();
    ASSERT_TRUE(ended.has_value());
    EXPECT_EQ(ended->error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_THAT(ended->error_message(), HasSubstr("queues[0]"));
  }
  {
    v1::WatchAgentsRequest request;
    request.add_agents("agents/nobody");
    Watch<v1::AgentBoardUpdate> unknown(supervisor_.get(), &v1::SupervisorService::Stub::WatchAgents, request,
                                        kSupervisor);
    auto ended = unknown.Ended();
    ASSERT_TRUE(ended.has_value());
    EXPECT_EQ(ended->error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_THAT(ended->error_message(), HasSubstr("agents[0]"));
  }
  v1::ListIntervalStatisticsRequest range;
  *range.mutable_start_time() = ToTimestamp(clock_.Now());
  *range.mutable_end_time() = ToTimestamp(clock_.Now() - absl::Hours(1));
  v1::ListIntervalStatisticsResponse response;
  auto backwards = supervisor_->ListIntervalStatistics(Context(kSupervisor).get(), range, &response);
  EXPECT_EQ(backwards.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(backwards.error_message(), HasSubstr("end_time"));
  *range.mutable_end_time() = ToTimestamp(clock_.Now() + absl::Hours(24 * 32));
  auto too_long = supervisor_->ListIntervalStatistics(Context(kSupervisor).get(), range, &response);
  EXPECT_EQ(too_long.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(too_long.error_message(), HasSubstr("31 days"));
  EXPECT_EQ(supervisor_->ListIntervalStatistics(Context(kAgent1).get(), range, &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// Two calls in the 10:00 interval, one in the 10:15 one; after a restart the current
// interval and today go on from the stored figures, and the history lists both intervals.
TEST_F(SupervisorWatchTest, TheIntervalHistoryAndTodaySurviveARestart) {
  ASSERT_NO_FATAL_FAILURE(Publish(Event(v1::CALL_EVENT_TYPE_OFFERED, "c1")));
  ASSERT_NO_FATAL_FAILURE(Publish(Event(v1::CALL_EVENT_TYPE_OFFERED, "c2")));
  clock_.Advance(absl::Seconds(3));
  ASSERT_NO_FATAL_FAILURE(Publish(Event(v1::CALL_EVENT_TYPE_ENDED, "c1")));  // a short abandon
  clock_.Advance(absl::Minutes(15));
  ASSERT_NO_FATAL_FAILURE(Publish(Event(v1::CALL_EVENT_TYPE_OFFERED, "c3")));
  Restart();
  clock_.Advance(absl::Seconds(30));
  ASSERT_NO_FATAL_FAILURE(Publish(Event(v1::CALL_EVENT_TYPE_ENDED, "c3")));  // counts in 10:15 again

  v1::GetQueueStatisticsRequest request;
  request.set_queue("queues/billing");
  v1::GetQueueStatisticsResponse statistics;
  ASSERT_TRUE(supervisor_->GetQueueStatistics(Context(kSupervisor).get(), request, &statistics).ok());
  ASSERT_EQ(statistics.queues_size(), 1);
  EXPECT_EQ(statistics.queues(0).today().offered(), 3);
  EXPECT_EQ(statistics.queues(0).today().abandoned(), 2);
  EXPECT_EQ(statistics.queues(0).today().abandoned_short(), 1);
  EXPECT_EQ(statistics.queues(0).current_interval().offered(), 1);
  EXPECT_EQ(statistics.queues(0).current_interval().abandoned(), 1);

  v1::ListIntervalStatisticsRequest range;
  range.set_queue("queues/billing");
  *range.mutable_start_time() = ToTimestamp(clock_.Now() - absl::Hours(2));
  *range.mutable_end_time() = ToTimestamp(clock_.Now());
  range.set_page_size(1);
  v1::ListIntervalStatisticsResponse page;
  ASSERT_TRUE(supervisor_->ListIntervalStatistics(Context(kSupervisor).get(), range, &page).ok());
  ASSERT_EQ(page.intervals_size(), 1);
  EXPECT_EQ(page.intervals(0).statistics().start_time().seconds(),
            absl::ToUnixSeconds(absl::FromCivil(absl::CivilSecond(2026, 12, 1, 10, 0, 0), absl::UTCTimeZone())));
  EXPECT_EQ(page.intervals(0).statistics().offered(), 2);
  EXPECT_EQ(page.intervals(0).statistics().abandoned_short(), 1);
  EXPECT_DOUBLE_EQ(FigureValue(page.intervals(0).statistics(), "abandon_rate"), 0.5);
  ASSERT_FALSE(page.next_page_token().empty());
  range.set_page_token(page.next_page_token());
  ASSERT_TRUE(supervisor_->ListIntervalStatistics(Context(kSupervisor).get(), range, &page).ok());
  ASSERT_EQ(page.intervals_size(), 1);
  EXPECT_EQ(page.intervals(0).statistics().offered(), 1);
  EXPECT_EQ(page.intervals(0).statistics().abandoned(), 1);
  EXPECT_TRUE(page.next_page_token().empty());
}

// A watcher whose client stops reading while every queue changes ten times a second: the
// server folds what it cannot send into one waiting update (memory: two updates at most),
// so the reader gets far fewer messages than were produced, folded_updates says how many
// were folded, and the last one holds the final state of every queue.
TEST_F(SupervisorWatchTest, ASlowWatcherGetsFoldedUpdatesEndingInTheLatestState) {
  extra_queues_ = 40;
  Restart();
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 16 * 1024);
  auto slow_channel = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(desk_->port()),
                                                grpc::InsecureChannelCredentials(), args);
  auto slow_stub = v1::SupervisorService::NewStub(slow_channel);
  grpc::ClientContext context;
  context.AddMetadata("authorization", std::string("Bearer ") + kSupervisor);
  auto reader = slow_stub->WatchQueues(&context, QueuesRequest(10));
  v1::QueueBoardUpdate update;
  ASSERT_TRUE(reader->Read(&update));
  ASSERT_TRUE(update.snapshot());

  constexpr int kRounds = 25;
  for (int round = 0; round < kRounds; ++round) {
    for (int i = 0; i < extra_queues_; ++i) {
      v1::EnqueueContactRequest request;
      request.set_channel(v1::CONTACT_CHANNEL_CALL);
      request.set_queue("queues/q" + std::to_string(i));
      v1::Contact contact;
      ASSERT_TRUE(contacts_->EnqueueContact(Context(kPbx).get(), request, &contact).ok());
    }
    std::this_thread::sleep_for(120ms);  // at least one update produced per round
  }
  std::this_thread::sleep_for(300ms);

  int messages = 0;
  int64_t folded = 0;
  std::map<std::string, int64_t> latest;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(reader->Read(&update));
    ++messages;
    folded += update.folded_updates();
    for (const auto& q : update.queues()) latest[q.queue()] = q.waiting();
    bool all = latest.size() >= static_cast<std::size_t>(extra_queues_);
    for (int i = 0; all && i < extra_queues_; ++i) all = latest["queues/q" + std::to_string(i)] == kRounds;
    if (all) break;
  }
  std::printf("slow watcher: %d messages read, %lld updates folded into them\n", messages,
              static_cast<long long>(folded));
  for (int i = 0; i < extra_queues_; ++i) EXPECT_EQ(latest["queues/q" + std::to_string(i)], kRounds) << i;
  EXPECT_GT(folded, 0) << messages << " messages";
  EXPECT_LT(messages, kRounds) << "folded " << folded;
  context.TryCancel();
}

}  // namespace
}  // namespace servicedesk::server
