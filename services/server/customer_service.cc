#include "services/server/customer_service.h"

#include "absl/strings/str_cat.h"
#include "services/server/grpc_status.h"
#include "services/server/logging.h"
#include "services/server/unary_call.h"

namespace servicedesk::server {

namespace {

constexpr int kMaxReportedImportErrors = 1000;

class ImportReactor final : public grpc::ServerReadReactor<v1::ImportCustomersRequest> {
 public:
  ImportReactor(DeskLoop* loop, customers::CustomerCommands* commands, Caller caller,
                v1::ImportCustomersResponse* response)
      : loop_(loop), commands_(commands), caller_(std::move(caller)), response_(response) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The client closed its side (or the call was cancelled): report what was done.
      Finish(grpc::Status::OK);
      return;
    }
    const int64_t index = response_->received();
    response_->set_received(index + 1);
    loop_->Post([this, index, record = std::move(*request_.mutable_record())]() mutable {
      const std::string external_id = record.external_id().substr(0, 200);
      auto outcome = commands_->Import(std::move(record), caller_.principal);
      switch (outcome.kind) {
        case customers::ImportOutcome::Kind::kCreated:
          response_->set_created(response_->created() + 1);
          response_->set_interactions_created(response_->interactions_created() +
                                              outcome.interactions_created);
          break;
        case customers::ImportOutcome::Kind::kUnchanged:
          response_->set_unchanged(response_->unchanged() + 1);
          break;
        case customers::ImportOutcome::Kind::kRejected:
          if (response_->errors_size() < kMaxReportedImportErrors) {
            auto* error = response_->add_errors();
            error->set_index(index);
            error->set_external_id(external_id);
            DescribeRefusal(outcome.error, error);
          }
          break;
      }
      request_.Clear();
      StartRead(&request_);
    });
  }

  void OnDone() override { delete this; }

 private:
  DeskLoop* loop_;
  customers::CustomerCommands* commands_;
  Caller caller_;
  v1::ImportCustomersResponse* response_;
  v1::ImportCustomersRequest request_;
};

}  // namespace

template <typename Fn>
grpc::ServerUnaryReactor* CustomerServiceImpl::Answer(grpc::CallbackServerContext* context,
                                                      Fn&& fn) {
  return AnswerHere(gate_, context, std::forward<Fn>(fn));
}

template <typename Fn>
grpc::ServerUnaryReactor* CustomerServiceImpl::Mutate(grpc::CallbackServerContext* context,
                                                      Fn&& fn) {
  return AnswerOnLoop(gate_, loop_, context, std::forward<Fn>(fn));
}

grpc::ServerUnaryReactor* CustomerServiceImpl::CreateCustomer(
    grpc::CallbackServerContext* context, const v1::CreateCustomerRequest* request,
    v1::Customer* response) {
  return Mutate(context, [this, request, response](const Caller& caller) {
    auto status = Assign(commands_->Create(*request, caller.principal), response);
    LogIfInternal(status, "CreateCustomer", caller);
    if (status.ok()) {
      LogEvent(spdlog::level::info, "customer.created",
               {{"customer", response->name()}, {"principal", caller.principal},
                {"request_id", caller.request_id}});
    }
    return status;
  });
}

grpc::ServerUnaryReactor* CustomerServiceImpl::UpdateCustomer(
    grpc::CallbackServerContext* context, const v1::UpdateCustomerRequest* request,
    v1::Customer* response) {
  return Mutate(context, [this, request, response](const Caller& caller) {
    auto status = Assign(commands_->Update(*request, caller.principal), response);
    LogIfInternal(status, "UpdateCustomer", caller);
    return status;
  });
}

