"""Real servicedeskd processes for the end-to-end tests.

The tests talk to the server as any outside client would: over gRPC, with stubs
generated from the public .proto files at test time. This module

  * generates those stubs once per Python process (stubs()),
  * starts servicedeskd on 127.0.0.1:0 with its own data directory and port file
    and waits until the gRPC health service reports SERVING (DeskProcess.start()),
  * stops it with SIGTERM and returns the exit code (DeskProcess.stop()),
  * kills whatever is still running when a test or the interpreter ends.

Environment:
  SERVICEDESKD           the server binary (default: the first of build/, build-e2e/
                         under the repository that holds one)
  SERVICEDESK_PROTO_DIR  the directory that holds servicedesk/v1/*.proto
                         (default: <repository>/proto)

Only the standard library, grpc and google.protobuf are used; run with /usr/bin/python3
(Debian's python3-grpcio).
"""

import atexit
import glob
import importlib
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import types

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
REPOSITORY = os.path.abspath(os.path.join(HERE, "..", ".."))

PROTOC = "/usr/bin/protoc"
GRPC_PYTHON_PLUGIN = "/usr/bin/grpc_python_plugin"
HEALTH_PROTO_DIR = os.path.join(HERE, "..", "support", "protos", "grpc", "health", "v1")
REFLECTION_PROTO_DIR = os.path.join(HERE, "..", "support", "protos", "grpc", "reflection",
                                    "v1alpha")

CALL_TIMEOUT = 10.0    # deadline of every RPC, seconds
START_TIMEOUT = 20.0   # from exec to SERVING
STOP_TIMEOUT = 20.0    # from SIGTERM to exit (the server's own grace period is 5 s)
EXIT_TIMEOUT = 10.0    # for processes that are expected to refuse to start

# Proxies from the environment must not reroute calls to 127.0.0.1.
CHANNEL_OPTIONS = [("grpc.enable_http_proxy", 0)]


class ServerError(AssertionError):
    """The server did not start, stop or answer as a server must; carries its stderr."""


# --------------------------------------------------------------------------------------
# Locations


def server_binary():
    path = os.environ.get("SERVICEDESKD")
    if path:
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise ServerError(f"SERVICEDESKD={path!r} is not an executable file")
        return os.path.abspath(path)  # the server runs in its own working directory
    for build in ("build", "build-e2e"):
        candidate = os.path.join(REPOSITORY, build, "services", "server", "servicedeskd")
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise ServerError("servicedeskd not found: set SERVICEDESKD to the server binary")


def proto_dir():
    path = os.path.abspath(os.environ.get("SERVICEDESK_PROTO_DIR") or
                           os.path.join(REPOSITORY, "proto"))
    if not glob.glob(os.path.join(path, "servicedesk", "v1", "*.proto")):
        raise ServerError(f"no servicedesk/v1/*.proto under {path!r} (SERVICEDESK_PROTO_DIR)")
    return path


# --------------------------------------------------------------------------------------
# Stubs

_stubs = None
_stub_dir = None


def _protoc(include_dirs, files, out_dir):
    command = [PROTOC]
    for include in include_dirs:
        command += ["-I", include]
    command += [
        f"--python_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        f"--plugin=protoc-gen-grpc_python={GRPC_PYTHON_PLUGIN}",
    ] + list(files)
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise ServerError(
            f"protoc failed ({result.returncode}): {' '.join(command)}\n{result.stderr}")


