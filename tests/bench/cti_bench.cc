// cti_bench: CTI events through servicedeskd, on 16 concurrent StreamEvents connections,
// measured in one run against its baselines:
//
//   [1] sustained durable events per second (acknowledged only after the fsync: group
//       commit) against the same with the sync off, and the unsynced one against a bare
//       gRPC stream of the same messages whose server acknowledges without doing anything;
//   [2] events per fsync;
//   [3] the acknowledgement p99 at half the durable load against the p99 of a plain
//       write + fdatasync loop on the same filesystem; beside it, the same clients against
//       the bare server at that rate (the harness's own floor) and the durable path at a
//       light load (1,000 events/s, the cores free).
//
// In-process servers on loopback, real RocksDB in a temporary directory. The calls are
// recorded, not routed (no queue is configured): the event path is what is measured.
// Prints the figures and a summary of ratios with PASS/MISS against the targets.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "services/server/desk_server.h"
#include "services/server/logging.h"
#include "services/server/session_stream.h"
#include "servicedesk/v1/cti.grpc.pb.h"

namespace servicedesk::bench {
namespace {

namespace v1 = servicedesk::v1;
using Clock = std::chrono::steady_clock;
constexpr const char* kAdminToken = "bench-admin-token-0001";

double Percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[static_cast<std::size_t>(q * static_cast<double>(values.size() - 1))];
}

// The bare baseline: acknowledges every event at once, no validation, no storage.
class BareCti final : public v1::CtiService::CallbackService {
  using Reactor = grpc::ServerBidiReactor<v1::CtiClientMessage, v1::CtiServerMessage>;
  class Stream final : public Reactor {
   public:
    Stream() : outbox_(std::make_shared<server::Outbox<Reactor, v1::CtiServerMessage>>(this)) {
      StartRead(&in_);
    }
    void OnReadDone(bool ok) override {
      if (!ok) {
        outbox_->Close(absl::OkStatus());
        return;
      }
      if (in_.has_event()) {
        v1::CtiServerMessage reply;
        reply.mutable_ack()->set_event_id(in_.event().event_id());
        reply.mutable_ack()->set_status(v1::ACK_STATUS_ACCEPTED);
        outbox_->Send(std::move(reply));
      }
      StartRead(&in_);
    }
    void OnWriteDone(bool ok) override { outbox_->WriteDone(ok); }
    void OnCancel() override { outbox_->Cancelled(); }
    void OnDone() override {
      outbox_->Done();
      delete this;
    }

   private:
    std::shared_ptr<server::Outbox<Reactor, v1::CtiServerMessage>> outbox_;
    v1::CtiClientMessage in_;
  };

