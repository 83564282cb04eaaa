#!/usr/bin/python3
"""End-to-end tests of routing through a real servicedeskd process: an agent's session
as an outside client holds it (a server stream), and a kill -9 in the middle of the day.

Run: SERVICEDESKD=build/services/server/servicedeskd /usr/bin/python3 tests/e2e/test_routing_process.py
"""

import os
import queue
import subprocess
import sys
import threading
import unittest

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import desk_process  # noqa: E402

from google.protobuf import duration_pb2  # noqa: E402

S = desk_process.stubs()
rt = S.routing_pb2
pb = S.customer_pb2
common = S.common_pb2

REPOSITORY = desk_process.REPOSITORY
AGENT = "agents/a-1"


Session = desk_process.AgentSession


class RoutingProcessTest(unittest.TestCase):
    def desk(self, **kwargs):
        process = desk_process.DeskProcess(**kwargs)
        self.addCleanup(process.close)
        return process

    def define_billing(self, admin):
        admin.CreateSkill(rt.Skill(name="skills/billing", description="Invoices"))
        admin.CreateReasonCode(rt.ReasonCode(name="reasonCodes/lunch"))
        admin.CreateQueue(rt.Queue(
            name="queues/billing", channels=[rt.CONTACT_CHANNEL_CALL],
            skills=[rt.SkillRequirement(skill="skills/billing")],
            offer_timeout=duration_pb2.Duration(seconds=60)))
        admin.CreateAgent(rt.Agent(
            name=AGENT, skills=[rt.SkillRequirement(skill="skills/billing", min_proficiency=6)]))

    def waiting(self, process):
        reply = process.contacts().ListWaitingContacts(
            rt.ListWaitingContactsRequest(queue="queues/billing"))
        return [(c.name, c.enqueue_time.seconds, c.enqueue_time.nanos, c.state)
                for c in reply.contacts]

    def test_kill_9_keeps_every_waiting_contact_in_its_place(self):
        process = self.desk()
        process.start()
        self.define_billing(process.routing_admin())
        contacts = process.contacts()
        names = []
        for adjust in (0, 30, -20, 30, 10, 0):
            names.append(contacts.EnqueueContact(rt.EnqueueContactRequest(
                channel=rt.CONTACT_CHANNEL_CALL, queue="queues/billing",
                priority_adjust=adjust)).name)
        before = self.waiting(process)
        self.assertEqual([b[0] for b in before],
                         [names[1], names[3], names[4], names[0], names[5], names[2]])

        # The agent takes an offer and the desk dies while it rings.
        session = Session(process)
        self.assertEqual(session.next("status").state, rt.AGENT_STATE_NOT_READY)
        process.agents().SetState(rt.SetStateRequest(agent=AGENT, state=rt.AGENT_STATE_READY))
        offer = session.next("offer")
        self.assertEqual(offer.contact, names[1])
        process.kill()  # SIGKILL: no shutdown, no flush
        session.close()

        process.start()
        after = self.waiting(process)
        self.assertEqual(after, before)  # same contacts, order and enqueue times; all WAITING
        status = process.agents().GetAgentStatus(rt.GetAgentStatusRequest(agent=AGENT))
        self.assertEqual(status.state, rt.AGENT_STATE_LOGGED_OUT)

        # The day goes on: the best contact is offered first, and new ids are new.
        session = Session(process)
        session.next("status")
        process.agents().SetState(rt.SetStateRequest(agent=AGENT, state=rt.AGENT_STATE_READY))
        offer = session.next("offer")
        self.assertEqual(offer.contact, names[1])
        accepted = process.agents().AcceptOffer(rt.AcceptOfferRequest(agent=AGENT, offer=offer.name))
        self.assertEqual(accepted.contact, names[1])
        fresh = process.contacts().EnqueueContact(rt.EnqueueContactRequest(
            channel=rt.CONTACT_CHANNEL_CALL, queue="queues/billing"))
        self.assertNotIn(fresh.name, names)
        session.close()
        self.assertEqual(process.stop(), 0)

    def test_the_demo_configuration_routes_a_known_caller_to_an_agent(self):
        with open(os.path.join(REPOSITORY, "deploy", "demo.toml"), encoding="utf-8") as f:
            config = f.read()
        process = self.desk(config_text=config, no_auth=False)
        process.start()
        agent_token = "demo-agent-token-0001"  # agents/a-101
        cti = process.contacts("demo-cti-token-00000001")
        queues = process.routing_admin(agent_token).ListQueues(rt.ListQueuesRequest())
        self.assertEqual(sorted(q.name for q in queues.queues),
                         ["queues/billing", "queues/general", "queues/tech"])
        reasons = process.routing_admin(agent_token).ListReasonCodes(rt.ListReasonCodesRequest())
        self.assertIn("reasonCodes/lunch", [r.name for r in reasons.reason_codes])
        customer = process.customers(agent_token).ListCustomers(
            pb.ListCustomersRequest(page_size=1)).customers[0]

        session = Session(process, token=agent_token)
        self.assertEqual(session.next("status").state, rt.AGENT_STATE_NOT_READY)
        agents = process.agents(agent_token)
        agents.SetState(rt.SetStateRequest(state=rt.AGENT_STATE_READY))
        contact = cti.EnqueueContact(rt.EnqueueContactRequest(
            channel=rt.CONTACT_CHANNEL_CALL, queue="queues/billing", customer=customer.name))
        offer = session.next("offer")
        self.assertEqual(offer.contact, contact.name)
        self.assertTrue(offer.screen_pop.known_caller or offer.screen_pop.customer.name)
        self.assertEqual(offer.screen_pop.customer.name, customer.name)
        agents.AcceptOffer(rt.AcceptOfferRequest(offer=offer.name))
        status = agents.EndContact(rt.EndContactRequest(contact=contact.name))
        self.assertEqual(status.state, rt.AGENT_STATE_WRAP_UP)
        status = agents.CompleteWrapUp(rt.CompleteWrapUpRequest())
        self.assertEqual(status.state, rt.AGENT_STATE_READY)
        # Someone else's agent id is refused, and changes nothing.
        with self.assertRaises(grpc.RpcError) as refused:
            agents.SetState(rt.SetStateRequest(agent="agents/a-102", state=rt.AGENT_STATE_READY))
        self.assertEqual(refused.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
        admin = process.agents("demo-admin-token-0001")
        self.assertEqual(admin.GetAgentStatus(rt.GetAgentStatusRequest(agent="agents/a-102")).state,
                         rt.AGENT_STATE_LOGGED_OUT)
        session.close()
        self.assertEqual(process.stop(), 0)


def console_binary():
    path = os.environ.get("DESK_CONSOLE") or os.path.join(REPOSITORY, "build", "agent-console",
                                                           "desk-console")
    if not os.access(path, os.X_OK):
        raise AssertionError(f"desk-console not found at {path!r} (set DESK_CONSOLE)")
    return path


class ConsoleTest(unittest.TestCase):
    """The agent console's session mode, driven through its standard input."""

    def test_an_agent_takes_a_call_through_the_console(self):
        with open(os.path.join(REPOSITORY, "deploy", "demo.toml"), encoding="utf-8") as f:
            config = f.read()
        process = desk_process.DeskProcess(config_text=config, no_auth=False)
        self.addCleanup(process.close)
        process.start()
        env = dict(os.environ, DESK_ADDRESS=process.address(), DESK_TOKEN="demo-agent-token-0001")
        console = subprocess.Popen([console_binary(), "agent"], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   env=env)
        self.addCleanup(console.kill)
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l.rstrip("\n")) for l in console.stdout],
                         daemon=True).start()

        def expect(prefix, timeout=10.0):
            seen = []
            while True:
                try:
                    line = lines.get(timeout=timeout)
                except queue.Empty:
                    self.fail(f"no line starting {prefix!r}; saw {seen}")
                seen.append(line)
                if line.startswith(prefix):
                    return line

        def send(command):
            console.stdin.write(command + "\n")
            console.stdin.flush()

        expect("[state] NOT_READY (login)")
        send("ready")
        expect("[state] READY")
        cti = process.contacts("demo-cti-token-00000001")
        customer = process.customers("demo-agent-token-0001").ListCustomers(
            pb.ListCustomersRequest(page_size=1)).customers[0]
        contact = cti.EnqueueContact(rt.EnqueueContactRequest(
            channel=rt.CONTACT_CHANNEL_CALL, queue="queues/billing", customer=customer.name))
        offer_line = expect("[offer]")
        self.assertIn(contact.name, offer_line)
        self.assertTrue(expect(customer.display_name).startswith(customer.display_name))
        send("accept")
        self.assertIn(contact.name, expect("connected:"))
        send("end")
        expect("[state] WRAP_UP")
        send("not-ready nap")
        self.assertIn("reason_code", expect("refused:"))
        send("wrap-up")
        expect("[state] READY")
        send("quit")
        self.assertEqual(console.wait(10), 0)
        self.assertEqual(process.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
