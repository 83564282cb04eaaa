#include "agent-console/terminal_ui.h"

#include <curses.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <clocale>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "agent-console/agent_screen.h"
#include "agent-console/complaint_form.h"
#include "agent-console/console_views.h"
#include "agent-console/wallboard_screen.h"
#include "servicedesk/v1/complaint.grpc.pb.h"
#include "servicedesk/v1/customer.grpc.pb.h"
#include "servicedesk/v1/ticket.grpc.pb.h"
#include "servicedesk/v1/routing.grpc.pb.h"
#include "servicedesk/v1/supervisor.grpc.pb.h"

namespace servicedesk::console {

namespace {

using namespace std::chrono_literals;

// What a stream's thread hands to the UI thread.
struct ConnectionChange {
  Connection connection;
  std::string detail;
};

// A server stream read on its own thread, opened again when it breaks (after 1, 2, 4, then
// every 5 s), each break and recovery handed over as a ConnectionChange.
template <typename Message>
class StreamReader {
 public:
  using Incoming = std::variant<Message, ConnectionChange>;
  using Open = std::function<std::unique_ptr<grpc::ClientReader<Message>>(grpc::ClientContext*)>;

  StreamReader(Open open, std::string token) : open_(std::move(open)), token_(std::move(token)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~StreamReader() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      if (context_) context_->TryCancel();
    }
    thread_.join();
  }

  std::deque<Incoming> Take() {
    std::lock_guard lock(mu_);
    return std::exchange(incoming_, {});
  }

 private:
  void Push(Incoming item) {
    std::lock_guard lock(mu_);
    incoming_.push_back(std::move(item));
  }

  void Run() {
    int attempt = 0;
    for (;;) {
      auto context = std::make_shared<grpc::ClientContext>();
      if (!token_.empty()) context->AddMetadata("authorization", "Bearer " + token_);
      {
        std::lock_guard lock(mu_);
        if (stopping_) return;
        context_ = context;
      }
      auto reader = open_(context.get());
      Message message;
      bool live = false;
      while (reader->Read(&message)) {
        if (!live) {
          live = true;
          attempt = 0;
          Push(ConnectionChange{Connection::kLive, ""});
        }
        Push(message);
      }
      const grpc::Status status = reader->Finish();
      {
        std::lock_guard lock(mu_);
        if (stopping_) return;
      }
      ++attempt;
      Push(ConnectionChange{Connection::kLost, absl::StrCat("attempt ", attempt, ": ", status.error_message())});
      // A refusal that retrying will not change (a wrong token) still retries, slowly: the
      // reason is on screen and the user can quit.
      const auto wait = attempt <= 3 ? std::chrono::seconds(1 << (attempt - 1)) : 5s;
      const auto until = std::chrono::steady_clock::now() + wait;
      while (std::chrono::steady_clock::now() < until) {
        {
          std::lock_guard lock(mu_);
          if (stopping_) return;
        }
        std::this_thread::sleep_for(50ms);
      }
    }
  }

  Open open_;
  std::string token_;
  std::thread thread_;
  std::mutex mu_;
  std::deque<Incoming> incoming_;
  std::shared_ptr<grpc::ClientContext> context_;
  bool stopping_ = false;
};

// Each command's deadline (TerminalOptions::timeout_ms), set by the mode that runs.
std::chrono::milliseconds call_deadline = 5000ms;

std::unique_ptr<grpc::ClientContext> Call(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
  context->set_deadline(std::chrono::system_clock::now() + call_deadline);
  return context;
}

// A line typed at the bottom of the screen (Enter ends it, Escape cancels: nullopt).
// Run while a prompt waits for keys (the screen's own loop is paused): the streams' news
// applied and the screen painted again above the prompt, so nothing shown goes stale.
std::function<void()> while_prompting;

// A line typed at the bottom of the screen (Enter ends it, Escape cancels: nullopt).
std::optional<std::string> Prompt(const std::string& question) {
  std::string text;
  for (;;) {
    const int row = std::max(0, LINES - 1);  // again each time: the terminal may be resized
    // The end of a long answer stays in view (the typing point).
    std::string shown = text;
    bool cut = false;
    while (!shown.empty() && DisplayWidth(absl::StrCat(question, cut ? "…" : "", shown, "_")) > COLS) {
      std::size_t drop = 1;
      while (drop < shown.size() && (static_cast<unsigned char>(shown[drop]) & 0xC0) == 0x80) ++drop;
      shown.erase(0, drop);
      cut = true;
    }
    move(row, 0);
    clrtoeol();
    attron(A_BOLD);
    addstr(FitWidth(absl::StrCat(question, cut ? "…" : "", shown, "_"), COLS).c_str());
    attroff(A_BOLD);
    refresh();
    const int key = getch();
    if (key == ERR) {
      if (while_prompting) while_prompting();
      continue;
    }
    if (key == '\n' || key == KEY_ENTER || key == '\r') return text;
    if (key == 27) return std::nullopt;
    if (key == KEY_BACKSPACE || key == 127 || key == 8) {
      // Remove one whole UTF-8 character.
      while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80) text.pop_back();
      if (!text.empty()) text.pop_back();
      continue;
    }
    if (key < 0x20 || key >= 0x100) continue;  // function keys and controls
    // At most 500 bytes, never cutting a character: a continuation byte always goes in.
    const bool continuation = (key & 0xC0) == 0x80;
    if (text.size() < 500 || continuation) text.push_back(static_cast<char>(key));
  }
}

