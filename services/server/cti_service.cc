#include "services/server/cti_service.h"

#include <mutex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/server/session_stream.h"
#include "services/server/unary_call.h"

namespace servicedesk::server {

namespace {

using CtiReactor = grpc::ServerBidiReactor<v1::CtiClientMessage, v1::CtiServerMessage>;
using CtiOutbox = Outbox<CtiReactor, v1::CtiServerMessage>;

v1::CtiServerMessage Rejected(const v1::CallEvent& event, const std::string& field,
                              const std::string& reason) {
  v1::CtiServerMessage message;
  auto* ack = message.mutable_ack();
  ack->set_source(event.source().substr(0, 128));
  ack->set_event_id(event.event_id().substr(0, 128));
  ack->set_status(v1::ACK_STATUS_REJECTED);
  ack->set_field(field);
  ack->set_reason(reason);
  return message;
}

class CtiStream;

// Back-pressure: a connection may have this many events applied but not yet acknowledged;
// beyond it the stream stops reading (gRPC's flow control then holds the sender) and reads
// again once half of them are answered. Shared with the acknowledgements' callbacks, which
// may outlive the reactor.
struct ReadGate {
  static constexpr int kMaxInFlight = 256;
  std::mutex mu;
  CtiStream* stream = nullptr;  // null once the call is done
  std::shared_ptr<CtiOutbox> outbox;
  int in_flight = 0;
  bool paused = false;
  void Released();
};

// One CTI connection. Reads are pipelined: each event is posted to the desk loop and the
// next one read at once (up to the gate); acknowledgements come back through the outbox
// when durable.
class CtiStream final : public CtiReactor {
 public:
  CtiStream(DeskLoop* loop, CtiDesk* desk, Caller caller, uint64_t id)
      : loop_(loop), desk_(desk), caller_(std::move(caller)), id_(id),
        outbox_(std::make_shared<CtiOutbox>(this)), gate_(std::make_shared<ReadGate>()) {
    gate_->stream = this;
    gate_->outbox = outbox_;
    StartRead(&in_);
  }

  // From the desk loop, when the gate opens again: no read is outstanding then.
  void ResumeRead() { StartRead(&in_); }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The client is done sending: finish once what it sent is acknowledged.
      loop_->Post([desk = desk_, outbox = outbox_] {
        desk->WhenAcknowledged([outbox] { outbox->Close(absl::OkStatus()); });
      });
      return;
    }
    const bool event = in_.has_event() && !source_.empty();
    Handle(std::move(in_));
    in_.Clear();
    if (event) {
      std::lock_guard lock(gate_->mu);
      if (++gate_->in_flight >= ReadGate::kMaxInFlight) {
        gate_->paused = true;
        return;  // Released() reads again
      }
    }
    StartRead(&in_);
  }
  void OnWriteDone(bool ok) override { outbox_->WriteDone(ok); }
  void OnCancel() override { outbox_->Cancelled(); }
  void OnDone() override {
    outbox_->Done();
    {
      std::lock_guard lock(gate_->mu);
      gate_->stream = nullptr;
    }
    if (!source_.empty()) {
      loop_->Post([desk = desk_, source = source_, id = id_] { desk->CloseSource(source, id); });
    }
    delete this;
  }

