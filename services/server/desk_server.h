#pragma once

// servicedeskd assembled: storage, the desk loop, the services and the gRPC
// server. Used by main() and, in-process, by the integration tests.
//
// Start order: open storage (fails fast on a locked or newer directory), load the
// demo data set into an empty directory, start gRPC, report SERVING.
// Shutdown order: NOT_SERVING, stop gRPC (in-flight calls finish or are cancelled
// after the grace period), drain the desk loop, flush RocksDB.

#include <future>
#include <memory>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "services/common/clock.h"
#include "services/common/desk_loop.h"
#include "services/customers/customer_commands.h"
#include "services/customers/customer_queries.h"
#include "services/customers/phone_normalizer.h"
#include "services/server/auth.h"
#include "services/server/complaint_desk.h"
#include "services/server/complaint_service.h"
#include "services/server/value_desk.h"
#include "services/server/value_service.h"
#include "services/server/config.h"
#include "services/server/customer_service.h"
#include "services/server/cti_desk.h"
#include "services/server/cti_service.h"
#include "services/server/diagnostics_service.h"
#include "services/server/routing_desk.h"
#include "services/server/routing_services.h"
#include "services/server/supervisor_desk.h"
#include "services/server/supervisor_service.h"
#include "services/server/ticket_desk.h"
#include "services/server/ticket_service.h"
#include "storage/customer_store.h"
#include "storage/database.h"
#include "storage/event_writer.h"

namespace servicedesk::server {

class DeskServer {
 public:
  // `clock` may be null (system clock).
  static absl::StatusOr<std::unique_ptr<DeskServer>> Start(const Config& config,
                                                           const Clock* clock = nullptr);
  ~DeskServer();

  int port() const { return port_; }
  // Idempotent.
  void Shutdown();
  storage::Database* database() const { return database_.get(); }
  // Runs `fn(CtiDesk&)` on the desk loop and waits for it (tests).
  // Run `fn` on the desk loop with the desk it names and wait for its result (tests).
  template <typename Fn>
  auto OnDesks(Fn&& fn) {  // fn(RoutingDesk&, CtiDesk&, EventWriter&)
    return OnLoop([&] { return fn(*routing_, *cti_, *writer_); });
  }
  template <typename Fn>
  auto OnTicketDesk(Fn&& fn) {  // fn(TicketDesk&)
    return OnLoop([&] { return fn(*tickets_); });
  }
  template <typename Fn>
  auto OnComplaintDesk(Fn&& fn) {  // fn(ComplaintDesk&)
    return OnLoop([&] { return fn(*complaints_); });
  }
  template <typename Fn>
  auto OnValueDesk(Fn&& fn) {  // fn(ValueDesk&)
    return OnLoop([&] { return fn(*values_); });
  }
  template <typename Fn>
  auto OnCtiDesk(Fn&& fn) {  // fn(CtiDesk&)
    return OnLoop([&] { return fn(*cti_); });
  }

 private:
  template <typename Fn>
  auto OnLoop(Fn&& fn) {
    std::packaged_task<decltype(fn())()> task(std::forward<Fn>(fn));
    auto result = task.get_future();
    loop_->Post([&task] { task(); });
    return result.get();
  }

  DeskServer() = default;
  // True when the demo customers were loaded (an empty data directory).
  absl::StatusOr<bool> LoadDemoData();
  // Their purchases, on the loop once the value desk has started.
  absl::Status LoadDemoPurchases();

  Config config_;
  SystemClock system_clock_;
  const Clock* clock_ = nullptr;
  std::unique_ptr<storage::Database> database_;
  std::unique_ptr<storage::EventWriter> writer_;
  std::unique_ptr<storage::CustomerStore> customer_store_;
  std::unique_ptr<customers::PhoneNormalizer> phones_;
  std::unique_ptr<customers::CustomerCommands> customer_commands_;
  std::unique_ptr<customers::CustomerQueries> customer_queries_;
  std::unique_ptr<DeskLoop> loop_;
  std::unique_ptr<CallGate> gate_;
  std::unique_ptr<CustomerServiceImpl> customer_service_;
  std::unique_ptr<DiagnosticsServiceImpl> diagnostics_service_;
  std::unique_ptr<RoutingDesk> routing_;
  std::unique_ptr<AgentServiceImpl> agent_service_;
  std::unique_ptr<ContactServiceImpl> contact_service_;
  std::unique_ptr<RoutingAdminServiceImpl> routing_admin_service_;
  std::unique_ptr<CtiDesk> cti_;
  std::unique_ptr<CtiServiceImpl> cti_service_;
  std::unique_ptr<SupervisorDesk> supervisor_;
  std::unique_ptr<SupervisorServiceImpl> supervisor_service_;
  std::unique_ptr<TicketDesk> tickets_;
  std::unique_ptr<TicketServiceImpl> ticket_service_;
  std::unique_ptr<ComplaintDesk> complaints_;
  std::unique_ptr<ComplaintServiceImpl> complaint_service_;
  std::unique_ptr<ValueDesk> values_;
  std::unique_ptr<CustomerValueServiceImpl> value_service_;
  std::unique_ptr<SurveyDesk> surveys_;
  std::unique_ptr<SurveyServiceImpl> survey_service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace servicedesk::server
