#include "services/server/value_desk.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "services/common/page_token.h"
#include "services/customers/customer_validation.h"
#include "services/customers/resource_names.h"
#include "services/server/history_entry.h"
#include "services/server/logging.h"
#include "services/server/routing_proto.h"
#include "services/tickets/sla_policy.h"

namespace servicedesk::server {

namespace {

constexpr std::size_t kChunk = 1000;
constexpr int64_t kMicrosPerUnit = 1'000'000;
constexpr char kJobPrincipal[] = "system/value-job";
constexpr std::size_t kReasonLimit = 500;

v1::Money MoneyOf(int64_t micros, const std::string& currency) {
  v1::Money money;
  money.set_currency_code(currency);
  money.set_units(micros / kMicrosPerUnit);
  money.set_nanos(static_cast<int32_t>((micros % kMicrosPerUnit) * 1000));
  return money;
}

// The tickets core names the pyramid's tiers ("key-important", ...; "unknown").
const char* TierName(v1::CustomerTier tier) {
  return tickets::CustomerTierName(static_cast<tickets::CustomerTier>(tier));
}

const char* LifecycleName(v1::LifecycleState state) {
  switch (state) {
    case v1::LIFECYCLE_STATE_POTENTIAL: return "potential";
    case v1::LIFECYCLE_STATE_TARGET: return "target";
    case v1::LIFECYCLE_STATE_FIRST_TIME: return "first-time";
    case v1::LIFECYCLE_STATE_REPEAT: return "repeat";
    case v1::LIFECYCLE_STATE_LOYAL: return "loyal";
    case v1::LIFECYCLE_STATE_CHURNED: return "churned";
    case v1::LIFECYCLE_STATE_WON_BACK: return "won back";
    default: return "unspecified";
  }
}

bool InWindow(absl::Time at, absl::Time now, const crm::ValueRules& rules) { return at >= now - rules.window; }

v1::Event NewEvent(absl::Time now, const std::string& principal) {
  v1::Event event;
  *event.mutable_time() = ToTimestamp(now);
  event.set_principal(principal);
  return event;
}

absl::Status CheckReason(const std::string& reason, const std::string& field) {
  if (reason.find_first_not_of(" \t") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": required: say why"));
  }
  if (customers::HasControlCharacter(reason)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": no control characters"));
  }
  return customers::CheckLength(reason, kReasonLimit, field);
}

// The figures that decide a customer's value: the stored row without its time of computation.
std::string Comparable(v1::CustomerValue value) {
  value.clear_compute_time();
  return value.SerializeAsString();
}

}  // namespace

struct ValueDesk::Job {
  absl::Time now;
  std::chrono::steady_clock::time_point started;
  v1::ValueModelRow model;
  crm::ValueModel built;
  std::vector<Rescored> changed;
  // Customers changed on the loop while the job ran whose snapshot figures did not move:
  // rescored with the new model after `changed`.
  std::vector<uint64_t> late;
  bool late_taken = false;
  std::size_t next = 0;
  std::size_t next_late = 0;
  bool installed = false;
  int64_t tier_changes = 0;
  int64_t lifecycle_changes = 0;
};

ValueDesk::ValueDesk(const Config& config, const Clock* clock, DeskLoop* loop, storage::Database* db,
                     storage::EventWriter* writer, const storage::CustomerStore* customers)
    : config_(config),
      rules_(ValueRulesFrom(config.crm)),
      clock_(clock),
      loop_(loop),
      db_(db),
      writer_(writer),
      customers_(customers),
      store_(db),
      expiry_timer_(loop->context()),
      job_timer_(loop->context()) {}

ValueDesk::~ValueDesk() {
  cancel_job_ = true;
  if (job_thread_.joinable()) job_thread_.join();
}

absl::Status ValueDesk::Start() {
  auto model = store_.GetModel();
  if (!model.ok()) return model.status();
  if (model->has_value()) InstallModel(**model);
  auto expiries = store_.OverrideExpiries();
  if (!expiries.ok()) return expiries.status();
  expiries_.insert(expiries->begin(), expiries->end());
  ArmExpiryTimer();
  job_due_ = model_.computed() ? model_.computed_at + absl::Hours(config_.crm.recompute_interval_hours)
                               : absl::InfinitePast();
  if (clock_->Now() >= job_due_) {
    StartJob();
  } else {
    ArmJobTimer();
  }
  return absl::OkStatus();
}

void ValueDesk::Stop() {
  stopped_ = true;
  expiry_timer_.cancel();
  job_timer_.cancel();
  cancel_job_ = true;
  if (job_thread_.joinable()) job_thread_.join();
  for (auto* list : {&waiting_, &waiting_next_}) {
    for (auto& done : *list) done(absl::UnavailableError("the server is shutting down"));
    list->clear();
  }
}

void ValueDesk::InstallModel(const v1::ValueModelRow& row) {
  model_ = crm::ValueModel{};
  model_.computed_at = absl::FromUnixMicros(row.compute_time_us());
  model_.scored_customers = row.scored_customers();
  for (int k = 0; k < 4; ++k) {
    if (k < row.recency_us_size()) model_.recency.breakpoints[k] = row.recency_us(k);
    if (k < row.frequency_size()) model_.frequency.breakpoints[k] = row.frequency(k);
    if (k < row.monetary_micros_size()) model_.monetary.breakpoints[k] = row.monetary_micros(k);
  }
  auto band = [](int64_t micros) { return micros < 0 ? std::nullopt : std::optional<int64_t>(micros); };
  model_.key_important_from = band(row.key_important_from_micros());
  model_.key_secondary_from = band(row.key_secondary_from_micros());
  model_.ordinary_from = band(row.ordinary_from_micros());
  model_.total_window_spend_micros = row.total_window_spend_micros();
  model_view_ = row.model();
}