void PaintLines(const std::vector<ScreenLine>& lines) {
  erase();
  for (int row = 0; row < static_cast<int>(lines.size()); ++row) {
    int attribute = A_NORMAL;
    switch (lines[row].emphasis) {
      case Emphasis::kTitle: attribute = A_BOLD; break;
      case Emphasis::kAlert: attribute = A_BOLD | A_REVERSE; break;
      case Emphasis::kDim: attribute = A_DIM; break;
      case Emphasis::kNormal: break;
    }
    attron(attribute);
    mvaddstr(row, 0, lines[row].text.c_str());
    attroff(attribute);
  }
  refresh();
}

void Paint(const AgentScreen& screen) { PaintLines(screen.Render(COLS, LINES, absl::Now())); }

// The terminal in curses mode for the guard's life, and restored however the UI ends (an
// exception included). False when the terminal cannot be used (no or an unknown TERM).
class ScreenGuard {
 public:
  ScreenGuard() {
    std::setlocale(LC_ALL, "");  // UTF-8 names: widths and ncursesw's output
    screen_ = newterm(nullptr, stdout, stdin);
    if (screen_ == nullptr) return;
    cbreak();
    noecho();
    keypad(stdscr, TRUE);
    set_escdelay(100);  // Escape leaves a prompt at once, not after a second
    curs_set(0);
    timeout(250);  // the screen's clocks move even without a key
  }
  ~ScreenGuard() {
    if (screen_ == nullptr) return;
    endwin();
    delscreen(screen_);
  }
  bool ok() const { return screen_ != nullptr; }

 private:
  SCREEN* screen_ = nullptr;
};

