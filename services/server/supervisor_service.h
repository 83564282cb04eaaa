#pragma once

// gRPC adapter of the supervisor desk: SupervisorService. Calls are checked for their
// caller, then answered on the desk loop, which owns the figures.

#include "services/common/desk_loop.h"
#include "services/server/auth.h"
#include "services/server/supervisor_desk.h"
#include "servicedesk/v1/supervisor.grpc.pb.h"

namespace servicedesk::server {

class SupervisorServiceImpl final : public v1::SupervisorService::CallbackService {
 public:
  SupervisorServiceImpl(const CallGate* gate, DeskLoop* loop, SupervisorDesk* desk)
      : gate_(gate), loop_(loop), desk_(desk) {}

  grpc::ServerUnaryReactor* GetQueueStatistics(grpc::CallbackServerContext* context,
                                               const v1::GetQueueStatisticsRequest* request,
                                               v1::GetQueueStatisticsResponse* response) override;

 private:
  const CallGate* gate_;
  DeskLoop* loop_;
  SupervisorDesk* desk_;
};

}  // namespace servicedesk::server
