// ticket_bench: creating tickets and listing a customer's open tickets at 1,000,000 tickets,
// throughput and p99 against the raw storage operations they need, in one run:
//
//   [1] TicketDesk::Create, timed on the desk loop, against one RocksDB write of the same
//       batch: the very entries the paired Create wrote (column family, operation, key
//       length, value bytes), read back from the WAL, put under keys of the same length in a
//       range nothing reads, with the same WriteOptions through the Database's rocksdb::DB*.
//       Both durable (sync_writes, servicedeskd's default: each waits for the WAL's fsync)
//       and with the sync off (EventWriter's deferred mode against WriteOptions::sync false),
//       because with the fsync in both the ratio says little about the desk's own work.
//   [2] TicketDesk::List (a customer, open_only) against the raw reads it needs: a prefix
//       iterator over the customer's 'c' index plus a Get of each ticket row (the same rows,
//       unparsed). For reference: the same reads with each row parsed, and Gets of the open
//       rows only (what an index of a customer's open tickets would read; always last, so warm).
//   [3] CreateTicket and ListTickets over gRPC on loopback, one call in flight, against
//       DiagnosticsService.Ping on the same server: the transport's share.
//
// Data: N customers from the demo generator (loaded the way servicedeskd's [demo] does, through
// CustomerCommands::Import), so that the screen-pop row every ticket change rewrites has its
// real size (the customers' histories), not that of an empty customer. Then tickets through
// TicketDesk::Create and ChangeStatus on the desk loop, 1,000 tickets per posted task (not a
// round trip each), with the sync off (sync_writes = false) so the fill is fast. Ticket k
// belongs to a customer drawn by hash (about 10 each); 70 % are solved or closed, 15 % open and
// 13 % pending, all with an assignee as worked tickets have, and 2 % stay new and unassigned,
// waiting in their queue as routing contacts. The measured creates are unassigned tickets in a
// queue, as an incoming e-mail is: they take the routing path too. The families the measured
// operations read are then flushed and compacted, and the server restarts with
// sync_writes = true: measured like a desk that has been running. Before measuring, the bench
// waits until RocksDB has no flush or compaction left to do (a restart leaves some); the output
// says in how many rounds a compaction ran anyway and how many cores other processes used,
// which on a shared two-core machine is most of the noise.
//
// The measured operations alternate with their baselines round by round, and which of a pair
// goes first alternates too (a raw write that goes first replays the previous Create's batch),
// so that noise and cold caches hit both alike. One operation at a time: throughput is
// 1 / mean time in the operation. Prints the figures and a summary of ratios with PASS/MISS
// against the targets; a MISS is a result, the exit code is non-zero only on failures.
//
// --dir keeps the data set there and reuses it while --customers and --tickets are unchanged
// (each run adds its measured tickets, about 14,000, and their waiting routing contacts);
// without it, a temporary directory is filled and removed.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <grpcpp/grpcpp.h>
#include <rocksdb/db.h>
#include <rocksdb/transaction_log.h>
#include <rocksdb/write_batch.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "services/server/desk_server.h"
#include "services/server/logging.h"
#include "servicedesk/v1/diagnostics.grpc.pb.h"
#include "servicedesk/v1/ticket.grpc.pb.h"
#include "storage/key_codec.h"
#include "storage/ticket_store.h"

