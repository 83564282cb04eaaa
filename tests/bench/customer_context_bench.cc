// customer_context_bench: the screen pop (CustomerService.GetCustomerContext) measured
// against its baselines, as the product requirement for tests/bench asks:
//
//   [1] in-process, storage only, against a raw RocksDB point Get on the same database;
//   [2] over gRPC on loopback, against DiagnosticsService.Ping on the same server, with
//       one call in flight and saturated (64 in flight);
//   [3] against the same screen pop as prepared SQL statements in PostgreSQL 15 over TCP
//       on loopback, with the same data and the same concurrency.
//
// [2] and [3] are measured together, alternating call by call and round by round, so that
// other load on a shared machine hits all of them alike.
//
// It prints the numbers and a summary of ratios with PASS/MISS against the targets. A
// MISS is a result, not an error: the exit code is non-zero only when something failed.
//
// The data set (DemoData: deterministic per seed, skewed histories) is loaded once into
// --data-dir and reused while --customers and --seed stay the same.
// run_customer_context_bench.sh builds this, starts a throwaway PostgreSQL and runs it.

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <google/protobuf/arena.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <libpq-fe.h>
#include <rocksdb/db.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/customers/customer_commands.h"
#include "services/customers/customer_queries.h"
#include "services/customers/demo_data.h"
#include "services/customers/phone_normalizer.h"
#include "services/server/config.h"
#include "services/server/desk_server.h"
#include "services/server/logging.h"
#include "servicedesk/v1/customer.grpc.pb.h"
#include "servicedesk/v1/diagnostics.grpc.pb.h"
#include "storage/customer_store.h"
#include "storage/database.h"
#include "storage/event_writer.h"
#include "storage/key_codec.h"

namespace servicedesk::bench {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;
using google::protobuf::util::TimeUtil;

// The screen pop the requirement measures: the latest 50 interactions.
constexpr int kContextInteractions = 50;
constexpr char kContextInteractionsText[] = "50";
// Written into --data-dir after a complete load; says which data set the directory holds.
constexpr char kMarkerFile[] = "BENCH_DATASET";
// Written into --data-dir before a load starts: the directory is the benchmark's own.
constexpr char kLoadingMarkerFile[] = "BENCH_DATASET.loading";
constexpr char kPrincipal[] = "system/bench";
// How many screen pops are compared (customer, interaction ids) between RocksDB and PostgreSQL.
constexpr std::size_t kCrossChecked = 50;

struct Options {
  uint64_t customers = 1000000;
  uint64_t seed = 42;
  std::string data_dir = "var/bench/data";
  int samples = 20000;
  double seconds = 5;  // measured time of each saturation run, split into rounds
  int rounds = 5;
  int in_flight = 64;
  int client_threads = 2;
  int block_cache_mb = 256;  // servicedeskd's default
  std::string pg_host = "127.0.0.1";
  int pg_port = 0;  // 0: no PostgreSQL part
  std::string pg_user = "postgres";
  std::string pg_dbname = "servicedesk_bench";
  bool load_pg = false;
  bool ci = false;

  bool postgres() const { return pg_port != 0; }
  // Before each saturation round: fills the pipeline (the caches are warm by then).
  double warmup_seconds() const { return ci ? 0.3 : 0.5; }
};

double Seconds(SteadyClock::duration duration) {
  return std::chrono::duration<double>(duration).count();
}

// CPU time that other processes took while the benchmark measured. The benchmark and all it
// compares share the CPUs with whatever else runs, and the tails suffer first; the summary
// says when that was a lot. Reads /proc (Linux); elsewhere it sees nothing.
class CpuWatch {
 public:
  // Opens a measurement window. The CPU time of `own` (this process, which includes the
  // in-process server, and the PostgreSQL backend it talks to) is the measurement's;
  // everything else is somebody else's.
  void Start(std::vector<int> own) {
    own_ = std::move(own);
    machine_ticks_ = MachineBusyTicks();
    own_ticks_ = OwnTicks();
    started_ = SteadyClock::now();
  }

  // Closes the window; returns how many CPUs the others kept busy in it on average.
  double Stop() {
    const double seconds = Seconds(SteadyClock::now() - started_);
    const int64_t others = (MachineBusyTicks() - machine_ticks_) - (OwnTicks() - own_ticks_);
    const double ticks_per_second = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double cpus =
        seconds > 0 ? static_cast<double>(std::max<int64_t>(others, 0)) / ticks_per_second / seconds
                    : 0;
    highest_ = std::max(highest_, cpus);
    return cpus;
  }

  double highest() const { return highest_; }
  // Above this, the tails measure the neighbours as much as the code.
  bool Busy() const { return highest_ > 0.1 * Cpus(); }
  static double Cpus() { return std::max(1u, std::thread::hardware_concurrency()); }

 private:
  // All CPUs' busy time: everything but idle and I/O wait. Steal counts: the hypervisor gave
  // the time to another guest.
  static int64_t MachineBusyTicks() {
    std::ifstream in("/proc/stat");
    std::string label;
    int64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    if (!(in >> label >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal)) {
      return 0;
    }
    return user + nice + system + irq + softirq + steal;
  }

  // User and system time of a process, all threads (fields 14 and 15 of /proc/<pid>/stat).
  static int64_t ProcessTicks(int pid) {
    std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::size_t name_end = text.rfind(')');  // the name may hold spaces and parentheses
    if (name_end == std::string::npos) return 0;
    std::istringstream fields(text.substr(name_end + 1));
    std::string skipped;
    for (int field = 3; field <= 13; ++field) fields >> skipped;
    int64_t user = 0, system = 0;
    fields >> user >> system;
    return user + system;
  }

  int64_t OwnTicks() const {
    int64_t ticks = 0;
    for (int pid : own_) ticks += ProcessTicks(pid);
    return ticks;
  }

  std::vector<int> own_;
  int64_t machine_ticks_ = 0;
  int64_t own_ticks_ = 0;
  SteadyClock::time_point started_;
  double highest_ = 0;
};

// Latencies of one measurement.
class Latencies {
 public:
  void Reserve(std::size_t count) { nanos_.reserve(count); }
  void Add(SteadyClock::duration latency) {
    nanos_.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(latency).count());
    sorted_ = false;
  }
  void Append(const Latencies& other) {
    nanos_.insert(nanos_.end(), other.nanos_.begin(), other.nanos_.end());
    sorted_ = false;
  }
  std::size_t size() const { return nanos_.size(); }

  // Nearest-rank percentile in microseconds; 0 when nothing was measured.
  double PercentileUs(double fraction) {
    if (nanos_.empty()) return 0;
    if (!sorted_) {
      std::sort(nanos_.begin(), nanos_.end());
      sorted_ = true;
    }
    const auto rank =
        static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(nanos_.size())));
    return static_cast<double>(nanos_[std::clamp<std::size_t>(rank, 1, nanos_.size()) - 1]) /
           1000.0;
  }

 private:
  std::vector<int64_t> nanos_;
  bool sorted_ = false;
};

// Saturation runs: the latencies of the calls that completed in the measured windows.
struct Saturation {
  double seconds = 0;  // the measured windows' length
  Latencies latencies;

  double calls_per_second() const {
    return seconds > 0 ? static_cast<double>(latencies.size()) / seconds : 0;
  }
  void Append(const Saturation& other) {
    seconds += other.seconds;
    latencies.Append(other.latencies);
  }
};

void PrintLatencies(const std::string& label, Latencies& latencies) {
  absl::PrintF("  %-46s p50 %8.1f us  p99 %8.1f us  p99.9 %8.1f us  (%d calls)\n", label,
               latencies.PercentileUs(0.50), latencies.PercentileUs(0.99),
               latencies.PercentileUs(0.999), latencies.size());
}

void PrintSaturation(const std::string& label, Saturation& saturation) {
  absl::PrintF("  %-46s %9.0f calls/s   p50 %8.1f us  p99 %8.1f us\n", label,
               saturation.calls_per_second(), saturation.latencies.PercentileUs(0.50),
               saturation.latencies.PercentileUs(0.99));
}

// The customers the screen pops are for.
struct Sample {
  std::string phone;  // E.164, as the telephony integration passes it
  uint64_t customer_id = 0;
};

// What the screen pop of a sample returned from RocksDB, to check PostgreSQL against.
struct ExpectedPop {
  std::string display_name;
  std::vector<std::string> interaction_names;
};

// ---------------------------------------------------------------------------------------
// The data set in RocksDB.

absl::Time Anchor() {
  return absl::FromCivil(absl::CivilSecond(2026, 11, 1, 9, 0, 0), absl::UTCTimeZone());
}

std::string DatasetMarker(const Options& options) {
  return absl::StrCat("customers=", options.customers, "\nseed=", options.seed,
                      "\nschema_version=", storage::kSchemaVersion, "\n");
}

std::string ReadWholeFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::Status WriteFileAtomically(const fs::path& path, const std::string& text) {
  const fs::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << text;
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", temporary.string()));
  }
  std::error_code error;
  fs::rename(temporary, path, error);
  if (error) {
    return absl::InternalError(absl::StrCat("cannot write ", path.string(), ": ", error.message()));
  }
  return absl::OkStatus();
}

