#pragma once

// The desk's RocksDB database: opens every column family, checks the schema
// version and owns the handles. Thread-safe for reads (RocksDB is); writes go
// through EventWriter on the desk loop only.

#include <memory>
#include <string>
#include <vector>

#include <rocksdb/db.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace servicedesk::storage {

// The schema this build writes. A data directory written by a newer one is refused.
// History: 1 customer file; 2 adds the routing family; 3 the cti family; 4 the tickets
// family; 5 the complaints family; 6 the statistics family; 7 the customer_value family. An older directory is upgraded in place on open: the new
// families are created empty.
inline constexpr uint32_t kSchemaVersion = 7;

struct DatabaseOptions {
  std::string path;
  // Default: 256 MiB. Shared by every column family.
  std::size_t block_cache_bytes = 256u << 20;
  // Default: false. Whether an acknowledged write waits for fsync of the WAL.
  bool sync_writes = false;
  // Default: false. Bulk loaders (benchmark, demo data) may skip the WAL; they flush at the end.
  bool disable_wal = false;
};

enum class Family {
  kMeta,
  kCustomers,
  kCustomerIndex,
  kInteractions,
  kInteractionRequests,
  kScreenPop,
  kEvents,
  kRouting,
  kCti,
  kTickets,
  kComplaints,
  kStatistics,
  kCustomerValue,
};
inline constexpr int kFamilyCount = 13;
const char* FamilyName(Family family);

class Database {
 public:
  // Opens or creates the database at options.path.
  // Errors: FAILED_PRECONDITION when another process holds the directory's lock or the
  // directory was written by a newer schema; INTERNAL for other RocksDB failures. Each
  // message is one line that names the directory.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const DatabaseOptions& options);

  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  rocksdb::DB* db() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* handle(Family family) const {
    return handles_[static_cast<int>(family)];
  }
  const DatabaseOptions& options() const { return options_; }
  rocksdb::WriteOptions write_options() const;

  // Flushes memtables and the WAL to disk; called on graceful shutdown.
  absl::Status Flush();

  // The schema version stored in the directory.
  uint32_t schema_version() const { return schema_version_; }

 private:
  Database() = default;

  DatabaseOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* default_handle_ = nullptr;
  uint32_t schema_version_ = 0;
};

// rocksdb::Status to absl::Status, keeping the message.
absl::Status FromRocks(const rocksdb::Status& status, absl::string_view what);

}  // namespace servicedesk::storage
