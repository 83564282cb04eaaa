#pragma once

// What a listing of desk records (tickets, complaints) takes from its request: the page size,
// the customer it is limited to, and where the last page ended. The page token holds
// "<customer>|<last id>", so a token is only good for the listing of the same customer.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace servicedesk::server {

struct RecordListing {
  int page_size = 50;
  std::optional<uint64_t> customer_id;
  std::optional<uint64_t> after;
};

// INVALID_ARGUMENT naming "customer", "page_size" or "page_token".
absl::StatusOr<RecordListing> ParseRecordListing(absl::string_view kind, const std::string& customer, int page_size,
                                                 const std::string& page_token);
std::string RecordPageToken(absl::string_view kind, const std::string& customer, uint64_t last);

}  // namespace servicedesk::server