v1::ValueModel ValueDesk::Model() const {
  v1::ValueModel view = model_view_;
  view.set_rules(absl::StrCat("base currency ", config_.crm.base_currency, "; ", rules_.Describe()));
  return view;
}

std::optional<ValueDesk::Was> ValueDesk::WasOf(const std::optional<v1::CustomerValue>& value) {
  if (!value) return std::nullopt;
  return Was{value->tier(), value->lifecycle_state()};
}

absl::Status ValueDesk::Refused() const {
  return stopped_ ? absl::UnavailableError("the server is shutting down") : absl::OkStatus();
}

// ---------------------------------------------------------------------------------------
// One customer.

absl::StatusOr<crm::PurchaseFigures> ValueDesk::FiguresOf(
    uint64_t customer, absl::Time now, const std::vector<std::pair<absl::Time, int64_t>>& extra) const {
  crm::PurchaseFigures figures;
  auto add = [&](absl::Time at, int64_t micros) {
    figures.Add(at, micros);
    if (InWindow(at, now, rules_)) {
      ++figures.window_count;
      figures.window_spend_micros += micros;
    }
  };
  auto status = store_.ForEachPurchaseOf(customer, [&](const storage::ValueStore::PurchasePoint& p) {
    add(absl::FromUnixMicros(p.time_us), p.base_micros);
  });
  if (!status.ok()) return status;
  for (const auto& [at, micros] : extra) add(at, micros);
  return figures;
}

v1::CustomerValue ValueDesk::Present(uint64_t customer, const crm::PurchaseFigures& f, const v1::CustomerValue* before,
                                     const v1::Customer* file, absl::Time now) const {
  return PresentWith(model_, customer, f, before, file, now);
}

v1::CustomerValue ValueDesk::PresentWith(const crm::ValueModel& model, uint64_t customer,
                                         const crm::PurchaseFigures& f, const v1::CustomerValue* before,
                                         const v1::Customer* file, absl::Time now) const {
  const std::string& currency = config_.crm.base_currency;
  v1::CustomerValue v;
  v.set_customer(storage::CustomerName(customer));
  v.set_purchase_count(f.count);
  *v.mutable_total_spend() = MoneyOf(f.spend_micros, currency);
  if (f.count > 0) {
    *v.mutable_first_purchase_time() = ToTimestamp(f.first);
    *v.mutable_last_purchase_time() = ToTimestamp(f.last);
  }
  if (f.count > 1) *v.mutable_previous_purchase_time() = ToTimestamp(f.previous);
  v.set_window_purchase_count(f.window_count);
  *v.mutable_window_spend() = MoneyOf(f.window_spend_micros, currency);
  if (const auto rfm = crm::ScoreOf(model, f); rfm.recency > 0) {
    v.mutable_rfm()->set_recency(rfm.recency);
    v.mutable_rfm()->set_frequency(rfm.frequency);
    v.mutable_rfm()->set_monetary(rfm.monetary);
  }
  *v.mutable_lifetime_value() = MoneyOf(crm::LifetimeValueMicros(rules_, f), currency);

  const auto file_tier = before ? before->value_tier() : file ? file->tier() : v1::CUSTOMER_TIER_UNSPECIFIED;
  const auto tier = crm::TierOf(model, f);
  v.set_value_tier(tier != crm::Tier::kUnspecified ? static_cast<v1::CustomerTier>(tier) : file_tier);
  if (before && before->has_tier_override() && FromTimestamp(before->tier_override().expire_time()) > now) {
    *v.mutable_tier_override() = before->tier_override();
  }
  v.set_tier(v.has_tier_override() ? v.tier_override().tier() : v.value_tier());

  const auto state = crm::LifecycleOf(rules_, f, now);
  const auto previous_state =
      before ? before->lifecycle_state() : file ? file->lifecycle_state() : v1::LIFECYCLE_STATE_UNSPECIFIED;
  v.set_lifecycle_state(state ? static_cast<v1::LifecycleState>(*state) : previous_state);
  if (before && before->lifecycle_state() == v.lifecycle_state()) {
    if (before->has_lifecycle_since()) *v.mutable_lifecycle_since() = before->lifecycle_since();
  } else if (previous_state != v.lifecycle_state()) {
    *v.mutable_lifecycle_since() = ToTimestamp(now);
  }
  v.set_repeat_purchases(std::max<int64_t>(0, f.count - 1));
  *v.mutable_compute_time() = ToTimestamp(now);
  return v;
}

