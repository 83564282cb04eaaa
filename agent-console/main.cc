// desk-console: the agents' client. Scripted commands for the customer file (look a caller
// up, pop their screen, read their history) and for queues, and `agent`: the agent's
// session, printing offers (with the caller's screen pop) and state changes while it reads
// commands (ready, accept, end, ...) from standard input, one per line.
// Human output by default, --json for scripts. `ui`: the full-screen interactive mode.
//
// Exit codes: 0 done; 1 the server refused (its message on stderr); 2 usage (an unknown
// subcommand, a missing argument: the usage is printed); 3 the server is unreachable;
// 4 not found.

#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <toml++/toml.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "agent-console/agent_screen.h"
#include "agent-console/console_views.h"
#include "agent-console/terminal_ui.h"
#include "servicedesk/v1/customer.grpc.pb.h"
#include "servicedesk/v1/customer_value.grpc.pb.h"
#include "servicedesk/v1/survey.grpc.pb.h"
#include "servicedesk/v1/diagnostics.grpc.pb.h"
#include "servicedesk/v1/routing.grpc.pb.h"
#include "servicedesk/v1/supervisor.grpc.pb.h"
#include "servicedesk/v1/complaint.grpc.pb.h"
#include "servicedesk/v1/ticket.grpc.pb.h"

namespace {

namespace v1 = servicedesk::v1;
using google::protobuf::util::TimeUtil;

struct Options {
  std::string address = "127.0.0.1:50051";
  std::string token;
  // TLS: on with `tls`, or when a CA or a client certificate is given. Without a CA file the
  // system's roots verify the server; with a client certificate and key, mutual TLS.
  bool tls = false;
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  bool json = false;
  int timeout_ms = 5000;
};

// The console's settings file: `--config FILE`, else $DESK_CONSOLE_CONFIG, else
// $XDG_CONFIG_HOME/desk-console.toml or ~/.config/desk-console.toml when it exists. Keys:
// address, token, timeout_ms. The environment (DESK_ADDRESS, DESK_TOKEN) and the flags
// override it. Returns an error naming the file and the key, or "".
std::string LoadSettings(int argc, char** argv, Options* options) {
  std::string path;
  bool required = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--config" && i + 1 < argc) path = argv[i + 1];
    if (arg.starts_with("--config=")) path = std::string(arg.substr(9));
  }
  required = !path.empty();
  if (path.empty()) {
    if (const char* env = std::getenv("DESK_CONSOLE_CONFIG")) {
      path = env;
      required = true;
    } else if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0') {
      path = std::string(xdg) + "/desk-console.toml";
    } else if (const char* home = std::getenv("HOME")) {
      path = std::string(home) + "/.config/desk-console.toml";
    }
  }
  if (path.empty()) return "";
  if (!required && !std::ifstream(path).good()) return "";
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& error) {
    return absl::StrCat(path, ": ", std::string(error.description()));
  }
  for (const auto& [key, value] : table) {
    const std::string_view name = key.str();
    if (name == "address" && value.is_string()) {
      options->address = *value.value<std::string>();
    } else if (name == "token" && value.is_string()) {
      options->token = *value.value<std::string>();
    } else if (name == "tls" && value.is_boolean()) {
      options->tls = *value.value<bool>();
    } else if ((name == "tls_ca" || name == "tls_cert" || name == "tls_key") && value.is_string()) {
      (name == "tls_ca" ? options->tls_ca : name == "tls_cert" ? options->tls_cert : options->tls_key) =
          *value.value<std::string>();
    } else if (name == "timeout_ms" && value.is_integer()) {
      const int64_t ms = *value.value<int64_t>();
      if (ms < 1 || ms > 600000) return absl::StrCat(path, ": timeout_ms: must be 1 to 600000, got ", ms);
      options->timeout_ms = static_cast<int>(ms);
    } else {
      return absl::StrCat(path, ": ", std::string(name),
                          ": not a setting of the console (address, token, tls_ca, tls_cert, tls_key: text; "
                          "tls: true or false; timeout_ms: a number)");
    }
  }
  return "";
}

// The channel's credentials: plain text, or TLS as the options say. An error names the file.
std::string ChannelCredentials(const Options& options, std::shared_ptr<grpc::ChannelCredentials>* out) {
  if (!options.tls && options.tls_ca.empty() && options.tls_cert.empty() && options.tls_key.empty()) {
    *out = grpc::InsecureChannelCredentials();
    return "";
  }
  if (options.tls_cert.empty() != options.tls_key.empty()) return "--tls-cert and --tls-key go together";
  grpc::SslCredentialsOptions ssl;
  for (const auto& [path, pem] : {std::pair{&options.tls_ca, &ssl.pem_root_certs},
                                  std::pair{&options.tls_cert, &ssl.pem_cert_chain},
                                  std::pair{&options.tls_key, &ssl.pem_private_key}}) {
    if (path->empty()) continue;
    std::ifstream in(*path);
    if (!in.good()) return "cannot read '" + *path + "'";
    std::stringstream text;
    text << in.rdbuf();
    *pem = text.str();
  }
  *out = grpc::SslCredentials(ssl);
  return "";
}

std::unique_ptr<grpc::ClientContext> NewContext(const Options& options) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::milliseconds(options.timeout_ms));
  if (!options.token.empty()) context->AddMetadata("authorization", "Bearer " + options.token);
  return context;
}

int Report(const grpc::Status& status) {
  std::cerr << "desk-console: " << status.error_message() << " (code " << status.error_code()
            << ")" << std::endl;
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 3;
    case grpc::StatusCode::NOT_FOUND:
      return 4;
    default:
      return 1;
  }
}

void PrintJson(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions print;
  print.add_whitespace = true;
  print.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &out, print);
  std::cout << out;
}

using servicedesk::console::Trim;  // the console's text helper (agent_screen.h)

void PrintCustomer(const v1::Customer& c) {
  std::cout << c.display_name() << "  [" << c.customer_number() << "]  " << c.name() << "\n"
            << "  tier: " << Trim(v1::CustomerTier_Name(c.tier()), "CUSTOMER_TIER_")
            << "   lifecycle: " << Trim(v1::LifecycleState_Name(c.lifecycle_state()), "LIFECYCLE_STATE_")
            << "   owner: " << (c.owner_agent().empty() ? "-" : c.owner_agent()) << "\n";
  for (const auto& phone : c.phone_numbers()) {
    std::cout << "  phone: " << phone.number() << " (" << Trim(v1::PhoneType_Name(phone.type()), "PHONE_TYPE_") << ")\n";
  }
  for (const auto& email : c.emails()) std::cout << "  e-mail: " << email.address() << "\n";
  if (!c.preferences().empty()) {
    std::cout << "  usual:";
    for (const auto& [key, value] : c.preferences()) std::cout << " " << key << "=" << value;
    std::cout << "\n";
  }
}

void PrintInteraction(const v1::Interaction& i) {
  std::cout << "  " << TimeUtil::ToString(i.start_time()).substr(0, 16) << "  "
            << Trim(v1::InteractionChannel_Name(i.channel()), "INTERACTION_CHANNEL_") << "  "
            << (i.agent().empty() ? "-" : i.agent()) << "  " << i.outcome() << "  " << i.text() << "\n";
  if (!i.wrap_up_code().empty() || !i.wrap_up_notes().empty()) {
    std::cout << "      wrap-up " << (i.wrap_up_code().empty() ? "-" : i.wrap_up_code()) << ": "
              << i.wrap_up_notes() << "\n";
  }
}

// ---- the agent's session ----

// Output from the stream's thread and the command loop, one whole line at a time.
std::mutex print_mu;

