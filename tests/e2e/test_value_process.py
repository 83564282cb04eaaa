#!/usr/bin/python3
"""End-to-end test of customer value and surveys as an outside client would use them: Python
grpcio, stubs generated at test time, a real servicedeskd process. Customers buy by a script
(one big spender, regulars, one who stopped long ago); the value job run over the API must
give the tiers and lifecycle states the script implies, they show in the screen pop, a
supervisor's override survives a kill -9, bad input is refused naming the field, and surveys
add up to the satisfaction the script expects.

Run: SERVICEDESKD=build/services/server/servicedeskd /usr/bin/python3 tests/e2e/test_value_process.py
"""

import os
import sys
import time
import unittest

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import desk_process  # noqa: E402

from google.protobuf import timestamp_pb2  # noqa: E402

S = desk_process.stubs()
pb = S.customer_pb2
common = S.common_pb2
cv = S.customer_value_pb2
sv = S.survey_pb2

CONFIG = """
[auth]
enabled = true
[[auth.tokens]]
token = "agent-1-token-000001"
principal = "agents/a-1"
role = "agent"
[[auth.tokens]]
token = "supervisor-token-0001"
principal = "supervisors/s-1"
role = "supervisor"
[[auth.tokens]]
token = "admin-token-00000001"
principal = "admins/root"
role = "admin"

[crm]
base_currency = "EUR"
[crm.exchange_rates]
USD = 0.5
"""

AGENT = "agent-1-token-000001"
SUPERVISOR = "supervisor-token-0001"
ADMIN = "admin-token-00000001"
DAY = 86400


def stamp(seconds):
    return timestamp_pb2.Timestamp(seconds=int(seconds))


class ValueProcessTest(unittest.TestCase):
    def test_tiers_lifecycle_overrides_and_satisfaction_from_a_scripted_base(self):
        process = desk_process.DeskProcess(config_text=CONFIG, no_auth=False)
        self.addCleanup(process.close)
        process.start()
        customers = process.customers(AGENT)
        values = process.values(AGENT)
        now = time.time()

        def customer(name):
            return customers.CreateCustomer(pb.CreateCustomerRequest(customer=pb.Customer(
                kind=pb.CUSTOMER_KIND_INDIVIDUAL, display_name=name))).name

        def buy(who, euros, days_ago, currency="EUR"):
            return values.RecordPurchase(cv.RecordPurchaseRequest(parent=who, purchase=cv.Purchase(
                amount=common.Money(currency_code=currency, units=euros), product="beans",
                purchase_time=stamp(now - days_ago * DAY))))

        big = customer("Big Spender")
        for k in range(6):
            buy(big, 900, 400 - 60 * k)  # a customer for 400 days, every two months
        regulars = [customer(f"Regular {i}") for i in range(8)]
        for i, who in enumerate(regulars):
            buy(who, 40 + i, 60)
            buy(who, 30, 20, "USD")  # 15 EUR
        gone = customer("Long Gone")
        buy(gone, 50, 500)
        buy(gone, 50, 470)

        model = process.values(ADMIN).RecomputeValues(cv.RecomputeValuesRequest())
        self.assertEqual(model.scored_customers, 10)
        print(model, file=sys.stderr)

        big_value = values.GetCustomerValue(cv.GetCustomerValueRequest(customer=big))
        self.assertEqual(big_value.tier, common.CUSTOMER_TIER_KEY_IMPORTANT)
        self.assertEqual(big_value.lifecycle_state, common.LIFECYCLE_STATE_LOYAL)
        self.assertEqual(big_value.purchase_count, 6)
        self.assertEqual(big_value.total_spend.units, 5400)
        self.assertEqual(big_value.rfm.monetary, 5)
        gone_value = values.GetCustomerValue(cv.GetCustomerValueRequest(customer=gone))
        self.assertEqual(gone_value.lifecycle_state, common.LIFECYCLE_STATE_CHURNED)
        self.assertEqual(gone_value.tier, common.CUSTOMER_TIER_SMALL)  # nothing in the window
        regular = values.GetCustomerValue(cv.GetCustomerValueRequest(customer=regulars[0]))
        self.assertEqual(regular.lifecycle_state, common.LIFECYCLE_STATE_REPEAT)
        self.assertEqual(regular.total_spend.units, 55)

        # The screen pop shows it, the file holds it (routing reads the file's tier).
        pop = customers.GetCustomerContext(pb.GetCustomerContextRequest(customer=big))
        self.assertEqual(pop.customer.tier, common.CUSTOMER_TIER_KEY_IMPORTANT)
        self.assertEqual(pop.value.purchase_count, 6)
        channels = [i.channel for i in pop.recent_interactions]
        self.assertIn(common.INTERACTION_CHANNEL_TIER_CHANGE, channels)
        self.assertIn(common.INTERACTION_CHANNEL_LIFECYCLE_CHANGE, channels)

        # Bad input: refused naming the field, nothing recorded.
        for amount, field in ((common.Money(currency_code="EUR", units=-5), "purchase.amount"),
                              (common.Money(currency_code="XYZ", units=5), "purchase.amount.currency_code")):
            with self.assertRaises(grpc.RpcError) as refused:
                values.RecordPurchase(cv.RecordPurchaseRequest(parent=gone, purchase=cv.Purchase(amount=amount)))
            self.assertEqual(refused.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
            self.assertTrue(refused.exception.details().startswith(field + ":"), refused.exception.details())
        self.assertEqual(values.GetCustomerValue(cv.GetCustomerValueRequest(customer=gone)).purchase_count, 2)

        # A supervisor's override, with its reason; an agent may not.
        override = cv.SetTierOverrideRequest(customer=gone, tier=common.CUSTOMER_TIER_KEY_SECONDARY,
                                             reason="Founding customer", expire_time=stamp(now + 30 * DAY))
        with self.assertRaises(grpc.RpcError) as agent:
            values.SetTierOverride(override)
        self.assertEqual(agent.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
        process.values(SUPERVISOR).SetTierOverride(override)

        # Surveys: scored by the script, read back as satisfaction.
        surveys = process.surveys(AGENT)
        scores = [5, 4, 2, 5, 3]
        for k, score in enumerate(scores):
            surveys.RecordSurvey(sv.RecordSurveyRequest(survey=sv.Survey(
                customer=regulars[k], contact=f"contacts/{k + 1}", agent="agents/a-1", queue="queues/general",
                score=score, comment="thanks", kind=sv.SURVEY_KIND_POST_CONTACT)))

        process.kill()
        process.start()
        after = process.values(AGENT).GetCustomerValue(cv.GetCustomerValueRequest(customer=gone))
        self.assertEqual(after.tier, common.CUSTOMER_TIER_KEY_SECONDARY)
        self.assertEqual(after.tier_override.reason, "Founding customer")
        report = process.surveys(SUPERVISOR).GetSatisfaction(sv.GetSatisfactionRequest(
            by=sv.SATISFACTION_DIMENSION_AGENT))
        self.assertEqual(len(report.rows), 1)
        self.assertEqual(report.rows[0].key, "agents/a-1")
        self.assertEqual(report.rows[0].responses, len(scores))
        self.assertAlmostEqual(report.rows[0].mean_score, sum(scores) / len(scores))
        self.assertAlmostEqual(report.rows[0].satisfied_percent, 60.0)
        self.assertEqual(list(report.rows[0].score_counts), [0, 1, 1, 1, 2])
        self.assertEqual(process.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