absl::Status ValueDesk::Stage(rocksdb::WriteBatch* batch, uint64_t customer, const std::optional<Was>& before,
                              const v1::Customer* file_read, const v1::CustomerValue& after, const Cause& cause,
                              absl::Time now, std::vector<v1::Event>* events, int64_t* tier_changes,
                              int64_t* lifecycle_changes) {
  store_.PutValue(batch, customer, after);
  std::optional<v1::Customer> file;
  if (file_read != nullptr) file = *file_read;
  if (!before && !file) {
    auto read = customers_->GetCustomer(customer);
    if (!read.ok()) return read.status();
    file = *std::move(read);
  }
  const auto tier_before = before ? before->tier : file->tier();
  const auto lifecycle_before = before ? before->lifecycle : file->lifecycle_state();
  const bool tier_moved = tier_before != after.tier();
  const bool lifecycle_moved = lifecycle_before != after.lifecycle_state();
  if (!tier_moved && !lifecycle_moved && !cause.override_changed) return absl::OkStatus();
  if (tier_changes != nullptr && tier_moved) ++*tier_changes;
  if (lifecycle_changes != nullptr && lifecycle_moved) ++*lifecycle_changes;

  auto pop = customers_->ReadScreenPop(customer);
  if (!pop.ok()) return pop.status();
  if (tier_moved || lifecycle_moved) {
    if (!file) {
      auto read = customers_->GetCustomer(customer);
      if (!read.ok()) return read.status();
      file = *std::move(read);
    }
    v1::Customer updated = *file;
    updated.set_tier(after.tier());
    updated.set_lifecycle_state(after.lifecycle_state());
    *updated.mutable_update_time() = ToTimestamp(now);
    customers_->PutCustomer(batch, customer, &*file, updated);
    *pop->mutable_customer() = updated;
  }
  if (tier_moved || cause.override_changed) {
    v1::Interaction entry;
    entry.set_channel(v1::INTERACTION_CHANNEL_TIER_CHANGE);
    entry.set_direction(v1::DIRECTION_INTERNAL);
    entry.set_outcome(TierName(after.tier()));
    std::string text = absl::StrCat("Tier ", TierName(tier_before), " -> ", TierName(after.tier()), " (", cause.name);
    if (after.has_tier_override()) {
      absl::StrAppend(&text, "; override until ",
                      absl::FormatTime("%Y-%m-%d %H:%M UTC", FromTimestamp(after.tier_override().expire_time()),
                                       absl::UTCTimeZone()));
    }
    if (!cause.reason.empty()) absl::StrAppend(&text, ": ", cause.reason);
    absl::StrAppend(&text, ")");
    entry.set_text(text);
    AppendHistoryEntry(batch, writer_, customers_, customer, cause.principal, now, std::move(entry), &*pop);
  }
  if (lifecycle_moved) {
    v1::Interaction entry;
    entry.set_channel(v1::INTERACTION_CHANNEL_LIFECYCLE_CHANGE);
    entry.set_direction(v1::DIRECTION_INTERNAL);
    entry.set_outcome(LifecycleName(after.lifecycle_state()));
    entry.set_text(absl::StrCat("Lifecycle ", LifecycleName(lifecycle_before), " -> ",
                                LifecycleName(after.lifecycle_state()), " (", cause.name, ")"));
    AppendHistoryEntry(batch, writer_, customers_, customer, cause.principal, now, std::move(entry), &*pop);
  }
  customers_->PutScreenPop(batch, customer, *pop);

  v1::Event event = NewEvent(now, cause.principal);
  auto* changed = event.mutable_customer_value_changed();
  changed->set_customer(storage::CustomerName(customer));
  *changed->mutable_value() = after;
  changed->set_tier_before(tier_before);
  changed->set_lifecycle_before(lifecycle_before);
  changed->set_cause(cause.name);
  changed->set_reason(cause.reason);
  events->push_back(std::move(event));
  return absl::OkStatus();
}

absl::Status ValueDesk::Commit(rocksdb::WriteBatch* batch, std::vector<v1::Event>* events) {
  std::vector<v1::Event*> written;
  for (auto& event : *events) written.push_back(&event);
  auto seq = writer_->Commit(batch, written);
  return seq.ok() ? absl::OkStatus() : seq.status();
}

absl::StatusOr<ValueDesk::Current> ValueDesk::ReadCurrent(uint64_t customer) const {
  Current current;
  auto stored = store_.GetValue(customer);
  if (!stored.ok()) return stored.status();
  current.before = *std::move(stored);
  if (!current.before) {
    auto read = customers_->GetCustomer(customer);
    if (!read.ok()) return read.status();
    current.file = *std::move(read);
  }
  return current;
}

absl::StatusOr<uint64_t> ValueDesk::ExistingCustomer(const std::string& name, const std::string& field) const {
  auto id = customers::ParseCustomerName(name, field);
  if (!id.ok()) return id.status();
  v1::Customer customer;
  if (auto s = customers_->GetCustomerInto(*id, &customer); !s.ok()) return s;
  return *id;
}

// ---------------------------------------------------------------------------------------
// Purchases.