// getch() answering ERR at once, again and again, means the input is gone (the terminal
// closed): the UI ends instead of spinning.
class InputWatch {
 public:
  bool Gone(int key) {
    const auto now = std::chrono::steady_clock::now();
    if (key != ERR || now - last_ > 50ms) quick_ = 0;
    else ++quick_;
    last_ = now;
    return quick_ > 200;
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
  int quick_ = 0;
};

// The guided complaint form for the caller of the current contact: opens the complaint
// (once per contact), then asks the fields of its current step one by one, checking each,
// and sends the step; on to the next step until the follow-up (scheduled by the server).
// Escape leaves the form; the steps sent stay sent, and [c] goes on where it stopped.
void ComplaintFlow(v1::ComplaintService::Stub* complaints, const std::string& token, AgentScreen& screen) {
  if (screen.contact().empty()) {
    screen.Notice("a complaint is taken on a contact: accept one first", true);
    return;
  }
  v1::Complaint complaint;
  if (screen.complaint().empty()) {
    if (screen.contact_customer().empty()) {
      screen.Notice("the caller has no customer file: a complaint needs one", true);
      return;
    }
    screen.SetComplaint("(new)", "opening", {});
    Paint(screen);
    auto summary = Prompt("the complaint in a few words: ");
    if (!summary) {
      screen.SetComplaint("", "", {});
      return;
    }
    v1::OpenComplaintRequest request;
    request.set_customer(screen.contact_customer());
    request.set_source(v1::COMPLAINT_SOURCE_CALL);
    request.set_source_reference(screen.contact());
    request.set_summary(*summary);
    request.set_request_id(absl::StrCat(screen.contact(), "/complaint"));
    auto status = complaints->OpenComplaint(Call(token).get(), request, &complaint);
    if (!status.ok()) {
      screen.SetComplaint("", "", {});
      screen.Notice(status.error_message(), true);
      return;
    }
  } else {
    v1::GetComplaintRequest request;
    request.set_name(screen.complaint());
    if (auto status = complaints->GetComplaint(Call(token).get(), request, &complaint); !status.ok()) {
      screen.Notice(status.error_message(), true);
      return;
    }
  }
  for (;;) {
    const std::string title = ComplaintForm::StepTitle(complaint.step());
    if (complaint.step() == v1::COMPLAINT_STEP_FOLLOW_UP && complaint.follow_up_contact() != screen.contact()) {
      // The follow-up is the call back the desk routes as a task when it is due; it is
      // recorded on that task's contact, not on another call.
      screen.SetComplaint(complaint.name(), title, {});
      screen.Notice(absl::StrCat(complaint.name(), ": the follow-up is recorded on its call back, offered as a task",
                                 complaint.has_follow_up_due_time()
                                     ? absl::StrCat(" at ", absl::FormatTime("%Y-%m-%d %H:%M",
                                                                             absl::FromUnixSeconds(
                                                                                 complaint.follow_up_due_time().seconds()),
                                                                             absl::UTCTimeZone()))
                                     : ""));
      return;
    }
    std::map<std::string, std::string> values;
    std::vector<std::string> answers;
    screen.SetComplaint(complaint.name(), title, answers);
    if (ComplaintForm::Fields(complaint.step(), values).empty()) {
      screen.Notice(absl::StrCat(complaint.name(), ": ", title));
      return;
    }
    // Fields are asked in order; the list is read again after each answer (a refund asks
    // for an amount, an apology does not).
    for (std::size_t i = 0;; ++i) {
      const auto fields = ComplaintForm::Fields(complaint.step(), values);
      if (i >= fields.size()) break;
      const FormField& field = fields[i];
      std::string question = field.question;
      if (!field.choices.empty()) absl::StrAppend(&question, " [", absl::StrJoin(field.choices, "/"), "]");
      for (;;) {
        Paint(screen);
        auto answer = Prompt(absl::StrCat(question, ": "));
        if (!answer) {
          screen.Notice(absl::StrCat("form left at step ", title, "; [c] to go on"));
          return;
        }
        if (const std::string why = ComplaintForm::Check(field, *answer); !why.empty()) {
          screen.Notice(absl::StrCat(field.key, ": ", why), true);
          continue;
        }
        values[field.key] = *answer;
        answers.push_back(absl::StrCat(field.key, ": ", *answer));
        screen.SetComplaint(complaint.name(), title, answers);
        screen.Notice("");
        break;
      }
    }
    grpc::Status status;
    v1::Complaint next;
    switch (complaint.step()) {
      case v1::COMPLAINT_STEP_VENTING:
        status = complaints->RecordVenting(Call(token).get(), ComplaintForm::Venting(complaint.name(), values), &next);
        break;
      case v1::COMPLAINT_STEP_RECORDING:
        status = complaints->RecordDetails(Call(token).get(), ComplaintForm::Details(complaint.name(), values), &next);
        break;
      case v1::COMPLAINT_STEP_RESOLUTION:
        if (ComplaintForm::Escalating(values)) {
          status = complaints->EscalateComplaint(Call(token).get(), ComplaintForm::Escalation(complaint.name(), values),
                                                 &next);
          if (status.ok()) {
            screen.SetComplaint(next.name(), ComplaintForm::StepTitle(next.step()), {});
            screen.Notice(absl::StrCat(next.name(), ": escalated to ",
                                       next.escalated_to_queue().empty() ? "the supervisor" : next.escalated_to_queue()));
            return;
          }
          break;
        }
        status =
            complaints->ProposeResolution(Call(token).get(), ComplaintForm::Proposal(complaint.name(), values), &next);
        break;
      case v1::COMPLAINT_STEP_FOLLOW_UP:
        status = complaints->RecordFollowUp(Call(token).get(), ComplaintForm::FollowUp(complaint.name(), values), &next);
        break;
      default:
        return;
    }
    if (!status.ok()) {
      screen.Notice(status.error_message(), true);
      return;
    }
    screen.Notice(absl::StrCat(complaint.name(), ": ", ComplaintForm::StepTitle(complaint.step()).substr(2),
                               " recorded"));
    const bool moved_on = next.step() != complaint.step();
    complaint = std::move(next);
    if (!moved_on) {
      // A refused proposal: the step stays, [c] asks it again. A customer not reached: the
      // next attempt is another call back.
      screen.SetComplaint(complaint.step() == v1::COMPLAINT_STEP_FOLLOW_UP ? "" : complaint.name(),
                          ComplaintForm::StepTitle(complaint.step()), {});
      return;
    }
    if (complaint.step() == v1::COMPLAINT_STEP_FOLLOW_UP) {
      // The follow-up is a call back later, routed as a task: nothing to fill in now.
      screen.SetComplaint(complaint.name(), ComplaintForm::StepTitle(complaint.step()), {});
      screen.Notice(absl::StrCat(complaint.name(), ": resolved; the follow-up is scheduled"));
      return;
    }
  }
}

// [/]: a customer by phone number, customer number or the start of their name; several
// matches are listed to choose from; the file and history are shown under the contact.
void CustomerSearch(v1::CustomerService::Stub* customers, const std::string& token, AgentScreen& screen) {
  auto query = Prompt("customer: phone, customer number or name: ");
  if (!query || query->empty()) return;
  v1::GetCustomerContextRequest request;
  request.set_interaction_limit(20);
  request.set_contact(screen.contact());
  const bool phone = (*query)[0] == '+' || std::all_of(query->begin(), query->end(), [](char c) {
                       return absl::ascii_isdigit(c) || c == ' ' || c == '-' || c == '/';
                     });
  if (phone) {
    request.set_phone_number(*query);
  } else {
    std::vector<v1::Customer> found;
    v1::LookupCustomersRequest by_number;
    by_number.set_customer_number(*query);
    v1::LookupCustomersResponse numbered;
    if (customers->LookupCustomers(Call(token).get(), by_number, &numbered).ok()) {
      found.assign(numbered.customers().begin(), numbered.customers().end());
    }
    if (found.empty()) {
      v1::ListCustomersRequest by_name;
      by_name.set_name_prefix(*query);
      by_name.set_page_size(9);
      v1::ListCustomersResponse named;
      if (auto status = customers->ListCustomers(Call(token).get(), by_name, &named); !status.ok()) {
        screen.Notice(status.error_message(), true);
        return;
      }
      found.assign(named.customers().begin(), named.customers().end());
    }
    if (found.empty()) {
      screen.Notice(absl::StrCat("no customer found for '", *query, "'"), true);
      return;
    }
    std::size_t chosen = 0;
    if (found.size() > 1) {
      screen.SetView(absl::StrCat("customers matching '", *query, "'"), CustomerChoices(found));
      Paint(screen);
      auto which = Prompt(absl::StrCat("which one (1-", found.size(), "): "));
      int index = 0;
      if (!which || !absl::SimpleAtoi(*which, &index) || index < 1 || index > static_cast<int>(found.size())) {
        screen.SetView("", {});
        return;
      }
      chosen = static_cast<std::size_t>(index - 1);
    }
    request.set_customer(found[chosen].name());
  }
  v1::CustomerContext context;
  if (auto status = customers->GetCustomerContext(Call(token).get(), request, &context); !status.ok()) {
    screen.Notice(status.error_message(), true);
    return;
  }
  screen.SetView("customer file", CustomerLines(context, /*max_open=*/10, /*max_interactions=*/20));
  screen.Notice("");
}

}  // namespace

