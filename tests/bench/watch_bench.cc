// watch_bench: supervisors' live queue views (WatchQueues) while the desk handles load,
// measured in one run against its baseline:
//
//   [1] updates delivered per second to 100 concurrent watchers at 10 updates a second,
//       against 100 times what a single watcher gets under the same load (target: at least
//       0.8 of linear);
//   [2] the delay from a change to the watchers' update: the client's receive time minus
//       the update's first_change_time (the earliest change it carries), p50 and p99, for
//       one watcher and for 100 (target p99: under 50 ms plus the coalescing interval).
//
// The load: contacts entering and leaving the queues (EnqueueContact then AbandonContact)
// at a steady rate, on their own connection, so that every queue changes between two
// updates. An in-process servicedeskd on loopback, real RocksDB in a temporary directory;
// server and clients share the system clock. Prints the figures and a summary with
// PASS/MISS against the targets.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/server/desk_server.h"
#include "services/server/logging.h"
#include "servicedesk/v1/routing.grpc.pb.h"
#include "servicedesk/v1/supervisor.grpc.pb.h"

namespace servicedesk::bench {
namespace {

namespace v1 = servicedesk::v1;
constexpr const char* kAdminToken = "bench-admin-token-0001";

double Percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[static_cast<std::size_t>(q * static_cast<double>(values.size() - 1))];
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", std::string("Bearer ") + kAdminToken);
  return context;
}

struct Options {
  int queues = 20;
  int watchers = 100;
  int rate = 10;                // updates a second asked for by each watcher
  int contacts_per_second = 400;
  double seconds = 10;
  int channels = 4;             // connections the watchers share
};

// Keeps the desk busy: contacts enter a queue and leave it again, round robin over the
// queues, at a steady rate.
class Load {
 public:
  Load(const std::string& target, const Options& options) : options_(options) {
    channel_ = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
    stub_ = v1::ContactService::NewStub(channel_);
    thread_ = std::thread([this] { Run(); });
  }
  ~Load() {
    stop_ = true;
    thread_.join();
  }
  int64_t done() const { return done_; }
  int64_t failed() const { return failed_; }

 private:
  void Run() {
    const auto start = std::chrono::steady_clock::now();
    const auto gap = std::chrono::duration<double>(1.0 / options_.contacts_per_second);
    for (int64_t i = 0; !stop_; ++i) {
      std::this_thread::sleep_until(start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(gap * i));
      v1::EnqueueContactRequest request;
      request.set_channel(v1::CONTACT_CHANNEL_CALL);
      request.set_queue(absl::StrCat("queues/q", i % options_.queues));
      v1::Contact contact;
      if (!stub_->EnqueueContact(Context().get(), request, &contact).ok()) {
        ++failed_;
        continue;
      }
      v1::AbandonContactRequest abandon;
      abandon.set_contact(contact.name());
      v1::Contact left;
      if (!stub_->AbandonContact(Context().get(), abandon, &left).ok()) ++failed_;
      ++done_;
    }
  }

  Options options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ContactService::Stub> stub_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> done_{0};
  std::atomic<int64_t> failed_{0};
};

struct Measured {
  int watchers = 0;
  double updates_per_second = 0;  // all watchers together
  double per_watcher = 0;
  double delay_p50_ms = 0;
  double delay_p99_ms = 0;
  int64_t folded = 0;
  int64_t load_done = 0;
};

// `count` watchers read for `seconds` (after their snapshot) while the load runs.
Measured Watch(const std::string& target, const Options& options, int count) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < options.channels; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("bench.channel", i);  // distinct connections
    channels.push_back(grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
  }
  std::vector<std::unique_ptr<v1::SupervisorService::Stub>> stubs;
  for (auto& channel : channels) stubs.push_back(v1::SupervisorService::NewStub(channel));