absl::StatusOr<int64_t> ValueDesk::CheckPurchase(v1::Purchase* purchase, absl::Time now,
                                                 const std::string& field) const {
  auto f = [&](const char* name) { return absl::StrCat(field, ".", name); };
  if (!purchase->has_amount()) return absl::InvalidArgumentError(absl::StrCat(f("amount"), ": required"));
  const v1::Money& amount = purchase->amount();
  const std::string& code = amount.currency_code();
  double rate = 1;
  if (code != config_.crm.base_currency) {
    auto it = config_.crm.exchange_rates.find(code);
    if (it == config_.crm.exchange_rates.end()) {
      std::vector<std::string> known = {config_.crm.base_currency};
      for (const auto& [other, unused] : config_.crm.exchange_rates) known.push_back(other);
      return absl::InvalidArgumentError(absl::StrCat(f("amount.currency_code"), ": '", code.substr(0, 10),
                                                     "' is not a currency the desk converts (",
                                                     absl::StrJoin(known, ", "), ")"));
    }
    rate = it->second;
  }
  if (amount.nanos() <= -1'000'000'000 || amount.nanos() >= 1'000'000'000) {
    return absl::InvalidArgumentError(absl::StrCat(f("amount.nanos"), ": must be within +-999,999,999"));
  }
  if ((amount.units() > 0 && amount.nanos() < 0) || (amount.units() < 0 && amount.nanos() > 0)) {
    return absl::InvalidArgumentError(absl::StrCat(f("amount"), ": units and nanos must have the same sign"));
  }
  if (amount.units() < 0 || (amount.units() == 0 && amount.nanos() <= 0)) {
    return absl::InvalidArgumentError(absl::StrCat(f("amount"), ": must be more than zero"));
  }
  const double base = (static_cast<double>(amount.units()) + amount.nanos() / 1e9) * rate;
  if (base > config_.crm.max_purchase_amount) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: %.2f %s is more than crm.max_purchase_amount (%.2f %s)",
                                                      f("amount"), base, config_.crm.base_currency,
                                                      config_.crm.max_purchase_amount, config_.crm.base_currency));
  }
  // Exact in the base currency; converted amounts are rounded to the micro.
  const int64_t base_micros = rate == 1 && code == config_.crm.base_currency
                                  ? amount.units() * kMicrosPerUnit + amount.nanos() / 1000
                                  : std::llround(base * kMicrosPerUnit);
  if (base_micros <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(f("amount"), ": less than a millionth of the base currency"));
  }
  if (purchase->has_purchase_time()) {
    if (!customers::IsValidTimestamp(purchase->purchase_time())) {
      return absl::InvalidArgumentError(absl::StrCat(f("purchase_time"), ": not a valid time"));
    }
    const absl::Time at = FromTimestamp(purchase->purchase_time());
    if (at < absl::UnixEpoch()) return absl::InvalidArgumentError(absl::StrCat(f("purchase_time"), ": before 1970"));
    if (at > now + absl::Minutes(5)) return absl::InvalidArgumentError(absl::StrCat(f("purchase_time"), ": in the future"));
  } else {
    *purchase->mutable_purchase_time() = ToTimestamp(now);
  }
  if (auto s = customers::CheckLength(purchase->product(), customers::Limits::kShortText, f("product")); !s.ok()) {
    return s;
  }
  if (customers::HasControlCharacter(purchase->product())) {
    return absl::InvalidArgumentError(absl::StrCat(f("product"), ": no control characters"));
  }
  if (!purchase->order_id().empty()) {
    if (auto s = customers::ValidateExternalId(purchase->order_id(), f("order_id")); !s.ok()) return s;
  }
  purchase->clear_name();
  purchase->clear_create_time();
  *purchase->mutable_base_amount() = MoneyOf(base_micros, config_.crm.base_currency);
  return base_micros;
}

absl::StatusOr<v1::Purchase> ValueDesk::Record(uint64_t customer, v1::Purchase purchase, const std::string& request_id,
                                               const std::string& principal, const std::string& field) {
  if (auto s = Refused(); !s.ok()) return s;
  const absl::Time now = clock_->Now();
  // A known order is answered before anything else is checked: a retried import stays
  // "unchanged" even after the rates or limits changed.
  if (!purchase.order_id().empty()) {
    if (auto s = customers::ValidateExternalId(purchase.order_id(), field + ".order_id"); !s.ok()) return s;
    auto earlier = store_.FindByOrderId(purchase.order_id());
    if (!earlier.ok()) return earlier.status();
    if (earlier->has_value()) {
      if (!(*earlier)->name().starts_with(storage::CustomerName(customer) + "/")) {
        return absl::AlreadyExistsError(absl::StrCat(field, ".order_id: '", purchase.order_id(),
                                                     "' is recorded for another customer"));
      }
      return **earlier;
    }
  }
  auto base_micros = CheckPurchase(&purchase, now, field);
  if (!base_micros.ok()) return base_micros.status();
  auto current = ReadCurrent(customer);
  if (!current.ok()) return current.status();
  const absl::Time at = FromTimestamp(purchase.purchase_time());
  auto figures = FiguresOf(customer, now, {{at, *base_micros}});
  if (!figures.ok()) return figures.status();

  rocksdb::WriteBatch batch;
  const uint64_t id = writer_->NextId(&batch, "purchase");
  purchase.set_name(storage::PurchaseName(customer, id));
  *purchase.mutable_create_time() = ToTimestamp(now);
  const std::string key = storage::ValueStore::PurchaseKey(customer, absl::ToUnixMicros(at), id);
  store_.PutPurchase(&batch, key, *base_micros, purchase);
  if (!request_id.empty()) store_.PutRequestId(&batch, request_id, key);
  if (!purchase.order_id().empty()) store_.PutOrderId(&batch, purchase.order_id(), key);

  std::vector<v1::Event> events;
  v1::Event recorded = NewEvent(now, principal);
  recorded.mutable_purchase_recorded()->set_customer(storage::CustomerName(customer));
  *recorded.mutable_purchase_recorded()->mutable_purchase() = purchase;
  recorded.mutable_purchase_recorded()->set_request_id(request_id);
  events.push_back(std::move(recorded));
  const v1::CustomerValue after = Present(customer, *figures, current->before_or_null(), current->file_or_null(), now);
  if (auto s = Stage(&batch, customer, WasOf(current->before), current->file_or_null(), after,
                     {"purchase", "", principal, false}, now, &events);
      !s.ok()) {
    return s;
  }
  if (auto s = Commit(&batch, &events); !s.ok()) return s;
  if (job_) touched_.insert(customer);
  if (!model_.usable() && !job_ && std::max(now + absl::Minutes(1), job_retry_not_before_) < job_due_) {
    // The first purchases of a new desk: score them soon rather than at the next daily run
    // (but not sooner than a failed run's back-off).
    job_due_ = std::max(now + absl::Minutes(1), job_retry_not_before_);
    ArmJobTimer();
  }
  return purchase;
}

