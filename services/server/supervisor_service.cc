#include "services/server/supervisor_service.h"

#include "services/server/session_stream.h"
#include "services/server/unary_call.h"

namespace servicedesk::server {

namespace {

// A supervisor's live view: the desk sends into the outbox, which folds updates together
// while the supervisor's client is behind (see session_stream.h).
// Raw (bytes) on the wire: the desk serialises each update once for all its watchers.
template <typename Update>
class WatchStream final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  using Outbox = server::Outbox<WatchStream, Prepared<Update>>;
  using Start = std::function<absl::StatusOr<uint64_t>(std::shared_ptr<Sink<Prepared<Update>>>)>;

  // The outbox's write: the prepared bytes, shared (a folded update is serialised now, under
  // the outbox's lock: it is this watcher's alone).
  void StartWrite(const Prepared<Update>* update) {
    grpc::ServerWriteReactor<grpc::ByteBuffer>::StartWrite(&(*update)->Bytes());
  }
  // The outbox gave up on a client that reads nothing: the call is cancelled, which ends the
  // write in flight (and so the stream).
  void CancelStalled() { context_->TryCancel(); }

  WatchStream(grpc::CallbackServerContext* context, DeskLoop* loop, SupervisorDesk* desk, typename Outbox::Fold fold)
      : context_(context), loop_(loop), desk_(desk), outbox_(std::make_shared<Outbox>(this, fold)) {}

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
  grpc::CallbackServerContext* context_;
  DeskLoop* loop_;
  SupervisorDesk* desk_;
  std::shared_ptr<Outbox> outbox_;
  // Set on the loop once the desk took the watch; read there when it ends.
  std::shared_ptr<uint64_t> id_ = std::make_shared<uint64_t>(0);
};

class RefusedWatch final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit RefusedWatch(const absl::Status& status) { this->Finish(ToGrpcStatus(status)); }
  void OnDone() override { delete this; }
};

// The request of a raw method, parsed; INVALID_ARGUMENT when it does not parse.
template <typename Request>
absl::StatusOr<Request> ParseRequest(const grpc::ByteBuffer* bytes) {
  grpc::ByteBuffer copy(*bytes);  // shares the slices
  Request request;
  if (!grpc::SerializationTraits<Request>::Deserialize(&copy, &request).ok()) {
    return absl::InvalidArgumentError("request: not a valid message");
  }
  return request;
}

}  // namespace

grpc::ServerWriteReactor<grpc::ByteBuffer>* SupervisorServiceImpl::WatchQueues(grpc::CallbackServerContext* context,
                                                                              const grpc::ByteBuffer* bytes) {
  auto caller = gate_->CallerOf(context);
  if (!caller.ok()) return new RefusedWatch(caller.status());
  auto request = ParseRequest<v1::WatchQueuesRequest>(bytes);
  if (!request.ok()) return new RefusedWatch(request.status());
  auto* stream = new WatchStream<v1::QueueBoardUpdate>(
      context, loop_, desk_, &FoldPrepared<v1::QueueBoardUpdate, &FoldQueueUpdate>);
  stream->Open([desk = desk_, request = *std::move(request)](std::shared_ptr<QueueBoardSink> sink) {
    return desk->WatchQueues(request, std::move(sink));
  });
  return stream;
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* SupervisorServiceImpl::WatchAgents(grpc::CallbackServerContext* context,
                                                                              const grpc::ByteBuffer* bytes) {
  auto caller = gate_->CallerOf(context);
  if (!caller.ok()) return new RefusedWatch(caller.status());
  auto request = ParseRequest<v1::WatchAgentsRequest>(bytes);
  if (!request.ok()) return new RefusedWatch(request.status());
  auto* stream = new WatchStream<v1::AgentBoardUpdate>(
      context, loop_, desk_, &FoldPrepared<v1::AgentBoardUpdate, &FoldAgentUpdate>);
  stream->Open([desk = desk_, request = *std::move(request)](std::shared_ptr<AgentBoardSink> sink) {
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
