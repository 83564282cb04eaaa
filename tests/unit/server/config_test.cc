#include "services/server/complaint_rules.h"
#include "services/server/config.h"
#include "services/server/ticket_rules.h"

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"

#include "tests/support/temp_dir.h"

namespace servicedesk::server {
namespace {

using servicedesk::testing::TempDir;
using ::testing::StartsWith;

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
  EXPECT_EQ(loaded.session_grace_seconds, defaults.session_grace_seconds);
  EXPECT_EQ(loaded.offer_reminder_seconds, defaults.offer_reminder_seconds);
  EXPECT_TRUE(loaded.routing.skills.empty());
  EXPECT_TRUE(loaded.routing.reason_codes.empty());
  EXPECT_TRUE(loaded.routing.queues.empty());
  EXPECT_TRUE(loaded.routing.agents.empty());
  EXPECT_EQ(loaded.cti.create_unknown_callers, defaults.cti.create_unknown_callers);
  EXPECT_EQ(loaded.cti.default_queue, defaults.cti.default_queue);
  EXPECT_EQ(loaded.cti.idle_timeout_seconds, defaults.cti.idle_timeout_seconds);
  EXPECT_EQ(loaded.cti.callback_window_hours, defaults.cti.callback_window_hours);
  EXPECT_EQ(loaded.cti.callback_min_wait_seconds, defaults.cti.callback_min_wait_seconds);
  EXPECT_EQ(loaded.cti.dedup_horizon_hours, defaults.cti.dedup_horizon_hours);
  EXPECT_EQ(loaded.cti.called_numbers, defaults.cti.called_numbers);
  EXPECT_TRUE(loaded.cti.called_numbers.empty());
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
      {"[storage]\nblock_cache_mb = true\n", "storage.block_cache_mb: wrong type"},
      {"[storage]\nblock_cache_mb = 256.5\n", "storage.block_cache_mb: wrong type"},
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

TEST(ConfigTest, IntegerOptionsAcceptWholeFloats) {
  Config config;
  auto status = LoadText("[cti]\nidle_timeout_seconds = 600.0\n", &config);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(config.cti.idle_timeout_seconds, 600);
}

TEST(ConfigTest, ReadsRoutingDefinitions) {
  Config config;
  auto status = LoadText(R"(
[routing]
session_grace_seconds = 60
offer_reminder_seconds = 0

[[routing.skills]]
name = "skills/billing"
description = "Invoices, payments and refunds"

[[routing.skills]]
name = "skills/tech"

[[routing.reason_codes]]
name = "reasonCodes/lunch"
description = "Lunch break"

[[routing.queues]]
name = "queues/general"
sl_goal_percent = 82.5

[[routing.queues]]
name = "queues/billing"
display_name = "Billing"
channels = ["call", "ticket", "callback", "outbound"]
skills = [ { skill = "skills/billing", min_proficiency = 3 }, { skill = "skills/tech" } ]
base_priority = -5
sl_threshold_seconds = 20
sl_goal_percent = 80
wrap_up_seconds = 2.5
offer_timeout_seconds = 15
max_wait_seconds = 0
overflow_queue = "queues/general"
widened_skills = [ { skill = "skills/billing", min_proficiency = 1 } ]
max_length = 1000
strategy = "most_skilled"
preferred_agent_window_seconds = 30

[[routing.agents]]
name = "agents/a-101"
display_name = "Ada"
team = "blue"
skills = [ { skill = "skills/billing", proficiency = 7 }, { skill = "skills/tech", proficiency = 2 } ]
max_tickets = 4

[[routing.agents]]
name = "agents/a-102"
)", &config);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(config.session_grace_seconds, 60);
  EXPECT_EQ(config.offer_reminder_seconds, 0);
  const RoutingDefinitions& routing = config.routing;

  ASSERT_EQ(routing.skills.size(), 2u);
  EXPECT_EQ(routing.skills[0].name(), "skills/billing");
  EXPECT_EQ(routing.skills[0].description(), "Invoices, payments and refunds");
  EXPECT_EQ(routing.skills[1].name(), "skills/tech");
  EXPECT_EQ(routing.skills[1].description(), "");
  ASSERT_EQ(routing.reason_codes.size(), 1u);
  EXPECT_EQ(routing.reason_codes[0].name(), "reasonCodes/lunch");
  EXPECT_EQ(routing.reason_codes[0].description(), "Lunch break");

  // In file order; what a queue leaves out stays unset (the server's defaults).
  ASSERT_EQ(routing.queues.size(), 2u);
  const v1::Queue& general = routing.queues[0];
  EXPECT_EQ(general.name(), "queues/general");
  EXPECT_TRUE(general.channels().empty());
  EXPECT_FALSE(general.has_sl_threshold());
  EXPECT_FALSE(general.has_wrap_up());
  EXPECT_FALSE(general.has_offer_timeout());
  EXPECT_FALSE(general.has_max_wait());
  EXPECT_FALSE(general.has_preferred_agent_window());
  EXPECT_EQ(general.strategy(), v1::ROUTING_STRATEGY_UNSPECIFIED);
  EXPECT_DOUBLE_EQ(general.sl_goal_percent(), 82.5);

  const v1::Queue& billing = routing.queues[1];
  EXPECT_EQ(billing.name(), "queues/billing");
  EXPECT_EQ(billing.display_name(), "Billing");
  ASSERT_EQ(billing.channels_size(), 4);
  EXPECT_EQ(billing.channels(0), v1::CONTACT_CHANNEL_CALL);
  EXPECT_EQ(billing.channels(1), v1::CONTACT_CHANNEL_TICKET);
  EXPECT_EQ(billing.channels(2), v1::CONTACT_CHANNEL_CALLBACK);
  EXPECT_EQ(billing.channels(3), v1::CONTACT_CHANNEL_OUTBOUND);
  ASSERT_EQ(billing.skills_size(), 2);
  EXPECT_EQ(billing.skills(0).skill(), "skills/billing");
  EXPECT_EQ(billing.skills(0).min_proficiency(), 3);
  EXPECT_EQ(billing.skills(1).skill(), "skills/tech");
  EXPECT_EQ(billing.skills(1).min_proficiency(), 0);
  EXPECT_EQ(billing.base_priority(), -5);
  ASSERT_TRUE(billing.has_sl_threshold());
  EXPECT_EQ(billing.sl_threshold().seconds(), 20);
  EXPECT_EQ(billing.sl_threshold().nanos(), 0);
  EXPECT_DOUBLE_EQ(billing.sl_goal_percent(), 80.0);
  ASSERT_TRUE(billing.has_wrap_up());
  EXPECT_EQ(billing.wrap_up().seconds(), 2);
  EXPECT_EQ(billing.wrap_up().nanos(), 500'000'000);
  EXPECT_EQ(billing.offer_timeout().seconds(), 15);
  ASSERT_TRUE(billing.has_max_wait());  // given, even as 0
  EXPECT_EQ(billing.max_wait().seconds(), 0);
  EXPECT_EQ(billing.overflow_queue(), "queues/general");
  ASSERT_EQ(billing.widened_skills_size(), 1);
  EXPECT_EQ(billing.widened_skills(0).skill(), "skills/billing");
  EXPECT_EQ(billing.widened_skills(0).min_proficiency(), 1);
  EXPECT_EQ(billing.max_length(), 1000);
  EXPECT_EQ(billing.strategy(), v1::ROUTING_STRATEGY_MOST_SKILLED);
  EXPECT_EQ(billing.preferred_agent_window().seconds(), 30);

  ASSERT_EQ(routing.agents.size(), 2u);
  const v1::Agent& ada = routing.agents[0];
  EXPECT_EQ(ada.name(), "agents/a-101");
  EXPECT_EQ(ada.display_name(), "Ada");
  EXPECT_EQ(ada.team(), "blue");
  ASSERT_EQ(ada.skills_size(), 2);
  EXPECT_EQ(ada.skills(0).skill(), "skills/billing");
  EXPECT_EQ(ada.skills(0).min_proficiency(), 7);
  EXPECT_EQ(ada.skills(1).skill(), "skills/tech");
  EXPECT_EQ(ada.skills(1).min_proficiency(), 2);
  EXPECT_EQ(ada.max_tickets(), 4);
  EXPECT_EQ(routing.agents[1].name(), "agents/a-102");
  EXPECT_EQ(routing.agents[1].skills_size(), 0);
  EXPECT_EQ(routing.agents[1].max_tickets(), 0);
}

TEST(ConfigTest, EveryStrategyWordIsRead) {
  const std::pair<const char*, v1::RoutingStrategy> words[] = {
      {"longest_idle", v1::ROUTING_STRATEGY_LONGEST_IDLE},
      {"most_skilled", v1::ROUTING_STRATEGY_MOST_SKILLED},
      {"fewest_contacts", v1::ROUTING_STRATEGY_FEWEST_CONTACTS},
      {"least_talk_time", v1::ROUTING_STRATEGY_LEAST_TALK_TIME},
      {"round_robin", v1::ROUTING_STRATEGY_ROUND_ROBIN},
      {"random", v1::ROUTING_STRATEGY_RANDOM},
  };
  for (const auto& [word, strategy] : words) {
    Config config;
    auto status = LoadText(
        std::string("[[routing.queues]]\nname = \"queues/q\"\nstrategy = \"") + word + "\"\n",
        &config);
    ASSERT_TRUE(status.ok()) << word << ": " << status;
    ASSERT_EQ(config.routing.queues.size(), 1u);
    EXPECT_EQ(config.routing.queues[0].strategy(), strategy) << word;
  }
}

TEST(ConfigTest, RoutingErrorsNameTheKey) {
  struct Case {
    const char* text;
    const char* message_start;
  } cases[] = {
      {"[routing]\nsession_grace = 3\n", "routing.session_grace: unknown option"},
      {"[routing]\noffer_reminder_seconds = \"5\"\n", "routing.offer_reminder_seconds: wrong type"},
      {"[routing]\nqueues = 3\n", "routing.queues: must be an array of tables"},
      {"[[routing.queues]]\nname = \"queues/q\"\nofer_timeout_seconds = 15\n",
       "routing.queues[0].ofer_timeout_seconds: unknown option"},
      {"[[routing.queues]]\nname = \"queues/a\"\n[[routing.queues]]\nname = \"queues/b\"\n"
       "[[routing.queues]]\nname = \"queues/c\"\noffer_timeout_seconds = \"15s\"\n",
       "routing.queues[2].offer_timeout_seconds: wrong type"},
      {"[[routing.queues]]\nname = \"queues/q\"\nchannels = [\"call\", \"fax\"]\n",
       "routing.queues[0].channels[1]: 'fax'"},
      {"[[routing.queues]]\nname = \"queues/q\"\nchannels = \"call\"\n",
       "routing.queues[0].channels: must be an array"},
      {"[[routing.queues]]\nname = \"queues/q\"\nstrategy = \"fastest\"\n",
       "routing.queues[0].strategy: 'fastest'"},
      {"[[routing.queues]]\nname = \"queues/q\"\nstrategy = 1\n",
       "routing.queues[0].strategy: wrong type"},
      {"[[routing.queues]]\nname = \"queues/q\"\nsl_goal_percent = \"80%\"\n",
       "routing.queues[0].sl_goal_percent: wrong type"},
      {"[[routing.queues]]\nname = \"queues/q\"\nmax_length = 10000000000\n",
       "routing.queues[0].max_length: out of range"},
      {"[[routing.queues]]\nname = \"queues/q\"\nskills = [ { skill = \"skills/x\", level = 3 } ]\n",
       "routing.queues[0].skills[0].level: unknown option"},
      {"[[routing.queues]]\nname = \"queues/q\"\nwidened_skills = [ \"skills/x\" ]\n",
       "routing.queues[0].widened_skills[0]: must be a table"},
      {"[[routing.queues]]\ndisplay_name = \"No name\"\n", "routing.queues[0].name: required"},
      {"[[routing.skills]]\ndescription = \"No name\"\n", "routing.skills[0].name: required"},
      {"[[routing.reason_codes]]\nname = \"\"\n", "routing.reason_codes[0].name: required"},
      {"[[routing.agents]]\nteam = \"blue\"\n", "routing.agents[0].name: required"},
      {"[[routing.agents]]\nname = \"agents/a\"\n"
       "skills = [ { skill = \"skills/x\", min_proficiency = 3 } ]\n",
       "routing.agents[0].skills[0].min_proficiency: unknown option"},
      {"[[routing.agents]]\nname = \"agents/a\"\nskills = [ { proficiency = 3 } ]\n",
       "routing.agents[0].skills[0].skill: required"},
  };
  for (const auto& c : cases) {
    Config config;
    auto status = LoadText(c.text, &config);
    ASSERT_FALSE(status.ok()) << c.text;
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_TRUE(absl::StartsWith(status.message(), c.message_start))
        << c.text << "\n" << status.message();
  }
}

TEST(ConfigTest, ReadsTheCtiSection) {
  Config config;
  auto status = LoadText(R"(
[cti]
create_unknown_callers = false
default_queue = "queues/general"
idle_timeout_seconds = 3600
callback_window_hours = 0
callback_min_wait_seconds = 10

[cti.called_numbers]
"+49 30 100" = "queues/billing"
"4711" = "queues/tech"
)", &config);
  ASSERT_TRUE(status.ok()) << status;
  const CtiConfig& cti = config.cti;
  EXPECT_FALSE(cti.create_unknown_callers);
  EXPECT_EQ(cti.default_queue, "queues/general");
  EXPECT_EQ(cti.idle_timeout_seconds, 3600);
  EXPECT_EQ(cti.callback_window_hours, 0);
  EXPECT_EQ(cti.callback_min_wait_seconds, 10);
  const std::map<std::string, std::string> expected = {{"+49 30 100", "queues/billing"},
                                                       {"4711", "queues/tech"}};
  EXPECT_EQ(cti.called_numbers, expected);
  config.auth_enabled = false;
  EXPECT_TRUE(ValidateConfig(config).ok());
}

TEST(ConfigTest, CtiKeysLeftOutKeepTheirDefaults) {
  Config config;
  auto status = LoadText("[cti]\ndefault_queue = \"queues/q\"\n", &config);
  ASSERT_TRUE(status.ok()) << status;
  const CtiConfig defaults;
  EXPECT_EQ(config.cti.default_queue, "queues/q");
  EXPECT_EQ(config.cti.create_unknown_callers, defaults.create_unknown_callers);
  EXPECT_EQ(config.cti.idle_timeout_seconds, defaults.idle_timeout_seconds);
  EXPECT_EQ(config.cti.callback_window_hours, defaults.callback_window_hours);
  EXPECT_EQ(config.cti.callback_min_wait_seconds, defaults.callback_min_wait_seconds);
  EXPECT_TRUE(config.cti.called_numbers.empty());
}

TEST(ConfigTest, CtiErrorsNameTheKey) {
  struct Case {
    const char* text;
    const char* message_start;
  } cases[] = {
      {"[cti]\nidle_timeout = 60\n", "cti.idle_timeout: unknown option"},
      {"[cti]\ncreate_unknown_callers = \"yes\"\n", "cti.create_unknown_callers: wrong type"},
      {"[cti]\ndefault_queue = 3\n", "cti.default_queue: wrong type"},
      {"[cti]\nidle_timeout_seconds = \"4h\"\n", "cti.idle_timeout_seconds: wrong type"},
      {"[cti]\ncallback_window_hours = 10000000000\n", "cti.callback_window_hours: out of range"},
      {"[cti]\ncallback_min_wait_seconds = true\n", "cti.callback_min_wait_seconds: wrong type"},
      {"cti = 1\n", "cti: must be a table"},
      {"[cti]\ncalled_numbers = \"+49 30 100\"\n", "cti.called_numbers: must be a table"},
      {"[cti.called_numbers]\n\"+49 30 100\" = \"queues/billing\"\n\"4711\" = 3\n",
       "cti.called_numbers[\"4711\"]: must be a string"},
      {"[cti.called_numbers]\n\"+49 30 100\" = [\"queues/billing\"]\n",
       "cti.called_numbers[\"+49 30 100\"]: must be a string"},
  };
  for (const auto& c : cases) {
    Config config;
    auto status = LoadText(c.text, &config);
    ASSERT_FALSE(status.ok()) << c.text;
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_TRUE(absl::StartsWith(status.message(), c.message_start))
        << c.text << "\n" << status.message();
  }
}

TEST(ConfigTest, CtiValidationNamesTheOption) {
  Config config;
  config.auth_enabled = false;
  ASSERT_TRUE(ValidateConfig(config).ok());
  const auto message = [&] { return std::string(ValidateConfig(config).message()); };

  config.cti.idle_timeout_seconds = 59;
  EXPECT_TRUE(absl::StartsWith(message(), "cti.idle_timeout_seconds:")) << message();
  config.cti.idle_timeout_seconds = 86400 * 7 + 1;
  EXPECT_TRUE(absl::StartsWith(message(), "cti.idle_timeout_seconds:")) << message();
  config.cti.idle_timeout_seconds = 60;
  EXPECT_TRUE(ValidateConfig(config).ok());
  config.cti.idle_timeout_seconds = 86400 * 7;
  EXPECT_TRUE(ValidateConfig(config).ok());

  config.cti.callback_window_hours = -1;
  EXPECT_TRUE(absl::StartsWith(message(), "cti.callback_window_hours:")) << message();
  config.cti.callback_window_hours = 721;
  EXPECT_TRUE(absl::StartsWith(message(), "cti.callback_window_hours:")) << message();
  config.cti.callback_window_hours = 0;
  EXPECT_TRUE(ValidateConfig(config).ok());
  config.cti.callback_window_hours = 720;
  EXPECT_TRUE(ValidateConfig(config).ok());

  config.cti.callback_min_wait_seconds = -1;
  EXPECT_TRUE(absl::StartsWith(message(), "cti.callback_min_wait_seconds:")) << message();
  config.cti.callback_min_wait_seconds = 3601;
  EXPECT_TRUE(absl::StartsWith(message(), "cti.callback_min_wait_seconds:")) << message();
  config.cti.callback_min_wait_seconds = 3600;
  EXPECT_TRUE(ValidateConfig(config).ok());

  config.cti.dedup_horizon_hours = 0;
  EXPECT_TRUE(absl::StartsWith(message(), "cti.dedup_horizon_hours:")) << message();
  config.cti.dedup_horizon_hours = 8761;
  EXPECT_TRUE(absl::StartsWith(message(), "cti.dedup_horizon_hours:")) << message();
  config.cti.dedup_horizon_hours = 1;
  EXPECT_TRUE(ValidateConfig(config).ok());

  config.cti.default_queue = "general";
  EXPECT_TRUE(absl::StartsWith(message(), "cti.default_queue:")) << message();
  config.cti.default_queue = "queues/general";
  EXPECT_TRUE(ValidateConfig(config).ok());
  config.cti.default_queue = "";
  EXPECT_TRUE(ValidateConfig(config).ok());

  config.cti.called_numbers["4711"] = "queues/tech";
  EXPECT_TRUE(ValidateConfig(config).ok());
  config.cti.called_numbers["+49 30 100"] = "billing";
  EXPECT_TRUE(absl::StartsWith(message(), "cti.called_numbers[\"+49 30 100\"]:")) << message();
  config.cti.called_numbers["+49 30 100"] = "";
  EXPECT_TRUE(absl::StartsWith(message(), "cti.called_numbers[\"+49 30 100\"]:")) << message();
  config.cti.called_numbers["+49 30 100"] = "queues/billing";
  EXPECT_TRUE(ValidateConfig(config).ok());
}

TEST(ConfigTest, TheDemoConfigLoadsWithItsRouting) {
  // deploy/demo.toml sits next to the documented sample.
  std::string path = SERVICEDESK_SAMPLE_CONFIG;
  path = path.substr(0, path.rfind('/') + 1) + "demo.toml";
  Config config;
  auto status = LoadConfigFile(path, &config);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_TRUE(ValidateConfig(config).ok());
  const RoutingDefinitions& routing = config.routing;
  EXPECT_EQ(routing.skills.size(), 3u);
  EXPECT_EQ(routing.reason_codes.size(), 4u);
  ASSERT_EQ(routing.queues.size(), 3u);
  ASSERT_EQ(routing.agents.size(), 4u);
  // An overflow target comes before the queue overflowing to it.
  EXPECT_EQ(routing.queues[0].name(), "queues/billing");
  EXPECT_EQ(routing.queues[1].name(), "queues/general");
  EXPECT_EQ(routing.queues[2].name(), "queues/tech");
  EXPECT_EQ(routing.queues[2].overflow_queue(), "queues/general");
  EXPECT_EQ(routing.queues[2].max_wait().seconds(), 120);
  EXPECT_EQ(routing.agents[0].name(), "agents/a-101");
  ASSERT_EQ(routing.agents[0].skills_size(), 2);
  EXPECT_EQ(routing.agents[0].skills(0).min_proficiency(), 8);
  // Every demo agent can sign in.
  for (const v1::Agent& agent : routing.agents) {
    bool has_token = false;
    for (const StaticToken& token : config.tokens) {
      has_token = has_token || (token.principal == agent.name() && token.role == Role::kAgent);
    }
    EXPECT_TRUE(has_token) << agent.name();
  }
}

TEST(ConfigTest, TheDemoConfigLoadsWithItsCtiSection) {
  std::string path = SERVICEDESK_SAMPLE_CONFIG;
  path = path.substr(0, path.rfind('/') + 1) + "demo.toml";
  Config config;
  auto status = LoadConfigFile(path, &config);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_TRUE(ValidateConfig(config).ok()) << ValidateConfig(config);
  const CtiConfig defaults;
  EXPECT_EQ(config.cti.default_queue, "queues/general");
  EXPECT_EQ(config.cti.create_unknown_callers, defaults.create_unknown_callers);
  EXPECT_EQ(config.cti.idle_timeout_seconds, defaults.idle_timeout_seconds);
  const std::map<std::string, std::string> expected = {{"+49 30 1000 100", "queues/billing"},
                                                       {"+49 30 1000 200", "queues/tech"}};
  EXPECT_EQ(config.cti.called_numbers, expected);
  // Every queue the cti section names is defined in the demo's routing.
  std::vector<std::string> targets = {config.cti.default_queue};
  for (const auto& [number, queue] : config.cti.called_numbers) targets.push_back(queue);
  for (const std::string& target : targets) {
    bool defined = false;
    for (const v1::Queue& queue : config.routing.queues) defined = defined || queue.name() == target;
    EXPECT_TRUE(defined) << target;
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
  config.session_grace_seconds = 3601;
  EXPECT_TRUE(absl::StartsWith(ValidateConfig(config).message(), "routing.session_grace_seconds:"));
  config.session_grace_seconds = -1;
  EXPECT_TRUE(absl::StartsWith(ValidateConfig(config).message(), "routing.session_grace_seconds:"));
  config.session_grace_seconds = 3600;
  config.offer_reminder_seconds = 601;
  EXPECT_TRUE(absl::StartsWith(ValidateConfig(config).message(), "routing.offer_reminder_seconds:"));
  config.offer_reminder_seconds = 0;
  EXPECT_TRUE(ValidateConfig(config).ok());
  config.auth_enabled = true;
  EXPECT_TRUE(absl::StartsWith(ValidateConfig(config).message(), "auth.tokens:"));
}

}  // namespace
}  // namespace servicedesk::server

namespace servicedesk::server {
namespace {

TEST(ConfigTest, ReadsTheSupervisorSectionAndValidatesIt) {
  Config config;
  config.auth_enabled = false;
  ASSERT_TRUE(LoadText("[supervisor]\ninterval_minutes = 30\ntime_zone = \"Europe/Berlin\"\n"
                       "short_abandon_seconds = 8\n",
                       &config)
                  .ok());
  EXPECT_EQ(config.supervisor.interval_minutes, 30);
  EXPECT_EQ(config.supervisor.time_zone, "Europe/Berlin");
  EXPECT_EQ(config.supervisor.short_abandon_seconds, 8);
  EXPECT_TRUE(ValidateConfig(config).ok()) << ValidateConfig(config);
  EXPECT_TRUE(absl::StartsWith(LoadText("[supervisor]\nwindow = 3\n", &config).message(),
                               "supervisor.window"));
  const auto message = [&] { return std::string(ValidateConfig(config).message()); };
  config.supervisor.interval_minutes = 7;  // does not divide the hour
  EXPECT_TRUE(absl::StartsWith(message(), "supervisor.interval_minutes:")) << message();
  config.supervisor.interval_minutes = 15;
  config.supervisor.default_updates_per_second = 11;
  EXPECT_TRUE(absl::StartsWith(message(), "supervisor.default_updates_per_second:")) << message();
  config.supervisor.default_updates_per_second = 1;
  config.supervisor.max_watchers = 0;
  EXPECT_TRUE(absl::StartsWith(message(), "supervisor.max_watchers:")) << message();
  config.supervisor.max_watchers = 1000;
  config.supervisor.time_zone = "Mars/Olympus";
  EXPECT_TRUE(absl::StartsWith(message(), "supervisor.time_zone:")) << message();
  config.supervisor.time_zone = "UTC";
  config.supervisor.short_abandon_seconds = 601;
  EXPECT_TRUE(absl::StartsWith(message(), "supervisor.short_abandon_seconds:")) << message();
  config.supervisor.short_abandon_seconds = 0;
  EXPECT_TRUE(ValidateConfig(config).ok());
}

}  // namespace
}  // namespace servicedesk::server

namespace servicedesk::server {
namespace {

TEST(ConfigTest, ReadsTheTicketsSectionWithItsSlaRules) {
  Config config;
  config.auth_enabled = false;
  ASSERT_TRUE(LoadText(R"([tickets]
reopen_days = 3
breach_priority_boost = 40
time_zone = "Europe/Berlin"
working_days = ["mon", "tue"]
working_hours = "09:00-17:30"
holidays = ["2026-12-25"]
first_response_minutes = 120
[[tickets.sla]]
priority = "urgent"
tier = "key_important"
first_response_minutes = 15
resolution_minutes = 60
business_hours = false
warning_percent = 50
)",
                       &config)
                  .ok());
  EXPECT_EQ(config.tickets.reopen_days, 3);
  EXPECT_EQ(config.tickets.breach_priority_boost, 40);
  EXPECT_EQ(config.tickets.working_days, (std::vector<std::string>{"mon", "tue"}));
  EXPECT_EQ(config.tickets.default_sla.first_response_minutes, 120);
  ASSERT_EQ(config.tickets.sla.size(), 1u);
  EXPECT_EQ(config.tickets.sla[0].warning_percent, 50);
  ASSERT_TRUE(ValidateConfig(config).ok()) << ValidateConfig(config);
  auto rules = TicketRulesFrom(config.tickets);
  ASSERT_TRUE(rules.ok());
  ASSERT_EQ(rules->policy.rules.size(), 1u);
  EXPECT_EQ(rules->policy.rules[0].tier, tickets::CustomerTier::kKeyImportant);
  EXPECT_EQ(rules->policy.rules[0].targets.first_response, absl::Minutes(15));
  EXPECT_EQ(rules->calendar.holidays.size(), 1u);
}

TEST(ConfigTest, TicketsErrorsNameTheKey) {
  const auto message = [](TicketsConfig tickets) {
    Config config;
    config.auth_enabled = false;
    config.tickets = std::move(tickets);
    return std::string(ValidateConfig(config).message());
  };
  TicketsConfig t;
  t.working_hours = "18:00-08:00";
  EXPECT_TRUE(absl::StartsWith(message(t), "tickets.working_hours:")) << message(t);
  t = TicketsConfig();
  t.working_days = {"mon", "funday"};
  EXPECT_TRUE(absl::StartsWith(message(t), "tickets.working_days[1]:")) << message(t);
  t = TicketsConfig();
  t.holidays = {"Christmas"};
  EXPECT_TRUE(absl::StartsWith(message(t), "tickets.holidays[0]:")) << message(t);
  t = TicketsConfig();
  t.sla = {{"asap", "", 10, 20, false, 75}};
  EXPECT_TRUE(absl::StartsWith(message(t), "tickets.sla[0].priority:")) << message(t);
  t = TicketsConfig();
  t.sla = {{"", "", 0, 20, false, 75}};
  EXPECT_TRUE(absl::StartsWith(message(t), "tickets.sla[0].first_response_minutes:")) << message(t);
  t = TicketsConfig();
  t.time_zone = "Nowhere/Land";
  EXPECT_TRUE(absl::StartsWith(message(t), "tickets.time_zone:")) << message(t);
  t = TicketsConfig();
  t.sla = {{"", "", 10, 20, false, 75}, {"urgent", "", 10, 20, false, 75}};  // never chosen
  EXPECT_TRUE(absl::StartsWith(message(t), "tickets.sla[1]")) << message(t);
  t = TicketsConfig();
  t.breach_priority_boost = 101;
  EXPECT_TRUE(absl::StartsWith(message(t), "tickets.breach_priority_boost:")) << message(t);
}

TEST(ConfigTest, ReadsTheComplaintsSectionWithItsLimitRules) {
  Config config;
  config.auth_enabled = false;
  ASSERT_TRUE(LoadText(R"([complaints]
categories = ["billing", "delivery"]
follow_up_queue = "queues/general"
follow_up_delay_hours = 48
recording_hours = 12
regulatory = true
final_response_days = 40
[[complaints.limits]]
severity = "critical"
tier = "key_important"
recording_hours = 2
resolution_hours = 24
)",
                       &config)
                  .ok());
  EXPECT_EQ(config.complaints.categories, (std::vector<std::string>{"billing", "delivery"}));
  EXPECT_EQ(config.complaints.follow_up_delay_hours, 48);
  EXPECT_EQ(config.complaints.default_limits.recording_hours, 12);
  ASSERT_EQ(config.complaints.limits.size(), 1u);
  EXPECT_EQ(config.complaints.limits[0].severity, "critical");
  ASSERT_TRUE(ValidateConfig(config).ok()) << ValidateConfig(config);
  auto rules = ComplaintRulesFrom(config.complaints);
  ASSERT_TRUE(rules.ok()) << rules.status();
  ASSERT_EQ(rules->limits.rules.size(), 1u);
  EXPECT_EQ(rules->limits.rules[0].limits.recording, absl::Hours(2));
  ASSERT_TRUE(rules->limits.regulatory.has_value());
  EXPECT_EQ(rules->limits.regulatory->final_response, absl::Hours(24 * 40));
}

TEST(ConfigTest, ComplaintsErrorsNameTheKey) {
  const auto message = [](ComplaintsConfig complaints) {
    Config config;
    config.auth_enabled = false;
    config.complaints = std::move(complaints);
    return std::string(ValidateConfig(config).message());
  };
  ComplaintsConfig c;
  c.limits = {{"urgent", "", 24, 120, 168}};
  EXPECT_TRUE(absl::StartsWith(message(c), "complaints.limits[0].severity:")) << message(c);
  c = ComplaintsConfig();
  c.default_limits.resolution_hours = 0;
  EXPECT_TRUE(absl::StartsWith(message(c), "complaints.resolution_hours:")) << message(c);
  c = ComplaintsConfig();
  c.follow_up_queue = "general";
  EXPECT_TRUE(absl::StartsWith(message(c), "complaints.follow_up_queue:")) << message(c);
  c = ComplaintsConfig();
  c.categories = {};
  EXPECT_TRUE(absl::StartsWith(message(c), "complaints.categories")) << message(c);
  c = ComplaintsConfig();
  c.satisfied_threshold = 6;
  EXPECT_TRUE(absl::StartsWith(message(c), "complaints.satisfied_threshold")) << message(c);
}

TEST(ConfigTest, ReadsTheCrmSectionWithRatesTiersAndLifecycle) {
  Config config;
  config.auth_enabled = false;
  ASSERT_TRUE(LoadText(R"([crm]
base_currency = "CHF"
max_purchase_amount = 5000
window_days = 180
gross_margin = 0.4
[crm.exchange_rates]
EUR = 0.95
[crm.tiers]
key_important_share = 0.4
[crm.lifecycle]
loyal_min_purchases = 8
churn_interval_factor = 2.5
)",
                       &config)
                  .ok());
  EXPECT_EQ(config.crm.base_currency, "CHF");
  EXPECT_EQ(config.crm.exchange_rates, (std::map<std::string, double>{{"EUR", 0.95}}));
  ASSERT_TRUE(ValidateConfig(config).ok()) << ValidateConfig(config);
  const crm::ValueRules rules = ValueRulesFrom(config.crm);
  EXPECT_EQ(rules.window, absl::Hours(24 * 180));
  EXPECT_EQ(rules.key_important_share, 0.4);
  EXPECT_EQ(rules.key_share, 0.8);  // left out: the default
  EXPECT_EQ(rules.loyal_min_purchases, 8);
  EXPECT_EQ(rules.churn_interval_factor, 2.5);
  EXPECT_EQ(rules.gross_margin, 0.4);

