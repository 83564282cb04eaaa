#include "storage/ticket_store.h"

#include <limits>
#include <memory>

#include "absl/strings/str_cat.h"
#include "storage/key_codec.h"

namespace servicedesk::storage {

namespace {

std::string CommentPrefix(uint64_t id) {
  std::string key(1, 'm');
  AppendU64(&key, id);
  return key;
}

}  // namespace

std::string TicketName(uint64_t id) { return absl::StrCat("tickets/", id); }

bool IsOpenTicketStatus(v1::TicketStatus status) {
  return status == v1::TICKET_STATUS_NEW || status == v1::TICKET_STATUS_OPEN ||
         status == v1::TICKET_STATUS_PENDING;
}

absl::StatusOr<v1::TicketRow> TicketStore::GetTicket(uint64_t id) const {
  auto bytes = records_.Get(id, TicketName(id));
  if (!bytes.ok()) return bytes.status();
  v1::TicketRow row;
  if (!row.ParseFromString(*bytes)) {
    return absl::DataLossError(absl::StrCat("tickets family: unreadable ", TicketName(id)));
  }
  return row;
}

absl::StatusOr<std::optional<uint64_t>> TicketStore::FindByRequestId(std::string_view request_id) const {
  return records_.FindByRequestId(request_id);
}

void TicketStore::PutTicket(rocksdb::WriteBatch* batch, uint64_t id, uint64_t customer_id,
                            const v1::TicketRow& row) const {
  records_.Put(batch, id, customer_id, row.SerializeAsString(), IsOpenTicketStatus(row.ticket().status()));
}

absl::StatusOr<std::vector<uint64_t>> TicketStore::OpenTicketIds() const { return records_.OpenIds(); }

void TicketStore::PutRequestId(rocksdb::WriteBatch* batch, std::string_view request_id,
                               uint64_t id) const {
  records_.PutRequestId(batch, request_id, id);
}

void TicketStore::PutComment(rocksdb::WriteBatch* batch, uint64_t id, uint32_t number,
                             const v1::TicketComment& comment) const {
  std::string key = CommentPrefix(id);
  AppendU32(&key, number);
  batch->Put(db_->handle(Family::kTickets), key, comment.SerializeAsString()).PermitUncheckedError();
}

absl::StatusOr<std::vector<v1::TicketComment>> TicketStore::ListComments(uint64_t id) const {
  std::vector<v1::TicketComment> comments;
  const std::string prefix = CommentPrefix(id);
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->handle(Family::kTickets)));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    v1::TicketComment comment;
    if (!comment.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError("tickets family: unreadable comment");
    }
    comments.push_back(std::move(comment));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading comments");
  return comments;
}

absl::StatusOr<TicketStore::Page> TicketStore::List(
    std::optional<uint64_t> customer_id, std::optional<uint64_t> after,
    const std::function<bool(const v1::Ticket&)>& keep, int limit) const {
  Page page;
  v1::TicketRow row;
  auto scan = records_.List(
      customer_id, after,
      [&](uint64_t id, std::string_view bytes) -> absl::StatusOr<bool> {
        if (!row.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
          return absl::DataLossError(absl::StrCat("tickets family: unreadable ", TicketName(id)));
        }
        if (!keep(row.ticket())) return false;
        page.tickets.push_back(std::move(*row.mutable_ticket()));
        return true;
      },
      limit);
  if (!scan.ok()) return scan.status();
  page.last = scan->last;
  return page;
}

}  // namespace servicedesk::storage
