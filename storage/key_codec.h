#pragma once

// Key layout of every column family. Integers are big-endian so that RocksDB's
// bytewise order is numeric order. Strings inside keys are followed by a 0x00
// separator when anything comes after them (inputs never contain NUL: the
// service layer rejects it).
//
//   meta            "schema_version"                        -> u32
//                   "counter/<name>"                        -> u64, next id to hand out
//   customers       u64 customer_id                         -> Customer
//   customer_index  'p' E.164                               -> id set (shared numbers allowed)
//                   'e' lower(email)                        -> id set
//                     (id set: sorted u64 ids, kept by the IdSet merge operator, id_set_merge.h)
//                   'x' external_id                         -> u64 customer_id (unique)
//                   'c' customer_number                     -> u64 customer_id (unique)
//                   'n' lower(display_name) 0x00 u64 id     -> ""  (name prefix search)
//                   'r' request_id                          -> u64 customer_id (idempotent create)
//   interactions    u64 customer_id | u64 (2^64-1 - start_us) | u64 interaction_id -> Interaction
//                   (a prefix seek on the customer id yields the latest first)
//   interaction_requests  request_id                        -> interactions key
//   screen_pop      u64 customer_id                         -> ScreenPopRow (latest 100
//                     interactions, open tickets and complaints; copied into the pop as is)
//   events          u64 seq                                 -> Event
//
// Interaction keys start with the customer id: the prefix extractor of that family.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace servicedesk::storage {

inline constexpr std::size_t kCustomerPrefixLength = 8;

void AppendU64(std::string* out, uint64_t value);
void AppendU32(std::string* out, uint32_t value);
// Reads a big-endian integer at `offset`; nullopt if `bytes` is too short.
std::optional<uint64_t> ReadU64(std::string_view bytes, std::size_t offset = 0);
std::optional<uint32_t> ReadU32(std::string_view bytes, std::size_t offset = 0);

std::string EncodeU64(uint64_t value);

enum class IndexKind : char {
  kPhone = 'p',
  kEmail = 'e',
  kExternalId = 'x',
  kCustomerNumber = 'c',
  kName = 'n',
  kRequestId = 'r',
};

// Keys of the customer_index family. Phone and e-mail rows hold an id set
// (UniqueIndexKey layout, merge operator); the name rows end with the customer id so
// that a prefix scan lists them in name order.
std::string IndexPrefix(IndexKind kind, std::string_view value);
std::string MultiIndexKey(IndexKind kind, std::string_view value, uint64_t customer_id);
std::string UniqueIndexKey(IndexKind kind, std::string_view value);
// The customer id at the end of a multi-index key.
std::optional<uint64_t> MultiIndexCustomerId(std::string_view key);

std::string CustomerKey(uint64_t customer_id);

// The reversed start time makes a forward scan newest-first.
std::string InteractionKey(uint64_t customer_id, int64_t start_time_us, uint64_t interaction_id);
// The first key at or after which interactions that started strictly before
// `before_us` lie (newest first).
std::string InteractionSeekKey(uint64_t customer_id, int64_t before_us);
struct InteractionKeyParts {
  uint64_t customer_id;
  int64_t start_time_us;
  uint64_t interaction_id;
};
std::optional<InteractionKeyParts> DecodeInteractionKey(std::string_view key);

// Newest-first order of signed microsecond times in keys (and back).
uint64_t ReverseTime(int64_t time_us);
int64_t UnreverseTime(uint64_t reversed);


std::string EventKey(uint64_t seq);

// The smallest key greater than every key that starts with `prefix`; empty if none exists.
std::string PrefixSuccessor(std::string_view prefix);

}  // namespace servicedesk::storage
