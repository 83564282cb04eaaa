#pragma once

// The [complaints] configuration as the complaints core's WorkflowConfig. Errors name the
// configuration key ("complaints.limits[1].severity: ...").

#include "absl/status/statusor.h"
#include "services/complaints/complaint_workflow.h"
#include "services/server/config.h"

namespace servicedesk::server {

absl::StatusOr<complaints::WorkflowConfig> ComplaintRulesFrom(const ComplaintsConfig& config);

}  // namespace servicedesk::server
