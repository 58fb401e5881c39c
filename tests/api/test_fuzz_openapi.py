"""Every operation of the published OpenAPI document, fuzzed from the document itself.

Schemathesis generates requests from each operation's schema (strings with NUL characters,
huge integers, odd dates, missing bodies…) and sends them to the app in-process, signed in
with a trust role's token on seeded data. Any 5xx, or a response that does not match the
document (a naive date-time, a null where none is declared), fails the test. Bounded: a few
examples per operation, no deadline (the machine is shared), no example database.
"""
from datetime import timedelta

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance
from sqlalchemy import select

from services.base import utcnow
from services.desk.models import Article, Category, Service
from services.directory.models import School, User
from tests.api.test_tickets_api import bearer
from tests.conftest import data

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
    bearer(app, desk)  # a spare token for DELETE /tokens/{token_id}: the fuzz's own must keep working
    with data(app) as s:
        start = utcnow() + timedelta(days=2)
        visits.plan_visit(s.get(School, oak.id), engineer=s.get(User, desk.id), starts_at=start,
                          ends_at=start + timedelta(hours=2), notes="", by=s.get(User, desk.id))
        _seed_register(s.get(School, oak.id), start)
        _seed_standards(s.get(School, oak.id), start, by=s.get(User, desk.id))
    return desk, staff, tickets


def _seed_standards(school, now, by):
    from services.standards import assessments, baselines, exceptions
    from services.standards.conformance import published_items
    from services.standards.models import DriftEvent
    baselines.load_shipped(school.trust_id, now=now)
    backups = next(i for i, _ in published_items(school.trust_id) if i.code == "RPA-BACKUPS")
    assessments.record_attestation(school, backups, status="met", evidence="Restore tested", by=None, now=now)
    # An exception waiting for the trust's team, and a drift, for /exceptions/{id} and /compliance/drift/{id}.
    exceptions.request_exception(school, backups, justification="New backup appliance in August",
                                 ends_on=now.date() + timedelta(days=60), by=by, now=now)
    from trust_it.extensions import db
    db.session.add(DriftEvent(school_id=school.id, item_id=backups.id, from_status="met", to_status="expired",
                              cause="expired", at=now))


def _seed_register(school, now):
    from services.assets import categories, licences, locations, register
    laptop = categories.ensure_defaults(school.trust_id)[0]
    room = locations.create_location(school, name="Science block S12")
    register.create_asset(school, {"tag": "OAK-0001", "category_id": laptop.id, "location_id": room.id}, by=None,
                          now=now)
    licences.create_licence(school.trust_id, school, {"product": "Adobe Express", "seats": 5}, now=now)
    from services.assets import importer  # an import run waiting at its preview, for /asset-imports/{import_id}
    importer.upload(trust_id=school.trust_id, school=school, filename="register.csv",
                    content=b"Asset Tag,Category\r\nOAK-0002,Laptop\r\n", by=None, today=now.date())


def _seeded_ids(app, staff, tickets) -> dict:
    """Path parameters that name real rows, so responses with data are checked too, not only 404s.
    The person, membership and token are ones the fuzz may change or delete without locking itself out."""
    from services.assets.models import Asset, ImportRun, Licence, Location
    from services.desk.models import Visit
    from services.directory.models import ApiToken, Membership
    from services.standards.models import Baseline, DriftEvent, StandardException, StandardItem
    with data(app) as s:
        def first(model, *where):
            return s.execute(select(model.id).where(*where).order_by(model.id)).scalars().first()

        return {"ticket_id": tickets[0].id, "school_id": tickets[0].school_id, "user_id": staff.id,
                "membership_id": first(Membership, Membership.user_id == staff.id), "article_id": first(Article),
                "visit_id": first(Visit), "token_id": first(ApiToken), "asset_id": first(Asset),
                "location_id": first(Location), "licence_id": first(Licence), "import_id": first(ImportRun),
                "baseline_id": first(Baseline), "item_id": first(StandardItem),
                "exception_id": first(StandardException), "drift_id": first(DriftEvent)}


ANSWERED_WITH_DATA = {"GET /api/v1/tickets/{ticket_id}", "GET /api/v1/tickets/{ticket_id}/comments",
                      "GET /api/v1/tickets/{ticket_id}/escalations", "GET /api/v1/schools/{school_id}",
                      "GET /api/v1/users/{user_id}", "GET /api/v1/articles/{article_id}",
                      "GET /api/v1/visits/{visit_id}", "GET /api/v1/me/", "GET /api/v1/tickets/",
                      "GET /api/v1/assets/{asset_id}", "GET /api/v1/locations/{location_id}",
                      "GET /api/v1/licences/{licence_id}", "GET /api/v1/baselines/{baseline_id}/items",
                      "GET /api/v1/baselines/{baseline_id}/items/{item_id}",
                      "GET /api/v1/compliance/schools/{school_id}", "GET /api/v1/assessments/",
                      "GET /api/v1/exceptions/{exception_id}", "GET /api/v1/compliance/drift/"}
ORDER = {"get": 0, "post": 1, "patch": 2, "delete": 3}  # reads first, deletions last


def test_every_operation_answers_within_its_published_schema(app, make):
    desk, staff, tickets = _seed(app, make)
    headers = bearer(app, desk)
    ids = _seeded_ids(app, staff, tickets)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = sorted((result.ok() for result in schema.get_all_operations()), key=lambda o: ORDER[o.method])
    assert len(operations) >= 20
    failures, answered = [], set()
    for operation in operations:
        names = [p.name for p in operation.path_parameters]
        strategies = [operation.as_strategy()]
        if names:  # once with made-up ids (mostly 404s), once with the seeded rows
            strategies.append(operation.as_strategy(path_parameters={n: ids[n] for n in names}))
        for strategy in strategies:
            @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            @given(case=strategy)
            def fuzz(case):
                response = case.call_and_validate(headers=headers,
                                                  checks=[not_a_server_error, response_schema_conformance])
                if response.status_code < 300:  # case.operation is this iteration's operation
                    answered.add(f"{case.operation.method.upper()} {case.operation.path}")

            try:
                fuzz()
            except (Exception, BaseExceptionGroup) as exc:  # collect all: one run shows every wrong operation
                failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
    assert ANSWERED_WITH_DATA <= answered  # not a run of 401s and 404s that proves nothing
