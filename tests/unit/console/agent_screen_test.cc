// The agent's screen as text: what the interactive console shows for the session's events,
// a lost connection, a short or narrow terminal, and UTF-8 names.

#include "agent-console/agent_screen.h"
#include "tests/unit/console/screen_text.h"

#include <clocale>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace servicedesk::console {
namespace {

using ::testing::HasSubstr;


v1::AgentEvent Status(v1::AgentState state, absl::Time since, const std::string& reason = "") {
  v1::AgentEvent event;
  auto* status = event.mutable_status();
  status->set_agent("agents/a-1");
  status->set_state(state);
  status->set_reason(reason);
  *status->mutable_state_since() = Stamp(since);
  return event;
}

v1::AgentEvent OfferFrom(const std::string& name) {
  v1::AgentEvent event;
  auto* offer = event.mutable_offer();
  offer->set_name("offers/7");
  offer->set_contact("contacts/3");
  offer->set_queue("queues/billing");
  offer->set_channel(v1::CONTACT_CHANNEL_CALL);
  *offer->mutable_expire_time() = Stamp(kNow + absl::Seconds(12));
  offer->mutable_waited()->set_seconds(4);
  auto* pop = offer->mutable_screen_pop();
  pop->set_known_caller(true);
  auto* customer = pop->mutable_customer();
  customer->set_display_name(name);
  customer->set_customer_number("C-000042");
  customer->set_tier(v1::CUSTOMER_TIER_KEY_IMPORTANT);
  customer->set_lifecycle_state(v1::LIFECYCLE_STATE_LOYAL);
  (*customer->mutable_preferences())["room"] = "quiet, high floor";
  auto* ticket = pop->add_open_tickets();
  ticket->set_name("tickets/9");
  ticket->set_subject("Invoice twice");
  ticket->set_status("open");
  auto* interaction = pop->add_recent_interactions();
  interaction->set_channel(v1::INTERACTION_CHANNEL_CALL);
  *interaction->mutable_start_time() = Stamp(kNow - absl::Hours(24));
  interaction->set_outcome("normal");
  interaction->set_text("asked about the late-checkout");
  return event;
}

class AgentScreenTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NE(std::setlocale(LC_CTYPE, "C.UTF-8"), nullptr); }
};

TEST_F(AgentScreenTest, TheStatusLineShowsStateReasonAndTimeInState) {
  AgentScreen screen("a-1");
  screen.SetConnection(Connection::kLive, "", kNow);
  screen.Apply(Status(v1::AGENT_STATE_NOT_READY, kNow - absl::Seconds(83), "reasonCodes/lunch"), kNow);
  const auto lines = screen.Render(100, 20, kNow);
  EXPECT_EQ(lines[0].text, " a-1 · NOT_READY (lunch) · 1:23 · connected");
  EXPECT_THAT(Text(lines), HasSubstr("Not ready. [r] to be ready."));
  EXPECT_EQ(lines.size(), 20u);
  EXPECT_THAT(lines.back().text, HasSubstr("[q]uit"));
}

TEST_F(AgentScreenTest, AnOfferShowsTheCallersFileAndTheSecondsLeft) {
  AgentScreen screen("a-1");
  screen.SetConnection(Connection::kLive, "", kNow);
  screen.Apply(Status(v1::AGENT_STATE_RESERVED, kNow), kNow);
  screen.Apply(OfferFrom("王小明"), kNow);
  const std::string text = Text(screen.Render(100, 30, kNow + absl::Seconds(2)));
  EXPECT_THAT(text, HasSubstr("OFFER  call from billing · waited 4 s · 10 s left to answer"));
  EXPECT_THAT(text, HasSubstr("王小明  [C-000042]"));
  EXPECT_THAT(text, HasSubstr("tier KEY_IMPORTANT · lifecycle LOYAL"));
  EXPECT_THAT(text, HasSubstr("usual: room=quiet, high floor"));
  EXPECT_THAT(text, HasSubstr("tickets/9  open  Invoice twice"));
  EXPECT_THAT(text, HasSubstr("asked about the late-checkout"));
  EXPECT_THAT(text, HasSubstr("[a] accept   [x] reject"));
  EXPECT_EQ(screen.pending_offer(), "offers/7");
  EXPECT_EQ(screen.offer_about(), "call from 王小明");
}

