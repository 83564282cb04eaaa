#pragma once

// servicedeskd's configuration: a TOML file (every option is documented in
// deploy/servicedeskd.toml) with command-line overrides. Unknown keys are errors,
// so a typo never silently falls back to a default.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/server/auth.h"

namespace servicedesk::server {

struct Config {
  // [server]
  std::string listen = "127.0.0.1:50051";  // loopback unless told otherwise
  std::string port_file;                    // when set, the bound port is written there
  int shutdown_grace_seconds = 5;
  // [storage]
  std::string data_dir = "./var/data";
  bool sync_writes = true;  // acknowledged writes are fsynced
  int block_cache_mb = 256;
  // [phone]
  std::string default_region;  // ISO 3166-1 alpha-2; empty: only international numbers
  // [auth]
  bool auth_enabled = true;
  std::vector<StaticToken> tokens;
  // [log]
  std::string log_level = "info";  // trace, debug, info, warn, error
  std::string log_format = "text";  // text or json
  // [demo]
  int demo_customers = 0;  // loaded on first start into an empty data directory
  uint64_t demo_seed = 42;
};

// Reads `path` into `config`, keeping defaults for what the file does not set.
// INVALID_ARGUMENT naming the key (e.g. "storage.block_cache_mb") on any error.
absl::Status LoadConfigFile(const std::string& path, Config* config);

// Checks values that the file and the flags can both set.
absl::Status ValidateConfig(const Config& config);

}  // namespace servicedesk::server
