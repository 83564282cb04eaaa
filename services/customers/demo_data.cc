#include "services/customers/demo_data.h"

#include <cmath>

#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/ascii.h"

namespace servicedesk::customers {

namespace {

using google::protobuf::util::TimeUtil;

// splitmix64: small, portable, and good enough for test data.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  uint64_t Below(uint64_t n) { return Next() % n; }
  template <typename T, std::size_t N>
  const T& Pick(const T (&items)[N]) { return items[Below(N)]; }

 private:
  uint64_t state_;
};

uint64_t Mix(uint64_t seed, uint64_t index, uint64_t stream) {
  Random r(seed * 0x100000001b3ULL ^ (index + 1) * 0x9e3779b97f4a7c15ULL ^ stream);
  r.Next();
  return r.Next();
}

struct Name {
  const char* given;
  const char* family;
};
constexpr Name kNames[] = {
    {"Wei", "Wang"},     {"Fang", "Li"},      {"Min", "Zhang"},     {"Jing", "Liu"},
    {"Lei", "Chen"},     {"Anna", "Schmidt"}, {"Lukas", "Müller"},  {"Sophie", "Weber"},
    {"Jonas", "Fischer"}, {"Marie", "Becker"}, {"Emma", "Johnson"}, {"Liam", "Smith"},
    {"Olivia", "Brown"}, {"Noah", "Garcia"},  {"Mia", "Rossi"},     {"Lucas", "Dubois"},
    {"Chloé", "Martin"}, {"Hiroshi", "Tanaka"}, {"Yuki", "Sato"},   {"Somchai", "Srisuk"},
    {"Ananya", "Sharma"}, {"Arjun", "Patel"},  {"Fatima", "Khan"},  {"Omar", "Haddad"},
    {"Ingrid", "Larsen"}, {"Piotr", "Nowak"},  {"Elena", "Popescu"}, {"Mateo", "López"},
};
constexpr const char* kCompanies[] = {
    "Harbor Logistics", "Blue River Foods", "Nordlicht Energie", "Golden Lotus Trading",
    "Alpine Medical",   "Sunrise Hotels",   "Metro Print",       "Pacific Textiles",
    "Keystone Builders", "Lumen Software"};
constexpr const char* kIndustries[] = {"logistics", "food", "energy", "trade",  "health",
                                       "hospitality", "printing", "textiles", "construction",
                                       "software"};
constexpr const char* kOccupations[] = {"teacher", "engineer", "nurse", "shop owner", "student",
                                        "accountant", "driver", "designer", "retired", "chef"};
constexpr const char* kAgents[] = {"agents/a-101", "agents/a-102", "agents/a-103", "agents/a-104",
                                   "agents/a-105", "agents/a-106", "agents/a-107", "agents/a-108"};
constexpr const char* kQueues[] = {"queues/billing", "queues/support", "queues/sales",
                                   "queues/complaints"};
constexpr const char* kOutcomes[] = {"resolved", "resolved", "resolved", "follow-up needed",
                                     "escalated", "information given", "callback scheduled"};
constexpr const char* kTexts[] = {
    "Asked about the latest invoice; explained the line items.",
    "Booked the usual: window seat and continental breakfast.",
    "Reported a delivery that arrived late; apologised and credited shipping.",
    "Wanted to change the billing address.",
    "Asked for the status of a repair order.",
    "Complained about a wrong charge; refund promised within 5 days.",
    "Renewed the yearly service contract.",
    "Asked about the new product line; sent a brochure.",
    "Satisfaction survey: 4 of 5, would like faster answers by e-mail.",
    "Called to confirm the appointment on Thursday.",
    "Password reset for the customer portal.",
    "Upgrade offer discussed; customer will think about it."};
constexpr v1::InteractionChannel kChannels[] = {
    v1::INTERACTION_CHANNEL_CALL,  v1::INTERACTION_CHANNEL_CALL,  v1::INTERACTION_CHANNEL_CALL,
    v1::INTERACTION_CHANNEL_EMAIL, v1::INTERACTION_CHANNEL_TICKET, v1::INTERACTION_CHANNEL_CHAT,
    v1::INTERACTION_CHANNEL_VISIT, v1::INTERACTION_CHANNEL_NOTE,  v1::INTERACTION_CHANNEL_SURVEY,
    v1::INTERACTION_CHANNEL_COMPLAINT_STEP};

std::string AsciiLocalPart(absl::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c)) out.push_back(static_cast<char>(absl::ascii_tolower(c)));
  }
  return out.empty() ? "customer" : out;
}

}  // namespace

