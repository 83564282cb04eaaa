#!/usr/bin/python3
"""End-to-end test of the interactive console (`desk-console ui`) driven as a person would,
through tmux (send-keys to type, capture-pane to read the screen), against a real
servicedeskd process: log in, go ready, receive a call pushed by the telephony (CTI), see the
caller's name (in Chinese characters) and history on screen, accept, open a complaint and
fill in its first two steps on the guided form (a wrong answer refused and asked again), hang
up, wrap up with a code that lands on the call's history entry; a refused
command shows the server's message; the screen follows the desk.

Run: SERVICEDESKD=build/services/server/servicedeskd DESK_CONSOLE=build/agent-console/desk-console \
     /usr/bin/python3 tests/e2e/test_console_ui.py
"""

import json
import os
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import desk_process  # noqa: E402

S = desk_process.stubs()
cti = S.cti_pb2
pb = S.customer_pb2
common = S.common_pb2

AGENT_TOKEN = "agent-1-token-000001"
PBX = "pbx-1-token-00000001"
ADMIN = "admin-token-00000001"
SUPERVISOR = "supervisor-token-0001"
CALLER = "+4915123456789"

CONFIG = f"""
[auth]
enabled = true
[[auth.tokens]]
token = "{AGENT_TOKEN}"
principal = "agents/a-1"
role = "agent"
[[auth.tokens]]
token = "{PBX}"
principal = "cti/pbx-1"
role = "cti"
[[auth.tokens]]
token = "{SUPERVISOR}"
principal = "supervisors/s-1"
role = "supervisor"
[[auth.tokens]]
token = "{ADMIN}"
principal = "admins/root"
role = "admin"

[[routing.queues]]
name = "queues/billing"
channels = ["call"]
offer_timeout_seconds = 120

[[routing.agents]]
name = "agents/a-1"

[cti]
default_queue = "queues/billing"
"""


def console_binary():
    path = os.environ.get("DESK_CONSOLE") or os.path.join(desk_process.REPOSITORY, "build", "agent-console",
                                                          "desk-console")
    if not os.path.exists(path):
        raise AssertionError(f"desk-console not found at {path!r} (set DESK_CONSOLE)")
    return path


class Tmux:
    """One tmux server (its own socket) with one window running the console."""

    def __init__(self, command, env, width=110, height=40):
        self.socket = f"servicedesk-ui-{os.getpid()}-{time.monotonic_ns()}"
        environment = " ".join(f"{key}={value}" for key, value in env.items())
        self.tmux("new-session", "-d", "-s", "ui", "-x", str(width), "-y", str(height),
                  f"env {environment} {command}; sleep 600")

    def tmux(self, *args):
        return subprocess.run(["tmux", "-L", self.socket, *args], check=True, capture_output=True,
                              text=True, encoding="utf-8").stdout

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "ui", *keys)

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "ui")

    def wait_for(self, *texts, timeout=15.0):
        """The screen once it shows every one of `texts`."""
        deadline = time.monotonic() + timeout
        while True:
            shown = self.screen()
            if all(text in shown for text in texts):
                return shown
            if time.monotonic() > deadline:
                raise AssertionError(f"the screen never showed {texts!r}; it shows:\n{shown}")
            time.sleep(0.1)

    def close(self):
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


