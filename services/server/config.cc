#include "services/server/config.h"

#include <cmath>
#include <optional>
#include <set>
#include <utility>

#include <fstream>

#include <toml++/toml.h>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "services/customers/phone_normalizer.h"
#include "services/server/complaint_rules.h"
#include "services/server/ticket_rules.h"

namespace servicedesk::server {

namespace {

absl::Status Unknown(std::string_view table, std::string_view key) {
  std::string name = table.empty() ? std::string(key) : absl::StrCat(std::string(table), ".", std::string(key));
  return absl::InvalidArgumentError(absl::StrCat(name, ": unknown option"));
}

template <typename T>
absl::Status Read(const toml::table& table, std::string_view section, std::string_view key,
                  T* out) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return absl::OkStatus();
  if constexpr (std::is_same_v<T, std::string>) {
    if (auto value = node->value<std::string>()) {
      *out = *value;
      return absl::OkStatus();
    }
  } else if constexpr (std::is_same_v<T, bool>) {
    if (auto value = node->value<bool>()) {
      *out = *value;
      return absl::OkStatus();
    }
  } else if constexpr (std::is_floating_point_v<T>) {
    // Integers are accepted too ("80" for "80.0").
    if (node->is_integer() || node->is_floating_point()) {
      *out = static_cast<T>(*node->value<double>());
      return absl::OkStatus();
    }
  } else {
    if (node->is_integer()) {
      const int64_t value = *node->value_exact<int64_t>();
      if (!std::in_range<T>(value)) {
        return absl::InvalidArgumentError(
            absl::StrCat(std::string(section), ".", std::string(key), ": out of range"));
      }
      *out = static_cast<T>(value);
      return absl::OkStatus();
    }
    // A float without fraction, e.g. 5.0 (value<int64_t>() would also convert a bool).
    if (auto value = node->is_floating_point() ? node->value<int64_t>() : std::nullopt) {
      if (!std::in_range<T>(*value)) {
        return absl::InvalidArgumentError(
            absl::StrCat(std::string(section), ".", std::string(key), ": out of range"));
      }
      *out = static_cast<T>(*value);
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(section), ".", std::string(key), ": wrong type"));
}

absl::Status CheckKeys(const toml::table& table, std::string_view section,
                       std::set<std::string_view> known) {
  for (const auto& [key, node] : table) {
    if (!known.contains(key.str())) return Unknown(section, key.str());
  }
  return absl::OkStatus();
}

// "<section>.<key>" in seconds (integer or float) into the Duration field of `message`
// that `mutable_field` gives. Absent: the field stays unset, which means "the server's
// default".
template <typename Proto>
absl::Status ReadSeconds(const toml::table& table, std::string_view section,
                         std::string_view key, Proto* message,
                         google::protobuf::Duration* (Proto::*mutable_field)()) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return absl::OkStatus();
  const std::string name = absl::StrCat(std::string(section), ".", std::string(key));
  if (!node->is_integer() && !node->is_floating_point()) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": wrong type"));
  }
  if (node->is_integer()) {
    const int64_t seconds = *node->value_exact<int64_t>();
    // The range of google.protobuf.Duration (about 10,000 years).
    if (seconds < -315'576'000'000 || seconds > 315'576'000'000) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": out of range"));
    }
    google::protobuf::Duration* out = (message->*mutable_field)();
    out->set_seconds(seconds);
    out->set_nanos(0);
    return absl::OkStatus();
  }
  const double value = *node->value<double>();
  if (!std::isfinite(value) || std::fabs(value) > 315'576'000'000.0) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": out of range"));
  }
  // Seconds and nanos carry the same sign, as Duration requires.
  int64_t seconds = static_cast<int64_t>(std::trunc(value));
  int64_t nanos = std::llround((value - static_cast<double>(seconds)) * 1e9);
  if (nanos >= 1'000'000'000) {
    ++seconds;
    nanos -= 1'000'000'000;
  } else if (nanos <= -1'000'000'000) {
    --seconds;
    nanos += 1'000'000'000;
  }
  google::protobuf::Duration* out = (message->*mutable_field)();
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(nanos));
  return absl::OkStatus();
}