DemoData::DemoData(uint64_t seed, absl::Time anchor) : seed_(seed), anchor_(anchor) {}

std::string DemoData::MobileNumber(uint64_t index) {
  return absl::StrCat("+49151", 10000000 + index);
}

std::string DemoData::ExternalId(uint64_t index) { return absl::StrCat("demo-", index); }

int DemoData::InteractionCount(uint64_t index) const {
  Random r(Mix(seed_, index, 1));
  const double u = r.Uniform();
  if (u < 0.0005) return 1000 + static_cast<int>(r.Below(4001));
  const double v = r.Uniform();
  return static_cast<int>(-std::log(1.0 - v) * 18.5);
}

std::vector<v1::ImportPurchasesRequest> DemoData::Purchases(uint64_t index, absl::Time now) const {
  Random r(Mix(seed_, index, 3));
  std::vector<v1::ImportPurchasesRequest> purchases;
  if (r.Below(100) < 20) return purchases;  // prospects: no purchase yet
  static constexpr const char* kProducts[] = {"coffee machine", "espresso beans 1 kg", "milk frother",
                                              "descaler",       "service plan",        "grinder"};
  const bool big_spender = r.Below(100) < 5;
  const int count = 1 + static_cast<int>(r.Below(big_spender ? 20 : 8));
  // The usual gap between purchases, and how long ago the last one was (some stopped long ago).
  const int gap_days = 20 + static_cast<int>(r.Below(100));
  const int silence_days = r.Below(100) < 15 ? 400 + static_cast<int>(r.Below(300)) : static_cast<int>(r.Below(60));
  for (int k = 0; k < count; ++k) {
    v1::ImportPurchasesRequest request;
    request.set_customer_external_id(ExternalId(index));
    v1::Purchase& p = *request.mutable_purchase();
    const double units = (big_spender ? 400.0 : 25.0) * (0.5 + r.Uniform() * 3);
    p.mutable_amount()->set_currency_code("EUR");
    p.mutable_amount()->set_units(static_cast<int64_t>(units));
    p.mutable_amount()->set_nanos(static_cast<int32_t>((units - static_cast<double>(static_cast<int64_t>(units))) * 100) *
                                  10'000'000);
    p.set_product(r.Pick(kProducts));
    p.set_order_id("demo-" + std::to_string(index) + "-" + std::to_string(k));
    const absl::Time at = now - absl::Hours(24) * (silence_days + gap_days * (count - 1 - k)) - absl::Hours(r.Below(12));
    *p.mutable_purchase_time() = TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(at));
    purchases.push_back(std::move(request));
  }
  return purchases;
}

