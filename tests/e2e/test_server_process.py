#!/usr/bin/python3
"""End-to-end tests of servicedeskd as a process: signals, restarts, the data-directory
lock, the schema version, authentication, configuration errors and logs.

Every test starts its own server(s) on 127.0.0.1:0 with a temporary data directory.
The schema-version test needs RocksDB's `ldb` tool (Debian: rocksdb-tools) and is
skipped, saying so, without it.

Run: SERVICEDESKD=build/services/server/servicedeskd /usr/bin/python3 tests/e2e/test_server_process.py
"""

import json
import os
import shutil
import signal
import subprocess
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
health_pb2 = S.health_pb2

SCHEMA_VERSION_KEY_HEX = "0x" + b"schema_version".hex()


def find_ldb():
    for name in ("ldb", "rocksdb_ldb", "rocksdb-ldb"):
        path = shutil.which(name)
        if path:
            return path
    return None


def individual(display_name, *phones):
    customer = pb.Customer(kind=pb.CUSTOMER_KIND_INDIVIDUAL, display_name=display_name)
    for number in phones:
        customer.phone_numbers.add(number=number, type=pb.PHONE_TYPE_MOBILE)
    return customer


class ProcessTestCase(unittest.TestCase):
    def desk(self, **kwargs):
        """A DeskProcess that is killed and removed when the test ends, whatever happens."""
        process = desk_process.DeskProcess(**kwargs)
        self.addCleanup(process.close)
        return process

    def assertStopsCleanly(self, process, signum=signal.SIGTERM):
        code = process.stop(signum=signum)
        self.assertEqual(code, 0, f"servicedeskd exited with {code} on "
                                  f"{signal.Signals(signum).name}\nstderr:\n{process.stderr()}")

    def assertRefusedToStart(self, process, code, *needles):
        """The process exits by itself with `code`, its last stderr line being the
        'servicedeskd: ...' error naming all of `needles`. Returns the stderr lines."""
        started = time.monotonic()
        actual = process.wait_exit(timeout=desk_process.EXIT_TIMEOUT)
        elapsed = time.monotonic() - started
        stderr = process.stderr()
        self.assertEqual(actual, code, f"exit code {actual}, expected {code}\nstderr:\n{stderr}")
        self.assertLess(elapsed, desk_process.EXIT_TIMEOUT)
        lines = stderr.splitlines()
        self.assertTrue(lines, "nothing on stderr")
        line = lines[-1]
        self.assertTrue(line.startswith("servicedeskd: "), f"unexpected error line: {line!r}")
        for needle in needles:
            self.assertIn(needle, line)
        return lines

    def assertOneLine(self, lines):
        """A refusal to start is a single line on stderr, nothing else."""
        self.assertEqual(len(lines), 1, f"expected exactly one line on stderr, got "
                                        f"{len(lines)}:\n" + "\n".join(lines))

    def assertServing(self, process):
        reply = process.health().Check(health_pb2.HealthCheckRequest(service=""))
        self.assertEqual(reply.status, health_pb2.HealthCheckResponse.SERVING)

    def assertRpcCode(self, code, fn, *args):
        with self.assertRaises(grpc.RpcError) as caught:
            fn(*args)
        self.assertEqual(caught.exception.code(), code,
                         f"expected {code.name}, got {caught.exception.code().name}: "
                         f"{caught.exception.details()}")
        return caught.exception


# ------------------------------------------------------------------------------------------
# (a) graceful stop and restart


class RestartTest(ProcessTestCase):
    def test_sigterm_exits_zero_and_data_survives_a_restart(self):
        desk = self.desk(no_sync=False)
        desk.start()
        api = desk.customers()
        created = api.CreateCustomer(pb.CreateCustomerRequest(
            customer=individual("Rita Restart", "+49 30 7000001"), request_id="restart-req-1"))
        interaction = api.CreateInteraction(pb.CreateInteractionRequest(
            parent=created.name,
            interaction=pb.Interaction(channel=common.INTERACTION_CHANNEL_CALL,
                                       start_time=timestamp_pb2.Timestamp(seconds=1768467600),
                                       text="before the restart")))
        self.assertStopsCleanly(desk)
        self.assertFalse(desk.running())

        desk.start()
        api = desk.customers()
        self.assertEqual(api.GetCustomer(pb.GetCustomerRequest(name=created.name)), created)
        context = api.GetCustomerContext(pb.GetCustomerContextRequest(phone_number="030 7000001"))
        self.assertTrue(context.known_caller)
        self.assertEqual(context.customer, created)
        self.assertEqual(list(context.recent_interactions), [interaction])
        # The idempotency key survived too, and new ids do not reuse old ones.
        again = api.CreateCustomer(pb.CreateCustomerRequest(
            customer=individual("Rita Restart", "+49 30 7000001"), request_id="restart-req-1"))
        self.assertEqual(again, created)
        other = api.CreateCustomer(pb.CreateCustomerRequest(
            customer=individual("Second After Restart", "+49 30 7000002")))
        self.assertNotEqual(other.name, created.name)
        self.assertNotEqual(other.customer_number, created.customer_number)
        listed = api.ListCustomers(pb.ListCustomersRequest())
        self.assertEqual(sorted(c.name for c in listed.customers),
                         sorted([created.name, other.name]))

        # SIGINT is a graceful stop as well.
        self.assertStopsCleanly(desk, signal.SIGINT)
        desk.start()
        self.assertEqual(len(desk.customers().ListCustomers(
            pb.ListCustomersRequest()).customers), 2)
        self.assertStopsCleanly(desk)


