// The session stream's outbox under concurrency: the desk loop sends and closes while
// "gRPC" (a thread of the test) completes writes, cancels and ends the call. Run under
// ThreadSanitizer (label concurrency); no real gRPC here, whose uninstrumented threads TSan
// cannot follow.

#include "services/server/session_stream.h"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <thread>

#include <gtest/gtest.h>

namespace servicedesk::server {
namespace {

// Plays gRPC: writes complete on its own thread (or inline), Finish ends the call.
class FakeStream {
 public:
  explicit FakeStream(bool inline_completion) : inline_(inline_completion) {}

  void Attach(SessionStream<FakeStream>* state) { state_ = state; }

  void StartWrite(const v1::AgentEvent* event) {
    written_.push_back(std::stoi(event->reminder().text()));  // reads the queued message
    if (inline_) {
      state_->WriteDone(true);
      return;
    }
    Post([this] { state_->WriteDone(true); });
  }

  void Finish(grpc::Status status) {
    ++finishes_;
    final_ = std::move(status);
    Post([this] {
      state_->Done();
      done_ = true;
    });
  }

  // The "gRPC thread": runs completions until the call is done.
  void Run(std::function<void(int)> after_each = nullptr) {
    int completed = 0;
    while (!done_) {
      std::function<void()> next;
      {
        std::unique_lock lock(mu_);
        if (!cv_.wait_for(lock, std::chrono::seconds(10), [this] { return !pending_.empty(); })) {
          ADD_FAILURE() << "no completion for 10 s";
          return;
        }
        next = std::move(pending_.front());
        pending_.pop_front();
      }
      next();
      if (after_each) after_each(++completed);
    }
  }

  const std::vector<int>& written() const { return written_; }
  int finishes() const { return finishes_; }
  const grpc::Status& final_status() const { return final_; }
  bool done() const { return done_; }

 private:
  void Post(std::function<void()> fn) {
    std::lock_guard lock(mu_);
    pending_.push_back(std::move(fn));
    cv_.notify_one();
  }

