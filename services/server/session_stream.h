#pragma once

// The outbox of a server stream (an agent's session, a CTI connection), between the desk
// loop (which sends and closes) and gRPC's threads (which report writes done, cancellation
// and the end of the call).
//
// gRPC's callback API allows one write in flight, and Finish exactly once after it. The
// desk may send at any moment, so messages queue here. The mutex is recursive because
// gRPC may run a reaction inline inside StartWrite or Finish. The state lives here, not in
// the reactor, so that a reactor deleted inside Finish (its OnDone) leaves nothing
// dangling: the reactor calls Done() first, and from then on everything is dropped.
//
// `Stream` provides StartWrite(const Message*) and Finish(grpc::Status): the reactor in
// production, a fake in the TSan test.

#include <chrono>
#include <deque>
#include <mutex>

#include <grpcpp/support/status.h>

#include "services/server/grpc_status.h"
#include "services/server/routing_desk.h"

namespace servicedesk::server {

template <typename Stream, typename Message>
class Outbox final : public Sink<Message> {
 public:
  // `fold`, when given, makes the outbox coalescing (a supervisor's watch): a message sent
  // while one is being written and another waits is folded into the waiting one, so that
  // at most two are held whatever the reader's pace.
  using Fold = void (*)(Message* waiting, Message&& next);
  explicit Outbox(Stream* stream, Fold fold = nullptr) : stream_(stream), fold_(fold) {}

  // Desk loop.
  // A console that stops reading (its connection stalled while keep-alive pings still
  // pass) is cut off rather than allowed to grow the desk's memory.
  static constexpr std::size_t kMaxQueued = 10000;
  static constexpr std::chrono::seconds kStallLimit{60};

  void Send(Message event) override {
    std::lock_guard lock(mu_);
    if (stream_ == nullptr || finishing_) return;
    if (fold_ != nullptr && queue_.size() > (writing_ ? 1u : 0u)) {
      // A client that has read nothing for kStallLimit is let go (its slot and its folding).
      if constexpr (requires(Stream* s) { s->CancelStalled(); }) {
        if (writing_ && std::chrono::steady_clock::now() - write_started_ > kStallLimit) {
          Abandon(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                               "watch: the client read nothing for 60 s; watch again"));
          stream_->CancelStalled();  // the write in flight ends, then Finish
          return;
        }
      }
      fold_(&queue_.back(), std::move(event));
      Pump();
      return;
    }
    if (queue_.size() >= kMaxQueued) {
      Abandon(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                           "session: the console does not read its events; reconnect"));
      Pump();
      return;
    }
    queue_.push_back(std::move(event));
    Pump();
  }

  void Close(const absl::Status& status) override {
    std::lock_guard lock(mu_);
    if (stream_ == nullptr || finishing_) return;
    finishing_ = true;
    final_ = ToGrpcStatus(status);
    Pump();
  }

  // gRPC's reactions.
  void WriteDone(bool ok) {
    std::lock_guard lock(mu_);
    writing_ = false;
    if (!queue_.empty()) queue_.pop_front();
    if (!ok) Abandon(grpc::Status(grpc::StatusCode::CANCELLED, "stream broken"));
    Pump();
  }

  void Cancelled() {
    std::lock_guard lock(mu_);
    Abandon(grpc::Status(grpc::StatusCode::CANCELLED, "session cancelled"));
    Pump();
  }

  void Done() {
    std::lock_guard lock(mu_);
    stream_ = nullptr;
  }

  // Messages held (the one being written included).
  std::size_t held() {
    std::lock_guard lock(mu_);
    return queue_.size();
  }

  // Runs `fn` only while the call is open (not finishing, not done), excluding Finish for
  // its duration: for operations on the reactor from other threads (a paused read resumed).
  template <typename Fn>
  bool RunIfOpen(Fn&& fn) {
    std::lock_guard lock(mu_);
    if (stream_ == nullptr || finishing_) return false;
    fn();
    return true;
  }

 private:
  // Nothing more is written: finish as soon as the write in flight (if any) is done.
  void Abandon(grpc::Status status) {
    if (!finishing_) final_ = std::move(status);
    finishing_ = true;
    while (queue_.size() > (writing_ ? 1u : 0u)) queue_.pop_back();
  }

  void Pump() {
    if (writing_ || finished_ || stream_ == nullptr) return;
    if (!queue_.empty()) {
      writing_ = true;
      write_started_ = std::chrono::steady_clock::now();
      stream_->StartWrite(&queue_.front());  // may complete inline: nothing after this
      return;
    }
    if (finishing_) {
      finished_ = true;
      stream_->Finish(final_);  // may run OnDone inline: nothing after this
    }
  }

  std::recursive_mutex mu_;
  Stream* stream_;
  Fold fold_;
  std::deque<Message> queue_;  // front: the message being written
  bool writing_ = false;
  std::chrono::steady_clock::time_point write_started_;
  bool finishing_ = false;
  bool finished_ = false;
  grpc::Status final_;
};

template <typename Stream>
using SessionStream = Outbox<Stream, v1::AgentEvent>;

}  // namespace servicedesk::server
