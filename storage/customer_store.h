#pragma once

// The customer file in RocksDB: profiles, their lookup indexes, interactions and
// the open-items index that the screen pop reads.
//
// Reads are thread-safe and go straight to RocksDB (the instant path takes no hop).
// The Put* functions only add rows to a WriteBatch; EventWriter commits it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <rocksdb/write_batch.h>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "servicedesk/v1/customer.pb.h"
#include "servicedesk/v1/events.pb.h"
#include "storage/database.h"

namespace servicedesk::storage {

struct InteractionFilter {
  // Empty means every channel.
  absl::flat_hash_set<int> channels;
  // Interactions that started in [start_us, end_us).
  std::optional<int64_t> start_us;
  std::optional<int64_t> end_us;
};

template <typename T>
struct Page {
  std::vector<T> items;
  // The last key returned, when more may follow; the caller wraps it in a page token.
  std::optional<std::string> last_key;
};

class CustomerStore {
 public:
  explicit CustomerStore(Database* db) : db_(db) {}

  // NOT_FOUND when there is no such customer.
  absl::StatusOr<v1::Customer> GetCustomer(uint64_t customer_id) const;
  absl::Status GetCustomerInto(uint64_t customer_id, v1::Customer* out) const;

  // Customers holding the E.164 number, in customer id order (possibly none).
  absl::StatusOr<std::vector<uint64_t>> FindByPhone(std::string_view e164) const;
  absl::StatusOr<std::vector<uint64_t>> FindByEmail(std::string_view lowercase_email) const;
  absl::StatusOr<std::optional<uint64_t>> FindByExternalId(std::string_view external_id) const;
  absl::StatusOr<std::optional<uint64_t>> FindByCustomerNumber(std::string_view number) const;
  absl::StatusOr<std::optional<uint64_t>> FindByRequestId(std::string_view request_id) const;
  absl::StatusOr<std::optional<std::string>> FindInteractionByRequestId(
      std::string_view request_id) const;
  absl::StatusOr<v1::Interaction> GetInteractionByKey(std::string_view key) const;

  // Customers whose lower-cased display name starts with `lowercase_prefix`, in name order,
  // after the name-index key `after_key` (exclusive) when given.
  absl::StatusOr<Page<v1::Customer>> ListByName(std::string_view lowercase_prefix,
                                                const std::optional<std::string>& after_key,
                                                int limit) const;
  // The name-index prefix that keys of ListByName(lowercase_prefix) start with.
  static std::string NameIndexPrefix(std::string_view lowercase_prefix);

  // A customer's interactions, latest first, after the interaction key `after_key`.
  absl::StatusOr<Page<v1::Interaction>> ListInteractions(
      uint64_t customer_id, const InteractionFilter& filter,
      const std::optional<std::string>& after_key, int limit) const;

  // Screen-pop read: the stored customer message copied into `out` as length-delimited
  // field `field` of the response being assembled, without parsing it.
  absl::Status AppendCustomerField(uint64_t customer_id, uint32_t field, std::string* out) const;
  // From the customer's ScreenPopRow (field numbers equal CustomerContext's): the profile,
  // the first `limit` recent interactions and every open ticket and complaint, copied as
  // stored. NOT_FOUND when there is no such customer.
  absl::Status AppendScreenPop(uint64_t customer_id, int limit, std::string* out) const;

  // The writer's side of the screen-pop row (desk loop only).
  absl::StatusOr<v1::ScreenPopRow> ReadScreenPop(uint64_t customer_id) const;
  void PutScreenPop(rocksdb::WriteBatch* batch, uint64_t customer_id,
                    const v1::ScreenPopRow& row) const;
  // Inserts `interaction` in newest-first order (ties by interaction id, as the interactions
  // family orders them) and keeps the newest kRecentInteractions.
  static void AddRecentInteraction(v1::ScreenPopRow* row, const v1::Interaction& interaction);
  static constexpr int kRecentInteractions = 100;

  // Adds the customer row and the index rows it needs to `batch`, removing the index rows
  // of `before` that `after` no longer has. `after` must be normalised already.
  void PutCustomer(rocksdb::WriteBatch* batch, uint64_t customer_id, const v1::Customer* before,
                   const v1::Customer& after) const;
  void PutRequestId(rocksdb::WriteBatch* batch, std::string_view request_id,
                    uint64_t customer_id) const;
  // Adds an interaction row; returns its key.
  std::string PutInteraction(rocksdb::WriteBatch* batch, uint64_t customer_id,
                             uint64_t interaction_id, int64_t start_time_us,
                             const v1::Interaction& interaction) const;
  // Overwrites the interaction stored under `key` (same place in the customer's history).
  void ReplaceInteraction(rocksdb::WriteBatch* batch, std::string_view key,
                          const v1::Interaction& interaction) const;
  void PutInteractionRequestId(rocksdb::WriteBatch* batch, std::string_view request_id,
                               std::string_view interaction_key) const;

  Database* database() const { return db_; }

 private:
  absl::StatusOr<std::vector<uint64_t>> FindShared(std::string_view key) const;
  absl::Status ReadCustomerRow(uint64_t customer_id, rocksdb::PinnableSlice* value) const;
  absl::StatusOr<std::optional<uint64_t>> FindUnique(std::string_view key) const;

  Database* db_;
};

// Customer ids in resource names and customer numbers.
std::string CustomerName(uint64_t customer_id);
std::string InteractionName(uint64_t customer_id, uint64_t interaction_id);
std::string LowercaseAscii(std::string_view text);

}  // namespace servicedesk::storage
