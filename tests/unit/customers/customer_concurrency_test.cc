// The threading contract of the customer file: commands run one at a time on the
// desk loop while any number of gRPC-like threads read straight from RocksDB.
// Meant for the ThreadSanitizer build (label "concurrency").

#include <atomic>
#include <future>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "services/common/desk_loop.h"
#include "tests/unit/customers/customer_fixture.h"

namespace servicedesk::customers {
namespace {

TEST_F(CustomerFileTest, ReadersRunAlongsideTheSingleWriter) {
  constexpr int kWriters = 2;
  constexpr int kPerWriter = 60;
  constexpr int kReaders = 3;
  DeskLoop loop;
  std::atomic<bool> writing{true};
  std::atomic<int> read_errors{0};
  std::atomic<int> inconsistent{0};
  std::atomic<long> pops{0};

  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&, r] {
      int i = 0;
      while (writing.load()) {
        const int writer = i % kWriters, n = (i / kWriters + r) % kPerWriter;
        ++i;
        v1::GetCustomerContextRequest request;
        request.set_phone_number(absl::StrCat("+4940", 1000000 + writer * 1000 + n));
        v1::CustomerContext context;
        if (!queries_->Context(request, &context).ok()) {
          ++read_errors;
          continue;
        }
        ++pops;
        // A customer is visible only together with everything its batch wrote.
        if (context.known_caller() &&
            context.customer().phone_numbers(0).number() != context.normalized_phone_number()) {
          ++inconsistent;
        }
      }
    });
  }

  std::vector<std::thread> writers;
  std::mutex mu;
  std::set<std::string> numbers;
  std::atomic<int> write_errors{0};
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int n = 0; n < kPerWriter; ++n) {
        std::promise<absl::StatusOr<v1::Customer>> done;
        loop.Post([&, w, n] {
          v1::CreateCustomerRequest request;
          request.mutable_customer()->set_kind(v1::CUSTOMER_KIND_INDIVIDUAL);
          request.mutable_customer()->set_display_name(absl::StrCat("Caller ", w, "-", n));
          request.mutable_customer()->add_phone_numbers()->set_number(
              absl::StrCat("+4940", 1000000 + w * 1000 + n));
          done.set_value(commands_->Create(request, "agents/test"));
        });
        auto created = done.get_future().get();
        if (!created.ok()) {
          ++write_errors;
          continue;
        }
        std::lock_guard lock(mu);
        numbers.insert(created->customer_number());
      }
    });
  }
  for (auto& writer : writers) writer.join();
  writing = false;
  for (auto& reader : readers) reader.join();
  loop.Stop();

  EXPECT_EQ(write_errors.load(), 0);
  EXPECT_EQ(read_errors.load(), 0);
  EXPECT_EQ(inconsistent.load(), 0);
  EXPECT_GT(pops.load(), 0);
  EXPECT_EQ(numbers.size(), static_cast<std::size_t>(kWriters * kPerWriter));
  EXPECT_EQ(writer_->last_seq(), static_cast<uint64_t>(kWriters * kPerWriter));
}

}  // namespace
}  // namespace servicedesk::customers
