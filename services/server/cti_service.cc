#include "services/server/cti_service.h"

#include "services/server/unary_call.h"

namespace servicedesk::server {

grpc::ServerUnaryReactor* CtiServiceImpl::PublishEvent(grpc::CallbackServerContext* context,
                                                       const v1::CallEvent* request,
                                                       v1::EventAck* response) {
  return AnswerOnLoop(gate_, loop_, context, [this, request, response](const Caller& caller) {
    auto status = Assign(desk_->Handle(*request, caller.principal), response);
    LogIfInternal(status, "PublishEvent", caller);
    return status;
  });
}

}  // namespace servicedesk::server