 public:
  Reactor* StreamEvents(grpc::CallbackServerContext*) override { return new Stream(); }
  grpc::ServerUnaryReactor* PublishEvent(grpc::CallbackServerContext* context, const v1::CallEvent*,
                                         v1::EventAck* ack) override {
    ack->set_status(v1::ACK_STATUS_ACCEPTED);
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

struct StreamResult {
  std::vector<double> latencies_us;
  int64_t acked = 0;
  bool ok = true;
};

// One connection, driven by gRPC's callback API: no thread of its own, so that 16 streams
// cost the machine what a telephony gateway's event loop would, not 32 blocked threads
// competing with the server for the cores. One write in flight (the API's rule); what is
// sent while a write is in flight waits in `pending_`. Acknowledgements come back in order.
class StreamClient final
    : public grpc::ClientBidiReactor<v1::CtiClientMessage, v1::CtiServerMessage> {
 public:
  StreamClient(v1::CtiService::Stub* stub, int index, int count, int window, bool paced,
               std::string run)
      : index_(index), count_(count), window_(window), paced_(paced), run_(std::move(run)),
        source_(absl::StrCat("pbx-", index)),
        now_s_(std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count()) {
    context_.AddMetadata("authorization", absl::StrCat("Bearer ", kAdminToken));
    stub->async()->StreamEvents(&context_, this);
    v1::CtiClientMessage hello;
    hello.mutable_hello()->set_source(source_);
    std::lock_guard lock(mu_);
    Write(std::move(hello));
    StartRead(&reply_);
    StartCall();
  }

  // Paced mode: sends the next event when fewer than `window` are unacknowledged. Returns
  // false when the window is full (the caller tries again later) or all were sent.
  bool SendNext() {
    std::lock_guard lock(mu_);
    if (next_ >= count_ || in_flight_ >= window_) return false;
    SendLocked();
    return true;
  }
  // Unpaced mode: fills the window; each acknowledgement then sends the next event.
  void Fill() {
    std::lock_guard lock(mu_);
    while (next_ < count_ && in_flight_ < window_) SendLocked();
  }
  bool AllSent() {
    std::lock_guard lock(mu_);
    return next_ >= count_;
  }
  StreamResult Wait() {
    std::unique_lock lock(mu_);
    done_cv_.wait_for(lock, std::chrono::seconds(120), [&] { return finished_; });
    if (!finished_) result_.ok = false;
    return result_;
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;
    std::lock_guard lock(mu_);
    if (reply_.has_ack()) {
      if (reply_.ack().status() != v1::ACK_STATUS_ACCEPTED) result_.ok = false;
      if (!sent_at_.empty()) {
        result_.latencies_us.push_back(
            std::chrono::duration<double, std::micro>(Clock::now() - sent_at_.front()).count());
        sent_at_.pop_front();
        ++result_.acked;
        --in_flight_;
      }
      if (!paced_ && next_ < count_) SendLocked();
      if (next_ >= count_ && in_flight_ == 0 && !writes_done_) {
        writes_done_ = true;
        if (!writing_) StartWritesDone();
      }
    }
    StartRead(&reply_);
  }
  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mu_);
    writing_ = false;
    if (!ok) {
      result_.ok = false;
      return;
    }
    if (!pending_.empty()) {
      out_ = std::move(pending_.front());
      pending_.pop_front();
      writing_ = true;
      StartWrite(&out_);
    } else if (writes_done_) {
      StartWritesDone();
    }
  }
  void OnDone(const grpc::Status& status) override {
    std::lock_guard lock(mu_);
    if (!status.ok()) result_.ok = false;
    finished_ = true;
    done_cv_.notify_all();
  }

 private:
  void SendLocked() {
    const int i = next_++;
    ++in_flight_;
    sent_at_.push_back(Clock::now());
    v1::CtiClientMessage message;
    auto* event = message.mutable_event();
    event->set_source(source_);
    event->set_event_id(absl::StrCat(run_, "-", i));
    event->set_call_id(absl::StrCat(run_, "-call-", i / 2));
    event->set_type(i % 2 == 0 ? v1::CALL_EVENT_TYPE_OFFERED : v1::CALL_EVENT_TYPE_ENDED);
    event->mutable_source_time()->set_seconds(now_s_);
    event->set_calling_number(absl::StrCat("+4915140", index_ * 100000 + (i / 2) % 100000));
    event->set_called_number("+4930100");
    Write(std::move(message));
  }
  void Write(v1::CtiClientMessage message) {
    if (writing_) {
      pending_.push_back(std::move(message));
      return;
    }
    out_ = std::move(message);
    writing_ = true;
    StartWrite(&out_);
  }

