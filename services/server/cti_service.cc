#include "services/server/cti_service.h"

#include "services/server/unary_call.h"

namespace servicedesk::server {

grpc::ServerUnaryReactor* CtiServiceImpl::PublishEvent(grpc::CallbackServerContext* context,
                                                       const v1::CallEvent* request,
                                                       v1::EventAck* response) {
  auto* reactor = context->DefaultReactor();
  auto caller = gate_->CallerOf(context);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  // Answered once durable: the reactor is finished from the group commit's callback.
  loop_->Post([this, reactor, request, response, caller = *std::move(caller)] {
    desk_->Submit(*request, caller.principal,
                  [reactor, response, caller](absl::StatusOr<v1::EventAck> ack) {
                    auto status = Assign(std::move(ack), response);
                    LogIfInternal(status, "PublishEvent", caller);
                    reactor->Finish(ToGrpcStatus(status));
                  });
  });
  return reactor;
}

}  // namespace servicedesk::server
