#include "storage/complaint_store.h"

#include "absl/strings/str_cat.h"

namespace servicedesk::storage {

std::string ComplaintName(uint64_t id) { return absl::StrCat("complaints/", id); }

namespace {

absl::Status Parse(uint64_t id, std::string_view bytes, v1::ComplaintRow* row) {
  if (!row->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat("complaints family: unreadable ", ComplaintName(id)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::ComplaintRow> ComplaintStore::GetComplaint(uint64_t id) const {
  auto bytes = records_.Get(id, ComplaintName(id));
  if (!bytes.ok()) return bytes.status();
  v1::ComplaintRow row;
  if (auto s = Parse(id, *bytes, &row); !s.ok()) return s;
  return row;
}

void ComplaintStore::PutComplaint(rocksdb::WriteBatch* batch, uint64_t id, uint64_t customer_id,
                                  const v1::ComplaintRow& row) const {
  records_.Put(batch, id, customer_id, row.SerializeAsString(),
               row.complaint().step() != v1::COMPLAINT_STEP_CLOSED);
}

absl::StatusOr<ComplaintStore::Page> ComplaintStore::List(
    std::optional<uint64_t> customer_id, std::optional<uint64_t> after,
    const std::function<bool(const v1::ComplaintRow&)>& keep, int limit) const {
  Page page;
  v1::ComplaintRow row;
  auto scan = records_.List(
      customer_id, after,
      [&](uint64_t id, std::string_view bytes) -> absl::StatusOr<bool> {
        if (auto s = Parse(id, bytes, &row); !s.ok()) return s;
        if (!keep(row)) return false;
        page.complaints.push_back(std::move(*row.mutable_complaint()));
        return true;
      },
      limit);
  if (!scan.ok()) return scan.status();
  page.last = scan->last;
  return page;
}

absl::Status ComplaintStore::ForEach(const std::function<void(const v1::ComplaintRow&)>& visit) const {
  v1::ComplaintRow row;
  return records_.ForEach([&](uint64_t id, std::string_view bytes) -> absl::Status {
    if (auto s = Parse(id, bytes, &row); !s.ok()) return s;
    visit(row);
    return absl::OkStatus();
  });
}

}  // namespace servicedesk::storage
