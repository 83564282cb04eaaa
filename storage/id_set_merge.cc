#include "storage/id_set_merge.h"

#include <algorithm>

#include "storage/key_codec.h"

namespace servicedesk::storage {

namespace {
std::string Operand(char op, uint64_t id) {
  std::string operand(1, op);
  AppendU64(&operand, id);
  return operand;
}
}  // namespace

std::string IdSetAdd(uint64_t id) { return Operand('+', id); }
std::string IdSetRemove(uint64_t id) { return Operand('-', id); }

bool DecodeIdSet(std::string_view value, std::vector<uint64_t>* ids) {
  if (value.size() % 8 != 0) return false;
  ids->reserve(ids->size() + value.size() / 8);
  for (std::size_t offset = 0; offset < value.size(); offset += 8) {
    ids->push_back(*ReadU64(value, offset));
  }
  return true;
}

bool IdSetMergeOperator::FullMergeV2(const MergeOperationInput& input,
                                     MergeOperationOutput* output) const {
  std::vector<uint64_t> ids;
  if (input.existing_value != nullptr && !DecodeIdSet(input.existing_value->ToStringView(), &ids)) {
    return false;  // corruption: RocksDB reports it rather than inventing a set
  }
  for (const rocksdb::Slice& operand : input.operand_list) {
    if (operand.size() != 9 || (operand[0] != '+' && operand[0] != '-')) return false;
    const uint64_t id = *ReadU64(operand.ToStringView(), 1);
    auto position = std::lower_bound(ids.begin(), ids.end(), id);
    const bool present = position != ids.end() && *position == id;
    if (operand[0] == '+' && !present) ids.insert(position, id);
    if (operand[0] == '-' && present) ids.erase(position);
  }
  output->new_value.clear();
  for (uint64_t id : ids) AppendU64(&output->new_value, id);
  return true;
}

}  // namespace servicedesk::storage
