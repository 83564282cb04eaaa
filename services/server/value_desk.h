#pragma once

// The value desk: purchases, RFM, lifetime value, tiers and the lifecycle (the rules are
// services/crm/value_rules) with storage, history and the screen pop.
//
// A purchase is one WriteBatch: the purchase, the customer's value rescored against the
// last model, and, when their tier or lifecycle state moved, the customer's file, screen pop
// and history entries (channels TIER_CHANGE, LIFECYCLE_CHANGE) with a CustomerValueChanged
// event. Tier overrides are the same kind of change; each expires by a timer re-armed from
// storage at start.
//
// The value job reads every purchase and value from a RocksDB snapshot on its own thread
// (the desk loop goes on serving), builds the model (quintile breakpoints, tier bands),
// then applies the customers whose figures moved on the loop, a thousand per batch. A
// customer who bought or was overridden while the job ran is rescored from storage with the
// new model instead of the job's figures, so nothing committed meanwhile is overwritten.

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <asio/steady_timer.hpp>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "services/common/clock.h"
#include "services/common/desk_loop.h"
#include "services/crm/value_rules.h"
#include "services/server/config.h"
#include "servicedesk/v1/customer_value.pb.h"
#include "servicedesk/v1/events.pb.h"
#include "storage/customer_store.h"
#include "storage/event_writer.h"
#include "storage/value_store.h"

namespace servicedesk::server {

class ValueDesk {
 public:
  struct ImportOutcome {
    enum class Kind { kCreated, kUnchanged, kRejected } kind = Kind::kRejected;
    absl::Status error;  // kRejected: the reason, naming the field
  };

  // `config` must have passed ValidateConfig.
  ValueDesk(const Config& config, const Clock* clock, DeskLoop* loop, storage::Database* db,
            storage::EventWriter* writer, const storage::CustomerStore* customers);
  ~ValueDesk();

  // On the loop: loads the model and the override expiries, arms the timers, and starts the
  // value job when the last run is older than the interval.
  absl::Status Start();
  // On the loop: stops the timers and a running job (its thread is joined).
  void Stop();

  // All on the loop. INVALID_ARGUMENT naming the field; NOT_FOUND for an unknown customer;
  // ALREADY_EXISTS for an order id of another customer.
  absl::StatusOr<v1::Purchase> RecordPurchase(const v1::RecordPurchaseRequest& request, const std::string& principal);
  ImportOutcome ImportPurchase(const v1::ImportPurchasesRequest& request, const std::string& principal);
  absl::StatusOr<v1::CustomerValue> SetTierOverride(const v1::SetTierOverrideRequest& request,
                                                    const std::string& principal);
  absl::StatusOr<v1::CustomerValue> ClearTierOverride(const v1::ClearTierOverrideRequest& request,
                                                      const std::string& principal);
  // Runs the value job (after the running one, whose snapshot is older than the call); `done`
  // runs on the loop when it has been applied.
  void Recompute(std::function<void(absl::StatusOr<v1::ValueModel>)> done);
  v1::ValueModel Model() const;
  // Expired overrides (the timer calls it).
  void RunDue();

  // Reads (any thread).
  absl::StatusOr<v1::ListPurchasesResponse> ListPurchases(const v1::ListPurchasesRequest& request) const;
  // A customer the rules know nothing of yet gets their file's tier and lifecycle state.
  absl::StatusOr<v1::CustomerValue> GetValue(const std::string& customer) const;

 private:
  struct Job;
  // Why a value changes, as its event and history entry say.
  struct Cause {
    std::string name;  // purchase, recompute, override, override_cleared, override_expired
    std::string reason;
    std::string principal;
    bool override_changed = false;  // an event and a history entry even if the tier stays
  };
  // A customer's tier and lifecycle state before a change (nullopt: no value row yet, the
  // file's count).
  struct Was {
    v1::CustomerTier tier;
    v1::LifecycleState lifecycle;
  };
  static std::optional<Was> WasOf(const std::optional<v1::CustomerValue>& value);
  // A customer whose value the job moved: kept small (a million of them may move at once).
  struct Rescored {
    uint64_t customer;
    std::optional<Was> before;
    std::string after;  // serialized CustomerValue
  };

