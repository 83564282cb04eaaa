#include "services/server/survey_desk.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/crm/satisfaction.h"
#include "services/customers/customer_validation.h"
#include "services/customers/resource_names.h"
#include "services/server/history_entry.h"
#include "services/server/routing_proto.h"
#include "services/tickets/sla_policy.h"

namespace servicedesk::server {

namespace {

constexpr int kMaxReportMonths = 36;

// A resource name of `collection` ("agents/"): the prefix, then an id without spaces.
absl::Status CheckName(const std::string& value, std::initializer_list<const char*> prefixes, const std::string& field) {
  if (value.empty()) return absl::OkStatus();
  if (auto s = customers::CheckLength(value, customers::Limits::kShortText, field); !s.ok()) return s;
  for (const char* prefix : prefixes) {
    if (absl::StartsWith(value, prefix) && value.size() > std::string_view(prefix).size() &&
        customers::IsPrintableIdentifier(value)) {
      return absl::OkStatus();
    }
  }
  std::string expected;
  for (const char* prefix : prefixes) absl::StrAppend(&expected, expected.empty() ? "" : " or ", prefix, "{id}");
  return absl::InvalidArgumentError(absl::StrCat(field, ": '", value.substr(0, 60), "' is not ", expected));
}

void Count(storage::ValueStore& store, rocksdb::WriteBatch* batch, int dimension, const std::string& key,
           const std::string& month, int score, absl::Status* status) {
  if (!status->ok() || key.empty()) return;
  auto row = store.GetSatisfaction(dimension, key, month);
  if (!row.ok()) {
    *status = row.status();
    return;
  }
  while (row->score_counts_size() < 5) row->add_score_counts(0);
  row->set_score_counts(score - 1, row->score_counts(score - 1) + 1);
  row->set_responses(row->responses() + 1);
  row->clear_mean_score();
  row->clear_satisfied_percent();
  store.PutSatisfaction(batch, dimension, *row);
}

}  // namespace

SurveyDesk::SurveyDesk(const Config& config, const Clock* clock, storage::Database* db, storage::EventWriter* writer,
                       const storage::CustomerStore* customers)
    : clock_(clock), writer_(writer), customers_(customers), store_(db) {
  if (!absl::LoadTimeZone(config.supervisor.time_zone, &zone_)) zone_ = absl::UTCTimeZone();
}

absl::StatusOr<v1::Survey> SurveyDesk::Record(const v1::RecordSurveyRequest& request, const std::string& principal,
                                              bool agent_caller) {
  if (auto s = customers::ValidateRequestId(request.request_id(), "request_id"); !s.ok()) return s;
  const v1::Survey& in = request.survey();
  if (!request.request_id().empty()) {
    auto earlier = store_.FindSurveyByRequest(request.request_id());
    if (!earlier.ok()) return earlier.status();
    if (earlier->has_value()) {
      if ((*earlier)->customer() != in.customer()) {
        return absl::AlreadyExistsError("request_id: already used for another customer's survey");
      }
      return **earlier;
    }
  }
  auto customer_id = customers::ParseCustomerName(in.customer(), "survey.customer");
  if (!customer_id.ok()) return customer_id.status();
  if (!v1::SurveyKind_IsValid(in.kind()) || in.kind() == v1::SURVEY_KIND_UNSPECIFIED) {
    return absl::InvalidArgumentError("survey.kind: required (post_contact or monthly_sample)");
  }
  if (in.score() < crm::kLowestScore || in.score() > crm::kHighestScore) {
    return absl::InvalidArgumentError(absl::StrCat("survey.score: must be 1 to 5, got ", in.score()));
  }
  if (auto s = customers::CheckLength(in.comment(), customers::Limits::kLongText, "survey.comment"); !s.ok()) return s;
  if (customers::HasControlCharacter(in.comment())) {
    return absl::InvalidArgumentError("survey.comment: no control characters");
  }
  if (in.kind() == v1::SURVEY_KIND_POST_CONTACT && in.contact().empty()) {
    return absl::InvalidArgumentError("survey.contact: required for a post-contact survey (what it rates)");
  }
  if (auto s = CheckName(in.contact(), {"contacts/", "tickets/", "customers/"}, "survey.contact"); !s.ok()) return s;
  if (auto s = CheckName(in.agent(), {"agents/"}, "survey.agent"); !s.ok()) return s;
  if (auto s = CheckName(in.queue(), {"queues/"}, "survey.queue"); !s.ok()) return s;
  // A rated interaction is the customer's own.
  if (absl::StartsWith(in.contact(), "customers/") && !absl::StartsWith(in.contact(), in.customer() + "/interactions/")) {
    return absl::InvalidArgumentError(
        absl::StrCat("survey.contact: ", in.contact().substr(0, 60), " is not an interaction of ", in.customer()));
  }
  // Agents act for themselves: they may not score another agent's (or their own others') work
  // under a name not theirs.
  if (agent_caller && !in.agent().empty() && in.agent() != principal) {
    return absl::PermissionDeniedError("survey.agent: an agent records surveys of their own contacts only");
  }
  auto customer = customers_->GetCustomer(*customer_id);
  if (!customer.ok()) return customer.status();
  if (!in.contact().empty()) {
    auto earlier = store_.FindSurveyByContact(in.contact());
    if (!earlier.ok()) return earlier.status();
    if (earlier->has_value()) {
      return absl::AlreadyExistsError(
          absl::StrCat("survey.contact: ", in.contact(), " already has a survey (", (*earlier)->name(), ")"));
    }
  }
  auto pop = customers_->ReadScreenPop(*customer_id);
  if (!pop.ok()) return pop.status();

  const absl::Time now = clock_->Now();
  rocksdb::WriteBatch batch;
  const uint64_t id = writer_->NextId(&batch, "survey");
  v1::Survey survey = in;
  survey.set_name(absl::StrCat("surveys/", id));
  *survey.mutable_survey_time() = ToTimestamp(now);
  survey.set_tier(customer->tier());
  survey.set_recorded_by(principal);
  store_.PutSurvey(&batch, id, survey);
  if (!survey.contact().empty()) store_.PutSurveyContact(&batch, survey.contact(), id);
  if (!request.request_id().empty()) store_.PutSurveyRequest(&batch, request.request_id(), id);

  const std::string month = crm::MonthOf(now, zone_);
  absl::Status counted;
  Count(store_, &batch, v1::SATISFACTION_DIMENSION_AGENT, survey.agent(), month, survey.score(), &counted);
  Count(store_, &batch, v1::SATISFACTION_DIMENSION_QUEUE, survey.queue(), month, survey.score(), &counted);
  Count(store_, &batch, v1::SATISFACTION_DIMENSION_TIER, tickets::CustomerTierName(static_cast<tickets::CustomerTier>(survey.tier())), month, survey.score(), &counted);
  Count(store_, &batch, v1::SATISFACTION_DIMENSION_DESK, "desk", month, survey.score(), &counted);
  if (!counted.ok()) return counted;

  v1::Interaction entry;
  entry.set_agent(survey.agent());  // who was rated, not who typed it in
  entry.set_channel(v1::INTERACTION_CHANNEL_SURVEY);
  entry.set_direction(v1::DIRECTION_INBOUND);
  entry.set_queue(survey.queue());
  entry.set_outcome(absl::StrCat("score ", survey.score(), "/5"));
  entry.set_text(survey.comment());
  entry.set_reference(survey.contact().empty() ? survey.name() : survey.contact());
  AppendHistoryEntry(&batch, writer_, customers_, *customer_id, principal, now, std::move(entry), &*pop);
  customers_->PutScreenPop(&batch, *customer_id, *pop);

  v1::Event event;
  *event.mutable_time() = ToTimestamp(now);
  event.set_principal(principal);
  *event.mutable_survey_recorded()->mutable_survey() = survey;
  event.mutable_survey_recorded()->set_request_id(request.request_id());
  auto seq = writer_->Commit(&batch, &event);
  if (!seq.ok()) return seq.status();
  return survey;
}

absl::StatusOr<v1::SatisfactionReport> SurveyDesk::Satisfaction(const v1::GetSatisfactionRequest& request) const {
  if (!v1::SatisfactionDimension_IsValid(request.by()) || request.by() == v1::SATISFACTION_DIMENSION_UNSPECIFIED) {
    return absl::InvalidArgumentError("by: required (agent, queue, tier or desk)");
  }
  const absl::CivilMonth current(absl::ToCivilSecond(clock_->Now(), zone_));
  auto month = [&](const std::string& text, const char* field) -> absl::StatusOr<absl::CivilMonth> {
    if (text.empty()) return current;
    auto parsed = crm::ParseMonth(text);
    if (!parsed) return absl::InvalidArgumentError(absl::StrCat(field, ": '", text.substr(0, 20), "' is not YYYY-MM"));
    return *parsed;
  };
  auto from = month(request.from_month(), "from_month");
  if (!from.ok()) return from.status();
  auto to = month(request.to_month(), "to_month");
  if (!to.ok()) return to.status();
  if (*to < *from) return absl::InvalidArgumentError("to_month: before from_month");
  if (*to - *from >= kMaxReportMonths) {
    return absl::InvalidArgumentError("from_month: the range covers at most 36 months (to_month: this month when empty)");
  }
  if (auto s = customers::CheckLength(request.key(), customers::Limits::kShortText, "key"); !s.ok()) return s;
  if (!customers::IsPrintableIdentifier(request.key())) {
    return absl::InvalidArgumentError("key: an agent, queue or tier name (no spaces or control characters)");
  }
  auto rows = store_.ListSatisfaction(request.by(), request.key(), crm::FormatMonth(*from), crm::FormatMonth(*to));
  if (!rows.ok()) return rows.status();
  v1::SatisfactionReport report;
  for (auto& row : *rows) {
    crm::SatisfactionCounts counts;
    for (int s = 0; s < row.score_counts_size() && s < 5; ++s) counts.scores[static_cast<std::size_t>(s)] = row.score_counts(s);
    row.set_mean_score(counts.mean());
    row.set_satisfied_percent(counts.satisfied_percent());
    *report.add_rows() = std::move(row);
  }
  report.set_formula(crm::SatisfactionFormula());
  return report;
}

}  // namespace servicedesk::server
