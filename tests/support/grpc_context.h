#pragma once

// A client context as the integration tests' calls use it: a bearer token and a deadline
// that turns a hang into a failure.

#include <chrono>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

namespace servicedesk::testing {

inline std::unique_ptr<grpc::ClientContext> Context(const char* token) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  context->AddMetadata("authorization", std::string("Bearer ") + token);
  return context;
}

}  // namespace servicedesk::testing