 private:
  // On gRPC's thread: only this reactor's own fields and posts to the loop.
  void Handle(v1::CtiClientMessage message) {
    switch (message.message_case()) {
      case v1::CtiClientMessage::kHello: {
        const std::string& source = message.hello().source();
        std::string refusal;
        if (!source_.empty()) refusal = "hello: already said";
        else if (source.empty() || source.size() > 128) refusal = "hello.source: required, at most 128 characters";
        else if (caller_.role == Role::kCti && source != SourceOfPrincipal(caller_.principal)) {
          refusal = absl::StrCat("hello.source: this connection speaks for '",
                                 SourceOfPrincipal(caller_.principal), "'");
        }
        if (!refusal.empty()) {
          loop_->Post([outbox = outbox_, refusal] {
            outbox->Close(absl::InvalidArgumentError(refusal));
          });
          return;
        }
        source_ = source;
        loop_->Post([desk = desk_, source, id = id_, outbox = outbox_] {
          if (auto s = desk->OpenSource(source, id, outbox); !s.ok()) outbox->Close(s);
        });
        return;
      }
      case v1::CtiClientMessage::kEvent: {
        v1::CallEvent event = std::move(*message.mutable_event());
        if (source_.empty()) {
          Reply(Rejected(event, "hello", "hello: send it first"));
          return;
        }
        if (event.source().empty()) event.set_source(source_);
        loop_->Post([desk = desk_, outbox = outbox_, gate = gate_, principal = caller_.principal,
                     bound = caller_.role == Role::kCti, event = std::move(event)] {
          desk->Submit(event, principal, bound, [outbox, gate, event](absl::StatusOr<v1::EventAck> ack) {
            if (!ack.ok()) {
              // Storage failed: not REJECTED (that would tell the telephony to drop it) but
              // the stream ends UNAVAILABLE, so it reconnects and sends again what was not
              // acknowledged.
              outbox->Close(absl::UnavailableError(absl::StrCat(
                  "event ", event.event_id().substr(0, 128), " not stored: ", ack.status().message(),
                  "; reconnect and send again what was not acknowledged")));
            } else {
              v1::CtiServerMessage message;
              *message.mutable_ack() = *std::move(ack);
              outbox->Send(std::move(message));
            }
            gate->Released();
          });
        });
        return;
      }
      case v1::CtiClientMessage::kInstructionAck: {
        if (source_.empty()) return;
        loop_->Post([desk = desk_, source = source_, id = message.instruction_ack().instruction_id()] {
          desk->AcknowledgeInstruction(source, id);
        });
        return;
      }
      default: {
        Reply(Rejected(v1::CallEvent(), "message", "message: empty; send hello, event or instruction_ack"));
        return;
      }
    }
  }

  // A reply that does not overtake the acknowledgements of earlier events.
  void Reply(v1::CtiServerMessage reply) {
    loop_->Post([desk = desk_, outbox = outbox_, reply = std::move(reply)] {
      desk->WhenAcknowledged([outbox, reply] { outbox->Send(reply); });
    });
  }

  DeskLoop* loop_;
  CtiDesk* desk_;
  Caller caller_;
  uint64_t id_;
  std::shared_ptr<CtiOutbox> outbox_;
  std::shared_ptr<ReadGate> gate_;
  v1::CtiClientMessage in_;
  std::string source_;
};

void ReadGate::Released() {
  CtiStream* resume = nullptr;
  {
    std::lock_guard lock(mu);
    --in_flight;
    if (paused && in_flight <= kMaxInFlight / 2 && stream != nullptr) {
      paused = false;
      resume = stream;
    }
  }
  // Under the outbox's lock, which Finish needs and OnDone's first step takes: the reactor
  // is alive and not finishing while the read starts, or nothing is done.
  if (resume != nullptr) outbox->RunIfOpen([resume] { resume->ResumeRead(); });
}

class RefusedCtiStream final : public CtiReactor {
 public:
  explicit RefusedCtiStream(const absl::Status& status) { Finish(ToGrpcStatus(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerBidiReactor<v1::CtiClientMessage, v1::CtiServerMessage>* CtiServiceImpl::StreamEvents(
    grpc::CallbackServerContext* context) {
  auto caller = gate_->CallerOf(context);
  if (!caller.ok()) return new RefusedCtiStream(caller.status());
  return new CtiStream(loop_, desk_, *std::move(caller), next_stream_++);
}

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
    desk_->Submit(*request, caller.principal, caller.role == Role::kCti,
                  [reactor, response, caller](absl::StatusOr<v1::EventAck> ack) {
                    auto status = Assign(std::move(ack), response);
                    LogIfInternal(status, "PublishEvent", caller);
                    reactor->Finish(ToGrpcStatus(status));
                  });
  });
  return reactor;
}

}  // namespace servicedesk::server