// The array of tables `<section>.<key>`, each entry handed to `read` with its dotted name
// ("routing.queues[2]"). Absent: nothing.
template <typename Fn>
absl::Status ForEachTable(const toml::table& table, std::string_view section,
                          std::string_view key, Fn read) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return absl::OkStatus();
  const std::string name = absl::StrCat(std::string(section), ".", std::string(key));
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": must be an array of tables"));
  }
  for (std::size_t i = 0; i < array->size(); ++i) {
    const std::string field = absl::StrCat(name, "[", i, "]");
    const toml::table* entry = array->get(i)->as_table();
    if (entry == nullptr) return absl::InvalidArgumentError(absl::StrCat(field, ": must be a table"));
    if (auto s = read(*entry, field); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// The required resource name of a [[routing.*]] entry.
absl::Status ReadName(const toml::table& table, std::string_view field, std::string* out) {
  if (auto s = Read(table, field, "name", out); !s.ok()) return s;
  if (out->empty()) return absl::InvalidArgumentError(absl::StrCat(std::string(field), ".name: required"));
  return absl::OkStatus();
}

// skills = [ { skill = "skills/x", <level_key> = n }, ... ]; level_key is "min_proficiency"
// for queues and "proficiency" for agents (both land in min_proficiency).
absl::Status ReadSkills(const toml::table& table, std::string_view section, std::string_view key,
                        std::string_view level_key,
                        google::protobuf::RepeatedPtrField<v1::SkillRequirement>* out) {
  return ForEachTable(table, section, key, [&](const toml::table& entry, const std::string& field) {
    if (auto s = CheckKeys(entry, field, {"skill", level_key}); !s.ok()) return s;
    v1::SkillRequirement requirement;
    std::string skill;
    int32_t level = 0;
    if (auto s = Read(entry, field, "skill", &skill); !s.ok()) return s;
    if (skill.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ".skill: required"));
    if (auto s = Read(entry, field, level_key, &level); !s.ok()) return s;
    requirement.set_skill(std::move(skill));
    requirement.set_min_proficiency(level);
    *out->Add() = std::move(requirement);
    return absl::OkStatus();
  });
}

absl::Status ReadChannels(const toml::table& table, std::string_view section,
                          google::protobuf::RepeatedField<int>* out) {
  const toml::node* node = table.get("channels");
  if (node == nullptr) return absl::OkStatus();
  const std::string name = absl::StrCat(std::string(section), ".channels");
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": must be an array of strings"));
  }
  for (std::size_t i = 0; i < array->size(); ++i) {
    const std::string field = absl::StrCat(name, "[", i, "]");
    auto word = array->get(i)->value_exact<std::string>();
    if (!word) return absl::InvalidArgumentError(absl::StrCat(field, ": wrong type"));
    v1::ContactChannel channel;
    if (*word == "call") {
      channel = v1::CONTACT_CHANNEL_CALL;
    } else if (*word == "ticket") {
      channel = v1::CONTACT_CHANNEL_TICKET;
    } else if (*word == "callback") {
      channel = v1::CONTACT_CHANNEL_CALLBACK;
    } else if (*word == "outbound") {
      channel = v1::CONTACT_CHANNEL_OUTBOUND;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": '", *word, "' is not call, ticket, callback or outbound"));
    }
    out->Add(channel);
  }
  return absl::OkStatus();
}

absl::Status ReadStrategy(const toml::table& table, std::string_view section, v1::Queue* queue) {
  if (table.get("strategy") == nullptr) return absl::OkStatus();
  std::string word;
  if (auto s = Read(table, section, "strategy", &word); !s.ok()) return s;
  static const std::pair<std::string_view, v1::RoutingStrategy> kStrategies[] = {
      {"longest_idle", v1::ROUTING_STRATEGY_LONGEST_IDLE},
      {"most_skilled", v1::ROUTING_STRATEGY_MOST_SKILLED},
      {"fewest_contacts", v1::ROUTING_STRATEGY_FEWEST_CONTACTS},
      {"least_talk_time", v1::ROUTING_STRATEGY_LEAST_TALK_TIME},
      {"round_robin", v1::ROUTING_STRATEGY_ROUND_ROBIN},
      {"random", v1::ROUTING_STRATEGY_RANDOM},
  };
  for (const auto& [name, strategy] : kStrategies) {
    if (word == name) {
      queue->set_strategy(strategy);
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      std::string(section), ".strategy: '", word,
      "' is not longest_idle, most_skilled, fewest_contacts, least_talk_time, round_robin or random"));
}

absl::Status ReadQueue(const toml::table& t, const std::string& field, v1::Queue* queue) {
  if (auto s = CheckKeys(t, field,
                         {"name", "display_name", "channels", "skills", "base_priority",
                          "sl_threshold_seconds", "sl_goal_percent", "wrap_up_seconds",
                          "offer_timeout_seconds", "max_wait_seconds", "overflow_queue",
                          "widened_skills", "max_length", "strategy",
                          "preferred_agent_window_seconds"});
      !s.ok()) {
    return s;
  }
  const auto seconds = [&](std::string_view key, auto mutable_field) {
    return ReadSeconds(t, field, key, queue, mutable_field);
  };
  std::string name, display_name, overflow_queue;
  int32_t base_priority = 0, max_length = 0;
  double sl_goal_percent = 0;
  if (auto s = ReadName(t, field, &name); !s.ok()) return s;
  if (auto s = Read(t, field, "display_name", &display_name); !s.ok()) return s;
  if (auto s = ReadChannels(t, field, queue->mutable_channels()); !s.ok()) return s;
  if (auto s = ReadSkills(t, field, "skills", "min_proficiency", queue->mutable_skills()); !s.ok()) return s;
  if (auto s = Read(t, field, "base_priority", &base_priority); !s.ok()) return s;
  if (auto s = seconds("sl_threshold_seconds", &v1::Queue::mutable_sl_threshold); !s.ok()) return s;
  if (auto s = Read(t, field, "sl_goal_percent", &sl_goal_percent); !s.ok()) return s;
  if (auto s = seconds("wrap_up_seconds", &v1::Queue::mutable_wrap_up); !s.ok()) return s;
  if (auto s = seconds("offer_timeout_seconds", &v1::Queue::mutable_offer_timeout); !s.ok()) return s;
  if (auto s = seconds("max_wait_seconds", &v1::Queue::mutable_max_wait); !s.ok()) return s;
  if (auto s = Read(t, field, "overflow_queue", &overflow_queue); !s.ok()) return s;
  if (auto s = ReadSkills(t, field, "widened_skills", "min_proficiency", queue->mutable_widened_skills());
      !s.ok()) {
    return s;
  }
  if (auto s = Read(t, field, "max_length", &max_length); !s.ok()) return s;
  if (auto s = ReadStrategy(t, field, queue); !s.ok()) return s;
  if (auto s = seconds("preferred_agent_window_seconds", &v1::Queue::mutable_preferred_agent_window);
      !s.ok()) {
    return s;
  }
  queue->set_name(std::move(name));
  queue->set_display_name(std::move(display_name));
  queue->set_base_priority(base_priority);
  queue->set_sl_goal_percent(sl_goal_percent);
  queue->set_overflow_queue(std::move(overflow_queue));
  queue->set_max_length(max_length);
  return absl::OkStatus();
}

