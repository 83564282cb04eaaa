#include "services/server/supervisor_service.h"

#include "services/server/session_stream.h"
#include "services/server/unary_call.h"

namespace servicedesk::server {

namespace {

// A supervisor's live view: the desk sends into the outbox, which folds updates together
// while the supervisor's client is behind (see session_stream.h).
template <typename Update>
class WatchStream final : public grpc::ServerWriteReactor<Update> {
 public:
  using Outbox = server::Outbox<grpc::ServerWriteReactor<Update>, Update>;
  using Start = std::function<absl::StatusOr<uint64_t>(std::shared_ptr<Sink<Update>>)>;

  WatchStream(DeskLoop* loop, SupervisorDesk* desk, typename Outbox::Fold fold)
      : loop_(loop), desk_(desk), outbox_(std::make_shared<Outbox>(this, fold)) {}

  // Posted before the reactor is returned, so it reaches the loop before the end can.
  void Open(Start start) {
    loop_->Post([start = std::move(start), outbox = outbox_, id = id_] {
      auto watch = start(outbox);
      if (!watch.ok()) {
        outbox->Close(watch.status());
        return;
      }
      *id = *watch;
    });
  }

  void OnWriteDone(bool ok) override { outbox_->WriteDone(ok); }
  void OnCancel() override { outbox_->Cancelled(); }
  void OnDone() override {
    outbox_->Done();
    loop_->Post([desk = desk_, id = id_] {
      if (*id != 0) desk->Unwatch(*id);
    });
    delete this;
  }

 private:
  DeskLoop* loop_;
  SupervisorDesk* desk_;
  std::shared_ptr<Outbox> outbox_;
  // Set on the loop once the desk took the watch; read there when it ends.
  std::shared_ptr<uint64_t> id_ = std::make_shared<uint64_t>(0);
};

template <typename Update>
class RefusedWatch final : public grpc::ServerWriteReactor<Update> {
 public:
  explicit RefusedWatch(const absl::Status& status) { this->Finish(ToGrpcStatus(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerWriteReactor<v1::QueueBoardUpdate>* SupervisorServiceImpl::WatchQueues(
    grpc::CallbackServerContext* context, const v1::WatchQueuesRequest* request) {
  auto caller = gate_->CallerOf(context);
  if (!caller.ok()) return new RefusedWatch<v1::QueueBoardUpdate>(caller.status());
  auto* stream = new WatchStream<v1::QueueBoardUpdate>(loop_, desk_, &FoldQueueUpdate);
  stream->Open([desk = desk_, request = *request](std::shared_ptr<QueueBoardSink> sink) {
    return desk->WatchQueues(request, std::move(sink));
  });
  return stream;
}

grpc::ServerWriteReactor<v1::AgentBoardUpdate>* SupervisorServiceImpl::WatchAgents(
    grpc::CallbackServerContext* context, const v1::WatchAgentsRequest* request) {
  auto caller = gate_->CallerOf(context);
  if (!caller.ok()) return new RefusedWatch<v1::AgentBoardUpdate>(caller.status());
  auto* stream = new WatchStream<v1::AgentBoardUpdate>(loop_, desk_, &FoldAgentUpdate);
  stream->Open([desk = desk_, request = *request](std::shared_ptr<AgentBoardSink> sink) {
    return desk->WatchAgents(request, std::move(sink));
  });
  return stream;
}

grpc::ServerUnaryReactor* SupervisorServiceImpl::ListIntervalStatistics(
    grpc::CallbackServerContext* context, const v1::ListIntervalStatisticsRequest* request,
    v1::ListIntervalStatisticsResponse* response) {
  return AnswerHere(gate_, context, [this, request, response](const Caller&) {
    return Assign(desk_->IntervalStatistics(*request), response);
  });
}

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
