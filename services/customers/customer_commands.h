#pragma once

// Changes to the customer file. Each command validates its input completely,
// then writes one WriteBatch with one event: a refused command changes nothing.
//
// Threading: runs on the desk loop only (it owns the EventWriter).

#include <string>

#include "absl/status/statusor.h"
#include "services/common/clock.h"
#include "services/customers/phone_normalizer.h"
#include "servicedesk/v1/customer.pb.h"
#include "storage/customer_store.h"
#include "storage/event_writer.h"

namespace servicedesk::customers {

struct ImportOutcome {
  enum class Kind { kCreated, kUnchanged, kRejected } kind = Kind::kRejected;
  int interactions_created = 0;
  absl::Status error;  // for kRejected: INVALID_ARGUMENT naming the field
};

class CustomerCommands {
 public:
  CustomerCommands(storage::CustomerStore* store, storage::EventWriter* writer,
                   const PhoneNormalizer* phones, const Clock* clock)
      : store_(store), writer_(writer), phones_(phones), clock_(clock) {}

  // ALREADY_EXISTS when external_id belongs to another customer. A repeated request_id
  // returns the customer created the first time.
  absl::StatusOr<v1::Customer> Create(v1::CreateCustomerRequest request,
                                      const std::string& principal);
  absl::StatusOr<v1::Customer> Update(const v1::UpdateCustomerRequest& request,
                                      const std::string& principal);
  absl::StatusOr<v1::Interaction> AppendInteraction(v1::CreateInteractionRequest request,
                                                    const std::string& principal);
  // Records the agent's wrap-up code and notes on the interaction appended under
  // `request_id` for `customer` (the call just ended). The code is at most 64 characters of
  // letters, digits, '-', '_' and '.'; the notes at most Limits::kLongText bytes of UTF-8.
  // NOT_FOUND when no such interaction was appended. Repeating it overwrites.
  absl::StatusOr<v1::Interaction> WrapUpInteraction(const std::string& customer,
                                                    const std::string& request_id,
                                                    const std::string& wrap_up_code,
                                                    const std::string& notes,
                                                    const std::string& principal);
  // One record of a bulk import, idempotent by external id.
  ImportOutcome Import(v1::ImportRecord record, const std::string& principal);

 private:
  // Gives a validated new customer its id, name, customer number and times, and adds its
  // rows (profile and indexes) to `batch`. Returns the id.
  uint64_t AddNewCustomer(rocksdb::WriteBatch* batch, v1::Customer* customer,
                          const google::protobuf::Timestamp& now);

  storage::CustomerStore* store_;
  storage::EventWriter* writer_;
  const PhoneNormalizer* phones_;
  const Clock* clock_;
};

}  // namespace servicedesk::customers