// [[routing.skills]] and [[routing.reason_codes]]: a name and a description.
template <typename Proto>
absl::Status ReadNamed(const toml::table& t, const std::string& field, Proto* out) {
  if (auto s = CheckKeys(t, field, {"name", "description"}); !s.ok()) return s;
  std::string name, description;
  if (auto s = ReadName(t, field, &name); !s.ok()) return s;
  if (auto s = Read(t, field, "description", &description); !s.ok()) return s;
  out->set_name(std::move(name));
  out->set_description(std::move(description));
  return absl::OkStatus();
}

absl::Status ReadAgent(const toml::table& t, const std::string& field, v1::Agent* agent) {
  if (auto s = CheckKeys(t, field, {"name", "display_name", "team", "skills", "max_tickets"}); !s.ok()) {
    return s;
  }
  std::string name, display_name, team;
  int32_t max_tickets = 0;
  if (auto s = ReadName(t, field, &name); !s.ok()) return s;
  if (auto s = Read(t, field, "display_name", &display_name); !s.ok()) return s;
  if (auto s = Read(t, field, "team", &team); !s.ok()) return s;
  if (auto s = ReadSkills(t, field, "skills", "proficiency", agent->mutable_skills()); !s.ok()) return s;
  if (auto s = Read(t, field, "max_tickets", &max_tickets); !s.ok()) return s;
  agent->set_name(std::move(name));
  agent->set_display_name(std::move(display_name));
  agent->set_team(std::move(team));
  agent->set_max_tickets(max_tickets);
  return absl::OkStatus();
}

// Appends each entry of the array of tables routing.<key>, read by `read`, to `out`.
template <typename Proto, typename Fn>
absl::Status ReadAll(const toml::table& routing, std::string_view key, Fn read,
                     std::vector<Proto>* out) {
  return ForEachTable(routing, "routing", key,
                      [&](const toml::table& entry, const std::string& field) {
                        Proto proto;
                        absl::Status status = read(entry, field, &proto);
                        if (status.ok()) out->push_back(std::move(proto));
                        return status;
                      });
}

absl::Status ReadRouting(const toml::table& t, Config* config) {
  if (auto s = CheckKeys(t, "routing",
                         {"session_grace_seconds", "offer_reminder_seconds", "skills",
                          "reason_codes", "queues", "agents"});
      !s.ok()) {
    return s;
  }
  if (auto s = Read(t, "routing", "session_grace_seconds", &config->session_grace_seconds); !s.ok()) return s;
  if (auto s = Read(t, "routing", "offer_reminder_seconds", &config->offer_reminder_seconds); !s.ok()) return s;
  RoutingDefinitions& routing = config->routing;
  if (auto s = ReadAll(t, "skills", ReadNamed<v1::Skill>, &routing.skills); !s.ok()) return s;
  if (auto s = ReadAll(t, "reason_codes", ReadNamed<v1::ReasonCode>, &routing.reason_codes); !s.ok()) {
    return s;
  }
  if (auto s = ReadAll(t, "queues", ReadQueue, &routing.queues); !s.ok()) return s;
  return ReadAll(t, "agents", ReadAgent, &routing.agents);
}

// [cti], with the table [cti.called_numbers] (called number -> queue name).
absl::Status ReadCti(const toml::table& t, CtiConfig* cti) {
  if (auto s = CheckKeys(t, "cti",
                         {"create_unknown_callers", "default_queue", "idle_timeout_seconds",
                          "callback_window_hours", "callback_min_wait_seconds", "called_numbers",
                          "dedup_horizon_hours"});
      !s.ok()) {
    return s;
  }
  if (auto s = Read(t, "cti", "create_unknown_callers", &cti->create_unknown_callers); !s.ok()) return s;
  if (auto s = Read(t, "cti", "default_queue", &cti->default_queue); !s.ok()) return s;
  if (auto s = Read(t, "cti", "idle_timeout_seconds", &cti->idle_timeout_seconds); !s.ok()) return s;
  if (auto s = Read(t, "cti", "callback_window_hours", &cti->callback_window_hours); !s.ok()) return s;
  if (auto s = Read(t, "cti", "callback_min_wait_seconds", &cti->callback_min_wait_seconds); !s.ok()) {
    return s;
  }
  if (auto s = Read(t, "cti", "dedup_horizon_hours", &cti->dedup_horizon_hours); !s.ok()) return s;
  if (const toml::node* node = t.get("called_numbers")) {
    const toml::table* numbers = node->as_table();
    if (numbers == nullptr) {
      return absl::InvalidArgumentError("cti.called_numbers: must be a table of strings");
    }
    for (const auto& [key, value] : *numbers) {
      const std::string number(key.str());
      auto queue = value.value_exact<std::string>();
      if (!queue) {
        return absl::InvalidArgumentError(
            absl::StrCat("cti.called_numbers[\"", number, "\"]: must be a string"));
      }
      cti->called_numbers[number] = *queue;
    }
  }
  return absl::OkStatus();
}

