#include "services/common/desk_loop.h"

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace servicedesk {
namespace {

TEST(DeskLoopTest, CommandsFromManyThreadsRunOneAtATimeOnTheLoopThread) {
  DeskLoop loop;
  int counter = 0;  // deliberately unsynchronised: only the loop thread touches it
  std::atomic<int> running{0};
  std::atomic<bool> overlapped{false};
  std::atomic<bool> off_thread{false};
  std::vector<std::thread> posters;
  for (int t = 0; t < 4; ++t) {
    posters.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        loop.Post([&] {
          if (running.fetch_add(1) != 0) overlapped = true;
          if (!loop.InLoopThread()) off_thread = true;
          ++counter;
          running.fetch_sub(1);
        });
      }
    });
  }
  for (auto& poster : posters) poster.join();
  std::promise<int> done;
  loop.Post([&] { done.set_value(counter); });
  EXPECT_EQ(done.get_future().get(), 4000);
  EXPECT_FALSE(overlapped);
  EXPECT_FALSE(off_thread);
}

TEST(DeskLoopTest, StopRunsWhatWasAlreadyPosted) {
  int ran = 0;
  {
    DeskLoop loop;
    for (int i = 0; i < 100; ++i) loop.Post([&] { ++ran; });
    loop.Stop();
    loop.Stop();  // idempotent
  }
  EXPECT_EQ(ran, 100);
}

TEST(DeskLoopTest, CommandsRunInPostingOrder) {
  DeskLoop loop;
  std::vector<int> order;
  for (int i = 0; i < 50; ++i) loop.Post([&order, i] { order.push_back(i); });
  loop.Stop();
  for (int i = 0; i < 50; ++i) EXPECT_EQ(order[i], i);
}

}  // namespace
}  // namespace servicedesk
