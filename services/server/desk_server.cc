#include "services/server/desk_server.h"

#include <fstream>
#include <sstream>

#include <future>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"
#include "services/customers/demo_data.h"
#include "services/server/logging.h"
#include "storage/key_codec.h"

namespace servicedesk::server {

namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* field) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) return absl::InvalidArgumentError(absl::StrCat(field, ": cannot read '", path, "'"));
  return text.str();
}

// Plain text, or TLS with the configured certificate (and client certificates verified,
// required for mutual TLS). See [server.tls] in deploy/servicedeskd.toml.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(const Config& config) {
  if (config.tls_cert_file.empty()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options(
      config.tls_client_ca_file.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
      : config.tls_require_client_certificate ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                              : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  auto cert = ReadPem(config.tls_cert_file, "server.tls.cert_file");
  if (!cert.ok()) return cert.status();
  auto key = ReadPem(config.tls_key_file, "server.tls.key_file");
  if (!key.ok()) return key.status();
  options.pem_key_cert_pairs.push_back({*key, *cert});
  if (!config.tls_client_ca_file.empty()) {
    auto ca = ReadPem(config.tls_client_ca_file, "server.tls.client_ca_file");
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *ca;
  }
  return grpc::SslServerCredentials(options);
}

}  // namespace


absl::StatusOr<std::unique_ptr<DeskServer>> DeskServer::Start(const Config& config,
                                                              const Clock* clock) {
  if (auto s = ValidateConfig(config); !s.ok()) return s;
  std::unique_ptr<DeskServer> desk(new DeskServer());
  desk->config_ = config;
  desk->clock_ = clock != nullptr ? clock : &desk->system_clock_;

  storage::DatabaseOptions db_options;
  db_options.path = config.data_dir;
  db_options.sync_writes = config.sync_writes;
  db_options.block_cache_bytes = static_cast<std::size_t>(config.block_cache_mb) << 20;
  auto database = storage::Database::Open(db_options);
  if (!database.ok()) return database.status();
  desk->database_ = *std::move(database);
  auto writer = storage::EventWriter::Create(desk->database_.get());
  if (!writer.ok()) return writer.status();
  desk->writer_ = *std::move(writer);

  desk->customer_store_ = std::make_unique<storage::CustomerStore>(desk->database_.get());
  desk->phones_ = std::make_unique<customers::PhoneNormalizer>(config.default_region);
  desk->customer_commands_ = std::make_unique<customers::CustomerCommands>(
      desk->customer_store_.get(), desk->writer_.get(), desk->phones_.get(), desk->clock_);
  desk->customer_queries_ = std::make_unique<customers::CustomerQueries>(
      desk->customer_store_.get(), desk->phones_.get());
  desk->loop_ = std::make_unique<DeskLoop>();

  bool demo_loaded = false;
  if (config.demo_customers > 0) {
    auto loaded = desk->LoadDemoData();
    if (!loaded.ok()) return loaded.status();
    demo_loaded = *loaded;
  }

  desk->routing_ = std::make_unique<RoutingDesk>(config, desk->clock_, desk->loop_.get(),
                                                desk->database_.get(), desk->writer_.get(),
                                                desk->customer_store_.get(),
                                                desk->customer_queries_.get());
  desk->cti_ = std::make_unique<CtiDesk>(config, desk->clock_, desk->loop_.get(),
                                        desk->database_.get(), desk->writer_.get(),
                                        desk->customer_store_.get(),
                                        desk->customer_commands_.get(), desk->phones_.get(),
                                        desk->routing_.get());
  desk->supervisor_ = std::make_unique<SupervisorDesk>(config, desk->clock_, desk->loop_.get(),
                                                      desk->database_.get(), desk->routing_.get());
  desk->complaints_ = std::make_unique<ComplaintDesk>(config, desk->clock_, desk->loop_.get(),
                                                      desk->database_.get(), desk->writer_.get(),
                                                      desk->customer_store_.get(), desk->routing_.get());
  desk->tickets_ = std::make_unique<TicketDesk>(config, desk->clock_, desk->loop_.get(), desk->database_.get(),
                                                desk->writer_.get(), desk->customer_store_.get(),
                                                desk->routing_.get());
  desk->values_ = std::make_unique<ValueDesk>(config, desk->clock_, desk->loop_.get(), desk->database_.get(),
                                              desk->writer_.get(), desk->customer_store_.get());
  desk->surveys_ = std::make_unique<SurveyDesk>(config, desk->clock_, desk->database_.get(), desk->writer_.get(),
                                                desk->customer_store_.get());
  {
    std::promise<absl::Status> started;
    desk->loop_->Post([&] {
      absl::Status status = desk->routing_->Start();
      if (status.ok()) status = desk->cti_->Start();  // its calls' contacts are routing's
      if (status.ok()) status = desk->supervisor_->Start();
      if (status.ok()) status = desk->tickets_->Start();
      if (status.ok()) status = desk->complaints_->Start();
      if (status.ok()) status = desk->values_->Start();
      if (status.ok() && demo_loaded) status = desk->LoadDemoPurchases();
      desk->supervisor_->SetWorkCounters([tickets = desk->tickets_.get()] { return tickets->Counts(); },
                                         [complaints = desk->complaints_.get()] { return complaints->Counts(); });
      started.set_value(status);
    });
    if (auto s = started.get_future().get(); !s.ok()) return s;
  }

  desk->gate_ = std::make_unique<CallGate>(config.auth_enabled, config.tokens);
  desk->customer_service_ = std::make_unique<CustomerServiceImpl>(
      desk->gate_.get(), desk->loop_.get(), desk->customer_commands_.get(),
      desk->customer_queries_.get());
  desk->diagnostics_service_ = std::make_unique<DiagnosticsServiceImpl>(desk->gate_.get());
  desk->agent_service_ = std::make_unique<AgentServiceImpl>(desk->gate_.get(), desk->loop_.get(),
                                                            desk->routing_.get());
  desk->contact_service_ = std::make_unique<ContactServiceImpl>(
      desk->gate_.get(), desk->loop_.get(), desk->routing_.get());
  desk->routing_admin_service_ = std::make_unique<RoutingAdminServiceImpl>(
      desk->gate_.get(), desk->loop_.get(), desk->routing_.get());
  desk->cti_service_ = std::make_unique<CtiServiceImpl>(desk->gate_.get(), desk->loop_.get(),
                                                        desk->cti_.get());
  desk->supervisor_service_ = std::make_unique<SupervisorServiceImpl>(
      desk->gate_.get(), desk->loop_.get(), desk->supervisor_.get(), desk->routing_.get());
  desk->ticket_service_ = std::make_unique<TicketServiceImpl>(desk->gate_.get(), desk->loop_.get(),
                                                              desk->tickets_.get());
  desk->complaint_service_ = std::make_unique<ComplaintServiceImpl>(desk->gate_.get(), desk->loop_.get(),
                                                                    desk->complaints_.get());
  desk->value_service_ =
      std::make_unique<CustomerValueServiceImpl>(desk->gate_.get(), desk->loop_.get(), desk->values_.get());
  desk->survey_service_ =
      std::make_unique<SurveyServiceImpl>(desk->gate_.get(), desk->loop_.get(), desk->surveys_.get());

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  auto credentials = ServerCredentials(config);
  if (!credentials.ok()) return credentials.status();
  builder.AddListeningPort(config.listen, *credentials, &desk->port_);
  builder.RegisterService(desk->customer_service_.get());
  builder.RegisterService(desk->diagnostics_service_.get());
  builder.RegisterService(desk->agent_service_.get());
  builder.RegisterService(desk->contact_service_.get());
  builder.RegisterService(desk->routing_admin_service_.get());
  builder.RegisterService(desk->cti_service_.get());
  builder.RegisterService(desk->supervisor_service_.get());
  builder.RegisterService(desk->ticket_service_.get());
  builder.RegisterService(desk->complaint_service_.get());
  builder.RegisterService(desk->value_service_.get());
  builder.RegisterService(desk->survey_service_.get());
  // Agent sessions are long streams: keep-alive pings find a vanished console within
  // half a minute, and its session then ends (and the grace period starts).
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 20'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10'000);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<AuthInterceptorFactory>(desk->gate_.get()));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  desk->server_ = builder.BuildAndStart();
  if (!desk->server_ || desk->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", config.listen));
  }
  auto* health = desk->server_->GetHealthCheckService();
  health->SetServingStatus(true);
  LogEvent(spdlog::level::info, "server.serving",
           {{"listen", config.listen}, {"port", absl::StrCat(desk->port_)},
            {"data_dir", config.data_dir}, {"auth", config.auth_enabled ? "on" : "off"},
            {"tls", config.tls_cert_file.empty() ? "off"
                    : config.tls_require_client_certificate ? "mutual"
                                                            : "on"},
            {"schema_version", absl::StrCat(desk->database_->schema_version())}});
  return desk;
}

