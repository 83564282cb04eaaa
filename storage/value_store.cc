#include "storage/value_store.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "storage/key_codec.h"
#include "storage/wire_format.h"

namespace servicedesk::storage {

namespace {

constexpr char kPurchase = 'p';
constexpr char kValue = 'v';
constexpr char kRequest = 'r';
constexpr char kOrder = 'o';
constexpr char kExpiry = 'x';
constexpr char kModel[] = "m";
constexpr char kSurvey = 's';
constexpr char kSurveyContact = 'k';
constexpr char kSurveyRequest = 'u';
constexpr char kSatisfaction = 'a';
constexpr std::size_t kPurchaseKeyLength = 1 + 8 + 8 + 8;

std::string CustomerPrefix(char kind, uint64_t customer_id) {
  std::string key(1, kind);
  AppendU64(&key, customer_id);
  return key;
}

std::string StringKey(char kind, std::string_view id) {
  std::string key(1, kind);
  key.append(id);
  return key;
}

std::string ExpiryKey(absl::Time expire, uint64_t customer_id) {
  std::string key(1, kExpiry);
  AppendU64(&key, static_cast<uint64_t>(absl::ToUnixMicros(expire)) ^ (uint64_t{1} << 63));
  AppendU64(&key, customer_id);
  return key;
}

bool DecodePurchase(std::string_view key, std::string_view value, ValueStore::PurchasePoint* point) {
  if (key.size() != kPurchaseKeyLength || value.size() < 8) return false;
  point->customer_id = *ReadU64(key, 1);
  point->time_us = UnreverseTime(*ReadU64(key, 9));
  point->base_micros = static_cast<int64_t>(*ReadU64(value, 0));
  return true;
}

absl::Status Unreadable(std::string_view what) {
  return absl::DataLossError(absl::StrCat(std::string(what), " is unreadable"));
}

// Iterates the keys starting with `prefix`.
absl::Status ScanPrefix(const Database* db, const rocksdb::Snapshot* snapshot, std::string_view prefix,
                        const std::function<bool(const rocksdb::Iterator&)>& visit,
                        std::string_view start = {}) {
  rocksdb::ReadOptions options;
  options.snapshot = snapshot;
  const std::string end = PrefixSuccessor(prefix);
  rocksdb::Slice upper(end);
  if (!end.empty()) options.iterate_upper_bound = &upper;
  // The value job reads the whole family once: keep it from evicting the screen pop's blocks.
  options.fill_cache = snapshot == nullptr;
  std::unique_ptr<rocksdb::Iterator> it(db->db()->NewIterator(options, db->handle(Family::kCustomerValue)));
  for (it->Seek(start.empty() ? prefix : start); it->Valid(); it->Next()) {
    if (!visit(*it)) break;
  }
  return it->status().ok() ? absl::OkStatus() : FromRocks(it->status(), "reading customer values");
}

std::string SatisfactionPrefix(int dimension, std::string_view key, bool whole_key) {
  std::string prefix(1, kSatisfaction);
  prefix.push_back(static_cast<char>(dimension));
  prefix.append(key);
  if (whole_key) prefix.push_back('\0');
  return prefix;
}

}  // namespace

std::string PurchaseName(uint64_t customer_id, uint64_t purchase_id) {
  return absl::StrCat("customers/", customer_id, "/purchases/", purchase_id);
}

std::string ValueStore::PurchasePrefix(uint64_t customer_id) { return CustomerPrefix(kPurchase, customer_id); }

std::string ValueStore::PurchaseKey(uint64_t customer_id, int64_t time_us, uint64_t purchase_id) {
  std::string key = CustomerPrefix(kPurchase, customer_id);
  AppendU64(&key, ReverseTime(time_us));
  AppendU64(&key, purchase_id);
  return key;
}

void ValueStore::PutPurchase(rocksdb::WriteBatch* batch, std::string_view key, int64_t base_micros,
                             const v1::Purchase& purchase) const {
  std::string value;
  AppendU64(&value, static_cast<uint64_t>(base_micros));
  purchase.AppendToString(&value);
  batch->Put(db_->handle(Family::kCustomerValue), key, value).PermitUncheckedError();
}

void ValueStore::PutRequestId(rocksdb::WriteBatch* batch, std::string_view request_id, std::string_view key) const {
  batch->Put(db_->handle(Family::kCustomerValue), StringKey(kRequest, request_id), key).PermitUncheckedError();
}

void ValueStore::PutOrderId(rocksdb::WriteBatch* batch, std::string_view order_id, std::string_view key) const {
  batch->Put(db_->handle(Family::kCustomerValue), StringKey(kOrder, order_id), key).PermitUncheckedError();
}

absl::StatusOr<std::optional<v1::Purchase>> ValueStore::FindBy(char kind, std::string_view id) const {
  std::string key;
  auto status = db_->db()->Get(rocksdb::ReadOptions(), db_->handle(Family::kCustomerValue), StringKey(kind, id), &key);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) return FromRocks(status, "reading a purchase id");
  std::string value;
  status = db_->db()->Get(rocksdb::ReadOptions(), db_->handle(Family::kCustomerValue), key, &value);
  if (!status.ok()) return FromRocks(status, "reading a purchase");
  v1::Purchase purchase;
  if (value.size() < 8 || !purchase.ParseFromArray(value.data() + 8, static_cast<int>(value.size() - 8))) {
    return Unreadable("a purchase");
  }
  return purchase;
}

