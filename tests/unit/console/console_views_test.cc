// What the console shows of a customer's file, the agent's tickets and follow-ups.

#include "agent-console/console_views.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent-console/agent_screen.h"
#include "tests/unit/console/screen_text.h"

namespace servicedesk::console {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

v1::CustomerContext Context(int interactions) {
  v1::CustomerContext context;
  auto* c = context.mutable_customer();
  c->set_name("customers/12");
  c->set_display_name("Zoë Adler");
  c->set_customer_number("C-12");
  c->add_phone_numbers()->set_number("+4930123456");
  c->set_tier(v1::CUSTOMER_TIER_ORDINARY);
  for (int i = 0; i < interactions; ++i) {
    auto* x = context.add_recent_interactions();
    x->set_channel(v1::INTERACTION_CHANNEL_EMAIL);
    *x->mutable_start_time() = Stamp(kNow - absl::Hours(i));
    x->set_text("note " + std::to_string(i) + "\nsecond line");
  }
  return context;
}

TEST(ConsoleViewsTest, TheCustomerFileShowsTheLatestInteractionsUpToTheLimitOnOneLineEach) {
  const auto lines = CustomerLines(Context(30), 3, 20);
  const std::string text = Joined(lines);
  EXPECT_EQ(lines[0], "Zoë Adler  [C-12]  customers/12");
  EXPECT_THAT(text, HasSubstr("phone +4930123456"));
  EXPECT_THAT(text, HasSubstr("note 0 second line"));  // the newline does not break the screen
  EXPECT_THAT(text, HasSubstr("note 19"));
  EXPECT_THAT(text, Not(HasSubstr("note 20")));
  EXPECT_THAT(text, HasSubstr("email"));
  EXPECT_THAT(CustomerLines(v1::CustomerContext(), 3, 5), ElementsAre("no customer file"));
}

TEST(ConsoleViewsTest, SearchResultsAreNumberedFromOne) {
  v1::Customer a, b;
  a.set_display_name("Ada");
  a.set_customer_number("C-1");
  b.set_display_name("Adam");
  b.set_customer_number("C-2");
  b.add_phone_numbers()->set_number("+491511");
  EXPECT_THAT(CustomerChoices({a, b}), ElementsAre("1. Ada  [C-1]  ", "2. Adam  [C-2]  +491511"));
}

TEST(ConsoleViewsTest, TicketsAndFollowUpsSayWhenThereAreNoneAndMarkTheOverdue) {
  EXPECT_THAT(TicketLines(v1::ListTicketsResponse()), ElementsAre("no open ticket"));
  v1::ListTicketsResponse tickets;
  auto* t = tickets.add_tickets();
  t->set_name("tickets/3");
  t->set_status(v1::TICKET_STATUS_OPEN);
  t->set_priority(v1::TICKET_PRIORITY_HIGH);
  t->set_overdue(true);
  t->set_customer("customers/12");
  t->set_subject("Refund");
  EXPECT_THAT(TicketLines(tickets), ElementsAre("tickets/3  open  high  OVERDUE  customers/12  Refund"));
  EXPECT_THAT(FollowUpLines(v1::ListComplaintsResponse()), ElementsAre("no complaint waiting for a follow-up"));
}

TEST(ConsoleViewsTest, AViewShowsUnderTheContactAndAnOfferCoversIt) {
  AgentScreen screen("a-1");
  screen.SetConnection(Connection::kLive, "", kNow);
  screen.SetView("customer file", CustomerLines(Context(2), 3, 5));
  std::string text = Text(screen.Render(100, 30, kNow));
  EXPECT_THAT(text, HasSubstr("customer file   [Esc] close"));
  EXPECT_THAT(text, HasSubstr("Zoë Adler"));
  v1::AgentEvent offer;
  offer.mutable_offer()->set_name("offers/1");
  offer.mutable_offer()->set_queue("queues/billing");
  screen.Apply(offer, kNow);
  text = Text(screen.Render(100, 30, kNow));
  EXPECT_THAT(text, HasSubstr("OFFER"));
  EXPECT_THAT(text, Not(HasSubstr("customer file   [Esc] close")));
}

}  // namespace
}  // namespace servicedesk::console
