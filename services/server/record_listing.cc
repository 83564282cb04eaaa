#include "services/server/record_listing.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/page_token.h"
#include "services/customers/resource_names.h"

namespace servicedesk::server {

absl::StatusOr<RecordListing> ParseRecordListing(absl::string_view kind, const std::string& customer, int page_size,
                                                 const std::string& page_token) {
  RecordListing listing;
  auto size = EffectivePageSize(page_size, 50, 500);
  if (!size.ok()) return size.status();
  listing.page_size = *size;
  if (!customer.empty()) {
    auto parsed = customers::ParseCustomerName(customer, "customer");
    if (!parsed.ok()) return parsed.status();
    listing.customer_id = *parsed;
  }
  if (!page_token.empty()) {
    const std::string prefix = absl::StrCat(customer, "|");
    auto key = DecodePageToken(page_token, kind, prefix);
    if (!key.ok()) return key.status();
    uint64_t id = 0;
    if (!absl::SimpleAtoi(key->substr(prefix.size()), &id)) {
      return absl::InvalidArgumentError("page_token: not one of this listing's");
    }
    listing.after = id;
  }
  return listing;
}

std::string RecordPageToken(absl::string_view kind, const std::string& customer, uint64_t last) {
  return EncodePageToken(kind, absl::StrCat(customer, "|", last));
}

}  // namespace servicedesk::server
