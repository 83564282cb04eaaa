#pragma once

// An agent's console in a test: the AgentService.Connect stream, read on its own thread
// into a queue the test waits on.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "servicedesk/v1/routing.grpc.pb.h"

namespace servicedesk::testing {

using namespace std::chrono_literals;

// An agent's console: the Connect stream read on its own thread.
class Session {
 public:
  Session(servicedesk::v1::AgentService::Stub* stub, const char* token) {
    context_.AddMetadata("authorization", std::string("Bearer ") + token);
    reader_ = stub->Connect(&context_, servicedesk::v1::ConnectRequest());
    thread_ = std::thread([this] {
      servicedesk::v1::AgentEvent event;
      while (reader_->Read(&event)) {
        std::lock_guard lock(mu_);
        events_.push_back(event);
        cv_.notify_all();
      }
      auto status = reader_->Finish();
      std::lock_guard lock(mu_);
      final_ = status;
      ended_ = true;
      cv_.notify_all();
    });
  }
  ~Session() {
    context_.TryCancel();
    thread_.join();
  }

  // The next event for which `match` holds (earlier ones are dropped), or nullopt.
  template <typename Match>
  std::optional<servicedesk::v1::AgentEvent> WaitFor(Match match, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu_);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      while (!events_.empty()) {
        servicedesk::v1::AgentEvent event = std::move(events_.front());
        events_.pop_front();
        if (match(event)) return event;
      }
      if (ended_) return std::nullopt;
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && events_.empty()) {
        return std::nullopt;
      }
    }
  }
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
  // The stream's final status once it ended.
  std::optional<grpc::Status> Ended(std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [this] { return ended_; })) return std::nullopt;
    return final_;
  }
  void Cancel() { context_.TryCancel(); }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<servicedesk::v1::AgentEvent>> reader_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<servicedesk::v1::AgentEvent> events_;
  bool ended_ = false;
  grpc::Status final_;
};

}  // namespace servicedesk::testing
