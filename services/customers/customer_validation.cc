#include "services/customers/customer_validation.h"

#include <set>

#include <google/protobuf/util/time_util.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace servicedesk::customers {

namespace {

using google::protobuf::util::TimeUtil;

absl::Status CheckText(std::string* value, std::size_t limit, absl::string_view field) {
  *value = std::string(absl::StripAsciiWhitespace(*value));
  if (HasControlCharacter(*value)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": contains control characters"));
  }
  return CheckLength(*value, limit, field);
}

bool IsLeap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

absl::Status CheckDate(const v1::Date& date, absl::string_view field) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (date.year() < 1850 || date.year() > 2200) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".year: out of range"));
  }
  if (date.month() < 1 || date.month() > 12) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".month: must be 1 to 12"));
  }
  const int days = kDays[date.month() - 1] + (date.month() == 2 && IsLeap(date.year()) ? 1 : 0);
  if (date.day() < 1 || date.day() > days) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".day: not a day of that month"));
  }
  return absl::OkStatus();
}

absl::Status CheckEmail(std::string* address, absl::string_view field) {
  *address = std::string(absl::StripAsciiWhitespace(*address));
  if (address->empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  if (auto s = CheckLength(*address, Limits::kEmail, field); !s.ok()) return s;
  const auto at = address->find('@');
  if (at == std::string::npos || at == 0 || at != address->rfind('@') ||
      address->find('.', at) == std::string::npos || address->back() == '.' ||
      !IsPrintableIdentifier(*address)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": '", *address, "' is not an e-mail address"));
  }
  return absl::OkStatus();
}

}  // namespace

bool HasControlCharacter(absl::string_view value) {
  for (unsigned char c : value) {
    if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') return true;
  }
  return false;
}

bool IsValidTimestamp(const google::protobuf::Timestamp& timestamp) {
  return timestamp.seconds() >= -62135596800 && timestamp.seconds() <= 253402300799 &&
         timestamp.nanos() >= 0 && timestamp.nanos() <= 999999999;
}

std::size_t CountCharacters(absl::string_view utf8) {
  std::size_t count = 0;
  for (unsigned char c : utf8) count += (c & 0xC0) != 0x80;  // skip continuation bytes
  return count;
}

absl::Status CheckLength(absl::string_view value, std::size_t limit, absl::string_view field) {
  // Limits are in characters (王 is one), not bytes; a cheap byte check first.
  if (value.size() > limit && CountCharacters(value) > limit) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": longer than ", limit, " characters"));
  }
  return absl::OkStatus();
}

bool IsPrintableIdentifier(absl::string_view value) {
  for (unsigned char c : value) {
    if (c < 0x21 || c == 0x7f) return false;
  }
  return true;
}

absl::Status ValidateRequestId(absl::string_view request_id, absl::string_view field) {
  if (request_id.empty()) return absl::OkStatus();
  if (auto s = CheckLength(request_id, Limits::kRequestId, field); !s.ok()) return s;
  if (!IsPrintableIdentifier(request_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": only printable characters without spaces"));
  }
  return absl::OkStatus();
}

absl::Status ValidateExternalId(absl::string_view external_id, absl::string_view field) {
  if (auto s = CheckLength(external_id, Limits::kShortText, field); !s.ok()) return s;
  if (!IsPrintableIdentifier(external_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": only printable characters without spaces"));
  }
  return absl::OkStatus();
}

