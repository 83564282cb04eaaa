#include "services/server/config.h"

#include <fstream>

#include <gtest/gtest.h>

#include "absl/strings/match.h"

#include "tests/support/temp_dir.h"

namespace servicedesk::server {
namespace {

using servicedesk::testing::TempDir;

absl::Status LoadText(const std::string& text, Config* config) {
  TempDir dir;
  const std::string path = dir.Sub("config.toml");
  std::ofstream(path) << text;
  return LoadConfigFile(path, config);
}

TEST(ConfigTest, TheDocumentedSampleLoadsAndMatchesTheDefaults) {
  Config loaded;
  ASSERT_TRUE(LoadConfigFile(SERVICEDESK_SAMPLE_CONFIG, &loaded).ok());
  const Config defaults;
  EXPECT_EQ(loaded.listen, defaults.listen);
  EXPECT_EQ(loaded.data_dir, defaults.data_dir);
  EXPECT_EQ(loaded.sync_writes, defaults.sync_writes);
  EXPECT_EQ(loaded.block_cache_mb, defaults.block_cache_mb);
  EXPECT_EQ(loaded.default_region, defaults.default_region);
  EXPECT_EQ(loaded.auth_enabled, defaults.auth_enabled);
  EXPECT_EQ(loaded.log_level, defaults.log_level);
  EXPECT_EQ(loaded.log_format, defaults.log_format);
  EXPECT_EQ(loaded.demo_customers, defaults.demo_customers);
  EXPECT_EQ(loaded.shutdown_grace_seconds, defaults.shutdown_grace_seconds);
}

TEST(ConfigTest, ReadsTokens) {
  Config config;
  ASSERT_TRUE(LoadText(R"(
[auth]
enabled = true
[[auth.tokens]]
token = "0123456789abcdef"
principal = "agents/a-1"
role = "supervisor"
)", &config).ok());
  ASSERT_EQ(config.tokens.size(), 1u);
  EXPECT_EQ(config.tokens[0].principal, "agents/a-1");
  EXPECT_EQ(config.tokens[0].role, Role::kSupervisor);
  EXPECT_TRUE(ValidateConfig(config).ok());
}

TEST(ConfigTest, ErrorsNameTheKey) {
  struct Case {
    const char* text;
    const char* message_start;
  } cases[] = {
      {"[storage]\ndata_dri = \"x\"\n", "storage.data_dri: unknown option"},
      {"[nope]\n", "nope: unknown option"},
      {"[storage]\nblock_cache_mb = \"big\"\n", "storage.block_cache_mb: wrong type"},
      {"[[auth.tokens]]\ntoken = \"short\"\nprincipal = \"a\"\nrole = \"agent\"\n",
       "auth.tokens[0].token: at least 16 characters"},
      {"[[auth.tokens]]\ntoken = \"0123456789abcdef\"\nprincipal = \"a\"\nrole = \"boss\"\n",
       "auth.tokens[0].role: 'boss'"},
  };
  for (const auto& c : cases) {
    Config config;
    auto status = LoadText(c.text, &config);
    ASSERT_FALSE(status.ok()) << c.text;
    EXPECT_TRUE(absl::StartsWith(status.message(), c.message_start)) << status.message();
  }
}

TEST(ConfigTest, SyntaxErrorsGiveLineAndColumn) {
  Config config;
  auto status = LoadText("[server\nlisten = 1\n", &config);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find(":1:"), absl::string_view::npos) << status.message();
}

TEST(ConfigTest, ValidationNamesTheOption) {
  Config config;
  config.auth_enabled = false;
  EXPECT_TRUE(ValidateConfig(config).ok());
  config.default_region = "XX";
  EXPECT_TRUE(absl::StartsWith(ValidateConfig(config).message(), "phone.default_region:"));
  config.default_region = "DE";
  config.log_format = "xml";
  EXPECT_TRUE(absl::StartsWith(ValidateConfig(config).message(), "log.format:"));
  config.log_format = "json";
  config.auth_enabled = true;
  EXPECT_TRUE(absl::StartsWith(ValidateConfig(config).message(), "auth.tokens:"));
}

}  // namespace
}  // namespace servicedesk::server