void PrintEvent(const v1::AgentEvent& event, bool json, std::string* last_offer) {
  std::lock_guard lock(print_mu);
  if (json) {
    std::string out;
    (void)google::protobuf::util::MessageToJsonString(event, &out);
    std::cout << out << std::endl;
    if (event.has_offer()) *last_offer = event.offer().name();
    return;
  }
  if (event.has_status()) {
    const auto& s = event.status();
    std::cout << "[state] " << Trim(v1::AgentState_Name(s.state()), "AGENT_STATE_")
              << (s.reason().empty() ? "" : " (" + s.reason() + ")")
              << (s.requested_reason().empty() ? "" : ", then NOT_READY (" + s.requested_reason() + ")")
              << std::endl;
  } else if (event.has_offer()) {
    const auto& o = event.offer();
    *last_offer = o.name();
    std::cout << "[offer] " << o.name() << ": " << o.contact() << " from " << o.queue() << " ("
              << Trim(v1::ContactChannel_Name(o.channel()), "CONTACT_CHANNEL_")
              << (o.reference().empty() ? "" : " " + o.reference()) << "), waited " << o.waited().seconds()
              << " s; type `accept` or `reject`\n";
    const auto& pop = o.screen_pop();
    if (pop.has_customer()) {
      PrintCustomer(pop.customer());
      if (const std::string value = servicedesk::console::ValueLine(pop.value()); !value.empty()) {
        std::cout << "  value: " << value << "\n";
      }
      std::cout << "  open tickets: " << pop.open_tickets_size()
                << "   open complaints: " << pop.open_complaints_size() << "\n";
      int shown = 0;
      for (const auto& i : pop.recent_interactions()) {
        if (shown++ == 3) break;
        PrintInteraction(i);
      }
    } else {
      std::cout << "  caller without a customer file\n";
    }
    std::cout << std::flush;
  } else if (event.has_offer_withdrawn()) {
    std::cout << "[withdrawn] " << event.offer_withdrawn().offer() << " "
              << Trim(v1::OfferState_Name(event.offer_withdrawn().state()), "OFFER_STATE_") << std::endl;
  } else if (event.has_reminder()) {
    std::cout << "[reminder] " << event.reminder().text() << std::endl;
  }
}

constexpr const char* kAgentHelp =
    "commands: ready | not-ready <reason code> | accept [offer] | reject [offer] |\n"
    "          end [contact] | wrap-up [code [notes...]] | transfer queue <queue> |\n"
    "          transfer agent <agent> |\n"
    "          status | reasons | trace [offer] | logout | quit\n";

// One command line. Returns false to stop.
bool RunAgentCommand(const std::string& line, const Options& options, v1::AgentService::Stub* agents,
                     v1::RoutingAdminService::Stub* admin, std::string* last_offer,
                     std::string* last_contact) {
  std::istringstream words(line);
  std::string command, arg1, arg2;
  words >> command >> arg1 >> arg2;
  if (command.empty()) return true;
  auto name = [](const std::string& value, const char* collection) {
    return value.empty() || absl::StrContains(value, "/") ? value : absl::StrCat(collection, "/", value);
  };
  grpc::Status status;
  v1::AgentStatus state;
  if (command == "quit" || command == "exit") return false;
  if (command == "help") {
    std::cout << kAgentHelp;
    return true;
  }
  if (command == "ready" || command == "not-ready" || command == "logout") {
    v1::SetStateRequest request;
    request.set_state(command == "ready"       ? v1::AGENT_STATE_READY
                      : command == "logout"    ? v1::AGENT_STATE_LOGGED_OUT
                                               : v1::AGENT_STATE_NOT_READY);
    request.set_reason_code(name(arg1, "reasonCodes"));
    status = agents->SetState(NewContext(options).get(), request, &state);
  } else if (command == "accept") {
    v1::AcceptOfferRequest request;
    request.set_offer(arg1.empty() ? *last_offer : name(arg1, "offers"));
    v1::AcceptOfferResponse response;
    status = agents->AcceptOffer(NewContext(options).get(), request, &response);
    if (status.ok()) {
      *last_contact = response.contact();
      std::lock_guard lock(print_mu);
      std::cout << "connected: " << response.contact() << " (waited " << response.waited().seconds()
                << " s)" << std::endl;
    }
  } else if (command == "reject") {
    v1::RejectOfferRequest request;
    request.set_offer(arg1.empty() ? *last_offer : name(arg1, "offers"));
    status = agents->RejectOffer(NewContext(options).get(), request, &state);
  } else if (command == "end") {
    v1::EndContactRequest request;
    request.set_contact(arg1.empty() ? *last_contact : name(arg1, "contacts"));
    status = agents->EndContact(NewContext(options).get(), request, &state);
  } else if (command == "wrap-up") {
    // wrap-up billing.refund Refund promised, call back Friday
    v1::CompleteWrapUpRequest request;
    request.set_wrap_up_code(arg1);
    std::string notes = arg2;
    std::string rest;
    std::getline(words, rest);
    if (!rest.empty()) notes += rest;
    request.set_notes(notes);
    status = agents->CompleteWrapUp(NewContext(options).get(), request, &state);
  } else if (command == "transfer" && (arg1 == "queue" || arg1 == "agent")) {
    v1::TransferRequest request;
    request.set_contact(*last_contact);
    if (arg1 == "queue") request.set_queue(name(arg2, "queues"));
    if (arg1 == "agent") request.set_to_agent(name(arg2, "agents"));
    v1::TransferResponse response;
    status = agents->Transfer(NewContext(options).get(), request, &response);
    if (status.ok()) {
      std::lock_guard lock(print_mu);
      std::cout << "transferred; waiting as " << response.contact() << std::endl;
    }
  } else if (command == "status") {
    status = agents->GetAgentStatus(NewContext(options).get(), v1::GetAgentStatusRequest(), &state);
    if (status.ok()) {
      std::lock_guard lock(print_mu);
      std::cout << "state " << Trim(v1::AgentState_Name(state.state()), "AGENT_STATE_") << ", handled "
                << state.contacts_handled() << ", queues:";
      for (const auto& queue : state.queues()) std::cout << " " << queue;
      std::cout << std::endl;
    }
  } else if (command == "reasons") {
    v1::ListReasonCodesResponse response;
    status = admin->ListReasonCodes(NewContext(options).get(), v1::ListReasonCodesRequest(), &response);
    std::lock_guard lock(print_mu);
    for (const auto& code : response.reason_codes()) {
      std::cout << "  " << Trim(code.name(), "reasonCodes/") << "  " << code.description() << "\n";
    }
    std::cout << std::flush;
  } else if (command == "trace") {
    v1::GetRoutingTraceRequest request;
    request.set_offer(arg1.empty() ? *last_offer : name(arg1, "offers"));
    v1::RoutingTrace trace;
    status = agents->GetRoutingTrace(NewContext(options).get(), request, &trace);
    if (status.ok()) {
      std::lock_guard lock(print_mu);
      std::cout << trace.offer() << " to " << trace.agent() << " by rule: " << trace.rule() << "\n";
      for (const auto& c : trace.candidates()) std::cout << "  " << c.description() << "\n";
      std::cout << std::flush;
    }
  } else {
    std::lock_guard lock(print_mu);
    std::cout << "unknown command '" << command << "'\n" << kAgentHelp << std::flush;
    return true;
  }
  std::lock_guard lock(print_mu);
  if (!status.ok()) {
    std::cout << "refused: " << status.error_message() << std::endl;
  }
  return true;
}

