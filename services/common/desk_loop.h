#pragma once

// The desk loop: the one thread on which every mutation of desk state runs
// (ARCHITECTURE.md rule 2). gRPC handlers post commands here and finish their
// reactor from the command; domain code therefore needs no locks.

#include <functional>
#include <thread>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

namespace servicedesk {

class DeskLoop {
 public:
  DeskLoop();
  ~DeskLoop();  // Stops and joins.
  DeskLoop(const DeskLoop&) = delete;
  DeskLoop& operator=(const DeskLoop&) = delete;

  // Runs `command` on the loop thread, in posting order. Thread-safe.
  template <typename F>
  void Post(F&& command) {
    asio::post(context_, std::forward<F>(command));
  }

  // Finishes the commands already posted, then stops the thread. Idempotent.
  void Stop();

  bool InLoopThread() const { return std::this_thread::get_id() == thread_.get_id(); }
  asio::io_context& context() { return context_; }

 private:
  asio::io_context context_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread thread_;
};

}  // namespace servicedesk