absl::Status ValidateCustomer(v1::Customer* customer, const PhoneNormalizer& phones,
                              absl::string_view field) {
  auto f = [&](absl::string_view name) { return absl::StrCat(field, ".", name); };
  using S = absl::Status;

  if (customer->kind() == v1::CUSTOMER_KIND_UNSPECIFIED || !v1::CustomerKind_IsValid(customer->kind())) {
    return absl::InvalidArgumentError(
        absl::StrCat(f("kind"), ": required (CUSTOMER_KIND_INDIVIDUAL or CUSTOMER_KIND_ENTERPRISE)"));
  }
  if (S s = CheckText(customer->mutable_display_name(), Limits::kShortText, f("display_name")); !s.ok()) return s;
  if (customer->display_name().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(f("display_name"), ": required"));
  }
  if (!v1::CustomerTier_IsValid(customer->tier())) {
    return absl::InvalidArgumentError(absl::StrCat(f("tier"), ": unknown value"));
  }
  if (customer->tier() == v1::CUSTOMER_TIER_UNSPECIFIED) customer->set_tier(v1::CUSTOMER_TIER_ORDINARY);
  if (!v1::LifecycleState_IsValid(customer->lifecycle_state())) {
    return absl::InvalidArgumentError(absl::StrCat(f("lifecycle_state"), ": unknown value"));
  }
  if (customer->lifecycle_state() == v1::LIFECYCLE_STATE_UNSPECIFIED) {
    customer->set_lifecycle_state(v1::LIFECYCLE_STATE_POTENTIAL);
  }

  if (customer->has_individual()) {
    auto* p = customer->mutable_individual();
    struct { std::string* value; std::size_t limit; const char* name; } texts[] = {
        {p->mutable_given_name(), Limits::kShortText, "individual.given_name"},
        {p->mutable_family_name(), Limits::kShortText, "individual.family_name"},
        {p->mutable_occupation(), Limits::kShortText, "individual.occupation"},
        {p->mutable_family(), Limits::kLongText, "individual.family"},
        {p->mutable_education(), Limits::kShortText, "individual.education"},
        {p->mutable_personality(), Limits::kLongText, "individual.personality"},
        {p->mutable_lifestyle(), Limits::kLongText, "individual.lifestyle"},
        {p->mutable_language(), 35, "individual.language"},
    };
    for (auto& t : texts) {
      if (S s = CheckText(t.value, t.limit, f(t.name)); !s.ok()) return s;
    }
    if (p->has_date_of_birth()) {
      if (S s = CheckDate(p->date_of_birth(), f("individual.date_of_birth")); !s.ok()) return s;
    }
  }
  if (customer->has_enterprise()) {
    auto* p = customer->mutable_enterprise();
    struct { std::string* value; std::size_t limit; const char* name; } texts[] = {
        {p->mutable_legal_name(), Limits::kShortText, "enterprise.legal_name"},
        {p->mutable_industry(), Limits::kShortText, "enterprise.industry"},
        {p->mutable_characteristics(), Limits::kLongText, "enterprise.characteristics"},
        {p->mutable_business_status(), Limits::kLongText, "enterprise.business_status"},
    };
    for (auto& t : texts) {
      if (S s = CheckText(t.value, t.limit, f(t.name)); !s.ok()) return s;
    }
    if (p->employee_count() < 0) {
      return absl::InvalidArgumentError(absl::StrCat(f("enterprise.employee_count"), ": must not be negative"));
    }
  }

  if (customer->phone_numbers_size() > Limits::kPhoneNumbers) {
    return absl::InvalidArgumentError(
        absl::StrCat(f("phone_numbers"), ": at most ", Limits::kPhoneNumbers, " numbers"));
  }
  std::set<std::string> seen_phones;
  for (int i = 0; i < customer->phone_numbers_size(); ++i) {
    auto* phone = customer->mutable_phone_numbers(i);
    const std::string name = absl::StrCat(f("phone_numbers"), "[", i, "]");
    auto e164 = phones.ToE164(phone->number(), absl::StrCat(name, ".number"));
    if (!e164.ok()) return e164.status();
    if (!seen_phones.insert(*e164).second) {
      return absl::InvalidArgumentError(absl::StrCat(name, ".number: ", *e164, " is listed twice"));
    }
    phone->set_number(*e164);
    if (!v1::PhoneType_IsValid(phone->type())) {
      return absl::InvalidArgumentError(absl::StrCat(name, ".type: unknown value"));
    }
    if (S s = CheckText(phone->mutable_label(), Limits::kShortText, absl::StrCat(name, ".label")); !s.ok()) return s;
  }

  if (customer->emails_size() > Limits::kEmails) {
    return absl::InvalidArgumentError(absl::StrCat(f("emails"), ": at most ", Limits::kEmails, " addresses"));
  }
  std::set<std::string> seen_emails;
  for (int i = 0; i < customer->emails_size(); ++i) {
    auto* email = customer->mutable_emails(i);
    const std::string name = absl::StrCat(f("emails"), "[", i, "]");
    if (S s = CheckEmail(email->mutable_address(), absl::StrCat(name, ".address")); !s.ok()) return s;
    if (!seen_emails.insert(absl::AsciiStrToLower(email->address())).second) {
      return absl::InvalidArgumentError(absl::StrCat(name, ".address: listed twice"));
    }
    if (S s = CheckText(email->mutable_label(), Limits::kShortText, absl::StrCat(name, ".label")); !s.ok()) return s;
  }

  if (customer->contacts_size() > Limits::kContacts) {
    return absl::InvalidArgumentError(absl::StrCat(f("contacts"), ": at most ", Limits::kContacts, " people"));
  }
  for (int i = 0; i < customer->contacts_size(); ++i) {
    auto* contact = customer->mutable_contacts(i);
    const std::string name = absl::StrCat(f("contacts"), "[", i, "]");
    if (S s = CheckText(contact->mutable_display_name(), Limits::kShortText, absl::StrCat(name, ".display_name")); !s.ok()) return s;
    if (contact->display_name().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(name, ".display_name: required"));
    }
    if (S s = CheckText(contact->mutable_role(), Limits::kShortText, absl::StrCat(name, ".role")); !s.ok()) return s;
    if (!contact->phone_number().empty()) {
      auto e164 = phones.ToE164(contact->phone_number(), absl::StrCat(name, ".phone_number"));
      if (!e164.ok()) return e164.status();
      contact->set_phone_number(*e164);
    }
    if (!contact->email().empty()) {
      if (S s = CheckEmail(contact->mutable_email(), absl::StrCat(name, ".email")); !s.ok()) return s;
    }
  }

  if (customer->preferences_size() > Limits::kPreferences) {
    return absl::InvalidArgumentError(
        absl::StrCat(f("preferences"), ": at most ", Limits::kPreferences, " entries"));
  }
  for (const auto& [key, value] : customer->preferences()) {
    const std::string name = absl::StrCat(f("preferences"), "[", key.substr(0, 40), "]");
    if (key.empty() || HasControlCharacter(key)) {
      return absl::InvalidArgumentError(absl::StrCat(f("preferences"), ": keys must be non-empty text"));
    }
    if (S s = CheckLength(key, 100, name); !s.ok()) return s;
    if (S s = CheckLength(value, Limits::kShortText, name); !s.ok()) return s;
  }

  if (S s = CheckText(customer->mutable_notes(), Limits::kLongText, f("notes")); !s.ok()) return s;
  if (S s = CheckText(customer->mutable_owner_agent(), Limits::kShortText, f("owner_agent")); !s.ok()) return s;
  if (S s = ValidateExternalId(customer->external_id(), f("external_id")); !s.ok()) return s;
  return absl::OkStatus();
}

