#include "services/server/complaint_service.h"

#include "services/server/unary_call.h"

namespace servicedesk::server {

namespace {

ComplaintDesk::Actor ActorOf(const Caller& caller) {
  return {caller.principal, caller.role == Role::kSupervisor || caller.role == Role::kAdmin};
}

}  // namespace

#define SERVICEDESK_COMPLAINT_ACTION(Method, Request, DeskCall)                                    \
  grpc::ServerUnaryReactor* ComplaintServiceImpl::Method(                                          \
      grpc::CallbackServerContext* context, const v1::Request* request, v1::Complaint* response) { \
    return ResultOnLoop(                                                                           \
        gate_, loop_, context, #Method, response,                                                  \
        [this, request](const Caller& c) { return desk_->DeskCall(*request, ActorOf(c)); });       \
  }

SERVICEDESK_COMPLAINT_ACTION(OpenComplaint, OpenComplaintRequest, Open)
SERVICEDESK_COMPLAINT_ACTION(RecordVenting, RecordVentingRequest, Vent)
SERVICEDESK_COMPLAINT_ACTION(RecordDetails, RecordDetailsRequest, Record)
SERVICEDESK_COMPLAINT_ACTION(ProposeResolution, ProposeResolutionRequest, Propose)
SERVICEDESK_COMPLAINT_ACTION(EscalateComplaint, EscalateComplaintRequest, Escalate)
SERVICEDESK_COMPLAINT_ACTION(RecordFollowUp, RecordFollowUpRequest, FollowUp)
#undef SERVICEDESK_COMPLAINT_ACTION

grpc::ServerUnaryReactor* ComplaintServiceImpl::GetComplaint(grpc::CallbackServerContext* context,
                                                             const v1::GetComplaintRequest* request,
                                                             v1::Complaint* response) {
  return ResultOnLoop(gate_, loop_, context, "GetComplaint", response,
                      [this, request](const Caller&) { return desk_->Get(request->name()); });
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::ListComplaints(
    grpc::CallbackServerContext* context, const v1::ListComplaintsRequest* request,
    v1::ListComplaintsResponse* response) {
  return ResultOnLoop(gate_, loop_, context, "ListComplaints", response,
                      [this, request](const Caller&) { return desk_->List(*request); });
}

grpc::ServerUnaryReactor* ComplaintServiceImpl::GetComplaintFigures(
    grpc::CallbackServerContext* context, const v1::GetComplaintFiguresRequest*,
    v1::ComplaintFigures* response) {
  return ResultOnLoop(gate_, loop_, context, "GetComplaintFigures", response,
                      [this](const Caller&) { return desk_->Figures(); });
}

}  // namespace servicedesk::server