int RunTerminal(const std::shared_ptr<grpc::Channel>& channel, const TerminalOptions& options) {
  ScreenGuard terminal;
  if (!terminal.ok()) {
    std::fprintf(stderr, "desk-console: this terminal cannot be drawn on (TERM unset or unknown)\n");
    return 2;
  }
  call_deadline = std::chrono::milliseconds(options.timeout_ms);
  auto agents = v1::AgentService::NewStub(channel);
  auto complaints = v1::ComplaintService::NewStub(channel);
  auto customers = v1::CustomerService::NewStub(channel);
  auto tickets = v1::TicketService::NewStub(channel);
  AgentScreen screen(options.agent_label);
  StreamReader<v1::AgentEvent> session(
      [stub = agents.get()](grpc::ClientContext* context) { return stub->Connect(context, v1::ConnectRequest()); },
      options.token);
  const auto refresh = [&] {
    for (auto& item : session.Take()) {
      if (auto* event = std::get_if<v1::AgentEvent>(&item)) {
        screen.Apply(*event, absl::Now());
      } else {
        const auto& change = std::get<ConnectionChange>(item);
        screen.SetConnection(change.connection, change.detail, absl::Now());
      }
    }
    Paint(screen);
  };
  while_prompting = refresh;
  InputWatch input;

  const auto report = [&](const grpc::Status& status, const std::string& done) {
    if (status.ok()) {
      screen.Notice(done);
    } else {
      screen.Notice(status.error_message(), true);
    }
  };
  bool quit = false;
  while (!quit) {
    refresh();
    const int key = getch();
    if (input.Gone(key)) break;
    if (key == ERR) continue;
    const bool live = screen.connection() == Connection::kLive;
    switch (key) {
      case 'q':
        quit = true;
        break;
      case KEY_RESIZE:
        clear();
        break;
      case 'r': {
        if (!live) break;
        v1::SetStateRequest request;
        request.set_state(v1::AGENT_STATE_READY);
        v1::AgentStatus status;
        report(agents->SetState(Call(options.token).get(), request, &status), "ready");
        break;
      }
      case 'n': {
        if (!live) break;
        auto reason = Prompt("not ready, reason code (e.g. lunch): ");
        if (!reason || reason->empty()) break;
        v1::SetStateRequest request;
        request.set_state(v1::AGENT_STATE_NOT_READY);
        request.set_reason_code(absl::StartsWith(*reason, "reasonCodes/") ? *reason
                                                                          : absl::StrCat("reasonCodes/", *reason));
        v1::AgentStatus status;
        report(agents->SetState(Call(options.token).get(), request, &status), "not ready");
        break;
      }
      case 'a': {
        if (!live || screen.pending_offer().empty()) break;
        v1::AcceptOfferRequest request;
        request.set_offer(screen.pending_offer());
        v1::AcceptOfferResponse response;
        const std::string about = screen.offer_about();
        const std::string customer = screen.offer_customer();
        auto status = agents->AcceptOffer(Call(options.token).get(), request, &response);
        const std::string reference = screen.offer_reference();
        if (status.ok()) {
          screen.SetContact(response.contact(), about, customer);
          // A complaint's follow-up task: [c] records the call back on that complaint.
          if (absl::StartsWith(reference, "complaints/")) {
            screen.SetComplaint(reference, ComplaintForm::StepTitle(v1::COMPLAINT_STEP_FOLLOW_UP), {});
          }
        }
        report(status, absl::StrCat("accepted: ", response.contact()));
        break;
      }
      case 'x': {
        if (!live || screen.pending_offer().empty()) break;
        v1::RejectOfferRequest request;
        request.set_offer(screen.pending_offer());
        v1::AgentStatus status;
        report(agents->RejectOffer(Call(options.token).get(), request, &status), "rejected");
        break;
      }
      case 'e': {
        if (!live || screen.contact().empty()) break;
        v1::EndContactRequest request;
        request.set_contact(screen.contact());
        v1::AgentStatus status;
        report(agents->EndContact(Call(options.token).get(), request, &status), "ended");
        break;
      }
      case 'c':
        if (live) ComplaintFlow(complaints.get(), options.token, screen);
        break;
      case '/':
        CustomerSearch(customers.get(), options.token, screen);
        break;
      case 'k': {
        if (options.agent.empty()) {
          screen.Notice("the desk did not say who you are (Ping): no list of yours", true);
          break;
        }
        v1::ListTicketsRequest request;
        request.set_assignee(options.agent);
        request.set_open_only(true);
        request.set_page_size(20);
        v1::ListTicketsResponse response;
        auto status = tickets->ListTickets(Call(options.token).get(), request, &response);
        if (status.ok()) {
          screen.SetView("my open tickets", TicketLines(response));
        } else {
          screen.Notice(status.error_message(), true);
        }
        break;
      }
      case 'l': {
        if (options.agent.empty()) {
          screen.Notice("the desk did not say who you are (Ping): no list of yours", true);
          break;
        }
        v1::ListComplaintsRequest request;
        request.set_owner(options.agent);
        request.set_step(v1::COMPLAINT_STEP_FOLLOW_UP);
        request.set_page_size(20);
        v1::ListComplaintsResponse response;
        auto status = complaints->ListComplaints(Call(options.token).get(), request, &response);
        if (status.ok()) {
          screen.SetView("my complaints waiting for a follow-up", FollowUpLines(response));
        } else {
          screen.Notice(status.error_message(), true);
        }
        break;
      }
      case 27:  // Escape: close the view
        screen.SetView("", {});
        break;
      case 'w': {
        if (!live) break;
        auto code = Prompt("wrap-up code (Enter: none): ");
        if (!code) break;
        auto notes = Prompt("notes (Enter: none): ");
        if (!notes) break;
        v1::CompleteWrapUpRequest request;
        request.set_wrap_up_code(*code);
        request.set_notes(*notes);
        v1::AgentStatus status;
        auto result = agents->CompleteWrapUp(Call(options.token).get(), request, &status);
        if (result.ok()) screen.SetContact("", "");
        report(result, "wrap-up done");
        break;
      }
      default:
        break;
    }
  }
  while_prompting = nullptr;
  return 0;
}