  // What a customer's rescoring starts from: their stored value, and their file when there is
  // no value yet (its tier and lifecycle state stand until the rules say otherwise).
  struct Current {
    std::optional<v1::CustomerValue> before;
    std::optional<v1::Customer> file;
    const v1::CustomerValue* before_or_null() const { return before ? &*before : nullptr; }
    const v1::Customer* file_or_null() const { return file ? &*file : nullptr; }
  };
  absl::StatusOr<Current> ReadCurrent(uint64_t customer) const;
  // The customer's figures from storage, with `extra` purchases not written yet.
  absl::StatusOr<crm::PurchaseFigures> FiguresOf(uint64_t customer, absl::Time now,
                                                 const std::vector<std::pair<absl::Time, int64_t>>& extra = {}) const;
  // The value from `figures` against the current model, keeping what `before` holds that the
  // figures do not decide (the override, the file's tier and state for a customer without
  // purchases). `file` is needed when there is no `before`.
  v1::CustomerValue Present(uint64_t customer, const crm::PurchaseFigures& figures, const v1::CustomerValue* before,
                            const v1::Customer* file, absl::Time now) const;
  // The same against `model` (the job's, before it is installed).
  v1::CustomerValue PresentWith(const crm::ValueModel& model, uint64_t customer, const crm::PurchaseFigures& figures,
                                const v1::CustomerValue* before, const v1::Customer* file, absl::Time now) const;
  // Adds the value row and, when the tier or lifecycle state moved, the file, the screen pop,
  // the history entries and a CustomerValueChanged event.
  // `file`: the customer's file when the caller has read it already (else read here when needed).
  absl::Status Stage(rocksdb::WriteBatch* batch, uint64_t customer, const std::optional<Was>& before,
                     const v1::Customer* file, const v1::CustomerValue& after, const Cause& cause, absl::Time now,
                     std::vector<v1::Event>* events, int64_t* tier_changes = nullptr,
                     int64_t* lifecycle_changes = nullptr);
  absl::Status Commit(rocksdb::WriteBatch* batch, std::vector<v1::Event>* events);
  // Validated purchase with its base amount; `field` prefixes the messages.
  absl::StatusOr<int64_t> CheckPurchase(v1::Purchase* purchase, absl::Time now, const std::string& field) const;
  absl::StatusOr<v1::Purchase> Record(uint64_t customer, v1::Purchase purchase, const std::string& request_id,
                                      const std::string& principal, const std::string& field);
  absl::StatusOr<uint64_t> ExistingCustomer(const std::string& name, const std::string& field) const;
  absl::StatusOr<v1::CustomerValue> ChangeOverride(uint64_t customer, std::optional<v1::TierOverride> override_,
                                                   const Cause& cause);

  void InstallModel(const v1::ValueModelRow& row);
  void StartJob();
  void RunJob(std::shared_ptr<Job> job);  // the job's thread
  // The figures and model from `snapshot`, and the customers whose value moved (job thread).
  absl::Status ComputeJob(Job* job, const rocksdb::Snapshot* snapshot) const;
  void ApplyChunk(std::shared_ptr<Job> job);  // on the loop
  // A customer changed while the job ran: rescored from storage against `model`.
  absl::Status RescoreStored(rocksdb::WriteBatch* batch, uint64_t customer, const crm::ValueModel& model,
                             absl::Time now, const Cause& cause, std::vector<v1::Event>* events, Job* job);
  void FinishJob(std::shared_ptr<Job> job, absl::Status status);
  // The job runs at job_due_ (its interval after the last run; sooner after a purchase while
  // the model is not usable; later after a failure).
  void ArmJobTimer();
  void ArmExpiryTimer();
  absl::Status Refused() const;

  Config config_;
  crm::ValueRules rules_;
  const Clock* clock_;
  DeskLoop* loop_;
  storage::Database* db_;
  storage::EventWriter* writer_;
  const storage::CustomerStore* customers_;
  storage::ValueStore store_;

  crm::ValueModel model_;
  v1::ValueModel model_view_;
  std::set<std::pair<absl::Time, uint64_t>> expiries_;
  asio::steady_timer expiry_timer_;
  asio::steady_timer job_timer_;
  bool stopped_ = false;
  absl::Time job_due_ = absl::InfinitePast();
  absl::Time job_retry_not_before_ = absl::InfinitePast();  // after a failed run
  absl::Time expiry_retry_at_ = absl::InfinitePast();  // after a failed expiry

  std::shared_ptr<Job> job_;  // the running one
  std::thread job_thread_;
  std::atomic<bool> cancel_job_{false};
  // Customers changed on the loop since the running job took its snapshot.
  absl::flat_hash_set<uint64_t> touched_;
  // Callers of Recompute: of the running job, and of the one after it.
  std::vector<std::function<void(absl::StatusOr<v1::ValueModel>)>> waiting_;
  std::vector<std::function<void(absl::StatusOr<v1::ValueModel>)>> waiting_next_;
};

}  // namespace servicedesk::server
