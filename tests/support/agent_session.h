#pragma once

// Server streams in a test, read on their own thread into a queue the test waits on: the
// agent's console (AgentService.Connect) and any other stream (a supervisor's live view).

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "servicedesk/v1/routing.grpc.pb.h"

namespace servicedesk::testing {

using namespace std::chrono_literals;

// A server stream opened with a bearer token by `open(&context)`, read on its own thread.
template <typename Message>
class StreamReader {
 public:
  template <typename Open>
  StreamReader(const char* token, Open open) {
    context_.AddMetadata("authorization", std::string("Bearer ") + token);
    reader_ = open(&context_);
    thread_ = std::thread([this] {
      Message message;
      while (reader_->Read(&message)) {
        std::lock_guard lock(mu_);
        messages_.push_back(message);
        cv_.notify_all();
      }
      auto status = reader_->Finish();
      std::lock_guard lock(mu_);
      final_ = status;
      ended_ = true;
      cv_.notify_all();
    });
  }
  ~StreamReader() {
    context_.TryCancel();
    thread_.join();
  }

  // The next message for which `match` holds (earlier ones are dropped), or nullopt.
  template <typename Match>
  std::optional<Message> WaitFor(Match match, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu_);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      while (!messages_.empty()) {
        Message message = std::move(messages_.front());
        messages_.pop_front();
        if (match(message)) return message;
      }
      if (ended_) return std::nullopt;
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && messages_.empty()) {
        return std::nullopt;
      }
    }
  }
  // The stream's final status once it ended.
  std::optional<grpc::Status> Ended(std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [this] { return ended_; })) return std::nullopt;
    return final_;
  }
  void Cancel() { context_.TryCancel(); }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<Message>> reader_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Message> messages_;
  bool ended_ = false;
  grpc::Status final_;
};

// An agent's console: the Connect stream.
class Session : public StreamReader<servicedesk::v1::AgentEvent> {
 public:
  Session(servicedesk::v1::AgentService::Stub* stub, const char* token)
      : StreamReader(token, [stub](grpc::ClientContext* context) {
          return stub->Connect(context, servicedesk::v1::ConnectRequest());
        }) {}

  std::optional<servicedesk::v1::Offer> NextOffer(std::chrono::milliseconds timeout = 5s) {
    auto event = WaitFor([](const servicedesk::v1::AgentEvent& e) { return e.has_offer(); }, timeout);
    if (!event) return std::nullopt;
    return event->offer();
  }
  std::optional<servicedesk::v1::AgentState> NextState(std::chrono::milliseconds timeout = 5s) {
    auto event = WaitFor([](const servicedesk::v1::AgentEvent& e) { return e.has_status(); }, timeout);
    if (!event) return std::nullopt;
    return event->status().state();
  }
};

}  // namespace servicedesk::testing
