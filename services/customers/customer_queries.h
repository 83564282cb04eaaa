#pragma once

// Reads of the customer file, including the screen pop. Thread-safe: called
// straight from gRPC threads without a hop to the desk loop.

#include "absl/status/statusor.h"
#include "services/customers/phone_normalizer.h"
#include "servicedesk/v1/customer.pb.h"
#include "storage/customer_store.h"
#include "storage/value_store.h"

namespace servicedesk::customers {

class CustomerQueries {
 public:
  CustomerQueries(const storage::CustomerStore* store, const PhoneNormalizer* phones)
      : store_(store), values_(store->database()), phones_(phones) {}

  absl::StatusOr<v1::Customer> Get(const v1::GetCustomerRequest& request) const;
  absl::StatusOr<v1::ListCustomersResponse> List(const v1::ListCustomersRequest& request) const;
  absl::StatusOr<v1::LookupCustomersResponse> Lookup(
      const v1::LookupCustomersRequest& request) const;
  absl::StatusOr<v1::ListInteractionsResponse> ListInteractions(
      const v1::ListInteractionsRequest& request) const;

  // The screen pop. By phone: an unknown number gives known_caller=false with the
  // normalised number; a shared one gives the lowest customer id's context and the
  // others in other_matches.
  absl::Status Context(const v1::GetCustomerContextRequest& request,
                       v1::CustomerContext* out) const;

  // The same screen pop as a serialized CustomerContext, assembled from the stored
  // message bytes without parsing them: what the gRPC adapter sends as is.
  absl::Status ContextWire(const v1::GetCustomerContextRequest& request, std::string* out) const;

 private:
  const storage::CustomerStore* store_;
  storage::ValueStore values_;  // the pop's value figures
  const PhoneNormalizer* phones_;
};

}  // namespace servicedesk::customers
