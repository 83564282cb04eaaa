#pragma once

// servicedeskd's configuration: a TOML file (every option is documented in
// deploy/servicedeskd.toml) with command-line overrides. Unknown keys are errors,
// so a typo never silently falls back to a default.

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/crm/value_rules.h"
#include "services/server/auth.h"
#include "servicedesk/v1/routing.pb.h"

namespace servicedesk::server {

// Definitions of routing applied at every start (what the file names wins over what an
// admin changed through the API since; what it does not name is kept).
struct RoutingDefinitions {
  std::vector<v1::Skill> skills;              // [[routing.skills]]
  std::vector<v1::ReasonCode> reason_codes;   // [[routing.reason_codes]]
  std::vector<v1::Queue> queues;              // [[routing.queues]], in file order
  std::vector<v1::Agent> agents;              // [[routing.agents]]
};

// [cti]: how telephony events become calls on the desk.
struct CtiConfig {
  // A caller whose number no customer holds gets a new file (lifecycle "potential").
  bool create_unknown_callers = true;
  // Where an offered call waits when the IVR names no queue and the event gives no hint:
  // by the called number ([cti.called_numbers], any dialable form -> queues/{id}), else here.
  std::map<std::string, std::string> called_numbers;
  std::string default_queue;  // queues/{id}; empty: such calls are recorded, not routed
  // A call with no event for this long is closed with cause "timeout".
  int idle_timeout_seconds = 4 * 3600;
  // A caller who hangs up while waiting gets a callback task, at most one per number in
  // this window (0: no callbacks), unless they hung up within callback_min_wait_seconds.
  int callback_window_hours = 24;
  int callback_min_wait_seconds = 5;
  // Event ids are remembered (a re-sent event is a DUPLICATE) for at least this long, then
  // forgotten so that the database does not grow without end. Must exceed the longest
  // time a CTI system may hold and re-send an event. 1 to 8760 (a year).
  int dedup_horizon_hours = 168;
};

struct SupervisorConfig {
  // Queue figures are kept per interval of this many minutes, aligned to midnight: 5, 10,
  // 15, 20, 30 or 60.
  int interval_minutes = 15;
  // Where "today" and the intervals begin: an IANA time zone ("Europe/Berlin").
  std::string time_zone = "UTC";
  // A caller who hangs up within this many seconds is a short abandon (service level 5 and
  // the abandon rate without them). 0 to 600.
  int short_abandon_seconds = 5;
  // Live views (WatchQueues, WatchAgents): updates a second when the watcher does not say,
  // 1 to 10; and how many watchers may be connected at once (1 to 10000).
  int default_updates_per_second = 1;
  int max_watchers = 1000;
};

// One [[tickets.sla]] rule: the targets of tickets of a priority and a customer tier (either
// left out: any). The first rule that matches wins; no match: the [tickets] defaults.
struct SlaRuleConfig {
  std::string priority;  // low, normal, high, urgent; empty: any
  std::string tier;      // key_important, key_secondary, ordinary, small, unknown; empty: any
  int first_response_minutes = 480;
  int resolution_minutes = 2400;
  bool business_hours = true;
  int warning_percent = 75;  // 1 to 100
};

struct TicketsConfig {
  // A solved ticket the customer comes back to within this many days is reopened; later
  // (or once closed) a new ticket linked to it is created. 0 to 365.
  int reopen_days = 7;
  // A waiting ticket whose SLA target was breached rises this much in its queue's routing
  // priority (a minute of waiting is worth 1). 0 to 100.
  int breach_priority_boost = 25;
  // The business calendar SLA clocks count in: working days, hours and holidays, in a zone.
  std::string time_zone = "UTC";
  std::vector<std::string> working_days = {"mon", "tue", "wed", "thu", "fri"};
  std::string working_hours = "08:00-18:00";
  std::vector<std::string> holidays;  // "YYYY-MM-DD"
  // Targets when no rule matches (first response 8 h, resolution 40 h, business hours, 75 %).
  SlaRuleConfig default_sla;
  std::vector<SlaRuleConfig> sla;
};

// [[complaints.limits]]: step limits for complaints of a severity and a customer tier
// (first match wins; the keys of [complaints] itself are the default).
struct ComplaintLimitConfig {
  std::string severity;  // low, medium, high, critical; empty: any (also not recorded yet)
  std::string tier;      // key_important, key_secondary, ordinary, small, unknown; empty: any
  int recording_hours = 24;    // from opening
  int resolution_hours = 120;  // from the end of recording
  int follow_up_hours = 168;   // from the accepted proposal
};

struct ComplaintsConfig {
  std::vector<std::string> categories = {"billing", "delivery", "product", "service", "staff", "other"};
  int satisfied_threshold = 4;  // 1 to 5: a reached customer at or above it (and solved) closes it
  // queues/{id} taking outbound contacts: where follow-ups are delivered as work. Empty: they
  // are not routed (they show as due on the complaint and in lists).
  std::string follow_up_queue;
  int follow_up_delay_hours = 72;  // accepted proposal -> first follow-up attempt
  int retry_delay_hours = 24;      // customer not reached -> next attempt
  int max_follow_up_attempts = 3;  // then closed as unreachable
  ComplaintLimitConfig default_limits;
  std::vector<ComplaintLimitConfig> limits;
  // The regulatory profile: acknowledgement and final-response limits from opening, with a
  // holding-reply reminder, for complaints recorded as regulated.
  bool regulatory = false;
  int acknowledgement_days = 2;
  int holding_reply_days = 28;
  int final_response_days = 56;
  // A follow-up of a complaint with a reached deadline rises this much in routing priority.
  int overdue_priority_boost = 20;
};

// [crm]: customer value, tiers and lifecycle (every rule is documented in
// services/crm/value_rules.h and deploy/servicedeskd.toml).
struct CrmConfig {
  // ISO 4217 code of the currency value is counted in; purchases in another currency need a
  // rate in [crm.exchange_rates] (code = value of one unit in the base currency).
  std::string base_currency = "EUR";
  std::map<std::string, double> exchange_rates;
  // A purchase above this (in the base currency) is refused as absurd.
  double max_purchase_amount = 1'000'000;
  int window_days = 365;
  // The value job runs this often (and at start when the last run is older). 1 to 720.
  int recompute_interval_hours = 24;
  // [crm.tiers]: shares of the window spend, highest spenders first.
  double key_important_share = 0.5;
  double key_share = 0.8;
  double ordinary_share = 0.95;
  double gross_margin = 0.3;
  double expected_years = 3;
  // [crm.lifecycle]
  double churn_interval_factor = 3;
  int churn_min_silence_days = 90;
  int single_purchase_churn_silence_days = 365;
  int loyal_min_purchases = 5;
  int loyal_min_tenure_days = 365;
};

struct Config {
  // [server]
  std::string listen = "127.0.0.1:50051";  // loopback unless told otherwise
  std::string port_file;                    // when set, the bound port is written there
  int shutdown_grace_seconds = 5;
  // [server.tls]: TLS when cert_file and key_file are set (PEM). client_ca_file: client
  // certificates signed by it are verified when presented, and required with
  // require_client_certificate (mutual TLS, e.g. for CTI systems).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  bool tls_require_client_certificate = false;
  // [storage]
  std::string data_dir = "./var/data";
  bool sync_writes = true;  // acknowledged writes are fsynced
  int block_cache_mb = 256;
  // [phone]
  std::string default_region;  // ISO 3166-1 alpha-2; empty: only international numbers
  // [auth]
  bool auth_enabled = true;
  std::vector<StaticToken> tokens;
  // [log]
  std::string log_level = "info";  // trace, debug, info, warn, error
  std::string log_format = "text";  // text or json
  // [routing]
  // A session whose stream ended (closed, or keep-alive lost) logs its agent out after this.
  int session_grace_seconds = 30;
  // An agent is reminded of a ringing offer this long before it times out (0: never).
  int offer_reminder_seconds = 5;
  RoutingDefinitions routing;
  CtiConfig cti;
  SupervisorConfig supervisor;
  TicketsConfig tickets;
  // [complaints]
  ComplaintsConfig complaints;
  CrmConfig crm;
  // [demo]
  int demo_customers = 0;  // loaded on first start into an empty data directory
  uint64_t demo_seed = 42;
};

// Reads `path` into `config`, keeping defaults for what the file does not set.
// INVALID_ARGUMENT naming the key (e.g. "storage.block_cache_mb") on any error.
absl::Status LoadConfigFile(const std::string& path, Config* config);

// The value rules of [crm] (ValidateConfig checks them).
crm::ValueRules ValueRulesFrom(const CrmConfig& crm);

// Checks values that the file and the flags can both set.
absl::Status ValidateConfig(const Config& config);

}  // namespace servicedesk::server