uint64_t DirectoryBytes(const fs::path& dir) {
  uint64_t bytes = 0;
  std::error_code error;
  for (const auto& entry : fs::recursive_directory_iterator(dir, error)) {
    if (entry.is_regular_file(error)) bytes += entry.file_size(error);
  }
  return bytes;
}

// True when --data-dir already holds this data set. A directory that the benchmark loaded
// (or began to load) with other parameters is cleared; any other non-empty directory is
// refused, so that a mistyped --data-dir never deletes a desk's data.
absl::StatusOr<bool> CheckDataDir(const Options& options) {
  const fs::path dir(options.data_dir);
  std::error_code error;
  if (!fs::exists(dir, error) || fs::is_empty(dir, error)) return false;
  const fs::path marker = dir / kMarkerFile;
  if (fs::exists(marker, error)) {
    if (ReadWholeFile(marker) == DatasetMarker(options)) return true;
    absl::PrintF("dataset: %s holds another data set; regenerating\n", options.data_dir);
  } else if (fs::exists(dir / kLoadingMarkerFile, error)) {
    absl::PrintF("dataset: %s holds an unfinished load; regenerating\n", options.data_dir);
  } else {
    return absl::FailedPreconditionError(
        absl::StrCat("--data-dir ", options.data_dir,
                     " is neither empty nor a benchmark data set; refusing to delete it"));
  }
  fs::remove_all(dir, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot clear ", options.data_dir, ": ", error.message()));
  }
  return false;
}

// Hands batches of records from the generator thread to the importing thread.
class RecordQueue {
 public:
  explicit RecordQueue(std::size_t capacity) : capacity_(capacity) {}

  // False when the queue was closed (the consumer gave up).
  bool Push(std::vector<v1::ImportRecord> batch) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return closed_ || batches_.size() < capacity_; });
    if (closed_) return false;
    batches_.push_back(std::move(batch));
    changed_.notify_all();
    return true;
  }

  // nullopt once the queue is closed and empty.
  std::optional<std::vector<v1::ImportRecord>> Pop() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return closed_ || !batches_.empty(); });
    if (batches_.empty()) return std::nullopt;
    auto batch = std::move(batches_.front());
    batches_.pop_front();
    changed_.notify_all();
    return batch;
  }

  void Close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    changed_.notify_all();
  }

 private:
  const std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::vector<v1::ImportRecord>> batches_;
  bool closed_ = false;
};

// Loads DemoData records [0, customers) through CustomerCommands::Import, the real write
// path (validation, normalisation, index rows, one event per customer), then flushes and
// compacts so that the measurements read SST files like a long-running desk does.
absl::Status LoadDataset(const Options& options) {
  const auto started = SteadyClock::now();
  const fs::path dir(options.data_dir);
  std::error_code error;
  fs::create_directories(dir, error);
  if (auto s = WriteFileAtomically(dir / kLoadingMarkerFile, DatasetMarker(options)); !s.ok()) {
    return s;
  }
  uint64_t interactions = 0;
  uint64_t last_seq = 0;
  {
    storage::DatabaseOptions db_options;
    db_options.path = options.data_dir;
    // A bulk load needs no WAL: the data is flushed at the end, and an interrupted load
    // leaves the loading marker, so the next run starts over.
    db_options.disable_wal = true;
    db_options.sync_writes = false;
    auto database = storage::Database::Open(db_options);
    if (!database.ok()) return database.status();
    storage::Database* db = database->get();
    auto writer = storage::EventWriter::Create(db);
    if (!writer.ok()) return writer.status();
    storage::CustomerStore store(db);
    customers::PhoneNormalizer phones("DE");
    // A fixed clock makes create_time part of the deterministic data set.
    ManualClock clock(Anchor());
    customers::CustomerCommands commands(&store, writer->get(), &phones, &clock);

    // Building a record costs about as much as importing it, so a second thread builds.
    constexpr uint64_t kBatch = 256;
    RecordQueue queue(/*capacity=*/16);
    std::thread generator([&] {
      const customers::DemoData demo(options.seed);
      for (uint64_t first = 0; first < options.customers; first += kBatch) {
        std::vector<v1::ImportRecord> batch;
        const uint64_t end = std::min(options.customers, first + kBatch);
        batch.reserve(end - first);
        for (uint64_t i = first; i < end; ++i) batch.push_back(demo.Record(i));
        if (!queue.Push(std::move(batch))) return;
      }
      queue.Close();
    });

    absl::Status failure;
    uint64_t imported = 0;
    const uint64_t report_every = std::max<uint64_t>(options.customers / 10, 1);
    while (auto batch = queue.Pop()) {
      for (auto& record : *batch) {
        auto outcome = commands.Import(std::move(record), kPrincipal);
        if (outcome.kind != customers::ImportOutcome::Kind::kCreated) {
          failure =
              outcome.kind == customers::ImportOutcome::Kind::kRejected
                  ? outcome.error
                  : absl::InternalError("a record was already imported into a fresh directory");
          break;
        }
        interactions += static_cast<uint64_t>(outcome.interactions_created);
        if (++imported % report_every == 0) {
          const double elapsed = Seconds(SteadyClock::now() - started);
          absl::PrintF("dataset: %d / %d customers, %d interactions, %.0f s (%.0f customers/s)\n",
                       imported, options.customers, interactions, elapsed,
                       static_cast<double>(imported) / elapsed);
        }
      }
      if (!failure.ok()) break;
    }
    queue.Close();
    generator.join();
    if (!failure.ok()) {
      return absl::Status(failure.code(), absl::StrCat("import: ", failure.message()));
    }
    last_seq = (*writer)->last_seq();
    const double import_seconds = Seconds(SteadyClock::now() - started);
    absl::PrintF(
        "dataset: imported %d customers, %d interactions, %d events in %.1f s (%.0f customers/s)\n",
        imported, interactions, last_seq, import_seconds,
        static_cast<double>(imported) / import_seconds);

    const auto compact_started = SteadyClock::now();
    if (auto s = db->Flush(); !s.ok()) return s;
    // Only the families the screen pop reads; the event log is never read here.
    for (storage::Family family : {storage::Family::kCustomers, storage::Family::kCustomerIndex,
                                   storage::Family::kInteractions, storage::Family::kScreenPop}) {
      auto status = db->db()->CompactRange(rocksdb::CompactRangeOptions(), db->handle(family),
                                           nullptr, nullptr);
      if (!status.ok()) return storage::FromRocks(status, "compacting");
    }
    absl::PrintF("dataset: flush and compaction %.1f s\n",
                 Seconds(SteadyClock::now() - compact_started));
  }

  if (auto s = WriteFileAtomically(dir / kMarkerFile, DatasetMarker(options)); !s.ok()) return s;
  fs::remove(dir / kLoadingMarkerFile, error);
  absl::PrintF("dataset: loaded in %.1f s in total, %.2f GiB on disk\n",
               Seconds(SteadyClock::now() - started),
               static_cast<double>(DirectoryBytes(options.data_dir)) / (1u << 30));
  return absl::OkStatus();
}

// Random customers with at least 50 interactions, so every screen pop returns 50.
absl::StatusOr<std::vector<Sample>> PickSamples(const Options& options,
                                                const storage::CustomerStore& store) {
  const customers::DemoData demo(options.seed);
  std::vector<uint64_t> candidates;
  for (uint64_t i = 0; i < options.customers; ++i) {
    if (demo.InteractionCount(i) >= kContextInteractions) candidates.push_back(i);
  }
  if (candidates.empty()) {
    return absl::FailedPreconditionError("no customer has 50 interactions; use more --customers");
  }
  std::mt19937_64 random(options.seed * 0x9e3779b97f4a7c15ULL + 1);
  std::uniform_int_distribution<std::size_t> pick(0, candidates.size() - 1);
  std::vector<Sample> samples(static_cast<std::size_t>(options.samples));
  for (auto& sample : samples) {
    sample.phone = customers::DemoData::MobileNumber(candidates[pick(random)]);
    auto ids = store.FindByPhone(sample.phone);
    if (!ids.ok()) return ids.status();
    if (ids->size() != 1) {
      return absl::DataLossError(absl::StrCat("mobile number ", sample.phone, " is held by ",
                                              ids->size(), " customers, expected 1"));
    }
    sample.customer_id = ids->front();
  }
  absl::PrintF("samples: %d screen pops over %d customers with >= %d interactions\n",
               samples.size(), candidates.size(), kContextInteractions);
  return samples;
}

// ---------------------------------------------------------------------------------------
// [1] In-process.

struct InProcessResult {
  Latencies context;
  Latencies get;
};

absl::Status CheckPop(const v1::CustomerContext& context, const Sample& sample) {
  if (!context.known_caller() ||
      context.customer().name() != storage::CustomerName(sample.customer_id)) {
    return absl::DataLossError(
        absl::StrCat("screen pop for ", sample.phone, " found the wrong customer"));
  }
  if (context.recent_interactions_size() != kContextInteractions) {
    return absl::DataLossError(absl::StrCat("screen pop for ", sample.phone, " returned ",
                                            context.recent_interactions_size(), " interactions"));
  }
  return absl::OkStatus();
}