absl::Status DeskServer::LoadDemoPurchases() {
  customers::DemoData demo(config_.demo_seed);
  const absl::Time now = clock_->Now();
  int recorded = 0;
  for (int i = 0; i < config_.demo_customers; ++i) {
    for (const auto& purchase : demo.Purchases(static_cast<uint64_t>(i), now)) {
      auto outcome = values_->ImportPurchase(purchase, "system/demo");
      if (outcome.kind == ValueDesk::ImportOutcome::Kind::kRejected) return outcome.error;
      ++recorded;
    }
  }
  LogEvent(spdlog::level::info, "demo.purchases_loaded", {{"purchases", absl::StrCat(recorded)}});
  // Tiers and scores at once (the job that started with the desk saw none of them).
  values_->Recompute([](absl::StatusOr<v1::ValueModel>) {});
  return absl::OkStatus();
}

absl::StatusOr<bool> DeskServer::LoadDemoData() {
  // Only into an empty directory: the demo never touches real data.
  {
    std::unique_ptr<rocksdb::Iterator> it(database_->db()->NewIterator(
        rocksdb::ReadOptions(), database_->handle(storage::Family::kCustomers)));
    it->SeekToFirst();
    if (it->Valid()) return false;
  }
  std::promise<absl::Status> done;
  loop_->Post([this, &done] {
    customers::DemoData demo(config_.demo_seed);
    int created = 0;
    for (int i = 0; i < config_.demo_customers; ++i) {
      auto outcome = customer_commands_->Import(demo.Record(static_cast<uint64_t>(i)), "system/demo");
      if (outcome.kind == customers::ImportOutcome::Kind::kRejected) {
        done.set_value(outcome.error);
        return;
      }
      ++created;
    }
    LogEvent(spdlog::level::info, "demo.loaded",
             {{"customers", absl::StrCat(created)}, {"seed", absl::StrCat(config_.demo_seed)},
              {"example_phone", customers::DemoData::MobileNumber(0)}});
    done.set_value(absl::OkStatus());
  });
  if (auto s = done.get_future().get(); !s.ok()) return s;
  return true;
}

