#include "services/supervisor/live_board.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "services/routing/routing_types.h"

namespace servicedesk::supervisor {
namespace {

using routing::AgentState;
using Names = std::vector<std::string>;

// Seconds after an arbitrary fixed epoch (2023-11-14 22:13:20 UTC).
absl::Time T(int64_t seconds) { return absl::FromUnixSeconds(1'700'000'000 + seconds); }

// A queue's agent counts, in the order staffed, ready, reserved, busy, wrap_up, not_ready.
std::vector<int> AgentCounts(const QueueLive& q) {
  return {q.staffed, q.ready, q.reserved, q.busy, q.wrap_up, q.not_ready};
}
const std::vector<int> kNoAgents = {0, 0, 0, 0, 0, 0};

// Forgets the changes made so far (the setup of a test).
void Settle(LiveBoard& board) { (void)board.TakeChanges(); }

// ---- Contacts waiting ----

TEST(LiveBoardTest, CountsContactsWaitingAndTheOldestEnqueuedAcrossWaitingAndLeft) {
  LiveBoard board;
  board.SetQueues({"billing"}, T(0));
  EXPECT_EQ(board.Queue("billing").waiting, 0);
  EXPECT_EQ(board.Queue("billing").oldest_enqueued, std::nullopt);

  board.ContactWaiting(1, "billing", T(100), T(100));
  board.ContactWaiting(2, "billing", T(110), T(110));
  board.ContactWaiting(3, "billing", T(120), T(120));
  QueueLive q = board.Queue("billing");
  EXPECT_EQ(q.queue, "billing");
  EXPECT_EQ(q.waiting, 3);
  EXPECT_EQ(q.oldest_enqueued, T(100));
  EXPECT_EQ(board.waiting_contacts(), 3);

  board.ContactLeft(1, T(130));  // the oldest is answered
  q = board.Queue("billing");
  EXPECT_EQ(q.waiting, 2);
  EXPECT_EQ(q.oldest_enqueued, T(110));

  board.ContactLeft(3, T(140));  // the newest abandons
  q = board.Queue("billing");
  EXPECT_EQ(q.waiting, 1);
  EXPECT_EQ(q.oldest_enqueued, T(110));

  board.ContactLeft(2, T(150));
  q = board.Queue("billing");
  EXPECT_EQ(q.waiting, 0);
  EXPECT_EQ(q.oldest_enqueued, std::nullopt);
  EXPECT_EQ(board.waiting_contacts(), 0);
}

TEST(LiveBoardTest, AContactWaitingInAnotherQueueLeavesTheFirst) {
  LiveBoard board;
  board.SetQueues({"billing", "sales"}, T(0));
  board.ContactWaiting(1, "billing", T(100), T(100));
  board.ContactWaiting(2, "billing", T(110), T(110));

  board.ContactWaiting(1, "sales", T(100), T(150));  // transferred, keeping its enqueue time
  EXPECT_EQ(board.Queue("billing").waiting, 1);
  EXPECT_EQ(board.Queue("billing").oldest_enqueued, T(110));
  EXPECT_EQ(board.Queue("sales").waiting, 1);
  EXPECT_EQ(board.Queue("sales").oldest_enqueued, T(100));
  EXPECT_EQ(board.waiting_contacts(), 2);

  board.ContactLeft(1, T(160));  // leaves the queue it waits in now, not the first one
  EXPECT_EQ(board.Queue("sales").waiting, 0);
  EXPECT_EQ(board.Queue("sales").oldest_enqueued, std::nullopt);
  EXPECT_EQ(board.Queue("billing").waiting, 1);
  EXPECT_EQ(board.waiting_contacts(), 1);
}

TEST(LiveBoardTest, OldestFollowsTheEnqueueTimeNotTheArrivalOrder) {
  LiveBoard board;
  board.SetQueues({"billing", "sales"}, T(0));
  board.ContactWaiting(1, "sales", T(200), T(200));
  board.ContactWaiting(2, "billing", T(50), T(50));
  board.ContactWaiting(2, "sales", T(50), T(250));  // arrives last, enqueued first
  EXPECT_EQ(board.Queue("sales").waiting, 2);
  EXPECT_EQ(board.Queue("sales").oldest_enqueued, T(50));

  // Two contacts enqueued at the same time both count.
  board.ContactWaiting(3, "sales", T(200), T(260));
  EXPECT_EQ(board.Queue("sales").waiting, 3);

  board.ContactLeft(2, T(300));
  EXPECT_EQ(board.Queue("sales").oldest_enqueued, T(200));
  board.ContactLeft(1, T(310));
  EXPECT_EQ(board.Queue("sales").waiting, 1);
  EXPECT_EQ(board.Queue("sales").oldest_enqueued, T(200));

  // Re-enqueued in the same queue with a new time: it moves, it is not counted twice.
  board.ContactWaiting(3, "sales", T(400), T(400));
  EXPECT_EQ(board.Queue("sales").waiting, 1);
  EXPECT_EQ(board.Queue("sales").oldest_enqueued, T(400));
}

TEST(LiveBoardTest, UnknownContactLeftIsIgnored) {
  LiveBoard board;
  board.SetQueues({"billing"}, T(0));
  board.ContactWaiting(1, "billing", T(100), T(100));
  Settle(board);

  board.ContactLeft(99, T(110));
  EXPECT_EQ(board.Queue("billing").waiting, 1);
  EXPECT_EQ(board.waiting_contacts(), 1);
  LiveBoard::Changes changes = board.TakeChanges();
  EXPECT_TRUE(changes.empty());
  EXPECT_EQ(changes.first_change, std::nullopt);

  board.ContactLeft(1, T(120));
  Settle(board);
  board.ContactLeft(1, T(130));  // already gone
  EXPECT_EQ(board.Queue("billing").waiting, 0);
  EXPECT_EQ(board.waiting_contacts(), 0);
  EXPECT_TRUE(board.TakeChanges().empty());
}

// ---- Agents per queue ----

TEST(LiveBoardTest, AnAgentServingTwoQueuesIsStaffedInBoth) {
  LiveBoard board;
  board.SetQueues({"billing", "sales", "support"}, T(0));
  board.SetAgentQueues("ann", {"sales", "billing", "sales"}, T(0));
  EXPECT_EQ(board.Agent("ann", T(0)).queues, (Names{"billing", "sales"}));  // sorted, once each
  board.SetAgentState("ann", AgentState::kReady, "", T(10));

  EXPECT_EQ(AgentCounts(board.Queue("billing")), (std::vector<int>{1, 1, 0, 0, 0, 0}));
  EXPECT_EQ(AgentCounts(board.Queue("sales")), (std::vector<int>{1, 1, 0, 0, 0, 0}));
  EXPECT_EQ(AgentCounts(board.Queue("support")), kNoAgents);

  board.SetAgentQueues("bob", {"sales"}, T(0));
  board.SetAgentState("bob", AgentState::kBusy, "", T(20));
  EXPECT_EQ(AgentCounts(board.Queue("billing")), (std::vector<int>{1, 1, 0, 0, 0, 0}));
  EXPECT_EQ(AgentCounts(board.Queue("sales")), (std::vector<int>{2, 1, 0, 1, 0, 0}));
  EXPECT_EQ(board.AgentNames(), (Names{"ann", "bob"}));
}

TEST(LiveBoardTest, StateChangesMoveTheCountsBetweenStates) {
  LiveBoard board;
  board.SetQueues({"billing"}, T(0));
  board.SetAgentQueues("ann", {"billing"}, T(0));
  board.SetAgentQueues("bob", {"billing"}, T(0));
  board.SetAgentState("bob", AgentState::kReady, "", T(0));
  const auto counts = [&] { return AgentCounts(board.Queue("billing")); };

  board.SetAgentState("ann", AgentState::kReady, "", T(10));
  EXPECT_EQ(counts(), (std::vector<int>{2, 2, 0, 0, 0, 0}));
  board.SetAgentState("ann", AgentState::kReserved, "", T(20));
  EXPECT_EQ(counts(), (std::vector<int>{2, 1, 1, 0, 0, 0}));
  board.SetAgentState("ann", AgentState::kBusy, "", T(30));
  EXPECT_EQ(counts(), (std::vector<int>{2, 1, 0, 1, 0, 0}));
  board.SetAgentState("ann", AgentState::kWrapUp, "", T(40));
  EXPECT_EQ(counts(), (std::vector<int>{2, 1, 0, 0, 1, 0}));
  board.SetAgentState("ann", AgentState::kNotReady, "break", T(50));
  EXPECT_EQ(counts(), (std::vector<int>{2, 1, 0, 0, 0, 1}));
  board.SetAgentState("ann", AgentState::kReady, "", T(60));
  EXPECT_EQ(counts(), (std::vector<int>{2, 2, 0, 0, 0, 0}));

  const AgentLive ann = board.Agent("ann", T(70));
  EXPECT_EQ(ann.state, AgentState::kReady);
  EXPECT_EQ(ann.state_since, T(60));
  EXPECT_EQ(ann.reason, "");
}

TEST(LiveBoardTest, NotReadyIsCountedPerReasonAndZeroCountsAreDropped) {
  LiveBoard board;
  board.SetQueues({"billing"}, T(0));
  for (const char* agent : {"ann", "bob", "cat"}) board.SetAgentQueues(agent, {"billing"}, T(0));
  board.SetAgentState("ann", AgentState::kNotReady, "break", T(10));
  board.SetAgentState("bob", AgentState::kNotReady, "break", T(10));
  board.SetAgentState("cat", AgentState::kNotReady, "lunch", T(10));
  QueueLive q = board.Queue("billing");
  EXPECT_EQ(q.not_ready, 3);
  EXPECT_EQ(q.not_ready_by_reason, (std::map<std::string, int>{{"break", 2}, {"lunch", 1}}));
  EXPECT_EQ(board.Agent("cat", T(10)).reason, "lunch");

  board.SetAgentState("cat", AgentState::kNotReady, "training", T(20));  // another reason
  q = board.Queue("billing");
  EXPECT_EQ(q.not_ready, 3);
  EXPECT_EQ(q.not_ready_by_reason, (std::map<std::string, int>{{"break", 2}, {"training", 1}}));

  board.SetAgentState("ann", AgentState::kReady, "", T(30));
  board.SetAgentState("bob", AgentState::kLoggedOut, "", T(30));
  q = board.Queue("billing");
  EXPECT_EQ(q.not_ready, 1);
  EXPECT_EQ(q.not_ready_by_reason, (std::map<std::string, int>{{"training", 1}}));

  board.SetAgentState("cat", AgentState::kBusy, "", T(40));
  EXPECT_TRUE(board.Queue("billing").not_ready_by_reason.empty());

  // A reason given with any other state is not kept.
  board.SetAgentState("ann", AgentState::kBusy, "stray", T(50));
  EXPECT_EQ(board.Agent("ann", T(50)).reason, "");
}

TEST(LiveBoardTest, LoggedOutCountsInNoState) {
  LiveBoard board;
  board.SetQueues({"billing", "sales"}, T(0));
  board.SetAgentQueues("ann", {"billing", "sales"}, T(0));  // a new agent starts LOGGED_OUT
  EXPECT_EQ(board.Agent("ann", T(0)).state, AgentState::kLoggedOut);
  EXPECT_EQ(AgentCounts(board.Queue("billing")), kNoAgents);

  board.SetAgentState("ann", AgentState::kNotReady, "break", T(10));
  EXPECT_EQ(AgentCounts(board.Queue("billing")), (std::vector<int>{1, 0, 0, 0, 0, 1}));
  board.SetAgentState("ann", AgentState::kLoggedOut, "", T(20));
  for (const char* queue : {"billing", "sales"}) {
    const QueueLive q = board.Queue(queue);
    EXPECT_EQ(AgentCounts(q), kNoAgents) << queue;
    EXPECT_TRUE(q.not_ready_by_reason.empty()) << queue;
  }
  EXPECT_EQ(board.Agent("ann", T(30)).state, AgentState::kLoggedOut);

  // An unknown agent is LOGGED_OUT.
  EXPECT_EQ(board.Agent("nobody", T(30)).state, AgentState::kLoggedOut);
  EXPECT_EQ(board.Agent("nobody", T(30)).agent, "nobody");
}

TEST(LiveBoardTest, SetAgentQueuesWhileLoggedInMovesTheCountsToTheNewQueues) {
  LiveBoard board;
  board.SetQueues({"billing", "sales", "support"}, T(0));
  board.SetAgentQueues("ann", {"billing", "sales"}, T(0));
  board.SetAgentState("ann", AgentState::kNotReady, "break", T(10));
  Settle(board);

  board.SetAgentQueues("ann", {"support", "sales"}, T(20));
  const std::vector<int> one_not_ready = {1, 0, 0, 0, 0, 1};
  EXPECT_EQ(AgentCounts(board.Queue("billing")), kNoAgents);
  EXPECT_TRUE(board.Queue("billing").not_ready_by_reason.empty());
  for (const char* queue : {"sales", "support"}) {
    const QueueLive q = board.Queue(queue);
    EXPECT_EQ(AgentCounts(q), one_not_ready) << queue;
    EXPECT_EQ(q.not_ready_by_reason, (std::map<std::string, int>{{"break", 1}})) << queue;
  }
  EXPECT_EQ(board.Agent("ann", T(20)).queues, (Names{"sales", "support"}));
  const LiveBoard::Changes changes = board.TakeChanges();
  EXPECT_EQ(changes.queues, (Names{"billing", "sales", "support"}));
  EXPECT_EQ(changes.agents, (Names{"ann"}));
  EXPECT_EQ(changes.first_change, T(20));

  // A logged-out agent's queues change no counts; their login counts in the new ones.
  board.SetAgentQueues("bob", {"billing"}, T(30));
  board.SetAgentQueues("bob", {"support"}, T(40));
  EXPECT_EQ(AgentCounts(board.Queue("billing")), kNoAgents);
  EXPECT_EQ(AgentCounts(board.Queue("support")), one_not_ready);
  board.SetAgentState("bob", AgentState::kReady, "", T(50));
  EXPECT_EQ(AgentCounts(board.Queue("billing")), kNoAgents);
  EXPECT_EQ(AgentCounts(board.Queue("support")), (std::vector<int>{2, 1, 0, 0, 0, 1}));
}

// ---- Occupancy ----

// Login READY at 0: ready 60 s, busy 120 s, wrap-up 30 s, not ready 100 s, then ready 90 s
// running at 400: handling 120 + 30 = 150 s, idle 60 + 90 = 150 s, occupancy 150 / 300.
TEST(LiveBoardTest, OccupancyIsHandlingOverHandlingPlusIdleWithNotReadyInNeither) {
  LiveBoard board;
  board.SetAgentQueues("ann", {"billing"}, T(0));
  board.SetAgentState("ann", AgentState::kReady, "", T(0));
  board.SetAgentState("ann", AgentState::kBusy, "", T(60));

  AgentLive ann = board.Agent("ann", T(120));  // busy for 60 s so far: the running state counts
  EXPECT_EQ(ann.handling, absl::Seconds(60));
  EXPECT_EQ(ann.idle, absl::Seconds(60));
  EXPECT_TRUE(ann.occupancy_defined);
  EXPECT_DOUBLE_EQ(ann.occupancy, 0.5);

  board.SetAgentState("ann", AgentState::kWrapUp, "", T(180));
  board.SetAgentState("ann", AgentState::kNotReady, "break", T(210));
  ann = board.Agent("ann", T(210));
  EXPECT_EQ(ann.handling, absl::Seconds(150));
  EXPECT_EQ(ann.idle, absl::Seconds(60));
  EXPECT_DOUBLE_EQ(ann.occupancy, 150.0 / 210);
  ann = board.Agent("ann", T(300));  // 90 s into the break: unchanged
  EXPECT_EQ(ann.handling, absl::Seconds(150));
  EXPECT_EQ(ann.idle, absl::Seconds(60));
  EXPECT_DOUBLE_EQ(ann.occupancy, 150.0 / 210);

  board.SetAgentState("ann", AgentState::kReady, "", T(310));
  ann = board.Agent("ann", T(400));
  EXPECT_EQ(ann.state_since, T(310));
  EXPECT_EQ(ann.handling, absl::Seconds(150));
  EXPECT_EQ(ann.idle, absl::Seconds(150));
  EXPECT_TRUE(ann.occupancy_defined);
  EXPECT_DOUBLE_EQ(ann.occupancy, 0.5);
}

TEST(LiveBoardTest, ReservedCountsAsIdleForOccupancy) {
  LiveBoard board;
  board.SetAgentState("ann", AgentState::kReserved, "", T(0));
  board.SetAgentState("ann", AgentState::kBusy, "", T(30));
  const AgentLive ann = board.Agent("ann", T(120));
  EXPECT_EQ(ann.idle, absl::Seconds(30));
  EXPECT_EQ(ann.handling, absl::Seconds(90));
  EXPECT_DOUBLE_EQ(ann.occupancy, 0.75);
}

TEST(LiveBoardTest, OccupancyIsUndefinedBeforeAnyTimePassed) {
  LiveBoard board;
  AgentLive live = board.Agent("nobody", T(100));  // unknown
  EXPECT_FALSE(live.occupancy_defined);
  EXPECT_EQ(live.occupancy, 0);

  board.SetAgentQueues("ann", {"billing"}, T(0));  // known, never logged in
  EXPECT_FALSE(board.Agent("ann", T(100)).occupancy_defined);

  board.SetAgentState("ann", AgentState::kReady, "", T(100));
  live = board.Agent("ann", T(100));  // logged in this instant
  EXPECT_FALSE(live.occupancy_defined);
  EXPECT_EQ(live.handling, absl::ZeroDuration());
  EXPECT_EQ(live.idle, absl::ZeroDuration());

  live = board.Agent("ann", T(110));  // 10 s idle: defined, zero
  EXPECT_TRUE(live.occupancy_defined);
  EXPECT_EQ(live.occupancy, 0);

  board.SetAgentState("bob", AgentState::kNotReady, "meeting", T(0));
  EXPECT_FALSE(board.Agent("bob", T(1000)).occupancy_defined);  // only NOT_READY time
}

// Session 1: ready 100 s, busy 300 s, logged out at 400 (and the times stop there).
// Session 2 from 1000: not ready 100 s, ready 30 s, busy 30 s running at 1160.
TEST(LiveBoardTest, ANewLoginStartsTheTimesFromZero) {
  LiveBoard board;
  board.SetAgentQueues("ann", {"billing"}, T(0));
  board.SetAgentState("ann", AgentState::kReady, "", T(0));
  board.SetAgentState("ann", AgentState::kBusy, "", T(100));
  board.SetAgentWork("ann", "c-1", 7, T(100));
  board.SetAgentState("ann", AgentState::kLoggedOut, "", T(400));
  for (int64_t now : {400, 900}) {
    const AgentLive ann = board.Agent("ann", T(now));
    EXPECT_EQ(ann.handling, absl::Seconds(300)) << now;
    EXPECT_EQ(ann.idle, absl::Seconds(100)) << now;
    EXPECT_DOUBLE_EQ(ann.occupancy, 0.75) << now;
  }

  board.SetAgentState("ann", AgentState::kNotReady, "setup", T(1000));  // a login
  AgentLive ann = board.Agent("ann", T(1100));
  EXPECT_EQ(ann.handling, absl::ZeroDuration());
  EXPECT_EQ(ann.idle, absl::ZeroDuration());
  EXPECT_FALSE(ann.occupancy_defined);
  EXPECT_EQ(ann.handled, 0);

  board.SetAgentState("ann", AgentState::kReady, "", T(1100));
  board.SetAgentState("ann", AgentState::kBusy, "", T(1130));
  ann = board.Agent("ann", T(1160));
  EXPECT_EQ(ann.handling, absl::Seconds(30));
  EXPECT_EQ(ann.idle, absl::Seconds(30));
  EXPECT_DOUBLE_EQ(ann.occupancy, 0.5);
}

// ---- Work ----

TEST(LiveBoardTest, SetAgentWorkSetsTheContactAndHandled) {
  LiveBoard board;
  board.SetAgentQueues("ann", {"billing"}, T(0));
  board.SetAgentState("ann", AgentState::kBusy, "", T(0));
  Settle(board);

  board.SetAgentWork("ann", "c-42", 4, T(10));
  AgentLive ann = board.Agent("ann", T(10));
  EXPECT_EQ(ann.contact, "c-42");
  EXPECT_EQ(ann.handled, 4);
  LiveBoard::Changes changes = board.TakeChanges();
  EXPECT_EQ(changes.agents, (Names{"ann"}));
  EXPECT_TRUE(changes.queues.empty());
  EXPECT_EQ(changes.first_change, T(10));

  board.SetAgentWork("ann", "c-42", 4, T(20));  // the same: no change
  EXPECT_TRUE(board.TakeChanges().empty());

  board.SetAgentWork("ann", "", 5, T(30));
  ann = board.Agent("ann", T(30));
  EXPECT_EQ(ann.contact, "");
  EXPECT_EQ(ann.handled, 5);
}

TEST(LiveBoardTest, LoggingOutClearsTheContact) {
  LiveBoard board;
  board.SetAgentQueues("ann", {"billing"}, T(0));
  board.SetAgentState("ann", AgentState::kBusy, "", T(0));
  board.SetAgentWork("ann", "c-9", 2, T(0));
  board.SetAgentState("ann", AgentState::kWrapUp, "", T(60));
  EXPECT_EQ(board.Agent("ann", T(60)).contact, "c-9");  // kept while wrapping up

  board.SetAgentState("ann", AgentState::kLoggedOut, "", T(90));
  const AgentLive ann = board.Agent("ann", T(90));
  EXPECT_EQ(ann.state, AgentState::kLoggedOut);
  EXPECT_EQ(ann.contact, "");
}

// ---- Change tracking ----

TEST(LiveBoardTest, TakeChangesListsExactlyWhatChangedSinceThePreviousTakeSorted) {
  LiveBoard board;
  board.SetQueues({"support", "billing", "sales"}, T(0));
  board.SetAgentQueues("zoe", {"sales"}, T(0));
  board.SetAgentQueues("adam", {"billing"}, T(0));
  LiveBoard::Changes changes = board.TakeChanges();
  EXPECT_EQ(changes.queues, (Names{"billing", "sales", "support"}));
  EXPECT_EQ(changes.agents, (Names{"adam", "zoe"}));
  EXPECT_EQ(changes.first_change, T(0));

  board.ContactWaiting(7, "support", T(50), T(50));
  board.SetAgentState("zoe", AgentState::kReady, "", T(30));  // marks zoe and sales
  board.SetAgentWork("adam", "c-1", 1, T(40));                 // marks adam only
  board.ContactWaiting(8, "support", T(55), T(55));
  changes = board.TakeChanges();
  EXPECT_EQ(changes.queues, (Names{"sales", "support"}));
  EXPECT_EQ(changes.agents, (Names{"adam", "zoe"}));
  EXPECT_EQ(changes.first_change, T(30));
  EXPECT_FALSE(changes.empty());

  changes = board.TakeChanges();  // right after: nothing
  EXPECT_TRUE(changes.empty());
  EXPECT_TRUE(changes.queues.empty());
  EXPECT_TRUE(changes.agents.empty());
  EXPECT_EQ(changes.first_change, std::nullopt);

  board.ContactLeft(7, T(60));
  changes = board.TakeChanges();
  EXPECT_EQ(changes.queues, (Names{"support"}));
  EXPECT_TRUE(changes.agents.empty());
  EXPECT_EQ(changes.first_change, T(60));
}

TEST(LiveBoardTest, FirstChangeIsTheEarliestChangeTimeNotTheFirstReported) {
  LiveBoard board;
  board.SetQueues({"billing"}, T(0));
  Settle(board);
  board.Touch("billing", T(90));
  board.ContactWaiting(1, "billing", T(20), T(20));  // reported late
  board.SetAgentState("ann", AgentState::kReady, "", T(50));
  const LiveBoard::Changes changes = board.TakeChanges();
  EXPECT_EQ(changes.first_change, T(20));
  EXPECT_EQ(changes.queues, (Names{"billing"}));
  EXPECT_EQ(changes.agents, (Names{"ann"}));
}

TEST(LiveBoardTest, TheSameStateAndReasonAgainIsNoChange) {
  LiveBoard board;
  board.SetQueues({"billing"}, T(0));
  board.SetAgentQueues("ann", {"billing"}, T(0));
  board.SetAgentState("ann", AgentState::kReady, "", T(10));
  Settle(board);

  board.SetAgentState("ann", AgentState::kReady, "", T(20));
  board.SetAgentState("ann", AgentState::kReady, "ignored", T(25));  // no reason but NOT_READY's
  EXPECT_TRUE(board.TakeChanges().empty());
  EXPECT_EQ(board.Agent("ann", T(30)).state_since, T(10));
  EXPECT_EQ(AgentCounts(board.Queue("billing")), (std::vector<int>{1, 1, 0, 0, 0, 0}));

  board.SetAgentState("ann", AgentState::kNotReady, "break", T(40));
  Settle(board);
  board.SetAgentState("ann", AgentState::kNotReady, "break", T(50));
  EXPECT_TRUE(board.TakeChanges().empty());
  EXPECT_EQ(board.Agent("ann", T(50)).state_since, T(40));
  EXPECT_EQ(board.Queue("billing").not_ready_by_reason, (std::map<std::string, int>{{"break", 1}}));

  board.SetAgentState("ann", AgentState::kNotReady, "lunch", T(60));  // another reason: a change
  const LiveBoard::Changes changes = board.TakeChanges();
  EXPECT_EQ(changes.agents, (Names{"ann"}));
  EXPECT_EQ(changes.queues, (Names{"billing"}));
  EXPECT_EQ(board.Agent("ann", T(60)).state_since, T(60));

  // The same queues, or the same contact waiting again, are no change either.
  board.SetAgentQueues("ann", {"billing", "billing"}, T(70));
  board.ContactWaiting(1, "billing", T(80), T(80));
  Settle(board);
  board.ContactWaiting(1, "billing", T(80), T(90));
  EXPECT_TRUE(board.TakeChanges().empty());
  EXPECT_EQ(board.Queue("billing").waiting, 1);
}

TEST(LiveBoardTest, TouchMarksAKnownQueueOnly) {
  LiveBoard board;
  board.SetQueues({"billing"}, T(0));
  board.ContactWaiting(1, "overflow", T(5), T(5));  // known though not listed: a contact waits
  Settle(board);

  board.Touch("billing", T(70));
  board.Touch("overflow", T(80));
  board.Touch("nowhere", T(60));
  LiveBoard::Changes changes = board.TakeChanges();
  EXPECT_EQ(changes.queues, (Names{"billing", "overflow"}));
  EXPECT_TRUE(changes.agents.empty());
  EXPECT_EQ(changes.first_change, T(70));

  board.Touch("nowhere", T(90));
  changes = board.TakeChanges();
  EXPECT_TRUE(changes.empty());
  EXPECT_EQ(changes.first_change, std::nullopt);
  EXPECT_EQ(board.QueueNames(), (Names{"billing"}));  // Touch creates no queue
}

// ---- Listed queues ----

TEST(LiveBoardTest, ListedQueuesAppearInQueueNamesEvenWhenEmpty) {
  LiveBoard board;
  EXPECT_TRUE(board.QueueNames().empty());
  board.SetQueues({"sales", "billing", "sales"}, T(0));
  EXPECT_EQ(board.QueueNames(), (Names{"billing", "sales"}));
  const QueueLive q = board.Queue("billing");
  EXPECT_EQ(q.waiting, 0);
  EXPECT_EQ(q.oldest_enqueued, std::nullopt);
  EXPECT_EQ(AgentCounts(q), kNoAgents);
  EXPECT_TRUE(q.not_ready_by_reason.empty());
}

TEST(LiveBoardTest, AnUnlistedQueueWithNothingWaitingDisappearsFromQueueNames) {
  LiveBoard board;
  board.SetQueues({"billing", "sales", "support"}, T(0));
  board.ContactWaiting(1, "support", T(10), T(10));

  board.SetQueues({"billing"}, T(20));
  EXPECT_EQ(board.QueueNames(), (Names{"billing"}));
  EXPECT_EQ(board.Queue("sales").waiting, 0);
  // "support" is no longer listed, but it is not forgotten while a contact waits in it.
  EXPECT_EQ(board.Queue("support").waiting, 1);
  EXPECT_EQ(board.Queue("support").oldest_enqueued, T(10));

  board.ContactLeft(1, T(30));  // now nothing waits there: forgotten
  EXPECT_EQ(board.QueueNames(), (Names{"billing"}));
  EXPECT_EQ(board.Queue("support").waiting, 0);
  Settle(board);
  board.Touch("support", T(40));
  board.Touch("sales", T(40));
  EXPECT_TRUE(board.TakeChanges().empty());  // neither is known any more

  board.SetQueues({"billing", "sales"}, T(50));  // listed again
  EXPECT_EQ(board.QueueNames(), (Names{"billing", "sales"}));
}

// A watcher shown a queue must learn that it went away (or emptied), even when the board
// forgets it at once; and a first_change never comes without a change.
TEST(LiveBoardTest, AQueueForgottenIsStillReportedAsChanged) {
  LiveBoard board;
  board.SetQueues({"billing", "sales"}, T(0));
  Settle(board);

  board.SetQueues({"billing"}, T(20));  // "sales" is no longer listed and is forgotten
  LiveBoard::Changes changes = board.TakeChanges();
  EXPECT_EQ(changes.queues, (Names{"sales"}));
  EXPECT_EQ(changes.first_change, T(20));

  board.ContactWaiting(1, "overflow", T(30), T(30));  // a queue nobody lists
  changes = board.TakeChanges();
  EXPECT_EQ(changes.queues, (Names{"overflow"}));
  board.ContactLeft(1, T(40));  // nothing waits there any more: forgotten
  changes = board.TakeChanges();
  EXPECT_EQ(changes.queues, (Names{"overflow"}));
  EXPECT_EQ(changes.first_change, T(40));
  EXPECT_EQ(board.Queue("overflow").waiting, 0);
}

// ---- Scale ----

TEST(LiveBoardTest, AHundredThousandContactsWaitingThenLeavingLeaveEveryCountAtZero) {
  constexpr uint64_t kContacts = 100000;
  const Names queues = {"q0", "q1", "q2", "q3"};
  LiveBoard board;
  board.SetQueues(queues, T(0));
  board.SetAgentQueues("ann", queues, T(0));
  board.SetAgentState("ann", AgentState::kReady, "", T(0));

  for (uint64_t i = 0; i < kContacts; ++i) {
    const absl::Time at = T(static_cast<int64_t>(i / 3));  // several contacts per second
    board.ContactWaiting(i, queues[i % 4], at, at);
  }
  // Every tenth moves to the next queue (a transfer), keeping its enqueue time.
  for (uint64_t i = 0; i < kContacts; i += 10) {
    board.ContactWaiting(i, queues[(i + 1) % 4], T(static_cast<int64_t>(i / 3)),
                         T(static_cast<int64_t>(kContacts)));
  }
  EXPECT_EQ(board.waiting_contacts(), static_cast<int64_t>(kContacts));
  // The expected counts and oldest enqueue times, the slow way.
  std::vector<int64_t> waiting(4, 0);
  std::vector<absl::Time> oldest(4, absl::InfiniteFuture());
  for (uint64_t i = 0; i < kContacts; ++i) {
    const uint64_t where = i % 10 == 0 ? (i + 1) % 4 : i % 4;
    ++waiting[where];
    oldest[where] = std::min(oldest[where], T(static_cast<int64_t>(i / 3)));
  }
  EXPECT_EQ(oldest, (std::vector<absl::Time>{T(1), T(0), T(0), T(1)}));  // contact 0 moved
  for (size_t i = 0; i < queues.size(); ++i) {
    const QueueLive q = board.Queue(queues[i]);
    EXPECT_EQ(q.waiting, waiting[i]) << queues[i];
    EXPECT_EQ(q.oldest_enqueued, oldest[i]) << queues[i];
  }

  // Leave in a scrambled order: 7919 is prime to 100000, so i * 7919 visits every contact once.
  for (uint64_t i = 0; i < kContacts; ++i) {
    board.ContactLeft((i * 7919) % kContacts, T(static_cast<int64_t>(kContacts + i)));
  }
  EXPECT_EQ(board.waiting_contacts(), 0);
  for (const std::string& queue : queues) {
    const QueueLive q = board.Queue(queue);
    EXPECT_EQ(q.waiting, 0) << queue;
    EXPECT_EQ(q.oldest_enqueued, std::nullopt) << queue;
    EXPECT_EQ(AgentCounts(q), (std::vector<int>{1, 1, 0, 0, 0, 0})) << queue;  // ann unchanged
  }

  board.SetAgentState("ann", AgentState::kLoggedOut, "", T(static_cast<int64_t>(3 * kContacts)));
  for (const std::string& queue : queues) {
    const QueueLive q = board.Queue(queue);
    EXPECT_EQ(AgentCounts(q), kNoAgents) << queue;
    EXPECT_TRUE(q.not_ready_by_reason.empty()) << queue;
  }
  EXPECT_EQ(board.QueueNames(), queues);
}

// A new agent is news even before they serve a queue or log in (a watcher of every agent
// lists agents defined later); a team change is news through TouchAgent.
TEST(LiveBoardTest, ANewAgentIsAChangeEvenWithoutQueuesAndTouchAgentMarksAKnownOne) {
  LiveBoard board;
  board.SetAgentQueues("a-9", {}, T(5));
  LiveBoard::Changes changes = board.TakeChanges();
  EXPECT_EQ(changes.agents, Names{"a-9"});
  EXPECT_EQ(changes.first_agent_change, T(5));
  board.SetAgentQueues("a-9", {}, T(6));  // known now, nothing new
  EXPECT_TRUE(board.TakeChanges().empty());
  board.TouchAgent("a-9", T(7));
  board.TouchAgent("nobody", T(1));  // unknown: ignored
  changes = board.TakeChanges();
  EXPECT_EQ(changes.agents, Names{"a-9"});
  EXPECT_EQ(changes.first_change, T(7));
}

// Queue and agent changes keep their own first times, so that an agents' update does not
// carry the time of a queue change it does not show (and the other way round).
TEST(LiveBoardTest, QueueAndAgentChangesKeepTheirOwnFirstTimes) {
  LiveBoard board;
  board.SetQueues({"billing"}, T(0));
  board.SetAgentQueues("a-1", {"billing"}, T(0));
  board.TakeChanges();
  board.ContactWaiting(1, "billing", T(10), T(10));
  board.SetAgentState("a-1", AgentState::kReady, "", T(30));
  const LiveBoard::Changes changes = board.TakeChanges();
  EXPECT_EQ(changes.first_queue_change, T(10));
  EXPECT_EQ(changes.first_agent_change, T(30));
  EXPECT_EQ(changes.first_change, T(10));
}

}  // namespace
}  // namespace servicedesk::supervisor
