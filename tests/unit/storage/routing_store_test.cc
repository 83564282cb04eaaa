#include "storage/routing_store.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace servicedesk::storage {
namespace {

using servicedesk::testing::TempDir;

std::unique_ptr<Database> OpenOrDie(const std::string& path) {
  DatabaseOptions options;
  options.path = path;
  auto db = Database::Open(options);
  EXPECT_TRUE(db.ok()) << db.status();
  return *std::move(db);
}

TEST(RoutingStoreTest, WhatIsPutIsLoadedBackWithContactsInIdOrder) {
  TempDir dir;
  auto db = OpenOrDie(dir.path());
  RoutingStore store(db.get());
  rocksdb::WriteBatch batch;
  // Ids whose decimal order differs from their numeric order: keys are big-endian.
  for (uint64_t id : {300u, 7u, 25u}) {
    v1::WaitingContactRow row;
    row.set_contact_id(id);
    row.set_queue("queues/billing");
    row.mutable_enqueue_time()->set_seconds(static_cast<int64_t>(1000 + id));
    store.PutContact(&batch, row);
  }
  store.DeleteContact(&batch, 25);
  v1::AgentStateRow agent;
  agent.mutable_status()->set_agent("agents/a-1");
  agent.mutable_status()->set_state(v1::AGENT_STATE_READY);
  store.PutAgentState(&batch, agent);
  v1::RoutingConfigChanged skill;
  skill.mutable_skill()->set_name("skills/billing");
  store.PutDefinition(&batch, DefinitionKind::kSkill, "skills/billing", skill);
  v1::RoutingConfigChanged queue;
  queue.mutable_queue()->set_name("queues/billing");
  store.PutDefinition(&batch, DefinitionKind::kQueue, "queues/billing", queue);
  store.PutRequest(&batch, "pbx-call-1", 7);
  store.PutNextContactId(&batch, 301);
  ASSERT_TRUE(db->db()->Write(rocksdb::WriteOptions(), &batch).ok());

  auto snapshot = store.Load();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  ASSERT_EQ(snapshot->contacts.size(), 2u);
  EXPECT_EQ(snapshot->contacts[0].contact_id(), 7u);
  EXPECT_EQ(snapshot->contacts[1].contact_id(), 300u);
  EXPECT_EQ(snapshot->contacts[1].enqueue_time().seconds(), 1300);
  ASSERT_EQ(snapshot->agent_states.size(), 1u);
  EXPECT_EQ(snapshot->agent_states[0].status().state(), v1::AGENT_STATE_READY);
  ASSERT_EQ(snapshot->skills.size(), 1u);
  ASSERT_EQ(snapshot->queues.size(), 1u);
  EXPECT_TRUE(snapshot->agents.empty());
  EXPECT_EQ(snapshot->next_contact_id, 301u);
  auto request = store.FindRequest("pbx-call-1");
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(*request, std::optional<uint64_t>(7));
  auto missing = store.FindRequest("pbx-call-2");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST(RoutingStoreTest, AnEmptyFamilyLoadsAsNothingWaiting) {
  TempDir dir;
  auto db = OpenOrDie(dir.path());
  auto snapshot = RoutingStore(db.get()).Load();
  ASSERT_TRUE(snapshot.ok());
  EXPECT_TRUE(snapshot->contacts.empty());
  EXPECT_EQ(snapshot->next_contact_id, 1u);
}

TEST(RoutingStoreTest, AnUnreadableRowIsDataLossNotSkipped) {
  TempDir dir;
  auto db = OpenOrDie(dir.path());
  std::string key = "c";
  key.append(8, '\0');
  ASSERT_TRUE(db->db()->Put({}, db->handle(Family::kRouting), key, "\xff\xff\xff").ok());
  auto snapshot = RoutingStore(db.get()).Load();
  ASSERT_FALSE(snapshot.ok());
  EXPECT_EQ(snapshot.status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace servicedesk::storage
