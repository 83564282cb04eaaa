#pragma once

// The edge of CTI: a CallEvent proto as telephony sent it, checked and normalised into the
// tracker's CallEvent, or refused with INVALID_ARGUMENT whose message starts with the field
// ("calling_number: 'abc' is not a phone number"). Nothing is stored for a refused event.

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/cti/call_tracker.h"
#include "services/customers/phone_normalizer.h"
#include "servicedesk/v1/cti.pb.h"

namespace servicedesk::cti {

struct EventLimits {
  std::size_t max_id_length = 128;           // source, event_id, call_id
  std::size_t max_ivr_entries = 32;
  std::size_t max_ivr_key_length = 64;
  std::size_t max_ivr_value_length = 512;
  std::size_t max_ivr_bytes = 4096;          // keys and values together
  absl::Duration max_clock_ahead = absl::Minutes(5);  // a source clock a little fast is fine
  std::size_t max_extension_digits = 8;      // internal numbers that are not E.164
};

// `now` is the desk's time, for the plausibility of source_time.
absl::StatusOr<CallEvent> NormalizeEvent(const v1::CallEvent& event,
                                         const customers::PhoneNormalizer& phones, absl::Time now,
                                         const EventLimits& limits = {});

}  // namespace servicedesk::cti
