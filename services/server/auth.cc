#include "services/server/auth.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace servicedesk::server {

namespace {

constexpr absl::string_view kBearer = "Bearer ";

class AuthInterceptor : public grpc::experimental::Interceptor {
 public:
  AuthInterceptor(CallGate* gate, grpc::experimental::ServerRpcInfo* info)
      : gate_(gate), info_(info) {}
  ~AuthInterceptor() override { gate_->Forget(info_->server_context()); }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      auto* metadata = methods->GetRecvInitialMetadata();
      const grpc::string_ref* authorization = nullptr;
      const grpc::string_ref* request_id = nullptr;
      for (const auto& [key, value] : *metadata) {
        if (key == "authorization") authorization = &value;
        if (key == "x-request-id") request_id = &value;
      }
      gate_->Record(info_->server_context(),
                    gate_->Decide(info_->method(), authorization, request_id));
    }
    methods->Proceed();
  }

 private:
  CallGate* gate_;
  grpc::experimental::ServerRpcInfo* info_;
};

constexpr Role kAllRoles[] = {Role::kAgent, Role::kSupervisor, Role::kCti, Role::kAdmin};

}  // namespace

std::optional<Role> ParseRole(absl::string_view text) {
  if (text == "agent") return Role::kAgent;
  if (text == "supervisor") return Role::kSupervisor;
  if (text == "cti") return Role::kCti;
  if (text == "admin") return Role::kAdmin;
  return std::nullopt;
}

const char* RoleName(Role role) {
  switch (role) {
    case Role::kAgent: return "agent";
    case Role::kSupervisor: return "supervisor";
    case Role::kCti: return "cti";
    case Role::kAdmin: return "admin";
  }
  return "unknown";
}

const AccessPolicy& AccessPolicy::Default() {
  static const AccessPolicy* policy = [] {
    auto* p = new AccessPolicy();
    const absl::flat_hash_set<Role> desk = {Role::kAgent, Role::kSupervisor, Role::kAdmin};
    const absl::flat_hash_set<Role> everyone(std::begin(kAllRoles), std::end(kAllRoles));
    const std::string customers = "/servicedesk.v1.CustomerService/";
    for (const char* method : {"CreateCustomer", "GetCustomer", "UpdateCustomer", "ListCustomers",
                               "LookupCustomers", "CreateInteraction", "ListInteractions",
                               "GetCustomerContext"}) {
      p->rules_[customers + method] = desk;
    }
    p->rules_[customers + "ImportCustomers"] = {Role::kAdmin};
    p->rules_["/servicedesk.v1.DiagnosticsService/Ping"] = everyone;
    // Routing. Agents act for themselves (ActingAgent); supervisors and admins for anyone.
    const std::string agents = "/servicedesk.v1.AgentService/";
    for (const char* method : {"Connect", "SetState", "GetAgentStatus", "AcceptOffer", "RejectOffer",
                               "EndContact", "CompleteWrapUp", "Transfer", "GetRoutingTrace"}) {
      p->rules_[agents + method] = desk;
    }
    const std::string contacts = "/servicedesk.v1.ContactService/";
    for (const char* method : {"EnqueueContact", "AbandonContact"}) {
      p->rules_[contacts + method] = {Role::kCti, Role::kSupervisor, Role::kAdmin};
    }
    p->rules_[contacts + "ListWaitingContacts"] = {Role::kSupervisor, Role::kAdmin};
    p->rules_["/servicedesk.v1.CtiService/PublishEvent"] = {Role::kCti, Role::kAdmin};
    p->rules_["/servicedesk.v1.CtiService/StreamEvents"] = {Role::kCti, Role::kAdmin};
    const std::string tickets = "/servicedesk.v1.TicketService/";
    for (const char* method : {"CreateTicket", "GetTicket", "ListTickets", "UpdateTicket", "AddComment",
                               "ListComments", "ChangeStatus", "PickTicket", "HandBackTicket"}) {
      p->rules_[tickets + method] = desk;
    }
    const std::string complaints = "/servicedesk.v1.ComplaintService/";
    for (const char* method : {"OpenComplaint", "RecordVenting", "RecordDetails", "ProposeResolution",
                               "EscalateComplaint", "RecordFollowUp", "GetComplaint", "ListComplaints"}) {
      p->rules_[complaints + method] = desk;
    }
    p->rules_[complaints + "GetComplaintFigures"] = {Role::kSupervisor, Role::kAdmin};
    const std::string value = "/servicedesk.v1.CustomerValueService/";
    for (const char* method : {"RecordPurchase", "ListPurchases", "GetCustomerValue", "GetValueModel"}) {
      p->rules_[value + method] = desk;
    }
    p->rules_[value + "SetTierOverride"] = {Role::kSupervisor, Role::kAdmin};
    p->rules_[value + "ClearTierOverride"] = {Role::kSupervisor, Role::kAdmin};
    p->rules_[value + "ImportPurchases"] = {Role::kAdmin};
    p->rules_[value + "RecomputeValues"] = {Role::kAdmin};
    // Post-contact surveys come from agents and from the telephony's IVR.
    p->rules_["/servicedesk.v1.SurveyService/RecordSurvey"] = {Role::kAgent, Role::kSupervisor, Role::kCti,
                                                                Role::kAdmin};
    p->rules_["/servicedesk.v1.SurveyService/GetSatisfaction"] = {Role::kSupervisor, Role::kAdmin};
    for (const char* method : {"GetQueueStatistics", "ForceAgentState", "LogOutAgent", "MoveContact", "OfferContact",
                               "SetContactPriority", "GetContactTrace", "WatchQueues", "WatchAgents",
                               "ListIntervalStatistics"}) {
      p->rules_[std::string("/servicedesk.v1.SupervisorService/") + method] = {Role::kSupervisor, Role::kAdmin};
    }
    const std::string admin = "/servicedesk.v1.RoutingAdminService/";
    for (const char* kind : {"Skill", "ReasonCode", "Queue", "Agent"}) {
      p->rules_[admin + "Create" + kind] = {Role::kAdmin};
      p->rules_[admin + "Update" + kind] = {Role::kAdmin};
    }
    // The console lists reason codes and queues for the agent to choose from.
    for (const char* list : {"ListSkills", "ListReasonCodes", "ListQueues", "ListAgents"}) {
      p->rules_[admin + list] = desk;
    }
    return p;
  }();
  return *policy;
}

