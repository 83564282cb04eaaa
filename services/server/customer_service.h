#pragma once

// gRPC adapter of the customer file: maps requests to CustomerQueries (answered on
// the gRPC thread, straight from RocksDB) and CustomerCommands (posted to the desk
// loop). No domain logic here.

#include "services/common/desk_loop.h"
#include "services/customers/customer_commands.h"
#include "services/customers/customer_queries.h"
#include "services/server/auth.h"
#include "servicedesk/v1/customer.grpc.pb.h"

namespace servicedesk::server {

// The screen pop is a raw method: its response is assembled from stored bytes
// (CustomerQueries::ContextWire) and sent without a parse/serialize round trip.
using CustomerServiceBase =
    v1::CustomerService::WithRawCallbackMethod_GetCustomerContext<v1::CustomerService::CallbackService>;

class CustomerServiceImpl final : public CustomerServiceBase {
 public:
  CustomerServiceImpl(const CallGate* gate, DeskLoop* loop, customers::CustomerCommands* commands,
                      const customers::CustomerQueries* queries)
      : gate_(gate), loop_(loop), commands_(commands), queries_(queries) {}

  grpc::ServerUnaryReactor* CreateCustomer(grpc::CallbackServerContext* context,
                                           const v1::CreateCustomerRequest* request,
                                           v1::Customer* response) override;
  grpc::ServerUnaryReactor* GetCustomer(grpc::CallbackServerContext* context,
                                        const v1::GetCustomerRequest* request,
                                        v1::Customer* response) override;
  grpc::ServerUnaryReactor* UpdateCustomer(grpc::CallbackServerContext* context,
                                           const v1::UpdateCustomerRequest* request,
                                           v1::Customer* response) override;
  grpc::ServerUnaryReactor* ListCustomers(grpc::CallbackServerContext* context,
                                          const v1::ListCustomersRequest* request,
                                          v1::ListCustomersResponse* response) override;
  grpc::ServerUnaryReactor* LookupCustomers(grpc::CallbackServerContext* context,
                                            const v1::LookupCustomersRequest* request,
                                            v1::LookupCustomersResponse* response) override;
  grpc::ServerUnaryReactor* CreateInteraction(grpc::CallbackServerContext* context,
                                              const v1::CreateInteractionRequest* request,
                                              v1::Interaction* response) override;
  grpc::ServerUnaryReactor* ListInteractions(grpc::CallbackServerContext* context,
                                             const v1::ListInteractionsRequest* request,
                                             v1::ListInteractionsResponse* response) override;
  grpc::ServerUnaryReactor* GetCustomerContext(grpc::CallbackServerContext* context,
                                               const grpc::ByteBuffer* request,
                                               grpc::ByteBuffer* response) override;
  grpc::ServerReadReactor<v1::ImportCustomersRequest>* ImportCustomers(
      grpc::CallbackServerContext* context, v1::ImportCustomersResponse* response) override;

 private:
  // Answers on the calling thread.
  template <typename Fn>
  grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* context, Fn&& fn);
  // Runs `fn(caller)` on the desk loop and finishes the call from there.
  template <typename Fn>
  grpc::ServerUnaryReactor* Mutate(grpc::CallbackServerContext* context, Fn&& fn);

  const CallGate* gate_;
  DeskLoop* loop_;
  customers::CustomerCommands* commands_;
  const customers::CustomerQueries* queries_;
};

}  // namespace servicedesk::server