TEST_F(AgentScreenTest, AWithdrawnOfferDisappearsWithTheReason) {
  AgentScreen screen("a-1");
  screen.SetConnection(Connection::kLive, "", kNow);
  screen.Apply(OfferFrom("Ada"), kNow);
  v1::AgentEvent withdrawn;
  withdrawn.mutable_offer_withdrawn()->set_offer("offers/7");
  withdrawn.mutable_offer_withdrawn()->set_state(v1::OFFER_STATE_WITHDRAWN);
  screen.Apply(withdrawn, kNow);
  EXPECT_EQ(screen.pending_offer(), "");
  const std::string text = Text(screen.Render(100, 20, kNow));
  EXPECT_THAT(text, Not(HasSubstr("OFFER")));
  EXPECT_THAT(text, HasSubstr("the caller hung up"));
}

TEST_F(AgentScreenTest, ALostConnectionNeverShowsStaleStateAsLiveAndDropsTheOffer) {
  AgentScreen screen("a-1");
  screen.SetConnection(Connection::kLive, "", kNow);
  screen.Apply(Status(v1::AGENT_STATE_READY, kNow), kNow);
  screen.Apply(OfferFrom("Ada"), kNow);
  screen.SetConnection(Connection::kLost, "attempt 1: failed to connect", kNow);
  const auto lines = screen.Render(120, 20, kNow + absl::Seconds(7));
  EXPECT_THAT(lines[0].text, HasSubstr("last known: READY"));
  EXPECT_THAT(lines[0].text, HasSubstr("CONNECTION LOST for 0:07, reconnecting (attempt 1: failed to connect)"));
  EXPECT_EQ(lines[0].emphasis, Emphasis::kAlert);
  EXPECT_THAT(lines[0].text, Not(HasSubstr("connected")));
  EXPECT_EQ(screen.pending_offer(), "");
  EXPECT_THAT(Text(lines), Not(HasSubstr("OFFER")));
}

TEST_F(AgentScreenTest, AShortTerminalKeepsTheCallerAndTheKeysOfAnOffer) {
  AgentScreen screen("a-1");
  screen.SetConnection(Connection::kLive, "", kNow);
  screen.Apply(OfferFrom("Ada Lovelace"), kNow);
  const auto lines = screen.Render(60, 7, kNow);
  ASSERT_EQ(lines.size(), 7u);
  const std::string text = Text(lines);
  EXPECT_THAT(text, HasSubstr("OFFER"));
  EXPECT_THAT(text, HasSubstr("Ada Lovelace"));
  EXPECT_THAT(text, HasSubstr("[a] accept"));
  EXPECT_THAT(lines.back().text, HasSubstr("[r]eady"));
}

TEST_F(AgentScreenTest, EveryLineFitsANarrowTerminalWithoutSplittingACharacter) {
  AgentScreen screen("a-1");
  screen.SetConnection(Connection::kLive, "", kNow);
  screen.Apply(OfferFrom("王小明王小明王小明王小明"), kNow);
  for (int width : {10, 17, 23, 40}) {
    for (const auto& line : screen.Render(width, 30, kNow)) {
      EXPECT_LE(DisplayWidth(line.text), width) << line.text;
    }
  }
  EXPECT_EQ(DisplayWidth("王小明"), 6);
  EXPECT_EQ(FitWidth("王小明", 5), "王小…");
  EXPECT_EQ(FitWidth("王小明", 6), "王小明");
  EXPECT_EQ(FitWidth("abc", 0), "");
  EXPECT_EQ(DisplayWidth("caf\xC3\xA9"), 4);
  EXPECT_EQ(DisplayWidth("\xFF\xFE"), 2);  // invalid bytes: a column each
}

TEST_F(AgentScreenTest, AnAcceptedContactShowsUntilTheWrapUpIsDone) {
  AgentScreen screen("a-1");
  screen.SetConnection(Connection::kLive, "", kNow);
  screen.Apply(OfferFrom("Ada"), kNow);
  const std::string about = screen.offer_about();
  screen.SetContact("contacts/3", about);
  v1::AgentEvent busy = Status(v1::AGENT_STATE_BUSY, kNow);
  busy.mutable_status()->set_active_calls(1);
  screen.Apply(busy, kNow);
  EXPECT_THAT(Text(screen.Render(100, 20, kNow)), HasSubstr("ON CONTACT contacts/3  call from Ada"));
  screen.Apply(Status(v1::AGENT_STATE_WRAP_UP, kNow), kNow);
  EXPECT_THAT(Text(screen.Render(100, 20, kNow)), HasSubstr("WRAP-UP of contacts/3"));
  screen.Apply(Status(v1::AGENT_STATE_READY, kNow), kNow);
  EXPECT_EQ(screen.contact(), "");
  EXPECT_THAT(Text(screen.Render(100, 20, kNow)), HasSubstr("Ready: waiting for a contact."));
}

}  // namespace
}  // namespace servicedesk::console
