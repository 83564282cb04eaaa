#include "agent-console/agent_screen.h"

#include <cwchar>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "agent-console/console_views.h"

namespace servicedesk::console {

namespace {

// One UTF-8 character at `text[*i]`: its code point (or the byte, when invalid) and advance.
char32_t Decode(std::string_view text, std::size_t* i, std::size_t* length) {
  const auto byte = static_cast<unsigned char>(text[*i]);
  int extra = byte < 0x80 ? 0 : (byte >> 5) == 0x6 ? 1 : (byte >> 4) == 0xE ? 2 : (byte >> 3) == 0x1E ? 3 : -1;
  if (extra < 0 || *i + extra >= text.size() + (extra == 0 ? 1 : 0)) {
    *length = 1;
    return byte;
  }
  char32_t code = extra == 0 ? byte : byte & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) {
    const auto next = static_cast<unsigned char>(text[*i + k]);
    if ((next & 0xC0) != 0x80) {
      *length = 1;
      return byte;
    }
    code = (code << 6) | (next & 0x3F);
  }
  *length = static_cast<std::size_t>(extra) + 1;
  return code;
}

int CharWidth(char32_t code) {
  if (code < 0x80) return code < 0x20 ? 0 : 1;
  const int width = ::wcwidth(static_cast<wchar_t>(code));
  return width < 0 ? 1 : width;
}

}  // namespace

std::string Trim(std::string_view text, std::string_view prefix) {
  if (text.starts_with(prefix)) text.remove_prefix(prefix.size());
  return std::string(text);
}