  std::mutex mu;
  std::vector<double> delays;
  std::atomic<int64_t> updates{0};
  std::atomic<int64_t> folded{0};
  std::atomic<bool> measuring{false};
  std::atomic<bool> stop{false};
  std::atomic<int> ready{0};
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  for (int i = 0; i < count; ++i) contexts.push_back(Context());
  std::vector<std::thread> readers;
  for (int i = 0; i < count; ++i) {
    readers.emplace_back([&, i] {
      v1::WatchQueuesRequest request;
      request.set_updates_per_second(options.rate);
      auto reader = stubs[i % stubs.size()]->WatchQueues(contexts[i].get(), request);
      v1::QueueBoardUpdate update;
      std::vector<double> mine;
      if (reader->Read(&update)) ++ready;  // the snapshot
      while (reader->Read(&update)) {
        const absl::Time received = absl::Now();
        if (!measuring) continue;
        ++updates;
        folded += update.folded_updates();
        const absl::Time changed = absl::FromUnixSeconds(update.first_change_time().seconds()) +
                                   absl::Nanoseconds(update.first_change_time().nanos());
        mine.push_back(absl::ToDoubleMilliseconds(received - changed));
      }
      reader->Finish().IgnoreError();
      std::lock_guard lock(mu);
      delays.insert(delays.end(), mine.begin(), mine.end());
    });
  }
  while (ready < count) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  Load load(target, options);
  std::this_thread::sleep_for(std::chrono::seconds(1));  // warm-up
  const int64_t load_before = load.done();
  measuring = true;
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(options.seconds));
  measuring = false;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int64_t load_done = load.done() - load_before;
  stop = true;
  for (auto& context : contexts) context->TryCancel();
  for (auto& reader : readers) reader.join();

  Measured m;
  m.watchers = count;
  m.updates_per_second = static_cast<double>(updates) / elapsed;
  m.per_watcher = m.updates_per_second / count;
  m.delay_p50_ms = Percentile(delays, 0.50);
  m.delay_p99_ms = Percentile(delays, 0.99);
  m.folded = folded;
  m.load_done = load_done;
  std::printf("  %3d watcher(s): %8.1f updates/s delivered (%.2f per watcher), delay p50 %6.1f ms, p99 %6.1f ms, "
              "%lld folded; load %.0f contacts/s (%lld failed)\n",
              count, m.updates_per_second, m.per_watcher, m.delay_p50_ms, m.delay_p99_ms,
              static_cast<long long>(m.folded), static_cast<double>(load_done) / elapsed,
              static_cast<long long>(load.failed()));
  return m;
}

int Main(int argc, char** argv) {
  Options options;
  std::string dir = (std::filesystem::temp_directory_path() / "servicedesk-watch-bench").string();
  CLI::App app("WatchQueues: 100 watchers against one, and the change-to-update delay");
  app.add_option("--queues", options.queues, "queues, every one changing all the time");
  app.add_option("--watchers", options.watchers, "concurrent watchers in the second run");
  app.add_option("--rate", options.rate, "updates a second each watcher asks for (1 to 10)");
  app.add_option("--load", options.contacts_per_second, "contacts entering and leaving a second");
  app.add_option("--seconds", options.seconds, "measured seconds per run");
  app.add_option("--dir", dir, "data directory (emptied first)");
  CLI11_PARSE(app, argc, argv);

  std::filesystem::remove_all(dir);
  server::Config config;
  config.listen = "127.0.0.1:0";
  config.data_dir = dir;
  config.block_cache_mb = 64;
  config.tokens = {{kAdminToken, "admins/bench", server::Role::kAdmin}};
  config.supervisor.max_watchers = std::max(1000, options.watchers + 10);
  for (int i = 0; i < options.queues; ++i) {
    v1::Queue queue;
    queue.set_name(absl::StrCat("queues/q", i));
    queue.add_channels(v1::CONTACT_CHANNEL_CALL);
    queue.set_max_length(100000);
    config.routing.queues.push_back(queue);
  }
  server::ConfigureLogging("text", "warn");
  auto desk = server::DeskServer::Start(config);
  if (!desk.ok()) {
    std::fprintf(stderr, "start: %s\n", desk.status().ToString().c_str());
    return 1;
  }
  const std::string target = absl::StrCat("127.0.0.1:", (*desk)->port());
  const double interval_ms = 1000.0 / options.rate;
  std::printf("watch_bench: %d queues, %d contacts/s entering and leaving, watchers at %d updates/s, %.0f s each\n",
              options.queues, options.contacts_per_second, options.rate, options.seconds);

  const Measured one = Watch(target, options, 1);
  const Measured many = Watch(target, options, options.watchers);
  (*desk)->Shutdown();
  std::filesystem::remove_all(dir);

  const double linear = many.updates_per_second / (one.per_watcher * options.watchers);
  const double delay_target = 50 + interval_ms;
  std::printf("\nsummary\n");
  std::printf("  [1] %d watchers deliver %.1f updates/s against %d x %.2f (one watcher): %.2f of linear "
              "(target >= 0.80) %s\n",
              options.watchers, many.updates_per_second, options.watchers, one.per_watcher, linear,
              linear >= 0.8 ? "PASS" : "MISS");
  std::printf("  [2] change-to-update delay p99: %.1f ms with %d watchers, %.1f ms with one "
              "(target < 50 ms + %.0f ms interval = %.0f ms) %s\n",
              many.delay_p99_ms, options.watchers, one.delay_p99_ms, interval_ms, delay_target,
              many.delay_p99_ms < delay_target ? "PASS" : "MISS");
  return 0;
}

}  // namespace
}  // namespace servicedesk::bench

int main(int argc, char** argv) { return servicedesk::bench::Main(argc, argv); }
