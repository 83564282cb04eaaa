#include "storage/database.h"

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "storage/id_set_merge.h"
#include "storage/key_codec.h"

namespace servicedesk::storage {

namespace {
constexpr const char* kFamilyNames[kFamilyCount] = {
    "meta", "customers", "customer_index", "interactions", "interaction_requests",
    "screen_pop", "events", "routing", "cti", "tickets", "complaints", "statistics",
    "customer_value"};
constexpr const char* kSchemaVersionKey = "schema_version";

rocksdb::ColumnFamilyOptions FamilyOptions(Family family,
                                           const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions cf;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10, false));
  table.format_version = 5;
  cf.compression = rocksdb::kLZ4Compression;
  cf.bottommost_compression = rocksdb::kZSTD;
  switch (family) {
    case Family::kCustomerIndex:
      cf.merge_operator = std::make_shared<IdSetMergeOperator>();
      break;
    case Family::kInteractions:
      // Reads are prefix scans of one customer: bloom filters on the customer id
      // skip files that hold none of theirs; bigger blocks hold a whole history page.
      cf.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(kCustomerPrefixLength));
      table.whole_key_filtering = false;
      table.block_size = 16 * 1024;
      break;
    case Family::kScreenPop:
      // One row of up to ~20 KB per customer, read whole by point lookups.
      table.block_size = 32 * 1024;
      break;
    case Family::kEvents:
      // Append-only and read in order; no point lookups to filter.
      table.filter_policy.reset();
      break;
    default:
      break;
  }
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return cf;
}
}  // namespace

const char* FamilyName(Family family) { return kFamilyNames[static_cast<int>(family)]; }

absl::Status FromRocks(const rocksdb::Status& status, absl::string_view what) {
  if (status.ok()) return absl::OkStatus();
  std::string message = absl::StrCat(what, ": ", status.ToString());
  if (status.IsNotFound()) return absl::NotFoundError(message);
  if (status.IsInvalidArgument()) return absl::InvalidArgumentError(message);
  if (status.IsBusy() || status.IsTryAgain()) return absl::UnavailableError(message);
  return absl::InternalError(message);
}

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const DatabaseOptions& options) {
  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.bytes_per_sync = 1 << 20;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_options.keep_log_file_num = 5;

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  for (int i = 0; i < kFamilyCount; ++i) {
    descriptors.emplace_back(kFamilyNames[i], FamilyOptions(static_cast<Family>(i), cache));
  }

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(db_options, options.path, descriptors, &handles, &raw);
  if (!status.ok()) {
    const std::string text = status.ToString();
    if (status.IsIOError() && (absl::StrContains(text, "lock") || absl::StrContains(text, "LOCK"))) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data directory ", options.path, " is locked by another process (is servicedeskd already running?)"));
    }
    if (status.IsInvalidArgument() && absl::StrContains(text, "Column famil")) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data directory ", options.path,
          " holds column families this servicedeskd does not know; it was written by a newer version"));
    }
    return absl::InternalError(absl::StrCat("cannot open data directory ", options.path, ": ", text));
  }

  std::unique_ptr<Database> database(new Database());
  database->options_ = options;
  database->db_.reset(raw);
  database->default_handle_ = handles[0];
  database->handles_.assign(handles.begin() + 1, handles.end());

  // Schema version: absent means a new directory.
  std::string value;
  rocksdb::Status get = raw->Get(rocksdb::ReadOptions(), database->handle(Family::kMeta),
                                 kSchemaVersionKey, &value);
  if (get.IsNotFound()) {
    std::string encoded;
    AppendU32(&encoded, kSchemaVersion);
    rocksdb::WriteOptions write;
    write.sync = true;
    auto put = raw->Put(write, database->handle(Family::kMeta), kSchemaVersionKey, encoded);
    if (!put.ok()) return FromRocks(put, "writing schema version");
    database->schema_version_ = kSchemaVersion;
  } else if (!get.ok()) {
    return FromRocks(get, "reading schema version");
  } else {
    auto version = ReadU32(value);
    if (!version || value.size() != 4) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data directory ", options.path, " has an unreadable schema version; refusing to touch it"));
    }
    if (*version > kSchemaVersion) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data directory ", options.path, " was written by schema version ", *version,
          "; this servicedeskd reads up to version ", kSchemaVersion));
    }
    database->schema_version_ = *version;
    if (*version < kSchemaVersion) {
      // Every upgrade so far only added column families, which the open created.
      std::string encoded;
      AppendU32(&encoded, kSchemaVersion);
      rocksdb::WriteOptions write;
      write.sync = true;
      auto put = raw->Put(write, database->handle(Family::kMeta), kSchemaVersionKey, encoded);
      if (!put.ok()) return FromRocks(put, "upgrading the schema version");
      database->schema_version_ = kSchemaVersion;
    }
  }
  return database;
}

Database::~Database() {
  if (!db_) return;
  for (auto* handle : handles_) {
    db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  }
  db_->DestroyColumnFamilyHandle(default_handle_).PermitUncheckedError();
  db_->Close().PermitUncheckedError();
}

rocksdb::WriteOptions Database::write_options() const {
  rocksdb::WriteOptions write;
  write.sync = options_.sync_writes;
  write.disableWAL = options_.disable_wal;
  return write;
}

absl::Status Database::Flush() {
  rocksdb::FlushOptions flush;
  flush.wait = true;
  auto status = db_->Flush(flush, handles_);
  if (!status.ok()) return FromRocks(status, "flushing memtables");
  if (!options_.disable_wal) {
    status = db_->FlushWAL(/*sync=*/true);
    if (!status.ok()) return FromRocks(status, "syncing the WAL");
  }
  return absl::OkStatus();
}

}  // namespace servicedesk::storage