absl::StatusOr<std::optional<v1::Purchase>> ValueStore::FindByRequestId(std::string_view request_id) const {
  return FindBy(kRequest, request_id);
}

absl::StatusOr<std::optional<v1::Purchase>> ValueStore::FindByOrderId(std::string_view order_id) const {
  return FindBy(kOrder, order_id);
}

absl::StatusOr<ValueStore::PurchasePage> ValueStore::ListPurchases(uint64_t customer_id,
                                                                   const std::optional<std::string>& after,
                                                                   int limit) const {
  PurchasePage page;
  if (after && (after->size() != kPurchaseKeyLength || !after->starts_with(CustomerPrefix(kPurchase, customer_id)))) {
    return absl::InvalidArgumentError("page_token: not a page of this customer's purchases");
  }
  std::string last;
  bool more = false, unreadable = false;
  auto status = ScanPrefix(
      db_, nullptr, CustomerPrefix(kPurchase, customer_id),
      [&](const rocksdb::Iterator& it) {
        if (after && it.key().ToStringView() == *after) return true;
        if (static_cast<int>(page.purchases.size()) >= limit) {
          more = true;
          return false;
        }
        v1::Purchase purchase;
        if (it.value().size() < 8 ||
            !purchase.ParseFromArray(it.value().data() + 8, static_cast<int>(it.value().size() - 8))) {
          unreadable = true;
          return false;
        }
        page.purchases.push_back(std::move(purchase));
        last = it.key().ToString();
        return true;
      },
      after.value_or(""));
  if (!status.ok()) return status;
  if (unreadable) return Unreadable("a purchase");
  if (more) page.last_key = last;
  return page;
}

absl::Status ValueStore::ForEachPurchaseOf(uint64_t customer_id,
                                           const std::function<void(const PurchasePoint&)>& visit) const {
  bool unreadable = false;
  auto status = ScanPrefix(db_, nullptr, CustomerPrefix(kPurchase, customer_id), [&](const rocksdb::Iterator& it) {
    PurchasePoint point{};
    if (!DecodePurchase(it.key().ToStringView(), it.value().ToStringView(), &point)) {
      unreadable = true;
      return false;
    }
    visit(point);
    return true;
  });
  if (!status.ok()) return status;
  return unreadable ? Unreadable("a purchase") : absl::OkStatus();
}

absl::Status ValueStore::ForEachPurchase(const rocksdb::Snapshot* snapshot,
                                         const std::function<bool(const PurchasePoint&)>& visit) const {
  bool unreadable = false;
  auto status = ScanPrefix(db_, snapshot, std::string(1, kPurchase), [&](const rocksdb::Iterator& it) {
    PurchasePoint point{};
    if (!DecodePurchase(it.key().ToStringView(), it.value().ToStringView(), &point)) {
      unreadable = true;
      return false;
    }
    return visit(point);
  });
  if (!status.ok()) return status;
  return unreadable ? Unreadable("a purchase") : absl::OkStatus();
}

