#pragma once

// What the interactive console shows of the desk's records, as lines of text: a customer's
// file with their history (the caller's, or one found by a search), the agent's open
// tickets, their complaints waiting for a follow-up. Pure: the UI fetches, these format.

#include <string>
#include <vector>

#include "servicedesk/v1/complaint.pb.h"
#include "servicedesk/v1/customer.pb.h"
#include "servicedesk/v1/ticket.pb.h"

namespace servicedesk::console {

// The file: name, number, tier, lifecycle, owner, value (ValueLine), phones, the "usual" preferences, open
// tickets and complaints (up to `max_open` each), then up to `max_interactions` of the
// latest interactions, newest first.
std::vector<std::string> CustomerLines(const v1::CustomerContext& context, int max_open, int max_interactions);

// The loyalty indicators in one line: purchases (repeat), spend all time and in the window,
// the last purchase, RFM, lifetime value, and the tier override with its end. Empty without
// purchases or override.
std::string ValueLine(const v1::CustomerValue& value);

// A search's results, numbered from 1 for the agent to choose.
std::vector<std::string> CustomerChoices(const std::vector<v1::Customer>& customers);

std::vector<std::string> TicketLines(const v1::ListTicketsResponse& tickets);
std::vector<std::string> FollowUpLines(const v1::ListComplaintsResponse& complaints);

}  // namespace servicedesk::console
