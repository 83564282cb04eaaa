// The supervisor's wallboard as text: queues and agents from the live views' snapshot and
// updates, the service-level variant named with its formula, a lost stream said as such.

#include "agent-console/wallboard_screen.h"
#include "tests/unit/console/screen_text.h"

#include <clocale>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace servicedesk::console {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;


v1::QueueLiveStatus Queue(const std::string& name, int waiting, int ready) {
  v1::QueueLiveStatus q;
  q.set_queue(name);
  q.set_waiting(waiting);
  q.set_agents_staffed(ready + 1);
  q.set_agents_ready(ready);
  q.set_agents_busy(1);
  if (waiting > 0) *q.mutable_oldest_enqueue_time() = Stamp(kNow - absl::Seconds(75));
  q.mutable_today()->set_offered(10);
  q.mutable_today()->set_answered(8);
  q.mutable_today()->set_abandoned(2);
  for (auto [figure, formula, value] : {std::tuple{"service_level_1", "answered<=T / answered", 0.75},
                                        std::tuple{"service_level_2", "answered<=T / (answered + abandoned)", 0.6},
                                        std::tuple{"asa", "answered wait / answered", 12.0}}) {
    auto* f = q.mutable_today()->add_figures();
    f->set_name(figure);
    f->set_formula(formula);
    f->set_value(value);
    f->set_defined(true);
  }
  return q;
}

class WallboardScreenTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NE(std::setlocale(LC_CTYPE, "C.UTF-8"), nullptr); }
};

TEST_F(WallboardScreenTest, QueuesShowTheirFiguresAndTheServiceLevelIsNamedWithItsFormula) {
  WallboardScreen board;
  board.SetConnection(Connection::kLive, "", kNow);
  v1::QueueBoardUpdate snapshot;
  snapshot.set_snapshot(true);
  *snapshot.add_queues() = Queue("queues/billing", 3, 0);
  *snapshot.add_queues() = Queue("queues/sales", 0, 2);
  auto* tickets = snapshot.mutable_tickets()->add_counts();
  tickets->set_status("open");
  tickets->set_count(4);
  tickets->set_overdue(1);
  board.Apply(snapshot);
  const auto lines = board.Render(120, 30, kNow);
  const std::string text = Text(lines);
  EXPECT_THAT(lines[0].text, HasSubstr("live · service_level_1 = answered<=T / answered"));
  EXPECT_THAT(text, HasSubstr("billing              3    1:15"));
  EXPECT_THAT(text, HasSubstr(" 75%"));
  EXPECT_THAT(text, HasSubstr("tickets:     open 4 (1 overdue)"));
  // A queue with callers and nobody ready stands out.
  for (const auto& line : lines) {
    if (line.text.starts_with("billing")) {
      EXPECT_EQ(line.emphasis, Emphasis::kAlert);
    }
    if (line.text.starts_with("sales")) {
      EXPECT_EQ(line.emphasis, Emphasis::kNormal);
    }
  }
  const std::string variant2 = Text(board.Render(120, 30, kNow, "service_level_2"));
  EXPECT_THAT(variant2, HasSubstr("service_level_2 = answered<=T / (answered + abandoned)"));
  EXPECT_THAT(variant2, HasSubstr(" 60%"));
}

TEST_F(WallboardScreenTest, UpdatesReplaceTheirQueuesAndASnapshotStartsOver) {
  WallboardScreen board;
  board.SetConnection(Connection::kLive, "", kNow);
  v1::QueueBoardUpdate snapshot;
  snapshot.set_snapshot(true);
  *snapshot.add_queues() = Queue("queues/billing", 3, 0);
  *snapshot.add_queues() = Queue("queues/sales", 0, 2);
  board.Apply(snapshot);
  v1::QueueBoardUpdate update;
  *update.add_queues() = Queue("queues/billing", 0, 1);
  board.Apply(update);
  EXPECT_THAT(Text(board.Render(120, 30, kNow)), HasSubstr("billing              0       -"));
  EXPECT_THAT(Text(board.Render(120, 30, kNow)), HasSubstr("sales"));
  v1::QueueBoardUpdate again;
  again.set_snapshot(true);
  *again.add_queues() = Queue("queues/billing", 1, 1);
  board.Apply(again);
  EXPECT_THAT(Text(board.Render(120, 30, kNow)), Not(HasSubstr("sales")));
}

TEST_F(WallboardScreenTest, AgentsShowStateTimeAndOccupancyAndLoggedOutOnesAreCounted) {
  WallboardScreen board;
  board.SetConnection(Connection::kLive, "", kNow);
  v1::AgentBoardUpdate snapshot;
  snapshot.set_snapshot(true);
  auto* a = snapshot.add_agents();
  a->set_agent("agents/a-1");
  a->set_state(v1::AGENT_STATE_BUSY);
  *a->mutable_state_since() = Stamp(kNow - absl::Seconds(130));
  a->set_contact("contacts/17");
  a->set_handled(5);
  a->mutable_occupancy()->set_value(0.82);
  a->mutable_occupancy()->set_defined(true);
  auto* b = snapshot.add_agents();
  b->set_agent("agents/a-2");
  b->set_state(v1::AGENT_STATE_LOGGED_OUT);
  board.Apply(snapshot);
  const std::string text = Text(board.Render(120, 30, kNow));
  EXPECT_THAT(text, HasSubstr("a-1            BUSY"));
  EXPECT_THAT(text, HasSubstr("2:10  17"));
  EXPECT_THAT(text, HasSubstr(" 82%"));
  EXPECT_THAT(text, Not(HasSubstr("a-2 ")));
  EXPECT_THAT(text, HasSubstr("(1 logged out)"));
}

TEST_F(WallboardScreenTest, ALostStreamSaysSoAndTheFiguresAreLastKnown) {
  WallboardScreen board;
  board.SetConnection(Connection::kLive, "", kNow);
  board.SetConnection(Connection::kLost, "attempt 2: connection refused", kNow);
  const auto lines = board.Render(120, 10, kNow + absl::Seconds(9));
  EXPECT_THAT(lines[0].text, HasSubstr("CONNECTION LOST for 0:09, reconnecting (attempt 2: connection refused)"));
  EXPECT_THAT(lines[0].text, HasSubstr("last known"));
  EXPECT_EQ(lines[0].emphasis, Emphasis::kAlert);
  EXPECT_EQ(lines.size(), 10u);
}

}  // namespace
}  // namespace servicedesk::console
