// servicedeskd: the service desk server.

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>

#include "absl/strings/str_cat.h"
#include "services/server/config.h"
#include "services/server/desk_server.h"
#include "services/server/logging.h"

namespace {

int Fail(absl::string_view message) {
  std::cerr << "servicedeskd: " << message << std::endl;
  return 2;
}

bool WritePortFile(const std::string& path, int port) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << port << "\n";
    if (!out) return false;
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  return !error;
}

}  // namespace

int main(int argc, char** argv) {
  using servicedesk::server::Config;
  CLI::App app{"servicedeskd: the service desk server (routing, customer file, complaints)"};
  std::string config_path;
  Config flags;
  app.add_option("-c,--config", config_path, "TOML config file (see deploy/servicedeskd.toml)");
  auto* listen = app.add_option("--listen", flags.listen, "address:port to listen on");
  auto* data_dir = app.add_option("--data-dir", flags.data_dir, "RocksDB data directory");
  auto* port_file = app.add_option("--port-file", flags.port_file, "write the bound port here");
  auto* region = app.add_option("--default-region", flags.default_region,
                                "ISO 3166-1 region for national phone numbers");
  auto* level = app.add_option("--log-level", flags.log_level, "trace|debug|info|warn|error");
  auto* format = app.add_option("--log-format", flags.log_format, "text|json");
  auto* demo = app.add_option("--demo-customers", flags.demo_customers,
                              "load this many demo customers into an empty data directory");
  bool no_auth = false;
  app.add_flag("--no-auth", no_auth, "accept calls without a token (demo only)");
  bool no_sync = false;
  app.add_flag("--no-sync", no_sync, "do not fsync acknowledged writes (tests, demos)");
  CLI11_PARSE(app, argc, argv);

  Config config;
  if (!config_path.empty()) {
    if (auto s = servicedesk::server::LoadConfigFile(config_path, &config); !s.ok()) {
      return Fail(absl::StrCat("config: ", s.message()));
    }
  }
  if (*listen) config.listen = flags.listen;
  if (*data_dir) config.data_dir = flags.data_dir;
  if (*port_file) config.port_file = flags.port_file;
  if (*region) config.default_region = flags.default_region;
  if (*level) config.log_level = flags.log_level;
  if (*format) config.log_format = flags.log_format;
  if (*demo) config.demo_customers = flags.demo_customers;
  if (no_auth) config.auth_enabled = false;
  if (no_sync) config.sync_writes = false;
  if (auto s = servicedesk::server::ValidateConfig(config); !s.ok()) {
    return Fail(absl::StrCat("config: ", s.message()));
  }
  servicedesk::server::ConfigureLogging(config.log_format, config.log_level);

  // Signals are taken by sigwait below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::error_code error;
  std::filesystem::create_directories(config.data_dir, error);
  if (error) return Fail(absl::StrCat("cannot create ", config.data_dir, ": ", error.message()));

  auto desk = servicedesk::server::DeskServer::Start(config);
  if (!desk.ok()) return Fail(desk.status().message());
  if (!config.port_file.empty() && !WritePortFile(config.port_file, (*desk)->port())) {
    (*desk)->Shutdown();
    return Fail(absl::StrCat("cannot write port file ", config.port_file));
  }

  int received = 0;
  sigwait(&signals, &received);
  servicedesk::server::LogEvent(spdlog::level::info, "server.signal",
                                {{"signal", received == SIGTERM ? "SIGTERM" : "SIGINT"}});
  (*desk)->Shutdown();
  desk->reset();
  return 0;
}
