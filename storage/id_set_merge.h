#pragma once

// An index row that maps one value (a phone number, an e-mail address) to the set of
// customers holding it, kept as a RocksDB merge: writers add or remove one id with a
// Merge operand and never read first; readers see the folded set with one point Get.
//
// Row value: the ids, sorted ascending, 8 bytes big-endian each (empty: nobody).
// Operand:   '+' or '-' followed by one id, 9 bytes.

#include <cstdint>
#include <string>
#include <vector>

#include <rocksdb/merge_operator.h>

namespace servicedesk::storage {

std::string IdSetAdd(uint64_t id);
std::string IdSetRemove(uint64_t id);
// The ids of a folded row value; false if the value is malformed.
bool DecodeIdSet(std::string_view value, std::vector<uint64_t>* ids);

class IdSetMergeOperator : public rocksdb::MergeOperator {
 public:
  bool FullMergeV2(const MergeOperationInput& input, MergeOperationOutput* output) const override;
  const char* Name() const override { return "servicedesk.IdSet"; }
};

}  // namespace servicedesk::storage
