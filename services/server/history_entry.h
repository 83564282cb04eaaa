#pragma once

// A desk's entry in the customer's history (a ticket change, a complaint step): the
// interaction row under a new id, written in the desk's batch, and added to the screen pop's
// recent entries (`pop`, which the caller writes with its other changes).

#include <cstdint>
#include <string>

#include <rocksdb/write_batch.h>

#include "absl/time/time.h"
#include "servicedesk/v1/customer.pb.h"
#include "servicedesk/v1/events.pb.h"
#include "storage/customer_store.h"
#include "storage/event_writer.h"

namespace servicedesk::server {

// `entry` comes with its channel, direction, queue, outcome, text and reference (and agent,
// when it is not the one acting); its name, time and agent (when not given and `principal` is
// an agent) are set here, its text cut to at most 4,000 bytes at a character boundary.
void AppendHistoryEntry(rocksdb::WriteBatch* batch, storage::EventWriter* writer,
                        const storage::CustomerStore* customers, uint64_t customer_id, const std::string& principal,
                        absl::Time at, v1::Interaction entry, v1::ScreenPopRow* pop);

}  // namespace servicedesk::server
