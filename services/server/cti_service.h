#pragma once

// gRPC adapter of CTI: each call is checked for its caller and posted to the desk loop,
// where CtiDesk applies it; the acknowledgement is sent once the change is written (with
// the configured sync policy).

#include <atomic>

#include "services/common/desk_loop.h"
#include "services/server/auth.h"
#include "services/server/cti_desk.h"
#include "servicedesk/v1/cti.grpc.pb.h"

namespace servicedesk::server {

class CtiServiceImpl final : public v1::CtiService::CallbackService {
 public:
  CtiServiceImpl(const CallGate* gate, DeskLoop* loop, CtiDesk* desk)
      : gate_(gate), loop_(loop), desk_(desk) {}

  grpc::ServerUnaryReactor* PublishEvent(grpc::CallbackServerContext* context,
                                         const v1::CallEvent* request,
                                         v1::EventAck* response) override;
  grpc::ServerBidiReactor<v1::CtiClientMessage, v1::CtiServerMessage>* StreamEvents(
      grpc::CallbackServerContext* context) override;

 private:
  std::atomic<uint64_t> next_stream_{1};
  const CallGate* gate_;
  DeskLoop* loop_;
  CtiDesk* desk_;
};

}  // namespace servicedesk::server