namespace servicedesk::bench {
namespace {

namespace fs = std::filesystem;
namespace v1 = servicedesk::v1;
using Clock = std::chrono::steady_clock;
constexpr const char* kAgentToken = "bench-agent-token-0001";
constexpr const char* kPrincipal = "agents/bench";
constexpr const char* kMarkerFile = "ticket_bench.marker";
constexpr uint64_t kFillChunk = 1000;

double Micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }
double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

uint64_t Mix(uint64_t x) {  // SplitMix64: the data set depends only on the flags
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

struct Stats {
  double p50 = 0, p99 = 0, mean = 0;
  std::size_t n = 0;
  double per_s() const { return mean > 0 ? 1e6 / mean : 0; }
};

class Series {
 public:
  void Add(double us) { us_.push_back(us); }
  Stats Summarize() const {
    Stats s;
    s.n = us_.size();
    if (us_.empty()) return s;
    std::vector<double> sorted = us_;
    std::sort(sorted.begin(), sorted.end());
    s.p50 = sorted[static_cast<std::size_t>(0.5 * static_cast<double>(sorted.size() - 1))];
    s.p99 = sorted[static_cast<std::size_t>(0.99 * static_cast<double>(sorted.size() - 1))];
    double sum = 0;
    for (double v : sorted) sum += v;
    s.mean = sum / static_cast<double>(sorted.size());
    return s;
  }

 private:
  std::vector<double> us_;
};

// ---- the machine --------------------------------------------------------------------------

// Waits until no family has a flush or compaction pending or running; returns the seconds
// waited. A restart leaves compactions to do (the last run's flushed memtables), and on two
// cores they would take a core from the measured operations for a while.
double WaitForQuietStorage(storage::Database* db) {
  const auto start = Clock::now();
  for (;;) {
    bool busy = false;
    uint64_t value = 0;
    for (const auto* property : {&rocksdb::DB::Properties::kNumRunningCompactions,
                                 &rocksdb::DB::Properties::kNumRunningFlushes}) {
      busy = busy || (db->db()->GetIntProperty(*property, &value) && value > 0);
    }
    for (int i = 0; i < storage::kFamilyCount && !busy; ++i) {
      auto* family = db->handle(static_cast<storage::Family>(i));
      for (const auto* property : {&rocksdb::DB::Properties::kCompactionPending,
                                   &rocksdb::DB::Properties::kMemTableFlushPending}) {
        busy = busy || (db->db()->GetIntProperty(family, *property, &value) && value > 0);
      }
    }
    if (!busy) return Seconds(Clock::now() - start);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

bool CompactionRunning(storage::Database* db) {
  uint64_t value = 0;
  return db->db()->GetIntProperty(rocksdb::DB::Properties::kNumRunningCompactions, &value) && value > 0;
}

// CPU time of the whole machine and of this process, in clock ticks: what others used while
// we measured says how much of the noise came from outside (a shared two-core machine).
struct CpuTicks {
  long long machine_busy = 0, self = 0;
  static CpuTicks Now() {
    CpuTicks t;
    std::ifstream stat("/proc/stat");
    std::string cpu;
    long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
    t.machine_busy = user + nice + system + irq + softirq + steal;
    std::ifstream self("/proc/self/stat");
    std::string line;
    std::getline(self, line);
    // Fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string field;
    for (int i = 1; i <= 13 && rest >> field; ++i) {
      if (i >= 12) t.self += std::stoll(field);
    }
    return t;
  }
};

// Cores busy with other processes between `a` and `b`, `seconds` apart.
double OtherCores(const CpuTicks& a, const CpuTicks& b, double seconds) {
  const double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return std::max(0.0, static_cast<double>((b.machine_busy - a.machine_busy) - (b.self - a.self)) / hz / seconds);
}

// ---- the data set --------------------------------------------------------------------------

uint64_t CustomerOf(uint64_t k, uint64_t customers) { return 1 + Mix(k) % customers; }

// What happens to fill ticket k, out of 100: below 50 solved, below 70 solved then closed,
// below 85 open, below 98 pending (all four with an assignee, as worked tickets have), else it
// stays new without one and waits in its queue as a routing contact.
int PlanOf(uint64_t k) { return static_cast<int>(Mix(k ^ 0x5bd1e995ULL) % 100); }
constexpr int kWaiting = 98;
constexpr int kAgents = 50;

// `assignee` empty: the ticket arrives unassigned in a queue (routed, as a new e-mail is).
v1::CreateTicketRequest NewTicket(uint64_t customer_id, uint64_t k, std::string request_id,
                                  const std::string& assignee = "") {
  static constexpr const char* kSubjects[] = {
      "Invoice charged twice",        "Parcel not delivered",        "Cannot log in to the portal",
      "Change of billing address",    "Refund for a cancelled order", "Router keeps dropping the line",
      "Question about contract renewal", "Wrong item received"};
  static constexpr const char* kQueues[] = {"queues/billing", "queues/delivery", "queues/technical",
                                            "queues/contracts"};
  static constexpr v1::InteractionChannel kChannels[] = {
      v1::INTERACTION_CHANNEL_EMAIL, v1::INTERACTION_CHANNEL_EMAIL, v1::INTERACTION_CHANNEL_CHAT,
      v1::INTERACTION_CHANNEL_TICKET};
  v1::CreateTicketRequest request;
  request.set_request_id(std::move(request_id));
  auto* t = request.mutable_ticket();
  t->set_customer(absl::StrCat("customers/", customer_id));
  t->set_subject(absl::StrCat(kSubjects[k % 8], " (order ", 4'000'000 + k % 900'000, ")"));
  std::string description = absl::StrCat(
      "Hello, regarding order ", 4'000'000 + k % 900'000, " placed on my account last week: ");
  for (uint64_t i = 0; i <= k % 4; ++i) {
    absl::StrAppend(&description,
                    "the confirmation arrived but nothing happened since, and the tracking page "
                    "shows no update. Please look into it and let me know what to expect. ");
  }
  absl::StrAppend(&description, "Kind regards");
  t->set_description(std::move(description));
  t->set_channel(kChannels[k % 4]);
  const uint64_t p = Mix(k ^ 0x77) % 20;
  t->set_priority(p < 2    ? v1::TICKET_PRIORITY_LOW
                  : p < 14 ? v1::TICKET_PRIORITY_NORMAL
                  : p < 19 ? v1::TICKET_PRIORITY_HIGH
                           : v1::TICKET_PRIORITY_URGENT);
  t->set_queue(kQueues[(k / 3) % 4]);
  t->set_assignee(assignee);
  t->add_tags(kSubjects[k % 8][0] == 'R' ? "refund" : "order");
  if (k % 3 == 0) t->add_tags("vip-callback");
  (*t->mutable_custom_fields())["order"] = absl::StrCat(4'000'000 + k % 900'000);
  (*t->mutable_custom_fields())["source"] = k % 2 == 0 ? "web-form" : "mailbox";
  return request;
}

absl::Status Settle(server::TicketDesk& desk, const std::string& name, int plan) {
  auto change = [&](v1::TicketStatus to, v1::PendingReason reason = v1::PENDING_REASON_UNSPECIFIED) {
    v1::ChangeStatusRequest request;
    request.set_ticket(name);
    request.set_status(to);
    request.set_pending_reason(reason);
    return desk.ChangeStatus(request, kPrincipal).status();
  };
  if (plan < 70) {
    if (auto s = change(v1::TICKET_STATUS_SOLVED); !s.ok()) return s;
    if (plan >= 50) return change(v1::TICKET_STATUS_CLOSED);
    return absl::OkStatus();
  }
  if (plan < 85) return change(v1::TICKET_STATUS_OPEN);
  if (plan < kWaiting) return change(v1::TICKET_STATUS_PENDING, v1::PENDING_REASON_WAITING_ON_CUSTOMER);
  return absl::OkStatus();
}

server::Config DeskConfig(const std::string& data_dir, bool sync, int customers) {
  server::Config config;
  config.listen = "127.0.0.1:0";
  config.data_dir = data_dir;
  config.sync_writes = sync;
  config.default_region = "DE";
  config.log_level = "warn";
  config.tokens = {{kAgentToken, kPrincipal, server::Role::kAgent}};
  for (const char* name : {"queues/billing", "queues/delivery", "queues/technical", "queues/contracts"}) {
    v1::Queue queue;
    queue.set_name(name);
    queue.add_channels(v1::CONTACT_CHANNEL_TICKET);
    config.routing.queues.push_back(queue);
  }
  for (int i = 1; i <= kAgents; ++i) {
    v1::Agent agent;
    agent.set_name(absl::StrCat("agents/a-", i));
    config.routing.agents.push_back(agent);
  }
  // Loaded by Start only into an empty directory.
  config.demo_customers = customers;
  return config;
}

absl::StatusOr<std::unique_ptr<server::DeskServer>> StartDesk(const std::string& data_dir, bool sync,
                                                               int customers) {
  return server::DeskServer::Start(DeskConfig(data_dir, sync, customers));
}

uint64_t TicketCount(storage::Database* db) {
  std::string value;
  if (!db->db()->Get(rocksdb::ReadOptions(), db->handle(storage::Family::kMeta), "counter/ticket", &value).ok()) {
    return 0;
  }
  return storage::ReadU64(value).value_or(1) - 1;  // the counter holds the next id
}

std::string Marker(uint64_t customers, uint64_t tickets) {
  return absl::StrCat("customers=", customers, " tickets=", tickets, "\n");
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct FillReport {  // seconds
  double customers_s = 0, tickets_s = 0, compact_s = 0;
  uint64_t tickets = 0, changes = 0;
};

absl::StatusOr<FillReport> Fill(const std::string& data_dir, uint64_t customers, uint64_t tickets) {
  FillReport report;
  auto started = Clock::now();
  auto desk = StartDesk(data_dir, /*sync=*/false, static_cast<int>(customers));
  if (!desk.ok()) return desk.status();
  report.customers_s = Seconds(Clock::now() - started);
  std::printf("fill: %llu demo customers loaded in %.1f s\n", static_cast<unsigned long long>(customers),
              report.customers_s);
  std::fflush(stdout);
  storage::CustomerStore store((*desk)->database());
  for (uint64_t id : {uint64_t{1}, customers}) {
    if (!store.GetCustomer(id).ok()) {
      return absl::InternalError(absl::StrCat("the demo customers are not customers/1..", customers));
    }
  }

  started = Clock::now();
  const uint64_t report_every = std::max<uint64_t>(tickets / 10, kFillChunk);
  for (uint64_t first = 0; first < tickets; first += kFillChunk) {
    const uint64_t end = std::min(tickets, first + kFillChunk);
    auto done = (*desk)->OnTicketDesk([&](server::TicketDesk& d) -> absl::StatusOr<uint64_t> {
      uint64_t changes = 0;
      for (uint64_t k = first; k < end; ++k) {
        const int plan = PlanOf(k);
        const std::string assignee = plan < kWaiting ? absl::StrCat("agents/a-", 1 + Mix(k) % kAgents) : "";
        auto ticket =
            d.Create(NewTicket(CustomerOf(k, customers), k, absl::StrCat("fill-", k), assignee), kPrincipal);
        if (!ticket.ok()) return ticket.status();
        if (auto s = Settle(d, ticket->name(), plan); !s.ok()) return s;
        changes += plan >= kWaiting ? 0 : plan >= 50 && plan < 70 ? 2 : 1;
      }
      return changes;
    });
    if (!done.ok()) return done.status();
    report.changes += *done;
    if (end % report_every == 0 || end == tickets) {
      const double s = Seconds(Clock::now() - started);
      std::fprintf(stderr, "fill: %llu / %llu tickets, %.0f s (%.0f tickets/s)\n",
                   static_cast<unsigned long long>(end), static_cast<unsigned long long>(tickets), s,
                   static_cast<double>(end) / s);
    }
  }
  report.tickets = tickets;
  report.tickets_s = Seconds(Clock::now() - started);

  // A settled LSM, as a desk that has been running has, rather than the fill's L0 backlog.
  started = Clock::now();
  storage::Database* db = (*desk)->database();
  if (auto s = db->Flush(); !s.ok()) return s;
  for (auto family : {storage::Family::kTickets, storage::Family::kScreenPop, storage::Family::kCustomers}) {
    auto status = db->db()->CompactRange(rocksdb::CompactRangeOptions(), db->handle(family), nullptr, nullptr);
    if (!status.ok()) return storage::FromRocks(status, "compacting");
  }
  WaitForQuietStorage(db);  // the other families' backlog too, rather than in the measured phase
  report.compact_s = Seconds(Clock::now() - started);
  (*desk)->Shutdown();
  return report;
}

// ---- the raw baselines -----------------------------------------------------------------------

// One captured write: what a Create put into its WriteBatch.
struct Shape {
  enum class Op { kPut, kDelete, kMerge };
  struct Entry {
    uint32_t family;
    Op op;
    std::size_t key_size;
    std::string value;
  };
  std::vector<Entry> entries;
  std::size_t data_size = 0;  // WriteBatch::GetDataSize (the WAL record)
};

class ShapeCapture final : public rocksdb::WriteBatch::Handler {
 public:
  explicit ShapeCapture(Shape* shape) : shape_(shape) {}
  rocksdb::Status PutCF(uint32_t family, const rocksdb::Slice& key, const rocksdb::Slice& value) override {
    shape_->entries.push_back({family, Shape::Op::kPut, key.size(), value.ToString()});
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(uint32_t family, const rocksdb::Slice& key) override {
    shape_->entries.push_back({family, Shape::Op::kDelete, key.size(), ""});
    return rocksdb::Status::OK();
  }
  rocksdb::Status MergeCF(uint32_t family, const rocksdb::Slice& key, const rocksdb::Slice& value) override {
    shape_->entries.push_back({family, Shape::Op::kMerge, key.size(), value.ToString()});
    return rocksdb::Status::OK();
  }

 private:
  Shape* shape_;
};

// Reads the batches back from the WAL as they are written. A TransactionLogIterator follows
// the live WAL file; a new iterator is needed only when RocksDB switched to another file (a
// fresh GetUpdatesSince per batch would read the whole live file each time).
class WalTail {
 public:
  explicit WalTail(rocksdb::DB* db) : db_(db) {}

  // The batch whose first sequence number is `seq`.
  absl::StatusOr<Shape> At(rocksdb::SequenceNumber seq) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (attempt > 0 || !iter_) {
        iter_.reset();
        auto status = db_->GetUpdatesSince(seq, &iter_);
        if (!status.ok()) return storage::FromRocks(status, "reading the WAL");
      } else if (!iter_->Valid()) {
        iter_->Next();  // at the tail of the live file: reads what was written since
      }
      while (iter_->Valid()) {
        rocksdb::BatchResult batch = iter_->GetBatch();
        if (batch.sequence > seq) break;
        iter_->Next();  // GetBatch gave the batch away: never read it twice
        if (batch.sequence < seq) continue;
        Shape shape;
        shape.data_size = batch.writeBatchPtr->GetDataSize();
        ShapeCapture capture(&shape);
        auto status = batch.writeBatchPtr->Iterate(&capture);
        if (!status.ok()) return storage::FromRocks(status, "decoding a WAL batch");
        return shape;
      }
    }
    return absl::InternalError(absl::StrCat("the batch at sequence ", seq, " is not in the WAL"));
  }

 private:
  rocksdb::DB* db_;
  std::unique_ptr<rocksdb::TransactionLogIterator> iter_;
};

// Writes a captured shape under keys of the same lengths in ["\xff\xfe", "\xff\xff") of the
// same families: past every key the desk reads, unique per entry (a Create's rows are new
// keys too, but for its counters and the screen-pop row), removed at the end.
class RawWriter {
 public:
  explicit RawWriter(storage::Database* db) : db_(db) {
    for (int i = 0; i < storage::kFamilyCount; ++i) {
      auto* handle = db->handle(static_cast<storage::Family>(i));
      handles_[handle->GetID()] = handle;
    }
  }

  absl::StatusOr<double> Write(const Shape& shape, const rocksdb::WriteOptions& options) {
    keys_.clear();
    for (const auto& e : shape.entries) keys_.push_back(NextKey(e.key_size));
    const auto start = Clock::now();
    rocksdb::WriteBatch batch;
    for (std::size_t i = 0; i < shape.entries.size(); ++i) {
      const auto& e = shape.entries[i];
      auto found = handles_.find(e.family);
      if (found == handles_.end()) return absl::InternalError("a Create wrote to an unknown column family");
      auto* family = found->second;
      rocksdb::Status s;
      switch (e.op) {
        case Shape::Op::kPut: s = batch.Put(family, keys_[i], e.value); break;
        case Shape::Op::kDelete: s = batch.Delete(family, keys_[i]); break;
        case Shape::Op::kMerge: s = batch.Put(family, keys_[i], e.value); break;  // no merge operand of ours
      }
      if (!s.ok()) return storage::FromRocks(s, "building the raw batch");
    }
    auto status = db_->db()->Write(options, &batch);
    const double us = Micros(Clock::now() - start);
    if (!status.ok()) return storage::FromRocks(status, "raw batch write");
    return us;
  }

  static absl::Status Clean(storage::Database* db) {
    for (int i = 0; i < storage::kFamilyCount; ++i) {
      auto status = db->db()->DeleteRange(rocksdb::WriteOptions(), db->handle(static_cast<storage::Family>(i)),
                                          "\xff\xfe", "\xff\xff");
      if (!status.ok()) return storage::FromRocks(status, "removing the raw baseline's rows");
    }
    return absl::OkStatus();
  }

 private:
  std::string NextKey(std::size_t size) {
    const uint64_t n = ++next_;
    std::string key = "\xff\xfe";
    std::string counter;
    storage::AppendU64(&counter, n);
    if (size >= 10) {
      key += counter;
      key.append(size - 10, 'k');
    } else {
      key += counter.substr(10 - std::max<std::size_t>(size, 4));  // the low bytes: 2^48 keys at 8 bytes
    }
    return key;
  }

  storage::Database* db_;
  std::map<uint32_t, rocksdb::ColumnFamilyHandle*> handles_;
  std::vector<std::string> keys_;
  uint64_t next_ = 0;
};

std::string IndexPrefix(uint64_t customer_id) {
  std::string prefix(1, 'c');
  storage::AppendU64(&prefix, customer_id);
  return prefix;
}

std::string TicketKey(uint64_t id) {
  std::string key(1, 't');
  storage::AppendU64(&key, id);
  return key;
}

// What TicketDesk::List reads for a customer: the 'c' index rows, then each ticket row.
// `parse`: also decode each row, as List must to filter by status.
absl::StatusOr<int> RawCustomerScan(storage::Database* db, uint64_t customer_id, bool parse) {
  auto* family = db->handle(storage::Family::kTickets);
  const std::string prefix = IndexPrefix(customer_id);
  std::unique_ptr<rocksdb::Iterator> it(db->db()->NewIterator(rocksdb::ReadOptions(), family));
  rocksdb::PinnableSlice value;
  v1::TicketRow row;
  int rows = 0;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    auto inverted = storage::ReadU64(it->key().ToStringView(), prefix.size());
    if (!inverted) return absl::DataLossError("unreadable customer index row");
    value.Reset();
    auto status = db->db()->Get(rocksdb::ReadOptions(), family,
                                TicketKey(std::numeric_limits<uint64_t>::max() - *inverted), &value);
    if (!status.ok()) return storage::FromRocks(status, "raw ticket Get");
    if (parse && !row.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      return absl::DataLossError("unreadable ticket row");
    }
    ++rows;
  }
  if (!it->status().ok()) return storage::FromRocks(it->status(), "raw index scan");
  return rows;
}

absl::Status RawGets(storage::Database* db, const std::vector<uint64_t>& ids) {
  auto* family = db->handle(storage::Family::kTickets);
  rocksdb::PinnableSlice value;
  for (uint64_t id : ids) {
    value.Reset();
    auto status = db->db()->Get(rocksdb::ReadOptions(), family, TicketKey(id), &value);
    if (!status.ok()) return storage::FromRocks(status, "raw ticket Get");
  }
  return absl::OkStatus();
}

// ---- the measured phase ----------------------------------------------------------------------

struct InProcess {
  Series create[2], raw_write[2];  // [0] durable, [1] sync off
  Series list, raw_scan, raw_scan_parsed, open_gets;
  double batch_entries = 0, batch_bytes = 0, batches = 0;
  std::map<uint32_t, std::pair<double, double>> per_family;  // entries, key and value bytes (sums)
  double rows_scanned = 0, rows_listed = 0, lists = 0;
};

void Print(const char* label, const Stats& s) {
  std::printf("  %-52s p50 %8.1f us  p99 %8.1f us  %9.0f ops/s\n", label, s.p50, s.p99, s.per_s());
}

double Ratio(double a, double b) { return b > 0 ? a / b : 0; }

}  // namespace
}  // namespace servicedesk::bench

int main(int argc, char** argv) {
  using namespace servicedesk::bench;
  namespace server = servicedesk::server;
  namespace storage = servicedesk::storage;
  CLI::App app{"ticket_bench: ticket create and a customer's open tickets at 1,000,000 tickets"};
  uint64_t tickets = 1'000'000;
  uint64_t customers = 100'000;
  int samples = 5000;
  int grpc_samples = 3000;
  std::string dir;
  app.add_option("--tickets", tickets, "tickets in the data set before measuring")->capture_default_str();
  app.add_option("--customers", customers, "demo customers the tickets belong to")->capture_default_str();
  app.add_option("--samples", samples, "in-process rounds (each: 2 creates, 2 raw writes, list, raw reads)")
      ->capture_default_str();
  app.add_option("--grpc-samples", grpc_samples, "gRPC rounds (CreateTicket, ListTickets, Ping)")
      ->capture_default_str();
  app.add_option("--dir", dir, "keep the data set here and reuse it (default: a temporary directory)");
  CLI11_PARSE(app, argc, argv);
  if (customers == 0 || customers > 10'000'000 || tickets == 0 || samples < 1 || grpc_samples < 1) {
    std::fprintf(stderr, "ticket_bench: --customers 1 to 10,000,000, --tickets and the samples at least 1\n");
    return 2;
  }
  server::ConfigureLogging("text", "warn");  // the server's logs are not measured
  const bool keep = !dir.empty();
  if (!keep) dir = (fs::temp_directory_path() / absl::StrCat("servicedesk-ticket-bench-", ::getpid())).string();
  const std::string data_dir = dir + "/data";
  auto fail = [&](const absl::Status& s) {
    std::fprintf(stderr, "ticket_bench: %s\n", s.ToString().c_str());
    if (!keep) fs::remove_all(dir);
    return 1;
  };

  // ---- data set
  const bool reuse = keep && ReadFile(fs::path(dir) / kMarkerFile) == Marker(customers, tickets);
  if (reuse) {
    std::printf("data set: reusing %s\n", dir.c_str());
    // A run that died midway may have left raw baseline rows behind (they would pass for events).
    auto db = storage::Database::Open({.path = data_dir});
    if (!db.ok()) return fail(db.status());
    if (auto s = RawWriter::Clean(db->get()); !s.ok()) return fail(s);
  } else {
    // Only what this bench put there: --dir may name a directory that holds other things.
    fs::remove(fs::path(dir) / kMarkerFile);
    fs::remove_all(data_dir);
    fs::create_directories(dir);
    auto report = Fill(data_dir, customers, tickets);
    if (!report.ok()) return fail(report.status());
    const double commits = static_cast<double>(report->tickets + report->changes);
    std::printf("fill: %llu tickets and %llu status changes in %.1f s (%.0f tickets/s, %.0f commits/s), "
                "sync off; flush, compaction and the compactions that follow %.1f s\n",
                static_cast<unsigned long long>(report->tickets), static_cast<unsigned long long>(report->changes),
                report->tickets_s, static_cast<double>(report->tickets) / report->tickets_s,
                commits / report->tickets_s, report->compact_s);
    std::fflush(stdout);
    std::ofstream(fs::path(dir) / kMarkerFile) << Marker(customers, tickets);
  }

  auto started = Clock::now();
  auto started_desk = StartDesk(data_dir, /*sync=*/true, static_cast<int>(customers));
  if (!started_desk.ok()) return fail(started_desk.status());
  auto desk = *std::move(started_desk);
  const double restart_s = Seconds(Clock::now() - started);
  const double settle_s = WaitForQuietStorage(desk->database());
  storage::Database* db = desk->database();
  auto* writer = desk->OnDesks([](server::RoutingDesk&, server::CtiDesk&, storage::EventWriter& w) { return &w; });
  const uint64_t ticket_count = TicketCount(db);
  auto open_ids = storage::TicketStore(db).OpenTicketIds();
  if (!open_ids.ok()) return fail(open_ids.status());
  const std::size_t open_count = open_ids->size();
  open_ids->clear();

  // ---- [1] and [2], in-process
  InProcess r;
  WalTail wal(db->db());
  RawWriter raw(db);
  std::optional<Shape> shape;
  std::mt19937_64 rng(Mix(static_cast<uint64_t>(::getpid()) ^ static_cast<uint64_t>(Clock::now().time_since_epoch().count())));
  const std::string run = absl::StrCat(rng() % 1'000'000'000);  // request ids unique across reused runs
  std::uniform_int_distribution<uint64_t> any_customer(1, customers);
  const int warmup = std::min(300, samples);
  uint64_t next_request = 0;

  auto round = [&](int i, bool record) {
    const uint64_t create_customers[2] = {any_customer(rng), any_customer(rng)};
    const uint64_t list_customer = any_customer(rng);
    return desk->OnTicketDesk([&](server::TicketDesk& d) -> absl::Status {
      const bool baseline_first = i % 2 == 1 && shape.has_value();
      for (int mode = 0; mode < 2; ++mode) {
        rocksdb::WriteOptions options = db->write_options();
        if (mode == 1) options.sync = false;
        auto raw_write = [&]() -> absl::Status {
          auto us = raw.Write(*shape, options);
          if (!us.ok()) return us.status();
          if (record) r.raw_write[mode].Add(*us);
          return absl::OkStatus();
        };
        auto create = [&]() -> absl::Status {
          const uint64_t k = next_request++;
          auto request = NewTicket(create_customers[mode], k, absl::StrCat("bench-", run, "-", k));
          const auto before = db->db()->GetLatestSequenceNumber();
          if (mode == 1) writer->set_defer_sync(true);
          const auto start = Clock::now();
          auto ticket = d.Create(std::move(request), kPrincipal);
          const double us = Micros(Clock::now() - start);
          if (mode == 1) writer->set_defer_sync(false);
          if (!ticket.ok()) return ticket.status();
          auto captured = wal.At(before + 1);
          if (!captured.ok()) return captured.status();
          if (before + captured->entries.size() != db->db()->GetLatestSequenceNumber()) {
            return absl::InternalError("Create wrote more than one batch: the baseline would be short");
          }
          shape = *std::move(captured);
          if (record) {
            r.create[mode].Add(us);
            r.batches += 1;
            r.batch_entries += static_cast<double>(shape->entries.size());
            r.batch_bytes += static_cast<double>(shape->data_size);
            for (const auto& e : shape->entries) {
              r.per_family[e.family].first += 1;
              r.per_family[e.family].second += static_cast<double>(e.key_size + e.value.size());
            }
          }
          return absl::OkStatus();
        };
        if (baseline_first) {
          if (auto s = raw_write(); !s.ok()) return s;
          if (auto s = create(); !s.ok()) return s;
        } else {
          if (auto s = create(); !s.ok()) return s;
          if (auto s = raw_write(); !s.ok()) return s;
        }
        if (mode == 1) {
          if (auto s = writer->SyncDeferred(); !s.ok()) return s;  // untimed: the next pair starts clean
        }
      }

      v1::ListTicketsRequest request;
      request.set_customer(absl::StrCat("customers/", list_customer));
      request.set_open_only(true);
      std::optional<v1::ListTicketsResponse> listed;
      auto list = [&]() -> absl::Status {
        const auto start = Clock::now();
        auto response = d.List(request);
        const double us = Micros(Clock::now() - start);
        if (!response.ok()) return response.status();
        if (record) r.list.Add(us);
        listed = *std::move(response);
        return absl::OkStatus();
      };
      auto scan = [&](bool parse) -> absl::Status {
        const auto start = Clock::now();
        auto rows = RawCustomerScan(db, list_customer, parse);
        const double us = Micros(Clock::now() - start);
        if (!rows.ok()) return rows.status();
        if (record) {
          (parse ? r.raw_scan_parsed : r.raw_scan).Add(us);
          if (!parse) r.rows_scanned += *rows;
        }
        return absl::OkStatus();
      };
      // Whichever goes first meets the customer's blocks cold: each does a third of the time.
      for (int step = 0; step < 3; ++step) {
        const int which = (i + step) % 3;
        if (auto s = which == 0 ? list() : scan(which == 2); !s.ok()) return s;
      }
      std::vector<uint64_t> ids;
      for (const auto& t : listed->tickets()) ids.push_back(std::stoull(t.name().substr(8)));
      const auto start = Clock::now();
      if (auto s = RawGets(db, ids); !s.ok()) return s;
      if (record) {
        r.open_gets.Add(Micros(Clock::now() - start));
        r.rows_listed += static_cast<double>(ids.size());
        r.lists += 1;
      }
      return absl::OkStatus();
    });
  };
  int compacting_rounds = 0;
  started = Clock::now();
  const CpuTicks cpu_before = CpuTicks::Now();
  for (int i = 0; i < warmup + samples; ++i) {
    if (auto s = round(i, i >= warmup); !s.ok()) {
      RawWriter::Clean(db).IgnoreError();
      return fail(s);
    }
    if (i >= warmup && CompactionRunning(db)) ++compacting_rounds;
  }
  const double in_process_s = Seconds(Clock::now() - started);
  const double in_process_others = OtherCores(cpu_before, CpuTicks::Now(), in_process_s);

  // ---- [3] over gRPC
  grpc::ChannelArguments args;
  args.SetInt("grpc.use_local_subchannel_pool", 1);
  auto channel = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", desk->port()),
                                           grpc::InsecureChannelCredentials(), args);
  auto ticket_stub = v1::TicketService::NewStub(channel);
  auto diagnostics_stub = v1::DiagnosticsService::NewStub(channel);
  Series grpc_create, grpc_list, grpc_ping;
  int grpc_failures = 0;
  auto call = [&](int op, bool record) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", kAgentToken));
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Status status;
    Clock::time_point start;
    if (op == 0) {
      const uint64_t k = next_request++;
      auto request = NewTicket(any_customer(rng), k, absl::StrCat("bench-", run, "-", k));
      v1::Ticket reply;
      start = Clock::now();
      status = ticket_stub->CreateTicket(&context, request, &reply);
    } else if (op == 1) {
      v1::ListTicketsRequest request;
      request.set_customer(absl::StrCat("customers/", any_customer(rng)));
      request.set_open_only(true);
      v1::ListTicketsResponse reply;
      start = Clock::now();
      status = ticket_stub->ListTickets(&context, request, &reply);
    } else {
      v1::PingRequest request;
      v1::PingResponse reply;
      start = Clock::now();
      status = diagnostics_stub->Ping(&context, request, &reply);
    }
    const double us = Micros(Clock::now() - start);
    if (!status.ok()) {
      if (++grpc_failures <= 3) std::fprintf(stderr, "ticket_bench: gRPC: %s\n", status.error_message().c_str());
      return;
    }
    if (record) (op == 0 ? grpc_create : op == 1 ? grpc_list : grpc_ping).Add(us);
  };
  const int grpc_warmup = std::min(200, grpc_samples);
  started = Clock::now();
  const CpuTicks grpc_cpu_before = CpuTicks::Now();
  for (int i = 0; i < grpc_warmup + grpc_samples; ++i) {
    for (int j = 0; j < 3; ++j) call((i + j) % 3, i >= grpc_warmup);
  }
  const double grpc_s = Seconds(Clock::now() - started);
  const double grpc_others = OtherCores(grpc_cpu_before, CpuTicks::Now(), grpc_s);
  const uint64_t tickets_after = TicketCount(db);
  if (auto s = RawWriter::Clean(db); !s.ok()) return fail(s);
  desk->Shutdown();

  // ---- report
  std::printf("data set: %llu customers, %llu tickets (%zu open) at the start of the measurement, %llu at "
              "the end; restart with sync on %.1f s, then %.1f s until RocksDB's compactions were done\n",
              static_cast<unsigned long long>(customers), static_cast<unsigned long long>(ticket_count),
              open_count, static_cast<unsigned long long>(tickets_after), restart_s, settle_s);
  std::printf("in-process: %d rounds after %d warm-up rounds, %.1f s, a compaction running in %d of them, "
              "other processes busy %.2f cores; gRPC: %d rounds, %.1f s, others %.2f cores\n",
              samples, warmup, in_process_s, compacting_rounds, in_process_others, grpc_samples, grpc_s,
              grpc_others);

  const Stats create_durable = r.create[0].Summarize(), raw_durable = r.raw_write[0].Summarize();
  const Stats create_unsynced = r.create[1].Summarize(), raw_unsynced = r.raw_write[1].Summarize();
  const Stats list = r.list.Summarize(), scan = r.raw_scan.Summarize();
  const Stats scan_parsed = r.raw_scan_parsed.Summarize(), open_gets = r.open_gets.Summarize();
  const Stats g_create = grpc_create.Summarize(), g_list = grpc_list.Summarize(), g_ping = grpc_ping.Summarize();

  std::printf("\n[1] create (timed on the desk loop)\n");
  std::printf("  the batch of a Create: %.1f entries, %.0f bytes on average; per family (entries, bytes):",
              r.batch_entries / std::max(1.0, r.batches), r.batch_bytes / std::max(1.0, r.batches));
  for (const auto& [family, sums] : r.per_family) {
    const char* name = "default";
    for (int i = 0; i < storage::kFamilyCount; ++i) {
      if (db->handle(static_cast<storage::Family>(i))->GetID() == family) {
        name = storage::FamilyName(static_cast<storage::Family>(i));
      }
    }
    std::printf(" %s %.1f/%.0f", name, sums.first / r.batches, sums.second / r.batches);
  }
  std::printf("\n");
  Print("TicketDesk::Create, durable (WAL fsync)", create_durable);
  Print("raw WriteBatch of the same entries, durable", raw_durable);
  Print("TicketDesk::Create, sync off", create_unsynced);
  Print("raw WriteBatch of the same entries, sync off", raw_unsynced);
  std::printf("\n[2] a customer's open tickets (%.1f index rows and ticket rows read, %.1f open returned)\n",
              r.rows_scanned / std::max(1.0, r.lists), r.rows_listed / std::max(1.0, r.lists));
  Print("TicketDesk::List (customer, open_only)", list);
  Print("raw: 'c' prefix scan + Get of each ticket row", scan);
  Print("the same, each row parsed (reference)", scan_parsed);
  Print("Get of the open rows only (reference, warm)", open_gets);
  std::printf("\n[3] over gRPC on loopback, one call in flight, sync on\n");
  Print("CreateTicket", g_create);
  Print("ListTickets (customer, open_only)", g_list);
  Print("DiagnosticsService.Ping", g_ping);

  auto verdict = [](double ratio, double target) { return ratio <= target ? "PASS" : "MISS"; };
  const double c_durable = Ratio(create_durable.p99, raw_durable.p99);
  const double c_unsynced = Ratio(create_unsynced.p99, raw_unsynced.p99);
  const double l_ratio = Ratio(list.p99, scan.p99);
  std::printf("\n== summary\n");
  std::printf("ratio create_p99_vs_raw_write_p99_durable = %.2f (target <= 5) %s\n", c_durable,
              verdict(c_durable, 5));
  std::printf("ratio create_p99_vs_raw_write_p99_sync_off = %.2f (target <= 5) %s\n", c_unsynced,
              verdict(c_unsynced, 5));
  std::printf("ratio list_open_p99_vs_raw_scan_p99 = %.2f (target <= 3) %s\n", l_ratio, verdict(l_ratio, 3));
  std::printf("ratio create_throughput_vs_raw_write_durable = %.2f (%.0f / %.0f per s)\n",
              Ratio(create_durable.per_s(), raw_durable.per_s()), create_durable.per_s(), raw_durable.per_s());
  std::printf("ratio create_throughput_vs_raw_write_sync_off = %.2f (%.0f / %.0f per s)\n",
              Ratio(create_unsynced.per_s(), raw_unsynced.per_s()), create_unsynced.per_s(), raw_unsynced.per_s());
  std::printf("ratio list_open_throughput_vs_raw_scan = %.2f (%.0f / %.0f per s)\n",
              Ratio(list.per_s(), scan.per_s()), list.per_s(), scan.per_s());
  std::printf("ratio list_open_p99_vs_open_rows_get_p99 = %.2f (no target: what an open-per-customer index would read)\n",
              Ratio(list.p99, open_gets.p99));
  std::printf("ratio grpc_create_p99_vs_in_process_durable_p99 = %.2f\n", Ratio(g_create.p99, create_durable.p99));
  std::printf("ratio grpc_create_p99_vs_ping_p99 = %.2f\n", Ratio(g_create.p99, g_ping.p99));
  std::printf("ratio grpc_list_p99_vs_ping_p99 = %.2f\n", Ratio(g_list.p99, g_ping.p99));
  std::printf("ratio grpc_list_p99_vs_in_process_list_p99 = %.2f\n", Ratio(g_list.p99, list.p99));

  if (!keep) fs::remove_all(dir);
  if (grpc_failures > 0) {
    std::fprintf(stderr, "ticket_bench: %d gRPC calls failed\n", grpc_failures);
    return 1;
  }
  return 0;
}
