// value_bench: the value job over a customer base (1,000,000 customers by default, about five
// purchases each) against a plain scan of the same data, and a purchase's incremental cost
// against the raw write of what it stores, in one run:
//
//   [1] The value job as servicedeskd runs it (ValueDesk::Recompute: figures and model from a
//       snapshot on the job's thread, then the customers whose value moved applied on the desk
//       loop in batches of 1,000), timed from the request to the answer. The first run over a
//       fresh base writes every customer's value and moves almost everyone's tier and lifecycle
//       (their file, screen pop, two history entries and an event each); the steady runs
//       follow a day apart, as the daily job does. Baseline: the plain scan of the same data
//       (every purchase row and every value row of the customer_value family, from a snapshot,
//       with the job's read options, touching every key and value byte). Scan and job
//       alternate, three rounds; the ratio of each round is printed, and the median compared
//       with the target: at most 3 times the scan.
//   [2] ValueDesk::RecordPurchase on the desk loop (validation, the customer's figures from
//       their purchases, rescoring against the model, the batch with its event) against one
//       RocksDB write of a purchase row and a value row of the same sizes, and against the reads
//       a purchase cannot do without (another customer's file, value row and purchases) before
//       that write; all with the WAL and without fsync. Alternating, one at a time; p50, p99 and
//       the ratios.
//
// Data: customers written straight into the families (a file, a screen-pop row), their
// purchases likewise (1 to 9 each, over the last three years, amounts log-normal so that
// value concentrates as in life), then flushed and compacted. --dir keeps the data set and
// reuses it while --customers is unchanged (each run adds its measured purchases).

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <thread>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "absl/strings/str_cat.h"
#include "services/common/clock.h"
#include "services/common/desk_loop.h"
#include "services/server/logging.h"
#include "services/server/value_desk.h"
#include "storage/customer_store.h"
#include "storage/event_writer.h"
#include "storage/key_codec.h"
#include "storage/value_store.h"

namespace servicedesk::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
double Micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