namespace {

std::string Named(const std::string& answer, const std::string& collection) {
  return absl::StartsWith(answer, collection + "/") ? answer : absl::StrCat(collection, "/", answer);
}

// The supervisor's controls from the wallboard's keys: the names asked at the bottom line,
// the outcome (or the server's refusal) on the notice line; a trace goes under the board.
void Control(int key, v1::SupervisorService::Stub* supervisor, const std::string& token, WallboardScreen& board) {
  const auto ask = [](const std::string& question) { return Prompt(question); };
  // Every control is audited with its reason (optional).
  const auto why = [&]() -> std::string {
    auto reason = ask("why, for the audit (Enter: none): ");
    return reason ? *reason : "";
  };
  grpc::Status status;
  std::string done;
  switch (key) {
    case 's': {
      auto agent = ask("agent: ");
      if (!agent || agent->empty()) return;
      auto state = ask("ready, or a reason code for not ready: ");
      if (!state || state->empty()) return;
      v1::ForceAgentStateRequest request;
      request.set_reason(why());
      request.set_agent(Named(*agent, "agents"));
      if (*state == "ready") {
        request.set_state(v1::AGENT_STATE_READY);
      } else {
        request.set_state(v1::AGENT_STATE_NOT_READY);
        request.set_reason_code(Named(*state, "reasonCodes"));
      }
      v1::AgentStatus response;
      status = supervisor->ForceAgentState(Call(token).get(), request, &response);
      done = absl::StrCat(request.agent(), " is ", Trim(v1::AgentState_Name(response.state()), "AGENT_STATE_"));
      break;
    }
    case 'o': {
      auto agent = ask("log out agent: ");
      if (!agent || agent->empty()) return;
      v1::LogOutAgentRequest request;
      request.set_reason(why());
      request.set_agent(Named(*agent, "agents"));
      v1::AgentStatus response;
      status = supervisor->LogOutAgent(Call(token).get(), request, &response);
      done = absl::StrCat(request.agent(), " logged out");
      break;
    }
    case 'm': {
      auto contact = ask("move contact: ");
      if (!contact || contact->empty()) return;
      auto queue = ask("to queue: ");
      if (!queue || queue->empty()) return;
      v1::MoveContactRequest request;
      request.set_reason(why());
      request.set_contact(Named(*contact, "contacts"));
      request.set_queue(Named(*queue, "queues"));
      v1::Contact response;
      status = supervisor->MoveContact(Call(token).get(), request, &response);
      done = absl::StrCat(request.contact(), " moved to ", response.queue());
      break;
    }
    case 'f': {
      auto contact = ask("offer contact: ");
      if (!contact || contact->empty()) return;
      auto agent = ask("to agent: ");
      if (!agent || agent->empty()) return;
      v1::OfferContactRequest request;
      request.set_reason(why());
      request.set_contact(Named(*contact, "contacts"));
      request.set_agent(Named(*agent, "agents"));
      v1::Contact response;
      status = supervisor->OfferContact(Call(token).get(), request, &response);
      done = absl::StrCat(request.contact(), " offered to ", request.agent());
      break;
    }
    case 'p': {
      auto contact = ask("contact: ");
      if (!contact || contact->empty()) return;
      auto adjust = ask("priority adjustment (-100 to 100): ");
      int value = 0;
      if (!adjust || !absl::SimpleAtoi(*adjust, &value)) return;
      v1::SetContactPriorityRequest request;
      request.set_reason(why());
      request.set_contact(Named(*contact, "contacts"));
      request.set_priority_adjust(value);
      v1::Contact response;
      status = supervisor->SetContactPriority(Call(token).get(), request, &response);
      done = absl::StrCat(request.contact(), " priority adjustment ", value);
      break;
    }
    case 't': {
      auto contact = ask("trace of contact: ");
      if (!contact || contact->empty()) return;
      v1::GetContactTraceRequest request;
      request.set_contact(Named(*contact, "contacts"));
      v1::RoutingTrace trace;
      status = supervisor->GetContactTrace(Call(token).get(), request, &trace);
      if (!status.ok()) break;
      board.Notice(absl::StrCat(trace.offer(), ": ", trace.contact(), " to ", trace.agent(), " in ", trace.queue(),
                                " by ", trace.rule()));
      std::vector<std::string> lines;
      for (const auto& c : trace.candidates()) {
        lines.push_back(absl::StrCat("  ", c.acceptable() ? "" : "(skipped) ", c.description()));
      }
      board.SetDetail(std::move(lines));
      return;
    }
    default:
      return;
  }
  if (status.ok()) {
    board.Notice(done);
  } else {
    board.Notice(status.error_message(), true);
  }
}

}  // namespace