absl::StatusOr<v1::Purchase> ValueDesk::RecordPurchase(const v1::RecordPurchaseRequest& request,
                                                       const std::string& principal) {
  auto customer = ExistingCustomer(request.parent(), "parent");
  if (!customer.ok()) return customer.status();
  if (auto s = customers::ValidateRequestId(request.request_id(), "request_id"); !s.ok()) return s;
  if (!request.request_id().empty()) {
    auto earlier = store_.FindByRequestId(request.request_id());
    if (!earlier.ok()) return earlier.status();
    if (earlier->has_value()) {
      if (!(*earlier)->name().starts_with(storage::CustomerName(*customer) + "/")) {
        return absl::AlreadyExistsError("request_id: already used for another customer's purchase");
      }
      return **earlier;
    }
  }
  if (!request.has_purchase()) return absl::InvalidArgumentError("purchase: required");
  return Record(*customer, request.purchase(), request.request_id(), principal, "purchase");
}

ValueDesk::ImportOutcome ValueDesk::ImportPurchase(const v1::ImportPurchasesRequest& request,
                                                   const std::string& principal) {
  ImportOutcome outcome;
  auto reject = [&](absl::Status status) {
    outcome.error = std::move(status);
    return outcome;
  };
  uint64_t customer = 0;
  if (!request.customer().empty()) {
    auto id = ExistingCustomer(request.customer(), "customer");
    if (!id.ok()) return reject(id.status());
    customer = *id;
  } else if (!request.customer_external_id().empty()) {
    auto id = customers_->FindByExternalId(request.customer_external_id());
    if (!id.ok()) return reject(id.status());
    if (!id->has_value()) {
      return reject(absl::NotFoundError(absl::StrCat("customer_external_id: no customer has '",
                                                     request.customer_external_id().substr(0, 200), "'")));
    }
    customer = **id;
  } else {
    return reject(absl::InvalidArgumentError("customer: required (customers/{id} or customer_external_id)"));
  }
  if (request.purchase().order_id().empty()) {
    return reject(absl::InvalidArgumentError("purchase.order_id: required in an import (it makes it idempotent)"));
  }
  auto earlier = store_.FindByOrderId(request.purchase().order_id());
  if (!earlier.ok()) return reject(earlier.status());
  const bool known = earlier->has_value();
  auto recorded = Record(customer, request.purchase(), "", principal, "purchase");
  if (!recorded.ok()) return reject(recorded.status());
  outcome.kind = known ? ImportOutcome::Kind::kUnchanged : ImportOutcome::Kind::kCreated;
  return outcome;
}

absl::StatusOr<v1::ListPurchasesResponse> ValueDesk::ListPurchases(const v1::ListPurchasesRequest& request) const {
  auto customer = ExistingCustomer(request.parent(), "parent");
  if (!customer.ok()) return customer.status();
  auto limit = EffectivePageSize(request.page_size(), 50, 500);
  if (!limit.ok()) return limit.status();
  std::optional<std::string> after;
  if (!request.page_token().empty()) {
    auto key = DecodePageToken(request.page_token(), "purchases", storage::ValueStore::PurchasePrefix(*customer));
    if (!key.ok()) return key.status();
    after = *key;
  }
  auto page = store_.ListPurchases(*customer, after, *limit);
  if (!page.ok()) return page.status();
  v1::ListPurchasesResponse response;
  for (auto& purchase : page->purchases) *response.add_purchases() = std::move(purchase);
  if (page->last_key) response.set_next_page_token(EncodePageToken("purchases", *page->last_key));
  return response;
}

absl::StatusOr<v1::CustomerValue> ValueDesk::GetValue(const std::string& name) const {
  auto id = customers::ParseCustomerName(name, "customer");
  if (!id.ok()) return id.status();
  auto stored = store_.GetValue(*id);
  if (!stored.ok()) return stored.status();
  v1::CustomerValue value;
  if (stored->has_value()) {
    value = **stored;
    // Expired and not yet processed (the timer is about to): it no longer counts.
    if (value.has_tier_override() && FromTimestamp(value.tier_override().expire_time()) <= clock_->Now()) {
      value.clear_tier_override();
      value.set_tier(value.value_tier());
    }
  } else {
    auto customer = customers_->GetCustomer(*id);
    if (!customer.ok()) return customer.status();
    value.set_customer(storage::CustomerName(*id));
    *value.mutable_total_spend() = MoneyOf(0, config_.crm.base_currency);
    *value.mutable_window_spend() = MoneyOf(0, config_.crm.base_currency);
    *value.mutable_lifetime_value() = MoneyOf(0, config_.crm.base_currency);
    value.set_value_tier(customer->tier());
    value.set_tier(customer->tier());
    value.set_lifecycle_state(customer->lifecycle_state());
  }
  value.set_lifetime_value_formula(crm::LifetimeValueFormula(rules_));
  return value;
}

// ---------------------------------------------------------------------------------------
// Overrides.

absl::StatusOr<v1::CustomerValue> ValueDesk::ChangeOverride(uint64_t customer,
                                                            std::optional<v1::TierOverride> override_,
                                                            const Cause& cause) {
  if (auto s = Refused(); !s.ok()) return s;
  const absl::Time now = clock_->Now();
  auto current = ReadCurrent(customer);
  if (!current.ok()) return current.status();
  const std::optional<v1::CustomerValue>& before = current->before;
  auto figures = FiguresOf(customer, now);
  if (!figures.ok()) return figures.status();
  v1::CustomerValue after = Present(customer, *figures, current->before_or_null(), current->file_or_null(), now);
  if (override_) {
    *after.mutable_tier_override() = *override_;
  } else {
    after.clear_tier_override();
  }
  after.set_tier(after.has_tier_override() ? after.tier_override().tier() : after.value_tier());

  rocksdb::WriteBatch batch;
  std::optional<absl::Time> old_expiry;
  if (before && before->has_tier_override()) {
    old_expiry = FromTimestamp(before->tier_override().expire_time());
    store_.DeleteOverrideExpiry(&batch, *old_expiry, customer);
  }
  if (override_) store_.PutOverrideExpiry(&batch, FromTimestamp(override_->expire_time()), customer);
  std::vector<v1::Event> events;
  if (auto s = Stage(&batch, customer, WasOf(before), current->file_or_null(), after, cause, now, &events); !s.ok()) {
    return s;
  }
  if (auto s = Commit(&batch, &events); !s.ok()) return s;
  if (old_expiry) expiries_.erase({*old_expiry, customer});
  if (override_) expiries_.insert({FromTimestamp(override_->expire_time()), customer});
  if (job_) touched_.insert(customer);
  ArmExpiryTimer();
  after.set_lifetime_value_formula(crm::LifetimeValueFormula(rules_));
  return after;
}