absl::StatusOr<InProcessResult> MeasureInProcess(const std::vector<Sample>& samples,
                                                 storage::Database* db,
                                                 std::vector<ExpectedPop>* expected) {
  storage::CustomerStore store(db);
  customers::PhoneNormalizer phones("DE");
  customers::CustomerQueries queries(&store, &phones);
  std::vector<v1::GetCustomerContextRequest> requests(samples.size());
  std::vector<std::string> keys(samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) {
    requests[i].set_phone_number(samples[i].phone);
    requests[i].set_interaction_limit(kContextInteractions);
    keys[i] = storage::CustomerKey(samples[i].customer_id);
  }
  rocksdb::DB* rocks = db->db();
  rocksdb::ColumnFamilyHandle* customers_family = db->handle(storage::Family::kCustomers);
  const rocksdb::ReadOptions read;

  // Warm-up: one pass over every sample, so that both measurements meet a warm block cache.
  for (std::size_t i = 0; i < samples.size(); ++i) {
    v1::CustomerContext context;
    if (auto s = queries.Context(requests[i], &context); !s.ok()) return s;
    if (auto s = CheckPop(context, samples[i]); !s.ok()) return s;
    if (i < kCrossChecked) {
      ExpectedPop pop{context.customer().display_name(), {}};
      for (const auto& interaction : context.recent_interactions()) {
        pop.interaction_names.push_back(interaction.name());
      }
      expected->push_back(std::move(pop));
    }
    rocksdb::PinnableSlice value;
    auto status = rocks->Get(read, customers_family, keys[i], &value);
    if (!status.ok()) return storage::FromRocks(status, "reading customer");
  }

  // Interleaved, so that background noise (compactions, a neighbour on the machine) hits
  // both alike. The Get reads another sample's row than the pop before it, so that it
  // does not find that row hot in the CPU cache.
  InProcessResult result;
  result.context.Reserve(samples.size());
  result.get.Reserve(samples.size());
  // What the server does per pop: assemble the serialized response (ContextWire); the
  // parse into a message is the client's work, not measured here.
  std::string wire;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    wire.clear();
    auto started = SteadyClock::now();
    auto status = queries.ContextWire(requests[i], &wire);
    result.context.Add(SteadyClock::now() - started);
    if (!status.ok()) return status;

    rocksdb::PinnableSlice value;
    const std::string& key = keys[(i + samples.size() / 2) % samples.size()];
    started = SteadyClock::now();
    auto get = rocks->Get(read, customers_family, key, &value);
    result.get.Add(SteadyClock::now() - started);
    if (!get.ok()) return storage::FromRocks(get, "reading customer");
  }
  return result;
}

// ---------------------------------------------------------------------------------------
// PostgreSQL: the connection, the load, and the screen pop in SQL.

struct PgResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

std::string PgError(PGconn* conn) {
  std::string message = PQerrorMessage(conn);
  absl::StripTrailingAsciiWhitespace(&message);
  return message;
}

absl::Status CheckResult(PGconn* conn, const PGresult* result, ExecStatusType expected,
                         const char* what) {
  if (result != nullptr && PQresultStatus(result) == expected) return absl::OkStatus();
  std::string message = result != nullptr ? PQresultErrorMessage(result) : PgError(conn);
  absl::StripTrailingAsciiWhitespace(&message);
  return absl::InternalError(absl::StrCat("PostgreSQL: ", what, ": ", message));
}

class PgConnection {
 public:
  static absl::StatusOr<std::unique_ptr<PgConnection>> Connect(const Options& options) {
    const std::string conninfo = absl::StrCat(
        "host=", options.pg_host, " port=", options.pg_port, " user=", options.pg_user,
        " dbname=", options.pg_dbname, " sslmode=disable application_name=customer_context_bench");
    std::unique_ptr<PgConnection> connection(new PgConnection(PQconnectdb(conninfo.c_str())));
    if (PQstatus(connection->conn_) != CONNECTION_OK) {
      return absl::UnavailableError(absl::StrCat("cannot connect to PostgreSQL (", conninfo,
                                                 "): ", PgError(connection->conn_)));
    }
    return connection;
  }
  ~PgConnection() { PQfinish(conn_); }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  PGconn* get() const { return conn_; }

  // Runs statements whose rows nobody reads (DDL, VACUUM, ...).
  absl::Status Exec(const std::string& sql) {
    PgResult result(PQexec(conn_, sql.c_str()));
    if (result && PQresultStatus(result.get()) == PGRES_TUPLES_OK) return absl::OkStatus();
    return CheckResult(conn_, result.get(), PGRES_COMMAND_OK, sql.substr(0, 60).c_str());
  }

  absl::StatusOr<PgResult> Query(const std::string& sql) {
    PgResult result(PQexec(conn_, sql.c_str()));
    if (auto s = CheckResult(conn_, result.get(), PGRES_TUPLES_OK, sql.substr(0, 60).c_str());
        !s.ok()) {
      return s;
    }
    return result;
  }

  absl::Status Prepare(const char* name, const char* sql) {
    PgResult result(PQprepare(conn_, name, sql, 0, nullptr));
    return CheckResult(conn_, result.get(), PGRES_COMMAND_OK, name);
  }

 private:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  PGconn* conn_;
};

// Streams rows into COPY ... FROM STDIN (text format).
class CopyIn {
 public:
  static absl::StatusOr<CopyIn> Start(PGconn* conn, const std::string& sql) {
    PgResult result(PQexec(conn, sql.c_str()));
    if (auto s = CheckResult(conn, result.get(), PGRES_COPY_IN, sql.c_str()); !s.ok()) return s;
    return CopyIn(conn);
  }

  // The current row; end it with EndRow().
  std::string* row() { return &buffer_; }
  absl::Status EndRow() {
    buffer_.back() = '\n';  // replaces the last field's tab
    ++rows_;
    if (buffer_.size() < (1u << 20)) return absl::OkStatus();
    return Send();
  }
  absl::Status Finish() {
    if (!buffer_.empty()) {
      if (auto s = Send(); !s.ok()) return s;
    }
    if (PQputCopyEnd(conn_, nullptr) != 1) return absl::InternalError(PgError(conn_));
    absl::Status status;
    while (PGresult* raw = PQgetResult(conn_)) {
      PgResult result(raw);
      if (status.ok()) status = CheckResult(conn_, raw, PGRES_COMMAND_OK, "COPY");
    }
    return status;
  }
  uint64_t rows() const { return rows_; }

  // Fields of the text format: escaped text, tab-terminated (EndRow turns the last tab
  // into the newline).
  void Text(absl::string_view value) {
    for (char c : value) {
      switch (c) {
        case '\\':
          buffer_.append("\\\\");
          break;
        case '\t':
          buffer_.append("\\t");
          break;
        case '\n':
          buffer_.append("\\n");
          break;
        case '\r':
          buffer_.append("\\r");
          break;
        default:
          buffer_.push_back(c);
      }
    }
    buffer_.push_back('\t');
  }
  void Int(int64_t value) { absl::StrAppend(&buffer_, value, "\t"); }
  void Null() { buffer_.append("\\N\t"); }
  void Timestamp(const google::protobuf::Timestamp& time) {
    const int64_t micros = TimeUtil::TimestampToMicroseconds(time);
    const absl::CivilSecond civil =
        absl::ToCivilSecond(absl::FromUnixMicros(micros), absl::UTCTimeZone());
    const int64_t fraction = ((micros % 1000000) + 1000000) % 1000000;
    absl::StrAppendFormat(&buffer_, "%04d-%02d-%02d %02d:%02d:%02d.%06d+00\t", civil.year(),
                          civil.month(), civil.day(), civil.hour(), civil.minute(), civil.second(),
                          fraction);
  }

 private:
  explicit CopyIn(PGconn* conn) : conn_(conn) {}
  absl::Status Send() {
    if (PQputCopyData(conn_, buffer_.data(), static_cast<int>(buffer_.size())) != 1) {
      return absl::InternalError(absl::StrCat("COPY: ", PgError(conn_)));
    }
    buffer_.clear();
    return absl::OkStatus();
  }

  PGconn* conn_;
  std::string buffer_;
  uint64_t rows_ = 0;
};

// Tables as a straightforward SQL design of the same customer file would have them:
// scalar columns for what lists and filters use, the nested parts of the profile as one
// jsonb document, one row per phone number for the lookup, one row per interaction.
// Indexes are created after the load (the usual way to bulk load).
constexpr char kSchema[] = R"sql(
DROP TABLE IF EXISTS bench_dataset, customers, customer_phones, interactions, open_tickets,
  open_complaints;
CREATE TABLE customers (
  id bigint NOT NULL,
  customer_number text NOT NULL,
  external_id text,
  kind smallint NOT NULL,
  display_name text NOT NULL,
  tier smallint NOT NULL,
  lifecycle_state smallint NOT NULL,
  owner_agent text NOT NULL,
  notes text NOT NULL,
  profile jsonb NOT NULL,
  create_time timestamptz NOT NULL,
  update_time timestamptz NOT NULL);
CREATE TABLE customer_phones (
  e164 text NOT NULL,
  customer_id bigint NOT NULL);