@unittest.skipIf(shutil.which("tmux") is None, "tmux is not installed (apt-get install tmux)")
class ConsoleUiTest(unittest.TestCase):
    def test_an_agent_takes_a_call_on_the_interactive_console(self):
        process = desk_process.DeskProcess(config_text=CONFIG, no_auth=False)
        self.addCleanup(process.close)
        process.start()
        customers = process.customers(ADMIN)
        customer = pb.Customer(kind=pb.CUSTOMER_KIND_INDIVIDUAL, display_name="王小明",
                               preferences={"room": "quiet"})
        customer.phone_numbers.add(number=CALLER, type=pb.PHONE_TYPE_MOBILE)
        created = customers.CreateCustomer(pb.CreateCustomerRequest(customer=customer))
        interaction = pb.Interaction(channel=common.INTERACTION_CHANNEL_CALL, text="asked about the late checkout")
        interaction.start_time.FromSeconds(int(time.time()) - 86400)
        customers.CreateInteraction(pb.CreateInteractionRequest(parent=created.name, interaction=interaction))

        ui = Tmux(f"{console_binary()} ui",
                  {"DESK_ADDRESS": process.address(), "DESK_TOKEN": AGENT_TOKEN, "LANG": "C.UTF-8",
                   "TERM": "xterm-256color"})
        self.addCleanup(ui.close)
        ui.wait_for("a-1 · NOT_READY (login)", "connected", "[q]uit")

        ui.keys("r")
        ui.wait_for("a-1 · READY", "Ready: waiting for a contact.")

        offered = cti.CallEvent(source="pbx-1", event_id="e1", call_id="c1", type=cti.CALL_EVENT_TYPE_OFFERED,
                                calling_number=CALLER, called_number="+49 30 1000 100")
        offered.source_time.FromSeconds(int(time.time()))
        process.cti(PBX).PublishEvent(offered)
        shown = ui.wait_for("OFFER  call from billing", "王小明", "asked about the late checkout",
                            "usual: room=quiet", "[a] accept")
        self.assertIn("s left to answer", shown)

        ui.keys("a")
        ui.wait_for("ON CONTACT contacts/", "call from 王小明", "a-1 · BUSY")

        # The guided complaint form: opened for the caller, then venting and recording, a
        # field at a time; a wrong answer is refused with the reason and asked again.
        ui.keys("c")
        ui.wait_for("the complaint in a few words")
        ui.keys("charged twice for the room", "Enter")
        ui.wait_for("COMPLAINT complaints/", "1 venting", "how many minutes")
        ui.keys("4", "Enter")
        ui.wait_for("the customer's mood [calm/upset/angry/distressed]")
        ui.keys("furious", "Enter")
        ui.wait_for("mood: one of: calm, upset, angry, distressed")
        ui.keys("angry", "Enter")
        ui.wait_for("what the customer said")
        ui.keys("the invoice shows the room twice", "Enter")
        ui.wait_for("what the customer asks for")
        ui.keys("Enter")
        ui.wait_for("2 recording", "category")
        for answer in ["billing", "room 12, two nights", "charged twice on the invoice", "one charge refunded"]:
            ui.keys(answer, "Enter")
            time.sleep(0.2)
        ui.wait_for("severity [low/medium/high/critical]")
        ui.keys("high", "Enter")
        ui.wait_for("3 resolution", "solution, or escalate")
        ui.keys("Escape")
        ui.wait_for("form left at step 3 resolution")
        complaints = process.complaints(ADMIN).ListComplaints(S.complaint_pb2.ListComplaintsRequest(
            customer=created.name))
        self.assertEqual(len(complaints.complaints), 1)
        complaint = complaints.complaints[0]
        self.assertEqual(complaint.step, S.complaint_pb2.COMPLAINT_STEP_RESOLUTION)

        # [c] goes on where the form was left: an apology the customer accepts.
        ui.keys("c")
        ui.wait_for("solution, or escalate [refund/replacement/repair/compensation/apology/explanation/other/escalate]")
        ui.keys("apology", "Enter")
        ui.wait_for("did the customer accept it")
        ui.keys("y", "Enter")
        ui.wait_for("resolved; the follow-up is scheduled", "4 follow-up")
        # The follow-up is the call back the desk routes when it is due: not on this call.
        ui.keys("c")
        ui.wait_for("the follow-up is recorded on its call back, offered as a task at")
        complaint = process.complaints(ADMIN).GetComplaint(S.complaint_pb2.GetComplaintRequest(name=complaint.name))
        self.assertEqual(complaint.step, S.complaint_pb2.COMPLAINT_STEP_FOLLOW_UP)
        self.assertEqual(len(complaint.follow_ups), 0)
        self.assertEqual(complaint.venting.mood, S.complaint_pb2.CUSTOMER_MOOD_ANGRY)
        self.assertEqual(complaint.details.severity, S.complaint_pb2.COMPLAINT_SEVERITY_HIGH)
        self.assertEqual(complaint.source_reference.split("/")[0], "contacts")

        # A refusal is the server's message on the notice line, and the screen goes on.
        ui.keys("n")
        ui.wait_for("not ready, reason code")
        ui.keys("nonsense", "Enter")
        ui.wait_for("reasonCodes/nonsense")

        # The caller hangs up: the telephony says so, the console shows the wrap-up.
        ended = cti.CallEvent(source="pbx-1", event_id="e2", call_id="c1", type=cti.CALL_EVENT_TYPE_ENDED)
        ended.source_time.FromSeconds(int(time.time()))
        process.cti(PBX).PublishEvent(ended)
        ui.wait_for("WRAP-UP of contacts/", "a-1 · WRAP_UP")
        ui.keys("w")
        ui.wait_for("wrap-up code")
        ui.keys("billing-question", "Enter")
        ui.wait_for("notes")
        ui.keys("Enter")
        ui.wait_for("wrap-up done", "a-1 · READY")

        # The customer search: by the start of the name, the file and its history on screen.
        ui.keys("/")
        ui.wait_for("customer: phone, customer number or name")
        ui.keys("王小", "Enter")
        ui.wait_for("customer file   [Esc] close", "asked about the late checkout", "open complaints 1")
        ui.keys("Escape")
        deadline = time.monotonic() + 10
        while "customer file   [Esc] close" in ui.screen():
            self.assertLess(time.monotonic(), deadline, "Escape did not close the view")
            time.sleep(0.1)
        ui.keys("k")
        ui.wait_for("my open tickets", "no open ticket")
        ui.keys("l")
        ui.wait_for("my complaints waiting for a follow-up", f"{complaint.name}  due ", "charged twice for the room")

        history = customers.ListInteractions(pb.ListInteractionsRequest(parent=created.name))
        codes = [i.wrap_up_code for i in history.interactions]
        self.assertIn("billing-question", codes)

        # Keys it has no use for, function keys and non-ASCII among them: nothing breaks.
        for key in ["z", "Z", "9", "~", "F1", "F12", "Up", "Down", "PageUp", "Home", "Tab", "BSpace", "DC", "é",
                    "C-a", "Escape", "x", "e", "a"]:
            ui.keys(key)
        ui.wait_for("a-1 · READY", "[q]uit")
        self.assertIn("Ready: waiting for a contact.", ui.screen())

        # A terminal made small and narrow: the status, the state and the keys stay readable.
        ui.tmux("resize-window", "-t", "ui", "-x", "46", "-y", "8")
        deadline = time.monotonic() + 10
        while True:
            small = ui.screen()
            help_lines = [line for line in small.splitlines() if line.startswith("[q]uit")]
            # Drawn again for 46 columns: the console cut its own key help (tmux would not add "…").
            if help_lines and help_lines[-1].rstrip().endswith("…") and "a-1 · READY" in small:
                break
            self.assertLess(time.monotonic(), deadline, f"not redrawn for the small terminal:\n{small}")
            time.sleep(0.1)
        ui.tmux("resize-window", "-t", "ui", "-x", "110", "-y", "40")
        ui.wait_for("Ready: waiting for a contact.", "[l]follow-ups")

        ui.keys("q")
        deadline = time.monotonic() + 10
        while "[q]uit" in ui.screen():
            if time.monotonic() > deadline:
                self.fail("the console did not quit")
            time.sleep(0.1)


