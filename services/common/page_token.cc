#include "services/common/page_token.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace servicedesk {

namespace {
constexpr char kVersion = '1';
}

std::string EncodePageToken(absl::string_view kind, absl::string_view last_key) {
  std::string raw;
  raw.push_back(kVersion);
  raw.append(kind.data(), kind.size());
  raw.push_back(':');
  raw.append(last_key.data(), last_key.size());
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view kind,
                                            absl::string_view required_prefix) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw) || raw.size() < kind.size() + 2 ||
      raw[0] != kVersion || absl::string_view(raw).substr(1, kind.size()) != kind ||
      raw[kind.size() + 1] != ':') {
    return absl::InvalidArgumentError("page_token: not a token issued for this list");
  }
  std::string key = raw.substr(kind.size() + 2);
  if (!absl::StartsWith(key, required_prefix)) {
    return absl::InvalidArgumentError(
        "page_token: issued for a different query; start again without a token");
  }
  return key;
}

absl::StatusOr<int> EffectivePageSize(int page_size, int default_size, int max_size) {
  if (page_size < 0) return absl::InvalidArgumentError("page_size: must not be negative");
  if (page_size == 0) return default_size;
  return page_size > max_size ? max_size : page_size;
}

}  // namespace servicedesk