  const int index_, count_, window_;
  const bool paced_;
  const std::string run_, source_;
  const int64_t now_s_;
  grpc::ClientContext context_;
  std::mutex mu_;
  std::condition_variable done_cv_;
  v1::CtiServerMessage reply_;
  v1::CtiClientMessage out_;
  std::deque<v1::CtiClientMessage> pending_;
  std::deque<Clock::time_point> sent_at_;
  bool writing_ = false;
  bool writes_done_ = false;
  bool finished_ = false;
  int next_ = 0;
  int in_flight_ = 0;
  StreamResult result_;
};

struct RunResult {
  double events_per_s = 0;
  double p50_us = 0;
  double p99_us = 0;
  bool ok = true;
};

// `streams` connections, `per_stream` events each (offered and ended, call after call), at
// most `window` unacknowledged per stream; paced at `total_rate` events per second across
// all streams by one thread when total_rate > 0, else as fast as acknowledgements come.
RunResult RunStreams(const std::shared_ptr<grpc::Channel>& channel, int streams, int per_stream,
                     int window, double total_rate, const std::string& run) {
  auto stub = v1::CtiService::NewStub(channel);
  std::vector<std::unique_ptr<StreamClient>> clients;
  const auto start = Clock::now();
  for (int s = 0; s < streams; ++s) {
    clients.push_back(std::make_unique<StreamClient>(stub.get(), s, per_stream, window,
                                                     total_rate > 0, run));
  }
  if (total_rate > 0) {
    // Event k goes to stream k % streams at start + k / rate; a full window delays it.
    const int64_t total = static_cast<int64_t>(streams) * per_stream;
    for (int64_t k = 0; k < total; ++k) {
      std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(
                                                std::chrono::duration<double>(k / total_rate)));
      StreamClient& client = *clients[static_cast<std::size_t>(k % streams)];
      while (!client.SendNext() && !client.AllSent()) {
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
    }
  } else {
    for (auto& client : clients) client->Fill();
  }
  RunResult out;
  std::vector<double> latencies;
  int64_t acked = 0;
  for (auto& client : clients) {
    StreamResult r = client->Wait();
    out.ok = out.ok && r.ok;
    acked += r.acked;
    latencies.insert(latencies.end(), r.latencies_us.begin(), r.latencies_us.end());
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  out.events_per_s = static_cast<double>(acked) / seconds;
  out.p50_us = Percentile(latencies, 0.5);
  out.p99_us = Percentile(latencies, 0.99);
  return out;
}

std::unique_ptr<server::DeskServer> StartDesk(const std::string& dir, bool sync) {
  server::Config config;
  config.listen = "127.0.0.1:0";
  config.data_dir = dir;
  config.sync_writes = sync;
  config.block_cache_mb = 64;
  config.default_region = "DE";
  config.log_level = "warn";
  config.tokens = {{kAdminToken, "admins/bench", server::Role::kAdmin}};
  config.cti.create_unknown_callers = false;
  auto desk = server::DeskServer::Start(config);
  if (!desk.ok()) {
    std::fprintf(stderr, "cti_bench: %s\n", std::string(desk.status().message()).c_str());
    std::exit(2);
  }
  return *std::move(desk);
}

std::shared_ptr<grpc::Channel> ChannelTo(int port) {
  grpc::ChannelArguments args;
  args.SetInt("grpc.use_local_subchannel_pool", 1);
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials(),
                                   args);
}

// A plain write + fdatasync loop on the same filesystem: the floor of a durable write.
double FdatasyncP99(const std::string& dir, int iterations) {
  const std::string path = dir + "/fdatasync-probe";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return 0;
  std::vector<double> us;
  char block[128] = {};
  for (int i = 0; i < iterations; ++i) {
    const auto start = Clock::now();
    if (::write(fd, block, sizeof(block)) != static_cast<ssize_t>(sizeof(block)) || ::fdatasync(fd) != 0) break;
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  ::close(fd);
  return Percentile(us, 0.99);
}

}  // namespace
}  // namespace servicedesk::bench

