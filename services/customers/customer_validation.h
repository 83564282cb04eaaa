#pragma once

// Edge validation of the customer file: required fields, documented limits,
// enum values, and normalisation (E.164 phones, trimmed strings). Every error is
// INVALID_ARGUMENT and names the offending field, e.g. "customer.emails[1].address".

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/customers/phone_normalizer.h"
#include "servicedesk/v1/customer.pb.h"

namespace servicedesk::customers {

struct Limits {
  static constexpr std::size_t kShortText = 200;
  static constexpr std::size_t kLongText = 4000;
  static constexpr int kPhoneNumbers = 20;
  static constexpr int kEmails = 20;
  static constexpr int kContacts = 20;
  static constexpr int kPreferences = 50;
  static constexpr std::size_t kEmail = 254;
  static constexpr std::size_t kRequestId = 100;
  static constexpr int kMaxContextInteractions = 100;
  static constexpr int kDefaultContextInteractions = 20;
  static constexpr int kImportInteractions = 10000;
};

// Validates `customer` (as it will be stored) and normalises it in place.
// `field` is the prefix for error messages ("customer", "record.customer").
absl::Status ValidateCustomer(v1::Customer* customer, const PhoneNormalizer& phones,
                              absl::string_view field);

// The agent's wrap-up of a call: `code` empty or at most 64 of [A-Za-z0-9._-]; `notes` at
// most Limits::kLongText bytes without control characters (new lines allowed). Both are
// trimmed in place. `field_prefix` names the request ("" for top-level fields).
absl::Status ValidateWrapUp(std::string* code, std::string* notes, absl::string_view field_prefix);

// Validates an interaction to be appended; fills start_time with `now` when unset.
absl::Status ValidateInteraction(v1::Interaction* interaction, absl::Time now,
                                 absl::string_view field);

// Identifiers end up inside storage keys: printable ASCII, no spaces or separators (UTF-8
// letters pass).
bool IsPrintableIdentifier(absl::string_view value);

absl::Status ValidateRequestId(absl::string_view request_id, absl::string_view field);
absl::Status ValidateExternalId(absl::string_view external_id, absl::string_view field);

// Within the range google.protobuf.Timestamp allows (years 1 to 9999).
bool IsValidTimestamp(const google::protobuf::Timestamp& timestamp);

// Unicode code points in valid UTF-8 (protobuf has checked the encoding).
std::size_t CountCharacters(absl::string_view utf8);

// Checks a length limit in characters; `field: longer than N characters`.
// Whether `value` holds a control character other than new line, tab and carriage return.
bool HasControlCharacter(absl::string_view value);

absl::Status CheckLength(absl::string_view value, std::size_t limit, absl::string_view field);

}  // namespace servicedesk::customers
