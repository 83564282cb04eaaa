#include "services/server/value_service.h"

#include "services/server/grpc_status.h"
#include "services/server/unary_call.h"

namespace servicedesk::server {

namespace {

constexpr int kMaxReportedImportErrors = 1000;

class ImportReactor final : public grpc::ServerReadReactor<v1::ImportPurchasesRequest> {
 public:
  ImportReactor(DeskLoop* loop, ValueDesk* desk, Caller caller,
                v1::ImportPurchasesResponse* response)
      : loop_(loop), desk_(desk), caller_(std::move(caller)), response_(response) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status::OK);
      return;
    }
    const int64_t index = response_->received();
    response_->set_received(index + 1);
    loop_->Post([this, index] {
      auto outcome = desk_->ImportPurchase(request_, caller_.principal);
      switch (outcome.kind) {
        case ValueDesk::ImportOutcome::Kind::kCreated:
          response_->set_created(response_->created() + 1);
          break;
        case ValueDesk::ImportOutcome::Kind::kUnchanged:
          response_->set_unchanged(response_->unchanged() + 1);
          break;
        case ValueDesk::ImportOutcome::Kind::kRejected:
          if (response_->errors_size() < kMaxReportedImportErrors) {
            auto* error = response_->add_errors();
            error->set_index(index);
            error->set_order_id(request_.purchase().order_id().substr(0, 200));
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
  ValueDesk* desk_;
  Caller caller_;
  v1::ImportPurchasesResponse* response_;
  v1::ImportPurchasesRequest request_;
};

class RefusedImport final : public grpc::ServerReadReactor<v1::ImportPurchasesRequest> {
 public:
  explicit RefusedImport(const absl::Status& status) { Finish(ToGrpcStatus(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerUnaryReactor* CustomerValueServiceImpl::RecordPurchase(
    grpc::CallbackServerContext* context, const v1::RecordPurchaseRequest* request,
    v1::Purchase* response) {
  return ResultOnLoop(
      gate_, loop_, context, "RecordPurchase", response,
      [this, request](const Caller& c) { return desk_->RecordPurchase(*request, c.principal); });
}

grpc::ServerReadReactor<v1::ImportPurchasesRequest>* CustomerValueServiceImpl::ImportPurchases(
    grpc::CallbackServerContext* context, v1::ImportPurchasesResponse* response) {
  auto caller = gate_->CallerOf(context);
  if (!caller.ok()) return new RefusedImport(caller.status());
  return new ImportReactor(loop_, desk_, *std::move(caller), response);
}

grpc::ServerUnaryReactor* CustomerValueServiceImpl::ListPurchases(
    grpc::CallbackServerContext* context, const v1::ListPurchasesRequest* request,
    v1::ListPurchasesResponse* response) {
  return ResultHere(gate_, context, "ListPurchases", response,
                    [this, request](const Caller&) { return desk_->ListPurchases(*request); });
}

grpc::ServerUnaryReactor* CustomerValueServiceImpl::GetCustomerValue(
    grpc::CallbackServerContext* context, const v1::GetCustomerValueRequest* request,
    v1::CustomerValue* response) {
  return ResultHere(gate_, context, "GetCustomerValue", response, [this, request](const Caller&) {
    return desk_->GetValue(request->customer());
  });
}

grpc::ServerUnaryReactor* CustomerValueServiceImpl::SetTierOverride(
    grpc::CallbackServerContext* context, const v1::SetTierOverrideRequest* request,
    v1::CustomerValue* response) {
  return ResultOnLoop(
      gate_, loop_, context, "SetTierOverride", response,
      [this, request](const Caller& c) { return desk_->SetTierOverride(*request, c.principal); });
}

grpc::ServerUnaryReactor* CustomerValueServiceImpl::ClearTierOverride(
    grpc::CallbackServerContext* context, const v1::ClearTierOverrideRequest* request,
    v1::CustomerValue* response) {
  return ResultOnLoop(
      gate_, loop_, context, "ClearTierOverride", response,
      [this, request](const Caller& c) { return desk_->ClearTierOverride(*request, c.principal); });
}

grpc::ServerUnaryReactor* CustomerValueServiceImpl::RecomputeValues(
    grpc::CallbackServerContext* context, const v1::RecomputeValuesRequest*,
    v1::ValueModel* response) {
  auto* reactor = context->DefaultReactor();
  auto caller = gate_->CallerOf(context);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  // Answered when the job has been applied, which may take many loop turns.
  loop_->Post([this, reactor, response] {
    desk_->Recompute([reactor, response](absl::StatusOr<v1::ValueModel> model) {
      reactor->Finish(ToGrpcStatus(Assign(std::move(model), response)));
    });
  });
  return reactor;
}

grpc::ServerUnaryReactor* CustomerValueServiceImpl::GetValueModel(
    grpc::CallbackServerContext* context, const v1::GetValueModelRequest*,
    v1::ValueModel* response) {
  return ResultOnLoop(gate_, loop_, context, "GetValueModel", response, [this](const Caller&) {
    return absl::StatusOr<v1::ValueModel>(desk_->Model());
  });
}

grpc::ServerUnaryReactor* SurveyServiceImpl::RecordSurvey(grpc::CallbackServerContext* context,
                                                          const v1::RecordSurveyRequest* request,
                                                          v1::Survey* response) {
  return ResultOnLoop(
      gate_, loop_, context, "RecordSurvey", response,
      [this, request](const Caller& c) { return desk_->Record(*request, c.principal, c.role == Role::kAgent); });
}

grpc::ServerUnaryReactor* SurveyServiceImpl::GetSatisfaction(
    grpc::CallbackServerContext* context, const v1::GetSatisfactionRequest* request,
    v1::SatisfactionReport* response) {
  return ResultHere(gate_, context, "GetSatisfaction", response,
                    [this, request](const Caller&) { return desk_->Satisfaction(*request); });
}

}  // namespace servicedesk::server