absl::Status ValidateWrapUp(std::string* code, std::string* notes, absl::string_view field_prefix) {
  const std::string code_field = absl::StrCat(field_prefix, "wrap_up_code");
  *code = std::string(absl::StripAsciiWhitespace(*code));
  constexpr std::size_t kCodeLength = 64;
  if (code->size() > kCodeLength) {
    return absl::InvalidArgumentError(
        absl::StrCat(code_field, ": at most ", kCodeLength, " characters"));
  }
  for (char c : *code) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return absl::InvalidArgumentError(
          absl::StrCat(code_field, ": only letters, digits, '-', '_' and '.'"));
    }
  }
  return CheckText(notes, Limits::kLongText, absl::StrCat(field_prefix, "notes"));
}

absl::Status ValidateInteraction(v1::Interaction* interaction, absl::Time now,
                                 absl::string_view field) {
  auto f = [&](absl::string_view name) { return absl::StrCat(field, ".", name); };
  using S = absl::Status;
  if (interaction->channel() == v1::INTERACTION_CHANNEL_UNSPECIFIED ||
      !v1::InteractionChannel_IsValid(interaction->channel())) {
    return absl::InvalidArgumentError(absl::StrCat(f("channel"), ": required"));
  }
  if (!v1::Direction_IsValid(interaction->direction())) {
    return absl::InvalidArgumentError(absl::StrCat(f("direction"), ": unknown value"));
  }
  if (interaction->has_start_time()) {
    if (!IsValidTimestamp(interaction->start_time())) {
      return absl::InvalidArgumentError(absl::StrCat(f("start_time"), ": not a valid timestamp"));
    }
    const absl::Time start = absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(interaction->start_time()));
    if (start > now + absl::Hours(24)) {
      return absl::InvalidArgumentError(absl::StrCat(f("start_time"), ": more than a day in the future"));
    }
  } else {
    *interaction->mutable_start_time() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(now));
  }
  if (interaction->has_end_time()) {
    if (!IsValidTimestamp(interaction->end_time()) ||
        interaction->end_time().seconds() < interaction->start_time().seconds() ||
        (interaction->end_time().seconds() == interaction->start_time().seconds() &&
         interaction->end_time().nanos() < interaction->start_time().nanos())) {
      return absl::InvalidArgumentError(absl::StrCat(f("end_time"), ": before start_time"));
    }
  }
  if (S s = CheckText(interaction->mutable_agent(), Limits::kShortText, f("agent")); !s.ok()) return s;
  if (S s = CheckText(interaction->mutable_queue(), Limits::kShortText, f("queue")); !s.ok()) return s;
  if (S s = CheckText(interaction->mutable_outcome(), Limits::kShortText, f("outcome")); !s.ok()) return s;
  if (S s = CheckText(interaction->mutable_reference(), Limits::kShortText, f("reference")); !s.ok()) return s;
  if (S s = CheckText(interaction->mutable_text(), Limits::kLongText, f("text")); !s.ok()) return s;
  return absl::OkStatus();
}

}  // namespace servicedesk::customers