// An array of strings `<section>.<key>`; absent: `out` unchanged.
absl::Status ReadStrings(const toml::table& table, std::string_view section, std::string_view key,
                         std::vector<std::string>* out) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return absl::OkStatus();
  const std::string name = absl::StrCat(std::string(section), ".", std::string(key));
  const toml::array* array = node->as_array();
  if (array == nullptr) return absl::InvalidArgumentError(absl::StrCat(name, ": must be an array of strings"));
  out->clear();
  for (std::size_t i = 0; i < array->size(); ++i) {
    auto word = array->get(i)->value_exact<std::string>();
    if (!word) return absl::InvalidArgumentError(absl::StrCat(name, "[", i, "]: must be a string"));
    out->push_back(*word);
  }
  return absl::OkStatus();
}

absl::Status ReadSlaRule(const toml::table& t, const std::string& field, SlaRuleConfig* rule) {
  if (auto s = CheckKeys(t, field, {"priority", "tier", "first_response_minutes", "resolution_minutes",
                                    "business_hours", "warning_percent"});
      !s.ok()) {
    return s;
  }
  if (auto s = Read(t, field, "priority", &rule->priority); !s.ok()) return s;
  if (auto s = Read(t, field, "tier", &rule->tier); !s.ok()) return s;
  if (auto s = Read(t, field, "first_response_minutes", &rule->first_response_minutes); !s.ok()) return s;
  if (auto s = Read(t, field, "resolution_minutes", &rule->resolution_minutes); !s.ok()) return s;
  if (auto s = Read(t, field, "business_hours", &rule->business_hours); !s.ok()) return s;
  return Read(t, field, "warning_percent", &rule->warning_percent);
}

// [tickets], with [[tickets.sla]] rules; the default targets are keys of [tickets] itself.
absl::Status ReadTickets(const toml::table& t, TicketsConfig* tickets) {
  if (auto s = CheckKeys(t, "tickets",
                         {"reopen_days", "breach_priority_boost", "time_zone", "working_days", "working_hours", "holidays",
                          "first_response_minutes", "resolution_minutes", "business_hours",
                          "warning_percent", "sla"});
      !s.ok()) {
    return s;
  }
  if (auto s = Read(t, "tickets", "reopen_days", &tickets->reopen_days); !s.ok()) return s;
  if (auto s = Read(t, "tickets", "breach_priority_boost", &tickets->breach_priority_boost); !s.ok()) {
    return s;
  }
  if (auto s = Read(t, "tickets", "time_zone", &tickets->time_zone); !s.ok()) return s;
  if (auto s = ReadStrings(t, "tickets", "working_days", &tickets->working_days); !s.ok()) return s;
  if (auto s = Read(t, "tickets", "working_hours", &tickets->working_hours); !s.ok()) return s;
  if (auto s = ReadStrings(t, "tickets", "holidays", &tickets->holidays); !s.ok()) return s;
  SlaRuleConfig& d = tickets->default_sla;
  if (auto s = Read(t, "tickets", "first_response_minutes", &d.first_response_minutes); !s.ok()) return s;
  if (auto s = Read(t, "tickets", "resolution_minutes", &d.resolution_minutes); !s.ok()) return s;
  if (auto s = Read(t, "tickets", "business_hours", &d.business_hours); !s.ok()) return s;
  if (auto s = Read(t, "tickets", "warning_percent", &d.warning_percent); !s.ok()) return s;
  return ForEachTable(t, "tickets", "sla", [&](const toml::table& entry, const std::string& field) {
    SlaRuleConfig rule;
    if (auto s = ReadSlaRule(entry, field, &rule); !s.ok()) return s;
    tickets->sla.push_back(std::move(rule));
    return absl::OkStatus();
  });
}

absl::Status ReadComplaintLimits(const toml::table& t, const std::string& field, ComplaintLimitConfig* limits,
                                 bool rule) {
  if (rule) {
    if (auto s = CheckKeys(t, field, {"severity", "tier", "recording_hours", "resolution_hours", "follow_up_hours"});
        !s.ok()) {
      return s;
    }
    if (auto s = Read(t, field, "severity", &limits->severity); !s.ok()) return s;
    if (auto s = Read(t, field, "tier", &limits->tier); !s.ok()) return s;
  }
  if (auto s = Read(t, field, "recording_hours", &limits->recording_hours); !s.ok()) return s;
  if (auto s = Read(t, field, "resolution_hours", &limits->resolution_hours); !s.ok()) return s;
  return Read(t, field, "follow_up_hours", &limits->follow_up_hours);
}