grpc::ServerUnaryReactor* CustomerServiceImpl::CreateInteraction(
    grpc::CallbackServerContext* context, const v1::CreateInteractionRequest* request,
    v1::Interaction* response) {
  return Mutate(context, [this, request, response](const Caller& caller) {
    // Written by the desk itself (the telephony's figures, the agent's wrap-up), never by a client.
    const auto& interaction = request->interaction();
    if (interaction.has_call() || !interaction.wrap_up_code().empty() ||
        !interaction.wrap_up_notes().empty()) {
      const char* field = interaction.has_call()                   ? "call"
                          : !interaction.wrap_up_code().empty() ? "wrap_up_code"
                                                                : "wrap_up_notes";
      return absl::InvalidArgumentError(absl::StrCat(
          "interaction.", field, ": output only (recorded by the desk from calls and wrap-ups)"));
    }
    auto status = Assign(commands_->AppendInteraction(*request, caller.principal), response);
    LogIfInternal(status, "CreateInteraction", caller);
    return status;
  });
}

grpc::ServerUnaryReactor* CustomerServiceImpl::GetCustomer(grpc::CallbackServerContext* context,
                                                           const v1::GetCustomerRequest* request,
                                                           v1::Customer* response) {
  return Answer(context, [&](const Caller& caller) {
    auto status = Assign(queries_->Get(*request), response);
    LogIfInternal(status, "GetCustomer", caller);
    return status;
  });
}

grpc::ServerUnaryReactor* CustomerServiceImpl::ListCustomers(
    grpc::CallbackServerContext* context, const v1::ListCustomersRequest* request,
    v1::ListCustomersResponse* response) {
  return Answer(context, [&](const Caller& caller) {
    auto status = Assign(queries_->List(*request), response);
    LogIfInternal(status, "ListCustomers", caller);
    return status;
  });
}

grpc::ServerUnaryReactor* CustomerServiceImpl::LookupCustomers(
    grpc::CallbackServerContext* context, const v1::LookupCustomersRequest* request,
    v1::LookupCustomersResponse* response) {
  return Answer(context, [&](const Caller& caller) {
    auto status = Assign(queries_->Lookup(*request), response);
    LogIfInternal(status, "LookupCustomers", caller);
    return status;
  });
}

grpc::ServerUnaryReactor* CustomerServiceImpl::ListInteractions(
    grpc::CallbackServerContext* context, const v1::ListInteractionsRequest* request,
    v1::ListInteractionsResponse* response) {
  return Answer(context, [&](const Caller& caller) {
    auto status = Assign(queries_->ListInteractions(*request), response);
    LogIfInternal(status, "ListInteractions", caller);
    return status;
  });
}

grpc::ServerUnaryReactor* CustomerServiceImpl::GetCustomerContext(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Answer(context, [&](const Caller& caller) {
    v1::GetCustomerContextRequest parsed;
    grpc::ByteBuffer copy(*request);  // shares the slices; Deserialize consumes its argument
    if (!grpc::SerializationTraits<v1::GetCustomerContextRequest>::Deserialize(&copy, &parsed).ok()) {
      return absl::InvalidArgumentError("request: not a GetCustomerContextRequest");
    }
    auto* wire = new std::string();
    auto status = queries_->ContextWire(parsed, wire);
    LogIfInternal(status, "GetCustomerContext", caller);
    if (!status.ok()) {
      delete wire;
      return status;
    }
    // The slice takes the string over; gRPC frees it once sent.
    grpc::Slice slice(wire->data(), wire->size(),
                      [](void* owned) { delete static_cast<std::string*>(owned); }, wire);
    *response = grpc::ByteBuffer(&slice, 1);
    return absl::OkStatus();
  });
}

grpc::ServerReadReactor<v1::ImportCustomersRequest>* CustomerServiceImpl::ImportCustomers(
    grpc::CallbackServerContext* context, v1::ImportCustomersResponse* response) {
  auto caller = gate_->CallerOf(context);
  if (!caller.ok()) {
    class Refused final : public grpc::ServerReadReactor<v1::ImportCustomersRequest> {
     public:
      explicit Refused(const absl::Status& status) { Finish(ToGrpcStatus(status)); }
      void OnDone() override { delete this; }
    };
    return new Refused(caller.status());
  }
  return new ImportReactor(loop_, commands_, *std::move(caller), response);
}

}  // namespace servicedesk::server
