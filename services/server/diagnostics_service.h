#pragma once

#include "services/server/auth.h"
#include "servicedesk/v1/diagnostics.grpc.pb.h"

namespace servicedesk::server {

inline constexpr const char* kVersion = "0.1.0";

// Ping does no storage work: the baseline that other RPCs are measured against.
class DiagnosticsServiceImpl final : public v1::DiagnosticsService::CallbackService {
 public:
  explicit DiagnosticsServiceImpl(const CallGate* gate) : gate_(gate) {}
  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* context,
                                 const v1::PingRequest* request,
                                 v1::PingResponse* response) override;

 private:
  const CallGate* gate_;
};

}  // namespace servicedesk::server