@unittest.skipIf(shutil.which("tmux") is None, "tmux is not installed (apt-get install tmux)")
class WallboardTest(unittest.TestCase):
    def test_a_supervisor_watches_and_acts_on_the_wallboard(self):
        process = desk_process.DeskProcess(config_text=CONFIG, no_auth=False)
        self.addCleanup(process.close)
        process.start()
        board = Tmux(f"{console_binary()} wallboard",
                     {"DESK_ADDRESS": process.address(), "DESK_TOKEN": SUPERVISOR, "LANG": "C.UTF-8",
                      "TERM": "xterm-256color"}, width=130)
        self.addCleanup(board.close)
        board.wait_for("wallboard · live · service_level_1 = answered<=T / answered", "billing")

        session = desk_process.AgentSession(process, token=AGENT_TOKEN)
        self.addCleanup(session.close)
        session.next("status")
        board.wait_for("a-1            NOT_READY    login")

        # Force the agent ready from the board.
        board.keys("s")
        board.wait_for("agent:")
        board.keys("a-1", "Enter")
        board.wait_for("ready, or a reason code")
        board.keys("ready", "Enter")
        board.wait_for("why, for the audit")
        board.keys("queue is filling up", "Enter")
        board.wait_for("agents/a-1 is READY", "a-1            READY")

        offered = cti.CallEvent(source="pbx-1", event_id="w1", call_id="c9", type=cti.CALL_EVENT_TYPE_OFFERED,
                                calling_number=CALLER, called_number="+49 30 1000 100")
        offered.source_time.FromSeconds(int(time.time()))
        process.cti(PBX).PublishEvent(offered)
        offer = session.next("offer")
        board.wait_for("a-1            RESERVED")

        board.keys("t")
        board.wait_for("trace of contact:")
        board.keys(offer.contact.split("/")[1], "Enter")
        board.wait_for(f"{offer.name}: {offer.contact} to agents/a-1 in queues/billing by")

        # An unknown agent: the server's refusal on the notice line.
        board.keys("o")
        board.wait_for("log out agent:")
        board.keys("nobody", "Enter")
        board.wait_for("why, for the audit")
        board.keys("Enter")
        board.wait_for("agents/nobody")

        board.keys("2")
        board.wait_for("service_level_2 = answered<=T / (answered + abandoned)")