void DeskServer::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (!server_) {
    // Start failed part way: close what was opened, quietly (the caller reports the error).
    if (routing_ && loop_) {
      loop_->Post([this] {
        if (supervisor_) supervisor_->Stop();
        if (tickets_) tickets_->Stop();
        if (complaints_) complaints_->Stop();
        if (values_) values_->Stop();
        if (cti_) cti_->Stop();
        routing_->Stop();
      });
    }
    if (loop_) loop_->Stop();
    return;
  }
  LogEvent(spdlog::level::info, "server.stopping");
  server_->GetHealthCheckService()->SetServingStatus(false);
  if (routing_ && loop_) {
    // Streams end first, so that the server's shutdown need not wait for them.
    std::promise<void> closed;
    loop_->Post([&] {
      if (supervisor_) supervisor_->Stop();
      if (tickets_) tickets_->Stop();
      if (complaints_) complaints_->Stop();
      if (values_) values_->Stop();
      if (cti_) cti_->Stop();
      routing_->Stop();
      closed.set_value();
    });
    closed.get_future().wait();
  }
  server_->Shutdown(std::chrono::system_clock::now() +
                    std::chrono::seconds(config_.shutdown_grace_seconds));
  server_->Wait();
  if (loop_) loop_->Stop();
  if (database_) {
    if (auto s = database_->Flush(); !s.ok()) {
      LogEvent(spdlog::level::err, "storage.flush_failed", {{"error", std::string(s.message())}});
    }
  }
  LogEvent(spdlog::level::info, "server.stopped",
           {{"last_event_seq", writer_ ? absl::StrCat(writer_->last_seq()) : "0"}});
}

DeskServer::~DeskServer() { Shutdown(); }

}  // namespace servicedesk::server
