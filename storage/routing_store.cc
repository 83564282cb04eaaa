#include "storage/routing_store.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "storage/key_codec.h"

namespace servicedesk::storage {

namespace {

constexpr char kContact = 'c';
constexpr char kAgentState = 'a';
constexpr char kDefinition = 'd';
constexpr char kRequest = 'i';
constexpr char kNextContact = 'n';

std::string ContactKey(uint64_t id) {
  std::string key(1, kContact);
  AppendU64(&key, id);
  return key;
}

std::string TaggedKey(char tag, std::string_view rest) {
  std::string key(1, tag);
  key.append(rest);
  return key;
}

template <typename Message>
absl::Status ParseRow(const rocksdb::Slice& value, Message* out, std::string_view what) {
  if (!out->ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return absl::DataLossError(absl::StrCat("routing family: unreadable ", std::string(what), " row"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RoutingSnapshot> RoutingStore::Load() const {
  RoutingSnapshot snapshot;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->handle(Family::kRouting)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const rocksdb::Slice key = it->key();
    if (key.empty()) continue;
    switch (key[0]) {
      case kContact: {
        v1::WaitingContactRow row;
        if (auto s = ParseRow(it->value(), &row, "contact"); !s.ok()) return s;
        snapshot.contacts.push_back(std::move(row));
        break;
      }
      case kAgentState: {
        v1::AgentStateRow row;
        if (auto s = ParseRow(it->value(), &row, "agent state"); !s.ok()) return s;
        snapshot.agent_states.push_back(std::move(row));
        break;
      }
      case kDefinition: {
        v1::RoutingConfigChanged definition;
        if (auto s = ParseRow(it->value(), &definition, "definition"); !s.ok()) return s;
        switch (definition.definition_case()) {
          case v1::RoutingConfigChanged::kSkill:
            snapshot.skills.push_back(definition.skill());
            break;
          case v1::RoutingConfigChanged::kReasonCode:
            snapshot.reason_codes.push_back(definition.reason_code());
            break;
          case v1::RoutingConfigChanged::kQueue:
            snapshot.queues.push_back(definition.queue());
            break;
          case v1::RoutingConfigChanged::kAgent:
            snapshot.agents.push_back(definition.agent());
            break;
          default:
            return absl::DataLossError("routing family: a definition row holds no definition");
        }
        break;
      }
      case kNextContact: {
        auto next = ReadU64(std::string_view(it->value().data(), it->value().size()));
        if (!next) return absl::DataLossError("routing family: unreadable next contact id");
        snapshot.next_contact_id = *next;
        break;
      }
      default:
        break;  // request ids: read by FindRequest
    }
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading the routing family");
  return snapshot;
}

absl::StatusOr<std::optional<uint64_t>> RoutingStore::FindRequest(std::string_view request_id) const {
  std::string value;
  auto status = db_->db()->Get(rocksdb::ReadOptions(), db_->handle(Family::kRouting),
                               TaggedKey(kRequest, request_id), &value);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) return FromRocks(status, "reading a routing request id");
  auto id = ReadU64(value);
  if (!id) return absl::DataLossError("routing family: unreadable request row");
  return id;
}

void RoutingStore::PutContact(rocksdb::WriteBatch* batch, const v1::WaitingContactRow& row) const {
  batch->Put(db_->handle(Family::kRouting), ContactKey(row.contact_id()), row.SerializeAsString())
      .PermitUncheckedError();
}

void RoutingStore::DeleteContact(rocksdb::WriteBatch* batch, uint64_t contact_id) const {
  batch->Delete(db_->handle(Family::kRouting), ContactKey(contact_id)).PermitUncheckedError();
}

void RoutingStore::PutAgentState(rocksdb::WriteBatch* batch, const v1::AgentStateRow& row) const {
  batch->Put(db_->handle(Family::kRouting), TaggedKey(kAgentState, row.status().agent()),
             row.SerializeAsString())
      .PermitUncheckedError();
}

void RoutingStore::PutDefinition(rocksdb::WriteBatch* batch, DefinitionKind kind,
                                 std::string_view id,
                                 const v1::RoutingConfigChanged& definition) const {
  std::string key(1, kDefinition);
  key.push_back(static_cast<char>(kind));
  key.append(id);
  batch->Put(db_->handle(Family::kRouting), key, definition.SerializeAsString())
      .PermitUncheckedError();
}

void RoutingStore::PutRequest(rocksdb::WriteBatch* batch, std::string_view request_id,
                              uint64_t contact_id) const {
  batch->Put(db_->handle(Family::kRouting), TaggedKey(kRequest, request_id), EncodeU64(contact_id))
      .PermitUncheckedError();
}

void RoutingStore::PutNextContactId(rocksdb::WriteBatch* batch, uint64_t next) const {
  batch->Put(db_->handle(Family::kRouting), std::string(1, kNextContact), EncodeU64(next))
      .PermitUncheckedError();
}

}  // namespace servicedesk::storage