absl::StatusOr<std::optional<v1::CustomerValue>> ValueStore::GetValue(uint64_t customer_id,
                                                                      const rocksdb::Snapshot* snapshot) const {
  rocksdb::ReadOptions options;
  options.snapshot = snapshot;
  rocksdb::PinnableSlice bytes;
  auto status =
      db_->db()->Get(options, db_->handle(Family::kCustomerValue), CustomerPrefix(kValue, customer_id), &bytes);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) return FromRocks(status, "reading a customer's value");
  v1::CustomerValue value;
  if (!value.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return Unreadable("a customer's value");
  return value;
}

void ValueStore::PutValue(rocksdb::WriteBatch* batch, uint64_t customer_id, const v1::CustomerValue& value) const {
  batch->Put(db_->handle(Family::kCustomerValue), CustomerPrefix(kValue, customer_id), value.SerializeAsString())
      .PermitUncheckedError();
}

absl::Status ValueStore::AppendValueField(uint64_t customer_id, uint32_t field, std::string* out) const {
  rocksdb::PinnableSlice bytes;
  auto status = db_->db()->Get(rocksdb::ReadOptions(), db_->handle(Family::kCustomerValue),
                               CustomerPrefix(kValue, customer_id), &bytes);
  if (status.IsNotFound()) return absl::OkStatus();
  if (!status.ok()) return FromRocks(status, "reading a customer's value");
  AppendLengthDelimited(out, field, bytes.ToStringView());
  return absl::OkStatus();
}

absl::Status ValueStore::ForEachValue(const rocksdb::Snapshot* snapshot,
                                      const std::function<bool(uint64_t, std::string_view)>& visit) const {
  return ScanPrefix(db_, snapshot, std::string(1, kValue), [&](const rocksdb::Iterator& it) {
    return it.key().size() != 9 || visit(*ReadU64(it.key().ToStringView(), 1), it.value().ToStringView());
  });
}

void ValueStore::PutOverrideExpiry(rocksdb::WriteBatch* batch, absl::Time expire, uint64_t customer_id) const {
  batch->Put(db_->handle(Family::kCustomerValue), ExpiryKey(expire, customer_id), "").PermitUncheckedError();
}

void ValueStore::DeleteOverrideExpiry(rocksdb::WriteBatch* batch, absl::Time expire, uint64_t customer_id) const {
  batch->Delete(db_->handle(Family::kCustomerValue), ExpiryKey(expire, customer_id)).PermitUncheckedError();
}

absl::StatusOr<std::vector<std::pair<absl::Time, uint64_t>>> ValueStore::OverrideExpiries() const {
  std::vector<std::pair<absl::Time, uint64_t>> expiries;
  auto status = ScanPrefix(db_, nullptr, std::string(1, kExpiry), [&](const rocksdb::Iterator& it) {
    const auto key = it.key().ToStringView();
    if (key.size() == 17) {
      const auto micros = static_cast<int64_t>(*ReadU64(key, 1) ^ (uint64_t{1} << 63));
      expiries.emplace_back(absl::FromUnixMicros(micros), *ReadU64(key, 9));
    }
    return true;
  });
  if (!status.ok()) return status;
  return expiries;
}

absl::StatusOr<std::optional<v1::ValueModelRow>> ValueStore::GetModel() const {
  std::string bytes;
  auto status = db_->db()->Get(rocksdb::ReadOptions(), db_->handle(Family::kCustomerValue), kModel, &bytes);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) return FromRocks(status, "reading the value model");
  v1::ValueModelRow row;
  if (!row.ParseFromString(bytes)) return Unreadable("the value model");
  return row;
}

void ValueStore::PutModel(rocksdb::WriteBatch* batch, const v1::ValueModelRow& row) const {
  batch->Put(db_->handle(Family::kCustomerValue), kModel, row.SerializeAsString()).PermitUncheckedError();
}

