#!/usr/bin/python3
"""End-to-end test of TLS through a real servicedeskd process: with [server.tls] the server
speaks only TLS (a plain-text client fails, a client that trusts the CA is served, the
console with --tls-ca too); with mutual TLS a client without a certificate signed by the
clients' CA is refused. Certificates are made at test time with openssl.

Run: SERVICEDESKD=build/services/server/servicedeskd DESK_CONSOLE=build/agent-console/desk-console \
     /usr/bin/python3 tests/e2e/test_tls_process.py
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import desk_process  # noqa: E402

S = desk_process.stubs()
diag = S.diagnostics_pb2

ADMIN = "admin-token-00000001"


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certificates(directory):
    """A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=servicedesk test CA", cwd=directory)
    with open(os.path.join(directory, "server.ext"), "w", encoding="ascii") as out:
        out.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name, extra in (("server", ["-extfile", "server.ext"]), ("client", [])):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj",
                f"/CN={name}", cwd=directory)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", f"{name}.pem", "-days", "2", *extra, cwd=directory)

    def read(name):
        with open(os.path.join(directory, name), "rb") as f:
            return f.read()

    return {name: read(name) for name in ("ca.pem", "server.pem", "server.key", "client.pem", "client.key")}


def config(directory, mutual):
    text = f"""
[server.tls]
cert_file = "{directory}/server.pem"
key_file = "{directory}/server.key"
"""
    if mutual:
        text += f'client_ca_file = "{directory}/ca.pem"\nrequire_client_certificate = true\n'
    text += f"""
[auth]
enabled = true
[[auth.tokens]]
token = "{ADMIN}"
principal = "admins/root"
role = "admin"
"""
    return text


def console_binary():
    path = os.environ.get("DESK_CONSOLE") or os.path.join(desk_process.REPOSITORY, "build", "agent-console",
                                                          "desk-console")
    if not os.path.exists(path):
        raise AssertionError(f"desk-console not found at {path!r} (set DESK_CONSOLE)")
    return path


@unittest.skipIf(shutil.which("openssl") is None, "openssl is not installed (apt-get install openssl)")
class TlsProcessTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="servicedesk-tls-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.pem = make_certificates(self.dir)

    def ping(self, channel):
        stub = S.diagnostics_pb2_grpc.DiagnosticsServiceStub(channel)
        return stub.Ping(diag.PingRequest(), timeout=5, metadata=[("authorization", f"Bearer {ADMIN}")])

    def test_the_server_speaks_tls_and_the_console_verifies_it(self):
        process = desk_process.DeskProcess(config_text=config(self.dir, mutual=False), no_auth=False,
                                           tls=(self.pem["ca.pem"], None, None))
        self.addCleanup(process.close)
        process.start()
        self.assertEqual(self.ping(process.channel()).principal, "admins/root")

        with self.assertRaises(grpc.RpcError) as plain:
            self.ping(grpc.insecure_channel(process.address()))
        self.assertEqual(plain.exception.code(), grpc.StatusCode.UNAVAILABLE)

        env = dict(os.environ, DESK_ADDRESS=process.address(), DESK_TOKEN=ADMIN)
        verified = subprocess.run([console_binary(), "--tls-ca", f"{self.dir}/ca.pem", "ping"], capture_output=True,
                                  text=True, env=env, timeout=30)
        self.assertEqual(verified.returncode, 0, verified.stderr)
        self.assertIn("admins/root", verified.stdout)
        # Trusting only the system's roots: the test CA is not among them.
        untrusted = subprocess.run([console_binary(), "--tls", "ping"], capture_output=True, text=True, env=env,
                                   timeout=30)
        self.assertEqual(untrusted.returncode, 3, untrusted.stdout)
        missing = subprocess.run([console_binary(), "--tls-ca", f"{self.dir}/nowhere.pem", "ping"],
                                 capture_output=True, text=True, env=env, timeout=30)
        self.assertEqual(missing.returncode, 2)
        self.assertIn("nowhere.pem", missing.stderr)

    def test_mutual_tls_refuses_a_client_without_a_certificate(self):
        process = desk_process.DeskProcess(config_text=config(self.dir, mutual=True), no_auth=False,
                                           tls=(self.pem["ca.pem"], self.pem["client.key"], self.pem["client.pem"]))
        self.addCleanup(process.close)
        process.start()
        self.assertEqual(self.ping(process.channel()).principal, "admins/root")

        without = grpc.secure_channel(process.address(), grpc.ssl_channel_credentials(self.pem["ca.pem"]))
        with self.assertRaises(grpc.RpcError) as refused:
            self.ping(without)
        self.assertEqual(refused.exception.code(), grpc.StatusCode.UNAVAILABLE)

        env = dict(os.environ, DESK_ADDRESS=process.address(), DESK_TOKEN=ADMIN)
        console = subprocess.run([console_binary(), "--tls-ca", f"{self.dir}/ca.pem", "--tls-cert",
                                  f"{self.dir}/client.pem", "--tls-key", f"{self.dir}/client.key", "ping"],
                                 capture_output=True, text=True, env=env, timeout=30)
        self.assertEqual(console.returncode, 0, console.stderr)

    def test_a_half_configured_tls_stops_the_start_naming_the_field(self):
        text = f'[server.tls]\ncert_file = "{self.dir}/server.pem"\n'
        process = desk_process.DeskProcess(config_text=text)
        self.addCleanup(process.close)
        process.spawn()
        code = process.wait_exit()
        self.assertEqual(code, 2)
        self.assertIn("server.tls: cert_file and key_file go together", process.stderr())


if __name__ == "__main__":
    unittest.main(verbosity=2)