absl::StatusOr<v1::CustomerValue> ValueDesk::SetTierOverride(const v1::SetTierOverrideRequest& request,
                                                             const std::string& principal) {
  auto customer = ExistingCustomer(request.customer(), "customer");
  if (!customer.ok()) return customer.status();
  if (!v1::CustomerTier_IsValid(request.tier()) || request.tier() == v1::CUSTOMER_TIER_UNSPECIFIED) {
    return absl::InvalidArgumentError("tier: required (key-important, key-secondary, ordinary or small)");
  }
  if (auto s = CheckReason(request.reason(), "reason"); !s.ok()) return s;
  const absl::Time now = clock_->Now();
  if (!request.has_expire_time()) {
    return absl::InvalidArgumentError("expire_time: required (an override does not last for ever)");
  }
  if (!customers::IsValidTimestamp(request.expire_time())) {
    return absl::InvalidArgumentError("expire_time: not a valid time");
  }
  const absl::Time expire = FromTimestamp(request.expire_time());
  if (expire <= now) return absl::InvalidArgumentError("expire_time: must be in the future");
  if (expire > now + absl::Hours(24 * 366 * 3)) return absl::InvalidArgumentError("expire_time: at most 3 years ahead");
  v1::TierOverride override_;
  override_.set_tier(request.tier());
  override_.set_reason(request.reason());
  *override_.mutable_expire_time() = request.expire_time();
  override_.set_set_by(principal);
  *override_.mutable_set_time() = ToTimestamp(now);
  return ChangeOverride(*customer, override_, {"override", request.reason(), principal, true});
}

absl::StatusOr<v1::CustomerValue> ValueDesk::ClearTierOverride(const v1::ClearTierOverrideRequest& request,
                                                               const std::string& principal) {
  auto customer = ExistingCustomer(request.customer(), "customer");
  if (!customer.ok()) return customer.status();
  if (auto s = CheckReason(request.reason(), "reason"); !s.ok()) return s;
  auto before = store_.GetValue(*customer);
  if (!before.ok()) return before.status();
  if (!before->has_value() || !(*before)->has_tier_override()) {
    return absl::FailedPreconditionError(absl::StrCat(request.customer(), " has no tier override"));
  }
  return ChangeOverride(*customer, std::nullopt, {"override_cleared", request.reason(), principal, true});
}

void ValueDesk::RunDue() {
  if (stopped_) return;
  const absl::Time now = clock_->Now();
  std::vector<std::pair<absl::Time, uint64_t>> due;
  for (const auto& entry : expiries_) {
    if (entry.first > now) break;
    due.push_back(entry);
  }
  bool failed = false;
  for (const auto& [expire, customer] : due) {
    auto before = store_.GetValue(customer);
    absl::Status status = before.status();
    if (status.ok() && before->has_value() && (*before)->has_tier_override() &&
        FromTimestamp((*before)->tier_override().expire_time()) == expire) {
      status = ChangeOverride(customer, std::nullopt, {"override_expired", "", kJobPrincipal, true}).status();
    } else if (status.ok()) {
      // Replaced or cleared meanwhile: only the index row is left.
      rocksdb::WriteBatch batch;
      store_.DeleteOverrideExpiry(&batch, expire, customer);
      status = storage::FromRocks(db_->db()->Write(db_->write_options(), &batch), "removing an override expiry");
      if (status.ok()) expiries_.erase({expire, customer});
    }
    if (!status.ok()) {
      // The others go on; this one is tried again in a minute.
      LogEvent(spdlog::level::err, "value.override_expiry_failed",
               {{"customer", storage::CustomerName(customer)}, {"error", std::string(status.message())}});
      failed = true;
    }
  }
  expiry_retry_at_ = failed ? now + absl::Minutes(1) : absl::InfinitePast();
  ArmExpiryTimer();
}

void ValueDesk::ArmExpiryTimer() {
  if (stopped_) return;
  expiry_timer_.cancel();
  if (expiries_.empty()) return;
  // At the earliest expiry (within the hour: the clock may be moved), but not before the
  // retry after a failure.
  const absl::Time now = clock_->Now();
  const absl::Time at = std::max(expiries_.begin()->first, expiry_retry_at_);
  const absl::Duration wait = std::clamp(at - now, absl::Milliseconds(1), absl::Hours(1));
  expiry_timer_.expires_after(absl::ToChronoMilliseconds(wait));
  expiry_timer_.async_wait([this](const std::error_code& error) {
    if (!error) RunDue();
  });
}

// ---------------------------------------------------------------------------------------
// The value job.

void ValueDesk::Recompute(std::function<void(absl::StatusOr<v1::ValueModel>)> done) {
  if (stopped_) {
    done(absl::UnavailableError("the server is shutting down"));
    return;
  }
  // A running job read its snapshot before this call: the caller gets the run after it.
  if (job_) {
    waiting_next_.push_back(std::move(done));
    return;
  }
  waiting_.push_back(std::move(done));
  StartJob();
}

