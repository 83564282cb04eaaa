#include "services/server/auth.h"

#include "servicedesk/v1/customer.pb.h"
#include "servicedesk/v1/diagnostics.pb.h"
#include "servicedesk/v1/cti.pb.h"
#include "servicedesk/v1/routing.pb.h"

#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace servicedesk::server {
namespace {

class CallGateTest : public ::testing::Test {
 protected:
  absl::StatusOr<Caller> Decide(absl::string_view method, const char* header) {
    if (header == nullptr) return gate_.Decide(method, nullptr, nullptr);
    grpc::string_ref value(header);
    return gate_.Decide(method, &value, nullptr);
  }

  CallGate gate_{true,
                 {{"agent-token-0000001", "agents/a-1", Role::kAgent},
                  {"cti-token-000000001", "cti/pbx", Role::kCti},
                  {"admin-token-0000001", "admins/root", Role::kAdmin}}};
};

constexpr const char* kPop = "/servicedesk.v1.CustomerService/GetCustomerContext";
constexpr const char* kImport = "/servicedesk.v1.CustomerService/ImportCustomers";

TEST_F(CallGateTest, ValidTokenResolvesPrincipalAndRole) {
  auto caller = Decide(kPop, "Bearer agent-token-0000001");
  ASSERT_TRUE(caller.ok());
  EXPECT_EQ(caller->principal, "agents/a-1");
  EXPECT_EQ(caller->role, Role::kAgent);
}

TEST_F(CallGateTest, MissingMalformedOrUnknownTokenIsUnauthenticated) {
  for (const char* header : {static_cast<const char*>(nullptr), "agent-token-0000001",
                             "Basic agent-token-0000001", "Bearer nope", "Bearer "}) {
    auto caller = Decide(kPop, header);
    ASSERT_FALSE(caller.ok());
    EXPECT_EQ(caller.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_TRUE(absl::StartsWith(caller.status().message(), "authorization:"));
  }
}

TEST_F(CallGateTest, RolesAreCheckedPerMethod) {
  EXPECT_EQ(Decide(kPop, "Bearer cti-token-000000001").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Decide(kImport, "Bearer agent-token-0000001").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(Decide(kImport, "Bearer admin-token-0000001").ok());
  EXPECT_EQ(Decide("/servicedesk.v1.NoSuchService/Do", "Bearer admin-token-0000001").status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(CallGateTest, HealthAndReflectionAreOpen) {
  EXPECT_TRUE(Decide("/grpc.health.v1.Health/Check", nullptr).ok());
  EXPECT_TRUE(Decide("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", nullptr).ok());
}

TEST(CallGateDisabledTest, EveryCallIsLetInAsAnonymousAdmin) {
  CallGate gate(false, {});
  auto caller = gate.Decide(kImport, nullptr, nullptr);
  ASSERT_TRUE(caller.ok());
  EXPECT_EQ(caller->principal, "anonymous");
  EXPECT_EQ(caller->role, Role::kAdmin);
}

TEST(CallGateDisabledTest, CallWithoutAVerdictIsRefused) {
  CallGate gate(false, {});
  grpc::ServerContext* unknown = nullptr;
  EXPECT_EQ(gate.CallerOf(unknown).status().code(), absl::StatusCode::kPermissionDenied);
}

// Every method of every desk service has a rule; a new RPC without one fails here.
TEST(AccessPolicyTest, EveryDeskMethodHasARule) {
  const auto& policy = AccessPolicy::Default();
  int methods = 0;
  for (const auto* file : {v1::Customer::descriptor()->file(), v1::PingRequest::descriptor()->file(),
                           v1::Queue::descriptor()->file(), v1::EventAck::descriptor()->file()}) {
    for (int s = 0; s < file->service_count(); ++s) {
      const auto* service = file->service(s);
      for (int i = 0; i < service->method_count(); ++i) {
        const std::string method = "/" + service->full_name() + "/" + service->method(i)->name();
        EXPECT_TRUE(policy.Knows(method)) << method;
        ++methods;
      }
    }
  }
  EXPECT_GE(methods, 34);
}

TEST(AccessPolicyTest, RoutingAdministrationIsTheAdminsAndSessionsTheDesks) {
  const auto& policy = AccessPolicy::Default();
  const std::string admin = "/servicedesk.v1.RoutingAdminService/";
  EXPECT_TRUE(policy.Allows(admin + "CreateQueue", Role::kAdmin));
  EXPECT_FALSE(policy.Allows(admin + "CreateQueue", Role::kSupervisor));
  EXPECT_FALSE(policy.Allows(admin + "UpdateAgent", Role::kAgent));
  EXPECT_TRUE(policy.Allows(admin + "ListReasonCodes", Role::kAgent));
  EXPECT_TRUE(policy.Allows("/servicedesk.v1.AgentService/Connect", Role::kAgent));
  EXPECT_FALSE(policy.Allows("/servicedesk.v1.AgentService/Connect", Role::kCti));
  EXPECT_TRUE(policy.Allows("/servicedesk.v1.ContactService/EnqueueContact", Role::kCti));
  EXPECT_TRUE(policy.Allows("/servicedesk.v1.CtiService/PublishEvent", Role::kCti));
  EXPECT_FALSE(policy.Allows("/servicedesk.v1.CtiService/PublishEvent", Role::kAgent));
  EXPECT_FALSE(policy.Allows("/servicedesk.v1.ContactService/EnqueueContact", Role::kAgent));
}

}  // namespace
}  // namespace servicedesk::server
