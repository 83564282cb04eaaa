#pragma once

// Phone numbers to E.164 with libphonenumber. Numbers written in national form
// ("030 1234567") need a default region; without one only international forms
// ("+49 30 1234567", "0049...") are accepted. No country is built in.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace servicedesk::customers {

inline constexpr std::size_t kMaxPhoneInputLength = 40;

class PhoneNormalizer {
 public:
  // `default_region`: ISO 3166-1 alpha-2 ("DE", "CN"), or empty.
  explicit PhoneNormalizer(std::string default_region);

  // INVALID_ARGUMENT naming `field` when the input is not a possible phone number.
  absl::StatusOr<std::string> ToE164(absl::string_view input, absl::string_view field) const;

  const std::string& default_region() const { return default_region_; }

  // Whether `region` is a region libphonenumber knows (for config validation).
  static bool IsKnownRegion(absl::string_view region);

 private:
  std::string default_region_;
};

}  // namespace servicedesk::customers
