#include "agent-console/terminal_ui.h"

#include <curses.h>

#include <atomic>
#include <chrono>
#include <clocale>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <variant>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "agent-console/agent_screen.h"
#include "agent-console/complaint_form.h"
#include "servicedesk/v1/complaint.grpc.pb.h"
#include "servicedesk/v1/routing.grpc.pb.h"

namespace servicedesk::console {

namespace {

using namespace std::chrono_literals;

// What the session thread hands to the UI thread.
struct ConnectionChange {
  Connection connection;
  std::string detail;
};
using Incoming = std::variant<v1::AgentEvent, ConnectionChange>;

class SessionReader {
 public:
  SessionReader(std::shared_ptr<grpc::Channel> channel, std::string token)
      : stub_(v1::AgentService::NewStub(channel)), token_(std::move(token)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~SessionReader() {
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
      auto reader = stub_->Connect(context.get(), v1::ConnectRequest());
      v1::AgentEvent event;
      bool live = false;
      while (reader->Read(&event)) {
        if (!live) {
          live = true;
          attempt = 0;
          Push(ConnectionChange{Connection::kLive, ""});
        }
        Push(event);
      }
      const grpc::Status status = reader->Finish();
      {
        std::lock_guard lock(mu_);
        if (stopping_) return;
      }
      ++attempt;
      Push(ConnectionChange{Connection::kLost, absl::StrCat("attempt ", attempt, ": ", status.error_message())});
      // A refusal that will not change by retrying (a wrong token) still retries, slowly:
      // the agent sees the reason and can quit.
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

  std::unique_ptr<v1::AgentService::Stub> stub_;
  std::string token_;
  std::thread thread_;
  std::mutex mu_;
  std::deque<Incoming> incoming_;
  std::shared_ptr<grpc::ClientContext> context_;
  bool stopping_ = false;
};

std::unique_ptr<grpc::ClientContext> Call(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
  context->set_deadline(std::chrono::system_clock::now() + 5s);
  return context;
}

// A line typed at the bottom of the screen (Enter ends it, Escape cancels: nullopt).
std::optional<std::string> Prompt(const std::string& question) {
  const int row = LINES - 1;
  std::string text;
  for (;;) {
    move(row, 0);
    clrtoeol();
    attron(A_BOLD);
    addstr(FitWidth(absl::StrCat(question, text, "_"), COLS).c_str());
    attroff(A_BOLD);
    refresh();
    const int key = getch();
    if (key == ERR) continue;
    if (key == '\n' || key == KEY_ENTER || key == '\r') return text;
    if (key == 27) return std::nullopt;
    if (key == KEY_BACKSPACE || key == 127 || key == 8) {
      // Remove one whole UTF-8 character.
      while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80) text.pop_back();
      if (!text.empty()) text.pop_back();
      continue;
    }
    if (key >= 0x20 && key < 0x100 && text.size() < 500) text.push_back(static_cast<char>(key));
  }
}

void Paint(const AgentScreen& screen) {
  const auto lines = screen.Render(COLS, LINES, absl::Now());
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

// The guided complaint form for the caller of the current contact: opens the complaint
// (once per contact), then asks the fields of its current step one by one, checking each,
// and sends the step; on to the next step until the follow-up (scheduled by the server).
// Escape leaves the form; the steps sent stay sent, and [c] goes on where it stopped.
void ComplaintFlow(v1::ComplaintService::Stub* complaints, const std::string& token, AgentScreen& screen) {
  if (screen.contact().empty()) {
    screen.Notice("a complaint is taken on a contact: accept one first", true);
    return;
  }
  if (screen.contact_customer().empty()) {
    screen.Notice("the caller has no customer file: a complaint needs one", true);
    return;
  }
  v1::Complaint complaint;
  if (screen.complaint().empty()) {
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
        status =
            complaints->ProposeResolution(Call(token).get(), ComplaintForm::Proposal(complaint.name(), values), &next);
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
    complaint = std::move(next);
  }
}

}  // namespace

int RunTerminal(const std::shared_ptr<grpc::Channel>& channel, const TerminalOptions& options) {
  std::setlocale(LC_ALL, "");  // UTF-8 names: widths and ncursesw's output
  auto agents = v1::AgentService::NewStub(channel);
  auto complaints = v1::ComplaintService::NewStub(channel);
  AgentScreen screen(options.agent_label);
  SessionReader session(channel, options.token);

  initscr();
  cbreak();
  noecho();
  keypad(stdscr, TRUE);
  set_escdelay(100);  // Escape leaves a prompt at once, not after a second
  curs_set(0);
  timeout(250);  // the screen's clocks move even without a key

  const auto report = [&](const grpc::Status& status, const std::string& done) {
    if (status.ok()) {
      screen.Notice(done);
    } else {
      screen.Notice(status.error_message(), true);
    }
  };
  bool quit = false;
  while (!quit) {
    for (auto& item : session.Take()) {
      if (auto* event = std::get_if<v1::AgentEvent>(&item)) {
        screen.Apply(*event, absl::Now());
      } else {
        const auto& change = std::get<ConnectionChange>(item);
        screen.SetConnection(change.connection, change.detail, absl::Now());
      }
    }
    Paint(screen);
    const int key = getch();
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
        if (status.ok()) screen.SetContact(response.contact(), about, customer);
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
  endwin();
  return 0;
}

}  // namespace servicedesk::console