void ValueStore::PutSurvey(rocksdb::WriteBatch* batch, uint64_t id, const v1::Survey& survey) const {
  batch->Put(db_->handle(Family::kCustomerValue), CustomerPrefix(kSurvey, id), survey.SerializeAsString())
      .PermitUncheckedError();
}

void ValueStore::PutSurveyContact(rocksdb::WriteBatch* batch, std::string_view contact, uint64_t id) const {
  batch->Put(db_->handle(Family::kCustomerValue), StringKey(kSurveyContact, contact), EncodeU64(id))
      .PermitUncheckedError();
}

void ValueStore::PutSurveyRequest(rocksdb::WriteBatch* batch, std::string_view request_id, uint64_t id) const {
  batch->Put(db_->handle(Family::kCustomerValue), StringKey(kSurveyRequest, request_id), EncodeU64(id))
      .PermitUncheckedError();
}

absl::StatusOr<std::optional<v1::Survey>> ValueStore::FindSurveyBy(char kind, std::string_view id) const {
  std::string bytes;
  auto status = db_->db()->Get(rocksdb::ReadOptions(), db_->handle(Family::kCustomerValue), StringKey(kind, id), &bytes);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) return FromRocks(status, "reading a survey id");
  const auto survey_id = ReadU64(bytes);
  if (!survey_id) return Unreadable("a survey id");
  status = db_->db()->Get(rocksdb::ReadOptions(), db_->handle(Family::kCustomerValue),
                          CustomerPrefix(kSurvey, *survey_id), &bytes);
  if (!status.ok()) return FromRocks(status, "reading a survey");
  v1::Survey survey;
  if (!survey.ParseFromString(bytes)) return Unreadable("a survey");
  return survey;
}

absl::StatusOr<std::optional<v1::Survey>> ValueStore::FindSurveyByContact(std::string_view contact) const {
  return FindSurveyBy(kSurveyContact, contact);
}

absl::StatusOr<std::optional<v1::Survey>> ValueStore::FindSurveyByRequest(std::string_view request_id) const {
  return FindSurveyBy(kSurveyRequest, request_id);
}

absl::StatusOr<v1::SatisfactionRow> ValueStore::GetSatisfaction(int dimension, std::string_view key,
                                                                std::string_view month) const {
  std::string bytes;
  auto status = db_->db()->Get(rocksdb::ReadOptions(), db_->handle(Family::kCustomerValue),
                               SatisfactionPrefix(dimension, key, true) + std::string(month), &bytes);
  v1::SatisfactionRow row;
  if (status.IsNotFound()) {
    row.set_key(std::string(key));
    row.set_month(std::string(month));
    return row;
  }
  if (!status.ok()) return FromRocks(status, "reading satisfaction");
  if (!row.ParseFromString(bytes)) return Unreadable("a satisfaction row");
  return row;
}

void ValueStore::PutSatisfaction(rocksdb::WriteBatch* batch, int dimension, const v1::SatisfactionRow& row) const {
  batch->Put(db_->handle(Family::kCustomerValue), SatisfactionPrefix(dimension, row.key(), true) + row.month(),
             row.SerializeAsString())
      .PermitUncheckedError();
}

absl::StatusOr<std::vector<v1::SatisfactionRow>> ValueStore::ListSatisfaction(int dimension, std::string_view key,
                                                                              std::string_view from_month,
                                                                              std::string_view to_month) const {
  std::vector<v1::SatisfactionRow> rows;
  bool unreadable = false;
  auto status = ScanPrefix(db_, nullptr, SatisfactionPrefix(dimension, key, !key.empty()),
                           [&](const rocksdb::Iterator& it) {
                             const auto k = it.key().ToStringView();
                             const std::string_view month = k.size() >= 7 ? k.substr(k.size() - 7) : k;
                             if (month < from_month || month > to_month) return true;
                             v1::SatisfactionRow row;
                             if (!row.ParseFromArray(it.value().data(), static_cast<int>(it.value().size()))) {
                               unreadable = true;
                               return false;
                             }
                             rows.push_back(std::move(row));
                             return true;
                           });
  if (!status.ok()) return status;
  if (unreadable) return Unreadable("a satisfaction row");
  return rows;
}

}  // namespace servicedesk::storage