// [complaints], with [[complaints.limits]] rules; the default limits are keys of [complaints].
absl::Status ReadComplaints(const toml::table& t, ComplaintsConfig* complaints) {
  if (auto s = CheckKeys(t, "complaints",
                         {"categories", "satisfied_threshold", "follow_up_queue", "follow_up_delay_hours",
                          "retry_delay_hours", "max_follow_up_attempts", "recording_hours", "resolution_hours",
                          "follow_up_hours", "limits", "regulatory", "acknowledgement_days", "holding_reply_days",
                          "final_response_days", "overdue_priority_boost"});
      !s.ok()) {
    return s;
  }
  if (auto s = ReadStrings(t, "complaints", "categories", &complaints->categories); !s.ok()) return s;
  for (auto [key, value] : {std::pair{"satisfied_threshold", &complaints->satisfied_threshold},
                            std::pair{"follow_up_delay_hours", &complaints->follow_up_delay_hours},
                            std::pair{"retry_delay_hours", &complaints->retry_delay_hours},
                            std::pair{"max_follow_up_attempts", &complaints->max_follow_up_attempts},
                            std::pair{"acknowledgement_days", &complaints->acknowledgement_days},
                            std::pair{"holding_reply_days", &complaints->holding_reply_days},
                            std::pair{"final_response_days", &complaints->final_response_days},
                            std::pair{"overdue_priority_boost", &complaints->overdue_priority_boost}}) {
    if (auto s = Read(t, "complaints", key, value); !s.ok()) return s;
  }
  if (auto s = Read(t, "complaints", "follow_up_queue", &complaints->follow_up_queue); !s.ok()) return s;
  if (auto s = Read(t, "complaints", "regulatory", &complaints->regulatory); !s.ok()) return s;
  if (auto s = ReadComplaintLimits(t, "complaints", &complaints->default_limits, false); !s.ok()) return s;
  return ForEachTable(t, "complaints", "limits", [&](const toml::table& entry, const std::string& field) {
    ComplaintLimitConfig rule;
    if (auto s = ReadComplaintLimits(entry, field, &rule, true); !s.ok()) return s;
    complaints->limits.push_back(std::move(rule));
    return absl::OkStatus();
  });
}

