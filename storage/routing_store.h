#pragma once

// The routing family: what routing needs to resume after a restart (waiting contacts,
// agents' last states, the definitions of skills, reason codes, queues and agents).
//
//   routing   'c' u64 contact_id          -> WaitingContactRow
//             'a' agent_id                -> AgentStateRow
//             'd' kind agent|queue|... id -> RoutingConfigChanged (one definition)
//                 kinds: 's' skill, 'r' reason code, 'q' queue, 'g' agent
//             'i' request_id              -> u64 contact id (idempotent enqueue)
//             'n'                         -> u64 next contact id
//
// Reads are thread-safe; the Put*/Delete* functions only add to a WriteBatch that
// EventWriter commits.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/write_batch.h>

#include "absl/status/statusor.h"
#include "servicedesk/v1/events.pb.h"
#include "storage/database.h"

namespace servicedesk::storage {

enum class DefinitionKind : char { kSkill = 's', kReasonCode = 'r', kQueue = 'q', kAgent = 'g' };

struct RoutingSnapshot {
  // In the order they must be applied: skills and reason codes, then queues (an overflow
  // target before the queue that names it is not guaranteed: the loader retries), agents.
  std::vector<v1::Skill> skills;
  std::vector<v1::ReasonCode> reason_codes;
  std::vector<v1::Queue> queues;
  std::vector<v1::Agent> agents;
  std::vector<v1::WaitingContactRow> contacts;  // in contact id order
  std::vector<v1::AgentStateRow> agent_states;
  uint64_t next_contact_id = 1;
};

class RoutingStore {
 public:
  explicit RoutingStore(Database* db) : db_(db) {}

  absl::StatusOr<RoutingSnapshot> Load() const;
  absl::StatusOr<std::optional<uint64_t>> FindRequest(std::string_view request_id) const;

  void PutContact(rocksdb::WriteBatch* batch, const v1::WaitingContactRow& row) const;
  void DeleteContact(rocksdb::WriteBatch* batch, uint64_t contact_id) const;
  void PutAgentState(rocksdb::WriteBatch* batch, const v1::AgentStateRow& row) const;
  void PutDefinition(rocksdb::WriteBatch* batch, DefinitionKind kind, std::string_view id,
                     const v1::RoutingConfigChanged& definition) const;
  void PutRequest(rocksdb::WriteBatch* batch, std::string_view request_id, uint64_t contact_id) const;
  void PutNextContactId(rocksdb::WriteBatch* batch, uint64_t next) const;

 private:
  Database* db_;
};

}  // namespace servicedesk::storage