int RunWallboard(const std::shared_ptr<grpc::Channel>& channel, const TerminalOptions& options) {
  ScreenGuard terminal;
  if (!terminal.ok()) {
    std::fprintf(stderr, "desk-console: this terminal cannot be drawn on (TERM unset or unknown)\n");
    return 2;
  }
  call_deadline = std::chrono::milliseconds(options.timeout_ms);
  auto supervisor = v1::SupervisorService::NewStub(channel);
  WallboardScreen board;
  StreamReader<v1::QueueBoardUpdate> queues(
      [stub = supervisor.get()](grpc::ClientContext* context) {
        v1::WatchQueuesRequest request;
        request.set_updates_per_second(2);
        return stub->WatchQueues(context, request);
      },
      options.token);
  StreamReader<v1::AgentBoardUpdate> agents(
      [stub = supervisor.get()](grpc::ClientContext* context) {
        v1::WatchAgentsRequest request;
        request.set_updates_per_second(2);
        return stub->WatchAgents(context, request);
      },
      options.token);
  std::string service_level = "service_level_1";
  // Both streams must be up for the board to be live; each keeps its own reason when down.
  Connection queues_connection = Connection::kConnecting, agents_connection = Connection::kConnecting;
  std::string queues_lost, agents_lost;
  const auto refresh = [&] {
    bool changed = false;
    for (auto& item : queues.Take()) {
      if (auto* update = std::get_if<v1::QueueBoardUpdate>(&item)) {
        board.Apply(*update);
      } else {
        queues_connection = std::get<ConnectionChange>(item).connection;
        queues_lost = std::get<ConnectionChange>(item).detail;
        changed = true;
      }
    }
    for (auto& item : agents.Take()) {
      if (auto* update = std::get_if<v1::AgentBoardUpdate>(&item)) {
        board.Apply(*update);
      } else {
        agents_connection = std::get<ConnectionChange>(item).connection;
        agents_lost = std::get<ConnectionChange>(item).detail;
        changed = true;
      }
    }
    if (changed) {
      const Connection both = queues_connection == Connection::kLost || agents_connection == Connection::kLost
                                  ? Connection::kLost
                              : queues_connection == Connection::kLive && agents_connection == Connection::kLive
                                  ? Connection::kLive
                                  : Connection::kConnecting;
      board.SetConnection(both, queues_connection == Connection::kLost ? queues_lost : agents_lost, absl::Now());
    }
    PaintLines(board.Render(COLS, LINES, absl::Now(), service_level));
  };
  while_prompting = refresh;
  InputWatch input;
  for (;;) {
    refresh();
    const int key = getch();
    if (input.Gone(key)) break;
    if (key == ERR) continue;
    if (key == 'q') break;
    if (key == KEY_RESIZE) {
      clear();
    } else if (key >= '1' && key <= '5') {
      service_level = absl::StrCat("service_level_", key - '0');
    } else {
      Control(key, supervisor.get(), options.token, board);
    }
  }
  while_prompting = nullptr;
  return 0;
}

}  // namespace servicedesk::console
