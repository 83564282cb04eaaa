#include "agent-console/console_views.h"

#include "agent-console/agent_screen.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"

namespace servicedesk::console {

namespace {

std::string Lower(std::string_view name, std::string_view prefix) { return absl::AsciiStrToLower(Trim(name, prefix)); }

std::string When(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixSeconds(t.seconds()), absl::UTCTimeZone());
}

std::string Amount(const v1::Money& money) {
  return absl::StrFormat("%.2f %s", static_cast<double>(money.units()) + money.nanos() / 1e9, money.currency_code());
}

}  // namespace

std::string ValueLine(const v1::CustomerValue& v) {
  std::vector<std::string> parts;
  if (v.purchase_count() > 0) {
    parts.push_back(absl::StrCat(v.purchase_count(), v.purchase_count() == 1 ? " purchase" : " purchases",
                                 v.repeat_purchases() > 0 ? absl::StrCat(" (", v.repeat_purchases(), " repeat)") : ""));
    parts.push_back(absl::StrCat("spent ", Amount(v.total_spend()), " (", Amount(v.window_spend()), " in the window)"));
    parts.push_back(absl::StrCat("last ", When(v.last_purchase_time()).substr(0, 10)));
    if (v.rfm().recency() > 0) {
      parts.push_back(absl::StrCat("RFM ", v.rfm().recency(), "-", v.rfm().frequency(), "-", v.rfm().monetary()));
    }
    parts.push_back(absl::StrCat("CLV ", Amount(v.lifetime_value())));
  }
  if (v.has_tier_override()) {
    parts.push_back(absl::StrCat("tier set by ", v.tier_override().set_by(), " until ",
                                 When(v.tier_override().expire_time()).substr(0, 10)));
  }
  return absl::StrJoin(parts, " · ");
}

std::vector<std::string> CustomerLines(const v1::CustomerContext& context, int max_open, int max_interactions) {
  std::vector<std::string> lines;
  if (!context.has_customer()) {
    lines.push_back(context.normalized_phone_number().empty()
                        ? "no customer file"
                        : absl::StrCat("unknown caller ", context.normalized_phone_number(), " (no customer file yet)"));
    return lines;
  }
  const v1::Customer& c = context.customer();
  lines.push_back(OneLine(absl::StrCat(c.display_name(), "  [", c.customer_number(), "]  ", c.name())));
  lines.push_back(absl::StrCat("tier ", Trim(v1::CustomerTier_Name(c.tier()), "CUSTOMER_TIER_"), " · lifecycle ",
                               Trim(v1::LifecycleState_Name(c.lifecycle_state()), "LIFECYCLE_STATE_"),
                               c.owner_agent().empty() ? "" : absl::StrCat(" · owner ", c.owner_agent())));
  if (const std::string value = ValueLine(context.value()); !value.empty()) lines.push_back(OneLine(value));
  std::vector<std::string> phones;
  for (const auto& phone : c.phone_numbers()) phones.push_back(phone.number());
  if (!phones.empty()) lines.push_back(absl::StrCat("phone ", absl::StrJoin(phones, ", ")));
  if (!c.preferences().empty()) {
    std::vector<std::string> usual;
    for (const auto& [key, value] : c.preferences()) usual.push_back(absl::StrCat(key, "=", value));
    std::sort(usual.begin(), usual.end());
    lines.push_back(OneLine(absl::StrCat("usual: ", absl::StrJoin(usual, ", "))));
  }
  lines.push_back(absl::StrCat("open tickets ", context.open_tickets_size(), " · open complaints ",
                               context.open_complaints_size()));
  for (int i = 0; i < std::min(context.open_tickets_size(), max_open); ++i) {
    const auto& t = context.open_tickets(i);
    lines.push_back(OneLine(absl::StrCat("  ", t.name(), "  ", t.status(), "  ", t.subject())));
  }
  for (int i = 0; i < std::min(context.open_complaints_size(), max_open); ++i) {
    const auto& k = context.open_complaints(i);
    lines.push_back(OneLine(absl::StrCat("  ", k.name(), "  step ", k.step(), "  ", k.category(),
                                         k.severity().empty() ? "" : absl::StrCat(" (", k.severity(), ")"))));
  }
  if (context.recent_interactions_size() > 0 && max_interactions > 0) lines.push_back("latest:");
  for (int i = 0; i < std::min(context.recent_interactions_size(), max_interactions); ++i) {
    const auto& x = context.recent_interactions(i);
    lines.push_back(OneLine(absl::StrCat("  ", When(x.start_time()), "  ",
                                         Lower(v1::InteractionChannel_Name(x.channel()), "INTERACTION_CHANNEL_"), "  ",
                                         x.agent().empty() ? "-" : Trim(x.agent(), "agents/"), "  ", x.outcome(), "  ",
                                         x.text())));
  }
  return lines;
}

std::vector<std::string> CustomerChoices(const std::vector<v1::Customer>& customers) {
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < customers.size(); ++i) {
    const auto& c = customers[i];
    lines.push_back(OneLine(absl::StrCat(i + 1, ". ", c.display_name(), "  [", c.customer_number(), "]  ",
                                         c.phone_numbers_size() > 0 ? c.phone_numbers(0).number() : "")));
  }
  return lines;
}

std::vector<std::string> TicketLines(const v1::ListTicketsResponse& tickets) {
  std::vector<std::string> lines;
  if (tickets.tickets().empty()) lines.push_back("no open ticket");
  for (const auto& t : tickets.tickets()) {
    lines.push_back(OneLine(absl::StrCat(t.name(), "  ", Lower(v1::TicketStatus_Name(t.status()), "TICKET_STATUS_"),
                                         "  ", Lower(v1::TicketPriority_Name(t.priority()), "TICKET_PRIORITY_"),
                                         t.overdue() ? "  OVERDUE" : "", "  ", t.customer(), "  ", t.subject())));
  }
  return lines;
}

std::vector<std::string> FollowUpLines(const v1::ListComplaintsResponse& complaints) {
  std::vector<std::string> lines;
  if (complaints.complaints().empty()) lines.push_back("no complaint waiting for a follow-up");
  for (const auto& k : complaints.complaints()) {
    lines.push_back(OneLine(absl::StrCat(k.name(), "  due ", When(k.follow_up_due_time()), k.overdue() ? "  OVERDUE" : "",
                                         "  ", k.customer(), "  ", k.summary())));
  }
  return lines;
}

}  // namespace servicedesk::console
