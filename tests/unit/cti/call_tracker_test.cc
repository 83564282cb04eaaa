#include "services/cti/call_tracker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace servicedesk::cti {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class CallTrackerTest : public ::testing::Test {
 protected:
  CallTrackerTest() : tracker_(&clock_, Options()) {}

  static TrackerOptions Options() {
    TrackerOptions options;
    options.called_number_queues = {{"+4930100", "queues/billing"}};
    options.default_queue = "queues/general";
    options.idle_timeout = absl::Minutes(30);
    return options;
  }

  // An event `seconds` after the start, by the telephony's clock; the desk's clock follows.
  CallEvent Event(CallEventType type, int seconds, const std::string& call = "c1") {
    CallEvent event;
    event.source = "pbx-1";
    event.event_id = "e" + std::to_string(++next_event_);
    event.call_id = call;
    event.type = type;
    event.source_time = start_ + absl::Seconds(seconds);
    event.calling = "+4915110000003";
    event.called = "+4930100";
    clock_.Set(start_ + absl::Seconds(seconds));
    return event;
  }

  CallEvent Answered(int seconds, const std::string& agent = "agents/a-1") {
    CallEvent event = Event(CallEventType::kAnswered, seconds);
    event.agent = agent;
    return event;
  }

  CallEvent Ended(int seconds, EndCause cause = EndCause::kNormal) {
    CallEvent event = Event(CallEventType::kEnded, seconds);
    event.cause = cause;
    return event;
  }

  template <typename T>
  static std::vector<T> Of(const TrackerOutcome& outcome) {
    std::vector<T> out;
    for (const auto& action : outcome.actions) {
      if (const auto* a = std::get_if<T>(&action)) out.push_back(*a);
    }
    return out;
  }

  static std::vector<std::string> Anomalies(const TrackerOutcome& outcome) {
    std::vector<std::string> out;
    for (const auto& anomaly : outcome.anomalies) out.push_back(anomaly.what);
    return out;
  }

  const absl::Time start_ = absl::FromUnixSeconds(1'800'000'000);
  ManualClock clock_{start_};
  CallTracker tracker_;
  int next_event_ = 0;
};

TEST_F(CallTrackerTest, AnAnsweredCallBecomesOneRecordWithWaitTalkAndHold) {
  auto offered = tracker_.Apply(Event(CallEventType::kOffered, 0));
  ASSERT_EQ(Of<RouteCall>(offered).size(), 1u);
  EXPECT_EQ(Of<RouteCall>(offered)[0].queue, "queues/billing");  // by the called number
  tracker_.Apply(Event(CallEventType::kRinging, 10));
  auto answered = tracker_.Apply(Answered(12));
  ASSERT_EQ(Of<CallAnswered>(answered).size(), 1u);
  tracker_.Apply(Event(CallEventType::kHeld, 40));
  tracker_.Apply(Event(CallEventType::kRetrieved, 70));
  auto ended = tracker_.Apply(Ended(200));
  ASSERT_EQ(Of<CallFinished>(ended).size(), 1u);
  const CallRecord record = Of<CallFinished>(ended)[0].record;
  EXPECT_EQ(record.wait, absl::Seconds(12));
  EXPECT_EQ(record.hold, absl::Seconds(30));
  EXPECT_EQ(record.talk, absl::Seconds(200 - 12 - 30));
  EXPECT_EQ(record.agent, "agents/a-1");
  EXPECT_EQ(record.cause, EndCause::kNormal);
  EXPECT_FALSE(record.abandoned);
  EXPECT_TRUE(Of<CallAbandoned>(ended).empty());
  EXPECT_TRUE(ended.anomalies.empty());
}

TEST_F(CallTrackerTest, TheQueueComesFromTheIvrThenTheHintThenTheNumberThenTheDefault) {
  CallEvent ivr = Event(CallEventType::kOffered, 0, "a");
  ivr.ivr = {{"queue", "queues/tech"}, {"language", "de"}};
  ivr.queue = "queues/sales";
  EXPECT_EQ(Of<RouteCall>(tracker_.Apply(ivr))[0].queue, "queues/tech");
  CallEvent hint = Event(CallEventType::kOffered, 0, "b");
  hint.queue = "queues/sales";
  EXPECT_EQ(Of<RouteCall>(tracker_.Apply(hint))[0].queue, "queues/sales");
  CallEvent other = Event(CallEventType::kOffered, 0, "c");
  other.called = "+4930999";
  EXPECT_EQ(Of<RouteCall>(tracker_.Apply(other))[0].queue, "queues/general");
}