  Config typo;
  EXPECT_THAT(std::string(LoadText("[crm.tiers]\nkey_shares = 0.7\n", &typo).message()), StartsWith("crm.tiers.key_shares:"));
}

TEST(ConfigTest, CrmErrorsNameTheKey) {
  const auto message = [](CrmConfig crm) {
    Config config;
    config.auth_enabled = false;
    config.crm = std::move(crm);
    return std::string(ValidateConfig(config).message());
  };
  CrmConfig c;
  c.base_currency = "euro";
  EXPECT_THAT(message(c), StartsWith("crm.base_currency:"));
  c = CrmConfig();
  c.exchange_rates = {{"usd", 1.1}};
  EXPECT_THAT(message(c), StartsWith("crm.exchange_rates.usd:"));
  c = CrmConfig();
  c.exchange_rates = {{"USD", 0}};
  EXPECT_THAT(message(c), StartsWith("crm.exchange_rates.USD:"));
  c = CrmConfig();
  c.exchange_rates = {{"EUR", 1}};
  EXPECT_THAT(message(c), StartsWith("crm.exchange_rates.EUR: the base currency"));
  c = CrmConfig();
  c.max_purchase_amount = 2e9;
  EXPECT_THAT(message(c), StartsWith("crm.max_purchase_amount:"));
  c = CrmConfig();
  c.recompute_interval_hours = 0;
  EXPECT_THAT(message(c), StartsWith("crm.recompute_interval_hours:"));
  c = CrmConfig();
  c.key_share = 0.3;  // below key_important_share
  EXPECT_THAT(message(c), StartsWith("crm.tiers.key_important_share:"));
  c = CrmConfig();
  c.loyal_min_purchases = 1;
  EXPECT_THAT(message(c), StartsWith("crm.lifecycle.loyal_min_purchases:"));
}

