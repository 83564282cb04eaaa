#pragma once

// Every row of every column family, so a test can show that a refused command
// left storage exactly as it was.

#include <map>
#include <memory>
#include <string>

#include "storage/database.h"

namespace servicedesk::testing {

inline std::map<std::string, std::string> SnapshotAll(storage::Database* db) {
  std::map<std::string, std::string> rows;
  for (int f = 0; f < storage::kFamilyCount; ++f) {
    const auto family = static_cast<storage::Family>(f);
    rocksdb::ReadOptions read;
    read.total_order_seek = true;
    std::unique_ptr<rocksdb::Iterator> it(db->db()->NewIterator(read, db->handle(family)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      rows[std::string(storage::FamilyName(family)) + "/" + it->key().ToString()] =
          it->value().ToString();
    }
  }
  return rows;
}

}  // namespace servicedesk::testing
