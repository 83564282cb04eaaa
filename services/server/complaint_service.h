#pragma once

// gRPC adapter of the complaint desk: ComplaintService. Each call is checked for its caller,
// then run on the desk loop, which owns complaints.

#include "services/common/desk_loop.h"
#include "services/server/auth.h"
#include "services/server/complaint_desk.h"
#include "servicedesk/v1/complaint.grpc.pb.h"

namespace servicedesk::server {

class ComplaintServiceImpl final : public v1::ComplaintService::CallbackService {
 public:
  ComplaintServiceImpl(const CallGate* gate, DeskLoop* loop, ComplaintDesk* desk)
      : gate_(gate), loop_(loop), desk_(desk) {}

  grpc::ServerUnaryReactor* OpenComplaint(grpc::CallbackServerContext* context,
                                          const v1::OpenComplaintRequest* request, v1::Complaint* response) override;
  grpc::ServerUnaryReactor* RecordVenting(grpc::CallbackServerContext* context,
                                          const v1::RecordVentingRequest* request, v1::Complaint* response) override;
  grpc::ServerUnaryReactor* RecordDetails(grpc::CallbackServerContext* context,
                                          const v1::RecordDetailsRequest* request, v1::Complaint* response) override;
  grpc::ServerUnaryReactor* ProposeResolution(grpc::CallbackServerContext* context,
                                              const v1::ProposeResolutionRequest* request,
                                              v1::Complaint* response) override;
  grpc::ServerUnaryReactor* EscalateComplaint(grpc::CallbackServerContext* context,
                                              const v1::EscalateComplaintRequest* request,
                                              v1::Complaint* response) override;
  grpc::ServerUnaryReactor* RecordFollowUp(grpc::CallbackServerContext* context,
                                           const v1::RecordFollowUpRequest* request, v1::Complaint* response) override;
  grpc::ServerUnaryReactor* GetComplaint(grpc::CallbackServerContext* context, const v1::GetComplaintRequest* request,
                                         v1::Complaint* response) override;
  grpc::ServerUnaryReactor* ListComplaints(grpc::CallbackServerContext* context,
                                           const v1::ListComplaintsRequest* request,
                                           v1::ListComplaintsResponse* response) override;
  grpc::ServerUnaryReactor* GetComplaintFigures(grpc::CallbackServerContext* context,
                                                const v1::GetComplaintFiguresRequest* request,
                                                v1::ComplaintFigures* response) override;

 private:
  const CallGate* gate_;
  DeskLoop* loop_;
  ComplaintDesk* desk_;
};

}  // namespace servicedesk::server