uint64_t Mix(uint64_t x) {  // SplitMix64: the data set depends only on the flags
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

const absl::Time kNow = absl::FromUnixSeconds(1'900'000'000);

struct Percentiles {
  double p50 = 0, p99 = 0;
};

Percentiles Summarize(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  if (us.empty()) return {};
  return {us[us.size() / 2], us[static_cast<std::size_t>(0.99 * static_cast<double>(us.size() - 1))]};
}

absl::Status Fill(const std::string& dir, uint64_t customers) {
  storage::DatabaseOptions options;
  options.path = dir;
  options.disable_wal = true;
  auto db = storage::Database::Open(options);
  if (!db.ok()) return db.status();
  storage::CustomerStore store(db->get());
  storage::ValueStore values(db->get());
  std::lognormal_distribution<double> amount(3.5, 1.2);  // median about 33, long tail
  std::mt19937_64 random(42);
  uint64_t purchase_id = 0;
  rocksdb::WriteBatch batch;
  const auto started = Clock::now();
  for (uint64_t id = 1; id <= customers; ++id) {
    v1::Customer customer;
    customer.set_name(storage::CustomerName(id));
    customer.set_customer_number(absl::StrCat("C", 1'000'000 + id));
    customer.set_kind(v1::CUSTOMER_KIND_INDIVIDUAL);
    customer.set_display_name(absl::StrCat("Customer ", id));
    customer.set_tier(v1::CUSTOMER_TIER_ORDINARY);
    customer.set_lifecycle_state(v1::LIFECYCLE_STATE_POTENTIAL);
    store.PutCustomer(&batch, id, nullptr, customer);
    v1::ScreenPopRow pop;
    *pop.mutable_customer() = customer;
    store.PutScreenPop(&batch, id, pop);
    const int count = 1 + static_cast<int>(Mix(id) % 9);
    for (int j = 0; j < count; ++j) {
      const int64_t at_us = absl::ToUnixMicros(kNow) - static_cast<int64_t>(Mix(id * 31 + j) % (3ULL * 365 * 86400)) *
                                                           1'000'000;
      const double units = std::min(amount(random), 50'000.0);
      const int64_t micros = std::llround(units * 1e6);
      v1::Purchase purchase;
      purchase.set_name(storage::PurchaseName(id, ++purchase_id));
      purchase.mutable_amount()->set_currency_code("EUR");
      purchase.mutable_amount()->set_units(micros / 1'000'000);
      purchase.mutable_amount()->set_nanos(static_cast<int32_t>(micros % 1'000'000) * 1000);
      *purchase.mutable_base_amount() = purchase.amount();
      purchase.set_product("coffee beans");
      values.PutPurchase(&batch, storage::ValueStore::PurchaseKey(id, at_us, purchase_id), micros, purchase);
    }
    if (id % 5000 == 0 || id == customers) {
      if (auto s = storage::FromRocks((*db)->db()->Write((*db)->write_options(), &batch), "fill"); !s.ok()) return s;
      batch.Clear();
    }
  }
  for (const auto& [name, next] : {std::pair{"customer", customers + 1}, std::pair{"purchase", purchase_id + 1}}) {
    batch.Put((*db)->handle(storage::Family::kMeta), absl::StrCat("counter/", name), storage::EncodeU64(next));
  }
  if (auto s = storage::FromRocks((*db)->db()->Write((*db)->write_options(), &batch), "fill"); !s.ok()) return s;
  if (auto s = (*db)->Flush(); !s.ok()) return s;
  rocksdb::CompactRangeOptions compact;
  for (auto family : {storage::Family::kCustomers, storage::Family::kScreenPop, storage::Family::kCustomerValue}) {
    (*db)->db()->CompactRange(compact, (*db)->handle(family), nullptr, nullptr).PermitUncheckedError();
  }
  std::printf("filled %llu customers, %llu purchases in %.1f s\n", static_cast<unsigned long long>(customers),
              static_cast<unsigned long long>(purchase_id), Seconds(Clock::now() - started));
  return absl::OkStatus();
}

// The baseline: every row the job reads, read plainly.
double PlainScan(storage::Database* db, uint64_t* rows) {
  const auto started = Clock::now();
  const rocksdb::Snapshot* snapshot = db->db()->GetSnapshot();
  rocksdb::ReadOptions options;
  options.snapshot = snapshot;
  options.fill_cache = false;
  uint64_t bytes = 0;
  *rows = 0;
  for (const char* prefix : {"p", "v"}) {
    const std::string end = storage::PrefixSuccessor(prefix);
    rocksdb::Slice upper(end);
    options.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db->db()->NewIterator(options, db->handle(storage::Family::kCustomerValue)));
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      // Touch every byte, as the job must at least read them.
      for (char c : it->key().ToStringView()) bytes += static_cast<unsigned char>(c);
      for (char c : it->value().ToStringView()) bytes += static_cast<unsigned char>(c);
      ++*rows;
    }
  }
  db->db()->ReleaseSnapshot(snapshot);
  if (bytes == 42) std::printf(" ");  // keeps the loop from being optimised away
  return Seconds(Clock::now() - started);
}

struct JobRun {
  double seconds = 0;
  v1::ValueModel model;
};

JobRun RunJob(DeskLoop* loop, server::ValueDesk* desk) {
  std::promise<absl::StatusOr<v1::ValueModel>> done;
  const auto started = Clock::now();
  loop->Post([&] { desk->Recompute([&](absl::StatusOr<v1::ValueModel> model) { done.set_value(std::move(model)); }); });
  auto model = done.get_future().get();
  JobRun run;
  run.seconds = Seconds(Clock::now() - started);
  if (!model.ok()) {
    std::fprintf(stderr, "value job failed: %s\n", std::string(model.status().message()).c_str());
    std::exit(1);
  }
  run.model = *model;
  return run;
}

int Run(const std::string& dir, uint64_t customers, int purchases) {
  const fs::path marker = fs::path(dir) / "value_bench.customers";
  std::string filled;
  if (std::ifstream in(marker); in) std::getline(in, filled);
  const bool fresh = filled != std::to_string(customers);
  if (fresh) {
    fs::remove_all(dir);
    if (auto s = Fill(dir, customers); !s.ok()) {
      std::fprintf(stderr, "fill: %s\n", std::string(s.message()).c_str());
      return 1;
    }
    std::ofstream(marker) << customers << "\n";
  } else {
    std::printf("reusing %s (%llu customers)\n", dir.c_str(), static_cast<unsigned long long>(customers));
  }

  storage::DatabaseOptions options;
  options.path = dir;
  options.sync_writes = false;
  auto db = storage::Database::Open(options);
  if (!db.ok()) return std::fprintf(stderr, "%s\n", std::string(db.status().message()).c_str()), 1;
  auto writer = storage::EventWriter::Create(db->get());
  if (!writer.ok()) return 1;
  storage::CustomerStore customer_store(db->get());
  DeskLoop loop;
  // Each run of the bench is a day after the last model, so the job has a day's work to do.
  storage::ValueStore values(db->get());
  auto stored = values.GetModel();
  ManualClock clock(stored.ok() && stored->has_value() ? absl::FromUnixMicros((*stored)->compute_time_us()) + absl::Hours(24)
                                                       : kNow);
  server::Config config;
  server::ValueDesk desk(config, &clock, &loop, db->get(), writer->get(), &customer_store);
  // Start() runs the job at once (a fresh base was never scored; a kept one is a day
  // older): timed from here until that run has been applied.
  std::printf("\n[1] value job against a plain scan of the same rows\n");
  const auto start = Clock::now();
  {
    std::promise<absl::Status> started;
    loop.Post([&] { started.set_value(desk.Start()); });
    if (auto s = started.get_future().get(); !s.ok()) return 1;
  }
  JobRun first;
  for (;;) {
    std::promise<v1::ValueModel> shown;
    loop.Post([&] { shown.set_value(desk.Model()); });
    first.model = shown.get_future().get();
    if (first.model.run_seconds() > 0) break;  // set when the run's last batch is written
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  first.seconds = Seconds(Clock::now() - start);
  std::printf("  first run at start (%s): %.2f s, %lld customers scored, %lld changed, %lld tier and %lld lifecycle "
              "changes\n",
              fresh ? "catching up: every customer written" : "a day after the kept data set's last run",
              first.seconds, static_cast<long long>(first.model.scored_customers()),
              static_cast<long long>(first.model.customers_changed()),
              static_cast<long long>(first.model.tier_changes()),
              static_cast<long long>(first.model.lifecycle_changes()));
  std::vector<double> ratios;
  for (int round = 0; round < 3; ++round) {
    clock.Advance(absl::Hours(24));
    uint64_t rows = 0;
    double scan = 0;
    JobRun run;
    if (round % 2 == 0) {
      scan = PlainScan(db->get(), &rows);
      run = RunJob(&loop, &desk);
    } else {
      run = RunJob(&loop, &desk);
      scan = PlainScan(db->get(), &rows);
    }
    ratios.push_back(run.seconds / scan);
    std::printf("  day %d: job %.2f s (%lld changed, %lld tier, %lld lifecycle changes), plain scan %.2f s of %llu "
                "rows: %.2f x\n",
                round + 1, run.seconds, static_cast<long long>(run.model.customers_changed()),
                static_cast<long long>(run.model.tier_changes()),
                static_cast<long long>(run.model.lifecycle_changes()), scan,
                static_cast<unsigned long long>(rows), run.seconds / scan);
  }
  std::sort(ratios.begin(), ratios.end());
  const double job_ratio = ratios[1];

  std::printf("\n[2] a purchase against the raw write of its rows (%d of each)\n", purchases);
  std::vector<double> record_us, raw_us, reads_us;
  std::string value_bytes(160, 'v');
  for (int i = 0; i < purchases; ++i) {
    const uint64_t customer = 1 + Mix(0xabc + i) % customers;
    std::promise<double> timed;
    loop.Post([&] {
      v1::RecordPurchaseRequest request;
      request.set_parent(storage::CustomerName(customer));
      request.mutable_purchase()->mutable_amount()->set_currency_code("EUR");
      request.mutable_purchase()->mutable_amount()->set_units(25);
      request.mutable_purchase()->set_product("coffee beans");
      const auto t0 = Clock::now();
      auto purchase = desk.RecordPurchase(request, "agents/bench");
      const double us = Micros(Clock::now() - t0);
      if (!purchase.ok()) std::fprintf(stderr, "purchase: %s\n", std::string(purchase.status().message()).c_str());
      timed.set_value(us);
    });
    record_us.push_back(timed.get_future().get());
    // The raw write: a purchase row and a value row of the sizes the purchase wrote, under
    // keys of the same lengths in a range nothing reads ('z').
    rocksdb::WriteBatch batch;
    std::string key = storage::ValueStore::PurchaseKey(customers + 1 + i, absl::ToUnixMicros(kNow), i);
    key[0] = 'z';
    batch.Put((*db)->handle(storage::Family::kCustomerValue), key, std::string(60, 'p'));
    std::string value_key = "z";
    storage::AppendU64(&value_key, customers + 1 + i);
    batch.Put((*db)->handle(storage::Family::kCustomerValue), value_key, value_bytes);
    const auto t0 = Clock::now();
    (*db)->db()->Write((*db)->write_options(), &batch).PermitUncheckedError();
    raw_us.push_back(Micros(Clock::now() - t0));
    // The same write after the reads a purchase cannot do without: the customer's file, their
    // value and their purchases (another customer, so that nothing is warm from the call).
    const uint64_t other = 1 + Mix(0xdef + i) % customers;
    const auto t1 = Clock::now();
    std::string bytes;
    (*db)->db()->Get({}, (*db)->handle(storage::Family::kCustomers), storage::CustomerKey(other), &bytes)
        .PermitUncheckedError();
    std::string value_row = "v";
    storage::AppendU64(&value_row, other);
    (*db)->db()->Get({}, (*db)->handle(storage::Family::kCustomerValue), value_row, &bytes).PermitUncheckedError();
    values.ForEachPurchaseOf(other, [](const storage::ValueStore::PurchasePoint&) {}).IgnoreError();
    (*db)->db()->Write((*db)->write_options(), &batch).PermitUncheckedError();
    reads_us.push_back(Micros(Clock::now() - t1));
    clock.Advance(absl::Seconds(1));
  }
  const Percentiles record = Summarize(record_us), raw = Summarize(raw_us), reads = Summarize(reads_us);
  std::printf("  RecordPurchase: p50 %.1f us, p99 %.1f us\n", record.p50, record.p99);
  std::printf("  raw write:      p50 %.1f us, p99 %.1f us\n", raw.p50, raw.p99);
  std::printf("  raw reads + write: p50 %.1f us, p99 %.1f us\n", reads.p50, reads.p99);

  uint64_t scanned = 0;
  std::printf("\nsummary\n");
  std::printf("  value job / plain scan (median of 3 days): %.2f (target <= 3): %s\n", job_ratio,
              job_ratio <= 3 ? "PASS" : "MISS");
  std::printf("  first run / plain scan: %.2f (%s)\n", first.seconds / PlainScan(db->get(), &scanned),
              fresh ? "catching up: every customer written" : "a day's work");
  std::printf("  purchase / raw write, p50: %.2f, p99: %.2f\n", record.p50 / raw.p50, record.p99 / raw.p99);
  std::printf("  purchase / raw reads + write, p50: %.2f, p99: %.2f\n", record.p50 / reads.p50, record.p99 / reads.p99);
  {
    std::promise<void> stopped;
    loop.Post([&] {
      desk.Stop();
      stopped.set_value();
    });
    stopped.get_future().wait();
  }
  loop.Stop();
  // A reused data set then opens without replaying this run's log.
  (*db)->Flush().IgnoreError();
  return 0;
}

}  // namespace
}  // namespace servicedesk::bench

int main(int argc, char** argv) {
  CLI::App app{"value_bench: the value job and a purchase against plain RocksDB work"};
  uint64_t customers = 1'000'000;
  int purchases = 2000;
  std::string dir;
  app.add_option("--customers", customers, "customers in the base")->check(CLI::Range(1, 20'000'000));
  app.add_option("--purchases", purchases, "measured purchases")->check(CLI::Range(10, 1'000'000));
  app.add_option("--dir", dir, "keep the data set here and reuse it");
  CLI11_PARSE(app, argc, argv);
  servicedesk::server::ConfigureLogging("text", "warn");
  const bool temporary = dir.empty();
  if (temporary) dir = (std::filesystem::temp_directory_path() / ("value_bench." + std::to_string(::getpid()))).string();
  const int rc = servicedesk::bench::Run(dir, customers, purchases);
  if (temporary) std::filesystem::remove_all(dir);
  return rc;
}