// [crm], with [crm.exchange_rates], [crm.tiers] and [crm.lifecycle].
absl::Status ReadCrm(const toml::table& t, CrmConfig* crm) {
  if (auto s = CheckKeys(t, "crm",
                         {"base_currency", "exchange_rates", "max_purchase_amount", "window_days",
                          "recompute_interval_hours", "gross_margin", "expected_years", "tiers", "lifecycle"});
      !s.ok()) {
    return s;
  }
  if (auto s = Read(t, "crm", "base_currency", &crm->base_currency); !s.ok()) return s;
  for (auto [key, value] : {std::pair{"max_purchase_amount", &crm->max_purchase_amount},
                            std::pair{"gross_margin", &crm->gross_margin},
                            std::pair{"expected_years", &crm->expected_years}}) {
    if (auto s = Read(t, "crm", key, value); !s.ok()) return s;
  }
  for (auto [key, value] : {std::pair{"window_days", &crm->window_days},
                            std::pair{"recompute_interval_hours", &crm->recompute_interval_hours}}) {
    if (auto s = Read(t, "crm", key, value); !s.ok()) return s;
  }
  if (const toml::node* node = t.get("exchange_rates")) {
    const toml::table* rates = node->as_table();
    if (rates == nullptr) return absl::InvalidArgumentError("crm.exchange_rates: must be a table");
    for (const auto& [code, rate] : *rates) {
      double value = 0;
      if (auto s = Read(*rates, "crm.exchange_rates", code.str(), &value); !s.ok()) return s;
      crm->exchange_rates[std::string(code.str())] = value;
    }
  }
  if (const toml::node* node = t.get("tiers")) {
    const toml::table* tiers = node->as_table();
    if (tiers == nullptr) return absl::InvalidArgumentError("crm.tiers: must be a table");
    if (auto s = CheckKeys(*tiers, "crm.tiers", {"key_important_share", "key_share", "ordinary_share"}); !s.ok()) {
      return s;
    }
    for (auto [key, value] : {std::pair{"key_important_share", &crm->key_important_share},
                              std::pair{"key_share", &crm->key_share},
                              std::pair{"ordinary_share", &crm->ordinary_share}}) {
      if (auto s = Read(*tiers, "crm.tiers", key, value); !s.ok()) return s;
    }
  }
  if (const toml::node* node = t.get("lifecycle")) {
    const toml::table* lifecycle = node->as_table();
    if (lifecycle == nullptr) return absl::InvalidArgumentError("crm.lifecycle: must be a table");
    if (auto s = CheckKeys(*lifecycle, "crm.lifecycle",
                           {"churn_interval_factor", "churn_min_silence_days", "single_purchase_churn_silence_days",
                            "loyal_min_purchases", "loyal_min_tenure_days"});
        !s.ok()) {
      return s;
    }
    if (auto s = Read(*lifecycle, "crm.lifecycle", "churn_interval_factor", &crm->churn_interval_factor); !s.ok()) {
      return s;
    }
    for (auto [key, value] : {std::pair{"churn_min_silence_days", &crm->churn_min_silence_days},
                              std::pair{"single_purchase_churn_silence_days", &crm->single_purchase_churn_silence_days},
                              std::pair{"loyal_min_purchases", &crm->loyal_min_purchases},
                              std::pair{"loyal_min_tenure_days", &crm->loyal_min_tenure_days}}) {
      if (auto s = Read(*lifecycle, "crm.lifecycle", key, value); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

bool IsCurrencyCode(std::string_view code) {
  return code.size() == 3 && std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

absl::Status CheckCrm(const CrmConfig& crm) {
  if (!IsCurrencyCode(crm.base_currency)) {
    return absl::InvalidArgumentError(
        absl::StrCat("crm.base_currency: '", crm.base_currency, "' is not an ISO 4217 code (e.g. \"EUR\")"));
  }
  for (const auto& [code, rate] : crm.exchange_rates) {
    if (!IsCurrencyCode(code)) {
      return absl::InvalidArgumentError(absl::StrCat("crm.exchange_rates.", code, ": not an ISO 4217 code"));
    }
    if (code == crm.base_currency) {
      return absl::InvalidArgumentError(absl::StrCat("crm.exchange_rates.", code, ": the base currency needs no rate"));
    }
    if (!(rate > 0 && rate < 1e9)) {
      return absl::InvalidArgumentError(
          absl::StrCat("crm.exchange_rates.", code, ": must be more than 0 and less than 10^9"));
    }
  }
  // 10^9 keeps a customer's spend in micros far from the 64-bit limit (9 x 10^12 units).
  if (!(crm.max_purchase_amount > 0 && crm.max_purchase_amount <= 1e9)) {
    return absl::InvalidArgumentError("crm.max_purchase_amount: must be more than 0 and at most 10^9");
  }
  if (crm.recompute_interval_hours < 1 || crm.recompute_interval_hours > 720) {
    return absl::InvalidArgumentError("crm.recompute_interval_hours: must be 1 to 720");
  }
  if (crm.window_days < 1 || crm.window_days > 3660) {
    return absl::InvalidArgumentError("crm.window_days: must be 1 to 3660");
  }
  if (auto problem = crm::CheckRules(ValueRulesFrom(crm)); !problem.empty()) {
    return absl::InvalidArgumentError(problem);
  }
  return absl::OkStatus();
}

}  // namespace

crm::ValueRules ValueRulesFrom(const CrmConfig& crm) {
  crm::ValueRules rules;
  rules.window = absl::Hours(24) * crm.window_days;
  rules.key_important_share = crm.key_important_share;
  rules.key_share = crm.key_share;
  rules.ordinary_share = crm.ordinary_share;
  rules.gross_margin = crm.gross_margin;
  rules.expected_years = crm.expected_years;
  rules.churn_interval_factor = crm.churn_interval_factor;
  rules.churn_min_silence = absl::Hours(24) * crm.churn_min_silence_days;
  rules.single_purchase_churn_silence = absl::Hours(24) * crm.single_purchase_churn_silence_days;
  rules.loyal_min_purchases = crm.loyal_min_purchases;
  rules.loyal_min_tenure = absl::Hours(24) * crm.loyal_min_tenure_days;
  return rules;
}

absl::Status LoadConfigFile(const std::string& path, Config* config) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& error) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ":", error.source().begin.line, ":", error.source().begin.column, ": ",
        std::string(error.description())));
  }
  if (auto s = CheckKeys(root, "", {"server", "storage", "phone", "auth", "log", "routing", "cti", "supervisor", "tickets", "complaints", "crm", "demo"});
      !s.ok()) {
    return s;
  }
  auto section = [&](std::string_view name) -> const toml::table* {
    return root.get(name) ? root.get(name)->as_table() : nullptr;
  };
  for (std::string_view name : {"server", "storage", "phone", "auth", "log", "routing", "cti", "supervisor", "tickets", "complaints", "crm", "demo"}) {
    if (root.get(name) && !section(name)) {
      return absl::InvalidArgumentError(absl::StrCat(std::string(name), ": must be a table"));
    }
  }
  if (const auto* t = section("server")) {
    if (auto s = CheckKeys(*t, "server", {"listen", "port_file", "shutdown_grace_seconds", "tls"}); !s.ok()) return s;
    if (auto s = Read(*t, "server", "listen", &config->listen); !s.ok()) return s;
    if (auto s = Read(*t, "server", "port_file", &config->port_file); !s.ok()) return s;
    if (auto s = Read(*t, "server", "shutdown_grace_seconds", &config->shutdown_grace_seconds); !s.ok()) return s;
    if (const toml::node* tls_node = t->get("tls")) {
      const toml::table* tls = tls_node->as_table();
      if (tls == nullptr) return absl::InvalidArgumentError("server.tls: must be a table");
      if (auto s = CheckKeys(*tls, "server.tls",
                             {"cert_file", "key_file", "client_ca_file", "require_client_certificate"});
          !s.ok()) {
        return s;
      }
      if (auto s = Read(*tls, "server.tls", "cert_file", &config->tls_cert_file); !s.ok()) return s;
      if (auto s = Read(*tls, "server.tls", "key_file", &config->tls_key_file); !s.ok()) return s;
      if (auto s = Read(*tls, "server.tls", "client_ca_file", &config->tls_client_ca_file); !s.ok()) return s;
      if (auto s = Read(*tls, "server.tls", "require_client_certificate", &config->tls_require_client_certificate);
          !s.ok()) {
        return s;
      }
    }
  }
  if (const auto* t = section("storage")) {
    if (auto s = CheckKeys(*t, "storage", {"data_dir", "sync_writes", "block_cache_mb"}); !s.ok()) return s;
    if (auto s = Read(*t, "storage", "data_dir", &config->data_dir); !s.ok()) return s;
    if (auto s = Read(*t, "storage", "sync_writes", &config->sync_writes); !s.ok()) return s;
    if (auto s = Read(*t, "storage", "block_cache_mb", &config->block_cache_mb); !s.ok()) return s;
  }
  if (const auto* t = section("phone")) {
    if (auto s = CheckKeys(*t, "phone", {"default_region"}); !s.ok()) return s;
    if (auto s = Read(*t, "phone", "default_region", &config->default_region); !s.ok()) return s;
  }
  if (const auto* t = section("log")) {
    if (auto s = CheckKeys(*t, "log", {"level", "format"}); !s.ok()) return s;
    if (auto s = Read(*t, "log", "level", &config->log_level); !s.ok()) return s;
    if (auto s = Read(*t, "log", "format", &config->log_format); !s.ok()) return s;
  }
  if (const auto* t = section("routing")) {
    if (auto s = ReadRouting(*t, config); !s.ok()) return s;
  }
  if (const auto* t = section("cti")) {
    if (auto s = ReadCti(*t, &config->cti); !s.ok()) return s;
  }
  if (const auto* t = section("supervisor")) {
    if (auto s = CheckKeys(*t, "supervisor", {"interval_minutes", "time_zone", "short_abandon_seconds",
                                                "default_updates_per_second", "max_watchers"});
        !s.ok()) {
      return s;
    }
    auto& supervisor = config->supervisor;
    if (auto s = Read(*t, "supervisor", "interval_minutes", &supervisor.interval_minutes); !s.ok()) return s;
    if (auto s = Read(*t, "supervisor", "time_zone", &supervisor.time_zone); !s.ok()) return s;
    if (auto s = Read(*t, "supervisor", "short_abandon_seconds", &supervisor.short_abandon_seconds);
        !s.ok()) {
      return s;
    }
    if (auto s = Read(*t, "supervisor", "default_updates_per_second", &supervisor.default_updates_per_second);
        !s.ok()) {
      return s;
    }
    if (auto s = Read(*t, "supervisor", "max_watchers", &supervisor.max_watchers); !s.ok()) return s;
  }
  if (const auto* t = section("tickets")) {
    if (auto s = ReadTickets(*t, &config->tickets); !s.ok()) return s;
  }
  if (const auto* t = section("complaints")) {
    if (auto s = ReadComplaints(*t, &config->complaints); !s.ok()) return s;
  }
  if (const auto* t = section("crm")) {
    if (auto s = ReadCrm(*t, &config->crm); !s.ok()) return s;
  }
  if (const auto* t = section("demo")) {
    if (auto s = CheckKeys(*t, "demo", {"customers", "seed"}); !s.ok()) return s;
    if (auto s = Read(*t, "demo", "customers", &config->demo_customers); !s.ok()) return s;
    if (auto s = Read(*t, "demo", "seed", &config->demo_seed); !s.ok()) return s;
  }
  if (const auto* t = section("auth")) {
    if (auto s = CheckKeys(*t, "auth", {"enabled", "tokens"}); !s.ok()) return s;
    if (auto s = Read(*t, "auth", "enabled", &config->auth_enabled); !s.ok()) return s;
    if (const toml::node* node = t->get("tokens")) {
      const toml::array* tokens = node->as_array();
      if (tokens == nullptr) return absl::InvalidArgumentError("auth.tokens: must be an array of tables");
      for (std::size_t i = 0; i < tokens->size(); ++i) {
        const std::string field = absl::StrCat("auth.tokens[", i, "]");
        const toml::table* entry = tokens->get(i)->as_table();
        if (entry == nullptr) return absl::InvalidArgumentError(absl::StrCat(field, ": must be a table"));
        if (auto s = CheckKeys(*entry, field, {"token", "principal", "role"}); !s.ok()) return s;
        StaticToken token;
        std::string role;
        if (auto s = Read(*entry, field, "token", &token.token); !s.ok()) return s;
        if (auto s = Read(*entry, field, "principal", &token.principal); !s.ok()) return s;
        if (auto s = Read(*entry, field, "role", &role); !s.ok()) return s;
        auto parsed = ParseRole(role);
        if (!parsed) {
          return absl::InvalidArgumentError(
              absl::StrCat(field, ".role: '", role, "' is not agent, supervisor, cti or admin"));
        }
        token.role = *parsed;
        if (token.token.size() < 16) {
          return absl::InvalidArgumentError(absl::StrCat(field, ".token: at least 16 characters"));
        }
        if (token.principal.empty()) {
          return absl::InvalidArgumentError(absl::StrCat(field, ".principal: required"));
        }
        config->tokens.push_back(std::move(token));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateConfig(const Config& config) {
  if (config.listen.empty()) return absl::InvalidArgumentError("server.listen: required");
  if (config.data_dir.empty()) return absl::InvalidArgumentError("storage.data_dir: required");
  if (config.block_cache_mb < 1 || config.block_cache_mb > 1 << 20) {
    return absl::InvalidArgumentError("storage.block_cache_mb: must be 1 to 1048576");
  }
  if (config.shutdown_grace_seconds < 0 || config.shutdown_grace_seconds > 600) {
    return absl::InvalidArgumentError("server.shutdown_grace_seconds: must be 0 to 600");
  }
  if (!config.default_region.empty() &&
      !customers::PhoneNormalizer::IsKnownRegion(config.default_region)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "phone.default_region: '", config.default_region, "' is not an ISO 3166-1 region code"));
  }
  static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error"};
  if (!kLevels.contains(config.log_level)) {
    return absl::InvalidArgumentError("log.level: must be trace, debug, info, warn or error");
  }
  if (config.log_format != "text" && config.log_format != "json") {
    return absl::InvalidArgumentError("log.format: must be text or json");
  }
  if (config.session_grace_seconds < 0 || config.session_grace_seconds > 3600) {
    return absl::InvalidArgumentError("routing.session_grace_seconds: must be 0 to 3600");
  }
  if (config.offer_reminder_seconds < 0 || config.offer_reminder_seconds > 600) {
    return absl::InvalidArgumentError("routing.offer_reminder_seconds: must be 0 to 600");
  }
  const CtiConfig& cti = config.cti;
  if (cti.idle_timeout_seconds < 60 || cti.idle_timeout_seconds > 86400 * 7) {
    return absl::InvalidArgumentError("cti.idle_timeout_seconds: must be 60 to 604800");
  }
  if (cti.callback_window_hours < 0 || cti.callback_window_hours > 720) {
    return absl::InvalidArgumentError("cti.callback_window_hours: must be 0 to 720");
  }
  if (cti.callback_min_wait_seconds < 0 || cti.callback_min_wait_seconds > 3600) {
    return absl::InvalidArgumentError("cti.callback_min_wait_seconds: must be 0 to 3600");
  }
  if (cti.dedup_horizon_hours < 1 || cti.dedup_horizon_hours > 8760) {
    return absl::InvalidArgumentError("cti.dedup_horizon_hours: must be 1 to 8760");
  }
  if (config.tls_cert_file.empty() != config.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "server.tls: cert_file and key_file go together (both for TLS, neither for plain text)");
  }
  for (const auto& [field, path] : {std::pair{"server.tls.cert_file", &config.tls_cert_file},
                                    std::pair{"server.tls.key_file", &config.tls_key_file},
                                    std::pair{"server.tls.client_ca_file", &config.tls_client_ca_file}}) {
    if (!path->empty() && !std::ifstream(*path).good()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": cannot read '", *path, "'"));
    }
  }
  if (config.tls_cert_file.empty() && (!config.tls_client_ca_file.empty() || config.tls_require_client_certificate)) {
    return absl::InvalidArgumentError("server.tls: client certificates need TLS (cert_file and key_file)");
  }
  if (config.tls_require_client_certificate && config.tls_client_ca_file.empty()) {
    return absl::InvalidArgumentError("server.tls.require_client_certificate: needs client_ca_file to verify them");
  }
  const SupervisorConfig& supervisor = config.supervisor;
  if (supervisor.interval_minutes < 5 || 60 % supervisor.interval_minutes != 0) {
    return absl::InvalidArgumentError("supervisor.interval_minutes: must be 5, 10, 15, 20, 30 or 60");
  }
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(supervisor.time_zone, &zone)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "supervisor.time_zone: '", supervisor.time_zone, "' is not a known time zone (e.g. \"Europe/Berlin\")"));
  }
  if (supervisor.short_abandon_seconds < 0 || supervisor.short_abandon_seconds > 600) {
    return absl::InvalidArgumentError("supervisor.short_abandon_seconds: must be 0 to 600");
  }
  if (supervisor.default_updates_per_second < 1 || supervisor.default_updates_per_second > 10) {
    return absl::InvalidArgumentError("supervisor.default_updates_per_second: must be 1 to 10");
  }
  if (supervisor.max_watchers < 1 || supervisor.max_watchers > 10000) {
    return absl::InvalidArgumentError("supervisor.max_watchers: must be 1 to 10000");
  }
  if (config.tickets.reopen_days < 0 || config.tickets.reopen_days > 365) {
    return absl::InvalidArgumentError("tickets.reopen_days: must be 0 to 365");
  }
  if (config.tickets.breach_priority_boost < 0 || config.tickets.breach_priority_boost > 100) {
    return absl::InvalidArgumentError("tickets.breach_priority_boost: must be 0 to 100");
  }
  if (auto rules = TicketRulesFrom(config.tickets); !rules.ok()) return rules.status();
  if (auto rules = ComplaintRulesFrom(config.complaints); !rules.ok()) return rules.status();
  if (!config.complaints.follow_up_queue.empty() && !(config.complaints.follow_up_queue.size() > 7 &&
                                                      config.complaints.follow_up_queue.starts_with("queues/"))) {
    return absl::InvalidArgumentError(absl::StrCat("complaints.follow_up_queue: '", config.complaints.follow_up_queue,
                                                   "' is not a queue name (queues/{id}) or empty"));
  }
  if (config.complaints.overdue_priority_boost < 0 || config.complaints.overdue_priority_boost > 100) {
    return absl::InvalidArgumentError("complaints.overdue_priority_boost: must be 0 to 100");
  }
  // A queue's resource name: "queues/" and an id.
  const auto is_queue_name = [](const std::string& name) {
    return name.size() > 7 && name.starts_with("queues/");
  };
  if (!cti.default_queue.empty() && !is_queue_name(cti.default_queue)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cti.default_queue: '", cti.default_queue, "' is not a queue name (queues/{id}) or empty"));
  }
  for (const auto& [number, queue] : cti.called_numbers) {
    if (!is_queue_name(queue)) {
      return absl::InvalidArgumentError(absl::StrCat("cti.called_numbers[\"", number, "\"]: '", queue,
                                                     "' is not a queue name (queues/{id})"));
    }
  }
  if (auto s = CheckCrm(config.crm); !s.ok()) return s;
  if (config.demo_customers < 0 || config.demo_customers > 10'000'000) {
    return absl::InvalidArgumentError("demo.customers: must be 0 to 10000000");
  }
  if (config.auth_enabled && config.tokens.empty()) {
    return absl::InvalidArgumentError(
        "auth.tokens: authentication is enabled but no token is configured (or set auth.enabled = false)");
  }
  return absl::OkStatus();
}

}  // namespace servicedesk::server
