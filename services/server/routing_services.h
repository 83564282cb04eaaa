#pragma once

// gRPC adapters of routing: AgentService (the agent's session stream and commands),
// ContactService (work entering the queues) and RoutingAdminService. Each call is
// checked for its caller, then posted to the desk loop where RoutingDesk runs it.

#include <atomic>

#include "services/common/desk_loop.h"
#include "services/server/auth.h"
#include "services/server/routing_desk.h"
#include "servicedesk/v1/routing.grpc.pb.h"

namespace servicedesk::server {

// The agent a call acts for: an agent acts for itself (the request may leave the field
// empty, or name itself); supervisors and admins must name one.
absl::StatusOr<std::string> ActingAgent(const Caller& caller, const std::string& requested);

class AgentServiceImpl final : public v1::AgentService::CallbackService {
 public:
  AgentServiceImpl(const CallGate* gate, DeskLoop* loop, RoutingDesk* desk)
      : gate_(gate), loop_(loop), desk_(desk) {}

  grpc::ServerWriteReactor<v1::AgentEvent>* Connect(grpc::CallbackServerContext* context,
                                                    const v1::ConnectRequest* request) override;
  grpc::ServerUnaryReactor* SetState(grpc::CallbackServerContext* context,
                                     const v1::SetStateRequest* request,
                                     v1::AgentStatus* response) override;
  grpc::ServerUnaryReactor* GetAgentStatus(grpc::CallbackServerContext* context,
                                           const v1::GetAgentStatusRequest* request,
                                           v1::AgentStatus* response) override;
  grpc::ServerUnaryReactor* AcceptOffer(grpc::CallbackServerContext* context,
                                        const v1::AcceptOfferRequest* request,
                                        v1::AcceptOfferResponse* response) override;
  grpc::ServerUnaryReactor* RejectOffer(grpc::CallbackServerContext* context,
                                        const v1::RejectOfferRequest* request,
                                        v1::AgentStatus* response) override;
  grpc::ServerUnaryReactor* EndContact(grpc::CallbackServerContext* context,
                                       const v1::EndContactRequest* request,
                                       v1::AgentStatus* response) override;
  grpc::ServerUnaryReactor* CompleteWrapUp(grpc::CallbackServerContext* context,
                                           const v1::CompleteWrapUpRequest* request,
                                           v1::AgentStatus* response) override;
  grpc::ServerUnaryReactor* Transfer(grpc::CallbackServerContext* context,
                                     const v1::TransferRequest* request,
                                     v1::TransferResponse* response) override;
  grpc::ServerUnaryReactor* GetRoutingTrace(grpc::CallbackServerContext* context,
                                            const v1::GetRoutingTraceRequest* request,
                                            v1::RoutingTrace* response) override;

 private:
  const CallGate* gate_;
  DeskLoop* loop_;
  RoutingDesk* desk_;
  std::atomic<uint64_t> next_session_{1};
};

class ContactServiceImpl final : public v1::ContactService::CallbackService {
 public:
  ContactServiceImpl(const CallGate* gate, DeskLoop* loop, RoutingDesk* desk)
      : gate_(gate), loop_(loop), desk_(desk) {}

  grpc::ServerUnaryReactor* EnqueueContact(grpc::CallbackServerContext* context,
                                           const v1::EnqueueContactRequest* request,
                                           v1::Contact* response) override;
  grpc::ServerUnaryReactor* AbandonContact(grpc::CallbackServerContext* context,
                                           const v1::AbandonContactRequest* request,
                                           v1::Contact* response) override;
  grpc::ServerUnaryReactor* ListWaitingContacts(grpc::CallbackServerContext* context,
                                                const v1::ListWaitingContactsRequest* request,
                                                v1::ListWaitingContactsResponse* response) override;

 private:
  const CallGate* gate_;
  DeskLoop* loop_;
  RoutingDesk* desk_;
};

class RoutingAdminServiceImpl final : public v1::RoutingAdminService::CallbackService {
 public:
  RoutingAdminServiceImpl(const CallGate* gate, DeskLoop* loop, RoutingDesk* desk)
      : gate_(gate), loop_(loop), desk_(desk) {}

  grpc::ServerUnaryReactor* CreateSkill(grpc::CallbackServerContext* c, const v1::Skill* r, v1::Skill* out) override;
  grpc::ServerUnaryReactor* UpdateSkill(grpc::CallbackServerContext* c, const v1::Skill* r, v1::Skill* out) override;
  grpc::ServerUnaryReactor* ListSkills(grpc::CallbackServerContext* c, const v1::ListSkillsRequest* r,
                                       v1::ListSkillsResponse* out) override;
  grpc::ServerUnaryReactor* CreateReasonCode(grpc::CallbackServerContext* c, const v1::ReasonCode* r,
                                             v1::ReasonCode* out) override;
  grpc::ServerUnaryReactor* UpdateReasonCode(grpc::CallbackServerContext* c, const v1::ReasonCode* r,
                                             v1::ReasonCode* out) override;
  grpc::ServerUnaryReactor* ListReasonCodes(grpc::CallbackServerContext* c,
                                            const v1::ListReasonCodesRequest* r,
                                            v1::ListReasonCodesResponse* out) override;
  grpc::ServerUnaryReactor* CreateQueue(grpc::CallbackServerContext* c, const v1::Queue* r, v1::Queue* out) override;
  grpc::ServerUnaryReactor* UpdateQueue(grpc::CallbackServerContext* c, const v1::Queue* r, v1::Queue* out) override;
  grpc::ServerUnaryReactor* ListQueues(grpc::CallbackServerContext* c, const v1::ListQueuesRequest* r,
                                       v1::ListQueuesResponse* out) override;
  grpc::ServerUnaryReactor* CreateAgent(grpc::CallbackServerContext* c, const v1::Agent* r, v1::Agent* out) override;
  grpc::ServerUnaryReactor* UpdateAgent(grpc::CallbackServerContext* c, const v1::Agent* r, v1::Agent* out) override;
  grpc::ServerUnaryReactor* ListAgents(grpc::CallbackServerContext* c, const v1::ListAgentsRequest* r,
                                       v1::ListAgentsResponse* out) override;

 private:
  template <typename Fn>
  grpc::ServerUnaryReactor* OnLoop(grpc::CallbackServerContext* context, Fn&& fn);

  const CallGate* gate_;
  DeskLoop* loop_;
  RoutingDesk* desk_;
};

}  // namespace servicedesk::server
