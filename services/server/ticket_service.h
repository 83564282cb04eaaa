#pragma once

// gRPC adapter of the ticket desk: TicketService. Each call is checked for its caller, then
// run on the desk loop, which owns tickets.

#include "services/common/desk_loop.h"
#include "services/server/auth.h"
#include "services/server/ticket_desk.h"
#include "servicedesk/v1/ticket.grpc.pb.h"

namespace servicedesk::server {

class TicketServiceImpl final : public v1::TicketService::CallbackService {
 public:
  TicketServiceImpl(const CallGate* gate, DeskLoop* loop, TicketDesk* desk)
      : gate_(gate), loop_(loop), desk_(desk) {}

  grpc::ServerUnaryReactor* CreateTicket(grpc::CallbackServerContext* context,
                                         const v1::CreateTicketRequest* request,
                                         v1::Ticket* response) override;
  grpc::ServerUnaryReactor* GetTicket(grpc::CallbackServerContext* context,
                                      const v1::GetTicketRequest* request, v1::Ticket* response) override;
  grpc::ServerUnaryReactor* ListTickets(grpc::CallbackServerContext* context,
                                        const v1::ListTicketsRequest* request,
                                        v1::ListTicketsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateTicket(grpc::CallbackServerContext* context,
                                         const v1::UpdateTicketRequest* request,
                                         v1::Ticket* response) override;
  grpc::ServerUnaryReactor* AddComment(grpc::CallbackServerContext* context,
                                       const v1::AddCommentRequest* request,
                                       v1::TicketComment* response) override;
  grpc::ServerUnaryReactor* ListComments(grpc::CallbackServerContext* context,
                                         const v1::ListCommentsRequest* request,
                                         v1::ListCommentsResponse* response) override;
  grpc::ServerUnaryReactor* ChangeStatus(grpc::CallbackServerContext* context,
                                         const v1::ChangeStatusRequest* request,
                                         v1::Ticket* response) override;
  grpc::ServerUnaryReactor* PickTicket(grpc::CallbackServerContext* context,
                                       const v1::PickTicketRequest* request, v1::Ticket* response) override;
  grpc::ServerUnaryReactor* HandBackTicket(grpc::CallbackServerContext* context,
                                           const v1::HandBackTicketRequest* request,
                                           v1::Ticket* response) override;

 private:
  const CallGate* gate_;
  DeskLoop* loop_;
  TicketDesk* desk_;
};

}  // namespace servicedesk::server
