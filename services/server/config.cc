#include "services/server/config.h"

#include <set>

#include <toml++/toml.h>

#include "absl/strings/str_cat.h"
#include "services/customers/phone_normalizer.h"

namespace servicedesk::server {

namespace {

absl::Status Unknown(std::string_view table, std::string_view key) {
  std::string name = table.empty() ? std::string(key) : absl::StrCat(std::string(table), ".", std::string(key));
  return absl::InvalidArgumentError(absl::StrCat(name, ": unknown option"));
}

template <typename T>
absl::Status Read(const toml::table& table, std::string_view section, std::string_view key,
                  T* out) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return absl::OkStatus();
  if constexpr (std::is_same_v<T, std::string>) {
    if (auto value = node->value<std::string>()) {
      *out = *value;
      return absl::OkStatus();
    }
  } else if constexpr (std::is_same_v<T, bool>) {
    if (auto value = node->value<bool>()) {
      *out = *value;
      return absl::OkStatus();
    }
  } else {
    if (auto value = node->value<int64_t>()) {
      *out = static_cast<T>(*value);
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(section), ".", std::string(key), ": wrong type"));
}

absl::Status CheckKeys(const toml::table& table, std::string_view section,
                       std::set<std::string_view> known) {
  for (const auto& [key, node] : table) {
    if (!known.contains(key.str())) return Unknown(section, key.str());
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status LoadConfigFile(const std::string& path, Config* config) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& error) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ":", error.source().begin.line, ":", error.source().begin.column, ": ",
        std::string(error.description())));
  }
  if (auto s = CheckKeys(root, "", {"server", "storage", "phone", "auth", "log", "demo"}); !s.ok()) {
    return s;
  }
  auto section = [&](std::string_view name) -> const toml::table* {
    return root.get(name) ? root.get(name)->as_table() : nullptr;
  };
  for (std::string_view name : {"server", "storage", "phone", "auth", "log", "demo"}) {
    if (root.get(name) && !section(name)) {
      return absl::InvalidArgumentError(absl::StrCat(std::string(name), ": must be a table"));
    }
  }
  if (const auto* t = section("server")) {
    if (auto s = CheckKeys(*t, "server", {"listen", "port_file", "shutdown_grace_seconds"}); !s.ok()) return s;
    if (auto s = Read(*t, "server", "listen", &config->listen); !s.ok()) return s;
    if (auto s = Read(*t, "server", "port_file", &config->port_file); !s.ok()) return s;
    if (auto s = Read(*t, "server", "shutdown_grace_seconds", &config->shutdown_grace_seconds); !s.ok()) return s;
  }
  if (const auto* t = section("storage")) {
    if (auto s = CheckKeys(*t, "storage", {"data_dir", "sync_writes", "block_cache_mb"}); !s.ok()) return s;
    if (auto s = Read(*t, "storage", "data_dir", &config->data_dir); !s.ok()) return s;
    if (auto s = Read(*t, "storage", "sync_writes", &config->sync_writes); !s.ok()) return s;
    if (auto s = Read(*t, "storage", "block_cache_mb", &config->block_cache_mb); !s.ok()) return s;
  }
  if (const auto* t = section("phone")) {
    if (auto s = CheckKeys(*t, "phone", {"default_region"}); !s.ok()) return s;
    if (auto s = Read(*t, "phone", "default_region", &config->default_region); !s.ok()) return s;
  }
  if (const auto* t = section("log")) {
    if (auto s = CheckKeys(*t, "log", {"level", "format"}); !s.ok()) return s;
    if (auto s = Read(*t, "log", "level", &config->log_level); !s.ok()) return s;
    if (auto s = Read(*t, "log", "format", &config->log_format); !s.ok()) return s;
  }
  if (const auto* t = section("demo")) {
    if (auto s = CheckKeys(*t, "demo", {"customers", "seed"}); !s.ok()) return s;
    if (auto s = Read(*t, "demo", "customers", &config->demo_customers); !s.ok()) return s;
    if (auto s = Read(*t, "demo", "seed", &config->demo_seed); !s.ok()) return s;
  }
  if (const auto* t = section("auth")) {
    if (auto s = CheckKeys(*t, "auth", {"enabled", "tokens"}); !s.ok()) return s;
    if (auto s = Read(*t, "auth", "enabled", &config->auth_enabled); !s.ok()) return s;
    if (const toml::node* node = t->get("tokens")) {
      const toml::array* tokens = node->as_array();
      if (tokens == nullptr) return absl::InvalidArgumentError("auth.tokens: must be an array of tables");
      for (std::size_t i = 0; i < tokens->size(); ++i) {
        const std::string field = absl::StrCat("auth.tokens[", i, "]");
        const toml::table* entry = tokens->get(i)->as_table();
        if (entry == nullptr) return absl::InvalidArgumentError(absl::StrCat(field, ": must be a table"));
        if (auto s = CheckKeys(*entry, field, {"token", "principal", "role"}); !s.ok()) return s;
        StaticToken token;
        std::string role;
        if (auto s = Read(*entry, field, "token", &token.token); !s.ok()) return s;
        if (auto s = Read(*entry, field, "principal", &token.principal); !s.ok()) return s;
        if (auto s = Read(*entry, field, "role", &role); !s.ok()) return s;
        auto parsed = ParseRole(role);
        if (!parsed) {
          return absl::InvalidArgumentError(
              absl::StrCat(field, ".role: '", role, "' is not agent, supervisor, cti or admin"));
        }
        token.role = *parsed;
        if (token.token.size() < 16) {
          return absl::InvalidArgumentError(absl::StrCat(field, ".token: at least 16 characters"));
        }
        if (token.principal.empty()) {
          return absl::InvalidArgumentError(absl::StrCat(field, ".principal: required"));
        }
        config->tokens.push_back(std::move(token));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateConfig(const Config& config) {
  if (config.listen.empty()) return absl::InvalidArgumentError("server.listen: required");
  if (config.data_dir.empty()) return absl::InvalidArgumentError("storage.data_dir: required");
  if (config.block_cache_mb < 1 || config.block_cache_mb > 1 << 20) {
    return absl::InvalidArgumentError("storage.block_cache_mb: must be 1 to 1048576");
  }
  if (config.shutdown_grace_seconds < 0 || config.shutdown_grace_seconds > 600) {
    return absl::InvalidArgumentError("server.shutdown_grace_seconds: must be 0 to 600");
  }
  if (!config.default_region.empty() &&
      !customers::PhoneNormalizer::IsKnownRegion(config.default_region)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "phone.default_region: '", config.default_region, "' is not an ISO 3166-1 region code"));
  }
  static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error"};
  if (!kLevels.contains(config.log_level)) {
    return absl::InvalidArgumentError("log.level: must be trace, debug, info, warn or error");
  }
  if (config.log_format != "text" && config.log_format != "json") {
    return absl::InvalidArgumentError("log.format: must be text or json");
  }
  if (config.demo_customers < 0 || config.demo_customers > 10'000'000) {
    return absl::InvalidArgumentError("demo.customers: must be 0 to 10000000");
  }
  if (config.auth_enabled && config.tokens.empty()) {
    return absl::InvalidArgumentError(
        "auth.tokens: authentication is enabled but no token is configured (or set auth.enabled = false)");
  }
  return absl::OkStatus();
}

}  // namespace servicedesk::server
