#pragma once

// gRPC adapters of the CRM desks: CustomerValueService (the value desk) and SurveyService (the
// survey desk). Changes run on the desk loop; reads (purchases, a customer's value,
// satisfaction) answer from RocksDB on the gRPC thread.

#include "services/common/desk_loop.h"
#include "services/server/auth.h"
#include "services/server/survey_desk.h"
#include "services/server/value_desk.h"
#include "servicedesk/v1/customer_value.grpc.pb.h"
#include "servicedesk/v1/survey.grpc.pb.h"

namespace servicedesk::server {

class CustomerValueServiceImpl final : public v1::CustomerValueService::CallbackService {
 public:
  CustomerValueServiceImpl(const CallGate* gate, DeskLoop* loop, ValueDesk* desk)
      : gate_(gate), loop_(loop), desk_(desk) {}

  grpc::ServerUnaryReactor* RecordPurchase(grpc::CallbackServerContext* context,
                                           const v1::RecordPurchaseRequest* request, v1::Purchase* response) override;
  grpc::ServerReadReactor<v1::ImportPurchasesRequest>* ImportPurchases(
      grpc::CallbackServerContext* context, v1::ImportPurchasesResponse* response) override;
  grpc::ServerUnaryReactor* ListPurchases(grpc::CallbackServerContext* context, const v1::ListPurchasesRequest* request,
                                          v1::ListPurchasesResponse* response) override;
  grpc::ServerUnaryReactor* GetCustomerValue(grpc::CallbackServerContext* context,
                                             const v1::GetCustomerValueRequest* request,
                                             v1::CustomerValue* response) override;
  grpc::ServerUnaryReactor* SetTierOverride(grpc::CallbackServerContext* context,
                                            const v1::SetTierOverrideRequest* request,
                                            v1::CustomerValue* response) override;
  grpc::ServerUnaryReactor* ClearTierOverride(grpc::CallbackServerContext* context,
                                              const v1::ClearTierOverrideRequest* request,
                                              v1::CustomerValue* response) override;
  grpc::ServerUnaryReactor* RecomputeValues(grpc::CallbackServerContext* context,
                                            const v1::RecomputeValuesRequest* request,
                                            v1::ValueModel* response) override;
  grpc::ServerUnaryReactor* GetValueModel(grpc::CallbackServerContext* context, const v1::GetValueModelRequest* request,
                                          v1::ValueModel* response) override;

 private:
  const CallGate* gate_;
  DeskLoop* loop_;
  ValueDesk* desk_;
};

class SurveyServiceImpl final : public v1::SurveyService::CallbackService {
 public:
  SurveyServiceImpl(const CallGate* gate, DeskLoop* loop, SurveyDesk* desk) : gate_(gate), loop_(loop), desk_(desk) {}

  grpc::ServerUnaryReactor* RecordSurvey(grpc::CallbackServerContext* context, const v1::RecordSurveyRequest* request,
                                         v1::Survey* response) override;
  grpc::ServerUnaryReactor* GetSatisfaction(grpc::CallbackServerContext* context,
                                            const v1::GetSatisfactionRequest* request,
                                            v1::SatisfactionReport* response) override;

 private:
  const CallGate* gate_;
  DeskLoop* loop_;
  SurveyDesk* desk_;
};

}  // namespace servicedesk::server
