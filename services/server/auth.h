#pragma once

// The authentication seam. Every RPC passes through AuthInterceptor, which reads
// the bearer token ("authorization: Bearer <token>"), resolves the principal and
// role, checks the access policy for the method and records the verdict for the
// call. Handlers ask CallGate::Caller(context) for it before doing anything.
//
// (gRPC C++ server interceptors cannot fail a call themselves, so the interceptor
// decides and the handler enforces; a handler that forgot would find no verdict
// and refuse the call.)

#include <optional>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace servicedesk::server {

enum class Role { kAgent, kSupervisor, kCti, kAdmin };
std::optional<Role> ParseRole(absl::string_view text);
const char* RoleName(Role role);

struct StaticToken {
  std::string token;
  std::string principal;  // e.g. "agents/a-102"
  Role role = Role::kAgent;
};

struct Caller {
  std::string principal;
  Role role = Role::kAdmin;
  std::string request_id;  // from "x-request-id", for logs
};

// Which roles may call which method. Methods not listed are refused; the
// standard health and reflection services are open to everyone.
class AccessPolicy {
 public:
  static const AccessPolicy& Default();
  // `method` is the full name, "/servicedesk.v1.CustomerService/GetCustomer".
  bool IsPublic(absl::string_view method) const;
  bool Allows(absl::string_view method, Role role) const;
  bool Knows(absl::string_view method) const;
  std::vector<std::string> Methods() const;

 private:
  absl::flat_hash_map<std::string, absl::flat_hash_set<Role>> rules_;
};

class CallGate {
 public:
  // With `enabled` false every call is let in as principal "anonymous" with the admin role.
  CallGate(bool enabled, std::vector<StaticToken> tokens,
           const AccessPolicy* policy = &AccessPolicy::Default());

  // The verdict for a call: the caller, or UNAUTHENTICATED / PERMISSION_DENIED.
  absl::StatusOr<Caller> Decide(absl::string_view method, const grpc::string_ref* authorization,
                                const grpc::string_ref* request_id) const;

  // What the interceptor recorded for this call. A call without a record is refused.
  absl::StatusOr<Caller> CallerOf(const grpc::ServerContextBase* context) const;

  void Record(const grpc::ServerContextBase* context, absl::StatusOr<Caller> verdict);
  void Forget(const grpc::ServerContextBase* context);

  bool enabled() const { return enabled_; }

 private:
  bool enabled_;
  const AccessPolicy* policy_;
  absl::flat_hash_map<std::string, StaticToken> tokens_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<const grpc::ServerContextBase*, absl::StatusOr<Caller>> verdicts_
      ABSL_GUARDED_BY(mu_);
};

class AuthInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit AuthInterceptorFactory(CallGate* gate) : gate_(gate) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  CallGate* gate_;
};

}  // namespace servicedesk::server
