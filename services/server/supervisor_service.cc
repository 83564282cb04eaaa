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

}  // namespace servicedesk::server
