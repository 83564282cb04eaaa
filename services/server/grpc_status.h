#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace servicedesk::server {

// The one place where internal statuses become gRPC statuses. The codes share
// numbers; the message (which names the field) is kept.
inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace servicedesk::server
