#pragma once

// The agent's screen as lines of text: what the interactive mode paints, kept apart from the
// terminal so that it can be tested as text. It is fed the session's events (state, offers,
// withdrawals, reminders), the connection's ups and downs, and the results of the agent's
// own commands; Render lays out, for a terminal of a given size:
//
//   the status line      agent, state (and reason), time in state, connection
//   the offer panel      when an offer rings: who is calling (the screen pop: name, customer
//                        number, tier, lifecycle, the "usual" preferences, open tickets and
//                        complaints, the latest interactions), the seconds left, the keys
//   the current contact  after an accept, until the wrap-up is done
//   the notice line      the outcome of the last command, or an error in the server's words
//   the key help
//
// While the connection is down nothing is shown as live: the status line says so and the
// state is labelled "last known"; an offer that rang then is dropped (it cannot be
// answered).
//
// Text is UTF-8; widths are display columns (a Chinese character takes two), and every line
// is cut to the terminal's width without splitting a character. Not thread-safe: the UI
// thread owns it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "servicedesk/v1/routing.pb.h"

namespace servicedesk::console {

// Display columns of UTF-8 text (wcwidth of each character; needs a UTF-8 LC_CTYPE, which
// the console sets). Invalid bytes count one column each.
int DisplayWidth(std::string_view text);
// `text` cut to at most `width` columns ("…" marks a cut), never in the middle of a character.
std::string FitWidth(std::string_view text, int width);
// `text` without `prefix` ("AGENT_STATE_READY" → "READY", "queues/billing" → "billing").
std::string Trim(std::string_view text, std::string_view prefix);
// A duration as m:ss or h:mm:ss (negative: 0:00).
std::string Clock(absl::Duration d);
absl::Time FromStamp(const google::protobuf::Timestamp& t);
// Control characters (a newline in a note, say) as spaces: they would break the layout.
std::string OneLine(std::string_view text);

enum class Connection { kConnecting, kLive, kLost };
enum class Emphasis { kNormal, kTitle, kAlert, kDim };

struct ScreenLine {
  std::string text;
  Emphasis emphasis = Emphasis::kNormal;
};

// A screen of exactly `height` lines: `top`, then as much of `middle` as fits, blank lines,
// and `bottom` last; every line cut to `width` columns, and an empty kDim line drawn as a rule.
std::vector<ScreenLine> LayOut(std::vector<ScreenLine> top, std::vector<ScreenLine> middle,
                               std::vector<ScreenLine> bottom, int width, int height);

class AgentScreen {
 public:
  explicit AgentScreen(std::string agent_label) : agent_label_(std::move(agent_label)) {}

  void Apply(const v1::AgentEvent& event, absl::Time now);
  void SetConnection(Connection connection, std::string detail, absl::Time now);
  // After an accept: the contact the agent is on (empty: none), what it is, and the
  // customer's file (customers/{id}; empty for an unknown caller).
  void SetContact(std::string contact, std::string about, std::string customer = "");
  // The complaint being filled in on this contact, its step, and the form's lines (the
  // step's title and the answers so far); all empty: no form open.
  void SetComplaint(std::string complaint, std::string step_title, std::vector<std::string> answers);
  void Notice(std::string text, bool error = false);
  // A view the agent asked for (a customer's file, their tickets, their follow-ups), under
  // the contact; an offer covers it. Empty title: none.
  void SetView(std::string title, std::vector<std::string> lines);
  bool has_view() const { return !view_title_.empty(); }

  std::vector<ScreenLine> Render(int width, int height, absl::Time now) const;

  // What the keys act on.
  const std::string& pending_offer() const { return offer_ ? offer_->name() : empty_; }
  const std::string& contact() const { return contact_; }
  // What the ringing offer is ("call from <name>"), to show with the contact once accepted,
  // and its caller's file (customers/{id}, empty when unknown).
  std::string offer_about() const;
  std::string offer_customer() const;
  std::string offer_reference() const { return offer_ ? offer_->reference() : ""; }
  const std::string& contact_customer() const { return contact_customer_; }
  const std::string& complaint() const { return complaint_; }
  v1::AgentState state() const { return status_ ? status_->state() : v1::AGENT_STATE_UNSPECIFIED; }
  Connection connection() const { return connection_; }

 private:
  void RenderOffer(int width, absl::Time now, std::vector<ScreenLine>* out) const;

  std::string agent_label_;
  std::optional<v1::AgentStatus> status_;
  std::optional<v1::Offer> offer_;
  std::string contact_;
  std::string contact_about_;
  std::string contact_customer_;
  std::string complaint_;
  std::string complaint_step_;
  std::vector<std::string> complaint_answers_;
  std::string last_caller_;  // the accepted offer's caller, shown with the contact
  Connection connection_ = Connection::kConnecting;
  std::string connection_detail_;
  absl::Time connection_since_ = absl::InfinitePast();
  std::string notice_;
  bool notice_error_ = false;
  std::vector<std::string> reminders_;  // the latest few
  std::string view_title_;
  std::vector<std::string> view_;
  static inline const std::string empty_;
};

}  // namespace servicedesk::console
