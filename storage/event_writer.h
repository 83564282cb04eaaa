#pragma once

// The single writer. Every mutation of desk state is one WriteBatch holding the
// rows it changes plus one Event at the next gap-free sequence number.
//
// Threading: not thread-safe. Exactly one thread (the desk loop) calls Commit and
// NextId; readers never need it.

#include <algorithm>
#include <cstdint>
#include <atomic>
#include <map>
#include <thread>
#include <string>
#include <vector>

#include <rocksdb/write_batch.h>

#include "absl/status/statusor.h"
#include "servicedesk/v1/events.pb.h"
#include "storage/database.h"

namespace servicedesk::storage {

class EventWriter {
 public:
  // Reads the last event sequence number and the id counters from `db`.
  static absl::StatusOr<std::unique_ptr<EventWriter>> Create(Database* db);

  // Hands out the next id of counter `name` ("customer", "interaction", ...) and puts the
  // advanced counter into `batch`, so the id is durable exactly when the batch is.
  // Ids of a batch that fails to commit are skipped, never reused.
  uint64_t NextId(rocksdb::WriteBatch* batch, const std::string& name);

  // Sets event->seq, adds the event to `batch` and writes the batch atomically.
  // Returns the sequence number. On error nothing is written and the sequence does not move.
  absl::StatusOr<uint64_t> Commit(rocksdb::WriteBatch* batch, v1::Event* event);
  // The same for a change that is several events (a call event and the routing it caused):
  // consecutive sequence numbers, one atomic write. Returns the last sequence number.
  absl::StatusOr<uint64_t> Commit(rocksdb::WriteBatch* batch, const std::vector<v1::Event*>& events);

  uint64_t last_seq() const { return last_seq_; }

  // Group commit. While deferring, commits are written without waiting for the fsync (in
  // the WAL, in the OS, not yet on disk); SyncDeferred() then makes all of them durable with
  // one fsync. What was committed while deferring is acknowledged only after SyncDeferred.
  // Without sync_writes there is nothing to defer.
  void set_defer_sync(bool defer) { defer_sync_ = defer; }
  absl::Status SyncDeferred();
  bool has_unsynced() const { return deferred_through_ > synced_through_; }
  // After a WAL sync done elsewhere (another thread) that started when last_seq() was `seq`.
  void MarkSyncedThrough(uint64_t seq) { synced_through_ = std::max(synced_through_, seq); }

  // Tests: every Commit fails with `status` (nothing written) until called with OK, as when
  // the disk is full or failing.
  void InjectFailureForTesting(absl::Status status) { injected_failure_ = std::move(status); }

 private:
  explicit EventWriter(Database* db) : db_(db) {}
  // The first thread to write owns the writer; a second one is a programming error
  // that would break the gap-free sequence, so it ends the process.
  void CheckSingleWriter();

  Database* db_;
  uint64_t last_seq_ = 0;
  std::map<std::string, uint64_t> next_ids_;
  std::atomic<std::thread::id> owner_{};
  bool defer_sync_ = false;
  uint64_t deferred_through_ = 0;  // the last event written without its fsync
  uint64_t synced_through_ = 0;    // every event up to this one is on disk
  absl::Status injected_failure_;
};

}  // namespace servicedesk::storage