def stubs():
    """The generated modules, as one namespace (generated on first use)."""
    global _stubs, _stub_dir
    if _stubs is not None:
        return _stubs
    protos = proto_dir()
    out_dir = tempfile.mkdtemp(prefix="servicedesk-e2e-stubs-")
    atexit.register(shutil.rmtree, out_dir, True)
    files = sorted(glob.glob(os.path.join(protos, "servicedesk", "v1", "*.proto")))
    includes = [protos]
    # protoc finds google/protobuf/*.proto by itself; /usr/include is where Debian keeps them.
    if os.path.isfile("/usr/include/google/protobuf/timestamp.proto"):
        includes.append("/usr/include")
    _protoc(includes, files, out_dir)
    # The health proto is compiled from its own directory: its module becomes the top-level
    # "health_pb2", which cannot collide with the installed "grpc" package.
    _protoc([HEALTH_PROTO_DIR], [os.path.join(HEALTH_PROTO_DIR, "health.proto")], out_dir)
    _protoc([REFLECTION_PROTO_DIR], [os.path.join(REFLECTION_PROTO_DIR, "reflection.proto")],
            out_dir)
    sys.path.insert(0, out_dir)
    importlib.invalidate_caches()
    names = {}
    for module in ("common_pb2", "customer_pb2", "customer_pb2_grpc", "diagnostics_pb2",
                   "diagnostics_pb2_grpc", "events_pb2", "routing_pb2", "routing_pb2_grpc", "cti_pb2",
                   "cti_pb2_grpc", "supervisor_pb2", "supervisor_pb2_grpc", "ticket_pb2",
                   "ticket_pb2_grpc", "complaint_pb2", "complaint_pb2_grpc", "customer_value_pb2",
                   "customer_value_pb2_grpc", "survey_pb2", "survey_pb2_grpc"):
        names[module] = importlib.import_module(f"servicedesk.v1.{module}")
    names["health_pb2"] = importlib.import_module("health_pb2")
    names["health_pb2_grpc"] = importlib.import_module("health_pb2_grpc")
    names["reflection_pb2"] = importlib.import_module("reflection_pb2")
    names["reflection_pb2_grpc"] = importlib.import_module("reflection_pb2_grpc")
    _stub_dir = out_dir
    _stubs = types.SimpleNamespace(**names)
    return _stubs


class Client:
    """A stub whose every call carries a deadline and, when given, a bearer token.

    client.Method(request) works like stub.Method(request, timeout=..., metadata=...);
    an explicit timeout= or metadata= is kept (the token is appended to the metadata).
    """

    def __init__(self, stub, token=None, timeout=CALL_TIMEOUT):
        self._stub = stub
        self._token = token
        self._timeout = timeout

    def __getattr__(self, name):
        method = getattr(self._stub, name)

        def call(request, timeout=None, metadata=None, **kwargs):
            pairs = list(metadata or ())
            if self._token is not None:
                pairs.append(("authorization", f"Bearer {self._token}"))
            return method(request, timeout=self._timeout if timeout is None else timeout,
                          metadata=pairs or None, **kwargs)

        return call


# --------------------------------------------------------------------------------------
# Processes

_live = set()


def _kill_all_live():
    for process in list(_live):
        process.kill()


atexit.register(_kill_all_live)

# If the test process dies (a CTest timeout, a crash), the kernel kills the server too
# instead of orphaning it: util-linux's setpriv sets the parent-death signal and execs the
# server (the child keeps its pid). Without setpriv, atexit and the tests' cleanups remain.
_SETPRIV = shutil.which("setpriv")


def _with_parent_death_signal(argv):
    if _SETPRIV is None:
        return argv
    return [_SETPRIV, "--pdeathsig", "KILL", "--"] + argv


