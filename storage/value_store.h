#pragma once

// The customer_value family (schema 7): purchases and each customer's value.
//
//   'p' u64 customer | u64 reversed time µs | u64 purchase id -> i64 base micros (8 bytes,
//        big-endian) then the Purchase: a customer's purchases newest first, and the whole
//        family's purchases in customer order, readable for the value job without parsing
//   'v' u64 customer                        -> CustomerValue (copied into the screen pop)
//   'r' request_id                          -> purchase key (a retried RecordPurchase)
//   'o' order_id                            -> purchase key (unique orders, idempotent imports)
//   'x' i64 expire µs (sign-flipped) | u64 customer -> "" (tier overrides by expiry)
//   'm'                                     -> ValueModelRow (the value job's last model)
//   's' u64 survey id                        -> Survey
//   'k' contact                              -> u64 survey id (one survey per contact)
//   'u' request_id                           -> u64 survey id (a retried RecordSurvey)
//   'a' dimension byte | key 0x00 | "YYYY-MM" -> SatisfactionRow (a month's counts)
//
// Reads are thread-safe; Put* only add to a WriteBatch that EventWriter commits.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "servicedesk/v1/customer_value.pb.h"
#include "servicedesk/v1/events.pb.h"
#include "servicedesk/v1/survey.pb.h"
#include "storage/database.h"

namespace servicedesk::storage {

class ValueStore {
 public:
  explicit ValueStore(Database* db) : db_(db) {}

  // One purchase as the value job reads it.
  struct PurchasePoint {
    uint64_t customer_id;
    int64_t time_us;
    int64_t base_micros;
  };

  static std::string PurchaseKey(uint64_t customer_id, int64_t time_us, uint64_t purchase_id);
  // What every purchase key of the customer starts with.
  static std::string PurchasePrefix(uint64_t customer_id);
  void PutPurchase(rocksdb::WriteBatch* batch, std::string_view key, int64_t base_micros,
                   const v1::Purchase& purchase) const;
  void PutRequestId(rocksdb::WriteBatch* batch, std::string_view request_id, std::string_view key) const;
  void PutOrderId(rocksdb::WriteBatch* batch, std::string_view order_id, std::string_view key) const;
  // The purchase recorded under the request id or order id; nullopt when none.
  absl::StatusOr<std::optional<v1::Purchase>> FindByRequestId(std::string_view request_id) const;
  absl::StatusOr<std::optional<v1::Purchase>> FindByOrderId(std::string_view order_id) const;

  struct PurchasePage {
    std::vector<v1::Purchase> purchases;
    std::optional<std::string> last_key;  // when more may follow
  };
  // Newest first, after the purchase key `after` (exclusive).
  absl::StatusOr<PurchasePage> ListPurchases(uint64_t customer_id, const std::optional<std::string>& after,
                                             int limit) const;
  // Every purchase of the customer, newest first (the figures of one customer).
  absl::Status ForEachPurchaseOf(uint64_t customer_id, const std::function<void(const PurchasePoint&)>& visit) const;
  // Every purchase of every customer, in customer order (newest first within one), as of
  // `snapshot` (may be null: now), until `visit` returns false.
  absl::Status ForEachPurchase(const rocksdb::Snapshot* snapshot,
                               const std::function<bool(const PurchasePoint&)>& visit) const;

  // nullopt: the value rules know nothing of the customer yet.
  absl::StatusOr<std::optional<v1::CustomerValue>> GetValue(uint64_t customer_id,
                                                            const rocksdb::Snapshot* snapshot = nullptr) const;
  void PutValue(rocksdb::WriteBatch* batch, uint64_t customer_id, const v1::CustomerValue& value) const;
  // Screen-pop read: the stored value copied as length-delimited field `field` into `out`;
  // nothing when there is none.
  absl::Status AppendValueField(uint64_t customer_id, uint32_t field, std::string* out) const;
  // Every stored value, in customer order, as of `snapshot`, until `visit` returns false.
  absl::Status ForEachValue(const rocksdb::Snapshot* snapshot,
                            const std::function<bool(uint64_t customer_id, std::string_view bytes)>& visit) const;

  void PutOverrideExpiry(rocksdb::WriteBatch* batch, absl::Time expire, uint64_t customer_id) const;
  void DeleteOverrideExpiry(rocksdb::WriteBatch* batch, absl::Time expire, uint64_t customer_id) const;
  // All of them, soonest first.
  absl::StatusOr<std::vector<std::pair<absl::Time, uint64_t>>> OverrideExpiries() const;

  absl::StatusOr<std::optional<v1::ValueModelRow>> GetModel() const;
  void PutModel(rocksdb::WriteBatch* batch, const v1::ValueModelRow& row) const;

  // Surveys.
  void PutSurvey(rocksdb::WriteBatch* batch, uint64_t id, const v1::Survey& survey) const;
  void PutSurveyContact(rocksdb::WriteBatch* batch, std::string_view contact, uint64_t id) const;
  void PutSurveyRequest(rocksdb::WriteBatch* batch, std::string_view request_id, uint64_t id) const;
  absl::StatusOr<std::optional<v1::Survey>> FindSurveyByContact(std::string_view contact) const;
  absl::StatusOr<std::optional<v1::Survey>> FindSurveyByRequest(std::string_view request_id) const;
  // A month's satisfaction row of `key` in `dimension` (a SatisfactionDimension); an empty
  // row with the key and month when there is none.
  absl::StatusOr<v1::SatisfactionRow> GetSatisfaction(int dimension, std::string_view key,
                                                      std::string_view month) const;
  void PutSatisfaction(rocksdb::WriteBatch* batch, int dimension, const v1::SatisfactionRow& row) const;
  // The rows of `dimension` (of `key` only, when not empty) for months in [from, to], by key
  // then month.
  absl::StatusOr<std::vector<v1::SatisfactionRow>> ListSatisfaction(int dimension, std::string_view key,
                                                                    std::string_view from_month,
                                                                    std::string_view to_month) const;

 private:
  absl::StatusOr<std::optional<v1::Purchase>> FindBy(char kind, std::string_view id) const;
  absl::StatusOr<std::optional<v1::Survey>> FindSurveyBy(char kind, std::string_view id) const;
  Database* db_;
};

std::string PurchaseName(uint64_t customer_id, uint64_t purchase_id);

}  // namespace servicedesk::storage
