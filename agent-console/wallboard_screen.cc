#include "agent-console/wallboard_screen.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace servicedesk::console {

namespace {

const v1::Figure* Find(const v1::PeriodStatistics& period, const std::string& name) {
  for (const auto& f : period.figures()) {
    if (f.name() == name) return &f;
  }
  return nullptr;
}

std::string Percent(const v1::Figure* f) {
  return f != nullptr && f->defined() ? absl::StrFormat("%3.0f%%", 100 * f->value()) : "   -";
}

std::string Seconds(const v1::Figure* f) {
  return f != nullptr && f->defined() ? absl::StrFormat("%4.0fs", f->value()) : "    -";
}

std::string Counts(const char* label, const v1::WorkCounts& counts) {
  std::string line = label;
  for (const auto& c : counts.counts()) {
    absl::StrAppend(&line, "  ", c.status(), " ", c.count(), c.overdue() > 0 ? absl::StrCat(" (", c.overdue(), " overdue)") : "");
  }
  return line;
}

}  // namespace

void WallboardScreen::Apply(const v1::QueueBoardUpdate& update) {
  if (update.snapshot()) queues_.clear();
  for (const auto& q : update.queues()) queues_[q.queue()] = q;
  if (update.has_tickets()) tickets_ = update.tickets();
  if (update.has_complaints()) complaints_ = update.complaints();
  as_of_ = std::max(as_of_, FromStamp(update.as_of()));
}

void WallboardScreen::Apply(const v1::AgentBoardUpdate& update) {
  if (update.snapshot()) agents_.clear();
  for (const auto& a : update.agents()) agents_[a.agent()] = a;
  as_of_ = std::max(as_of_, FromStamp(update.as_of()));
}

void WallboardScreen::SetConnection(Connection connection, std::string detail, absl::Time now) {
  if (connection != connection_) connection_since_ = now;
  connection_ = connection;
  connection_detail_ = std::move(detail);
}

void WallboardScreen::Notice(std::string text, bool error) {
  notice_ = OneLine(text);  // one line, whatever the server said
  notice_error_ = error;
  detail_.clear();
}

std::vector<ScreenLine> WallboardScreen::Render(int width, int height, absl::Time now,
                                                const std::string& service_level) const {
  std::vector<ScreenLine> top, middle, bottom;
  std::string formula;
  for (const auto& [name, q] : queues_) {
    if (const auto* f = Find(q.today(), service_level)) {
      formula = f->formula();
      break;
    }
  }
  const std::string sl = absl::StrCat(service_level, formula.empty() ? "" : absl::StrCat(" = ", formula),
                                      ", T per queue");
  switch (connection_) {
    case Connection::kLive:
      top.push_back({absl::StrCat(" wallboard · live · ", sl), Emphasis::kTitle});
      break;
    case Connection::kConnecting:
      top.push_back({" wallboard · connecting to the desk…", Emphasis::kTitle});
      break;
    case Connection::kLost:
      top.push_back({absl::StrCat(" wallboard · CONNECTION LOST for ", Clock(now - connection_since_),
                                  ", reconnecting", connection_detail_.empty() ? "" : absl::StrCat(" (", connection_detail_, ")"),
                                  " · figures are last known"),
                     Emphasis::kAlert});
      break;
  }
  top.push_back({"", Emphasis::kDim});
  middle.push_back({"queue             wait  oldest  staffed rdy bsy wrp  nr   offered answ aband   SL    ASA   EWT",
                    Emphasis::kTitle});
  for (const auto& [name, q] : queues_) {
    const int64_t oldest = q.has_oldest_enqueue_time() && connection_ == Connection::kLive
                               ? absl::ToInt64Seconds(now - FromStamp(q.oldest_enqueue_time()))
                               : q.oldest_wait().seconds();
    middle.push_back({absl::StrFormat("%-16s %5d  %6s  %7d %3d %3d %3d %3d   %7d %4d %5d  %s %s %s",
                                      Trim(name, "queues/"), q.waiting(), q.waiting() > 0 ? Clock(absl::Seconds(oldest)) : "-",
                                      q.agents_staffed(), q.agents_ready() + q.agents_reserved(), q.agents_busy(),
                                      q.agents_wrap_up(), q.agents_not_ready(), q.today().offered(),
                                      q.today().answered(), q.today().abandoned(),
                                      Percent(Find(q.today(), service_level)), Seconds(Find(q.today(), "asa")),
                                      q.estimated_wait().defined()
                                          ? absl::StrFormat("%4.0fs", q.estimated_wait().value())
                                          : "    -"),
                      q.waiting() > 0 && q.agents_ready() == 0 ? Emphasis::kAlert : Emphasis::kNormal});
  }
  if (!tickets_.counts().empty()) middle.push_back({Counts("tickets:   ", tickets_)});
  if (!complaints_.counts().empty()) middle.push_back({Counts("complaints:", complaints_)});
  middle.push_back({""});
  middle.push_back({"agent          state        reason        for     contact        handled  occupancy",
                    Emphasis::kTitle});
  for (const auto& [name, a] : agents_) {
    if (a.state() == v1::AGENT_STATE_LOGGED_OUT) continue;
    const int64_t in_state = a.has_state_since() && connection_ == Connection::kLive
                                 ? absl::ToInt64Seconds(now - FromStamp(a.state_since()))
                                 : a.time_in_state().seconds();
    middle.push_back({absl::StrFormat("%-14s %-12s %-12s %7s  %-14s %7d  %s", Trim(name, "agents/"),
                                      Trim(v1::AgentState_Name(a.state()), "AGENT_STATE_"),
                                      Trim(a.reason(), "reasonCodes/"), Clock(absl::Seconds(in_state)),
                                      a.contact().empty() ? "-" : Trim(a.contact(), "contacts/"), a.handled(),
                                      a.occupancy().defined() ? absl::StrFormat("%3.0f%%", 100 * a.occupancy().value())
                                                              : "  -")});
  }
  const int logged_out = static_cast<int>(std::count_if(agents_.begin(), agents_.end(), [](const auto& entry) {
    return entry.second.state() == v1::AGENT_STATE_LOGGED_OUT;
  }));
  if (logged_out > 0) middle.push_back({absl::StrCat("(", logged_out, " logged out)"), Emphasis::kDim});
  for (const auto& line : detail_) middle.push_back({line});

  if (!notice_.empty()) bottom.push_back({notice_, notice_error_ ? Emphasis::kAlert : Emphasis::kNormal});
  bottom.push_back({"[1-5] service level  [s] agent state  [o] log out  [m] move  [f] offer to  [p] priority  "
                    "[t] trace  [q] quit",
                    Emphasis::kDim});

  return LayOut(std::move(top), std::move(middle), std::move(bottom), width, height);
}

}  // namespace servicedesk::console
