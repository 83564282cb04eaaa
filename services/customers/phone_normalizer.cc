#include "services/customers/phone_normalizer.h"

#include <optional>
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
// Input already in canonical E.164 ("+4930123456", what CTI systems send) is checked
// without libphonenumber's regex-based parser, which costs several microseconds: the
// country code is found directly (country codes are prefix-free) and the possible
// lengths come from the same metadata. Anything else returns nullopt and takes the
// full parse.
std::optional<std::string> CanonicalE164(absl::string_view input) {
  if (input.size() < 8 || input.size() > 16 || input[0] != '+' || input[1] == '0') {
    return std::nullopt;
  }
  for (std::size_t i = 1; i < input.size(); ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(input[i]))) return std::nullopt;
  }
  for (std::size_t cc_length = 1; cc_length <= 3; ++cc_length) {
    int country_code = 0;
    for (std::size_t i = 1; i <= cc_length; ++i) country_code = country_code * 10 + (input[i] - '0');
    std::string region;
    Util().GetRegionCodeForCountryCode(country_code, &region);
    if (region == "ZZ") continue;
    const absl::string_view national = input.substr(1 + cc_length);
    i18n::phonenumbers::PhoneNumber number;
    number.set_country_code(country_code);
    uint64_t value = 0;
    int leading_zeros = 0;
    for (char c : national) {
      if (value == 0 && c == '0') ++leading_zeros;
      value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    number.set_national_number(value);
    if (leading_zeros > 0) {
      number.set_italian_leading_zero(true);
      number.set_number_of_leading_zeros(leading_zeros);
    }
    if (Util().IsPossibleNumberWithReason(number) != PhoneNumberUtil::IS_POSSIBLE) return std::nullopt;
    std::string formatted;
    Util().Format(number, PhoneNumberUtil::E164, &formatted);
    if (formatted != input) return std::nullopt;
    return formatted;
  }
  return std::nullopt;
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
  if (auto canonical = CanonicalE164(input)) return *std::move(canonical);
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