CREATE TABLE interactions (
  customer_id bigint NOT NULL,
  id bigint NOT NULL,
  start_time timestamptz NOT NULL,
  end_time timestamptz,
  channel smallint NOT NULL,
  direction smallint NOT NULL,
  agent text NOT NULL,
  queue text NOT NULL,
  outcome text NOT NULL,
  text text NOT NULL,
  reference text NOT NULL);
CREATE TABLE open_tickets (
  id bigint PRIMARY KEY,
  customer_id bigint NOT NULL,
  subject text NOT NULL,
  status text NOT NULL,
  priority integer NOT NULL,
  create_time timestamptz NOT NULL,
  next_deadline timestamptz);
CREATE TABLE open_complaints (
  id bigint PRIMARY KEY,
  customer_id bigint NOT NULL,
  step text NOT NULL,
  category text NOT NULL,
  severity text NOT NULL,
  open_time timestamptz NOT NULL,
  step_deadline timestamptz);
)sql";

constexpr const char* kIndexes[] = {
    "ALTER TABLE customers ADD PRIMARY KEY (id)",
    "CREATE UNIQUE INDEX customers_customer_number ON customers (customer_number)",
    "CREATE UNIQUE INDEX customers_external_id ON customers (external_id)",
    "CREATE INDEX customer_phones_e164 ON customer_phones (e164, customer_id)",
    "ALTER TABLE interactions ADD PRIMARY KEY (id)",
    "CREATE INDEX interactions_customer_latest ON interactions (customer_id, start_time DESC, id "
    "DESC)",
    "CREATE INDEX open_tickets_customer ON open_tickets (customer_id)",
    "CREATE INDEX open_complaints_customer ON open_complaints (customer_id)",
};

// The nested parts of the customer file as one JSON document.
absl::StatusOr<std::string> ProfileJson(const v1::Customer& customer) {
  v1::Customer nested;
  if (customer.has_individual()) *nested.mutable_individual() = customer.individual();
  if (customer.has_enterprise()) *nested.mutable_enterprise() = customer.enterprise();
  *nested.mutable_phone_numbers() = customer.phone_numbers();
  *nested.mutable_emails() = customer.emails();
  *nested.mutable_contacts() = customer.contacts();
  *nested.mutable_preferences() = customer.preferences();
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(nested, &json);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("profile to JSON: ", status.ToString()));
  }
  return json;
}

// Whether PostgreSQL runs on this machine, so that its backends' CPU time can be told apart.
bool PgIsLocal(const Options& options) {
  return options.pg_host == "127.0.0.1" || options.pg_host == "localhost" ||
         options.pg_host == "::1";
}

std::string DatasetRow(const Options& options) {
  return absl::StrCat("customers=", options.customers, " seed=", options.seed);
}

// Loads the data set into PostgreSQL. The rows are read back from the RocksDB data set
// (not regenerated), so both hold the same ids, customer numbers and normalised values.
absl::Status LoadPostgres(const Options& options, storage::Database* db, PgConnection* pg) {
  {
    auto present = PQexec(pg->get(), "SELECT dataset FROM bench_dataset");
    PgResult result(present);
    if (PQresultStatus(present) == PGRES_TUPLES_OK && PQntuples(present) == 1 &&
        DatasetRow(options) == PQgetvalue(present, 0, 0)) {
      absl::PrintF("postgres: database %s already holds the data set; reusing it\n",
                   options.pg_dbname);
      return absl::OkStatus();
    }
  }
  const auto started = SteadyClock::now();
  // One transaction that creates the tables and copies into them: with wal_level=minimal
  // PostgreSQL skips the WAL for them, and FREEZE spares the first VACUUM the rewrite.
  // DROP TABLE IF EXISTS would otherwise print a NOTICE per missing table.
  if (auto s = pg->Exec("SET client_min_messages = warning"); !s.ok()) return s;
  if (auto s = pg->Exec("BEGIN"); !s.ok()) return s;
  if (auto s = pg->Exec(kSchema); !s.ok()) return s;

  rocksdb::ReadOptions scan;
  scan.fill_cache = false;  // a full scan would only evict the measurements' blocks
  std::string phones_copy;
  uint64_t customers = 0;
  {
    auto copy =
        CopyIn::Start(pg->get(),
                      "COPY customers (id, customer_number, external_id, kind, display_name, tier, "
                      "lifecycle_state, owner_agent, notes, profile, create_time, update_time) "
                      "FROM STDIN WITH (FREEZE)");
    if (!copy.ok()) return copy.status();
    std::unique_ptr<rocksdb::Iterator> it(
        db->db()->NewIterator(scan, db->handle(storage::Family::kCustomers)));
    v1::Customer customer;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const auto id = storage::ReadU64(it->key().ToStringView());
      if (!id ||
          !customer.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        return absl::DataLossError("unreadable customer row");
      }
      auto profile = ProfileJson(customer);
      if (!profile.ok()) return profile.status();
      copy->Int(static_cast<int64_t>(*id));
      copy->Text(customer.customer_number());
      if (customer.external_id().empty()) {
        copy->Null();
      } else {
        copy->Text(customer.external_id());
      }
      copy->Int(customer.kind());
      copy->Text(customer.display_name());
      copy->Int(customer.tier());
      copy->Int(customer.lifecycle_state());
      copy->Text(customer.owner_agent());
      copy->Text(customer.notes());
      copy->Text(*profile);
      copy->Timestamp(customer.create_time());
      copy->Timestamp(customer.update_time());
      if (auto s = copy->EndRow(); !s.ok()) return s;
      // Phone rows go into their own COPY afterwards; a connection runs one at a time.
      for (const auto& phone : customer.phone_numbers()) {
        absl::StrAppend(&phones_copy, phone.number(), "\t", *id, "\n");
      }
    }
    if (!it->status().ok()) return storage::FromRocks(it->status(), "scanning customers");
    if (auto s = copy->Finish(); !s.ok()) return s;
    customers = copy->rows();
  }
  {
    auto copy = CopyIn::Start(pg->get(),
                              "COPY customer_phones (e164, customer_id) FROM STDIN WITH (FREEZE)");
    if (!copy.ok()) return copy.status();
    // Phone numbers are digits and '+': nothing to escape.
    for (std::size_t begin = 0; begin < phones_copy.size();) {
      const std::size_t end = std::min(phones_copy.size(), begin + (1u << 20));
      const std::size_t cut = end == phones_copy.size() ? end : phones_copy.rfind('\n', end) + 1;
      if (PQputCopyData(pg->get(), phones_copy.data() + begin, static_cast<int>(cut - begin)) !=
          1) {
        return absl::InternalError(absl::StrCat("COPY: ", PgError(pg->get())));
      }
      begin = cut;
    }
    if (auto s = copy->Finish(); !s.ok()) return s;
  }
  uint64_t interactions = 0;
  {
    auto copy = CopyIn::Start(
        pg->get(),
        "COPY interactions (customer_id, id, start_time, end_time, channel, direction, agent, "
        "queue, outcome, text, reference) FROM STDIN WITH (FREEZE)");
    if (!copy.ok()) return copy.status();
    std::unique_ptr<rocksdb::Iterator> it(
        db->db()->NewIterator(scan, db->handle(storage::Family::kInteractions)));
    v1::Interaction interaction;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const auto key = storage::DecodeInteractionKey(it->key().ToStringView());
      if (!key ||
          !interaction.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        return absl::DataLossError("unreadable interaction row");
      }
      copy->Int(static_cast<int64_t>(key->customer_id));
      copy->Int(static_cast<int64_t>(key->interaction_id));
      copy->Timestamp(interaction.start_time());
      if (interaction.has_end_time()) {
        copy->Timestamp(interaction.end_time());
      } else {
        copy->Null();
      }
      copy->Int(interaction.channel());
      copy->Int(interaction.direction());
      copy->Text(interaction.agent());
      copy->Text(interaction.queue());
      copy->Text(interaction.outcome());
      copy->Text(interaction.text());
      copy->Text(interaction.reference());
      if (auto s = copy->EndRow(); !s.ok()) return s;
    }
    if (!it->status().ok()) return storage::FromRocks(it->status(), "scanning interactions");
    if (auto s = copy->Finish(); !s.ok()) return s;
    interactions = copy->rows();
  }
  if (auto s = pg->Exec("COMMIT"); !s.ok()) return s;
  const double copy_seconds = Seconds(SteadyClock::now() - started);
  absl::PrintF("postgres: copied %d customers, %d interactions in %.1f s\n", customers,
               interactions, copy_seconds);

  const auto index_started = SteadyClock::now();
  for (const char* sql : kIndexes) {
    if (auto s = pg->Exec(sql); !s.ok()) return s;
  }
  // VACUUM sets the visibility map (index-only scans) and ANALYZE the statistics the
  // planner needs; the checkpoint keeps its writes out of the measurements.
  for (const char* table :
       {"customers", "customer_phones", "interactions", "open_tickets", "open_complaints"}) {
    if (auto s = pg->Exec(absl::StrCat("VACUUM (ANALYZE) ", table)); !s.ok()) return s;
  }
  if (auto s = pg->Exec("CHECKPOINT"); !s.ok()) return s;
  if (auto s = pg->Exec(absl::StrCat("CREATE TABLE bench_dataset (dataset text NOT NULL); "
                                     "INSERT INTO bench_dataset VALUES ('",
                                     DatasetRow(options), "')"));
      !s.ok()) {
    return s;
  }
  auto size = pg->Query("SELECT pg_database_size(current_database())");
  if (!size.ok()) return size.status();
  absl::PrintF("postgres: indexes, vacuum, analyze %.1f s; loaded in %.1f s in total, %.2f GiB\n",
               Seconds(SteadyClock::now() - index_started), Seconds(SteadyClock::now() - started),
               std::strtod(PQgetvalue(size->get(), 0, 0), nullptr) / (1u << 30));
  return absl::OkStatus();
}