TEST_F(CallTrackerTest, AHangUpWhileWaitingIsAnAbandonWithItsWaitAndOneCallback) {
  tracker_.Apply(Event(CallEventType::kOffered, 0));
  auto ended = tracker_.Apply(Ended(45));  // "normal clearing" from the caller's side
  ASSERT_EQ(Of<CallAbandoned>(ended).size(), 1u);
  EXPECT_EQ(Of<CallAbandoned>(ended)[0].waited, absl::Seconds(45));
  EXPECT_TRUE(Of<CallAbandoned>(ended)[0].create_callback);
  EXPECT_TRUE(Of<CallFinished>(ended)[0].record.abandoned);
  EXPECT_EQ(Of<CallFinished>(ended)[0].record.cause, EndCause::kAbandoned);
  // The same caller tries again and gives up again: no second callback within the window.
  tracker_.Apply(Event(CallEventType::kOffered, 100, "c2"));
  CallEvent again = Event(CallEventType::kEnded, 160, "c2");
  auto second = tracker_.Apply(again);
  ASSERT_EQ(Of<CallAbandoned>(second).size(), 1u);
  EXPECT_FALSE(Of<CallAbandoned>(second)[0].create_callback);
}

TEST_F(CallTrackerTest, AShortAbandonIsNotWorthACallback) {
  tracker_.Apply(Event(CallEventType::kOffered, 0));
  auto ended = tracker_.Apply(Ended(2));
  ASSERT_EQ(Of<CallAbandoned>(ended).size(), 1u);
  EXPECT_FALSE(Of<CallAbandoned>(ended)[0].create_callback);
}

TEST_F(CallTrackerTest, AnAnswerAfterTheHangUpIsRecordedAndIgnored) {
  tracker_.Apply(Event(CallEventType::kOffered, 0));
  tracker_.Apply(Ended(30));
  auto late = tracker_.Apply(Answered(31));
  EXPECT_TRUE(late.actions.empty());
  EXPECT_THAT(Anomalies(late), ElementsAre("answered after the hang-up"));
  EXPECT_EQ(tracker_.StateOf("pbx-1", "c1"), CallState::kEnded);
}

TEST_F(CallTrackerTest, AHangUpForACallNeverOfferedIsRecordedNotRefused) {
  auto ended = tracker_.Apply(Ended(5));
  EXPECT_TRUE(ended.actions.empty());
  EXPECT_THAT(Anomalies(ended), ElementsAre("hang-up for a call never offered"));
  EXPECT_EQ(tracker_.StateOf("pbx-1", "c1"), std::nullopt);
}

TEST_F(CallTrackerTest, ATransferBeforeTheAnswerReRoutesTheCall) {
  tracker_.Apply(Event(CallEventType::kOffered, 0));
  CallEvent transfer = Event(CallEventType::kTransferred, 20);
  transfer.transfer = TransferTarget::kQueue;
  transfer.queue = "queues/tech";
  auto moved = tracker_.Apply(transfer);
  ASSERT_EQ(Of<MoveCall>(moved).size(), 1u);
  EXPECT_EQ(Of<MoveCall>(moved)[0].queue, "queues/tech");
  EXPECT_THAT(Anomalies(moved), ElementsAre("transfer before the answer"));
  tracker_.Apply(Answered(50, "agents/a-7"));
  auto ended = tracker_.Apply(Ended(100));
  const CallRecord record = Of<CallFinished>(ended)[0].record;
  EXPECT_EQ(record.queue, "queues/tech");
  EXPECT_EQ(record.agent, "agents/a-7");
  EXPECT_EQ(record.wait, absl::Seconds(50));  // the whole wait, across the transfer
}

TEST_F(CallTrackerTest, ATransferOfAnAnsweredCallToAnAgentOrOutside) {
  tracker_.Apply(Event(CallEventType::kOffered, 0));
  tracker_.Apply(Answered(5));
  CallEvent to_agent = Event(CallEventType::kTransferred, 60);
  to_agent.transfer = TransferTarget::kAgent;
  to_agent.agent = "agents/a-9";
  auto moved = tracker_.Apply(to_agent);
  ASSERT_EQ(Of<MoveCall>(moved).size(), 1u);
  EXPECT_EQ(Of<MoveCall>(moved)[0].agent, "agents/a-9");
  EXPECT_TRUE(moved.anomalies.empty());
  tracker_.Apply(Answered(65, "agents/a-9"));
  CallEvent outside = Event(CallEventType::kTransferred, 90);
  outside.transfer = TransferTarget::kOutside;
  outside.outside_number = "+4940123";
  auto forwarded = tracker_.Apply(outside);
  ASSERT_EQ(Of<CallFinished>(forwarded).size(), 1u);
  EXPECT_EQ(Of<CallFinished>(forwarded)[0].record.cause, EndCause::kForwarded);
  EXPECT_TRUE(Of<CallAbandoned>(forwarded).empty());
}

TEST_F(CallTrackerTest, EventsBeforeTheOfferCreateTheCallAndSaySo) {
  auto ringing = tracker_.Apply(Event(CallEventType::kRinging, 3));
  EXPECT_EQ(Of<RouteCall>(ringing).size(), 1u);
  EXPECT_THAT(Anomalies(ringing), ElementsAre("ringing before the offer"));
  EXPECT_EQ(tracker_.StateOf("pbx-1", "c1"), CallState::kRinging);
  auto offered = tracker_.Apply(Event(CallEventType::kOffered, 0));  // the late offer
  EXPECT_TRUE(offered.actions.empty());
  EXPECT_THAT(Anomalies(offered), ElementsAre("offered again for a live call"));
}