std::string Clock(absl::Duration d) {
  const int64_t seconds = std::max<int64_t>(0, absl::ToInt64Seconds(d));
  if (seconds >= 3600) return absl::StrFormat("%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60);
  return absl::StrFormat("%d:%02d", seconds / 60, seconds % 60);
}

absl::Time FromStamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

std::string OneLine(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return out;
}

int DisplayWidth(std::string_view text) {
  int width = 0;
  for (std::size_t i = 0; i < text.size();) {
    std::size_t length = 1;
    width += CharWidth(Decode(text, &i, &length));
    i += length;
  }
  return width;
}

std::string FitWidth(std::string_view text, int width) {
  if (width <= 0) return "";
  if (DisplayWidth(text) <= width) return std::string(text);
  std::string out;
  int used = 0;
  for (std::size_t i = 0; i < text.size();) {
    std::size_t length = 1;
    const int w = CharWidth(Decode(text, &i, &length));
    if (used + w > width - 1) break;  // one column for the ellipsis
    out.append(text.substr(i, length));
    used += w;
    i += length;
  }
  return out + "…";
}

void AgentScreen::Apply(const v1::AgentEvent& event, absl::Time now) {
  (void)now;
  if (event.has_status()) {
    status_ = event.status();
    // The offer is over once the desk no longer holds it for this agent.
    if (offer_ && status_->pending_offer() != offer_->name()) offer_.reset();
    if (status_->state() == v1::AGENT_STATE_READY || status_->state() == v1::AGENT_STATE_NOT_READY ||
        status_->state() == v1::AGENT_STATE_LOGGED_OUT) {
      if (status_->active_calls() == 0) SetContact("", "");
    }
  } else if (event.has_offer()) {
    offer_ = event.offer();
  } else if (event.has_offer_withdrawn()) {
    const auto& withdrawn = event.offer_withdrawn();
    if (offer_ && offer_->name() == withdrawn.offer()) {
      offer_.reset();
      Notice(withdrawn.state() == v1::OFFER_STATE_TIMED_OUT ? "the offer timed out"
                                                            : "the offer was withdrawn (the caller hung up)",
             true);
    }
  } else if (event.has_reminder()) {
    reminders_.push_back(OneLine(event.reminder().text()));
    if (reminders_.size() > 3) reminders_.erase(reminders_.begin());
  }
}

void AgentScreen::SetConnection(Connection connection, std::string detail, absl::Time now) {
  if (connection != connection_) connection_since_ = now;
  connection_ = connection;
  connection_detail_ = std::move(detail);
  if (connection != Connection::kLive) offer_.reset();  // it cannot be answered now
}

std::string AgentScreen::offer_about() const {
  if (!offer_) return "";
  const std::string channel =
      absl::AsciiStrToLower(Trim(v1::ContactChannel_Name(offer_->channel()), "CONTACT_CHANNEL_"));
  const auto& pop = offer_->screen_pop();
  if (pop.has_customer()) return absl::StrCat(channel, " from ", pop.customer().display_name());
  if (!offer_->reference().empty()) return absl::StrCat(channel, " ", offer_->reference());
  return absl::StrCat(channel, " from ", pop.normalized_phone_number().empty() ? "an unknown caller"
                                                                               : pop.normalized_phone_number());
}

std::string AgentScreen::offer_customer() const {
  if (!offer_ || !offer_->screen_pop().has_customer()) return "";
  return offer_->screen_pop().customer().name();
}

void AgentScreen::SetContact(std::string contact, std::string about, std::string customer) {
  if (contact != contact_) SetComplaint("", "", {});
  contact_ = std::move(contact);
  contact_about_ = std::move(about);
  contact_customer_ = std::move(customer);
}

void AgentScreen::SetView(std::string title, std::vector<std::string> lines) {
  view_title_ = std::move(title);
  view_ = std::move(lines);
}

void AgentScreen::SetComplaint(std::string complaint, std::string step_title, std::vector<std::string> answers) {
  complaint_ = std::move(complaint);
  complaint_step_ = std::move(step_title);
  complaint_answers_ = std::move(answers);
}

void AgentScreen::Notice(std::string text, bool error) {
  notice_ = OneLine(text);
  notice_error_ = error;
}

void AgentScreen::RenderOffer(int width, absl::Time now, std::vector<ScreenLine>* out) const {
  const v1::Offer& o = *offer_;
  const int64_t left = std::max<int64_t>(0, absl::ToInt64Seconds(FromStamp(o.expire_time()) - now));
  const std::string channel = absl::AsciiStrToLower(Trim(v1::ContactChannel_Name(o.channel()), "CONTACT_CHANNEL_"));
  out->push_back({absl::StrCat("OFFER  ", channel, " from ", Trim(o.queue(), "queues/"),
                               o.reference().empty() ? "" : absl::StrCat(" (", o.reference(), ")"), " · waited ",
                               o.waited().seconds(), " s · ", left, " s left to answer"),
                  Emphasis::kAlert});
  bool first = true;
  for (auto& line : CustomerLines(o.screen_pop(), /*max_open=*/3, /*max_interactions=*/5)) {
    out->push_back({absl::StrCat("  ", line), first ? Emphasis::kTitle : Emphasis::kNormal});
    first = false;
  }
  out->push_back({"  [a] accept   [x] reject", Emphasis::kAlert});
  (void)width;
}

std::vector<ScreenLine> AgentScreen::Render(int width, int height, absl::Time now) const {
  std::vector<ScreenLine> top, middle, bottom;
  // Status line.
  std::string state = "logging in…";
  if (status_) {
    state = Trim(v1::AgentState_Name(status_->state()), "AGENT_STATE_");
    if (!status_->reason().empty()) absl::StrAppend(&state, " (", Trim(status_->reason(), "reasonCodes/"), ")");
    if (!status_->requested_reason().empty()) {
      absl::StrAppend(&state, ", then NOT_READY (", Trim(status_->requested_reason(), "reasonCodes/"), ")");
    }
    absl::StrAppend(&state, " · ", Clock(now - FromStamp(status_->state_since())));
    if (status_->active_tickets() > 0) absl::StrAppend(&state, " · tickets ", status_->active_tickets());
  }
  switch (connection_) {
    case Connection::kLive:
      top.push_back({absl::StrCat(" ", agent_label_, " · ", state, " · connected"), Emphasis::kTitle});
      break;
    case Connection::kConnecting:
      top.push_back({absl::StrCat(" ", agent_label_, " · connecting to the desk…"), Emphasis::kTitle});
      break;
    case Connection::kLost:
      top.push_back({absl::StrCat(" ", agent_label_, " · last known: ", status_ ? state : "-",
                                  " · CONNECTION LOST for ", Clock(now - connection_since_), ", reconnecting",
                                  connection_detail_.empty() ? "" : absl::StrCat(" (", connection_detail_, ")")),
                     Emphasis::kAlert});
      break;
  }
  top.push_back({std::string(), Emphasis::kDim});  // the rule, drawn to the width below

  if (offer_ && connection_ == Connection::kLive) {
    RenderOffer(width, now, &middle);
  } else if (!contact_.empty()) {
    const bool wrapping = status_ && status_->state() == v1::AGENT_STATE_WRAP_UP;
    middle.push_back({OneLine(absl::StrCat(wrapping ? "WRAP-UP of " : "ON CONTACT ", contact_,
                                           contact_about_.empty() ? "" : absl::StrCat("  ", contact_about_))),
                      Emphasis::kTitle});
    middle.push_back({wrapping ? "  [w] wrap-up done (code and notes)   [c] complaint"
                               : "  [e] end the contact   [c] complaint"});
  } else if (status_ && status_->state() == v1::AGENT_STATE_WRAP_UP) {
    middle.push_back({"WRAP-UP", Emphasis::kTitle});
    middle.push_back({"  [w] wrap-up done (code and notes)"});
  } else if (status_ && status_->state() == v1::AGENT_STATE_READY) {
    middle.push_back({"Ready: waiting for a contact."});
  } else if (status_ && status_->state() == v1::AGENT_STATE_NOT_READY) {
    middle.push_back({"Not ready. [r] to be ready."});
  }
  if (!view_title_.empty() && !(offer_ && connection_ == Connection::kLive)) {
    middle.push_back({""});
    middle.push_back({absl::StrCat(view_title_, "   [Esc] close"), Emphasis::kTitle});
    for (const auto& line : view_) middle.push_back({absl::StrCat("  ", line)});
  }
  if (!complaint_.empty()) {
    middle.push_back({""});
    middle.push_back({absl::StrCat("COMPLAINT ", complaint_, " · step ", complaint_step_), Emphasis::kTitle});
    for (const auto& answer : complaint_answers_) middle.push_back({OneLine(absl::StrCat("  ", answer))});
  }
  if (!reminders_.empty()) {
    middle.push_back({""});
    for (const auto& r : reminders_) middle.push_back({absl::StrCat("reminder: ", r), Emphasis::kAlert});
  }

  if (!notice_.empty()) bottom.push_back({notice_, notice_error_ ? Emphasis::kAlert : Emphasis::kNormal});
  bottom.push_back({"[q]uit [r]eady [n]ot-ready [a]ccept [x]reject [e]nd [w]rap-up [c]omplaint [/]customer "
                    "[k]tickets [l]follow-ups",
                    Emphasis::kDim});

  // A short terminal keeps the status, the start of the middle (the offer's first lines:
  // who is calling) and the bottom; the offer's keys replace the last line kept.
  const int room = std::max(0, height - static_cast<int>(top.size() + bottom.size()));
  if (static_cast<int>(middle.size()) > room && room > 0) {
    std::optional<ScreenLine> keys;
    for (const auto& line : middle) {
      if (absl::StartsWith(line.text, "  [a] accept")) keys = line;
    }
    middle.resize(static_cast<std::size_t>(room));
    if (keys) middle.back() = *std::move(keys);
  }
  return LayOut(std::move(top), std::move(middle), std::move(bottom), width, height);
}

std::vector<ScreenLine> LayOut(std::vector<ScreenLine> top, std::vector<ScreenLine> middle,
                               std::vector<ScreenLine> bottom, int width, int height) {
  std::vector<ScreenLine> lines = std::move(top);
  const int room = std::max(0, height - static_cast<int>(lines.size() + bottom.size()));
  if (static_cast<int>(middle.size()) > room) middle.resize(static_cast<std::size_t>(room));
  for (auto& line : middle) lines.push_back(std::move(line));
  while (static_cast<int>(lines.size()) < height - static_cast<int>(bottom.size())) lines.push_back({""});
  for (auto& line : bottom) lines.push_back(std::move(line));
  if (static_cast<int>(lines.size()) > height) lines.resize(static_cast<std::size_t>(std::max(height, 0)));
  for (auto& line : lines) {
    if (line.emphasis == Emphasis::kDim && line.text.empty()) {
      std::string rule;
      for (int i = 0; i < width; ++i) rule += "─";
      line.text = rule;
    } else {
      line.text = FitWidth(line.text, width);
    }
  }
  return lines;
}

}  // namespace servicedesk::console