class DeskProcess:
    """One servicedeskd data directory and the process(es) run on it, one at a time.

    start() may be called again after stop() to restart on the same data directory.
    close() kills a running process and removes the temporary directory (a data_dir
    passed in by the caller is left alone).
    """

    def __init__(self, data_dir=None, *, default_region="DE", no_auth=True, no_sync=True,
                 config_text=None, log_format=None, log_level=None, extra_args=(), tls=None):
        # tls: None for plain text, else (root_certificates, private_key, certificate_chain) as
        # grpc.ssl_channel_credentials takes them (bytes; the last two may be None).
        self.tls = tls
        self.workdir = tempfile.mkdtemp(prefix="servicedesk-e2e-")
        self.data_dir = data_dir or os.path.join(self.workdir, "data")
        self.default_region = default_region
        self.no_auth = no_auth
        self.no_sync = no_sync
        self.log_format = log_format
        self.log_level = log_level
        self.extra_args = list(extra_args)
        self.config_path = None
        if config_text is not None:
            self.config_path = os.path.join(self.workdir, "servicedeskd.toml")
            with open(self.config_path, "w", encoding="utf-8") as out:
                out.write(config_text)
        self.port_file = os.path.join(self.workdir, "port")
        self.proc = None
        self.port = None
        self.runs = 0
        self.stderr_path = None
        self.stdout_path = None
        self._output_files = []
        self._channels = []

    # -- command line

    def argv(self):
        argv = [server_binary(), "--listen", "127.0.0.1:0", "--data-dir", self.data_dir,
                "--port-file", self.port_file]
        if self.config_path:
            argv += ["--config", self.config_path]
        if self.default_region:
            argv += ["--default-region", self.default_region]
        if self.log_format:
            argv += ["--log-format", self.log_format]
        if self.log_level:
            argv += ["--log-level", self.log_level]
        if self.no_auth:
            argv.append("--no-auth")
        if self.no_sync:
            argv.append("--no-sync")
        return argv + self.extra_args

    # -- life cycle

    def spawn(self):
        """Starts the process without waiting for anything."""
        if self.running():
            raise ServerError("servicedeskd is already running on this DeskProcess")
        self._close_channels()
        if os.path.exists(self.port_file):
            os.unlink(self.port_file)
        self.port = None
        self.runs += 1
        self._close_output_files()
        # Files, not pipes: nobody has to drain them while the server runs.
        self.stdout_path = os.path.join(self.workdir, f"stdout.{self.runs}.log")
        self.stderr_path = os.path.join(self.workdir, f"stderr.{self.runs}.log")
        stdout = open(self.stdout_path, "wb")
        stderr = open(self.stderr_path, "wb")
        self._output_files = [stdout, stderr]
        self.proc = subprocess.Popen(_with_parent_death_signal(self.argv()),
                                     stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                     cwd=self.workdir)
        _live.add(self)
        return self

    def start(self, timeout=START_TIMEOUT):
        """Starts the process and returns once the health service reports SERVING."""
        self.spawn()
        self._wait_until_serving(timeout)
        return self

    def _wait_until_serving(self, timeout):
        s = stubs()
        deadline = time.monotonic() + timeout
        health = None
        last_error = "no health check made"
        while True:
            code = self.proc.poll()
            if code is not None:
                _live.discard(self)
                raise ServerError(
                    f"servicedeskd exited with {code} before serving\n"
                    f"command: {' '.join(self.argv())}\nstderr:\n{self.output()}")
            if self.port is None and os.path.exists(self.port_file):
                with open(self.port_file, encoding="ascii") as f:
                    text = f.read().strip()
                if text.isdigit() and int(text) > 0:
                    self.port = int(text)
                    health = s.health_pb2_grpc.HealthStub(self.channel())
            if health is not None:
                remaining = deadline - time.monotonic()
                try:
                    reply = health.Check(s.health_pb2.HealthCheckRequest(service=""),
                                         timeout=max(0.1, min(1.0, remaining)))
                    if reply.status == s.health_pb2.HealthCheckResponse.SERVING:
                        return
                    last_error = f"health status {reply.status}"
                except grpc.RpcError as error:
                    last_error = f"{error.code()}: {error.details()}"
            if time.monotonic() > deadline:
                self.kill()
                where = (f"port file {self.port_file} never appeared" if self.port is None
                         else f"port {self.port}, last health check: {last_error}")
                raise ServerError(
                    f"servicedeskd did not report SERVING within {timeout:.0f} s ({where})\n"
                    f"command: {' '.join(self.argv())}\nstderr:\n{self.output()}")
            time.sleep(0.05)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def send_signal(self, signum):
        if self.running():
            self.proc.send_signal(signum)

    def stop(self, timeout=STOP_TIMEOUT, signum=signal.SIGTERM):
        """Sends SIGTERM (or signum) and returns the exit code."""
        self._close_channels()
        if self.proc is None:
            raise ServerError("servicedeskd was never started")
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise ServerError(f"servicedeskd did not exit within {timeout:.0f} s of "
                              f"{signal.Signals(signum).name}\nstderr:\n{self.output()}")
        _live.discard(self)
        return code

    def wait_exit(self, timeout=EXIT_TIMEOUT):
        """For a process expected to exit on its own: its exit code."""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise ServerError(f"servicedeskd was expected to exit but still ran after "
                              f"{timeout:.0f} s\nstderr:\n{self.output()}")
        _live.discard(self)
        return code

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        _live.discard(self)

    def close(self):
        self.kill()
        self._close_channels()
        self._close_output_files()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- output

    @staticmethod
    def _read(path):
        if path is None or not os.path.exists(path):
            return ""
        with open(path, "rb") as f:
            return f.read().decode("utf-8", errors="replace")

    def stderr(self):
        """What the current (or last) run wrote to stderr."""
        return self._read(self.stderr_path)

    def stdout(self):
        """What the current (or last) run wrote to stdout."""
        return self._read(self.stdout_path)

    def output(self):
        """stderr, and stdout when there is any: for failure messages."""
        out = self.stdout()
        return self.stderr() + (f"\n(stdout:)\n{out}" if out else "")

    def _close_output_files(self):
        for f in self._output_files:
            f.close()
        self._output_files = []

    # -- clients

    def address(self):
        if self.port is None:
            raise ServerError("servicedeskd is not serving")
        return f"127.0.0.1:{self.port}"

    def channel(self):
        if self.tls is None:
            channel = grpc.insecure_channel(self.address(), options=CHANNEL_OPTIONS)
        else:
            root, key, chain = self.tls
            channel = grpc.secure_channel(self.address(), grpc.ssl_channel_credentials(root, key, chain),
                                          options=CHANNEL_OPTIONS)
        self._channels.append(channel)
        return channel

    def customers(self, token=None, timeout=CALL_TIMEOUT):
        return Client(stubs().customer_pb2_grpc.CustomerServiceStub(self.channel()), token,
                      timeout)

    def diagnostics(self, token=None, timeout=CALL_TIMEOUT):
        return Client(stubs().diagnostics_pb2_grpc.DiagnosticsServiceStub(self.channel()), token,
                      timeout)

    def agents(self, token=None, timeout=CALL_TIMEOUT):
        return Client(stubs().routing_pb2_grpc.AgentServiceStub(self.channel()), token, timeout)

    def contacts(self, token=None, timeout=CALL_TIMEOUT):
        return Client(stubs().routing_pb2_grpc.ContactServiceStub(self.channel()), token, timeout)

    def routing_admin(self, token=None, timeout=CALL_TIMEOUT):
        return Client(stubs().routing_pb2_grpc.RoutingAdminServiceStub(self.channel()), token,
                      timeout)

    def cti(self, token=None, timeout=CALL_TIMEOUT):
        return Client(stubs().cti_pb2_grpc.CtiServiceStub(self.channel()), token, timeout)

    def tickets(self, token=None, timeout=CALL_TIMEOUT):
        return Client(stubs().ticket_pb2_grpc.TicketServiceStub(self.channel()), token, timeout)

    def complaints(self, token=None, timeout=CALL_TIMEOUT):
        return Client(stubs().complaint_pb2_grpc.ComplaintServiceStub(self.channel()), token, timeout)

    def values(self, token=None, timeout=CALL_TIMEOUT):
        return Client(stubs().customer_value_pb2_grpc.CustomerValueServiceStub(self.channel()), token, timeout)

    def surveys(self, token=None, timeout=CALL_TIMEOUT):
        return Client(stubs().survey_pb2_grpc.SurveyServiceStub(self.channel()), token, timeout)

    def supervisor(self, token=None, timeout=CALL_TIMEOUT):
        return Client(stubs().supervisor_pb2_grpc.SupervisorServiceStub(self.channel()), token,
                      timeout)

    def health(self, token=None, timeout=CALL_TIMEOUT):
        return Client(stubs().health_pb2_grpc.HealthStub(self.channel()), token, timeout)

    def reflection(self):
        """The raw reflection stub (a bidirectional stream; no token needed)."""
        return stubs().reflection_pb2_grpc.ServerReflectionStub(self.channel())

    def _close_channels(self):
        for channel in self._channels:
            channel.close()
        self._channels = []


class AgentSession:
    """An agent's Connect stream, read on a thread into a queue."""

    def __init__(self, process, agent="agents/a-1", token=None):
        metadata = [("authorization", f"Bearer {token}")] if token else None
        stub = stubs().routing_pb2_grpc.AgentServiceStub(process.channel())
        self.call = stub.Connect(stubs().routing_pb2.ConnectRequest(agent=agent if token is None else ""),
                                 metadata=metadata)
        self.events = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            for event in self.call:
                self.events.put(event)
        except grpc.RpcError as error:
            self.events.put(error)

    def next(self, kind, timeout=10.0):
        """The next event that has `kind` set ("status", "offer", ...)."""
        while True:
            event = self.events.get(timeout=timeout)
            if isinstance(event, grpc.RpcError):
                raise AssertionError(f"session ended: {event.code()} {event.details()}")
            if event.WhichOneof("event") == kind:
                return getattr(event, kind)

    def close(self):
        self.call.cancel()
        self.thread.join(10)
