// desk-console: the agents' client. This first cut is the scripted mode for the
// customer file: look a caller up, pop their screen, read their history.
// Human output by default, --json for scripts.

#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "servicedesk/v1/customer.grpc.pb.h"
#include "servicedesk/v1/diagnostics.grpc.pb.h"

namespace {

namespace v1 = servicedesk::v1;
using google::protobuf::util::TimeUtil;

struct Options {
  std::string address = "127.0.0.1:50051";
  std::string token;
  bool json = false;
  int timeout_ms = 5000;
};

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
  return status.error_code() == grpc::StatusCode::UNAVAILABLE ? 3 : 1;
}

void PrintJson(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions print;
  print.add_whitespace = true;
  print.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &out, print);
  std::cout << out;
}

std::string Trim(const std::string& name, absl::string_view prefix) {
  return absl::StartsWith(name, prefix) ? name.substr(prefix.size()) : name;
}

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
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"desk-console: the service desk's agent console (scripted mode)"};
  Options options;
  if (const char* env = std::getenv("DESK_ADDRESS")) options.address = env;
  if (const char* env = std::getenv("DESK_TOKEN")) options.token = env;
  app.add_option("--address", options.address, "servicedeskd address (env DESK_ADDRESS)");
  app.add_option("--token", options.token, "bearer token (env DESK_TOKEN)");
  app.add_flag("--json", options.json, "print JSON instead of text");
  app.add_option("--timeout-ms", options.timeout_ms, "deadline of each call");
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
  CLI11_PARSE(app, argc, argv);

  auto channel = grpc::CreateChannel(options.address, grpc::InsecureChannelCredentials());
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
