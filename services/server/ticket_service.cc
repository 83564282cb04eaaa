#include "services/server/ticket_service.h"

#include "services/server/routing_services.h"
#include "services/server/unary_call.h"

namespace servicedesk::server {

grpc::ServerUnaryReactor* TicketServiceImpl::CreateTicket(grpc::CallbackServerContext* context,
                                                          const v1::CreateTicketRequest* request,
                                                          v1::Ticket* response) {
  return ResultOnLoop(
      gate_, loop_, context, "CreateTicket", response,
      [this, request](const Caller& c) { return desk_->Create(*request, c.principal); });
}

grpc::ServerUnaryReactor* TicketServiceImpl::GetTicket(grpc::CallbackServerContext* context,
                                                       const v1::GetTicketRequest* request,
                                                       v1::Ticket* response) {
  return ResultOnLoop(gate_, loop_, context, "GetTicket", response,
                      [this, request](const Caller&) { return desk_->Get(request->name()); });
}

grpc::ServerUnaryReactor* TicketServiceImpl::ListTickets(grpc::CallbackServerContext* context,
                                                         const v1::ListTicketsRequest* request,
                                                         v1::ListTicketsResponse* response) {
  return ResultOnLoop(gate_, loop_, context, "ListTickets", response,
                      [this, request](const Caller&) { return desk_->List(*request); });
}

grpc::ServerUnaryReactor* TicketServiceImpl::UpdateTicket(grpc::CallbackServerContext* context,
                                                          const v1::UpdateTicketRequest* request,
                                                          v1::Ticket* response) {
  return ResultOnLoop(
      gate_, loop_, context, "UpdateTicket", response,
      [this, request](const Caller& c) { return desk_->Update(*request, c.principal); });
}

grpc::ServerUnaryReactor* TicketServiceImpl::AddComment(grpc::CallbackServerContext* context,
                                                        const v1::AddCommentRequest* request,
                                                        v1::TicketComment* response) {
  return ResultOnLoop(
      gate_, loop_, context, "AddComment", response,
      [this, request](const Caller& c) { return desk_->AddComment(*request, c.principal); });
}

grpc::ServerUnaryReactor* TicketServiceImpl::ListComments(grpc::CallbackServerContext* context,
                                                          const v1::ListCommentsRequest* request,
                                                          v1::ListCommentsResponse* response) {
  return ResultOnLoop(gate_, loop_, context, "ListComments", response,
                      [this, request](const Caller&) { return desk_->Comments(*request); });
}

grpc::ServerUnaryReactor* TicketServiceImpl::ChangeStatus(grpc::CallbackServerContext* context,
                                                          const v1::ChangeStatusRequest* request,
                                                          v1::Ticket* response) {
  return ResultOnLoop(
      gate_, loop_, context, "ChangeStatus", response,
      [this, request](const Caller& c) { return desk_->ChangeStatus(*request, c.principal); });
}

grpc::ServerUnaryReactor* TicketServiceImpl::PickTicket(grpc::CallbackServerContext* context,
                                                        const v1::PickTicketRequest* request,
                                                        v1::Ticket* response) {
  return ResultOnLoop(gate_, loop_, context, "PickTicket", response,
                      [this, request](const Caller& c) -> absl::StatusOr<v1::Ticket> {
                        auto agent = ActingAgent(c, request->agent());
                        if (!agent.ok()) return agent.status();
                        return desk_->Pick(request->ticket(), *agent, c.principal);
                      });
}

grpc::ServerUnaryReactor* TicketServiceImpl::HandBackTicket(
    grpc::CallbackServerContext* context, const v1::HandBackTicketRequest* request,
    v1::Ticket* response) {
  return ResultOnLoop(gate_, loop_, context, "HandBackTicket", response,
                      [this, request](const Caller& c) -> absl::StatusOr<v1::Ticket> {
                        auto agent = ActingAgent(c, request->agent());
                        if (!agent.ok()) return agent.status();
                        return desk_->HandBack(*request, *agent, c.principal);
                      });
}

}  // namespace servicedesk::server