int main(int argc, char** argv) {
  using namespace servicedesk::bench;
  CLI::App app{"cti_bench: durable CTI events on concurrent streams against their baselines"};
  int streams = 16;
  int per_stream = 4000;
  int window = 64;
  std::string dir = (std::filesystem::temp_directory_path() / "servicedesk-cti-bench").string();
  app.add_option("--streams", streams);
  app.add_option("--events-per-stream", per_stream);
  app.add_option("--window", window, "unacknowledged events per stream");
  app.add_option("--dir", dir, "data directory (its filesystem is the one measured)");
  CLI11_PARSE(app, argc, argv);
  servicedesk::server::ConfigureLogging("text", "warn");  // the servers' logs are not measured
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  // [1] durable, unsynced, bare.
  auto durable_desk = StartDesk(dir + "/durable", true);
  auto durable_channel = ChannelTo(durable_desk->port());
  RunStreams(durable_channel, streams, 200, window, 0, "warm");
  auto before = durable_desk->OnCtiDesk([](servicedesk::server::CtiDesk& d) {
    return std::make_pair(d.acks_sent(), d.syncs());
  });
  const RunResult durable = RunStreams(durable_channel, streams, per_stream, window, 0, "durable");
  auto after = durable_desk->OnCtiDesk([](servicedesk::server::CtiDesk& d) {
    return std::make_pair(d.acks_sent(), d.syncs());
  });
  // [3] at half the durable load.
  const RunResult half = RunStreams(durable_channel, streams, per_stream / 4, window,
                                    durable.events_per_s / 2, "half");
  // And at a light load (1,000 events/s): the path of one event when the cores are free.
  const RunResult light = RunStreams(durable_channel, streams, std::max(1, per_stream / 16), window,
                                     1000, "light");
  durable_desk->Shutdown();

  auto unsynced_desk = StartDesk(dir + "/unsynced", false);
  auto unsynced_channel = ChannelTo(unsynced_desk->port());
  RunStreams(unsynced_channel, streams, 200, window, 0, "warm");
  const RunResult unsynced = RunStreams(unsynced_channel, streams, per_stream, window, 0, "unsynced");
  unsynced_desk->Shutdown();

  BareCti bare_service;
  grpc::ServerBuilder builder;
  int bare_port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &bare_port);
  builder.RegisterService(&bare_service);
  auto bare_server = builder.BuildAndStart();
  auto bare_channel = ChannelTo(bare_port);
  RunStreams(bare_channel, streams, 200, window, 0, "warm");
  const RunResult bare = RunStreams(bare_channel, streams, per_stream, window, 0, "bare");
  // The harness's own floor at the paced rate: the same clients against a server that does nothing.
  const RunResult bare_half = RunStreams(bare_channel, streams, per_stream / 4, window,
                                         durable.events_per_s / 2, "bare-half");
  bare_server->Shutdown();

  const double fsync_p99 = FdatasyncP99(dir, 2000);
  const double acks = static_cast<double>(after.first - before.first);
  const double syncs = static_cast<double>(after.second - before.second);

  std::printf("%d streams, %d events each, at most %d unacknowledged per stream\n", streams,
              per_stream, window);
  std::printf("  durable (fsync, group commit)  %9.0f events/s  ack p50 %7.0f us  p99 %7.0f us\n",
              durable.events_per_s, durable.p50_us, durable.p99_us);
  std::printf("  sync off                       %9.0f events/s  ack p50 %7.0f us  p99 %7.0f us\n",
              unsynced.events_per_s, unsynced.p50_us, unsynced.p99_us);
  std::printf("  bare stream, no work           %9.0f events/s  ack p50 %7.0f us  p99 %7.0f us\n",
              bare.events_per_s, bare.p50_us, bare.p99_us);
  std::printf("  events per fsync               %9.1f (%0.f acknowledgements, %.0f fsyncs)\n",
              syncs > 0 ? acks / syncs : 0, acks, syncs);
  std::printf("  half the durable load          %9.0f events/s  ack p50 %7.0f us  p99 %7.0f us\n",
              half.events_per_s, half.p50_us, half.p99_us);
  std::printf("  bare stream at that rate       %9.0f events/s  ack p50 %7.0f us  p99 %7.0f us\n",
              bare_half.events_per_s, bare_half.p50_us, bare_half.p99_us);
  std::printf("  durable at a light load        %9.0f events/s  ack p50 %7.0f us  p99 %7.0f us\n",
              light.events_per_s, light.p50_us, light.p99_us);
  std::printf("  write + fdatasync loop                             p99 %7.0f us\n", fsync_p99);

  const double durable_vs_unsynced = durable.events_per_s / unsynced.events_per_s;
  const double unsynced_vs_bare = unsynced.events_per_s / bare.events_per_s;
  const double latency_ratio = fsync_p99 > 0 ? half.p99_us / fsync_p99 : 0;
  std::printf("\n== summary\n");
  std::printf("ratio durable_vs_unsynced_throughput = %.2f (target >= 0.7) %s\n", durable_vs_unsynced,
              durable_vs_unsynced >= 0.7 ? "PASS" : "MISS");
  std::printf("ratio unsynced_vs_bare_throughput = %.2f (target >= 0.3) %s\n", unsynced_vs_bare,
              unsynced_vs_bare >= 0.3 ? "PASS" : "MISS");
  std::printf("ratio ack_p99_at_half_load_vs_fdatasync_p99 = %.2f (target <= 3) %s\n", latency_ratio,
              latency_ratio <= 3 ? "PASS" : "MISS");
  std::printf("events_per_fsync = %.1f\n", syncs > 0 ? acks / syncs : 0);
  std::printf("ratio ack_p99_at_1000_per_s_vs_fdatasync_p99 = %.2f (no target: the path without contention)\n",
              fsync_p99 > 0 ? light.p99_us / fsync_p99 : 0);
  std::printf("ratio harness_floor_p99_at_half_load_vs_fdatasync_p99 = %.2f (the bare stream at the same rate)\n",
              fsync_p99 > 0 ? bare_half.p99_us / fsync_p99 : 0);
  const bool ok = durable.ok && unsynced.ok && bare.ok && half.ok;
  if (!ok) std::fprintf(stderr, "cti_bench: some events were not acknowledged as accepted\n");
  std::filesystem::remove_all(dir);
  return ok ? 0 : 1;
}
