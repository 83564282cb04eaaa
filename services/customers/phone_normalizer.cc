#include "services/customers/phone_normalizer.h"

#include <set>

#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumberutil.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace servicedesk::customers {

namespace {
using i18n::phonenumbers::PhoneNumberUtil;

PhoneNumberUtil& Util() {
  static PhoneNumberUtil* util = [] {
    auto* instance = PhoneNumberUtil::GetInstance();
    // libphonenumber logs parse failures to stderr; we report them as statuses instead.
    instance->SetLogger(new i18n::phonenumbers::NullLogger());
    return instance;
  }();
  return *util;
}
}  // namespace

PhoneNormalizer::PhoneNormalizer(std::string default_region)
    : default_region_(std::move(default_region)) {}

bool PhoneNormalizer::IsKnownRegion(absl::string_view region) {
  std::set<std::string> regions;
  Util().GetSupportedRegions(&regions);
  return regions.contains(std::string(region));
}

absl::StatusOr<std::string> PhoneNormalizer::ToE164(absl::string_view input,
                                                    absl::string_view field) const {
  if (input.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  if (input.size() > kMaxPhoneInputLength) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": longer than ", kMaxPhoneInputLength, " characters"));
  }
  // libphonenumber reads letters as keypad digits and drops "ext. 12"; a customer file
  // wants the number as dialled, so letters are refused.
  for (unsigned char c : input) {
    if (absl::ascii_isalpha(c)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": letters are not allowed in a phone number"));
    }
  }
  const std::string region = default_region_.empty() ? "ZZ" : default_region_;
  i18n::phonenumbers::PhoneNumber parsed;
  const auto error = Util().Parse(std::string(input), region, &parsed);
  if (error == PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR && default_region_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": '", input,
        "' has no country code and no default region is configured (phone.default_region)"));
  }
  // IS_POSSIBLE_LOCAL_ONLY numbers (dialable only inside an area) are not a caller's identity.
  if (error != PhoneNumberUtil::NO_PARSING_ERROR ||
      Util().IsPossibleNumberWithReason(parsed) != PhoneNumberUtil::IS_POSSIBLE) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": '", input, "' is not a phone number"));
  }
  std::string e164;
  Util().Format(parsed, PhoneNumberUtil::E164, &e164);
  return e164;
}

}  // namespace servicedesk::customers