  bool inline_;
  SessionStream<FakeStream>* state_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> pending_;
  std::vector<int> written_;  // guarded by the SessionStream's mutex (StartWrite runs under it)
  int finishes_ = 0;
  grpc::Status final_;
  std::atomic<bool> done_{false};
};

v1::AgentEvent Numbered(int i) {
  v1::AgentEvent event;
  event.mutable_reminder()->set_text(std::to_string(i));
  return event;
}

TEST(SessionStreamTest, EverythingSentArrivesInOrderAndTheCallFinishesOnce) {
  constexpr int kMessages = 9000;  // under the outbox's limit even if no write completes
  FakeStream stream(/*inline_completion=*/false);
  SessionStream<FakeStream> state(&stream);
  stream.Attach(&state);
  std::thread grpc_thread([&] { stream.Run(); });
  std::thread desk_thread([&] {
    for (int i = 0; i < kMessages; ++i) state.Send(Numbered(i));
    state.Close(absl::OkStatus());
  });
  desk_thread.join();
  grpc_thread.join();
  ASSERT_EQ(stream.written().size(), static_cast<std::size_t>(kMessages));
  for (int i = 0; i < kMessages; ++i) ASSERT_EQ(stream.written()[i], i);
  EXPECT_EQ(stream.finishes(), 1);
  EXPECT_TRUE(stream.final_status().ok());
  // After the end, sending is harmless and reaches nobody.
  state.Send(Numbered(-1));
  state.Close(absl::UnavailableError("late"));
  EXPECT_EQ(stream.written().size(), static_cast<std::size_t>(kMessages));
  EXPECT_EQ(stream.finishes(), 1);
}

TEST(SessionStreamTest, ACancelInTheMiddleFinishesOnceWithCancelledAndDropsTheRest) {
  FakeStream stream(/*inline_completion=*/false);
  SessionStream<FakeStream> state(&stream);
  stream.Attach(&state);
  std::atomic<bool> desk_done{false};
  std::thread grpc_thread([&] {
    stream.Run([&](int completed) {
      if (completed == 100) state.Cancelled();  // the console went away
    });
  });
  std::thread desk_thread([&] {
    for (int i = 0; i < 5000; ++i) state.Send(Numbered(i));
    desk_done = true;
  });
  desk_thread.join();
  grpc_thread.join();
  EXPECT_TRUE(stream.done());
  EXPECT_EQ(stream.finishes(), 1);
  EXPECT_EQ(stream.final_status().error_code(), grpc::StatusCode::CANCELLED);
  const auto& written = stream.written();
  ASSERT_GE(written.size(), 100u);
  EXPECT_LT(written.size(), 5000u);
  for (std::size_t i = 0; i < written.size(); ++i) ASSERT_EQ(written[i], static_cast<int>(i));
}

TEST(SessionStreamTest, WritesCompletingInlineDoNotDeadlockOrReorder) {
  FakeStream stream(/*inline_completion=*/true);
  SessionStream<FakeStream> state(&stream);
  stream.Attach(&state);
  std::thread grpc_thread([&] { stream.Run(); });  // only Finish's completion comes here
  std::thread desk_thread([&] {
    for (int i = 0; i < 1000; ++i) state.Send(Numbered(i));
    state.Close(absl::AbortedError("replaced by a newer session"));
  });
  desk_thread.join();
  grpc_thread.join();
  ASSERT_EQ(stream.written().size(), 1000u);
  EXPECT_EQ(stream.written().back(), 999);
  EXPECT_EQ(stream.finishes(), 1);
  EXPECT_EQ(stream.final_status().error_code(), grpc::StatusCode::ABORTED);
}

TEST(SessionStreamTest, AConsoleThatStopsReadingIsCutOffNotBuffered) {
  FakeStream stream(/*inline_completion=*/false);
  SessionStream<FakeStream> state(&stream);
  stream.Attach(&state);
  // Nothing completes while the desk sends: the first write hangs in flight.
  const int sent = static_cast<int>(SessionStream<FakeStream>::kMaxQueued) + 5;
  for (int i = 0; i < sent; ++i) state.Send(Numbered(i));
  std::thread grpc_thread([&] { stream.Run(); });
  grpc_thread.join();
  EXPECT_EQ(stream.finishes(), 1);
  EXPECT_EQ(stream.final_status().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(stream.written().size(), 1u);  // the write in flight; the rest was dropped
}

}  // namespace
}  // namespace servicedesk::server

namespace servicedesk::server {
namespace {

// A reader that never completes a write: a folding outbox holds the message being written
// and one waiting message into which everything later is folded.
class StalledStream {
 public:
  void StartWrite(const v1::AgentEvent* event) {
    ++writes_;
    text_ = event->reminder().text();
    folds_ = event->reminder().subject();
  }
  void Finish(grpc::Status) { ++finishes_; }
  std::string text_;
  std::string folds_;
  int writes_ = 0;
  int finishes_ = 0;
};

void FoldKeepingTheLatest(v1::AgentEvent* waiting, v1::AgentEvent&& next) {
  const int folded = waiting->reminder().subject().empty() ? 0 : std::stoi(waiting->reminder().subject());
  *waiting = std::move(next);
  waiting->mutable_reminder()->set_subject(std::to_string(folded + 1));
}

TEST(OutboxTest, AFoldingOutboxHoldsTwoMessagesWhateverTheReadersPace) {
  StalledStream stream;
  Outbox<StalledStream, v1::AgentEvent> outbox(&stream, &FoldKeepingTheLatest);
  for (int i = 0; i < 100000; ++i) {
    v1::AgentEvent event;
    event.mutable_reminder()->set_text(std::to_string(i));
    outbox.Send(std::move(event));
    ASSERT_LE(outbox.held(), 2u);
  }
  EXPECT_EQ(stream.writes_, 1);  // the first, still being written
  EXPECT_EQ(outbox.held(), 2u);
  // The write completes: the folded message (the latest, 99998 folds) goes next.
  outbox.WriteDone(true);
  EXPECT_EQ(stream.writes_, 2);
  EXPECT_EQ(stream.text_, "99999");
  EXPECT_EQ(stream.folds_, "99998");
  EXPECT_EQ(outbox.held(), 1u);
  outbox.Close(absl::OkStatus());
  outbox.WriteDone(true);
  EXPECT_EQ(stream.finishes_, 1);
}

// The desk sends while "gRPC" completes writes on its own thread: what is written is in
// order, ends with the latest message, and the call finishes once (run under TSan).
TEST(OutboxTest, FoldingUnderConcurrentCompletionsWritesInOrderAndEndsWithTheLatest) {
  constexpr int kMessages = 100000;
  FakeStream stream(/*inline_completion=*/false);
  SessionStream<FakeStream> state(&stream, &FoldKeepingTheLatest);
  stream.Attach(&state);
  std::thread grpc_thread([&] { stream.Run(); });
  std::thread desk_thread([&] {
    for (int i = 0; i < kMessages; ++i) {
      state.Send(Numbered(i));
      ASSERT_LE(state.held(), 2u);
    }
    state.Close(absl::OkStatus());
  });
  desk_thread.join();
  grpc_thread.join();
  const auto& written = stream.written();
  ASSERT_FALSE(written.empty());
  EXPECT_EQ(written.back(), kMessages - 1);
  for (std::size_t i = 1; i < written.size(); ++i) ASSERT_LT(written[i - 1], written[i]);
  EXPECT_EQ(stream.finishes(), 1);
}

// Without a fold, a reader that never reads is cut off rather than held for.
TEST(OutboxTest, APlainOutboxCutsOffAReaderThatNeverReads) {
  StalledStream stream;
  Outbox<StalledStream, v1::AgentEvent> outbox(&stream);
  for (int i = 0; i < 20000; ++i) outbox.Send(v1::AgentEvent());
  EXPECT_LE(outbox.held(), 1u);  // the queue was dropped; only the write in flight is left
  outbox.WriteDone(true);
  EXPECT_EQ(stream.finishes_, 1);
}

}  // namespace
}  // namespace servicedesk::server
