#!/usr/bin/python3
"""End-to-end test of tickets as a mail or web-form integration written by someone else would
use them: Python grpcio, stubs generated at test time, a real servicedeskd process, a kill -9
in the middle.

Run: SERVICEDESKD=build/services/server/servicedeskd /usr/bin/python3 tests/e2e/test_ticket_process.py
"""

import os
import sys
import unittest

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import desk_process  # noqa: E402

S = desk_process.stubs()
tk = S.ticket_pb2
pb = S.customer_pb2
common = S.common_pb2

CONFIG = """
[auth]
enabled = true
[[auth.tokens]]
token = "agent-1-token-000001"
principal = "agents/a-1"
role = "agent"

[[routing.queues]]
name = "queues/billing"
channels = ["ticket"]
[[routing.agents]]
name = "agents/a-1"

[tickets]
business_hours = false
first_response_minutes = 60
resolution_minutes = 240
"""

AGENT = "agent-1-token-000001"


class TicketProcessTest(unittest.TestCase):
    def test_tickets_through_a_real_process_survive_kill_9(self):
        process = desk_process.DeskProcess(config_text=CONFIG, no_auth=False, no_sync=False)
        self.addCleanup(process.close)
        process.start()
        customers = process.customers(AGENT)
        tickets = process.tickets(AGENT)
        customer = customers.CreateCustomer(pb.CreateCustomerRequest(customer=pb.Customer(
            kind=pb.CUSTOMER_KIND_INDIVIDUAL, display_name="Ada Lovelace"))).name

        request = tk.CreateTicketRequest(request_id="web-form-881", ticket=tk.Ticket(
            customer=customer, subject="Cannot log in", description="Password reset mail never arrives.",
            channel=common.INTERACTION_CHANNEL_EMAIL, queue="queues/billing"))
        ticket = tickets.CreateTicket(request)
        self.assertEqual(ticket.status, tk.TICKET_STATUS_NEW)
        self.assertEqual([d.target for d in ticket.deadlines], ["first_response", "resolution"])
        self.assertEqual(ticket.deadlines[0].goal.seconds, 3600)
        # The integration retries after a timeout: the same ticket, not a second one.
        self.assertEqual(tickets.CreateTicket(request).name, ticket.name)

        pending = tickets.ChangeStatus(tk.ChangeStatusRequest(
            ticket=ticket.name, status=tk.TICKET_STATUS_PENDING,
            pending_reason=tk.PENDING_REASON_WAITING_ON_CUSTOMER))
        self.assertEqual(pending.deadlines[0].state, "paused")

        # A forbidden change: FAILED_PRECONDITION naming both statuses; nothing changes.
        with self.assertRaises(grpc.RpcError) as refused:
            tickets.ChangeStatus(tk.ChangeStatusRequest(ticket=ticket.name, status=tk.TICKET_STATUS_CLOSED))
        self.assertEqual(refused.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("pending", refused.exception.details())
        self.assertIn("closed", refused.exception.details())
        # An oversized description: INVALID_ARGUMENT naming the field.
        with self.assertRaises(grpc.RpcError) as oversized:
            tickets.CreateTicket(tk.CreateTicketRequest(ticket=tk.Ticket(
                customer=customer, subject="x", description="y" * 20001)))
        self.assertEqual(oversized.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertTrue(oversized.exception.details().startswith("ticket.description:"))

        process.kill()  # SIGKILL: every acknowledged change must be there after the restart
        process.start()
        tickets = process.tickets(AGENT)
        after = tickets.GetTicket(tk.GetTicketRequest(name=ticket.name))
        self.assertEqual(after.status, tk.TICKET_STATUS_PENDING)
        self.assertEqual(after.pending_reason, tk.PENDING_REASON_WAITING_ON_CUSTOMER)
        listed = tickets.ListTickets(tk.ListTicketsRequest(customer=customer)).tickets
        self.assertEqual([t.name for t in listed], [ticket.name])
        pop = process.customers(AGENT).GetCustomerContext(pb.GetCustomerContextRequest(customer=customer))
        self.assertEqual([t.name for t in pop.open_tickets], [ticket.name])
        self.assertEqual(pop.open_tickets[0].status, "pending")
        history = process.customers(AGENT).ListInteractions(pb.ListInteractionsRequest(parent=customer))
        self.assertEqual(len(history.interactions), 2)  # created, pending
        self.assertEqual(process.stop(), 0)

    def test_a_waiting_ticket_keeps_its_place_through_kill_9_and_an_agent_picks_it(self):
        process = desk_process.DeskProcess(config_text=CONFIG, no_auth=False, no_sync=False)
        self.addCleanup(process.close)
        process.start()
        customer = process.customers(AGENT).CreateCustomer(pb.CreateCustomerRequest(customer=pb.Customer(
            kind=pb.CUSTOMER_KIND_INDIVIDUAL, display_name="Alan Turing"))).name
        tickets = process.tickets(AGENT)
        ticket = tickets.CreateTicket(tk.CreateTicketRequest(ticket=tk.Ticket(
            customer=customer, subject="Refund for order 5512", queue="queues/billing")))
        # No agent is ready: it waits in its queue as a ticket contact.
        self.assertEqual(ticket.contact_state, "WAITING")
        self.assertTrue(ticket.contact.startswith("contacts/"))

        process.kill()
        process.start()
        tickets = process.tickets(AGENT)
        after = tickets.GetTicket(tk.GetTicketRequest(name=ticket.name))
        self.assertEqual(after.contact, ticket.contact)  # the same contact, still waiting
        self.assertEqual(after.contact_state, "WAITING")

        session = desk_process.AgentSession(process, token=AGENT)
        self.addCleanup(session.close)
        session.next("status")  # logged in, not ready: no offers, but may pick
        picked = tickets.PickTicket(tk.PickTicketRequest(ticket=ticket.name))
        self.assertEqual(picked.assignee, "agents/a-1")
        self.assertEqual(picked.status, tk.TICKET_STATUS_OPEN)
        self.assertEqual(picked.contact_state, "CONNECTED")
        # Handed back with a reason longer than allowed: refused naming the field, still theirs.
        with self.assertRaises(grpc.RpcError) as refused:
            tickets.HandBackTicket(tk.HandBackTicketRequest(ticket=ticket.name, reason="r" * 501))
        self.assertEqual(refused.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertTrue(refused.exception.details().startswith("reason:"))
        self.assertEqual(tickets.GetTicket(tk.GetTicketRequest(name=ticket.name)).assignee, "agents/a-1")
        back = tickets.HandBackTicket(tk.HandBackTicketRequest(ticket=ticket.name, reason="billing team"))
        self.assertEqual(back.assignee, "")
        self.assertEqual(back.contact_state, "WAITING")
        session.close()
        self.assertEqual(process.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