TEST_F(CallTrackerTest, HoldAndRetrieveOutOfStateAreIgnored) {
  tracker_.Apply(Event(CallEventType::kOffered, 0));
  EXPECT_THAT(Anomalies(tracker_.Apply(Event(CallEventType::kHeld, 5))), ElementsAre("held while waiting"));
  tracker_.Apply(Answered(10));
  EXPECT_THAT(Anomalies(tracker_.Apply(Event(CallEventType::kRetrieved, 12))),
              ElementsAre("retrieved while connected"));
  tracker_.Apply(Event(CallEventType::kHeld, 20));
  auto ended = tracker_.Apply(Ended(50));  // hung up on hold: the hold counts up to the end
  EXPECT_EQ(Of<CallFinished>(ended)[0].record.hold, absl::Seconds(30));
  EXPECT_EQ(Of<CallFinished>(ended)[0].record.talk, absl::Seconds(10));
}

TEST_F(CallTrackerTest, ASilentCallIsClosedWithTimeoutAndItsAgentFreed) {
  tracker_.Apply(Event(CallEventType::kOffered, 0));
  tracker_.Apply(Answered(10));
  EXPECT_EQ(tracker_.NextDeadline(), start_ + absl::Seconds(10) + absl::Minutes(30));
  clock_.Set(start_ + absl::Minutes(20));
  EXPECT_TRUE(tracker_.ExpireIdle().actions.empty());
  clock_.Set(start_ + absl::Seconds(10) + absl::Minutes(30));
  auto expired = tracker_.ExpireIdle();
  ASSERT_EQ(Of<CallFinished>(expired).size(), 1u);
  const CallRecord record = Of<CallFinished>(expired)[0].record;
  EXPECT_EQ(record.cause, EndCause::kTimeout);
  EXPECT_EQ(record.agent, "agents/a-1");
  EXPECT_EQ(record.ended, start_ + absl::Seconds(10));  // when it was last heard of
  EXPECT_THAT(Anomalies(expired), ElementsAre(HasSubstr("no event for")));
  EXPECT_EQ(tracker_.live_calls(), 0u);
  // A late hang-up is recognised while the ended call is remembered, then forgotten.
  EXPECT_THAT(Anomalies(tracker_.Apply(Ended(1900))), ElementsAre("ended after the hang-up"));
  clock_.Advance(absl::Hours(2));
  tracker_.ExpireIdle();
  EXPECT_EQ(tracker_.StateOf("pbx-1", "c1"), std::nullopt);
}

TEST_F(CallTrackerTest, AnOutboundCallIsConnectedFromTheStartAndNeverAbandoned) {
  CallEvent placed = Event(CallEventType::kOutboundPlaced, 0, "out-1");
  placed.agent = "agents/a-2";
  placed.called = "+4915110000003";
  auto started = tracker_.Apply(placed);
  EXPECT_TRUE(Of<RouteCall>(started).empty());
  EXPECT_EQ(tracker_.StateOf("pbx-1", "out-1"), CallState::kConnected);
  CallEvent ended = Event(CallEventType::kEnded, 120, "out-1");
  auto finished = tracker_.Apply(ended);
  ASSERT_EQ(Of<CallFinished>(finished).size(), 1u);
  EXPECT_FALSE(Of<CallFinished>(finished)[0].record.inbound);
  EXPECT_EQ(Of<CallFinished>(finished)[0].record.talk, absl::Seconds(120));
  EXPECT_TRUE(Of<CallAbandoned>(finished).empty());
}

TEST_F(CallTrackerTest, CallsOfDifferentSourcesWithTheSameIdAreDifferentCalls) {
  tracker_.Apply(Event(CallEventType::kOffered, 0));
  CallEvent other = Event(CallEventType::kOffered, 1);
  other.source = "pbx-2";
  EXPECT_EQ(Of<RouteCall>(tracker_.Apply(other)).size(), 1u);
  EXPECT_EQ(tracker_.live_calls(), 2u);
}

TEST_F(CallTrackerTest, ASnapshotRestoredInANewTrackerGoesOnWhereItWas) {
  tracker_.Apply(Event(CallEventType::kOffered, 0));
  tracker_.Apply(Answered(10));
  tracker_.Apply(Event(CallEventType::kHeld, 20));
  const auto snapshot = tracker_.Snapshot("pbx-1", "c1");
  ASSERT_TRUE(snapshot.has_value());
  CallTracker restarted(&clock_, Options());
  restarted.Restore(*snapshot);
  EXPECT_EQ(restarted.StateOf("pbx-1", "c1"), CallState::kHeld);
  restarted.Apply(Event(CallEventType::kRetrieved, 50));
  auto ended = restarted.Apply(Ended(100));
  ASSERT_EQ(Of<CallFinished>(ended).size(), 1u);
  EXPECT_EQ(Of<CallFinished>(ended)[0].record.hold, absl::Seconds(30));
  EXPECT_EQ(Of<CallFinished>(ended)[0].record.talk, absl::Seconds(60));
  EXPECT_TRUE(ended.anomalies.empty());
}

}  // namespace
}  // namespace servicedesk::cti
