#pragma once

// The [tickets] configuration as the tickets core's types: the business calendar SLA clocks
// count in, and the SLA policy table. Errors name the configuration key.

#include "absl/status/statusor.h"
#include "services/server/config.h"
#include "services/tickets/business_calendar.h"
#include "services/tickets/sla_policy.h"

namespace servicedesk::server {

struct TicketRules {
  tickets::BusinessCalendarConfig calendar;
  tickets::SlaPolicyTable policy;
};

// INVALID_ARGUMENT naming the key ("tickets.working_hours: ...", "tickets.sla[1].tier: ...").
absl::StatusOr<TicketRules> TicketRulesFrom(const TicketsConfig& config);

}  // namespace servicedesk::server
