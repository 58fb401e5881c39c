"""Conformance for every school × item from answers and computed figures, and drift when it worsens."""
from datetime import timedelta

from sqlalchemy import func, select

from services.assets import categories
from services.assets.models import Asset
from services.standards import conformance
from services.standards.checks import Figure, evaluate
from services.standards.models import Conformance, DriftEvent
from tests.conftest import data
from tests.standards.conftest import NOW, item


def _rows(s, school_id):
    return {r.item.code: r for r in conformance.rows_for([school_id])}


def test_a_first_refresh_gives_every_school_a_row_per_item(app, world, figures):
    figures.table["assets.supported_os_share"] = {world.primary.id: Figure(97.0, 97, 100, "97 of 100")}
    with data(app) as s:
        result = conformance.refresh(world.trust.id, None, now=NOW)
        assert result.inserted == 2 * (12 + 5 + 4 + 4)
        assert s.scalar(select(func.count()).select_from(Conformance)) == 2 * 25
        primary = _rows(s, world.primary.id)
        assert primary["DFE-DEVICES"].status == "met"
        assert primary["DFE-DEVICES"].figures["numerator"] == 97
        assert primary["CE-UPDATES"].status == "met"  # the same computed check, another baseline
        assert primary["DFE-WIRELESS"].status == "unknown"  # nobody has said yet
        # Nothing to count is unknown, not a failure.
        assert _rows(s, world.secondary.id)["DFE-DEVICES"].status == "unknown"
    keys, schools, _ = figures.calls[0]
    assert "desk.resolved_within_target_share" in keys and sorted(schools) == sorted(
        [world.primary.id, world.secondary.id])


def test_a_computed_item_turning_from_met_to_not_met_is_drift(app, world, figures):
    warranty = figures.table["assets.network_kit_in_warranty"] = {world.primary.id: Figure(0, 0, 12, "all in")}
    with data(app) as s:
        conformance.refresh(world.trust.id, None, now=NOW)
        switching = item(s, world.trust.id, "DFE-SWITCHING")
        first_since = _rows(s, world.primary.id)["DFE-SWITCHING"].since
        warranty[world.primary.id] = Figure(1, 1, 12, "1 switch out of warranty")
        conformance.refresh(world.trust.id, None, now=NOW + timedelta(days=1))
        assert _rows(s, world.primary.id)["DFE-SWITCHING"].status == "partly_met"  # one is within the band
        warranty[world.primary.id] = Figure(4, 4, 12, "4 switches out of warranty",
                                            failing_url_args={"warranty": "expired"})
        conformance.refresh(world.trust.id, None, now=NOW + timedelta(days=2))
        row = _rows(s, world.primary.id)["DFE-SWITCHING"]
        assert (row.status, row.value, row.since) == ("not_met", 4, NOW + timedelta(days=2))
        assert row.figures["failing_url_args"] == {"warranty": "expired"}
        assert first_since == NOW
        # met → partly met → not met: only the fall from met counts, and only once.
        drift = s.execute(select(DriftEvent)).scalars().all()
        assert drift == []  # met went to partly_met, then partly_met to not_met
        warranty[world.primary.id] = Figure(0, 0, 12, "all in")
        conformance.refresh(world.trust.id, None, now=NOW + timedelta(days=3))
        warranty[world.primary.id] = Figure(3, 3, 12, "3 out")
        conformance.refresh(world.trust.id, None, now=NOW + timedelta(days=4))
        drift = s.execute(select(DriftEvent)).scalars().all()
        assert [(d.school_id, d.item_id, d.from_status, d.to_status, d.cause, d.at) for d in drift] == [
            (world.primary.id, switching.id, "met", "not_met", "derived", NOW + timedelta(days=4))]