// The screen pop in SQL, as prepared statements.
constexpr char kPopFind[] =
    "SELECT customer_id FROM customer_phones WHERE e164 = $1 ORDER BY customer_id";
constexpr char kPopCustomer[] =
    "SELECT id, customer_number, external_id, kind, display_name, tier, lifecycle_state, "
    "owner_agent, notes, profile, create_time, update_time FROM customers WHERE id = $1";
constexpr char kPopLatest[] =
    "SELECT id, channel, direction, agent, queue, start_time, end_time, outcome, text, reference "
    "FROM interactions WHERE customer_id = $1 ORDER BY start_time DESC, id DESC LIMIT $2";
constexpr char kPopTickets[] =
    "SELECT id, subject, status, priority, create_time, next_deadline FROM open_tickets "
    "WHERE customer_id = $1";
constexpr char kPopComplaints[] =
    "SELECT id, step, category, severity, open_time, step_deadline FROM open_complaints "
    "WHERE customer_id = $1";
// All of it in one statement and one round trip, the document built by PostgreSQL.
constexpr char kPopCombined[] = R"sql(
WITH matches AS (SELECT customer_id FROM customer_phones WHERE e164 = $1),
     chosen AS (SELECT min(customer_id) AS id FROM matches)
SELECT
  (SELECT row_to_json(c) FROM customers c WHERE c.id = (SELECT id FROM chosen)) AS customer,
  (SELECT json_agg(c ORDER BY c.id) FROM customers c
     WHERE c.id IN (SELECT customer_id FROM matches) AND c.id <> (SELECT id FROM chosen))
     AS other_matches,
  (SELECT json_agg(i) FROM (
     SELECT id, channel, direction, agent, queue, start_time, end_time, outcome, text, reference
     FROM interactions WHERE customer_id = (SELECT id FROM chosen)
     ORDER BY start_time DESC, id DESC LIMIT $2) i) AS recent_interactions,
  (SELECT json_agg(t) FROM open_tickets t WHERE t.customer_id = (SELECT id FROM chosen))
     AS open_tickets,
  (SELECT json_agg(x) FROM open_complaints x WHERE x.customer_id = (SELECT id FROM chosen))
     AS open_complaints
)sql";

absl::Status PreparePop(PgConnection* pg) {
  for (const auto& [name, sql] :
       {std::pair{"pop_find", kPopFind}, std::pair{"pop_customer", kPopCustomer},
        std::pair{"pop_latest", kPopLatest}, std::pair{"pop_tickets", kPopTickets},
        std::pair{"pop_complaints", kPopComplaints}, std::pair{"pop_combined", kPopCombined}}) {
    if (auto s = pg->Prepare(name, sql); !s.ok()) return s;
  }
  return absl::OkStatus();
}

enum class PgVariant { kSteps, kCombined };
constexpr PgVariant kPgVariants[] = {PgVariant::kSteps, PgVariant::kCombined};
const char* VariantName(PgVariant variant) {
  return variant == PgVariant::kSteps ? "5 prepared statements" : "1 combined prepared statement";
}

absl::StatusOr<PgResult> ExecPrepared(PGconn* conn, const char* name,
                                      std::initializer_list<const char*> params) {
  const std::vector<const char*> values(params);
  PgResult result(PQexecPrepared(conn, name, static_cast<int>(values.size()), values.data(),
                                 nullptr, nullptr, 0));
  if (auto s = CheckResult(conn, result.get(), PGRES_TUPLES_OK, name); !s.ok()) return s;
  return result;
}

// One screen pop. With `pop`, also returns what it found, to check the data.
absl::Status PgPop(PGconn* conn, PgVariant variant, const Sample& sample, ExpectedPop* pop) {
  if (variant == PgVariant::kCombined) {
    auto result =
        ExecPrepared(conn, "pop_combined", {sample.phone.c_str(), kContextInteractionsText});
    if (!result.ok()) return result.status();
    if (pop != nullptr && (PQntuples(result->get()) != 1 || PQgetisnull(result->get(), 0, 0) ||
                           PQgetisnull(result->get(), 0, 2))) {
      return absl::DataLossError(absl::StrCat("PostgreSQL: no screen pop for ", sample.phone));
    }
    return absl::OkStatus();
  }
  auto ids = ExecPrepared(conn, "pop_find", {sample.phone.c_str()});
  if (!ids.ok()) return ids.status();
  if (PQntuples(ids->get()) == 0) return absl::OkStatus();  // an unknown caller
  // Other holders of a shared number, as the RPC returns them.
  for (int row = 1; row < PQntuples(ids->get()); ++row) {
    auto other = ExecPrepared(conn, "pop_customer", {PQgetvalue(ids->get(), row, 0)});
    if (!other.ok()) return other.status();
  }
  const char* id = PQgetvalue(ids->get(), 0, 0);
  auto customer = ExecPrepared(conn, "pop_customer", {id});
  if (!customer.ok()) return customer.status();
  auto latest = ExecPrepared(conn, "pop_latest", {id, kContextInteractionsText});
  if (!latest.ok()) return latest.status();
  auto tickets = ExecPrepared(conn, "pop_tickets", {id});
  if (!tickets.ok()) return tickets.status();
  auto complaints = ExecPrepared(conn, "pop_complaints", {id});
  if (!complaints.ok()) return complaints.status();
  if (pop != nullptr) {
    if (PQntuples(customer->get()) != 1) {
      return absl::DataLossError(absl::StrCat("PostgreSQL: customer ", id, " not found"));
    }
    pop->display_name = PQgetvalue(customer->get(), 0, 4);
    const uint64_t customer_id = std::strtoull(id, nullptr, 10);
    for (int row = 0; row < PQntuples(latest->get()); ++row) {
      pop->interaction_names.push_back(storage::InteractionName(
          customer_id, std::strtoull(PQgetvalue(latest->get(), row, 0), nullptr, 10)));
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------
// Saturation drivers.

// The measured window of a saturation run. It opens after a warm-up that fills the
// pipeline, so that connection set-up and ramp-up are not counted.
struct Window {
  static Window After(double warmup_seconds, double seconds) {
    auto span = [](double s) {
      return std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(s));
    };
    Window window;
    window.from = SteadyClock::now() + span(warmup_seconds);
    window.to = window.from + span(seconds);
    return window;
  }
  bool Contains(SteadyClock::time_point time) const { return time >= from && time <= to; }

  SteadyClock::time_point from;
  SteadyClock::time_point to;
};

struct Stubs {
  explicit Stubs(const std::shared_ptr<grpc::Channel>& channel)
      : customers(v1::CustomerService::NewStub(channel)),
        diagnostics(v1::DiagnosticsService::NewStub(channel)),
        generic(std::make_unique<grpc::GenericStub>(channel)) {}
  std::unique_ptr<v1::CustomerService::Stub> customers;
  std::unique_ptr<v1::DiagnosticsService::Stub> diagnostics;
  // The raw client: request and response stay bytes, so the measurement is the server
  // and the transport, without the client's protobuf parse of a 50-interaction response.
  std::unique_ptr<grpc::GenericStub> generic;
};

constexpr char kPingMethod[] = "/servicedesk.v1.DiagnosticsService/Ping";
constexpr char kPopMethod[] = "/servicedesk.v1.CustomerService/GetCustomerContext";

grpc::ByteBuffer Serialized(const google::protobuf::Message& message) {
  grpc::Slice slice(message.SerializeAsString());
  return grpc::ByteBuffer(&slice, 1);
}

std::unique_ptr<grpc::ClientAsyncResponseReader<grpc::ByteBuffer>> StartRaw(
    grpc::GenericStub* stub, grpc::ClientContext* context, const char* method,
    const grpc::ByteBuffer& request, grpc::CompletionQueue* queue) {
  auto reader = stub->PrepareUnaryCall(context, method, request, queue);
  reader->StartCall();
  return reader;
}

absl::Status RawCall(grpc::GenericStub* stub, const char* method, const grpc::ByteBuffer& request) {
  grpc::CompletionQueue queue;
  grpc::ClientContext context;
  grpc::ByteBuffer response;
  grpc::Status status;
  auto reader = StartRaw(stub, &context, method, request, &queue);
  reader->Finish(&response, &status, &response);
  void* tag = nullptr;
  bool ok = false;
  const bool got = queue.Next(&tag, &ok);
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  if (!got || !ok) return absl::UnavailableError(absl::StrCat(method, ": completion queue failed"));
  if (!status.ok()) return absl::UnavailableError(absl::StrCat(method, ": ", status.error_message()));
  return absl::OkStatus();
}

std::shared_ptr<grpc::Channel> Connect(const std::string& target) {
  grpc::ChannelArguments args;
  // One connection per channel: each client thread gets its own, as separate consoles would.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return channel;
}

v1::GetCustomerContextRequest ContextRequest(const Sample& sample) {
  v1::GetCustomerContextRequest request;
  request.set_phone_number(sample.phone);
  request.set_interaction_limit(kContextInteractions);
  return request;
}

absl::Status FromGrpc(const grpc::Status& status, const char* what) {
  if (status.ok()) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(what, ": ", status.error_message()));
}

// Starts one asynchronous call: a screen pop or a Ping. `call` numbers the calls, to
// spread them over the samples.
template <typename Response>
using StartCall = std::function<std::unique_ptr<grpc::ClientAsyncResponseReader<Response>>(
    Stubs* stubs, grpc::ClientContext* context, uint64_t call, grpc::CompletionQueue* queue)>;

// Keeps options.in_flight calls outstanding for `seconds` (after a warm-up), spread over
// options.client_threads threads, each with its own channel and completion queue.
template <typename Response>
absl::StatusOr<Saturation> SaturateGrpc(const Options& options, const std::string& target,
                                        double seconds, const StartCall<Response>& start) {
  struct Slot {
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> reader;
    // Typed responses are parsed into an arena, as a client that cares about speed would
    // (one block instead of an allocation per string); raw ones are ByteBuffers.
    std::unique_ptr<google::protobuf::Arena> arena;
    Response* response = nullptr;
    Response raw;
    grpc::Status status;
    SteadyClock::time_point started;
  };
  struct ThreadResult {
    Latencies latencies;
    std::string error;
  };
  const int threads = options.client_threads;
  std::vector<ThreadResult> results(static_cast<std::size_t>(threads));
  std::latch ready(threads);
  std::latch go(1);
  Window window;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      ThreadResult& result = results[static_cast<std::size_t>(t)];
      Stubs stubs(Connect(target));
      grpc::CompletionQueue queue;
      std::vector<Slot> slots(static_cast<std::size_t>(options.in_flight / threads +
                                                       (t < options.in_flight % threads ? 1 : 0)));
      uint64_t next_call = static_cast<uint64_t>(t);
      auto launch = [&](Slot* slot) {
        slot->context = std::make_unique<grpc::ClientContext>();
        if constexpr (std::is_base_of_v<google::protobuf::Message, Response>) {
          slot->arena = std::make_unique<google::protobuf::Arena>();
          slot->response = google::protobuf::Arena::CreateMessage<Response>(slot->arena.get());
        } else {
          slot->raw.Clear();
          slot->response = &slot->raw;
        }
        slot->started = SteadyClock::now();
        slot->reader = start(&stubs, slot->context.get(), next_call, &queue);
        next_call += static_cast<uint64_t>(threads);
        slot->reader->Finish(slot->response, &slot->status, slot);
      };
      ready.count_down();
      go.wait();
      for (auto& slot : slots) launch(&slot);
      std::size_t outstanding = slots.size();
      void* tag = nullptr;
      bool ok = false;
      while (outstanding > 0 && queue.Next(&tag, &ok)) {
        auto* slot = static_cast<Slot*>(tag);
        const auto now = SteadyClock::now();
        if (!ok || !slot->status.ok()) {
          if (result.error.empty()) {
            result.error = ok ? slot->status.error_message() : "completion queue failed";
          }
        } else if (window.Contains(now)) {
          result.latencies.Add(now - slot->started);
        }
        if (now < window.to && result.error.empty()) {
          launch(slot);
        } else {
          --outstanding;
        }
      }
      queue.Shutdown();
      while (queue.Next(&tag, &ok)) {
      }
    });
  }
  ready.wait();
  window = Window::After(options.warmup_seconds(), seconds);
  go.count_down();
  for (auto& worker : workers) worker.join();

  Saturation saturation;
  saturation.seconds = seconds;
  for (auto& result : results) {
    if (!result.error.empty()) {
      return absl::UnavailableError(absl::StrCat("call failed: ", result.error));
    }
    saturation.latencies.Append(result.latencies);
  }
  return saturation;
}

