#!/usr/bin/python3
"""End-to-end test of the supervisors' live view through a real servicedeskd process, as an
outside client sees it: a WatchQueues stream follows contacts entering, answered and
abandoned; after a kill -9 the figures of today and the interval history are what was
acknowledged, and a new watcher's snapshot shows them.

Run: SERVICEDESKD=build/services/server/servicedeskd /usr/bin/python3 tests/e2e/test_supervisor_process.py
"""

import os
import queue
import signal
import sys
import threading
import time
import unittest

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import desk_process  # noqa: E402

from google.protobuf import timestamp_pb2  # noqa: E402

S = desk_process.stubs()
rt = S.routing_pb2
sv = S.supervisor_pb2

AGENT = "agents/a-1"
QUEUE = "queues/billing"


class Watcher:
    """A WatchQueues stream read on a thread into a queue."""

    def __init__(self, process, **request):
        stub = S.supervisor_pb2_grpc.SupervisorServiceStub(process.channel())
        self.call = stub.WatchQueues(sv.WatchQueuesRequest(**request))
        self.updates = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            for update in self.call:
                self.updates.put(update)
        except grpc.RpcError as error:
            self.updates.put(error)

    def until(self, predicate, timeout=10.0):
        """The first update (from now on) whose billing record satisfies `predicate`."""
        deadline = time.monotonic() + timeout
        while True:
            update = self.updates.get(timeout=max(0.01, deadline - time.monotonic()))
            if isinstance(update, grpc.RpcError):
                raise AssertionError(f"watch ended: {update.code()} {update.details()}")
            for record in update.queues:
                if record.queue == QUEUE and predicate(record):
                    return update, record

    def close(self):
        self.call.cancel()
        self.thread.join(10)


def figure(period, name):
    for f in period.figures:
        if f.name == name:
            return f.value if f.defined else None
    raise KeyError(name)


class SupervisorProcessTest(unittest.TestCase):
    def test_a_watcher_follows_the_queue_and_the_figures_survive_kill_9(self):
        process = desk_process.DeskProcess()
        self.addCleanup(process.close)
        process.start()
        admin = process.routing_admin()
        admin.CreateQueue(rt.Queue(name=QUEUE, channels=[rt.CONTACT_CHANNEL_CALL]))
        admin.CreateAgent(rt.Agent(name=AGENT, team="north"))

        watcher = Watcher(process, updates_per_second=10)
        self.addCleanup(watcher.close)
        first, billing = watcher.until(lambda q: True)
        self.assertTrue(first.snapshot)
        self.assertEqual(billing.waiting, 0)
        self.assertEqual(billing.agents_staffed, 0)
        self.assertEqual([c.status for c in first.tickets.counts], ["new", "open", "pending"])

        session = desk_process.AgentSession(process, AGENT)
        self.addCleanup(session.close)
        session.next("status")
        process.agents().SetState(rt.SetStateRequest(agent=AGENT, state=rt.AGENT_STATE_READY))
        watcher.until(lambda q: q.agents_ready == 1 and q.agents_staffed == 1)

        contacts = process.contacts()
        names = [contacts.EnqueueContact(rt.EnqueueContactRequest(
            channel=rt.CONTACT_CHANNEL_CALL, queue=QUEUE)).name for _ in range(5)]
        offer = session.next("offer")
        process.agents().AcceptOffer(rt.AcceptOfferRequest(agent=AGENT, offer=offer.name))
        for name in names[-2:]:
            contacts.AbandonContact(rt.AbandonContactRequest(contact=name))

        _, billing = watcher.until(lambda q: q.today.abandoned == 2 and q.today.answered == 1)
        self.assertEqual(billing.waiting, 2)
        self.assertEqual(billing.agents_busy, 1)
        self.assertEqual(billing.today.offered, 5)
        self.assertEqual(figure(billing.today, "abandon_rate"), 2 / 5)
        self.assertEqual(figure(billing.today, "service_level_1"), 1.0)  # answered at once
        self.assertGreater(billing.oldest_wait.seconds + billing.oldest_wait.nanos, 0)

        # kill -9: what was acknowledged is on disk with the events that made it.
        process.send_signal(signal.SIGKILL)
        process.wait_exit()
        process.start()
        statistics = process.supervisor().GetQueueStatistics(sv.GetQueueStatisticsRequest(queue=QUEUE))
        today = statistics.queues[0].today
        self.assertEqual((today.offered, today.answered, today.abandoned), (5, 1, 2))

        watcher_after = Watcher(process, queues=[QUEUE], updates_per_second=1)
        self.addCleanup(watcher_after.close)
        snapshot, billing = watcher_after.until(lambda q: True)
        self.assertTrue(snapshot.snapshot)
        self.assertEqual(billing.waiting, 2)  # the waiting contacts came back
        self.assertEqual(billing.agents_staffed, 0)  # every agent is logged out after a restart
        self.assertEqual(billing.today.offered, 5)

        now = int(time.time())
        history = process.supervisor().ListIntervalStatistics(sv.ListIntervalStatisticsRequest(
            queue=QUEUE, start_time=timestamp_pb2.Timestamp(seconds=now - 3600),
            end_time=timestamp_pb2.Timestamp(seconds=now + 60)))
        self.assertGreaterEqual(len(history.intervals), 1)
        self.assertEqual(sum(i.statistics.offered for i in history.intervals), 5)
        self.assertEqual(sum(i.statistics.abandoned for i in history.intervals), 2)

        with self.assertRaises(grpc.RpcError) as refused:
            process.supervisor().ListIntervalStatistics(sv.ListIntervalStatisticsRequest(
                queue=QUEUE, start_time=timestamp_pb2.Timestamp(seconds=now)))
        self.assertEqual(refused.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("end_time", refused.exception.details())


if __name__ == "__main__":
    unittest.main(verbosity=2)