bool AccessPolicy::IsPublic(absl::string_view method) const {
  return absl::StartsWith(method, "/grpc.health.v1.Health/") ||
         absl::StartsWith(method, "/grpc.reflection.");
}

bool AccessPolicy::Allows(absl::string_view method, Role role) const {
  auto it = rules_.find(method);
  return it != rules_.end() && it->second.contains(role);
}

bool AccessPolicy::Knows(absl::string_view method) const { return rules_.contains(method); }

std::vector<std::string> AccessPolicy::Methods() const {
  std::vector<std::string> methods;
  for (const auto& [method, roles] : rules_) methods.push_back(method);
  return methods;
}

CallGate::CallGate(bool enabled, std::vector<StaticToken> tokens, const AccessPolicy* policy)
    : enabled_(enabled), policy_(policy) {
  for (auto& token : tokens) {
    std::string key = token.token;
    tokens_.emplace(std::move(key), std::move(token));
  }
}

absl::StatusOr<Caller> CallGate::Decide(absl::string_view method,
                                        const grpc::string_ref* authorization,
                                        const grpc::string_ref* request_id) const {
  Caller caller;
  if (request_id != nullptr) {
    caller.request_id = std::string(request_id->data(), std::min<std::size_t>(request_id->size(), 64));
  }
  if (policy_->IsPublic(method)) {
    caller.principal = "public";
    return caller;
  }
  if (!enabled_) {
    caller.principal = "anonymous";
    caller.role = Role::kAdmin;
    return caller;
  }
  if (authorization == nullptr) {
    return absl::UnauthenticatedError("authorization: missing bearer token");
  }
  absl::string_view header(authorization->data(), authorization->size());
  if (!absl::StartsWith(header, kBearer)) {
    return absl::UnauthenticatedError("authorization: expected 'Bearer <token>'");
  }
  auto it = tokens_.find(header.substr(kBearer.size()));
  if (it == tokens_.end()) return absl::UnauthenticatedError("authorization: unknown token");
  caller.principal = it->second.principal;
  caller.role = it->second.role;
  if (!policy_->Allows(method, caller.role)) {
    return absl::PermissionDeniedError(
        absl::StrCat("role ", RoleName(caller.role), " may not call ", method));
  }
  return caller;
}

absl::StatusOr<Caller> CallGate::CallerOf(const grpc::ServerContextBase* context) const {
  absl::MutexLock lock(&mu_);
  auto it = verdicts_.find(context);
  if (it == verdicts_.end()) return absl::PermissionDeniedError("call was not authenticated");
  return it->second;
}

void CallGate::Record(const grpc::ServerContextBase* context, absl::StatusOr<Caller> verdict) {
  absl::MutexLock lock(&mu_);
  verdicts_.insert_or_assign(context, std::move(verdict));
}

void CallGate::Forget(const grpc::ServerContextBase* context) {
  absl::MutexLock lock(&mu_);
  verdicts_.erase(context);
}

grpc::experimental::Interceptor* AuthInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new AuthInterceptor(gate_, info);
}

}  // namespace servicedesk::server