// options.in_flight threads, each with its own connection, each running screen pops back
// to back for `seconds` (after a warm-up): as many pops in flight as in the gRPC runs.
absl::StatusOr<Saturation> SaturatePostgres(const Options& options, PgVariant variant,
                                            const std::vector<Sample>& samples, double seconds) {
  struct ThreadResult {
    Latencies latencies;
    absl::Status error;
  };
  const auto threads = static_cast<std::size_t>(options.in_flight);
  std::vector<ThreadResult> results(threads);
  std::latch ready(static_cast<std::ptrdiff_t>(threads));
  std::latch go(1);
  std::atomic<bool> failed = false;
  Window window;
  std::vector<std::thread> workers;
  for (std::size_t t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      ThreadResult& result = results[t];
      auto pg = PgConnection::Connect(options);
      result.error = pg.ok() ? PreparePop(pg->get()) : pg.status();
      if (!result.error.ok()) failed = true;
      ready.count_down();
      go.wait();
      if (failed) return;
      for (std::size_t call = t;; call += threads) {
        const auto started = SteadyClock::now();
        if (started >= window.to) break;
        result.error = PgPop((*pg)->get(), variant, samples[call % samples.size()], nullptr);
        const auto now = SteadyClock::now();
        if (!result.error.ok() || failed) {
          failed = true;
          return;
        }
        if (window.Contains(now)) result.latencies.Add(now - started);
      }
    });
  }
  ready.wait();
  window = Window::After(options.warmup_seconds(), seconds);
  go.count_down();
  for (auto& worker : workers) worker.join();

  Saturation saturation;
  saturation.seconds = seconds;
  for (auto& result : results) {
    if (!result.error.ok()) return result.error;
    saturation.latencies.Append(result.latencies);
  }
  return saturation;
}

// ---------------------------------------------------------------------------------------
// [2] gRPC and [3] PostgreSQL, measured together.
//
// The two are compared with each other, and the machine is shared: measured one after
// the other, a neighbour's build could slow one down and not the other. So the calls of
// one in flight alternate call by call, and the saturation runs alternate in rounds.

// One way to answer: a Ping, the RPC, or one of the SQL variants.
struct Contender {
  std::string name;
  // One call, one in flight.
  std::function<absl::Status(const Sample&)> call;
  // One saturation run of the given length.
  std::function<absl::StatusOr<Saturation>(double)> saturate;
};

// Indexes into the contenders; the PostgreSQL ones exist only with --pg-port.
constexpr std::size_t kPing = 0;
constexpr std::size_t kGrpcPop = 1;
constexpr std::size_t kPgFirst = 2;
std::size_t PgIndex(PgVariant variant) { return kPgFirst + static_cast<std::size_t>(variant); }

struct RemoteResult {
  std::string name;
  Latencies sequential;
  Saturation saturated;
};