class ConsoleScriptedTest(unittest.TestCase):
    """Scripted mode: exit codes tell usage errors, refusals, not found and an unreachable
    server apart; --json prints the message for scripts."""

    def run_console(self, *args, token=ADMIN, address=None):
        env = dict(os.environ, DESK_ADDRESS=address or self.process.address(), DESK_TOKEN=token)
        return subprocess.run([console_binary(), *args], capture_output=True, text=True, encoding="utf-8",
                              env=env, timeout=30)

    def test_exit_codes_and_json(self):
        self.process = desk_process.DeskProcess(config_text=CONFIG, no_auth=False)
        self.addCleanup(self.process.close)
        self.process.start()

        usage = self.run_console("no-such-command")
        self.assertEqual(usage.returncode, 2)
        self.assertIn("Usage:", usage.stderr)
        self.assertIn("subcommand", usage.stderr)
        self.assertEqual(self.run_console("ticket", "show").returncode, 2)  # the id is missing

        missing = self.run_console("ticket", "show", "424242")
        self.assertEqual(missing.returncode, 4, missing.stderr)
        self.assertIn("not found", missing.stderr)
        self.assertNotIn("grpc", missing.stderr.lower())

        refused = self.run_console("queue", "stats", token=AGENT_TOKEN)
        self.assertEqual(refused.returncode, 1)
        self.assertIn("role agent may not call", refused.stderr)

        # The full-screen modes on a terminal they cannot draw on: a usage error, the terminal untouched.
        env = dict(os.environ, DESK_ADDRESS=self.process.address(), DESK_TOKEN=AGENT_TOKEN, TERM="nosuchterm")
        no_terminal = subprocess.run([console_binary(), "ui"], capture_output=True, text=True, env=env,
                                     stdin=subprocess.DEVNULL, timeout=30)
        self.assertEqual(no_terminal.returncode, 2)
        self.assertIn("this terminal cannot be drawn on", no_terminal.stderr)

        unreachable = self.run_console("ping", address="127.0.0.1:1")
        self.assertEqual(unreachable.returncode, 3)

        # A settings file gives the address and the token; a key it does not know is a usage error.
        settings = os.path.join(self.process.workdir, "desk-console.toml")
        with open(settings, "w", encoding="utf-8") as out:
            out.write(f'address = "{self.process.address()}"\ntoken = "{SUPERVISOR}"\n')
        env = {k: v for k, v in os.environ.items() if k not in ("DESK_ADDRESS", "DESK_TOKEN")}
        pinged = subprocess.run([console_binary(), "--config", settings, "ping"], capture_output=True, text=True,
                                env=env, timeout=30)
        self.assertEqual(pinged.returncode, 0, pinged.stderr)
        self.assertIn("supervisors/s-1", pinged.stdout)
        with open(settings, "a", encoding="utf-8") as out:
            out.write('colour = "red"\n')
        wrong = subprocess.run([console_binary(), "--config", settings, "ping"], capture_output=True, text=True,
                               env=env, timeout=30)
        self.assertEqual(wrong.returncode, 2)
        self.assertIn("colour: not a setting of the console", wrong.stderr)

        stats = self.run_console("--json", "queue", "stats", "billing")
        self.assertEqual(stats.returncode, 0, stats.stderr)
        parsed = json.loads(stats.stdout)
        self.assertEqual(parsed["queues"][0]["queue"], "queues/billing")


if __name__ == "__main__":
    unittest.main(verbosity=2)
