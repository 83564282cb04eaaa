#include "services/server/group_commit.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace servicedesk::server {
namespace {

// A disk whose fsync can be held, counted and made to fail.
struct FakeDisk {
  std::mutex mu;
  std::condition_variable cv;
  bool held = false;
  int entered = 0;  // syncs begun
  int syncs = 0;
  absl::Status result = absl::OkStatus();
  absl::Status Sync() {
    std::unique_lock lock(mu);
    ++entered;
    cv.notify_all();
    cv.wait(lock, [&] { return !held; });
    ++syncs;
    return result;
  }
  void Hold(bool hold) {
    std::lock_guard lock(mu);
    held = hold;
    cv.notify_all();
  }
};

TEST(GroupCommitTest, CallbacksRunInOrderOnceDurableAndWritesDuringASyncShareTheNext) {
  FakeDisk disk;
  GroupCommit commit([&] { return disk.Sync(); }, nullptr);
  std::mutex mu;
  std::vector<int> order;
  std::atomic<int> done{0};
  auto record = [&](int i) {
    return [&, i](const absl::Status& synced) {
      EXPECT_TRUE(synced.ok());
      std::lock_guard lock(mu);
      order.push_back(i);
      ++done;
    };
  };
  disk.Hold(true);
  commit.After(1, record(1));  // its sync starts and is held
  {
    std::unique_lock lock(disk.mu);
    disk.cv.wait(lock, [&] { return disk.entered == 1; });
  }
  for (int i = 2; i <= 50; ++i) commit.After(static_cast<uint64_t>(i), record(i));
  disk.Hold(false);
  while (done < 50) std::this_thread::yield();
  std::vector<int> expected;
  for (int i = 1; i <= 50; ++i) expected.push_back(i);
  EXPECT_EQ(order, expected);
  EXPECT_EQ(commit.syncs(), 2u);  // the first, then one for the 49 that came meanwhile
  EXPECT_EQ(commit.durable_through(), 50u);
}

TEST(GroupCommitTest, WhatIsDurableAlreadyAndWaitsForNothingIsCalledAtOnce) {
  FakeDisk disk;
  GroupCommit commit([&] { return disk.Sync(); }, nullptr);
  std::atomic<bool> first{false};
  commit.After(5, [&](const absl::Status&) { first = true; });
  while (!first) std::this_thread::yield();
  // Once the committer has finished that group, a write already durable is answered
  // synchronously, on the caller's thread, without another fsync.
  const std::thread::id caller = std::this_thread::get_id();
  bool synchronous = false;
  for (int attempt = 0; attempt < 2000 && !synchronous; ++attempt) {
    std::atomic<bool> answered{false};
    std::thread::id ran_on;
    commit.After(3, [&](const absl::Status&) {
      ran_on = std::this_thread::get_id();
      answered = true;
    });
    while (!answered) std::this_thread::yield();
    synchronous = ran_on == caller;
    if (!synchronous) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(synchronous);
  EXPECT_LE(commit.syncs(), 3u);
}

TEST(GroupCommitTest, AFailedSyncIsReportedOnceAndEveryWaiterHearsIt) {
  FakeDisk disk;
  disk.result = absl::DataLossError("fsync failed");
  std::atomic<int> failures{0};
  GroupCommit commit([&] { return disk.Sync(); }, [&](const absl::Status&) { ++failures; });
  std::atomic<int> errors{0};
  disk.Hold(true);
  for (int i = 1; i <= 3; ++i) {
    commit.After(static_cast<uint64_t>(i), [&](const absl::Status& s) {
      if (!s.ok()) ++errors;
    });
  }
  disk.Hold(false);
  while (errors < 3) std::this_thread::yield();
  // The disk recovers, but a failed fsync is final: later waiters hear the error too,
  // without another sync, and the failure is reported once.
  {
    std::lock_guard lock(disk.mu);
    disk.result = absl::OkStatus();
  }
  const int syncs_before = disk.syncs;
  commit.After(4, [&](const absl::Status& s) {
    if (!s.ok()) ++errors;
  });
  while (errors < 4) std::this_thread::yield();
  EXPECT_EQ(failures.load(), 1);
  EXPECT_EQ(disk.syncs, syncs_before);
  EXPECT_EQ(commit.durable_through(), 0u);
}

TEST(GroupCommitTest, StopSyncsWhatIsPendingAndLaterWaitersAreAnsweredAtOnce) {
  FakeDisk disk;
  GroupCommit commit([&] { return disk.Sync(); }, nullptr);
  std::atomic<int> done{0};
  for (int i = 1; i <= 10; ++i) {
    commit.After(static_cast<uint64_t>(i), [&](const absl::Status& s) {
      EXPECT_TRUE(s.ok());
      ++done;
    });
  }
  commit.Stop();
  EXPECT_EQ(done.load(), 10);
  commit.After(11, [&](const absl::Status& s) {
    EXPECT_TRUE(s.ok());
    ++done;
  });
  EXPECT_EQ(done.load(), 11);
  commit.Stop();  // idempotent
}

TEST(GroupCommitTest, ManyThreadsAddingConcurrentlyAreEachAnsweredOnceInTheirOwnOrder) {
  FakeDisk disk;
  GroupCommit commit([&] { return disk.Sync(); }, nullptr);
  constexpr int kThreads = 4, kEach = 500;
  std::atomic<uint64_t> seq{0};
  std::vector<std::vector<int>> seen(kThreads);
  std::mutex mu;
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        commit.After(++seq, [&, t, i](const absl::Status&) {
          std::lock_guard lock(mu);
          seen[static_cast<std::size_t>(t)].push_back(i);
          ++done;
        });
      }
    });
  }
  for (auto& thread : threads) thread.join();
  while (done < kThreads * kEach) std::this_thread::yield();
  for (const auto& s : seen) {
    ASSERT_EQ(s.size(), static_cast<std::size_t>(kEach));
    EXPECT_TRUE(std::is_sorted(s.begin(), s.end()));
  }
}

}  // namespace
}  // namespace servicedesk::server