absl::StatusOr<std::vector<RemoteResult>> MeasureRemote(const Options& options,
                                                        const std::vector<Sample>& samples,
                                                        const std::vector<ExpectedPop>& expected,
                                                        CpuWatch* cpu) {
  server::Config config;
  config.listen = "127.0.0.1:0";
  config.data_dir = options.data_dir;
  config.sync_writes = false;
  config.block_cache_mb = options.block_cache_mb;
  config.default_region = "DE";
  config.auth_enabled = false;
  auto desk = server::DeskServer::Start(config);
  if (!desk.ok()) return desk.status();
  const std::string target = absl::StrCat("127.0.0.1:", (*desk)->port());
  absl::PrintF("servicedeskd: in-process on %s (block cache %d MiB, auth off)\n", target,
               options.block_cache_mb);
  Stubs stubs(Connect(target));

  std::vector<Contender> contenders;
  contenders.push_back(Contender{
      "Ping",
      [&](const Sample&) {
        grpc::ClientContext context;
        google::protobuf::Arena arena;
        auto* response = google::protobuf::Arena::CreateMessage<v1::PingResponse>(&arena);
        return FromGrpc(stubs.diagnostics->Ping(&context, v1::PingRequest(), response), "Ping");
      },
      [&](double seconds) {
        return SaturateGrpc<v1::PingResponse>(
            options, target, seconds,
            [](Stubs* s, grpc::ClientContext* context, uint64_t, grpc::CompletionQueue* queue) {
              return s->diagnostics->AsyncPing(context, v1::PingRequest(), queue);
            });
      }});
  contenders.push_back(Contender{"GetCustomerContext(limit 50)",
                                 [&](const Sample& sample) {
                                   grpc::ClientContext context;
                                   google::protobuf::Arena arena;
                                   auto* response =
                                       google::protobuf::Arena::CreateMessage<v1::CustomerContext>(
                                           &arena);
                                   return FromGrpc(stubs.customers->GetCustomerContext(
                                                       &context, ContextRequest(sample), response),
                                                   "GetCustomerContext");
                                 },
                                 [&](double seconds) {
                                   return SaturateGrpc<v1::CustomerContext>(
                                       options, target, seconds,
                                       [&samples](Stubs* s, grpc::ClientContext* context,
                                                  uint64_t call, grpc::CompletionQueue* queue) {
                                         return s->customers->AsyncGetCustomerContext(
                                             context,
                                             ContextRequest(samples[call % samples.size()]), queue);
                                       });
                                 }});

  std::vector<grpc::ByteBuffer> raw_requests;
  raw_requests.reserve(samples.size());
  for (const auto& sample : samples) raw_requests.push_back(Serialized(ContextRequest(sample)));
  const grpc::ByteBuffer raw_ping = Serialized(v1::PingRequest());

  std::unique_ptr<PgConnection> pg;
  if (options.postgres()) {
    auto connected = PgConnection::Connect(options);
    if (!connected.ok()) return connected.status();
    pg = *std::move(connected);
    if (auto s = PreparePop(pg.get()); !s.ok()) return s;
    auto version = pg->Query("SHOW server_version");
    if (!version.ok()) return version.status();
    absl::PrintF("postgres: PostgreSQL %s at %s:%d, database %s, over TCP\n",
                 PQgetvalue(version->get(), 0, 0), options.pg_host, options.pg_port,
                 options.pg_dbname);
    for (PgVariant variant : kPgVariants) {
      contenders.push_back(Contender{VariantName(variant),
                                     [&pg, variant](const Sample& sample) {
                                       return PgPop(pg->get(), variant, sample, nullptr);
                                     },
                                     [&options, &samples, variant](double seconds) {
                                       return SaturatePostgres(options, variant, samples, seconds);
                                     }});
    }
  }

  contenders.push_back(Contender{
      "Ping (raw client)",
      [&](const Sample&) { return RawCall(stubs.generic.get(), kPingMethod, raw_ping); },
      [&](double seconds) {
        return SaturateGrpc<grpc::ByteBuffer>(
            options, target, seconds,
            [&raw_ping](Stubs* s, grpc::ClientContext* context, uint64_t,
                        grpc::CompletionQueue* queue) {
              return StartRaw(s->generic.get(), context, kPingMethod, raw_ping, queue);
            });
      }});
  contenders.push_back(Contender{
      "GetCustomerContext(limit 50) (raw client)",
      [&](const Sample& sample) {
        return RawCall(stubs.generic.get(), kPopMethod,
                       raw_requests[static_cast<std::size_t>(&sample - samples.data())]);
      },
      [&](double seconds) {
        return SaturateGrpc<grpc::ByteBuffer>(
            options, target, seconds,
            [&raw_requests](Stubs* s, grpc::ClientContext* context, uint64_t call,
                            grpc::CompletionQueue* queue) {
              return StartRaw(s->generic.get(), context, kPopMethod,
                              raw_requests[call % raw_requests.size()], queue);
            });
      }});

  // Warm-up: every sample once everywhere (the server's block cache and PostgreSQL's
  // buffers start cold), checking the answers on the way.
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const Sample& sample = samples[i];
    {
      grpc::ClientContext context;
      v1::CustomerContext response;
      auto status =
          stubs.customers->GetCustomerContext(&context, ContextRequest(sample), &response);
      if (auto s = FromGrpc(status, "GetCustomerContext"); !s.ok()) return s;
      if (auto s = CheckPop(response, sample); !s.ok()) return s;
    }
    if (auto s = contenders[kPing].call(sample); !s.ok()) return s;
    if (!pg) continue;
    for (PgVariant variant : kPgVariants) {
      ExpectedPop pop;
      if (auto s = PgPop(pg->get(), variant, sample, &pop); !s.ok()) return s;
      if (variant == PgVariant::kSteps && i < expected.size() &&
          (pop.display_name != expected[i].display_name ||
           pop.interaction_names != expected[i].interaction_names)) {
        return absl::DataLossError(absl::StrCat(
            "PostgreSQL's screen pop for ", sample.phone,
            " differs from RocksDB's: the databases hold different data (reload with --load-pg)"));
      }
    }
  }
  if (pg) {
    absl::PrintF(
        "postgres: the first %d screen pops match RocksDB's (customer, 50 interaction "
        "ids in order)\n",
        std::min(expected.size(), samples.size()));
  }

  std::vector<RemoteResult> results(contenders.size());
  for (std::size_t c = 0; c < contenders.size(); ++c) results[c].name = contenders[c].name;
  for (auto& result : results) result.sequential.Reserve(samples.size());
  std::vector<int> own = {getpid()};
  if (pg && PgIsLocal(options)) own.push_back(PQbackendPID(pg->get()));
  cpu->Start(own);
  for (const auto& sample : samples) {
    for (std::size_t c = 0; c < contenders.size(); ++c) {
      const auto started = SteadyClock::now();
      auto status = contenders[c].call(sample);
      results[c].sequential.Add(SteadyClock::now() - started);
      if (!status.ok()) return status;
    }
  }
  absl::PrintF("measured: %d calls each, one in flight, interleaved (other processes: %.2f CPUs)\n",
               samples.size(), cpu->Stop());
  const double round_seconds = options.seconds / options.rounds;
  absl::PrintF("measuring: %d in flight, %d rounds of %.1f s each (after %.1f s warm-up)\n",
               options.in_flight, options.rounds, round_seconds, options.warmup_seconds());
  for (int round = 0; round < options.rounds; ++round) {
    for (std::size_t c = 0; c < contenders.size(); ++c) {
      auto saturated = contenders[c].saturate(round_seconds);
      if (!saturated.ok()) return saturated.status();
      results[c].saturated.Append(*saturated);
    }
  }
  (*desk)->Shutdown();
  return results;
}

// ---------------------------------------------------------------------------------------
// The summary.

struct Ratio {
  std::string name;
  std::optional<double> value;  // nullopt: not measured in this run
  bool at_most;                 // the target is an upper bound (else a lower bound)
  double target;
  std::string note;
};

void PrintRatio(const Ratio& ratio) {
  const char* op = ratio.at_most ? "<=" : ">=";
  if (!ratio.value) {
    absl::PrintF("ratio %s = n/a (target %s %g) SKIPPED: %s\n", ratio.name, op, ratio.target,
                 ratio.note);
    return;
  }
  const bool pass = ratio.at_most ? *ratio.value <= ratio.target : *ratio.value >= ratio.target;
  absl::PrintF("ratio %s = %.3f (target %s %g) %s%s\n", ratio.name, *ratio.value, op, ratio.target,
               pass ? "PASS" : "MISS",
               ratio.note.empty() ? std::string() : absl::StrCat("  (", ratio.note, ")"));
}