# ------------------------------------------------------------------------------------------
# (b) one process per data directory


class DataDirectoryLockTest(ProcessTestCase):
    def test_second_server_on_the_same_data_dir_is_refused(self):
        first = self.desk()
        first.start()
        api = first.customers()
        created = api.CreateCustomer(pb.CreateCustomerRequest(
            customer=individual("Lock Holder", "+49 30 7100001")))

        second = self.desk(data_dir=first.data_dir)
        second.spawn()
        stderr_lines = self.assertRefusedToStart(second, 2, "locked")
        self.assertFalse(os.path.exists(second.port_file),
                         "the refused server wrote a port file")

        # The first one is unaffected.
        self.assertTrue(first.running())
        self.assertServing(first)
        self.assertEqual(api.GetCustomer(pb.GetCustomerRequest(name=created.name)), created)
        api.CreateCustomer(pb.CreateCustomerRequest(
            customer=individual("After The Refusal", "+49 30 7100002")))
        self.assertEqual(len(api.ListCustomers(pb.ListCustomersRequest()).customers), 2)
        self.assertStopsCleanly(first)
        self.assertOneLine(stderr_lines)


# ------------------------------------------------------------------------------------------
# (c) a data directory from a newer schema


class SchemaVersionTest(ProcessTestCase):
    def ldb(self, *args):
        result = subprocess.run([self.ldb_path, *args], capture_output=True, text=True,
                                timeout=60)
        self.assertEqual(result.returncode, 0,
                         f"ldb {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def schema_version_hex(self, data_dir):
        out = self.ldb(f"--db={data_dir}", "--column_family=meta", "--key_hex", "--value_hex",
                       "get", SCHEMA_VERSION_KEY_HEX)
        return out.strip().lower()

    def test_newer_schema_version_is_refused(self):
        self.ldb_path = find_ldb()
        if self.ldb_path is None:
            self.skipTest("RocksDB's ldb tool is not installed (apt-get install rocksdb-tools)")
        desk = self.desk()
        desk.start()
        desk.customers().CreateCustomer(pb.CreateCustomerRequest(
            customer=individual("Schema Person", "+49 30 7200001")))
        self.assertStopsCleanly(desk)
        self.assertEqual(self.schema_version_hex(desk.data_dir), "0x00000007")

        self.ldb(f"--db={desk.data_dir}", "--column_family=meta", "--key_hex", "--value_hex",
                 "put", SCHEMA_VERSION_KEY_HEX, "0x00000063")
        self.assertEqual(self.schema_version_hex(desk.data_dir), "0x00000063")

        desk.spawn()
        stderr_lines = self.assertRefusedToStart(desk, 2, "schema version", "99")
        self.assertFalse(os.path.exists(desk.port_file))
        # Refused, not touched.
        self.assertEqual(self.schema_version_hex(desk.data_dir), "0x00000063")
        self.assertOneLine(stderr_lines)


# ------------------------------------------------------------------------------------------
# (d) authentication and roles

AGENT_TOKEN = "agent-token-e2e-0123456789"
SUPERVISOR_TOKEN = "supervisor-token-e2e-0123456789"
CTI_TOKEN = "cti-token-e2e-0123456789"
ADMIN_TOKEN = "admin-token-e2e-0123456789"

AUTH_CONFIG = f"""
[phone]
default_region = "DE"

[auth]
enabled = true

[[auth.tokens]]
token = "{AGENT_TOKEN}"
principal = "agents/a-1"
role = "agent"

[[auth.tokens]]
token = "{SUPERVISOR_TOKEN}"
principal = "supervisors/s-1"
role = "supervisor"

[[auth.tokens]]
token = "{CTI_TOKEN}"
principal = "cti/pbx-1"
role = "cti"

[[auth.tokens]]
token = "{ADMIN_TOKEN}"
principal = "admins/root"
role = "admin"
"""


class AuthTest(ProcessTestCase):
    def test_tokens_and_roles(self):
        desk = self.desk(config_text=AUTH_CONFIG, no_auth=False, default_region=None)
        desk.start()
        UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED
        DENIED = grpc.StatusCode.PERMISSION_DENIED
        pop = pb.GetCustomerContextRequest(phone_number="030 7300001")

        # Health is open to everyone.
        self.assertServing(desk)
        reply = desk.health(token="no-such-token-at-all").Check(health_pb2.HealthCheckRequest())
        self.assertEqual(reply.status, health_pb2.HealthCheckResponse.SERVING)

        # No token, an unknown token, a token without "Bearer ".
        self.assertRpcCode(UNAUTHENTICATED, desk.customers().GetCustomerContext, pop)
        self.assertRpcCode(UNAUTHENTICATED,
                           desk.customers(token="unknown-token-0123456789").GetCustomerContext,
                           pop)
        self.assertRpcCode(UNAUTHENTICATED, desk.customers().GetCustomerContext, pop,
                           None, [("authorization", AGENT_TOKEN)])
        self.assertRpcCode(UNAUTHENTICATED, desk.customers().ListCustomers,
                           pb.ListCustomersRequest())
        self.assertRpcCode(UNAUTHENTICATED, desk.diagnostics().Ping, S.diagnostics_pb2.PingRequest())

        # cti may not open the customer file.
        cti = desk.customers(token=CTI_TOKEN)
        error = self.assertRpcCode(DENIED, cti.GetCustomerContext, pop)
        self.assertIn("cti", error.details())
        self.assertRpcCode(DENIED, cti.CreateCustomer,
                           pb.CreateCustomerRequest(customer=individual("Cti Made", "+49 30 7300009")))
        pong = desk.diagnostics(token=CTI_TOKEN).Ping(S.diagnostics_pb2.PingRequest())
        self.assertEqual((pong.principal, pong.role), ("cti/pbx-1", "cti"))

        # The agent works with the file...
        agent = desk.customers(token=AGENT_TOKEN)
        created = agent.CreateCustomer(pb.CreateCustomerRequest(
            customer=individual("Auth Agent Customer", "+49 30 7300001")))
        context = agent.GetCustomerContext(pop)
        self.assertTrue(context.known_caller)
        self.assertEqual(context.customer, created)
        self.assertEqual(len(agent.ListCustomers(pb.ListCustomersRequest()).customers), 1)
        pong = desk.diagnostics(token=AGENT_TOKEN).Ping(S.diagnostics_pb2.PingRequest())
        self.assertEqual((pong.principal, pong.role), ("agents/a-1", "agent"))

        # ...but may not import; nothing is imported.
        record = pb.ImportCustomersRequest(record=pb.ImportRecord(
            external_id="crm-auth-1", customer=individual("Imported By Agent", "+49 30 7300002")))
        error = self.assertRpcCode(DENIED, agent.ImportCustomers, iter([record]))
        self.assertIn("ImportCustomers", error.details())
        self.assertRpcCode(UNAUTHENTICATED, desk.customers().ImportCustomers, iter([record]))
        self.assertRpcCode(DENIED, desk.customers(token=SUPERVISOR_TOKEN).ImportCustomers,
                           iter([record]))
        self.assertEqual(len(agent.LookupCustomers(
            pb.LookupCustomersRequest(external_id="crm-auth-1")).customers), 0)

        # The supervisor reads, the admin imports.
        supervisor = desk.customers(token=SUPERVISOR_TOKEN)
        self.assertTrue(supervisor.GetCustomerContext(pop).known_caller)
        report = desk.customers(token=ADMIN_TOKEN).ImportCustomers(iter([record]))
        self.assertEqual((report.received, report.created, len(report.errors)), (1, 1, 0))
        self.assertEqual(len(agent.LookupCustomers(
            pb.LookupCustomersRequest(external_id="crm-auth-1")).customers), 1)
        self.assertStopsCleanly(desk)


# ------------------------------------------------------------------------------------------
# (e) configuration errors


class ConfigErrorTest(ProcessTestCase):
    def test_unknown_config_key_exits_2_naming_the_key(self):
        cases = [
            ("[storage]\ndata_dirr = \"/tmp/elsewhere\"\n", "storage.data_dirr"),
            ("[server]\nlisten_port = 50051\n", "server.listen_port"),
            ("[loging]\nlevel = \"debug\"\n", "loging"),
            ("[auth]\nenabled = true\n[[auth.tokens]]\ntoken = \"" + AGENT_TOKEN + "\"\n"
             "principal = \"agents/a-1\"\nrole = \"agent\"\nscope = \"all\"\n",
             "auth.tokens[0].scope"),
        ]
        for text, key in cases:
            with self.subTest(key=key):
                desk = self.desk(config_text=text)
                desk.spawn()
                self.assertOneLine(self.assertRefusedToStart(desk, 2, key))
                self.assertFalse(os.path.exists(desk.port_file))
                self.assertFalse(os.path.exists(desk.data_dir),
                                 "the data directory was created despite the config error")


# ------------------------------------------------------------------------------------------
# (f) structured logs without personal data


class JsonLogTest(ProcessTestCase):
    def test_json_logs_are_json_and_hold_no_personal_data(self):
        desk = self.desk(log_format="json")
        desk.start()
        api = desk.customers()
        secret_name = "Jolanda Verschwiegen"
        customer = individual(secret_name, "030 5556677", "+49 171 9876543")
        customer.individual.given_name = "Jolanda"
        customer.individual.family_name = "Verschwiegen"
        customer.emails.add(address="jolanda.verschwiegen@example.org")
        created = api.CreateCustomer(pb.CreateCustomerRequest(customer=customer,
                                                              request_id="json-log-req-1"))
        api.CreateInteraction(pb.CreateInteractionRequest(
            parent=created.name,
            interaction=pb.Interaction(channel=common.INTERACTION_CHANNEL_CALL,
                                       text="Jolanda asked about her invoice")))
        context = api.GetCustomerContext(
            pb.GetCustomerContextRequest(phone_number="+49 30 5556677",
                                         contact="calls/c-1"))
        self.assertTrue(context.known_caller)
        self.assertEqual(len(api.LookupCustomers(
            pb.LookupCustomersRequest(phone_number="0171 9876543")).customers), 1)
        # A refused request too: its message echoes the input, it must not reach the log.
        with self.assertRaises(grpc.RpcError):
            api.CreateCustomer(pb.CreateCustomerRequest(
                customer=individual("Jolanda Verschwiegen", "Jolanda-Verschwiegen")))
        self.assertStopsCleanly(desk)

        stderr = desk.stderr()
        lines = stderr.splitlines()
        self.assertTrue(lines, "servicedeskd logged nothing")
        events = []
        for number, line in enumerate(lines, 1):
            try:
                entry = json.loads(line)
            except ValueError as error:
                self.fail(f"stderr line {number} is not JSON ({error}): {line!r}")
            self.assertIsInstance(entry, dict, f"stderr line {number} is not an object: {line!r}")
            for key in ("time", "level", "event"):
                self.assertIn(key, entry, f"stderr line {number} has no {key!r}: {line!r}")
            events.append(entry["event"])
        for expected in ("server.serving", "customer.created", "server.stopped"):
            self.assertIn(expected, events, f"no {expected} event in:\n{stderr}")

        for secret in ("Jolanda", "Verschwiegen", "jolanda", "5556677", "9876543",
                       "example.org"):
            for number, line in enumerate(lines, 1):
                self.assertNotIn(secret, line,
                                 f"stderr line {number} contains personal data {secret!r}")


# ------------------------------------------------------------------------------------------
# (g) server reflection, as grpcurl or Postman would use it


class ReflectionTest(ProcessTestCase):
    def test_reflection_lists_the_desk_services_and_serves_their_descriptors(self):
        desk = self.desk()
        desk.start()
        reflection_pb2 = desk_process.stubs().reflection_pb2
        requests = [
            reflection_pb2.ServerReflectionRequest(list_services=""),
            reflection_pb2.ServerReflectionRequest(
                file_containing_symbol="servicedesk.v1.CustomerService"),
        ]
        responses = list(desk.reflection().ServerReflectionInfo(
            iter(requests), timeout=desk_process.CALL_TIMEOUT))
        self.assertEqual(len(responses), 2)
        services = {s.name for s in responses[0].list_services_response.service}
        for expected in ("servicedesk.v1.CustomerService", "servicedesk.v1.DiagnosticsService",
                         "grpc.health.v1.Health"):
            self.assertIn(expected, services)
        from google.protobuf import descriptor_pb2
        files = [descriptor_pb2.FileDescriptorProto.FromString(raw)
                 for raw in responses[1].file_descriptor_response.file_descriptor_proto]
        methods = {m.name for f in files for svc in f.service if svc.name == "CustomerService"
                   for m in svc.method}
        self.assertIn("GetCustomerContext", methods)
        self.assertStopsCleanly(desk)


if __name__ == "__main__":
    unittest.main(verbosity=2)
