#!/usr/bin/python3
"""End-to-end test of complaints as an outside client would drive them: Python grpcio, stubs
generated at test time, a real servicedeskd process. 200 complaints take scripted paths
through the four steps (some stop early, some first proposals are refused, some follow-ups
find the customer unhappy and reopen); the server's figures must match what the script did,
and they survive a kill -9. The figures are printed (they go into the closing notes).

Run: SERVICEDESKD=build/services/server/servicedeskd /usr/bin/python3 tests/e2e/test_complaint_process.py
"""

import os
import random
import sys
import unittest

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import desk_process  # noqa: E402

from google.protobuf import duration_pb2  # noqa: E402

S = desk_process.stubs()
cp = S.complaint_pb2
pb = S.customer_pb2

CONFIG = """
[auth]
enabled = true
[[auth.tokens]]
token = "agent-1-token-000001"
principal = "agents/a-1"
role = "agent"
[[auth.tokens]]
token = "agent-2-token-000001"
principal = "agents/a-2"
role = "agent"
[[auth.tokens]]
token = "supervisor-token-0001"
principal = "supervisors/s-1"
role = "supervisor"

[[routing.queues]]
name = "queues/general"
channels = ["call", "outbound"]
[[routing.agents]]
name = "agents/a-1"
[[routing.agents]]
name = "agents/a-2"

[complaints]
categories = ["billing", "delivery", "product"]
follow_up_queue = "queues/general"
"""

AGENT = "agent-1-token-000001"
OTHER = "agent-2-token-000001"
SUPERVISOR = "supervisor-token-0001"
STEPS = ["venting", "recording", "resolution", "follow_up", "closed"]


class ComplaintProcessTest(unittest.TestCase):
    def test_scripted_complaints_give_the_figures_the_script_expects_and_survive_kill_9(self):
        process = desk_process.DeskProcess(config_text=CONFIG, no_auth=False)
        self.addCleanup(process.close)
        process.start()
        customers = process.customers(AGENT)
        complaints = process.complaints(AGENT)
        rng = random.Random(7)
        expected = {step: 0 for step in STEPS}
        first_proposals = first_accepted = accepted_any = reopened = 0
        satisfaction = []
        for i in range(200):
            customer = customers.CreateCustomer(pb.CreateCustomerRequest(customer=pb.Customer(
                kind=pb.CUSTOMER_KIND_INDIVIDUAL, display_name=f"Customer {i}"))).name
            name = complaints.OpenComplaint(cp.OpenComplaintRequest(customer=customer, summary=f"case {i}")).name
            r = rng.random()
            if r < 0.1:
                expected["venting"] += 1
                continue
            complaints.RecordVenting(cp.RecordVentingRequest(complaint=name, venting=cp.Venting(
                duration=duration_pb2.Duration(seconds=rng.randint(60, 900)), mood=rng.randint(1, 4),
                notes="heard out")))
            if r < 0.2:
                expected["recording"] += 1
                continue
            complaints.RecordDetails(cp.RecordDetailsRequest(complaint=name, details=cp.ComplaintDetails(
                category=rng.choice(["billing", "delivery", "product"]), product="plan M",
                description="in the customer's words", expectation="fix it", severity=rng.randint(1, 4))))
            if r < 0.3:
                expected["resolution"] += 1
                continue
            first_proposals += 1
            accepted_any += 1
            if rng.random() < 0.35:
                complaints.ProposeResolution(cp.ProposeResolutionRequest(complaint=name, proposal=cp.ResolutionProposal(
                    kind=cp.SOLUTION_KIND_APOLOGY, accepted=False)))
            else:
                first_accepted += 1
            complaints.ProposeResolution(cp.ProposeResolutionRequest(complaint=name, proposal=cp.ResolutionProposal(
                kind=cp.SOLUTION_KIND_REFUND, amount_cents=2500, currency="EUR", accepted=True)))
            if r < 0.45:
                expected["follow_up"] += 1
                continue
            score = rng.choice([1, 2, 3, 4, 4, 5, 5, 5])
            solved = score >= 3 and rng.random() < 0.9
            complaints.RecordFollowUp(cp.RecordFollowUpRequest(complaint=name, result=cp.FollowUpAttempt(
                reached=True, satisfaction=score, solved=solved)))
            satisfaction.append(score)
            if score >= 4 and solved:
                expected["closed"] += 1
                continue
            reopened += 1
            complaints.ProposeResolution(cp.ProposeResolutionRequest(complaint=name, proposal=cp.ResolutionProposal(
                kind=cp.SOLUTION_KIND_COMPENSATION, amount_cents=5000, currency="EUR", accepted=True)))
            complaints.RecordFollowUp(cp.RecordFollowUpRequest(complaint=name, result=cp.FollowUpAttempt(
                reached=True, satisfaction=5, solved=True)))
            satisfaction.append(5)
            expected["closed"] += 1

        # Someone else's complaint, without the supervisor role: refused, nothing changed.
        last = complaints.ListComplaints(cp.ListComplaintsRequest(page_size=1)).complaints[0]
        with self.assertRaises(grpc.RpcError) as refused:
            process.complaints(OTHER).RecordVenting(cp.RecordVentingRequest(complaint=last.name, venting=cp.Venting(
                duration=duration_pb2.Duration(seconds=60), mood=cp.CUSTOMER_MOOD_CALM, notes="x")))
        self.assertIn(refused.exception.code(),
                      (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.FAILED_PRECONDITION))
        # Agents cannot read the desk-wide figures.
        with self.assertRaises(grpc.RpcError) as agent:
            complaints.GetComplaintFigures(cp.GetComplaintFiguresRequest())
        self.assertEqual(agent.exception.code(), grpc.StatusCode.PERMISSION_DENIED)

        process.kill()
        process.start()
        figures = process.complaints(SUPERVISOR).GetComplaintFigures(cp.GetComplaintFiguresRequest())
        print(figures, file=sys.stderr)
        by_step = {STEPS[c.step - 1]: c.count for c in figures.by_step}
        self.assertEqual(by_step, expected)
        self.assertEqual(figures.first_proposals, first_proposals)
        self.assertEqual(figures.first_proposals_accepted, first_accepted)
        self.assertEqual(figures.reopened, reopened)
        self.assertAlmostEqual(figures.reopen_rate, reopened / accepted_any)
        self.assertEqual(figures.satisfaction_samples, len(satisfaction))
        self.assertAlmostEqual(figures.average_satisfaction, sum(satisfaction) / len(satisfaction))
        medians = {STEPS[t.step - 1]: t for t in figures.median_time_in_step}
        self.assertEqual(medians["venting"].samples, 200 - expected["venting"])
        self.assertEqual(process.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