void ValueDesk::ArmJobTimer() {
  if (stopped_ || job_) return;
  job_timer_.cancel();
  const absl::Duration wait = std::clamp(job_due_ - clock_->Now(), absl::Seconds(1), absl::Hours(1));
  job_timer_.expires_after(absl::ToChronoMilliseconds(wait));
  job_timer_.async_wait([this](const std::error_code& error) {
    if (error || stopped_ || job_) return;
    if (clock_->Now() >= job_due_) {
      StartJob();
    } else {
      ArmJobTimer();
    }
  });
}

void ValueDesk::StartJob() {
  if (stopped_ || job_) return;
  job_timer_.cancel();
  if (job_thread_.joinable()) job_thread_.join();
  auto job = std::make_shared<Job>();
  job->now = clock_->Now();
  job->started = std::chrono::steady_clock::now();
  job_ = job;
  // Anything committed from here on is rescored from storage when the job is applied.
  touched_.clear();
  cancel_job_ = false;
  job_thread_ = std::thread([this, job] { RunJob(job); });
}

void ValueDesk::RunJob(std::shared_ptr<Job> job) {
  const rocksdb::Snapshot* snapshot = db_->db()->GetSnapshot();
  absl::Status status = ComputeJob(job.get(), snapshot);
  db_->db()->ReleaseSnapshot(snapshot);
  if (cancel_job_) return;
  loop_->Post([this, job, status] {
    if (!status.ok()) {
      FinishJob(job, status);
    } else {
      ApplyChunk(job);
    }
  });
}

absl::Status ValueDesk::ComputeJob(Job* job, const rocksdb::Snapshot* snapshot) const {
  // Every customer's figures, in customer order.
  std::vector<uint64_t> ids;
  std::vector<crm::PurchaseFigures> figures;
  int64_t seen = 0;
  auto status = store_.ForEachPurchase(snapshot, [&](const storage::ValueStore::PurchasePoint& p) {
    if (ids.empty() || ids.back() != p.customer_id) {
      ids.push_back(p.customer_id);
      figures.emplace_back();
    }
    auto& f = figures.back();
    const absl::Time at = absl::FromUnixMicros(p.time_us);
    f.Add(at, p.base_micros);
    if (InWindow(at, job->now, rules_)) {
      ++f.window_count;
      f.window_spend_micros += p.base_micros;
    }
    // Stop() must not wait for a whole scan.
    return (++seen & 0xfff) != 0 || !cancel_job_;
  });
  if (!status.ok()) return status;
  if (cancel_job_) return absl::CancelledError("stopped");

  job->built = crm::BuildModel(rules_, figures, job->now);
  const crm::ValueModel& m = job->built;
  v1::ValueModelRow& row = job->model;
  row.set_compute_time_us(absl::ToUnixMicros(m.computed_at));
  row.set_scored_customers(m.scored_customers);
  for (int k = 0; k < 4; ++k) {
    row.add_recency_us(m.recency.breakpoints[k]);
    row.add_frequency(m.frequency.breakpoints[k]);
    row.add_monetary_micros(m.monetary.breakpoints[k]);
  }
  row.set_key_important_from_micros(m.key_important_from.value_or(-1));
  row.set_key_secondary_from_micros(m.key_secondary_from.value_or(-1));
  row.set_ordinary_from_micros(m.ordinary_from.value_or(-1));
  row.set_total_window_spend_micros(m.total_window_spend_micros);
  const std::string& currency = config_.crm.base_currency;
  v1::ValueModel& view = *row.mutable_model();
  *view.mutable_compute_time() = ToTimestamp(m.computed_at);
  view.set_scored_customers(m.scored_customers);
  for (int k = 0; k < 4; ++k) {
    *view.add_recency_breakpoints() = ToTimestamp(absl::FromUnixMicros(m.recency.breakpoints[k]));
    view.add_frequency_breakpoints(m.frequency.breakpoints[k]);
    *view.add_monetary_breakpoints() = MoneyOf(m.monetary.breakpoints[k], currency);
  }
  if (m.key_important_from) *view.mutable_key_important_from() = MoneyOf(*m.key_important_from, currency);
  if (m.key_secondary_from) *view.mutable_key_secondary_from() = MoneyOf(*m.key_secondary_from, currency);
  if (m.ordinary_from) *view.mutable_ordinary_from() = MoneyOf(*m.ordinary_from, currency);
  *view.mutable_total_window_spend() = MoneyOf(m.total_window_spend_micros, currency);

  // The stored values beside the new figures (both in customer order): the ones that moved.
  std::size_t i = 0;
  absl::Status problem;
  auto rescore = [&](std::size_t index, const v1::CustomerValue* before) {
    std::optional<v1::Customer> file;
    if (before == nullptr) {
      auto read = customers_->GetCustomer(ids[index]);
      if (!read.ok()) {
        if (!absl::IsNotFound(read.status())) problem = read.status();
        return;  // purchases of a customer who no longer exists: nothing to show them on
      }
      file = *std::move(read);
    }
    v1::CustomerValue after = PresentWith(m, ids[index], figures[index], before, file ? &*file : nullptr, job->now);
    if (before != nullptr && Comparable(*before) == Comparable(after)) return;
    job->changed.push_back({ids[index],
                            before ? std::optional<Was>(Was{before->tier(), before->lifecycle_state()}) : std::nullopt,
                            after.SerializeAsString()});
  };
  status = store_.ForEachValue(snapshot, [&](uint64_t customer, std::string_view bytes) {
    if (cancel_job_) return false;
    while (i < ids.size() && ids[i] < customer) rescore(i++, nullptr);
    if (i < ids.size() && ids[i] == customer) {
      v1::CustomerValue before;
      if (!before.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        problem = absl::DataLossError(absl::StrCat("the value of ", storage::CustomerName(customer), " is unreadable"));
      } else {
        rescore(i, &before);
      }
      ++i;
    }
    return true;
  });
  if (!status.ok()) return status;
  while (i < ids.size()) rescore(i++, nullptr);
  if (!problem.ok()) return problem;
  return cancel_job_ ? absl::CancelledError("stopped") : absl::OkStatus();
}

