#pragma once

// Protobuf wire format, just enough to assemble a response from stored message bytes
// without parsing them: a length-delimited field is tag, length, bytes. The stored
// values are serialized messages already, so the screen pop is a run of memcpys.

#include <cstdint>
#include <string>
#include <string_view>

namespace servicedesk::storage {

inline void AppendVarint(std::string* out, uint64_t value) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

// Reads a varint at *offset and advances it; false when truncated or too long.
inline bool ReadVarint(std::string_view bytes, std::size_t* offset, uint64_t* value) {
  *value = 0;
  for (int shift = 0; shift < 64 && *offset < bytes.size(); shift += 7) {
    const auto byte = static_cast<uint8_t>(bytes[(*offset)++]);
    *value |= uint64_t{byte & 0x7fu} << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

// Field `number` of wire type 2 (length-delimited: strings, bytes, messages).
inline void AppendLengthDelimited(std::string* out, uint32_t number, std::string_view bytes) {
  AppendVarint(out, (uint64_t{number} << 3) | 2);
  AppendVarint(out, bytes.size());
  out->append(bytes.data(), bytes.size());
}

// Field `number` of wire type 0 (varint: bools, enums, integers).
inline void AppendVarintField(std::string* out, uint32_t number, uint64_t value) {
  AppendVarint(out, uint64_t{number} << 3);
  AppendVarint(out, value);
}

}  // namespace servicedesk::storage
