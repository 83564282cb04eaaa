#include "storage/ticket_store.h"

#include <limits>
#include <memory>

#include "absl/strings/str_cat.h"
#include "storage/key_codec.h"

namespace servicedesk::storage {

namespace {

std::string TicketKey(uint64_t id) {
  std::string key(1, 't');
  AppendU64(&key, id);
  return key;
}

std::string CustomerPrefix(uint64_t customer_id) {
  std::string key(1, 'c');
  AppendU64(&key, customer_id);
  return key;
}

std::string CustomerKey(uint64_t customer_id, uint64_t id) {
  std::string key = CustomerPrefix(customer_id);
  AppendU64(&key, std::numeric_limits<uint64_t>::max() - id);
  return key;
}

std::string CommentPrefix(uint64_t id) {
  std::string key(1, 'm');
  AppendU64(&key, id);
  return key;
}

std::string RequestKey(std::string_view request_id) {
  std::string key(1, 'r');
  key.append(request_id);
  return key;
}

}  // namespace

std::string TicketName(uint64_t id) { return absl::StrCat("tickets/", id); }

bool IsOpenTicketStatus(v1::TicketStatus status) {
  return status == v1::TICKET_STATUS_NEW || status == v1::TICKET_STATUS_OPEN ||
         status == v1::TICKET_STATUS_PENDING;
}

absl::StatusOr<v1::TicketRow> TicketStore::GetTicket(uint64_t id) const {
  rocksdb::PinnableSlice value;
  auto status = db_->db()->Get(rocksdb::ReadOptions(), db_->handle(Family::kTickets), TicketKey(id), &value);
  if (status.IsNotFound()) return absl::NotFoundError(absl::StrCat("ticket: '", TicketName(id), "' not found"));
  if (!status.ok()) return FromRocks(status, "reading a ticket");
  v1::TicketRow row;
  if (!row.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return absl::DataLossError(absl::StrCat("tickets family: unreadable ", TicketName(id)));
  }
  return row;
}

absl::StatusOr<std::optional<uint64_t>> TicketStore::FindByRequestId(std::string_view request_id) const {
  rocksdb::PinnableSlice value;
  auto status = db_->db()->Get(rocksdb::ReadOptions(), db_->handle(Family::kTickets),
                               RequestKey(request_id), &value);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) return FromRocks(status, "reading a ticket request id");
  auto id = ReadU64(std::string_view(value.data(), value.size()));
  if (!id) return absl::DataLossError("tickets family: unreadable request id row");
  return *id;
}

void TicketStore::PutTicket(rocksdb::WriteBatch* batch, uint64_t id, uint64_t customer_id,
                            const v1::TicketRow& row) const {
  auto* family = db_->handle(Family::kTickets);
  batch->Put(family, TicketKey(id), row.SerializeAsString()).PermitUncheckedError();
  batch->Put(family, CustomerKey(customer_id, id), "").PermitUncheckedError();
  std::string open(1, 'o');
  AppendU64(&open, id);
  if (IsOpenTicketStatus(row.ticket().status())) {
    batch->Put(family, open, "").PermitUncheckedError();
  } else {
    batch->Delete(family, open).PermitUncheckedError();
  }
}

absl::StatusOr<std::vector<uint64_t>> TicketStore::OpenTicketIds() const {
  std::vector<uint64_t> ids;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->handle(Family::kTickets)));
  for (it->Seek("o"); it->Valid() && it->key().starts_with("o"); it->Next()) {
    auto id = ReadU64(std::string_view(it->key().data(), it->key().size()), 1);
    if (!id) return absl::DataLossError("tickets family: unreadable open-ticket row");
    ids.push_back(*id);
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading open tickets");
  return ids;
}

void TicketStore::PutRequestId(rocksdb::WriteBatch* batch, std::string_view request_id,
                               uint64_t id) const {
  batch->Put(db_->handle(Family::kTickets), RequestKey(request_id), EncodeU64(id)).PermitUncheckedError();
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
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->handle(Family::kTickets)));
  // Either a customer's index rows (newest first by key) or the ticket rows backwards.
  auto next_id = [&]() -> std::optional<uint64_t> {
    if (!it->Valid()) return std::nullopt;
    const std::string_view key(it->key().data(), it->key().size());
    if (customer_id) {
      const std::string prefix = CustomerPrefix(*customer_id);
      if (!key.starts_with(prefix)) return std::nullopt;
      auto inverted = ReadU64(key, prefix.size());
      if (!inverted) return std::nullopt;
      return std::numeric_limits<uint64_t>::max() - *inverted;
    }
    if (!key.starts_with("t")) return std::nullopt;
    return ReadU64(key, 1);
  };
  if (customer_id) {
    it->Seek(after ? CustomerKey(*customer_id, *after) : CustomerPrefix(*customer_id));
    if (after && it->Valid() && next_id() == after) it->Next();
  } else {
    it->SeekForPrev(after ? TicketKey(*after) : TicketKey(std::numeric_limits<uint64_t>::max()));
    if (after && it->Valid() && next_id() == after) it->Prev();
  }
  int examined = 0;
  for (std::optional<uint64_t> id = next_id(); id; id = next_id()) {
    auto row = GetTicket(*id);
    if (!row.ok()) return row.status();
    if (keep(row->ticket())) page.tickets.push_back(row->ticket());
    if (static_cast<int>(page.tickets.size()) >= limit || ++examined >= limit * 20) {
      // Full, or a long run of tickets the filter skips: the next page goes on from here.
      page.last = *id;
      break;
    }
    if (customer_id) it->Next(); else it->Prev();
  }
  if (!it->status().ok()) return FromRocks(it->status(), "listing tickets");
  return page;
}

}  // namespace servicedesk::storage
