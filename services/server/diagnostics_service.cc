#include "services/server/diagnostics_service.h"

#include <google/protobuf/util/time_util.h>

#include "absl/time/clock.h"
#include "services/server/grpc_status.h"

namespace servicedesk::server {

grpc::ServerUnaryReactor* DiagnosticsServiceImpl::Ping(grpc::CallbackServerContext* context,
                                                       const v1::PingRequest* /*request*/,
                                                       v1::PingResponse* response) {
  auto* reactor = context->DefaultReactor();
  auto caller = gate_->CallerOf(context);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  response->set_version(kVersion);
  *response->mutable_server_time() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(absl::Now()));
  if (gate_->enabled()) {
    response->set_principal(caller->principal);
    response->set_role(RoleName(caller->role));
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace servicedesk::server