TEST(ConfigTest, TlsIsReadAndAHalfOrImpossibleSetupIsRefusedNamingTheField) {
  Config config;
  config.auth_enabled = false;
  ASSERT_TRUE(LoadText("[server.tls]\ncert_file = \"" SERVICEDESK_SAMPLE_CONFIG "\"\nkey_file = \"" SERVICEDESK_SAMPLE_CONFIG
                       "\"\nclient_ca_file = \"" SERVICEDESK_SAMPLE_CONFIG "\"\nrequire_client_certificate = true\n",
                       &config)
                  .ok());
  EXPECT_TRUE(config.tls_require_client_certificate);
  EXPECT_TRUE(ValidateConfig(config).ok()) << ValidateConfig(config);
  const auto message = [&] { return std::string(ValidateConfig(config).message()); };
  config.tls_client_ca_file.clear();
  EXPECT_TRUE(absl::StartsWith(message(), "server.tls.require_client_certificate:")) << message();
  config.tls_require_client_certificate = false;
  config.tls_key_file.clear();
  EXPECT_TRUE(absl::StartsWith(message(), "server.tls: cert_file and key_file go together")) << message();
  config.tls_key_file = "/nonexistent/server.key";
  EXPECT_TRUE(absl::StartsWith(message(), "server.tls.key_file: cannot read")) << message();
  EXPECT_TRUE(absl::StartsWith(LoadText("[server.tls]\npassword = \"x\"\n", &config).message(), "server.tls.password"));
}

}  // namespace
}  // namespace servicedesk::server
