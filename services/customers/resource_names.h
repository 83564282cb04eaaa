#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace servicedesk::customers {

// "customers/{id}" -> id. INVALID_ARGUMENT naming `field` when malformed.
absl::StatusOr<uint64_t> ParseCustomerName(absl::string_view name, absl::string_view field);

}  // namespace servicedesk::customers
