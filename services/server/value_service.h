#pragma once

// gRPC adapter of the value desk: CustomerValueService. Changes run on the desk loop; reads
// (purchases, a customer's value) answer from RocksDB on the gRPC thread.

#include "services/common/desk_loop.h"
#include "services/server/auth.h"
#include "services/server/value_desk.h"
#include "servicedesk/v1/customer_value.grpc.pb.h"

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

}  // namespace servicedesk::server
