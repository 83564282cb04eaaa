#pragma once

// Group commit: one fsync for every write that happened while the previous one ran.
//
// The desk loop writes without waiting for the disk (EventWriter with deferred sync), then
// hands the write's sequence number and what to do once it is durable (acknowledge) to
// After(). A thread of its own syncs the WAL whenever something waits, takes everything that
// gathered meanwhile as the next group, and runs the group's callbacks itself as soon as its
// fsync returned: neither the fsync nor the acknowledgements wait behind the events queued on
// the loop, and the loop never waits for the disk.
//
// Callbacks run in the order they were added, on the committer's thread (or on the caller's,
// when nothing is pending and the write is durable already), so they must be thread-safe.
//
// Threading: After(), durable_through() and syncs() from any thread; Stop() from one.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"

namespace servicedesk::server {

class GroupCommit {
 public:
  using Callback = std::function<void(const absl::Status& synced)>;
  // `sync` makes every write made so far durable (DB::SyncWAL). `on_failure` is told the
  // first failed sync, once. A failure is final: after a failed fsync the kernel may have
  // dropped the pages it could not write, so a later fsync that succeeds proves nothing;
  // every callback from then on gets the error and nothing more is synced.
  GroupCommit(std::function<absl::Status()> sync, std::function<void(const absl::Status&)> on_failure);
  ~GroupCommit();

  // `fn` runs once every write up to sequence `through` is durable, after every callback
  // added before it. After Stop(), `fn` runs at once with the result of a final sync.
  void After(uint64_t through, Callback fn);
  // Everything up to this sequence number is on disk.
  uint64_t durable_through() const { return durable_through_.load(std::memory_order_acquire); }
  uint64_t syncs() const { return syncs_.load(std::memory_order_relaxed); }

  // Syncs what is pending, runs its callbacks and ends the thread. Idempotent.
  void Stop();

 private:
  void Run();
  // Syncs and runs `group`'s callbacks with the result.
  void SyncGroup(std::vector<std::pair<uint64_t, Callback>>& group);

  std::function<absl::Status()> sync_;
  std::function<void(const absl::Status&)> on_failure_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<uint64_t, Callback>> pending_;  // guarded by mu_
  bool running_ = false;   // a group is being synced or called back (guarded by mu_)
  bool stopping_ = false;  // guarded by mu_
  bool stopped_ = false;   // guarded by mu_
  absl::Status failed_;    // the first failed sync; guarded by mu_
  std::atomic<uint64_t> durable_through_{0};
  std::atomic<uint64_t> syncs_{0};
  std::thread thread_;
};

}  // namespace servicedesk::server
