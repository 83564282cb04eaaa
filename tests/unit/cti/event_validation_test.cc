#include "services/cti/event_validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace servicedesk::cti {
namespace {

using ::testing::StartsWith;

class EventValidationTest : public ::testing::Test {
 protected:
  v1::CallEvent Offered() {
    v1::CallEvent event;
    event.set_source("pbx-1");
    event.set_event_id("ev-1");
    event.set_call_id("call-1");
    event.set_type(v1::CALL_EVENT_TYPE_OFFERED);
    event.mutable_source_time()->set_seconds(absl::ToUnixSeconds(now_) - 2);
    event.set_calling_number("0151 10000003");
    event.set_called_number("+49 30 100");
    (*event.mutable_ivr_data())["language"] = "de";
    return event;
  }

  // The message of the refusal, which must start with `field`.
  std::string Refusal(const v1::CallEvent& event) {
    auto result = NormalizeEvent(event, phones_, now_);
    EXPECT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(result.status().message());
  }

  customers::PhoneNormalizer phones_{"DE"};
  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
};

TEST_F(EventValidationTest, AGoodOfferIsNormalised) {
  auto event = NormalizeEvent(Offered(), phones_, now_);
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->type, CallEventType::kOffered);
  EXPECT_EQ(event->calling, "+4915110000003");
  EXPECT_EQ(event->called, "+4930100");
  EXPECT_EQ(event->ivr.at("language"), "de");
  EXPECT_EQ(event->source_time, now_ - absl::Seconds(2));
}

TEST_F(EventValidationTest, AWithheldNumberAndAnInternalExtensionAreFine) {
  v1::CallEvent event = Offered();
  event.clear_calling_number();
  event.set_called_number("4711");
  auto normalised = NormalizeEvent(event, phones_, now_);
  ASSERT_TRUE(normalised.ok()) << normalised.status();
  EXPECT_EQ(normalised->calling, "");
  EXPECT_EQ(normalised->called, "4711");
}

TEST_F(EventValidationTest, EachBadFieldIsNamed) {
  v1::CallEvent event = Offered();
  event.clear_call_id();
  EXPECT_THAT(Refusal(event), StartsWith("call_id: required"));
  event = Offered();
  event.clear_event_id();
  EXPECT_THAT(Refusal(event), StartsWith("event_id: required"));
  event = Offered();
  event.set_type(static_cast<v1::CallEventType>(42));
  EXPECT_THAT(Refusal(event), StartsWith("type: unknown event type"));
  event = Offered();
  event.set_type(v1::CALL_EVENT_TYPE_UNSPECIFIED);
  EXPECT_THAT(Refusal(event), StartsWith("type:"));
  event = Offered();
  event.set_calling_number("call me maybe");
  EXPECT_THAT(Refusal(event), StartsWith("calling_number:"));
  event = Offered();
  event.mutable_source_time()->set_seconds(absl::ToUnixSeconds(now_) + 3600);
  EXPECT_THAT(Refusal(event), StartsWith("source_time: 1h in the future"));
  event = Offered();
  event.clear_source_time();
  EXPECT_THAT(Refusal(event), StartsWith("source_time: required"));
  event = Offered();
  (*event.mutable_ivr_data())["account"] = std::string(600, '7');
  EXPECT_THAT(Refusal(event), StartsWith("ivr_data[account]:"));
  event = Offered();
  for (int i = 0; i < 40; ++i) (*event.mutable_ivr_data())["k" + std::to_string(i)] = "v";
  EXPECT_THAT(Refusal(event), StartsWith("ivr_data: at most 32 entries"));
  event = Offered();
  for (int i = 0; i < 10; ++i) (*event.mutable_ivr_data())["k" + std::to_string(i)] = std::string(500, 'x');
  EXPECT_THAT(Refusal(event), StartsWith("ivr_data: at most 4096 bytes"));
  event = Offered();
  event.set_call_id(std::string(200, 'c'));
  EXPECT_THAT(Refusal(event), StartsWith("call_id: at most 128"));
  event = Offered();
  event.set_queue("billing");
  EXPECT_THAT(Refusal(event), StartsWith("queue: expected queues/{id}"));
}

TEST_F(EventValidationTest, EachTypeGetsWhatItNeeds) {
  v1::CallEvent answered = Offered();
  answered.set_type(v1::CALL_EVENT_TYPE_ANSWERED);
  EXPECT_THAT(Refusal(answered), StartsWith("agent: required for answered"));
  answered.set_agent("agents/a-1");
  EXPECT_TRUE(NormalizeEvent(answered, phones_, now_).ok());

  v1::CallEvent transfer = Offered();
  transfer.set_type(v1::CALL_EVENT_TYPE_TRANSFERRED);
  EXPECT_THAT(Refusal(transfer), StartsWith("transfer_target:"));
  transfer.set_transfer_target(v1::TRANSFER_TARGET_KIND_OUTSIDE);
  EXPECT_THAT(Refusal(transfer), StartsWith("outside_number: required"));
  transfer.set_outside_number("+44 20 7946 0000");
  auto outside = NormalizeEvent(transfer, phones_, now_);
  ASSERT_TRUE(outside.ok()) << outside.status();
  EXPECT_EQ(outside->transfer, TransferTarget::kOutside);
  EXPECT_EQ(outside->outside_number, "+442079460000");

  v1::CallEvent ended = Offered();
  ended.set_type(v1::CALL_EVENT_TYPE_ENDED);
  ended.set_cause(static_cast<v1::EndCause>(77));
  EXPECT_THAT(Refusal(ended), StartsWith("cause:"));
  ended.set_cause(v1::END_CAUSE_BUSY);
  EXPECT_EQ(NormalizeEvent(ended, phones_, now_)->cause, EndCause::kBusy);

  v1::CallEvent outbound = Offered();
  outbound.set_type(v1::CALL_EVENT_TYPE_OUTBOUND_PLACED);
  outbound.set_agent("agents/a-1");
  outbound.clear_called_number();
  EXPECT_THAT(Refusal(outbound), StartsWith("called_number: required"));
}

}  // namespace
}  // namespace servicedesk::cti
