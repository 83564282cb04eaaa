#include "services/server/history_entry.h"

#include "absl/strings/match.h"
#include "services/server/routing_proto.h"

namespace servicedesk::server {

void AppendHistoryEntry(rocksdb::WriteBatch* batch, storage::EventWriter* writer,
                        const storage::CustomerStore* customers, uint64_t customer_id, const std::string& principal,
                        absl::Time at, v1::Interaction entry, v1::ScreenPopRow* pop) {
  const uint64_t interaction_id = writer->NextId(batch, "interaction");
  entry.set_name(storage::InteractionName(customer_id, interaction_id));
  if (absl::StartsWith(principal, "agents/")) entry.set_agent(principal);
  *entry.mutable_start_time() = ToTimestamp(at);
  if (entry.text().size() > 4000) entry.mutable_text()->resize(4000);
  customers->PutInteraction(batch, customer_id, interaction_id, absl::ToUnixMicros(at), entry);
  storage::CustomerStore::AddRecentInteraction(pop, entry);
}

}  // namespace servicedesk::server
