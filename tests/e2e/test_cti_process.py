#!/usr/bin/python3
"""End-to-end test of CTI as a telephony integration written by someone else would use it:
Python grpcio, stubs generated at test time, a real servicedeskd process killed with
SIGKILL in the middle of a burst of calls.

Run: SERVICEDESKD=build/services/server/servicedeskd /usr/bin/python3 tests/e2e/test_cti_process.py
"""

import os
import queue
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import desk_process  # noqa: E402

S = desk_process.stubs()
cti = S.cti_pb2
rt = S.routing_pb2
pb = S.customer_pb2
sv = S.supervisor_pb2

CONFIG = """
[auth]
enabled = true
[[auth.tokens]]
token = "pbx-1-token-00000001"
principal = "cti/pbx-1"
role = "cti"
[[auth.tokens]]
token = "admin-token-00000001"
principal = "admins/root"
role = "admin"

[[routing.queues]]
name = "queues/billing"
channels = ["call", "callback"]

[cti]
default_queue = "queues/billing"
callback_min_wait_seconds = 0
"""

PBX = "pbx-1-token-00000001"
ADMIN = "admin-token-00000001"


def event(event_id, call_id, kind, number):
    message = cti.CallEvent(source="pbx-1", event_id=event_id, call_id=call_id, type=kind,
                            calling_number=number, called_number="+49 30 1000 100")
    message.source_time.FromSeconds(int(time.time()))
    return message


class CtiProcessTest(unittest.TestCase):
    def test_acknowledged_events_survive_kill_9_and_are_never_applied_twice(self):
        process = desk_process.DeskProcess(config_text=CONFIG, no_auth=False, no_sync=False)
        self.addCleanup(process.close)
        process.start()
        pbx = process.cti(PBX)
        sent = []
        # Twenty calls offered; every second caller hangs up while waiting.
        for i in range(20):
            number = f"+49151200000{i:02d}"
            offered = event(f"e-{i}-1", f"call-{i}", cti.CALL_EVENT_TYPE_OFFERED, number)
            self.assertEqual(pbx.PublishEvent(offered).status, cti.ACK_STATUS_ACCEPTED)
            sent.append(offered)
            if i % 2 == 1:
                ended = event(f"e-{i}-2", f"call-{i}", cti.CALL_EVENT_TYPE_ENDED, number)
                self.assertEqual(pbx.PublishEvent(ended).status, cti.ACK_STATUS_ACCEPTED)
                sent.append(ended)
        # The supervisors' counters were fed by the same events: 20 calls and 10 callbacks
        # offered, 10 abandoned (at once: short abandons, within T).
        stats = process.supervisor(ADMIN).GetQueueStatistics(
            sv.GetQueueStatisticsRequest(queue="queues/billing")).queues[0].today
        self.assertEqual((stats.offered, stats.offered_callbacks, stats.abandoned, stats.answered),
                         (30, 10, 10, 0))
        figures = {f.name: f for f in stats.figures}
        self.assertAlmostEqual(figures["abandon_rate"].value, 10 / 30)
        self.assertFalse(figures["service_level_1"].defined)  # nothing answered yet
        self.assertEqual(figures["service_level_2"].formula, "answered<=T / (answered + abandoned)")
        process.kill()  # SIGKILL right after the last acknowledgement

        process.start()
        pbx = process.cti(PBX)
        # The telephony re-sends everything it is unsure of: all duplicates.
        for message in sent:
            self.assertEqual(pbx.PublishEvent(message).status, cti.ACK_STATUS_DUPLICATE,
                             message.event_id)
        waiting = process.contacts(ADMIN).ListWaitingContacts(
            rt.ListWaitingContactsRequest(queue="queues/billing")).contacts
        calls = [c for c in waiting if c.channel == rt.CONTACT_CHANNEL_CALL]
        callbacks = [c for c in waiting if c.channel == rt.CONTACT_CHANNEL_CALLBACK]
        self.assertEqual(len(calls), 10)      # the ten still waiting, once each
        self.assertEqual(len(callbacks), 10)  # one callback per caller who gave up
        customers = process.customers(ADMIN)
        for i in range(20):
            holders = customers.LookupCustomers(
                pb.LookupCustomersRequest(phone_number=f"+49151200000{i:02d}")).customers
            self.assertEqual(len(holders), 1, i)  # one file per caller, not two
            history = customers.ListInteractions(
                pb.ListInteractionsRequest(parent=holders[0].name)).interactions
            self.assertEqual(len(history), 1 if i % 2 == 1 else 0, i)
        # A malformed event is refused naming the field, and the stream of events goes on.
        bad = event("e-bad", "call-x", cti.CALL_EVENT_TYPE_OFFERED, "no number")
        ack = pbx.PublishEvent(bad)
        self.assertEqual(ack.status, cti.ACK_STATUS_REJECTED)
        self.assertEqual(ack.field, "calling_number")
        self.assertEqual(process.stop(), 0)


    def test_a_stream_is_acknowledged_event_by_event(self):
        process = desk_process.DeskProcess(config_text=CONFIG, no_auth=False, no_sync=False)
        self.addCleanup(process.close)
        process.start()
        outgoing = queue.Queue()

        def requests():
            while True:
                message = outgoing.get()
                if message is None:
                    return
                yield message

        stub = S.cti_pb2_grpc.CtiServiceStub(process.channel())
        replies = stub.StreamEvents(requests(), metadata=[("authorization", f"Bearer {PBX}")],
                                    timeout=30)
        outgoing.put(cti.CtiClientMessage(hello=cti.CtiHello(source="pbx-1")))
        # A burst of events, pipelined: the acknowledgements come back in order.
        ids = []
        for i in range(50):
            message = event(f"s-{i}", f"stream-call-{i % 10}",
                            cti.CALL_EVENT_TYPE_OFFERED if i < 10 else cti.CALL_EVENT_TYPE_QUEUED,
                            f"+4915130000{i % 10:03d}")
            ids.append(message.event_id)
            outgoing.put(cti.CtiClientMessage(event=message))
        outgoing.put(cti.CtiClientMessage())  # garbage: rejected, the stream goes on
        outgoing.put(cti.CtiClientMessage(event=event("s-0", "stream-call-0",
                                                      cti.CALL_EVENT_TYPE_OFFERED,
                                                      "+4915130000000")))
        outgoing.put(None)  # done sending: the server finishes after the last acknowledgement
        acks = [reply.ack for reply in replies if reply.WhichOneof("message") == "ack"]
        self.assertEqual([a.event_id for a in acks[:50]], ids)
        self.assertTrue(all(a.status == cti.ACK_STATUS_ACCEPTED for a in acks[:50]))
        self.assertEqual(acks[50].status, cti.ACK_STATUS_REJECTED)
        self.assertEqual(acks[50].field, "message")
        self.assertEqual(acks[51].status, cti.ACK_STATUS_DUPLICATE)
        waiting = process.contacts(ADMIN).ListWaitingContacts(
            rt.ListWaitingContactsRequest(queue="queues/billing")).contacts
        self.assertEqual(len(waiting), 10)
        self.assertEqual(process.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
