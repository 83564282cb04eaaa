#pragma once

// Page tokens are opaque to clients: web-safe base64 of a kind tag and the last
// storage key returned. Decoding checks the tag and that the key lies inside the
// range the request asks for, so a token cannot be replayed against another query.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace servicedesk {

std::string EncodePageToken(absl::string_view kind, absl::string_view last_key);

// INVALID_ARGUMENT naming "page_token" when the token is not one we issued for `kind`
// or its key does not start with `required_prefix`.
absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view kind,
                                            absl::string_view required_prefix);

// page_size: 0 means `default_size`; negative is INVALID_ARGUMENT; above `max_size` is clamped.
absl::StatusOr<int> EffectivePageSize(int page_size, int default_size, int max_size);

}  // namespace servicedesk