void ValueDesk::ApplyChunk(std::shared_ptr<Job> job) {
  if (stopped_) return;
  rocksdb::WriteBatch batch;
  std::vector<v1::Event> events;
  const absl::Time now = clock_->Now();  // when the changes are written (figures are as of job->now)
  if (!job->installed) {
    store_.PutModel(&batch, job->model);
    v1::Event computed = NewEvent(now, kJobPrincipal);
    *computed.mutable_value_model_computed()->mutable_model() = job->model.model();
    events.push_back(std::move(computed));
  }
  const crm::ValueModel& model = job->built;
  const Cause cause{"recompute", "", kJobPrincipal, false};
  absl::Status status;
  std::size_t budget = kChunk;
  for (; job->next < job->changed.size() && budget > 0 && status.ok(); --budget) {
    const Rescored& r = job->changed[job->next++];
    if (touched_.erase(r.customer) > 0) {
      // Changed on the loop after the snapshot: rescore what is stored now.
      status = RescoreStored(&batch, r.customer, model, now, cause, &events, job.get());
      continue;
    }
    v1::CustomerValue after;
    if (!after.ParseFromString(r.after)) {
      status = absl::InternalError("a rescored value does not parse");
      break;
    }
    status = Stage(&batch, r.customer, r.before, nullptr, after, cause, now, &events, &job->tier_changes,
                   &job->lifecycle_changes);
  }
  if (job->next == job->changed.size() && !job->late_taken) {
    job->late.assign(touched_.begin(), touched_.end());
    std::sort(job->late.begin(), job->late.end());
    touched_.clear();
    job->late_taken = true;
  }
  for (; job->late_taken && job->next_late < job->late.size() && budget > 0 && status.ok(); --budget) {
    status = RescoreStored(&batch, job->late[job->next_late++], model, now, cause, &events, job.get());
  }
  const bool last = job->late_taken && job->next_late == job->late.size();
  if (status.ok() && last) {
    // The run's figures go with the model, so that they outlive a restart.
    v1::ValueModel& view = *job->model.mutable_model();
    view.set_customers_changed(static_cast<int64_t>(job->changed.size()));
    view.set_tier_changes(job->tier_changes);
    view.set_lifecycle_changes(job->lifecycle_changes);
    view.set_run_seconds(std::chrono::duration<double>(std::chrono::steady_clock::now() - job->started).count());
    store_.PutModel(&batch, job->model);
  }
  if (status.ok()) status = Commit(&batch, &events);
  if (!status.ok()) {
    FinishJob(job, status);
    return;
  }
  if (!job->installed || last) {
    InstallModel(job->model);
    job->installed = true;
  }
  if (!last) {
    loop_->Post([this, job] { ApplyChunk(job); });
    return;
  }
  FinishJob(job, absl::OkStatus());
}

absl::Status ValueDesk::RescoreStored(rocksdb::WriteBatch* batch, uint64_t customer, const crm::ValueModel& model,
                                      absl::Time now, const Cause& cause, std::vector<v1::Event>* events, Job* job) {
  auto current = ReadCurrent(customer);
  if (absl::IsNotFound(current.status())) return absl::OkStatus();  // no longer a customer
  if (!current.ok()) return current.status();
  auto figures = FiguresOf(customer, now);
  if (!figures.ok()) return figures.status();
  if (figures->count == 0 && !current->before) return absl::OkStatus();
  v1::CustomerValue after =
      PresentWith(model, customer, *figures, current->before_or_null(), current->file_or_null(), now);
  if (current->before && Comparable(*current->before) == Comparable(after)) return absl::OkStatus();
  return Stage(batch, customer, WasOf(current->before), current->file_or_null(), after, cause, now, events,
               &job->tier_changes, &job->lifecycle_changes);
}

void ValueDesk::FinishJob(std::shared_ptr<Job> job, absl::Status status) {
  job_.reset();
  if (job_thread_.joinable()) job_thread_.join();
  if (status.ok()) {
    const v1::ValueModel& view = job->model.model();
    LogEvent(spdlog::level::info, "value.recomputed",
             {{"customers", std::to_string(view.scored_customers())},
              {"changed", std::to_string(view.customers_changed())},
              {"tier_changes", std::to_string(view.tier_changes())},
              {"lifecycle_changes", std::to_string(view.lifecycle_changes())},
              {"seconds", absl::StrFormat("%.3f", view.run_seconds())}});
    job_due_ = model_.computed_at + absl::Hours(config_.crm.recompute_interval_hours);
  } else {
    LogEvent(spdlog::level::err, "value.recompute_failed", {{"error", std::string(status.message())}});
    // Not again at once: a lasting problem (an unreadable row) would scan the base back to back.
    job_due_ = job_retry_not_before_ = clock_->Now() + absl::Minutes(10);
  }
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& done : waiting) {
    if (status.ok()) {
      done(Model());
    } else {
      done(status);
    }
  }
  if (!waiting_next_.empty() && !stopped_) {
    waiting_ = std::move(waiting_next_);
    waiting_next_.clear();
    StartJob();
    return;
  }
  ArmJobTimer();
}

}  // namespace servicedesk::server
