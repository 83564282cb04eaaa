#pragma once

// Time is injected: cores read a Clock; production uses the system clock, tests
// and simulations a manual one.

#include <atomic>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace servicedesk {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

// Thread-safe; starts at `start` and moves only when told.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time start) : now_us_(absl::ToUnixMicros(start)) {}
  absl::Time Now() const override { return absl::FromUnixMicros(now_us_.load()); }
  void Advance(absl::Duration by) { now_us_ += absl::ToInt64Microseconds(by); }
  void Set(absl::Time to) { now_us_ = absl::ToUnixMicros(to); }

 private:
  std::atomic<int64_t> now_us_;
};

}  // namespace servicedesk