v1::ImportRecord DemoData::Record(uint64_t index) const {
  Random r(Mix(seed_, index, 2));
  v1::ImportRecord record;
  record.set_external_id(ExternalId(index));
  v1::Customer& c = *record.mutable_customer();

  const bool enterprise = r.Below(100) < 15;
  const Name& name = r.Pick(kNames);
  if (enterprise) {
    c.set_kind(v1::CUSTOMER_KIND_ENTERPRISE);
    const std::size_t company = r.Below(std::size(kCompanies));
    c.set_display_name(absl::StrCat(kCompanies[company], " ", index));
    auto* p = c.mutable_enterprise();
    p->set_legal_name(absl::StrCat(kCompanies[company], " ", index, " Ltd."));
    p->set_industry(kIndustries[company]);
    p->set_employee_count(static_cast<int>(5 + r.Below(5000)));
    p->set_business_status(r.Below(10) < 8 ? "active, growing" : "active, cost-cutting");
    auto* contact = c.add_contacts();
    contact->set_display_name(absl::StrCat(name.given, " ", name.family));
    contact->set_role("purchasing manager");
    contact->set_email(absl::StrCat(AsciiLocalPart(name.given), "@", AsciiLocalPart(kCompanies[company]), ".example"));
  } else {
    c.set_kind(v1::CUSTOMER_KIND_INDIVIDUAL);
    c.set_display_name(absl::StrCat(name.given, " ", name.family));
    auto* p = c.mutable_individual();
    p->set_given_name(name.given);
    p->set_family_name(name.family);
    p->mutable_date_of_birth()->set_year(static_cast<int>(1940 + r.Below(66)));
    p->mutable_date_of_birth()->set_month(static_cast<int>(1 + r.Below(12)));
    p->mutable_date_of_birth()->set_day(static_cast<int>(1 + r.Below(28)));
    p->set_occupation(r.Pick(kOccupations));
    p->set_language(r.Below(4) == 0 ? "zh-CN" : (r.Below(2) == 0 ? "de" : "en"));
  }
  auto* mobile = c.add_phone_numbers();
  mobile->set_number(MobileNumber(index));
  mobile->set_type(enterprise ? v1::PHONE_TYPE_WORK : v1::PHONE_TYPE_MOBILE);
  if ((index / 2) % 20 == 0) {
    auto* home = c.add_phone_numbers();
    home->set_number(absl::StrCat("+4930", 2000000 + index / 2));
    home->set_type(v1::PHONE_TYPE_HOME);
    home->set_label("shared household line");
  }
  auto* email = c.add_emails();
  email->set_address(absl::StrCat(AsciiLocalPart(name.given), ".", AsciiLocalPart(name.family), ".",
                                  index, "@mail.example"));
  const uint64_t tier = r.Below(100);
  c.set_tier(tier < 3    ? v1::CUSTOMER_TIER_KEY_IMPORTANT
             : tier < 10 ? v1::CUSTOMER_TIER_KEY_SECONDARY
             : tier < 60 ? v1::CUSTOMER_TIER_ORDINARY
                         : v1::CUSTOMER_TIER_SMALL);
  constexpr v1::LifecycleState kStates[] = {
      v1::LIFECYCLE_STATE_POTENTIAL, v1::LIFECYCLE_STATE_FIRST_TIME, v1::LIFECYCLE_STATE_REPEAT,
      v1::LIFECYCLE_STATE_REPEAT,    v1::LIFECYCLE_STATE_LOYAL,      v1::LIFECYCLE_STATE_CHURNED,
      v1::LIFECYCLE_STATE_WON_BACK};
  c.set_lifecycle_state(r.Pick(kStates));
  if (r.Below(3) == 0) {
    (*c.mutable_preferences())["seat"] = r.Below(2) ? "window" : "aisle";
    (*c.mutable_preferences())["breakfast"] = r.Below(2) ? "continental" : "congee";
    (*c.mutable_preferences())["contact_time"] = "after 18:00";
  }
  c.set_owner_agent(r.Pick(kAgents));

  const int count = InteractionCount(index);
  // Spread over three years before the anchor, newest first is the store's job.
  const int64_t span_us = int64_t{3} * 365 * 24 * 3600 * 1000000;
  const int64_t anchor_us = absl::ToUnixMicros(anchor_);
  for (int i = 0; i < count; ++i) {
    auto* interaction = record.add_interactions();
    const auto channel = r.Pick(kChannels);
    interaction->set_channel(channel);
    interaction->set_direction(r.Below(5) == 0 ? v1::DIRECTION_OUTBOUND : v1::DIRECTION_INBOUND);
    interaction->set_agent(r.Pick(kAgents));
    interaction->set_queue(r.Pick(kQueues));
    const int64_t start = anchor_us - 1 - static_cast<int64_t>(r.Below(static_cast<uint64_t>(span_us)));
    *interaction->mutable_start_time() = TimeUtil::MicrosecondsToTimestamp(start);
    *interaction->mutable_end_time() =
        TimeUtil::MicrosecondsToTimestamp(start + static_cast<int64_t>(30 + r.Below(900)) * 1000000);
    interaction->set_outcome(r.Pick(kOutcomes));
    interaction->set_text(r.Pick(kTexts));
  }
  return record;
}

}  // namespace servicedesk::customers
