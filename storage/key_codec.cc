#include "storage/key_codec.h"

#include <limits>

namespace servicedesk::storage {

void AppendU64(std::string* out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

void AppendU32(std::string* out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

std::optional<uint64_t> ReadU64(std::string_view bytes, std::size_t offset) {
  if (bytes.size() < offset + 8) return std::nullopt;
  uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    value = (value << 8) | static_cast<uint8_t>(bytes[offset + i]);
  }
  return value;
}

std::optional<uint32_t> ReadU32(std::string_view bytes, std::size_t offset) {
  if (bytes.size() < offset + 4) return std::nullopt;
  uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    value = (value << 8) | static_cast<uint8_t>(bytes[offset + i]);
  }
  return value;
}

std::string EncodeU64(uint64_t value) {
  std::string out;
  AppendU64(&out, value);
  return out;
}

std::string IndexPrefix(IndexKind kind, std::string_view value) {
  std::string key;
  key.reserve(value.size() + 2);
  key.push_back(static_cast<char>(kind));
  key.append(value);
  key.push_back('\0');
  return key;
}

std::string MultiIndexKey(IndexKind kind, std::string_view value, uint64_t customer_id) {
  std::string key = IndexPrefix(kind, value);
  AppendU64(&key, customer_id);
  return key;
}

std::string UniqueIndexKey(IndexKind kind, std::string_view value) {
  std::string key;
  key.reserve(value.size() + 1);
  key.push_back(static_cast<char>(kind));
  key.append(value);
  return key;
}

std::optional<uint64_t> MultiIndexCustomerId(std::string_view key) {
  if (key.size() < 10) return std::nullopt;
  return ReadU64(key, key.size() - 8);
}

std::string CustomerKey(uint64_t customer_id) { return EncodeU64(customer_id); }

// Maps a signed microsecond time to an unsigned value that sorts newest first.
uint64_t ReverseTime(int64_t time_us) {
  const uint64_t ordered = static_cast<uint64_t>(time_us) ^ (uint64_t{1} << 63);
  return std::numeric_limits<uint64_t>::max() - ordered;
}
int64_t UnreverseTime(uint64_t reversed) {
  const uint64_t ordered = std::numeric_limits<uint64_t>::max() - reversed;
  return static_cast<int64_t>(ordered ^ (uint64_t{1} << 63));
}

std::string InteractionKey(uint64_t customer_id, int64_t start_time_us, uint64_t interaction_id) {
  std::string key;
  key.reserve(24);
  AppendU64(&key, customer_id);
  AppendU64(&key, ReverseTime(start_time_us));
  AppendU64(&key, interaction_id);
  return key;
}

std::string InteractionSeekKey(uint64_t customer_id, int64_t before_us) {
  std::string key;
  key.reserve(16);
  AppendU64(&key, customer_id);
  // Interactions at exactly `before_us` sort before this key... so seek just past them:
  // reversed(before_us - 1) is the smallest reversed value of a time < before_us.
  if (before_us == std::numeric_limits<int64_t>::min()) {
    AppendU64(&key, std::numeric_limits<uint64_t>::max());
    return key;
  }
  AppendU64(&key, ReverseTime(before_us - 1));
  return key;
}

std::optional<InteractionKeyParts> DecodeInteractionKey(std::string_view key) {
  if (key.size() != 24) return std::nullopt;
  return InteractionKeyParts{*ReadU64(key, 0), UnreverseTime(*ReadU64(key, 8)), *ReadU64(key, 16)};
}

std::string EventKey(uint64_t seq) { return EncodeU64(seq); }

std::string PrefixSuccessor(std::string_view prefix) {
  std::string limit(prefix);
  while (!limit.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(limit.back());
    if (last != 0xff) {
      ++last;
      return limit;
    }
    limit.pop_back();
  }
  return limit;
}

}  // namespace servicedesk::storage