int RunAgentSession(const Options& options, const std::shared_ptr<grpc::Channel>& channel) {
  auto agents = v1::AgentService::NewStub(channel);
  auto admin = v1::RoutingAdminService::NewStub(channel);
  grpc::ClientContext session;
  if (!options.token.empty()) session.AddMetadata("authorization", "Bearer " + options.token);
  auto reader = agents->Connect(&session, v1::ConnectRequest());
  std::string last_offer, last_contact;
  std::mutex session_mu;
  std::condition_variable session_cv;
  bool logged_in = false, ended = false;
  std::thread events([&] {
    v1::AgentEvent event;
    while (reader->Read(&event)) {
      {
        // Known before it is shown: a command typed on seeing it must find it.
        std::lock_guard lock(session_mu);
        if (event.has_offer()) last_offer = event.offer().name();
      }
      std::string shown;
      PrintEvent(event, options.json, &shown);
      std::lock_guard lock(session_mu);
      if (event.has_status()) logged_in = true;
      session_cv.notify_all();
    }
    std::lock_guard lock(session_mu);
    ended = true;
    session_cv.notify_all();
  });
  {
    // Commands wait for the login, which the session's first message confirms.
    std::unique_lock lock(session_mu);
    session_cv.wait_for(lock, std::chrono::seconds(10), [&] { return logged_in || ended; });
  }
  if (!options.json) std::cout << kAgentHelp << std::flush;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::string offer;
    {
      std::lock_guard lock(session_mu);
      if (ended) break;
      offer = last_offer;
    }
    if (!RunAgentCommand(line, options, agents.get(), admin.get(), &offer, &last_contact)) break;
  }
  session.TryCancel();
  events.join();
  const grpc::Status status = reader->Finish();
  if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) return Report(status);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"desk-console: the service desk's agent console"};
  Options options;
  if (const std::string error = LoadSettings(argc, argv, &options); !error.empty()) {
    std::cerr << "desk-console: " << error << std::endl;
    return 2;
  }
  std::string config_path;
  app.add_option("--config", config_path, "settings file (address, token, timeout_ms; env DESK_CONSOLE_CONFIG)");
  if (const char* env = std::getenv("DESK_ADDRESS")) options.address = env;
  if (const char* env = std::getenv("DESK_TOKEN")) options.token = env;
  app.add_option("--address", options.address, "servicedeskd address (env DESK_ADDRESS)");
  app.add_option("--token", options.token, "bearer token (env DESK_TOKEN)");
  app.add_flag("--json", options.json, "print JSON instead of text");
  app.add_option("--timeout-ms", options.timeout_ms, "deadline of each call");
  app.add_flag("--tls", options.tls, "TLS, the server verified by the system's roots");
  app.add_option("--tls-ca", options.tls_ca, "TLS, the server verified by this CA (PEM)");
  app.add_option("--tls-cert", options.tls_cert, "TLS client certificate (PEM), with --tls-key: mutual TLS");
  app.add_option("--tls-key", options.tls_key, "TLS client key (PEM)");
  app.require_subcommand(1);

  auto* ping = app.add_subcommand("ping", "check the connection and the token");
  auto* customer = app.add_subcommand("customer", "the customer file");
  customer->require_subcommand(1);
  std::string phone;
  int limit = 10;
  auto* lookup = customer->add_subcommand("lookup", "find customers by phone number");
  lookup->add_option("phone", phone, "phone number, any dialable form")->required();
  auto* pop = customer->add_subcommand("pop", "the screen pop for a calling number");
  pop->add_option("phone", phone, "calling number")->required();
  pop->add_option("--limit", limit, "latest interactions to show");
  std::string name_prefix;
  auto* search = customer->add_subcommand("search", "customers whose name starts with a prefix");
  search->add_option("prefix", name_prefix)->required();
  auto* agent = app.add_subcommand(
      "agent", "the agent's session: offers and state changes as they happen; commands from stdin");
  auto* ui = app.add_subcommand(
      "ui", "the interactive full-screen console of an agent: status, offers with the caller's file, keys");
  auto* wallboard = app.add_subcommand(
      "wallboard", "the supervisor's live wallboard of queues and agents, with the controls on keys");
  auto* contact = app.add_subcommand("contact", "work in the queues (cti, supervisor, admin)");
  contact->require_subcommand(1);
  std::string queue_name, customer_name;
  auto* enqueue = contact->add_subcommand("enqueue", "put a call into a queue");
  enqueue->add_option("queue", queue_name, "queue id, e.g. billing")->required();
  enqueue->add_option("--customer", customer_name, "customers/{id} of the caller");
  auto* waiting = contact->add_subcommand("waiting", "a queue's waiting contacts, best first");
  waiting->add_option("queue", queue_name, "queue id")->required();
  // Supervisors' controls (each audited by the server).
  auto* control_cmd = app.add_subcommand("control", "supervisor controls: state, logout, move, offer, priority, trace");
  control_cmd->require_subcommand(1);
  std::string k_target, k_value, k_reason;
  int k_priority = 0;
  auto* k_state = control_cmd->add_subcommand("state", "set an agent READY or NOT_READY");
  k_state->add_option("agent", k_target, "agent id")->required();
  k_state->add_option("state", k_value, "ready, or a reason code for not ready (e.g. lunch)")->required();
  auto* k_logout = control_cmd->add_subcommand("logout", "log an agent out");
  k_logout->add_option("agent", k_target, "agent id")->required();
  auto* k_move = control_cmd->add_subcommand("move", "move a waiting contact to another queue");
  k_move->add_option("contact", k_target, "contact id")->required();
  k_move->add_option("queue", k_value, "queue id")->required();
  auto* k_offer = control_cmd->add_subcommand("offer", "offer a waiting contact to an agent now");
  k_offer->add_option("contact", k_target, "contact id")->required();
  k_offer->add_option("agent", k_value, "agent id")->required();
  auto* k_prio = control_cmd->add_subcommand("priority", "set a contact's priority adjustment (-100 to 100)");
  k_prio->add_option("contact", k_target, "contact id")->required();
  k_prio->add_option("adjust", k_priority)->required();
  auto* k_trace = control_cmd->add_subcommand("trace", "why a contact's latest offer went to whom");
  k_trace->add_option("contact", k_target, "contact id")->required();
  for (auto* sub : {k_state, k_logout, k_move, k_offer, k_prio}) sub->add_option("--reason", k_reason, "for the audit");
  auto* queue_cmd = app.add_subcommand("queue", "queue figures (supervisor, admin)");
  queue_cmd->require_subcommand(1);
  std::string stats_queue;
  auto* stats = queue_cmd->add_subcommand(
      "stats", "offered, answered, abandoned and the service levels, this interval and today");
  stats->add_option("queue", stats_queue, "queue id; every queue when left out");
  std::vector<std::string> watch_names;
  int watch_rate = 0, watch_count = 0;
  auto* watch = queue_cmd->add_subcommand("watch", "the live queue view: a line per queue as it changes");
  watch->add_option("queues", watch_names, "queue ids; every queue when left out");
  auto* watch_agents = queue_cmd->add_subcommand("agents", "the live agent view: a line per agent as it changes");
  watch_agents->add_option("agents", watch_names, "agent ids; every agent when left out");
  for (auto* sub : {watch, watch_agents}) {
    sub->add_option("--rate", watch_rate, "updates a second, 1 to 10 (default: the server's)");
    sub->add_option("--count", watch_count, "stop after this many updates (the snapshot included)");
  }
  double history_hours = 24;
  auto* history = queue_cmd->add_subcommand("history", "the stored 15-minute intervals of a queue");
  history->add_option("queue", stats_queue, "queue id; every queue when left out");
  history->add_option("--hours", history_hours, "how far back from now (at most 744)");
  auto* ticket_cmd =
      app.add_subcommand("ticket", "tickets: list, show, create, status, comment, pick, handback");
  ticket_cmd->require_subcommand(1);
  std::string ticket_id, ticket_customer, ticket_subject, ticket_description, ticket_queue, ticket_word;
  std::string comment_text;
  bool open_only = false, overdue_only = false, internal = false;
  auto* ticket_list = ticket_cmd->add_subcommand("list", "tickets, newest first");
  ticket_list->add_option("--customer", ticket_customer, "customers/{id}");
  ticket_list->add_flag("--open", open_only, "new, open or pending only");
  ticket_list->add_flag("--overdue", overdue_only, "open tickets past an SLA target only");
  auto* ticket_show = ticket_cmd->add_subcommand("show", "a ticket with its deadlines and comments");
  ticket_show->add_option("ticket", ticket_id, "ticket id")->required();
  auto* ticket_create = ticket_cmd->add_subcommand("create", "open a ticket for a customer");
  ticket_create->add_option("--customer", ticket_customer, "customers/{id}")->required();
  ticket_create->add_option("--subject", ticket_subject)->required();
  ticket_create->add_option("--description", ticket_description);
  ticket_create->add_option("--queue", ticket_queue, "queue id");
  auto* ticket_status = ticket_cmd->add_subcommand(
      "status", "open | pending-customer | pending-third-party | solved | closed");
  ticket_status->add_option("ticket", ticket_id, "ticket id")->required();
  ticket_status->add_option("status", ticket_word)->required();
  auto* ticket_comment = ticket_cmd->add_subcommand("comment", "add a public (or --internal) comment");
  ticket_comment->add_option("ticket", ticket_id, "ticket id")->required();
  ticket_comment->add_option("text", comment_text)->required();
  ticket_comment->add_flag("--internal", internal, "not seen by the customer");
  std::string acting_agent, handback_reason;
  auto* ticket_pick = ticket_cmd->add_subcommand("pick", "take a ticket now: you work it and it is yours");
  ticket_pick->add_option("ticket", ticket_id, "ticket id")->required();
  ticket_pick->add_option("--agent", acting_agent, "agents/{id}, for a supervisor acting for an agent");
  auto* ticket_handback = ticket_cmd->add_subcommand("handback", "give your ticket back to its queue");
  ticket_handback->add_option("ticket", ticket_id, "ticket id")->required();
  ticket_handback->add_option("reason", handback_reason, "why, for the history");
  ticket_handback->add_option("--agent", acting_agent, "agents/{id}, for a supervisor acting for an agent");
  // Complaints: the four steps, one subcommand each.
  // Customer value: purchases, tiers, the value job.
  auto* value_cmd = app.add_subcommand("value", "customer value: show, purchases, buy, override, clear, model, recompute");
  value_cmd->require_subcommand(1);
  std::string v_customer, v_currency = "EUR", v_product, v_order, v_tier, v_reason, v_until;
  double v_amount = 0;
  auto* v_show = value_cmd->add_subcommand("show", "a customer's purchases, RFM, lifetime value, tier and lifecycle");
  v_show->add_option("customer", v_customer, "customers/{id} or the id")->required();
  auto* v_purchases = value_cmd->add_subcommand("purchases", "a customer's purchases, newest first");
  v_purchases->add_option("customer", v_customer)->required();
  auto* v_buy = value_cmd->add_subcommand("buy", "record a purchase");
  v_buy->add_option("customer", v_customer)->required();
  v_buy->add_option("--amount", v_amount, "e.g. 39.90")->required();
  v_buy->add_option("--currency", v_currency, "ISO 4217, default EUR");
  v_buy->add_option("--product", v_product);
  v_buy->add_option("--order", v_order, "the order's id in the shop, makes a retry harmless");
  auto* v_override = value_cmd->add_subcommand("override", "set a customer's tier by hand (supervisor)");
  v_override->add_option("customer", v_customer)->required();
  v_override->add_option("--tier", v_tier, "key-important, key-secondary, ordinary, small")->required();
  v_override->add_option("--reason", v_reason)->required();
  v_override->add_option("--until", v_until, "YYYY-MM-DD (UTC midnight)")->required();
  auto* v_clear = value_cmd->add_subcommand("clear", "end a tier override now (supervisor)");
  v_clear->add_option("customer", v_customer)->required();
  v_clear->add_option("--reason", v_reason)->required();
  auto* v_model = value_cmd->add_subcommand("model", "the last run's breakpoints, bands and rules");
  auto* v_recompute = value_cmd->add_subcommand("recompute", "run the value job now (admin)");
  // Surveys: record one, read satisfaction.
  auto* survey_cmd = app.add_subcommand("survey", "satisfaction surveys: record, satisfaction");
  survey_cmd->require_subcommand(1);
  std::string s_customer, s_contact, s_agent, s_queue, s_comment, s_by = "desk", s_from, s_to, s_key;
  int s_score = 0;
  bool s_monthly = false;
  auto* s_record = survey_cmd->add_subcommand("record", "a customer's score for a contact");
  s_record->add_option("--customer", s_customer, "customers/{id}")->required();
  s_record->add_option("--contact", s_contact, "contacts/{id} or tickets/{id} it rates");
  s_record->add_option("--agent", s_agent, "agents/{id} who served");
  s_record->add_option("--queue", s_queue, "queues/{id}");
  s_record->add_option("--score", s_score, "1 (very unhappy) to 5 (very happy)")->required();
  s_record->add_option("--comment", s_comment);
  s_record->add_flag("--monthly", s_monthly, "from the monthly sample (else: after a contact)");
  auto* s_satisfaction = survey_cmd->add_subcommand("satisfaction", "by agent, queue, tier or desk, by month (supervisor)");
  s_satisfaction->add_option("--by", s_by, "agent, queue, tier, desk");
  s_satisfaction->add_option("--from", s_from, "YYYY-MM (default: this month)");
  s_satisfaction->add_option("--to", s_to, "YYYY-MM");
  s_satisfaction->add_option("--key", s_key, "one agent, queue or tier");
  auto* complaint_cmd = app.add_subcommand(
      "complaint", "complaints: list, show, open, vent, record, propose, escalate, followup, figures");
  complaint_cmd->require_subcommand(1);
  std::string complaint_id, c_customer, c_contact, c_summary, c_mood, c_notes, c_remedy, c_category, c_product,
      c_description, c_expectation, c_severity, c_kind, c_currency, c_reason, c_queue, c_comment;
  double c_minutes = 0, c_amount = -1;
  int c_satisfaction = 0;
  bool c_open_only = false, c_overdue = false, c_regulated = false, c_accepted = false, c_supervisor = false,
       c_reached = false, c_solved = false;
  auto* c_list = complaint_cmd->add_subcommand("list", "complaints, newest first");
  c_list->add_option("--customer", c_customer, "customers/{id}");
  c_list->add_flag("--open", c_open_only, "not closed");
  c_list->add_flag("--overdue", c_overdue, "with a reached limit");
  auto* c_show = complaint_cmd->add_subcommand("show", "a complaint with its audit trail");
  c_show->add_option("complaint", complaint_id, "complaint id")->required();
  auto* c_open = complaint_cmd->add_subcommand("open", "open a complaint (venting first)");
  c_open->add_option("--customer", c_customer, "customers/{id}")->required();
  c_open->add_option("--call", c_contact, "contacts/{id} of the call it came from");
  c_open->add_option("--summary", c_summary);
  auto* c_vent = complaint_cmd->add_subcommand("vent", "step 1: the customer was heard out");
  c_vent->add_option("complaint", complaint_id)->required();
  c_vent->add_option("--minutes", c_minutes, "how long")->required();
  c_vent->add_option("--mood", c_mood, "calm, upset, angry, distressed")->required();
  c_vent->add_option("--notes", c_notes)->required();
  c_vent->add_option("--remedy", c_remedy, "what the customer asks for");
  auto* c_record = complaint_cmd->add_subcommand("record", "step 2: what it is about");
  c_record->add_option("complaint", complaint_id)->required();
  c_record->add_option("--category", c_category)->required();
  c_record->add_option("--product", c_product)->required();
  c_record->add_option("--description", c_description, "in the customer's words")->required();
  c_record->add_option("--expectation", c_expectation)->required();
  c_record->add_option("--severity", c_severity, "low, medium, high, critical")->required();
  c_record->add_flag("--regulated", c_regulated);
  auto* c_propose = complaint_cmd->add_subcommand("propose", "step 3: a proposal and the customer's answer");
  c_propose->add_option("complaint", complaint_id)->required();
  c_propose->add_option("--kind", c_kind, "refund, replacement, repair, compensation, apology, explanation, other")
      ->required();
  c_propose->add_option("--amount", c_amount, "e.g. 39.99");
  c_propose->add_option("--currency", c_currency, "e.g. EUR");
  c_propose->add_option("--description", c_description);
  c_propose->add_flag("--accepted", c_accepted, "the customer accepted (else: refused)");
  auto* c_escalate = complaint_cmd->add_subcommand("escalate", "to a supervisor or another queue");
  c_escalate->add_option("complaint", complaint_id)->required();
  c_escalate->add_flag("--supervisor", c_supervisor);
  c_escalate->add_option("--queue", c_queue, "queue id");
  c_escalate->add_option("--reason", c_reason)->required();
  auto* c_followup = complaint_cmd->add_subcommand("followup", "step 4: the result of a follow-up call");
  c_followup->add_option("complaint", complaint_id)->required();
  c_followup->add_flag("--reached", c_reached, "the customer was reached");
  c_followup->add_option("--satisfaction", c_satisfaction, "1 to 5");
  c_followup->add_flag("--solved", c_solved, "the problem is really solved");
  c_followup->add_option("--comment", c_comment);
  auto* c_figures = complaint_cmd->add_subcommand("figures", "counts by step, times, rates (supervisor)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    std::cerr << app.help() << "\n";
    app.exit(error);  // what was wrong, last
    return 2;
  }

  if (options.timeout_ms < 1 || options.timeout_ms > 600000) {
    std::cerr << "desk-console: timeout_ms: must be 1 to 600000, got " << options.timeout_ms << std::endl;
    return 2;
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (const std::string error = ChannelCredentials(options, &credentials); !error.empty()) {
    std::cerr << "desk-console: " << error << std::endl;
    return 2;
  }
  auto channel = grpc::CreateChannel(options.address, credentials);
  if (*ping) {
    auto stub = v1::DiagnosticsService::NewStub(channel);
    v1::PingResponse response;
    auto status = stub->Ping(NewContext(options).get(), v1::PingRequest(), &response);
    if (!status.ok()) return Report(status);
    if (options.json) {
      PrintJson(response);
    } else {
      std::cout << "servicedeskd " << response.version() << " at " << options.address
                << (response.principal().empty() ? "" : absl::StrCat(" as ", response.principal(), " (", response.role(), ")"))
                << "\n";
    }
    return 0;
  }
  if (*agent) return RunAgentSession(options, channel);
  if (*wallboard) {
    return servicedesk::console::RunWallboard(channel, servicedesk::console::TerminalOptions{options.token, "", "", options.timeout_ms});
  }
  if (*ui) {
    // The agent's name is the server's to say (the token's principal); Ping tells it.
    std::string label = "agent";
    auto diagnostics = v1::DiagnosticsService::NewStub(channel);
    v1::PingResponse who;
    if (diagnostics->Ping(NewContext(options).get(), v1::PingRequest(), &who).ok() && !who.principal().empty()) {
      label = Trim(who.principal(), "agents/");
    }
    return servicedesk::console::RunTerminal(
        channel, servicedesk::console::TerminalOptions{options.token, label, who.principal(), options.timeout_ms});
  }
  if (*ticket_cmd) {
    auto tickets = v1::TicketService::NewStub(channel);
    const std::string name =
        absl::StartsWith(ticket_id, "tickets/") ? ticket_id : absl::StrCat("tickets/", ticket_id);
    auto print_ticket = [&](const v1::Ticket& t) {
      std::cout << t.name() << "  " << Trim(v1::TicketStatus_Name(t.status()), "TICKET_STATUS_") << "  "
                << Trim(v1::TicketPriority_Name(t.priority()), "TICKET_PRIORITY_") << "  " << t.customer()
                << "  " << t.subject() << (t.overdue() ? "  OVERDUE" : "")
                << (t.assignee().empty() ? "" : "  " + t.assignee())
                << (t.contact().empty() ? "" : absl::StrCat("  ", t.contact(), " ", t.contact_state())) << "\n";
    };
    grpc::Status status;
    v1::Ticket ticket;
    if (*ticket_list) {
      v1::ListTicketsRequest request;
      request.set_customer(ticket_customer);
      request.set_open_only(open_only);
      request.set_overdue(overdue_only);
      v1::ListTicketsResponse response;
      status = tickets->ListTickets(NewContext(options).get(), request, &response);
      if (!status.ok()) return Report(status);
      if (options.json) {
        PrintJson(response);
      } else {
        for (const auto& t : response.tickets()) print_ticket(t);
      }
      return 0;
    }
    if (*ticket_create) {
      v1::CreateTicketRequest request;
      request.mutable_ticket()->set_customer(ticket_customer);
      request.mutable_ticket()->set_subject(ticket_subject);
      request.mutable_ticket()->set_description(ticket_description);
      if (!ticket_queue.empty()) {
        request.mutable_ticket()->set_queue(absl::StartsWith(ticket_queue, "queues/")
                                                ? ticket_queue
                                                : absl::StrCat("queues/", ticket_queue));
      }
      status = tickets->CreateTicket(NewContext(options).get(), request, &ticket);
    } else if (*ticket_status) {
      v1::ChangeStatusRequest request;
      request.set_ticket(name);
      if (ticket_word == "open") request.set_status(v1::TICKET_STATUS_OPEN);
      if (ticket_word == "solved") request.set_status(v1::TICKET_STATUS_SOLVED);
      if (ticket_word == "closed") request.set_status(v1::TICKET_STATUS_CLOSED);
      if (absl::StartsWith(ticket_word, "pending")) {
        request.set_status(v1::TICKET_STATUS_PENDING);
        request.set_pending_reason(ticket_word == "pending-third-party"
                                       ? v1::PENDING_REASON_WAITING_ON_THIRD_PARTY
                                       : v1::PENDING_REASON_WAITING_ON_CUSTOMER);
      }
      status = tickets->ChangeStatus(NewContext(options).get(), request, &ticket);
    } else if (*ticket_pick) {
      v1::PickTicketRequest request;
      request.set_ticket(name);
      request.set_agent(acting_agent);
      status = tickets->PickTicket(NewContext(options).get(), request, &ticket);
    } else if (*ticket_handback) {
      v1::HandBackTicketRequest request;
      request.set_ticket(name);
      request.set_agent(acting_agent);
      request.set_reason(handback_reason);
      status = tickets->HandBackTicket(NewContext(options).get(), request, &ticket);
    } else if (*ticket_comment) {
      v1::AddCommentRequest request;
      request.set_ticket(name);
      request.mutable_comment()->set_body(comment_text);
      request.mutable_comment()->set_public_(!internal);
      v1::TicketComment added;
      status = tickets->AddComment(NewContext(options).get(), request, &added);
      if (status.ok()) {
        std::cout << added.name() << "\n";
        return 0;
      }
    } else {
      v1::GetTicketRequest request;
      request.set_name(name);
      status = tickets->GetTicket(NewContext(options).get(), request, &ticket);
    }
    if (!status.ok()) return Report(status);
    if (options.json) {
      PrintJson(ticket);
      return 0;
    }
    print_ticket(ticket);
    for (const auto& d : ticket.deadlines()) {
      std::cout << "  " << d.target() << ": " << d.state()
                << (d.has_deadline() ? absl::StrCat(", due ", TimeUtil::ToString(d.deadline()).substr(0, 16)) : "")
                << ", used " << d.used().seconds() / 60 << " of " << d.goal().seconds() / 60 << " min"
                << (d.business_hours() ? " (business hours)" : "") << (d.breached() ? ", BREACHED" : "")
                << "\n";
    }
    if (*ticket_show) {
      v1::ListCommentsRequest request;
      request.set_ticket(name);
      v1::ListCommentsResponse comments;
      if (tickets->ListComments(NewContext(options).get(), request, &comments).ok()) {
        for (const auto& c : comments.comments()) {
          std::cout << "  " << TimeUtil::ToString(c.create_time()).substr(0, 16) << "  " << c.author()
                    << (c.public_() ? "" : " (internal)") << ": " << c.body() << "\n";
        }
      }
    }
    return 0;
  }
  if (*survey_cmd) {
    auto surveys = v1::SurveyService::NewStub(channel);
    if (*s_record) {
      v1::RecordSurveyRequest request;
      v1::Survey& survey = *request.mutable_survey();
      survey.set_customer(absl::StartsWith(s_customer, "customers/") ? s_customer : "customers/" + s_customer);
      survey.set_contact(s_contact);
      survey.set_agent(s_agent);
      survey.set_queue(s_queue);
      survey.set_score(s_score);
      survey.set_comment(s_comment);
      survey.set_kind(s_monthly ? v1::SURVEY_KIND_MONTHLY_SAMPLE : v1::SURVEY_KIND_POST_CONTACT);
      v1::Survey recorded;
      auto status = surveys->RecordSurvey(NewContext(options).get(), request, &recorded);
      if (!status.ok()) return Report(status);
      if (options.json) {
        PrintJson(recorded);
      } else {
        std::cout << "recorded " << recorded.name() << " (score " << recorded.score() << ")\n";
      }
      return 0;
    }
    v1::GetSatisfactionRequest request;
    const auto* by = v1::SatisfactionDimension_descriptor()->FindValueByName("SATISFACTION_DIMENSION_" +
                                                                             absl::AsciiStrToUpper(s_by));
    request.set_by(by == nullptr ? v1::SATISFACTION_DIMENSION_UNSPECIFIED
                                 : static_cast<v1::SatisfactionDimension>(by->number()));
    request.set_from_month(s_from);
    request.set_to_month(s_to);
    request.set_key(s_key);
    v1::SatisfactionReport report;
    auto status = surveys->GetSatisfaction(NewContext(options).get(), request, &report);
    if (!status.ok()) return Report(status);
    if (options.json) {
      PrintJson(report);
      return 0;
    }
    for (const auto& row : report.rows()) {
      std::cout << absl::StrFormat("%-24s %s  %5lld responses  mean %.2f  satisfied %5.1f %%\n", row.key(), row.month(),
                                   static_cast<long long>(row.responses()), row.mean_score(), row.satisfied_percent());
    }
    return 0;
  }
  if (*value_cmd) {
    auto values = v1::CustomerValueService::NewStub(channel);
    const std::string customer =
        absl::StartsWith(v_customer, "customers/") ? v_customer : absl::StrCat("customers/", v_customer);
    auto context = NewContext(options);
    grpc::Status status;
    v1::CustomerValue value;
    if (*v_purchases) {
      v1::ListPurchasesRequest request;
      request.set_parent(customer);
      v1::ListPurchasesResponse response;
      status = values->ListPurchases(context.get(), request, &response);
      if (!status.ok()) return Report(status);
      if (options.json) {
        PrintJson(response);
        return 0;
      }
      for (const auto& p : response.purchases()) {
        std::cout << TimeUtil::ToString(p.purchase_time()).substr(0, 16) << "  "
                  << absl::StrFormat("%.2f %s", static_cast<double>(p.amount().units()) + p.amount().nanos() / 1e9,
                                     p.amount().currency_code())
                  << "  " << p.product() << (p.order_id().empty() ? "" : "  order " + p.order_id()) << "  " << p.name()
                  << "\n";
      }
      return 0;
    }
    if (*v_model || *v_recompute) {
      v1::ValueModel model;
      if (*v_recompute) {
        context->set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(30));  // a whole base
        status = values->RecomputeValues(context.get(), v1::RecomputeValuesRequest(), &model);
      } else {
        status = values->GetValueModel(context.get(), v1::GetValueModelRequest(), &model);
      }
      if (!status.ok()) return Report(status);
      PrintJson(model);
      return 0;
    }
    if (*v_buy) {
      v1::RecordPurchaseRequest request;
      request.set_parent(customer);
      auto* amount = request.mutable_purchase()->mutable_amount();
      amount->set_currency_code(v_currency);
      amount->set_units(static_cast<int64_t>(v_amount));
      amount->set_nanos(static_cast<int32_t>(std::llround((v_amount - static_cast<double>(amount->units())) * 1e9)));
      request.mutable_purchase()->set_product(v_product);
      request.mutable_purchase()->set_order_id(v_order);
      v1::Purchase purchase;
      status = values->RecordPurchase(context.get(), request, &purchase);
      if (!status.ok()) return Report(status);
      if (options.json) {
        PrintJson(purchase);
        return 0;
      }
      std::cout << "recorded " << purchase.name() << "\n";
      context = NewContext(options);
    }
    if (*v_override) {
      v1::SetTierOverrideRequest request;
      request.set_customer(customer);
      const auto* tier = v1::CustomerTier_descriptor()->FindValueByName(
          "CUSTOMER_TIER_" + absl::AsciiStrToUpper(absl::StrReplaceAll(v_tier, {{"-", "_"}})));
      request.set_tier(tier == nullptr ? v1::CUSTOMER_TIER_UNSPECIFIED : static_cast<v1::CustomerTier>(tier->number()));
      request.set_reason(v_reason);
      absl::Time until;
      std::string error;
      if (!absl::ParseTime("%Y-%m-%d", v_until, absl::UTCTimeZone(), &until, &error)) {
        std::cerr << "desk-console: --until: not a date (YYYY-MM-DD): " << v_until << std::endl;
        return 2;
      }
      request.mutable_expire_time()->set_seconds(absl::ToUnixSeconds(until));
      status = values->SetTierOverride(context.get(), request, &value);
    } else if (*v_clear) {
      v1::ClearTierOverrideRequest request;
      request.set_customer(customer);
      request.set_reason(v_reason);
      status = values->ClearTierOverride(context.get(), request, &value);
    } else {
      v1::GetCustomerValueRequest request;
      request.set_customer(customer);
      status = values->GetCustomerValue(context.get(), request, &value);
    }
    if (!status.ok()) return Report(status);
    if (options.json) {
      PrintJson(value);
      return 0;
    }
    std::cout << value.customer() << "  tier " << Trim(v1::CustomerTier_Name(value.tier()), "CUSTOMER_TIER_")
              << " (from value: " << Trim(v1::CustomerTier_Name(value.value_tier()), "CUSTOMER_TIER_") << ")"
              << "  lifecycle " << Trim(v1::LifecycleState_Name(value.lifecycle_state()), "LIFECYCLE_STATE_") << "\n";
    if (const std::string line = servicedesk::console::ValueLine(value); !line.empty()) std::cout << "  " << line << "\n";
    if (value.has_tier_override()) std::cout << "  override reason: " << value.tier_override().reason() << "\n";
    if (!value.lifetime_value_formula().empty()) std::cout << "  lifetime value: " << value.lifetime_value_formula() << "\n";
    return 0;
  }
  if (*complaint_cmd) {
    auto complaints = v1::ComplaintService::NewStub(channel);
    const std::string name = absl::StartsWith(complaint_id, "complaints/") ? complaint_id
                                                                          : absl::StrCat("complaints/", complaint_id);
    const auto print = [&](const v1::Complaint& c) {
      std::cout << c.name() << "  " << Trim(v1::ComplaintStep_Name(c.step()), "COMPLAINT_STEP_") << "  "
                << c.customer() << "  " << (c.owner().empty() ? "(no owner)" : c.owner())
                << (c.overdue() ? "  OVERDUE" : "") << (c.escalated() ? "  escalated" : "") << "  " << c.summary()
                << "\n";
    };
    const auto enum_value = [](const google::protobuf::EnumDescriptor* type, const std::string& prefix,
                               const std::string& word) {
      const auto* value = type->FindValueByName(prefix + absl::AsciiStrToUpper(word));
      return value == nullptr ? -1 : value->number();  // -1: the server names the field
    };
    grpc::Status status;
    v1::Complaint complaint;
    auto context = NewContext(options);
    if (*c_list) {
      v1::ListComplaintsRequest request;
      request.set_customer(c_customer);
      request.set_open_only(c_open_only);
      request.set_overdue(c_overdue);
      v1::ListComplaintsResponse response;
      status = complaints->ListComplaints(context.get(), request, &response);
      if (!status.ok()) return Report(status);
      if (options.json) {
        PrintJson(response);
      } else {
        for (const auto& c : response.complaints()) print(c);
      }
      return 0;
    }
    if (*c_figures) {
      v1::ComplaintFigures figures;
      status = complaints->GetComplaintFigures(context.get(), v1::GetComplaintFiguresRequest(), &figures);
      if (!status.ok()) return Report(status);
      PrintJson(figures);
      return 0;
    }
    if (*c_open) {
      v1::OpenComplaintRequest request;
      request.set_customer(c_customer);
      if (!c_contact.empty()) {
        request.set_source(v1::COMPLAINT_SOURCE_CALL);
        request.set_source_reference(c_contact);
      }
      request.set_summary(c_summary);
      status = complaints->OpenComplaint(context.get(), request, &complaint);
    } else if (*c_vent) {
      v1::RecordVentingRequest request;
      request.set_complaint(name);
      request.mutable_venting()->mutable_duration()->set_seconds(static_cast<int64_t>(c_minutes * 60));
      request.mutable_venting()->set_mood(
          static_cast<v1::CustomerMood>(enum_value(v1::CustomerMood_descriptor(), "CUSTOMER_MOOD_", c_mood)));
      request.mutable_venting()->set_notes(c_notes);
      request.mutable_venting()->set_requested_remedy(c_remedy);
      status = complaints->RecordVenting(context.get(), request, &complaint);
    } else if (*c_record) {
      v1::RecordDetailsRequest request;
      request.set_complaint(name);
      auto* d = request.mutable_details();
      d->set_category(c_category);
      d->set_product(c_product);
      d->set_description(c_description);
      d->set_expectation(c_expectation);
      d->set_severity(static_cast<v1::ComplaintSeverity>(
          enum_value(v1::ComplaintSeverity_descriptor(), "COMPLAINT_SEVERITY_", c_severity)));
      d->set_regulated(c_regulated);
      status = complaints->RecordDetails(context.get(), request, &complaint);
    } else if (*c_propose) {
      v1::ProposeResolutionRequest request;
      request.set_complaint(name);
      auto* p = request.mutable_proposal();
      p->set_kind(static_cast<v1::SolutionKind>(enum_value(v1::SolutionKind_descriptor(), "SOLUTION_KIND_", c_kind)));
      if (c_amount >= 0) p->set_amount_cents(static_cast<int64_t>(c_amount * 100 + 0.5));
      p->set_currency(c_currency);
      p->set_description(c_description);
      p->set_accepted(c_accepted);
      status = complaints->ProposeResolution(context.get(), request, &complaint);
    } else if (*c_escalate) {
      v1::EscalateComplaintRequest request;
      request.set_complaint(name);
      request.mutable_escalation()->set_to_supervisor(c_supervisor);
      if (!c_queue.empty()) {
        request.mutable_escalation()->set_to_queue(absl::StartsWith(c_queue, "queues/") ? c_queue
                                                                                         : absl::StrCat("queues/", c_queue));
      }
      request.mutable_escalation()->set_reason(c_reason);
      status = complaints->EscalateComplaint(context.get(), request, &complaint);
    } else if (*c_followup) {
      v1::RecordFollowUpRequest request;
      request.set_complaint(name);
      request.mutable_result()->set_reached(c_reached);
      if (c_reached) {
        request.mutable_result()->set_satisfaction(c_satisfaction);
        request.mutable_result()->set_solved(c_solved);
      }
      request.mutable_result()->set_comment(c_comment);
      status = complaints->RecordFollowUp(context.get(), request, &complaint);
    } else {
      v1::GetComplaintRequest request;
      request.set_name(name);
      status = complaints->GetComplaint(context.get(), request, &complaint);
    }
    if (!status.ok()) return Report(status);
    if (options.json) {
      PrintJson(complaint);
      return 0;
    }
    print(complaint);
    if (complaint.has_step_deadline()) {
      std::cout << "  step limit: " << TimeUtil::ToString(complaint.step_deadline()).substr(0, 16) << "\n";
    }
    if (complaint.has_follow_up_due_time()) {
      std::cout << "  follow-up due: " << TimeUtil::ToString(complaint.follow_up_due_time()).substr(0, 16) << "\n";
    }
    for (const auto& entry : complaint.audit()) {
      std::cout << "  " << TimeUtil::ToString(entry.time()).substr(0, 16) << "  " << entry.principal() << "  "
                << entry.action() << ": " << entry.summary() << "\n";
    }
    return 0;
  }
  if (*control_cmd) {
    auto supervisor = v1::SupervisorService::NewStub(channel);
    const auto named = [](const std::string& id, const char* collection) {
      return absl::StartsWith(id, absl::StrCat(collection, "/")) ? id : absl::StrCat(collection, "/", id);
    };
    grpc::Status status;
    v1::AgentStatus agent_status;
    v1::Contact contact;
    v1::RoutingTrace trace;
    auto context = NewContext(options);
    if (*k_state) {
      v1::ForceAgentStateRequest request;
      request.set_agent(named(k_target, "agents"));
      if (absl::AsciiStrToLower(k_value) == "ready") {
        request.set_state(v1::AGENT_STATE_READY);
      } else {
        request.set_state(v1::AGENT_STATE_NOT_READY);
        request.set_reason_code(named(k_value, "reasonCodes"));
      }
      request.set_reason(k_reason);
      status = supervisor->ForceAgentState(context.get(), request, &agent_status);
    } else if (*k_logout) {
      v1::LogOutAgentRequest request;
      request.set_agent(named(k_target, "agents"));
      request.set_reason(k_reason);
      status = supervisor->LogOutAgent(context.get(), request, &agent_status);
    } else if (*k_move) {
      v1::MoveContactRequest request;
      request.set_contact(named(k_target, "contacts"));
      request.set_queue(named(k_value, "queues"));
      request.set_reason(k_reason);
      status = supervisor->MoveContact(context.get(), request, &contact);
    } else if (*k_offer) {
      v1::OfferContactRequest request;
      request.set_contact(named(k_target, "contacts"));
      request.set_agent(named(k_value, "agents"));
      request.set_reason(k_reason);
      status = supervisor->OfferContact(context.get(), request, &contact);
    } else if (*k_prio) {
      v1::SetContactPriorityRequest request;
      request.set_contact(named(k_target, "contacts"));
      request.set_priority_adjust(k_priority);
      request.set_reason(k_reason);
      status = supervisor->SetContactPriority(context.get(), request, &contact);
    } else {
      v1::GetContactTraceRequest request;
      request.set_contact(named(k_target, "contacts"));
      status = supervisor->GetContactTrace(context.get(), request, &trace);
      if (status.ok() && !options.json) {
        std::cout << trace.offer() << " to " << trace.agent() << " by rule: " << trace.rule() << "\n";
        for (const auto& c : trace.candidates()) std::cout << "  " << c.description() << "\n";
        return 0;
      }
    }
    if (!status.ok()) return Report(status);
    if (*k_state || *k_logout) {
      PrintJson(agent_status);
    } else if (*k_trace) {
      PrintJson(trace);
    } else {
      PrintJson(contact);
    }
    return 0;
  }
  if (*watch || *watch_agents) {
    auto supervisor = v1::SupervisorService::NewStub(channel);
    auto context = NewContext(options);
    const auto clock = [](const google::protobuf::Timestamp& t) { return TimeUtil::ToString(t).substr(11, 8); };
    int seen = 0;
    grpc::Status status;
    if (*watch) {
      v1::WatchQueuesRequest request;
      request.set_updates_per_second(watch_rate);
      for (const auto& q : watch_names) request.add_queues(absl::StartsWith(q, "queues/") ? q : absl::StrCat("queues/", q));
      auto reader = supervisor->WatchQueues(context.get(), request);
      v1::QueueBoardUpdate update;
      while ((watch_count == 0 || seen < watch_count) && reader->Read(&update)) {
        ++seen;
        if (options.json) {
          PrintJson(update);
          continue;
        }
        for (const auto& q : update.queues()) {
          const auto* sl = [&]() -> const v1::Figure* {
            for (const auto& f : q.today().figures()) {
              if (f.name() == "service_level_1") return &f;
            }
            return nullptr;
          }();
          std::cout << absl::StrFormat(
              "%s %-20s waiting %3d (oldest %4ds)  agents %d: ready %d busy %d wrap %d not-ready %d  today "
              "offered %d answered %d abandoned %d SL1 %s  EWT %s\n",
              clock(update.as_of()), Trim(q.queue(), "queues/"), q.waiting(), q.oldest_wait().seconds(),
              q.agents_staffed(), q.agents_ready() + q.agents_reserved(), q.agents_busy(), q.agents_wrap_up(),
              q.agents_not_ready(), q.today().offered(), q.today().answered(), q.today().abandoned(),
              sl != nullptr && sl->defined() ? absl::StrFormat("%.0f%%", 100 * sl->value()) : "-",
              q.estimated_wait().defined() ? absl::StrFormat("%.0fs", q.estimated_wait().value()) : "-");
        }
        for (const auto& [label, counts] : {std::pair{"tickets", &update.tickets()},
                                            std::pair{"complaints", &update.complaints()}}) {
          if (counts->counts().empty()) continue;
          std::cout << clock(update.as_of()) << " " << label << ":";
          for (const auto& c : counts->counts()) {
            std::cout << " " << c.status() << " " << c.count() << " (" << c.overdue() << " overdue)";
          }
          std::cout << "\n";
        }
        std::cout.flush();
      }
      if (watch_count == 0 || seen < watch_count) status = reader->Finish();
    } else {
      v1::WatchAgentsRequest request;
      request.set_updates_per_second(watch_rate);
      for (const auto& a : watch_names) request.add_agents(absl::StartsWith(a, "agents/") ? a : absl::StrCat("agents/", a));
      auto reader = supervisor->WatchAgents(context.get(), request);
      v1::AgentBoardUpdate update;
      while ((watch_count == 0 || seen < watch_count) && reader->Read(&update)) {
        ++seen;
        if (options.json) {
          PrintJson(update);
          continue;
        }
        for (const auto& a : update.agents()) {
          std::cout << absl::StrFormat("%s %-12s %-10s %-14s for %5ds  contact %-12s tickets %d  handled %d  occupancy %s\n",
                                       clock(update.as_of()), Trim(a.agent(), "agents/"),
                                       Trim(v1::AgentState_Name(a.state()), "AGENT_STATE_"),
                                       Trim(a.reason(), "reasonCodes/"), a.time_in_state().seconds(),
                                       a.contact().empty() ? "-" : Trim(a.contact(), "contacts/"), a.active_tickets(),
                                       a.handled(),
                                       a.occupancy().defined() ? absl::StrFormat("%.0f%%", 100 * a.occupancy().value())
                                                               : "-");
        }
        std::cout.flush();
      }
      if (watch_count == 0 || seen < watch_count) status = reader->Finish();
    }
    if (!status.ok()) return Report(status);
    context->TryCancel();
    return 0;
  }
  if (*history) {
    auto supervisor = v1::SupervisorService::NewStub(channel);
    v1::ListIntervalStatisticsRequest request;
    if (!stats_queue.empty()) {
      request.set_queue(absl::StartsWith(stats_queue, "queues/") ? stats_queue : absl::StrCat("queues/", stats_queue));
    }
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    request.mutable_start_time()->set_seconds(now - static_cast<int64_t>(history_hours * 3600));
    request.mutable_end_time()->set_seconds(now + 1);
    request.set_page_size(1000);
    for (;;) {
      v1::ListIntervalStatisticsResponse response;
      auto status = supervisor->ListIntervalStatistics(NewContext(options).get(), request, &response);
      if (!status.ok()) return Report(status);
      if (options.json) PrintJson(response);
      for (const auto& interval : response.intervals()) {
        if (options.json) break;
        const auto& p = interval.statistics();
        std::cout << absl::StrFormat("%-20s %s  offered %3d answered %3d (%3d within T) abandoned %3d handled %3d",
                                     Trim(interval.queue(), "queues/"),
                                     TimeUtil::ToString(p.start_time()).substr(0, 16), p.offered(), p.answered(),
                                     p.answered_within_threshold(), p.abandoned(), p.handled());
        for (const auto& f : p.figures()) {
          if (f.name() == "service_level_1" || f.name() == "asa" || f.name() == "aht") {
            std::cout << "  " << f.name() << " " << (f.defined() ? absl::StrFormat("%.2f", f.value()) : "-");
          }
        }
        std::cout << "\n";
      }
      if (response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    return 0;
  }
  if (*stats) {
    auto supervisor = v1::SupervisorService::NewStub(channel);
    v1::GetQueueStatisticsRequest request;
    if (!stats_queue.empty()) {
      request.set_queue(absl::StartsWith(stats_queue, "queues/") ? stats_queue
                                                                 : absl::StrCat("queues/", stats_queue));
    }
    v1::GetQueueStatisticsResponse response;
    auto status = supervisor->GetQueueStatistics(NewContext(options).get(), request, &response);
    if (!status.ok()) return Report(status);
    if (options.json) {
      PrintJson(response);
      return 0;
    }
    for (const auto& q : response.queues()) {
      std::cout << q.queue() << "\n";
      for (const auto& [label, period] :
           {std::pair{"this interval", &q.current_interval()}, std::pair{"today", &q.today()}}) {
        std::cout << "  " << label << " (from " << TimeUtil::ToString(period->start_time()).substr(11, 5)
                  << ", T = " << period->threshold().seconds() << " s): offered " << period->offered()
                  << ", answered " << period->answered() << " (" << period->answered_within_threshold()
                  << " within T), abandoned " << period->abandoned() << " ("
                  << period->abandoned_short() << " short), handled " << period->handled() << "\n";
        for (const auto& f : period->figures()) {
          std::cout << "    " << absl::StrFormat("%-34s %10s   %s", f.name(),
                                                 f.defined() ? absl::StrFormat("%.3f", f.value()) : "-",
                                                 f.formula())
                    << "\n";
        }
      }
    }
    return 0;
  }
  if (*contact) {
    auto contacts = v1::ContactService::NewStub(channel);
    const std::string queue =
        absl::StartsWith(queue_name, "queues/") ? queue_name : absl::StrCat("queues/", queue_name);
    if (*enqueue) {
      v1::EnqueueContactRequest request;
      request.set_channel(v1::CONTACT_CHANNEL_CALL);
      request.set_queue(queue);
      request.set_customer(customer_name);
      v1::Contact response;
      auto status = contacts->EnqueueContact(NewContext(options).get(), request, &response);
      if (!status.ok()) return Report(status);
      if (options.json) {
        PrintJson(response);
      } else {
        std::cout << response.name() << " " << response.state() << " in " << response.queue()
                  << (response.agent().empty() ? "" : ", offered to " + response.agent()) << "\n";
      }
      return 0;
    }
    v1::ListWaitingContactsRequest request;
    request.set_queue(queue);
    v1::ListWaitingContactsResponse response;
    auto status = contacts->ListWaitingContacts(NewContext(options).get(), request, &response);
    if (!status.ok()) return Report(status);
    if (options.json) {
      PrintJson(response);
    } else {
      for (const auto& c : response.contacts()) {
        std::cout << c.name() << "  " << TimeUtil::ToString(c.enqueue_time()).substr(11, 8) << "  priority "
                  << c.priority() << "  " << (c.customer().empty() ? "-" : c.customer()) << "\n";
      }
    }
    return 0;
  }
  auto stub = v1::CustomerService::NewStub(channel);
  if (*lookup) {
    v1::LookupCustomersRequest request;
    request.set_phone_number(phone);
    v1::LookupCustomersResponse response;
    auto status = stub->LookupCustomers(NewContext(options).get(), request, &response);
    if (!status.ok()) return Report(status);
    if (options.json) {
      PrintJson(response);
    } else if (response.customers().empty()) {
      std::cout << "no customer holds " << response.normalized_phone_number() << "\n";
    } else {
      for (const auto& c : response.customers()) PrintCustomer(c);
    }
    return 0;
  }
  if (*pop) {
    v1::GetCustomerContextRequest request;
    request.set_phone_number(phone);
    request.set_interaction_limit(limit);
    v1::CustomerContext response;
    auto status = stub->GetCustomerContext(NewContext(options).get(), request, &response);
    if (!status.ok()) return Report(status);
    if (options.json) {
      PrintJson(response);
      return 0;
    }
    if (!response.known_caller()) {
      std::cout << "unknown caller " << response.normalized_phone_number()
                << ": no customer file yet (create one on this call)\n";
      return 0;
    }
    PrintCustomer(response.customer());
    if (const std::string value = servicedesk::console::ValueLine(response.value()); !value.empty()) {
      std::cout << "  value: " << value << "\n";
    }
    for (const auto& other : response.other_matches()) {
      std::cout << "  also on this number: " << other.display_name() << " (" << other.name() << ")\n";
    }
    std::cout << "open tickets: " << response.open_tickets_size()
              << "   open complaints: " << response.open_complaints_size() << "\n"
              << "latest interactions:\n";
    for (const auto& i : response.recent_interactions()) PrintInteraction(i);
    return 0;
  }
  if (*search) {
    v1::ListCustomersRequest request;
    request.set_name_prefix(name_prefix);
    request.set_page_size(20);
    v1::ListCustomersResponse response;
    auto status = stub->ListCustomers(NewContext(options).get(), request, &response);
    if (!status.ok()) return Report(status);
    if (options.json) {
      PrintJson(response);
    } else {
      for (const auto& c : response.customers()) {
        std::cout << c.customer_number() << "  " << c.display_name() << "  " << c.name() << "\n";
      }
    }
    return 0;
  }
  return 0;
}
