#include "services/server/routing_services.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/server/grpc_status.h"
#include "services/server/session_stream.h"
#include "services/server/unary_call.h"

namespace servicedesk::server {

namespace {

using StreamState = SessionStream<grpc::ServerWriteReactor<v1::AgentEvent>>;

class AgentStream final : public grpc::ServerWriteReactor<v1::AgentEvent> {
 public:
  AgentStream(DeskLoop* loop, RoutingDesk* desk, std::string agent, uint64_t session_id)
      : loop_(loop), desk_(desk), agent_(std::move(agent)), session_id_(session_id),
        state_(std::make_shared<StreamState>(this)) {}

  // Posted by Connect before the reactor is returned, so it reaches the loop before the
  // session's end can.
  void Open() {
    loop_->Post([desk = desk_, agent = agent_, id = session_id_, state = state_] {
      if (auto s = desk->OpenSession(agent, id, state); !s.ok()) state->Close(s);
    });
  }

  void OnWriteDone(bool ok) override { state_->WriteDone(ok); }
  void OnCancel() override { state_->Cancelled(); }
  void OnDone() override {
    state_->Done();
    loop_->Post([desk = desk_, agent = agent_, id = session_id_] { desk->SessionEnded(agent, id); });
    delete this;
  }

 private:
  DeskLoop* loop_;
  RoutingDesk* desk_;
  std::string agent_;
  uint64_t session_id_;
  std::shared_ptr<StreamState> state_;
};

class RefusedStream final : public grpc::ServerWriteReactor<v1::AgentEvent> {
 public:
  explicit RefusedStream(const absl::Status& status) { Finish(ToGrpcStatus(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

absl::StatusOr<std::string> ActingAgent(const Caller& caller, const std::string& requested) {
  if (caller.role == Role::kAgent) {
    if (!absl::StartsWith(caller.principal, "agents/")) {
      return absl::PermissionDeniedError(
          absl::StrCat("agent: the principal '", caller.principal, "' is not an agent"));
    }
    if (!requested.empty() && requested != caller.principal) {
      return absl::PermissionDeniedError("agent: an agent may act only for itself");
    }
    return caller.principal;
  }
  if (requested.empty()) return absl::InvalidArgumentError("agent: required");
  return requested;
}

// ---- AgentService ----

grpc::ServerWriteReactor<v1::AgentEvent>* AgentServiceImpl::Connect(
    grpc::CallbackServerContext* context, const v1::ConnectRequest* request) {
  auto caller = gate_->CallerOf(context);
  if (!caller.ok()) return new RefusedStream(caller.status());
  auto agent = ActingAgent(*caller, request->agent());
  if (!agent.ok()) return new RefusedStream(agent.status());
  auto* stream = new AgentStream(loop_, desk_, *agent, next_session_++);
  stream->Open();
  return stream;
}

grpc::ServerUnaryReactor* AgentServiceImpl::SetState(grpc::CallbackServerContext* context,
                                                     const v1::SetStateRequest* request,
                                                     v1::AgentStatus* response) {
  return AnswerOnLoop(gate_, loop_, context, [this, request, response](const Caller& caller) {
    auto agent = ActingAgent(caller, request->agent());
    if (!agent.ok()) return agent.status();
    return Assign(desk_->SetState(*agent, *request, caller.principal), response);
  });
}

grpc::ServerUnaryReactor* AgentServiceImpl::GetAgentStatus(grpc::CallbackServerContext* context,
                                                           const v1::GetAgentStatusRequest* request,
                                                           v1::AgentStatus* response) {
  return AnswerOnLoop(gate_, loop_, context, [this, request, response](const Caller& caller) {
    auto agent = ActingAgent(caller, request->agent());
    if (!agent.ok()) return agent.status();
    return Assign(desk_->Status(*agent), response);
  });
}

grpc::ServerUnaryReactor* AgentServiceImpl::AcceptOffer(grpc::CallbackServerContext* context,
                                                        const v1::AcceptOfferRequest* request,
                                                        v1::AcceptOfferResponse* response) {
  return AnswerOnLoop(gate_, loop_, context, [this, request, response](const Caller& caller) {
    auto agent = ActingAgent(caller, request->agent());
    if (!agent.ok()) return agent.status();
    auto status = Assign(desk_->Accept(*agent, request->offer(), caller.principal), response);
    LogIfInternal(status, "AcceptOffer", caller);
    return status;
  });
}

grpc::ServerUnaryReactor* AgentServiceImpl::RejectOffer(grpc::CallbackServerContext* context,
                                                        const v1::RejectOfferRequest* request,
                                                        v1::AgentStatus* response) {
  return AnswerOnLoop(gate_, loop_, context, [this, request, response](const Caller& caller) {
    auto agent = ActingAgent(caller, request->agent());
    if (!agent.ok()) return agent.status();
    return Assign(desk_->Reject(*agent, request->offer(), caller.principal), response);
  });
}

grpc::ServerUnaryReactor* AgentServiceImpl::EndContact(grpc::CallbackServerContext* context,
                                                       const v1::EndContactRequest* request,
                                                       v1::AgentStatus* response) {
  return AnswerOnLoop(gate_, loop_, context, [this, request, response](const Caller& caller) {
    auto agent = ActingAgent(caller, request->agent());
    if (!agent.ok()) return agent.status();
    return Assign(desk_->EndContact(*agent, request->contact(), caller.principal), response);
  });
}

grpc::ServerUnaryReactor* AgentServiceImpl::CompleteWrapUp(grpc::CallbackServerContext* context,
                                                           const v1::CompleteWrapUpRequest* request,
                                                           v1::AgentStatus* response) {
  return AnswerOnLoop(gate_, loop_, context, [this, request, response](const Caller& caller) {
    auto agent = ActingAgent(caller, request->agent());
    if (!agent.ok()) return agent.status();
    return Assign(desk_->CompleteWrapUp(*agent, *request, caller.principal), response);
  });
}

grpc::ServerUnaryReactor* AgentServiceImpl::Transfer(grpc::CallbackServerContext* context,
                                                     const v1::TransferRequest* request,
                                                     v1::TransferResponse* response) {
  return AnswerOnLoop(gate_, loop_, context, [this, request, response](const Caller& caller) {
    auto agent = ActingAgent(caller, request->agent());
    if (!agent.ok()) return agent.status();
    return Assign(desk_->Transfer(*agent, *request, caller.principal), response);
  });
}

grpc::ServerUnaryReactor* AgentServiceImpl::GetRoutingTrace(grpc::CallbackServerContext* context,
                                                            const v1::GetRoutingTraceRequest* request,
                                                            v1::RoutingTrace* response) {
  return AnswerOnLoop(gate_, loop_, context, [this, request, response](const Caller& caller) {
    auto trace = desk_->Trace(request->offer());
    // An agent sees the traces of its own offers only.
    if (trace.ok() && caller.role == Role::kAgent && trace->agent() != caller.principal) {
      return absl::PermissionDeniedError("offer: made to another agent");
    }
    return Assign(std::move(trace), response);
  });
}

// ---- ContactService ----

grpc::ServerUnaryReactor* ContactServiceImpl::EnqueueContact(grpc::CallbackServerContext* context,
                                                             const v1::EnqueueContactRequest* request,
                                                             v1::Contact* response) {
  return AnswerOnLoop(gate_, loop_, context, [this, request, response](const Caller& caller) {
    auto status = Assign(desk_->Enqueue(*request, caller.principal), response);
    LogIfInternal(status, "EnqueueContact", caller);
    return status;
  });
}

grpc::ServerUnaryReactor* ContactServiceImpl::AbandonContact(grpc::CallbackServerContext* context,
                                                             const v1::AbandonContactRequest* request,
                                                             v1::Contact* response) {
  return AnswerOnLoop(gate_, loop_, context, [this, request, response](const Caller& caller) {
    return Assign(desk_->Abandon(request->contact(), caller.principal), response);
  });
}

grpc::ServerUnaryReactor* ContactServiceImpl::ListWaitingContacts(
    grpc::CallbackServerContext* context, const v1::ListWaitingContactsRequest* request,
    v1::ListWaitingContactsResponse* response) {
  return AnswerOnLoop(gate_, loop_, context, [this, request, response](const Caller&) {
    auto waiting = desk_->Waiting(request->queue());
    if (!waiting.ok()) return waiting.status();
    for (auto& contact : *waiting) *response->add_contacts() = std::move(contact);
    return absl::OkStatus();
  });
}

// ---- RoutingAdminService ----

template <typename Fn>
grpc::ServerUnaryReactor* RoutingAdminServiceImpl::OnLoop(grpc::CallbackServerContext* context,
                                                          Fn&& fn) {
  return AnswerOnLoop(gate_, loop_, context, std::forward<Fn>(fn));
}

namespace {

// Create/Update of one kind of definition: wraps it, defines it, unwraps the result.
template <typename T>
absl::Status DefineOne(RoutingDesk* desk, const T& item, RoutingDesk::Mode mode,
                       const Caller& caller, T* out,
                       T* (v1::RoutingConfigChanged::*mutable_field)(),
                       const T& (v1::RoutingConfigChanged::*field)() const) {
  v1::RoutingConfigChanged definition;
  *(definition.*mutable_field)() = item;
  auto defined = desk->Define(std::move(definition), mode, caller.principal);
  if (!defined.ok()) return defined.status();
  *out = ((*defined).*field)();
  return absl::OkStatus();
}

}  // namespace

#define SERVICEDESK_DEFINE_RPC(Method, Type, mode, field)                                       \
  grpc::ServerUnaryReactor* RoutingAdminServiceImpl::Method(grpc::CallbackServerContext* c,     \
                                                            const v1::Type* r, v1::Type* out) { \
    return OnLoop(c, [this, r, out](const Caller& caller) {                                     \
      return DefineOne<v1::Type>(desk_, *r, RoutingDesk::Mode::mode, caller, out,               \
                                 &v1::RoutingConfigChanged::mutable_##field,                    \
                                 &v1::RoutingConfigChanged::field);                             \
    });                                                                                         \
  }

SERVICEDESK_DEFINE_RPC(CreateSkill, Skill, kCreate, skill)
SERVICEDESK_DEFINE_RPC(UpdateSkill, Skill, kUpdate, skill)
SERVICEDESK_DEFINE_RPC(CreateReasonCode, ReasonCode, kCreate, reason_code)
SERVICEDESK_DEFINE_RPC(UpdateReasonCode, ReasonCode, kUpdate, reason_code)
SERVICEDESK_DEFINE_RPC(CreateQueue, Queue, kCreate, queue)
SERVICEDESK_DEFINE_RPC(UpdateQueue, Queue, kUpdate, queue)
SERVICEDESK_DEFINE_RPC(CreateAgent, Agent, kCreate, agent)
SERVICEDESK_DEFINE_RPC(UpdateAgent, Agent, kUpdate, agent)
#undef SERVICEDESK_DEFINE_RPC

grpc::ServerUnaryReactor* RoutingAdminServiceImpl::ListSkills(grpc::CallbackServerContext* c,
                                                              const v1::ListSkillsRequest*,
                                                              v1::ListSkillsResponse* out) {
  return OnLoop(c, [this, out](const Caller&) {
    for (auto& item : desk_->Skills()) *out->add_skills() = std::move(item);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RoutingAdminServiceImpl::ListReasonCodes(grpc::CallbackServerContext* c,
                                                                   const v1::ListReasonCodesRequest*,
                                                                   v1::ListReasonCodesResponse* out) {
  return OnLoop(c, [this, out](const Caller&) {
    for (auto& item : desk_->ReasonCodes()) *out->add_reason_codes() = std::move(item);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RoutingAdminServiceImpl::ListQueues(grpc::CallbackServerContext* c,
                                                              const v1::ListQueuesRequest*,
                                                              v1::ListQueuesResponse* out) {
  return OnLoop(c, [this, out](const Caller&) {
    for (auto& item : desk_->Queues()) *out->add_queues() = std::move(item);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RoutingAdminServiceImpl::ListAgents(grpc::CallbackServerContext* c,
                                                              const v1::ListAgentsRequest*,
                                                              v1::ListAgentsResponse* out) {
  return OnLoop(c, [this, out](const Caller&) {
    for (auto& item : desk_->Agents()) *out->add_agents() = std::move(item);
    return absl::OkStatus();
  });
}

}  // namespace servicedesk::server
