#include "services/server/history_entry.h"

#include "absl/strings/match.h"
#include "services/server/routing_proto.h"

namespace servicedesk::server {

void AppendHistoryEntry(rocksdb::WriteBatch* batch, storage::EventWriter* writer,
                        const storage::CustomerStore* customers, uint64_t customer_id, const std::string& principal,
                        absl::Time at, v1::Interaction entry, v1::ScreenPopRow* pop) {
  const uint64_t interaction_id = writer->NextId(batch, "interaction");
  entry.set_name(storage::InteractionName(customer_id, interaction_id));
  if (entry.agent().empty() && absl::StartsWith(principal, "agents/")) entry.set_agent(principal);
  *entry.mutable_start_time() = ToTimestamp(at);
  if (entry.text().size() > 4000) {
    // At a character boundary: a cut UTF-8 sequence would make the row unreadable.
    std::size_t end = 4000;
    while (end > 0 && (static_cast<unsigned char>((*entry.mutable_text())[end]) & 0xC0) == 0x80) --end;
    entry.mutable_text()->resize(end);
  }
  customers->PutInteraction(batch, customer_id, interaction_id, absl::ToUnixMicros(at), entry);
  storage::CustomerStore::AddRecentInteraction(pop, entry);
}

}  // namespace servicedesk::server
