#include "services/server/group_commit.h"

#include <algorithm>

namespace servicedesk::server {

GroupCommit::GroupCommit(std::function<absl::Status()> sync,
                         std::function<void(const absl::Status&)> on_failure)
    : sync_(std::move(sync)), on_failure_(std::move(on_failure)), thread_([this] { Run(); }) {}

GroupCommit::~GroupCommit() { Stop(); }

void GroupCommit::After(uint64_t through, Callback fn) {
  std::unique_lock lock(mu_);
  if (stopped_) {
    lock.unlock();
    std::vector<std::pair<uint64_t, Callback>> group;
    group.emplace_back(through, std::move(fn));
    SyncGroup(group);
    return;
  }
  if (pending_.empty() && !running_ && through <= durable_through()) {
    // Nothing earlier is waiting and this is on disk already: no reason to wait.
    lock.unlock();
    fn(absl::OkStatus());
    return;
  }
  pending_.emplace_back(through, std::move(fn));
  if (pending_.size() == 1) cv_.notify_one();
}

void GroupCommit::SyncGroup(std::vector<std::pair<uint64_t, Callback>>& group) {
  uint64_t through = 0;
  for (const auto& [seq, fn] : group) through = std::max(through, seq);
  absl::Status synced;
  {
    std::lock_guard lock(mu_);
    synced = failed_;
  }
  if (synced.ok()) {
    synced = sync_();
    syncs_.fetch_add(1, std::memory_order_relaxed);
    if (synced.ok()) {
      uint64_t current = durable_through_.load(std::memory_order_relaxed);
      while (current < through &&
             !durable_through_.compare_exchange_weak(current, through, std::memory_order_release)) {
      }
    } else {
      {
        std::lock_guard lock(mu_);
        failed_ = synced;
      }
      if (on_failure_) on_failure_(synced);
    }
  }
  for (auto& [seq, fn] : group) fn(synced);
  group.clear();
}

void GroupCommit::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
    if (pending_.empty()) return;  // stopping, nothing left
    std::vector<std::pair<uint64_t, Callback>> group;
    group.swap(pending_);
    running_ = true;
    lock.unlock();
    SyncGroup(group);
    lock.lock();
    running_ = false;
  }
}

void GroupCommit::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopping_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();  // it syncs what is pending before it ends
  std::vector<std::pair<uint64_t, Callback>> left;  // added while the thread was ending
  {
    std::lock_guard lock(mu_);
    left.swap(pending_);
    stopped_ = true;
  }
  if (!left.empty()) SyncGroup(left);
}

}  // namespace servicedesk::server
