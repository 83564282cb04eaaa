#!/usr/bin/python3
"""End-to-end tests of the customer file, through a real servicedeskd.

The tests act as an outside client: stubs generated from proto/servicedesk/v1 at test
time, one server process for the class (--default-region DE --no-auth), every call with
a deadline. Each test uses its own phone numbers and external ids, so the tests do not
depend on each other's data or order.

Run: SERVICEDESKD=build/services/server/servicedeskd /usr/bin/python3 tests/e2e/test_customer_file.py
"""

import os
import sys
import unittest

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import desk_process  # noqa: E402

from google.protobuf import field_mask_pb2, timestamp_pb2  # noqa: E402

S = desk_process.stubs()
pb = S.customer_pb2
common = S.common_pb2

# 2026-01-15T09:00:00Z: a fixed past base time for interaction start times.
BASE_SECONDS = 1768467600
HOUR = 3600
DAY = 24 * HOUR


def ts(seconds):
    return timestamp_pb2.Timestamp(seconds=seconds)


class CustomerFileTest(unittest.TestCase):
    server = None

    @classmethod
    def setUpClass(cls):
        cls.server = desk_process.DeskProcess(default_region="DE")
        try:
            cls.server.start()
        except BaseException:
            cls.server.close()
            raise
        cls.api = cls.server.customers()

    @classmethod
    def tearDownClass(cls):
        server = cls.server
        try:
            code = server.stop()
            if code != 0:
                raise AssertionError(
                    f"servicedeskd exited with {code} on SIGTERM\nstderr:\n{server.stderr()}")
        finally:
            server.close()

    # ---------------------------------------------------------------------------------
    # helpers

    def assertRpcError(self, code, field_or_none, fn, *args):
        """Calls fn(*args), which must fail with `code`, the message naming `field`."""
        with self.assertRaises(grpc.RpcError) as caught:
            fn(*args)
        error = caught.exception
        self.assertEqual(error.code(), code,
                         f"expected {code.name}, got {error.code().name}: {error.details()}")
        if field_or_none is not None:
            self.assertIn(field_or_none, error.details() or "",
                          f"the error message does not name {field_or_none!r}")
        return error

    def create(self, display_name, phones=(), **fields):
        customer = pb.Customer(kind=pb.CUSTOMER_KIND_INDIVIDUAL, display_name=display_name,
                               **fields)
        for number in phones:
            customer.phone_numbers.add(number=number, type=pb.PHONE_TYPE_MOBILE)
        return self.api.CreateCustomer(pb.CreateCustomerRequest(customer=customer))

    def add_interaction(self, customer_name, start_seconds, text,
                        channel=common.INTERACTION_CHANNEL_CALL, **fields):
        return self.api.CreateInteraction(pb.CreateInteractionRequest(
            parent=customer_name,
            interaction=pb.Interaction(channel=channel, start_time=ts(start_seconds), text=text,
                                       **fields)))

    def list_all_customers(self):
        """Every stored customer, through ListCustomers paging (serialised, for comparison)."""
        result = []
        token = ""
        for _ in range(1000):
            page = self.api.ListCustomers(pb.ListCustomersRequest(page_size=500, page_token=token))
            result.extend(c.SerializeToString(deterministic=True) for c in page.customers)
            token = page.next_page_token
            if not token:
                return result
        self.fail("ListCustomers never stopped returning page tokens")

    def list_all_interactions(self, parent, page_size, channels=()):
        pages = []
        token = ""
        for _ in range(1000):
            page = self.api.ListInteractions(pb.ListInteractionsRequest(
                parent=parent, page_size=page_size, page_token=token, channels=list(channels)))
            pages.append(list(page.interactions))
            token = page.next_page_token
            if not token:
                return pages
        self.fail("ListInteractions never stopped returning page tokens")

    # ---------------------------------------------------------------------------------
    # (a) the screen pop by phone number

    def test_screen_pop_by_phone_number_in_other_written_forms(self):
        customer = pb.Customer(
            kind=pb.CUSTOMER_KIND_INDIVIDUAL,
            display_name="Erika Mustermann",
            individual=pb.IndividualProfile(given_name="Erika", family_name="Mustermann",
                                            date_of_birth=pb.Date(year=1964, month=8, day=12),
                                            occupation="Architektin", language="de"),
            notes="Prefers to be called back in the morning.",
            tier=common.CUSTOMER_TIER_KEY_IMPORTANT,
            lifecycle_state=common.LIFECYCLE_STATE_LOYAL,
            owner_agent="agents/a-102",
        )
        customer.phone_numbers.add(number="030 1234567", type=pb.PHONE_TYPE_HOME, label="home")
        customer.phone_numbers.add(number="+49 151 23456789", type=pb.PHONE_TYPE_MOBILE)
        customer.emails.add(address="erika.mustermann@example.org", label="private")
        customer.preferences["callback"] = "mornings"
        created = self.api.CreateCustomer(pb.CreateCustomerRequest(customer=customer))

        self.assertRegex(created.name, r"^customers/[1-9][0-9]*$")
        self.assertTrue(created.customer_number)
        self.assertEqual([p.number for p in created.phone_numbers],
                         ["+49301234567", "+4915123456789"])
        self.assertTrue(created.HasField("create_time"))

        # Five interactions, created out of start_time order.
        offsets = [3, 1, 5, 2, 4]
        channels = [common.INTERACTION_CHANNEL_CALL, common.INTERACTION_CHANNEL_EMAIL,
                    common.INTERACTION_CHANNEL_CHAT, common.INTERACTION_CHANNEL_CALL,
                    common.INTERACTION_CHANNEL_NOTE]
        made = {}
        for offset, channel in zip(offsets, channels):
            made[offset] = self.add_interaction(
                created.name, BASE_SECONDS + offset * DAY, f"contact on day {offset}", channel,
                direction=common.DIRECTION_INBOUND, agent="agents/a-102",
                outcome=f"outcome {offset}")
            self.assertTrue(made[offset].name.startswith(created.name + "/interactions/"),
                            made[offset].name)
        latest_first = [made[o] for o in sorted(made, reverse=True)]

        stored = self.api.GetCustomer(pb.GetCustomerRequest(name=created.name))
        self.assertEqual(stored, created)

        for written in ("+49 30 1234567", "0049301234567", "030/123 45 67", "+49 (0)30 1234567"):
            with self.subTest(phone_number=written):
                context = self.api.GetCustomerContext(
                    pb.GetCustomerContextRequest(phone_number=written, interaction_limit=3))
                self.assertTrue(context.known_caller)
                self.assertEqual(context.normalized_phone_number, "+49301234567")
                self.assertEqual(context.customer, stored)
                self.assertEqual(len(context.other_matches), 0)
                self.assertEqual(list(context.recent_interactions), latest_first[:3])
                self.assertEqual([i.text for i in context.recent_interactions],
                                 ["contact on day 5", "contact on day 4", "contact on day 3"])

        # The default limit covers all five; the second number finds the same file.
        context = self.api.GetCustomerContext(
            pb.GetCustomerContextRequest(phone_number="0151 23456789"))
        self.assertTrue(context.known_caller)
        self.assertEqual(context.normalized_phone_number, "+4915123456789")
        self.assertEqual(context.customer, stored)
        self.assertEqual(list(context.recent_interactions), latest_first)
        starts = [i.start_time.seconds for i in context.recent_interactions]
        self.assertEqual(starts, sorted(starts, reverse=True))

        # interaction_limit 1, and by resource name instead of phone.
        context = self.api.GetCustomerContext(
            pb.GetCustomerContextRequest(customer=created.name, interaction_limit=1))
        self.assertTrue(context.known_caller)
        self.assertEqual(context.customer, stored)
        self.assertEqual(list(context.recent_interactions), latest_first[:1])
        self.assertEqual(context.recent_interactions[0].channel, common.INTERACTION_CHANNEL_CHAT)
        self.assertEqual(context.recent_interactions[0].outcome, "outcome 5")

        # Out-of-range limits are refused, naming the field.
        for limit in (-1, 101):
            with self.subTest(interaction_limit=limit):
                self.assertRpcError(grpc.StatusCode.INVALID_ARGUMENT, "interaction_limit",
                                    self.api.GetCustomerContext,
                                    pb.GetCustomerContextRequest(phone_number="030 1234567",
                                                                 interaction_limit=limit))

    # ---------------------------------------------------------------------------------
    # (b) an unknown caller

    def test_unknown_number_is_not_a_known_caller(self):
        for written in ("+49 89 7654321", "089 7654321", "0049897654321"):
            with self.subTest(phone_number=written):
                context = self.api.GetCustomerContext(
                    pb.GetCustomerContextRequest(phone_number=written))
                self.assertFalse(context.known_caller)
                self.assertEqual(context.normalized_phone_number, "+49897654321")
                self.assertFalse(context.HasField("customer"))
                self.assertEqual(len(context.recent_interactions), 0)
                self.assertEqual(len(context.other_matches), 0)
        found = self.api.LookupCustomers(pb.LookupCustomersRequest(phone_number="089 7654321"))
        self.assertEqual(len(found.customers), 0)
        self.assertEqual(found.normalized_phone_number, "+49897654321")

    # ---------------------------------------------------------------------------------
    # (c) a number shared by two customers

    def test_shared_number_returns_one_customer_and_the_other_as_match(self):
        shared = "+44 20 7946 0958"
        first = self.create("Shared Line Ltd", phones=[shared, "+49 40 3000001"])
        second = self.create("Shared Line Tenant", phones=["+44 (0)20 7946 0958"])
        self.add_interaction(first.name, BASE_SECONDS + 1 * HOUR, "first's call")
        self.add_interaction(second.name, BASE_SECONDS + 2 * HOUR, "second's call")

        context = self.api.GetCustomerContext(
            pb.GetCustomerContextRequest(phone_number="00442079460958"))
        self.assertTrue(context.known_caller)
        self.assertEqual(context.normalized_phone_number, "+442079460958")
        self.assertEqual(len(context.other_matches), 1)
        names = {context.customer.name, context.other_matches[0].name}
        self.assertEqual(names, {first.name, second.name})
        by_name = {first.name: first, second.name: second}
        self.assertEqual(context.customer, by_name[context.customer.name])
        self.assertEqual(context.other_matches[0], by_name[context.other_matches[0].name])
        # The interactions are the chosen customer's only.
        self.assertEqual(len(context.recent_interactions), 1)
        self.assertTrue(context.recent_interactions[0].name.startswith(
            context.customer.name + "/interactions/"))
        expected_text = "first's call" if context.customer.name == first.name else "second's call"
        self.assertEqual(context.recent_interactions[0].text, expected_text)

        found = self.api.LookupCustomers(pb.LookupCustomersRequest(phone_number=shared))
        self.assertEqual(found.normalized_phone_number, "+442079460958")
        self.assertEqual(sorted(c.name for c in found.customers), sorted([first.name, second.name]))
        for c in found.customers:
            self.assertEqual(c, by_name[c.name])

        # The first customer's own number finds only the first.
        found = self.api.LookupCustomers(pb.LookupCustomersRequest(phone_number="040 3000001"))
        self.assertEqual([c.name for c in found.customers], [first.name])

    # ---------------------------------------------------------------------------------
    # (d) bad input is refused, naming the field, and changes nothing

    def test_bad_input_is_refused_naming_the_field_and_storage_is_unchanged(self):
        existing = self.create("Refusal Reference", phones=["+49 40 3000002"])
        interaction = self.add_interaction(existing.name, BASE_SECONDS, "reference call")
        before = self.list_all_customers()
        self.assertIn(existing.SerializeToString(deterministic=True), before)
        INVALID = grpc.StatusCode.INVALID_ARGUMENT

        def unchanged(what):
            self.assertEqual(self.list_all_customers(), before,
                             f"storage changed after the refused {what}")

        # A malformed phone number, first and second in the list.
        bad_phone = pb.Customer(kind=pb.CUSTOMER_KIND_INDIVIDUAL, display_name="Bad Phone")
        bad_phone.phone_numbers.add(number="call me maybe")
        self.assertRpcError(INVALID, "customer.phone_numbers[0].number",
                            self.api.CreateCustomer, pb.CreateCustomerRequest(customer=bad_phone))
        unchanged("malformed phone number")

        bad_second = pb.Customer(kind=pb.CUSTOMER_KIND_INDIVIDUAL, display_name="Bad Phone")
        bad_second.phone_numbers.add(number="+49 40 3000003")
        bad_second.phone_numbers.add(number="+49 1")
        self.assertRpcError(INVALID, "customer.phone_numbers[1].number",
                            self.api.CreateCustomer, pb.CreateCustomerRequest(customer=bad_second))
        unchanged("too short phone number")

        # No display name (blank counts as none).
        for name in ("", "   "):
            with self.subTest(display_name=name):
                self.assertRpcError(
                    INVALID, "customer.display_name", self.api.CreateCustomer,
                    pb.CreateCustomerRequest(customer=pb.Customer(
                        kind=pb.CUSTOMER_KIND_INDIVIDUAL, display_name=name)))
                unchanged("missing display_name")

        # Notes over 4,000 characters.
        self.assertRpcError(
            INVALID, "customer.notes", self.api.CreateCustomer,
            pb.CreateCustomerRequest(customer=pb.Customer(
                kind=pb.CUSTOMER_KIND_INDIVIDUAL, display_name="Long Notes", notes="n" * 4001)))
        unchanged("4001-character notes")
        self.assertRpcError(
            INVALID, "customer.notes", self.api.UpdateCustomer,
            pb.UpdateCustomerRequest(customer=pb.Customer(name=existing.name, notes="n" * 4001),
                                     update_mask=field_mask_pb2.FieldMask(paths=["notes"])))
        unchanged("update to 4001-character notes")

        # update_mask: an unknown path, an output-only path, none at all.
        for paths in (["no_such_field"], ["display_name", "nickname"], ["create_time"],
                      ["customer_number"], []):
            with self.subTest(update_mask=paths):
                self.assertRpcError(
                    INVALID, "update_mask", self.api.UpdateCustomer,
                    pb.UpdateCustomerRequest(
                        customer=pb.Customer(name=existing.name, display_name="Changed"),
                        update_mask=field_mask_pb2.FieldMask(paths=paths)))
                unchanged(f"update with update_mask {paths}")

        # Page tokens that the server did not issue for that list.
        interactions_page = self.api.ListInteractions(
            pb.ListInteractionsRequest(parent=existing.name, page_size=1))
        self.assertEqual(list(interactions_page.interactions), [interaction])
        for token in ("not-a-token!!", "AAAA", "MWN1c3RvbWVyczp4"):
            with self.subTest(page_token=token):
                self.assertRpcError(INVALID, "page_token", self.api.ListCustomers,
                                    pb.ListCustomersRequest(page_token=token))
                self.assertRpcError(INVALID, "page_token", self.api.ListInteractions,
                                    pb.ListInteractionsRequest(parent=existing.name,
                                                               page_token=token))
                unchanged(f"list with page_token {token!r}")
        # A token of one customer's interactions is refused for another customer's.
        other = self.create("Refusal Other", phones=["+49 40 3000004"])
        self.add_interaction(other.name, BASE_SECONDS, "other 1")
        self.add_interaction(other.name, BASE_SECONDS + 1, "other 2")
        before = self.list_all_customers()
        other_page = self.api.ListInteractions(
            pb.ListInteractionsRequest(parent=other.name, page_size=1))
        self.assertTrue(other_page.next_page_token)
        self.assertRpcError(INVALID, "page_token", self.api.ListInteractions,
                            pb.ListInteractionsRequest(parent=existing.name,
                                                       page_token=other_page.next_page_token))
        self.assertRpcError(INVALID, "page_token", self.api.ListCustomers,
                            pb.ListCustomersRequest(page_token=other_page.next_page_token))
        unchanged("list with another list's page_token")

        # Unknown and malformed customer names.
        self.assertRpcError(grpc.StatusCode.NOT_FOUND, None, self.api.GetCustomer,
                            pb.GetCustomerRequest(name="customers/987654321"))
        self.assertRpcError(INVALID, "name", self.api.GetCustomer,
                            pb.GetCustomerRequest(name="customers/abc"))
        self.assertRpcError(grpc.StatusCode.NOT_FOUND, None, self.api.UpdateCustomer,
                            pb.UpdateCustomerRequest(
                                customer=pb.Customer(name="customers/987654321",
                                                     display_name="Ghost"),
                                update_mask=field_mask_pb2.FieldMask(paths=["display_name"])))
        self.assertRpcError(grpc.StatusCode.NOT_FOUND, None, self.api.CreateInteraction,
                            pb.CreateInteractionRequest(
                                parent="customers/987654321",
                                interaction=pb.Interaction(
                                    channel=common.INTERACTION_CHANNEL_CALL)))
        self.assertRpcError(grpc.StatusCode.NOT_FOUND, None, self.api.ListInteractions,
                            pb.ListInteractionsRequest(parent="customers/987654321"))
        unchanged("calls on an unknown customer")

        # A bad interaction changes nothing either.
        self.assertRpcError(INVALID, "interaction.channel", self.api.CreateInteraction,
                            pb.CreateInteractionRequest(parent=existing.name,
                                                        interaction=pb.Interaction(text="x")))
        self.assertEqual(list(self.api.ListInteractions(
            pb.ListInteractionsRequest(parent=existing.name)).interactions), [interaction])
        unchanged("interaction without channel")

        # The boundary: exactly 4,000 characters of notes are accepted.
        accepted = self.api.CreateCustomer(pb.CreateCustomerRequest(customer=pb.Customer(
            kind=pb.CUSTOMER_KIND_INDIVIDUAL, display_name="Long Notes", notes="n" * 4000)))
        self.assertEqual(len(accepted.notes), 4000)
        self.assertEqual(len(self.list_all_customers()), len(before) + 1)

    def test_length_limits_count_characters_not_bytes(self):
        # customer.proto: "names and single-line strings 200 characters, notes and free
        # text 4,000 characters". Customers' names and notes are often not ASCII (王 is
        # 3 bytes in UTF-8, é is 2): the limits are in characters.
        before = self.list_all_customers()
        cases = [("customer.display_name", "王" * 200, ""),
                 ("customer.notes", "Wang", "王" * 4000),
                 ("customer.notes", "Élodie", "é" * 4000)]
        accepted = 0
        for field, name, notes in cases:
            with self.subTest(field=field, characters=max(len(name), len(notes)),
                              utf8_bytes=max(len(name.encode()), len(notes.encode()))):
                refusal = None
                try:
                    created = self.api.CreateCustomer(pb.CreateCustomerRequest(
                        customer=pb.Customer(kind=pb.CUSTOMER_KIND_INDIVIDUAL, display_name=name,
                                             notes=notes)))
                except grpc.RpcError as error:
                    refusal = f"{error.code().name}: {error.details()}"
                if refusal is not None:
                    self.fail(f"{field} at its documented limit in characters was refused: "
                              f"{refusal}")
                accepted += 1
                self.assertEqual((created.display_name, created.notes), (name, notes))
        # One character over is refused, naming the field.
        self.assertRpcError(
            grpc.StatusCode.INVALID_ARGUMENT, "customer.display_name", self.api.CreateCustomer,
            pb.CreateCustomerRequest(customer=pb.Customer(
                kind=pb.CUSTOMER_KIND_INDIVIDUAL, display_name="王" * 201)))
        self.assertRpcError(
            grpc.StatusCode.INVALID_ARGUMENT, "customer.notes", self.api.CreateCustomer,
            pb.CreateCustomerRequest(customer=pb.Customer(
                kind=pb.CUSTOMER_KIND_INDIVIDUAL, display_name="Wang", notes="王" * 4001)))
        self.assertEqual(len(self.list_all_customers()), len(before) + accepted)

    # ---------------------------------------------------------------------------------
    # (e) ImportCustomers, a client stream, idempotent by external id

    def import_records(self):
        def record(external_id, name, phone, interactions=()):
            customer = pb.Customer(kind=pb.CUSTOMER_KIND_ENTERPRISE, display_name=name,
                                   enterprise=pb.EnterpriseProfile(legal_name=name + " GmbH",
                                                                   industry="logistics"))
            customer.phone_numbers.add(number=phone, type=pb.PHONE_TYPE_WORK)
            r = pb.ImportRecord(external_id=external_id, customer=customer)
            for offset, text in interactions:
                r.interactions.add(channel=common.INTERACTION_CHANNEL_TICKET,
                                   start_time=ts(BASE_SECONDS + offset), text=text)
            return pb.ImportCustomersRequest(record=r)

        return [
            record("crm-e2e-1", "Import Alpha", "+49 69 4000001",
                   [(10, "alpha older"), (20, "alpha newer")]),
            record("crm-e2e-2", "Import Beta", "069 4000002"),
            record("crm-e2e-bad", "Import Broken", "not a phone number"),
            record("crm-e2e-3", "Import Gamma", "+49 69 4000003", [(5, "gamma only")]),
        ]

    def test_import_is_idempotent_and_reports_bad_records(self):
        first = self.api.ImportCustomers(iter(self.import_records()))
        self.assertEqual(first.received, 4)
        self.assertEqual(first.created, 3)
        self.assertEqual(first.unchanged, 0)
        self.assertEqual(first.interactions_created, 3)
        self.assertEqual(len(first.errors), 1, first)
        error = first.errors[0]
        self.assertEqual(error.index, 2)
        self.assertEqual(error.external_id, "crm-e2e-bad")
        self.assertEqual(error.field, "record.customer.phone_numbers[0].number")
        self.assertIn("record.customer.phone_numbers[0].number", error.message)

        after_first = self.list_all_customers()
        second = self.api.ImportCustomers(iter(self.import_records()))
        self.assertEqual(second.received, 4)
        self.assertEqual(second.created, 0)
        self.assertEqual(second.unchanged, 3)
        self.assertEqual(second.interactions_created, 0)
        self.assertEqual(list(second.errors), list(first.errors))
        self.assertEqual(self.list_all_customers(), after_first)

        # What was imported is there, once.
        alpha = self.api.LookupCustomers(pb.LookupCustomersRequest(external_id="crm-e2e-1"))
        self.assertEqual(len(alpha.customers), 1)
        alpha = alpha.customers[0]
        self.assertEqual(alpha.display_name, "Import Alpha")
        self.assertEqual(alpha.external_id, "crm-e2e-1")
        self.assertEqual(alpha.enterprise.legal_name, "Import Alpha GmbH")
        self.assertEqual([p.number for p in alpha.phone_numbers], ["+49694000001"])
        texts = [i.text for i in self.api.ListInteractions(
            pb.ListInteractionsRequest(parent=alpha.name)).interactions]
        self.assertEqual(texts, ["alpha newer", "alpha older"])
        beta = self.api.LookupCustomers(pb.LookupCustomersRequest(phone_number="+49 69 4000002"))
        self.assertEqual([c.external_id for c in beta.customers], ["crm-e2e-2"])
        gamma = self.api.GetCustomerContext(
            pb.GetCustomerContextRequest(phone_number="069 4000003"))
        self.assertTrue(gamma.known_caller)
        self.assertEqual(gamma.customer.external_id, "crm-e2e-3")
        self.assertEqual([i.text for i in gamma.recent_interactions], ["gamma only"])
        bad = self.api.LookupCustomers(pb.LookupCustomersRequest(external_id="crm-e2e-bad"))
        self.assertEqual(len(bad.customers), 0)

        # An empty stream is an empty report.
        empty = self.api.ImportCustomers(iter([]))
        self.assertEqual((empty.received, empty.created, empty.unchanged, len(empty.errors)),
                         (0, 0, 0, 0))

    # ---------------------------------------------------------------------------------
    # (f) ListInteractions paging and the channel filter

    def test_list_interactions_pages_walk_everything_once_in_order(self):
        customer = self.create("Paging Person", phones=["+49 221 5000001"])
        CALL, EMAIL, CHAT, NOTE = (common.INTERACTION_CHANNEL_CALL,
                                   common.INTERACTION_CHANNEL_EMAIL,
                                   common.INTERACTION_CHANNEL_CHAT,
                                   common.INTERACTION_CHANNEL_NOTE)
        plan = [(4, CALL), (1, EMAIL), (6, CHAT), (2, CALL), (7, NOTE), (3, CALL), (5, EMAIL)]
        made = [self.add_interaction(customer.name, BASE_SECONDS + hour * HOUR,
                                     f"hour {hour}", channel) for hour, channel in plan]
        latest_first = sorted(made, key=lambda i: i.start_time.seconds, reverse=True)
        self.assertEqual(len({i.name for i in made}), 7)

        pages = self.list_all_interactions(customer.name, page_size=2)
        self.assertEqual([len(p) for p in pages], [2, 2, 2, 1])
        walked = [i for page in pages for i in page]
        self.assertEqual([i.name for i in walked], [i.name for i in latest_first])
        self.assertEqual(walked, latest_first)

        # Page size 1 and a page size larger than the list.
        self.assertEqual([i for p in self.list_all_interactions(customer.name, 1) for i in p],
                         latest_first)
        pages = self.list_all_interactions(customer.name, 500)
        self.assertEqual(len(pages), 1)
        self.assertEqual(pages[0], latest_first)

        # The channel filter, alone and with paging.
        calls = [i for i in latest_first if i.channel == CALL]
        self.assertEqual(len(calls), 3)
        pages = self.list_all_interactions(customer.name, 2, channels=[CALL])
        self.assertEqual([len(p) for p in pages], [2, 1])
        self.assertEqual([i for p in pages for i in p], calls)
        calls_and_emails = [i for i in latest_first if i.channel in (CALL, EMAIL)]
        pages = self.list_all_interactions(customer.name, 2, channels=[EMAIL, CALL])
        self.assertEqual([i for p in pages for i in p], calls_and_emails)
        self.assertEqual(self.list_all_interactions(
            customer.name, 2, channels=[common.INTERACTION_CHANNEL_VISIT]), [[]])

        # The time window [start_time, end_time).
        window = self.api.ListInteractions(pb.ListInteractionsRequest(
            parent=customer.name, start_time=ts(BASE_SECONDS + 2 * HOUR),
            end_time=ts(BASE_SECONDS + 5 * HOUR)))
        self.assertEqual([i.text for i in window.interactions], ["hour 4", "hour 3", "hour 2"])

        # Refused filters name the field.
        self.assertRpcError(grpc.StatusCode.INVALID_ARGUMENT, "channels",
                            self.api.ListInteractions,
                            pb.ListInteractionsRequest(
                                parent=customer.name,
                                channels=[common.INTERACTION_CHANNEL_UNSPECIFIED]))
        self.assertRpcError(grpc.StatusCode.INVALID_ARGUMENT, "page_size",
                            self.api.ListInteractions,
                            pb.ListInteractionsRequest(parent=customer.name, page_size=-1))

    # ---------------------------------------------------------------------------------
    # (g) UpdateCustomer replaces only the masked fields

    def test_update_with_mask_changes_only_the_named_fields(self):
        original = pb.Customer(
            kind=pb.CUSTOMER_KIND_INDIVIDUAL, display_name="Olga Oldname",
            notes="keep these notes", tier=common.CUSTOMER_TIER_KEY_SECONDARY,
            owner_agent="agents/a-7",
            individual=pb.IndividualProfile(given_name="Olga", family_name="Oldname"))
        original.phone_numbers.add(number="040 1111111", type=pb.PHONE_TYPE_HOME)
        original.emails.add(address="olga@example.net")
        original.preferences["seat"] = "window"
        before = self.api.CreateCustomer(pb.CreateCustomerRequest(customer=original))
        self.add_interaction(before.name, BASE_SECONDS, "before the move")

        change = pb.Customer(name=before.name, display_name="Olga Newname",
                             notes="THESE NOTES MUST NOT BE STORED",
                             tier=common.CUSTOMER_TIER_SMALL, owner_agent="agents/a-999")
        change.phone_numbers.add(number="+49 40 2222222", type=pb.PHONE_TYPE_MOBILE,
                                 label="new mobile")
        after = self.api.UpdateCustomer(pb.UpdateCustomerRequest(
            customer=change,
            update_mask=field_mask_pb2.FieldMask(paths=["display_name", "phone_numbers"])))

        self.assertEqual(after.display_name, "Olga Newname")
        self.assertEqual([(p.number, p.type, p.label) for p in after.phone_numbers],
                         [("+49402222222", pb.PHONE_TYPE_MOBILE, "new mobile")])
        # Everything else is as it was.
        expected = pb.Customer()
        expected.CopyFrom(before)
        expected.display_name = "Olga Newname"
        del expected.phone_numbers[:]
        expected.phone_numbers.add(number="+49402222222", type=pb.PHONE_TYPE_MOBILE,
                                   label="new mobile")
        expected.update_time.CopyFrom(after.update_time)
        self.assertEqual(after, expected)
        update_time = (after.update_time.seconds, after.update_time.nanos)
        self.assertGreaterEqual(update_time,
                                (before.update_time.seconds, before.update_time.nanos))
        self.assertEqual(self.api.GetCustomer(pb.GetCustomerRequest(name=before.name)), after)

        # The old number no longer finds the customer; the new one does.
        old = self.api.GetCustomerContext(pb.GetCustomerContextRequest(phone_number="040 1111111"))
        self.assertFalse(old.known_caller)
        self.assertEqual(old.normalized_phone_number, "+49401111111")
        self.assertEqual(len(self.api.LookupCustomers(
            pb.LookupCustomersRequest(phone_number="+49 40 1111111")).customers), 0)
        new = self.api.GetCustomerContext(pb.GetCustomerContextRequest(phone_number="040 2222222"))
        self.assertTrue(new.known_caller)
        self.assertEqual(new.customer, after)
        self.assertEqual([i.text for i in new.recent_interactions], ["before the move"])
        self.assertEqual([c.name for c in self.api.LookupCustomers(
            pb.LookupCustomersRequest(phone_number="0049402222222")).customers], [before.name])

        # The name index follows the new display name.
        by_new_name = self.api.ListCustomers(pb.ListCustomersRequest(name_prefix="olga new"))
        self.assertEqual([c.name for c in by_new_name.customers], [before.name])
        by_old_name = self.api.ListCustomers(pb.ListCustomersRequest(name_prefix="Olga Old"))
        self.assertEqual(len(by_old_name.customers), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
