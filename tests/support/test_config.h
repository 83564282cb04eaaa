#pragma once

// The configuration of an in-process servicedeskd for the integration tests: loopback on
// an ephemeral port, the given data directory, no fsync, a small cache, German numbers.

#include <string>

#include "services/server/config.h"

namespace servicedesk::testing {

inline server::Config LoopbackConfig(const std::string& data_dir) {
  server::Config config;
  config.listen = "127.0.0.1:0";
  config.data_dir = data_dir;
  config.sync_writes = false;
  config.block_cache_mb = 8;
  config.default_region = "DE";
  return config;
}

}  // namespace servicedesk::testing
