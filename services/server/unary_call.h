#pragma once

// The two shapes of a unary handler, shared by every gRPC adapter: answer on the gRPC
// thread (reads straight from RocksDB), or run on the desk loop (anything that changes
// or reads desk state) and finish the reactor from there. Both refuse the call first if
// the interceptor's verdict says so.

#include <utility>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "services/common/desk_loop.h"
#include "services/server/auth.h"
#include "services/server/grpc_status.h"
#include "services/server/logging.h"

namespace servicedesk::server {

// `fn(const Caller&)` returns absl::Status and fills the response.
template <typename Fn>
grpc::ServerUnaryReactor* AnswerHere(const CallGate* gate, grpc::CallbackServerContext* context,
                                     Fn&& fn) {
  auto* reactor = context->DefaultReactor();
  auto caller = gate->CallerOf(context);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  reactor->Finish(ToGrpcStatus(fn(*caller)));
  return reactor;
}

template <typename Fn>
grpc::ServerUnaryReactor* AnswerOnLoop(const CallGate* gate, DeskLoop* loop,
                                       grpc::CallbackServerContext* context, Fn&& fn) {
  auto* reactor = context->DefaultReactor();
  auto caller = gate->CallerOf(context);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  loop->Post([reactor, fn = std::forward<Fn>(fn), caller = *std::move(caller)]() mutable {
    reactor->Finish(ToGrpcStatus(fn(caller)));
  });
  return reactor;
}

// Errors of the desk itself are logged; refusals of bad input are the client's business.
inline void LogIfInternal(const absl::Status& status, absl::string_view method, const Caller& caller) {
  switch (status.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kUnknown:
      LogEvent(spdlog::level::err, "rpc.failed",
               {{"method", std::string(method)},
                {"principal", caller.principal},
                {"request_id", caller.request_id},
                {"error", std::string(status.message())}});
      break;
    default:
      break;
  }
}

// Puts a StatusOr's value into the response.
template <typename T, typename R>
absl::Status Assign(absl::StatusOr<T> result, R* response) {
  if (!result.ok()) return result.status();
  *response = *std::move(result);
  return absl::OkStatus();
}

// An import's report of a refused record: the field its error names (what precedes the first
// colon of an INVALID_ARGUMENT message, "" when none) and the message.
template <typename ImportError>
void DescribeRefusal(const absl::Status& error, ImportError* out) {
  const absl::string_view message = error.message();
  const auto colon = message.find(':');
  out->set_field(colon == absl::string_view::npos ? "" : std::string(message.substr(0, colon)));
  out->set_message(std::string(message));
}

// The common case of both shapes: `call(caller)` returns a StatusOr whose value is the
// response; internal errors are logged under `method`.
template <typename Response, typename Call>
grpc::ServerUnaryReactor* ResultOnLoop(const CallGate* gate, DeskLoop* loop, grpc::CallbackServerContext* context,
                                       const char* method, Response* response, Call call) {
  return AnswerOnLoop(gate, loop, context, [response, method, call](const Caller& caller) {
    auto status = Assign(call(caller), response);
    LogIfInternal(status, method, caller);
    return status;
  });
}

template <typename Response, typename Call>
grpc::ServerUnaryReactor* ResultHere(const CallGate* gate, grpc::CallbackServerContext* context, const char* method,
                                     Response* response, Call call) {
  return AnswerHere(gate, context, [response, method, call](const Caller& caller) {
    auto status = Assign(call(caller), response);
    LogIfInternal(status, method, caller);
    return status;
  });
}

}  // namespace servicedesk::server
