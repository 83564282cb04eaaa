#pragma once

// The survey desk: satisfaction surveys recorded against the contact, agent and queue they
// rate (services/crm/satisfaction holds the arithmetic), with storage, history and the
// month's satisfaction rows kept in the same batch, so that a report is a range read.

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/server/config.h"
#include "servicedesk/v1/survey.pb.h"
#include "storage/customer_store.h"
#include "storage/event_writer.h"
#include "storage/value_store.h"

namespace servicedesk::server {

class SurveyDesk {
 public:
  // `config` must have passed ValidateConfig.
  SurveyDesk(const Config& config, const Clock* clock, storage::Database* db, storage::EventWriter* writer,
             const storage::CustomerStore* customers);

  // On the loop. INVALID_ARGUMENT naming the field; NOT_FOUND for an unknown customer;
  // ALREADY_EXISTS for a second survey of one contact; PERMISSION_DENIED for an agent
  // (`agent_caller`) naming another agent.
  absl::StatusOr<v1::Survey> Record(const v1::RecordSurveyRequest& request, const std::string& principal,
                                    bool agent_caller);
  // Any thread.
  absl::StatusOr<v1::SatisfactionReport> Satisfaction(const v1::GetSatisfactionRequest& request) const;

 private:
  const Clock* clock_;
  absl::TimeZone zone_;  // months are counted in [supervisor] time_zone
  storage::EventWriter* writer_;
  const storage::CustomerStore* customers_;
  storage::ValueStore store_;
};

}  // namespace servicedesk::server
