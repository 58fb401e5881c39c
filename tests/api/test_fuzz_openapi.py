"""Every operation of the published OpenAPI document, fuzzed from the document itself.

Schemathesis generates requests from each operation's schema (strings with NUL characters,
huge integers, odd dates, missing bodies…) and sends them to the app in-process, signed in
with a trust role's token on seeded data. Any 5xx, or a response that does not match the
document (a naive date-time, a null where none is declared), fails the test. Bounded: a few
examples per operation, no deadline (the machine is shared), no example database.
"""
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from services.desk.models import Article, Category, Service
from services.directory.models import School, User
from tests.api.test_tickets_api import bearer
from tests.conftest import data
from trust_it.tenancy import utcnow

EXAMPLES_PER_OPERATION = 12

# The mail gateway posts raw RFC 822 bytes; fuzz them as any binary body.
schemathesis.serializer.alias("message/rfc822", "application/octet-stream")


def _seed(app, make):
    from services.desk import visits
    from services.directory import people
    oak, elm = make.school("oak"), make.school("elm")
    desk = make.user(role="service_desk", name="Desk Lead")
    with data(app) as s:
        people.add_membership(s.get(User, desk.id), role="trust_admin", school=None)
        people.add_membership(s.get(User, desk.id), role="technician", school=s.get(School, oak.id))
        trust_id = desk.trust_id
        s.add_all([Category(trust_id=trust_id, name="Printers"), Service(trust_id=trust_id, name="Wi-Fi")])
        s.add(Article(trust_id=trust_id, school_id=None, title="Reset your password", body="Use the portal.",
                      status="published", author_id=desk.id))
    staff = make.user(role="staff", school=oak, name="Ada Teacher")
    tickets = [make.ticket(oak, staff), make.ticket(elm), make.ticket(oak)]
    with data(app) as s:
        start = utcnow() + timedelta(days=2)
        visits.plan_visit(s.get(School, oak.id), engineer=s.get(User, desk.id), starts_at=start,
                          ends_at=start + timedelta(hours=2), notes="", by=s.get(User, desk.id))
    return desk, tickets


def test_every_operation_answers_within_its_published_schema(app, make):
    desk, _ = _seed(app, make)
    headers = bearer(app, desk)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    failures = []
    for operation in operations:
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def fuzz(case):
            case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])

        try:
            fuzz()
        except Exception as exc:  # collect all: one run shows every operation that is wrong
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