def test_refresh_is_a_few_statements_whatever_the_number_of_rows(app, make, world, figures, count_queries):
    for n in range(4):
        make.school(f"extra-{n}", trust=world.trust, phase="Primary")
    with data(app):
        conformance.refresh(world.trust.id, None, now=NOW)
    with data(app), count_queries() as statements:
        conformance.refresh(world.trust.id, None, now=NOW + timedelta(days=1))
    writes = [q for q in statements if q.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert len(statements) <= 15, statements
    assert len(writes) <= 4


def test_setting_items_compare_the_intune_fields_of_managed_devices(app, world, figures):
    with data(app) as s:
        laptop = categories.ensure_defaults(world.trust.id)[0]
        for n, (encrypted, compliance) in enumerate([(True, "compliant"), (True, "compliant"),
                                                     (False, "compliant"), (True, "noncompliant")]):
            s.add(Asset(trust_id=world.trust.id, school_id=world.primary.id, tag=f"T{n}", category_id=laptop.id,
                        status="deployed", intune_device_id=f"dev-{n}", encrypted=encrypted, compliance=compliance))
        s.add(Asset(trust_id=world.trust.id, school_id=world.primary.id, tag="UNMANAGED", category_id=laptop.id,
                    status="deployed"))
        s.flush()
        conformance.refresh(world.trust.id, None, now=NOW)
        row = _rows(s, world.primary.id)["TRUST-LAPTOP-BUILD"]
        assert (row.status, row.value, row.figures["numerator"], row.figures["denominator"]) == (
            "not_met", 50.0, 2, 4)
        assert _rows(s, world.secondary.id)["TRUST-LAPTOP-BUILD"].status == "unknown"


def test_items_for_another_phase_show_as_not_applicable(app, world, figures):
    from services.standards import baselines
    from tests.standards.conftest import baseline
    with data(app) as s:
        b = baseline(s, world.trust.id, "TRUST-OPS")
        baselines.add_item(b, {"code": "TRUST-SIXTH", "title": "Sixth-form wireless", "phases": ["secondary"],
                               "check_kind": "attestation", "review_days": 365}, by=None, now=NOW)
        baselines.publish(baselines.draft_of(b), by=None, now=NOW)
        conformance.refresh(world.trust.id, None, now=NOW)
        assert _rows(s, world.primary.id)["TRUST-SIXTH"].status == "not_applicable"
        assert _rows(s, world.secondary.id)["TRUST-SIXTH"].status == "unknown"
        counts = conformance.summary([world.primary.id, world.secondary.id], core_only=True)
        assert sum(counts[world.primary.id].values()) == 6


def test_evaluate_bands():
    class Item:
        comparison, threshold, partly_threshold = "at_least", 90.0, None
    assert evaluate(Item, Figure(90.0, 9, 10)) == "met"
    assert evaluate(Item, Figure(81.0, 81, 100)) == "partly_met"  # within 90 % of the threshold
    assert evaluate(Item, Figure(80.0, 8, 10)) == "not_met"
    assert evaluate(Item, Figure(None, 0, 0)) == "unknown"
    assert evaluate(Item, None) == "unknown"


def test_what_is_due_and_a_ticket_from_drift(app, make, world, figures):
    from services.directory.models import School, User
    from services.standards import assessments
    tech = make.user(role="technician", school=world.primary, trust=world.trust)
    with data(app) as s:
        school = s.get(School, world.primary.id)
        backups = item(s, world.trust.id, "RPA-BACKUPS")
        assessments.record_attestation(school, backups, status="met", evidence="Restore tested", by=None, now=NOW)
        assert [r.item.code for r in conformance.due([school.id], now=NOW + timedelta(days=100))] == ["RPA-BACKUPS"]
        assert conformance.due([school.id], now=NOW + timedelta(days=10)) == []
        conformance.refresh(world.trust.id, [school.id], now=NOW + timedelta(days=130))
        drift = s.execute(select(DriftEvent)).scalar_one()
        ticket = conformance.open_ticket(drift, by=s.get(User, tech.id), now=NOW + timedelta(days=131))
        assert drift.ticket_id == ticket.id and ticket.school_id == school.id
        assert ticket.title == "Standard no longer met: Offline backups"
        assert "evidence expired" in ticket.description
        assert conformance.open_ticket(drift, by=None, now=NOW + timedelta(days=132)).id == ticket.id


def test_the_scheduled_refresh_finds_expired_evidence(app, world, figures):
    from services.base import utcnow
    from services.directory.models import School
    from services.standards import assessments
    from services.standards.tasks import refresh_every_trust
    with data(app) as s:
        backups = item(s, world.trust.id, "RPA-BACKUPS")
        assessments.record_attestation(s.get(School, world.primary.id), backups, status="met",
                                       evidence="Restore tested", by=None, now=utcnow() - timedelta(days=200))
    with data(app):
        assert refresh_every_trust() == 1  # inline in tests: the trust's job ran at once
    with data(app) as s:
        assert _rows(s, world.primary.id)["RPA-BACKUPS"].status == "expired"
        assert s.execute(select(DriftEvent.cause)).scalars().all() == ["expired"]
