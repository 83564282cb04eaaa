#pragma once

// gRPC adapter of the supervisor desk: SupervisorService. Calls are checked for their
// caller, then answered on the desk loop, which owns the figures.

#include "services/common/desk_loop.h"
#include "services/server/auth.h"
#include "services/server/supervisor_desk.h"
#include "servicedesk/v1/supervisor.grpc.pb.h"

namespace servicedesk::server {

// The live views are raw methods (bytes on the wire, the same messages): see WatchStream.
class SupervisorServiceImpl final
    : public v1::SupervisorService::WithRawCallbackMethod_WatchQueues<
          v1::SupervisorService::WithRawCallbackMethod_WatchAgents<v1::SupervisorService::CallbackService>> {
 public:
  SupervisorServiceImpl(const CallGate* gate, DeskLoop* loop, SupervisorDesk* desk, RoutingDesk* routing)
      : gate_(gate), loop_(loop), desk_(desk), routing_(routing) {}

  grpc::ServerUnaryReactor* GetQueueStatistics(grpc::CallbackServerContext* context,
                                               const v1::GetQueueStatisticsRequest* request,
                                               v1::GetQueueStatisticsResponse* response) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchQueues(grpc::CallbackServerContext* context,
                                                          const grpc::ByteBuffer* request) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchAgents(grpc::CallbackServerContext* context,
                                                          const grpc::ByteBuffer* request) override;
  grpc::ServerUnaryReactor* ListIntervalStatistics(grpc::CallbackServerContext* context,
                                                   const v1::ListIntervalStatisticsRequest* request,
                                                   v1::ListIntervalStatisticsResponse* response) override;
  grpc::ServerUnaryReactor* ForceAgentState(grpc::CallbackServerContext* context,
                                            const v1::ForceAgentStateRequest* request,
                                            v1::AgentStatus* response) override;
  grpc::ServerUnaryReactor* LogOutAgent(grpc::CallbackServerContext* context, const v1::LogOutAgentRequest* request,
                                        v1::AgentStatus* response) override;
  grpc::ServerUnaryReactor* MoveContact(grpc::CallbackServerContext* context, const v1::MoveContactRequest* request,
                                        v1::Contact* response) override;
  grpc::ServerUnaryReactor* OfferContact(grpc::CallbackServerContext* context, const v1::OfferContactRequest* request,
                                         v1::Contact* response) override;
  grpc::ServerUnaryReactor* SetContactPriority(grpc::CallbackServerContext* context,
                                               const v1::SetContactPriorityRequest* request,
                                               v1::Contact* response) override;
  grpc::ServerUnaryReactor* GetContactTrace(grpc::CallbackServerContext* context,
                                            const v1::GetContactTraceRequest* request,
                                            v1::RoutingTrace* response) override;

 private:
  const CallGate* gate_;
  DeskLoop* loop_;
  SupervisorDesk* desk_;
  RoutingDesk* routing_;
};

}  // namespace servicedesk::server