absl::Status Run(const Options& options) {
  absl::PrintF("== customer_context_bench: %d customers, seed %d, %d samples, data %s%s\n",
               options.customers, options.seed, options.samples, options.data_dir,
               options.ci ? " (CI run)" : "");
  auto present = CheckDataDir(options);
  if (!present.ok()) return present.status();
  if (*present) {
    absl::PrintF("dataset: reusing %s (%d customers, seed %d, %.2f GiB)\n", options.data_dir,
                 options.customers, options.seed,
                 static_cast<double>(DirectoryBytes(options.data_dir)) / (1u << 30));
  } else if (auto s = LoadDataset(options); !s.ok()) {
    return s;
  }

  CpuWatch cpu;
  std::vector<Sample> samples;
  std::vector<ExpectedPop> expected;
  InProcessResult in_process;
  {
    // Reopened with servicedeskd's normal settings (WAL on, default block cache).
    storage::DatabaseOptions db_options;
    db_options.path = options.data_dir;
    db_options.block_cache_bytes = static_cast<std::size_t>(options.block_cache_mb) << 20;
    auto db = storage::Database::Open(db_options);
    if (!db.ok()) return db.status();
    storage::CustomerStore store(db->get());
    auto picked = PickSamples(options, store);
    if (!picked.ok()) return picked.status();
    samples = *std::move(picked);

    if (options.postgres()) {
      auto pg = PgConnection::Connect(options);
      if (!pg.ok()) return pg.status();
      if (options.load_pg) {
        if (auto s = LoadPostgres(options, db->get(), pg->get()); !s.ok()) return s;
      } else {
        auto dataset = (*pg)->Query("SELECT dataset FROM bench_dataset");
        if (!dataset.ok() || PQntuples(dataset->get()) != 1 ||
            DatasetRow(options) != PQgetvalue(dataset->get(), 0, 0)) {
          return absl::FailedPreconditionError(
              absl::StrCat("PostgreSQL database ", options.pg_dbname,
                           " does not hold this data set; run with --load-pg"));
        }
      }
    }

    cpu.Start({getpid()});
    auto measured = MeasureInProcess(samples, db->get(), &expected);
    if (!measured.ok()) return measured.status();
    in_process = *std::move(measured);
    const double others = cpu.Stop();
    absl::PrintF(
        "\n[1] in-process, storage only (block cache %d MiB, warm; other processes: %.2f CPUs)\n",
        options.block_cache_mb, others);
    PrintLatencies("CustomerQueries::ContextWire (limit 50)", in_process.context);
    PrintLatencies("rocksdb::DB::Get (customer row)", in_process.get);
  }

  absl::PrintF("\n");
  auto remote = MeasureRemote(options, samples, expected, &cpu);
  if (!remote.ok()) return remote.status();
  std::vector<RemoteResult>& r = *remote;
  const std::string one = ", 1 in flight";
  const std::string many = absl::StrCat(", ", options.in_flight, " in flight");
  absl::PrintF("\n[2] gRPC on loopback (%d client threads, one connection each, when saturating)\n",
               options.client_threads);
  const std::size_t raw_ping = r.size() - 2;
  const std::size_t raw_pop = r.size() - 1;
  for (std::size_t c : {kPing, kGrpcPop, raw_ping, raw_pop}) {
    PrintLatencies(r[c].name + one, r[c].sequential);
  }
  for (std::size_t c : {kPing, kGrpcPop, raw_ping, raw_pop}) {
    PrintSaturation(r[c].name + many, r[c].saturated);
  }
  if (options.postgres()) {
    absl::PrintF(
        "\n[3] PostgreSQL, the same screen pop in SQL over TCP (%d connections when "
        "saturating)\n",
        options.in_flight);
    for (PgVariant variant : kPgVariants) {
      RemoteResult& result = r[PgIndex(variant)];
      PrintLatencies(result.name + one, result.sequential);
    }
    for (PgVariant variant : kPgVariants) {
      RemoteResult& result = r[PgIndex(variant)];
      PrintSaturation(result.name + many, result.saturated);
    }
  } else {
    absl::PrintF(
        "\n[3] PostgreSQL: skipped (no --pg-port; run_customer_context_bench.sh starts one)\n");
  }

  const double grpc_p99 = r[kGrpcPop].sequential.PercentileUs(0.99);
  const double grpc_throughput = r[kGrpcPop].saturated.calls_per_second();
  std::vector<Ratio> ratios;
  ratios.push_back({"inprocess_context_p99_vs_rocksdb_get_p99",
                    in_process.context.PercentileUs(0.99) / in_process.get.PercentileUs(0.99), true,
                    8, ""});
  ratios.push_back({"grpc_context_p99_vs_ping_p99",
                    grpc_p99 / r[kPing].sequential.PercentileUs(0.99), true, 1.6, ""});
  ratios.push_back(
      {absl::StrCat("grpc_context_throughput_vs_ping_throughput_", options.in_flight, "_in_flight"),
       grpc_throughput / r[kPing].saturated.calls_per_second(), false, 0.6,
       "typed client: includes parsing the response"});
  ratios.push_back({"grpc_context_p99_vs_ping_p99_raw_client",
                    r[raw_pop].sequential.PercentileUs(0.99) /
                        r[raw_ping].sequential.PercentileUs(0.99),
                    true, 1.6, "raw client: server and transport"});
  ratios.push_back({absl::StrCat("grpc_context_throughput_vs_ping_throughput_", options.in_flight,
                                 "_in_flight_raw_client"),
                    r[raw_pop].saturated.calls_per_second() /
                        r[raw_ping].saturated.calls_per_second(),
                    false, 0.6, "raw client: server and transport"});
  const std::string pg_p99_name = "grpc_context_p99_vs_postgres_p99";
  const std::string pg_throughput_name = absl::StrCat(
      "grpc_context_throughput_vs_postgres_throughput_", options.in_flight, "_in_flight");
  if (options.postgres()) {
    // Fair to PostgreSQL: whichever of its two variants did better, per measure.
    PgVariant fastest = PgVariant::kSteps;
    PgVariant busiest = PgVariant::kSteps;
    for (PgVariant variant : kPgVariants) {
      if (r[PgIndex(variant)].sequential.PercentileUs(0.99) <
          r[PgIndex(fastest)].sequential.PercentileUs(0.99)) {
        fastest = variant;
      }
      if (r[PgIndex(variant)].saturated.calls_per_second() >
          r[PgIndex(busiest)].saturated.calls_per_second()) {
        busiest = variant;
      }
    }
    ratios.push_back({pg_p99_name, grpc_p99 / r[PgIndex(fastest)].sequential.PercentileUs(0.99),
                      true, 0.4, absl::StrCat("PostgreSQL: ", VariantName(fastest))});
    ratios.push_back({pg_throughput_name,
                      grpc_throughput / r[PgIndex(busiest)].saturated.calls_per_second(), false,
                      2.5, absl::StrCat("PostgreSQL: ", VariantName(busiest))});
  } else {
    ratios.push_back({pg_p99_name, std::nullopt, true, 0.4, "no PostgreSQL (--pg-port)"});
    ratios.push_back({pg_throughput_name, std::nullopt, false, 2.5, "no PostgreSQL (--pg-port)"});
  }

  // The medians have no targets, but other load on the machine moves them far less than
  // the tails: they show whether a p99 ratio is the code or the neighbours.
  std::vector<std::pair<std::string, double>> medians = {
      {"inprocess_context_p50_vs_rocksdb_get_p50",
       in_process.context.PercentileUs(0.5) / in_process.get.PercentileUs(0.5)},
      {"grpc_context_p50_vs_ping_p50",
       r[kGrpcPop].sequential.PercentileUs(0.5) / r[kPing].sequential.PercentileUs(0.5)}};
  std::string median_note;
  if (options.postgres()) {
    PgVariant fastest = PgVariant::kSteps;
    for (PgVariant variant : kPgVariants) {
      if (r[PgIndex(variant)].sequential.PercentileUs(0.5) <
          r[PgIndex(fastest)].sequential.PercentileUs(0.5)) {
        fastest = variant;
      }
    }
    medians.emplace_back("grpc_context_p50_vs_postgres_p50",
                         r[kGrpcPop].sequential.PercentileUs(0.5) /
                             r[PgIndex(fastest)].sequential.PercentileUs(0.5));
    median_note = absl::StrCat("; PostgreSQL: ", VariantName(fastest));
  }

  absl::PrintF("\n== summary (%d customers, seed %d%s)\n", options.customers, options.seed,
               options.ci ? "; CI data set, the targets are for 1,000,000" : "");
  for (const auto& ratio : ratios) PrintRatio(ratio);
  for (const auto& [name, value] : medians) {
    absl::PrintF("info %s = %.3f (no target%s)\n", name, value,
                 name == "grpc_context_p50_vs_postgres_p50" ? median_note : "");
  }
  if (cpu.Busy()) {
    absl::PrintF(
        "note: other processes kept up to %.2f of the %.0f CPUs busy while latencies were "
        "measured, so the p99s and the ratios built on them are unreliable (the p50 ratios are "
        "steadier); rerun on a quiet machine\n",
        cpu.highest(), CpuWatch::Cpus());
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace servicedesk::bench

int main(int argc, char** argv) {
  using servicedesk::bench::Options;
  Options options;
  CLI::App app{"customer_context_bench: the screen pop (GetCustomerContext) against its baselines"};
  // The last value wins, so that options after the script's "--" override the script's own.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--customers", options.customers, "customers in the data set")
      ->capture_default_str();
  app.add_option("--seed", options.seed, "DemoData seed")->capture_default_str();
  app.add_option("--data-dir", options.data_dir,
                 "RocksDB directory; reused when it holds the same --customers and --seed")
      ->capture_default_str();
  app.add_option("--samples", options.samples, "screen pops per measurement")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000000));
  app.add_option("--seconds", options.seconds, "measured time of each saturation run, in total")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 3600.0));
  app.add_option("--rounds", options.rounds, "saturation runs alternate in this many rounds")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  app.add_option("--in-flight", options.in_flight, "calls in flight in the saturation runs")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--client-threads", options.client_threads, "gRPC client threads when saturating")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--block-cache-mb", options.block_cache_mb, "RocksDB block cache")
      ->capture_default_str()
      ->check(CLI::Range(8, 1 << 20));
  auto* pg_host = app.add_option("--pg-host", options.pg_host, "PostgreSQL host (enables part 3)")
                      ->capture_default_str();
  app.add_option("--pg-port", options.pg_port, "PostgreSQL port (enables part 3)")
      ->check(CLI::Range(1, 65535));
  app.add_option("--pg-user", options.pg_user, "PostgreSQL user")->capture_default_str();
  app.add_option("--pg-dbname", options.pg_dbname, "PostgreSQL database")->capture_default_str();
  app.add_flag("--load-pg", options.load_pg, "load the data set into PostgreSQL first");
  app.add_flag("--ci", options.ci,
               "small quick run: 20,000 customers, 2,000 samples, 2 s saturation in 2 rounds");
  CLI11_PARSE(app, argc, argv);
  if (options.ci) {
    if (app.count("--customers") == 0) options.customers = 20000;
    if (app.count("--samples") == 0) options.samples = 2000;
    if (app.count("--seconds") == 0) options.seconds = 2;
    if (app.count("--rounds") == 0) options.rounds = 2;
  }
  if (*pg_host && options.pg_port == 0) options.pg_port = 5432;
  if (options.client_threads > options.in_flight) options.client_threads = options.in_flight;

  // Lines appear as they are printed even through a pipe (the script tees them).
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  servicedesk::server::ConfigureLogging("text", "warn");
  if (auto status = servicedesk::bench::Run(options); !status.ok()) {
    std::fflush(stdout);
    std::fprintf(stderr, "customer_context_bench: %s\n", std::string(status.ToString()).c_str());
    return 1;
  }
  return 0;
}
