#include "services/server/supervisor_service.h"

#include "services/server/unary_call.h"

namespace servicedesk::server {

grpc::ServerUnaryReactor* SupervisorServiceImpl::GetQueueStatistics(
    grpc::CallbackServerContext* context, const v1::GetQueueStatisticsRequest* request,
    v1::GetQueueStatisticsResponse* response) {
  return AnswerOnLoop(gate_, loop_, context, [this, request, response](const Caller&) {
    return Assign(desk_->QueueStatistics(request->queue()), response);
  });
}

#define SERVICEDESK_SUPERVISOR_CONTROL(Method, Request, Response, DeskCall)                              \
  grpc::ServerUnaryReactor* SupervisorServiceImpl::Method(grpc::CallbackServerContext* context,         \
                                                          const v1::Request* request, v1::Response* response) { \
    return AnswerOnLoop(gate_, loop_, context, [this, request, response](const Caller& caller) {       \
      auto status = Assign(routing_->DeskCall(*request, caller.principal), response);                  \
      LogIfInternal(status, #Method, caller);                                                           \
      return status;                                                                                    \
    });                                                                                                 \
  }

SERVICEDESK_SUPERVISOR_CONTROL(ForceAgentState, ForceAgentStateRequest, AgentStatus, ForceState)
SERVICEDESK_SUPERVISOR_CONTROL(LogOutAgent, LogOutAgentRequest, AgentStatus, ForceLogout)
SERVICEDESK_SUPERVISOR_CONTROL(MoveContact, MoveContactRequest, Contact, MoveContact)
SERVICEDESK_SUPERVISOR_CONTROL(OfferContact, OfferContactRequest, Contact, OfferContact)
SERVICEDESK_SUPERVISOR_CONTROL(SetContactPriority, SetContactPriorityRequest, Contact, SetContactPriority)
#undef SERVICEDESK_SUPERVISOR_CONTROL

grpc::ServerUnaryReactor* SupervisorServiceImpl::GetContactTrace(grpc::CallbackServerContext* context,
                                                                 const v1::GetContactTraceRequest* request,
                                                                 v1::RoutingTrace* response) {
  return AnswerOnLoop(gate_, loop_, context, [this, request, response](const Caller&) {
    return Assign(routing_->ContactTrace(request->contact()), response);
  });
}

}  // namespace servicedesk::server
