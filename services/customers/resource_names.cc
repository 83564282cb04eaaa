#include "services/customers/resource_names.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace servicedesk::customers {

absl::StatusOr<uint64_t> ParseCustomerName(absl::string_view name, absl::string_view field) {
  constexpr absl::string_view kPrefix = "customers/";
  uint64_t id = 0;
  if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  if (!absl::StartsWith(name, kPrefix) || name.size() > kPrefix.size() + 20 ||
      !absl::SimpleAtoi(name.substr(kPrefix.size()), &id) || id == 0 ||
      absl::StrCat(kPrefix, id) != name) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": '", name.substr(0, 60), "' is not a customer name (customers/{id})"));
  }
  return id;
}

}  // namespace servicedesk::customers
