"""A school's answers: attestations that expire, measured values against its phase's threshold,
not applicable with a reason, and what the school's conformance shows afterwards."""
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from services.directory.models import School, User
from services.standards import assessments, baselines, conformance
from services.standards.errors import StandardsError
from services.standards.models import Assessment, Conformance, DriftEvent
from tests.conftest import data
from tests.standards.conftest import NOW, baseline, item


def _status(s, school_id, item_id):
    return s.execute(select(Conformance.status).where(Conformance.school_id == school_id,
                                                      Conformance.item_id == item_id)).scalar_one()


def test_an_attestation_is_good_for_its_review_interval_then_expires(app, make, world, figures):
    head = make.user(role="school_lead", school=world.primary, trust=world.trust)
    with data(app) as s:
        school = s.get(School, world.primary.id)
        backups = item(s, world.trust.id, "RPA-BACKUPS")  # reviewed every term: 120 days
        answer = assessments.record_attestation(school, backups, status="met", by=s.get(User, head.id), now=NOW,
                                                evidence="Full restore of the MIS to a test server on 1 March.")
        assert answer.expires_at == NOW + timedelta(days=120)
        assert answer.assessed_by_id == head.id and answer.source == "person"
        assert _status(s, school.id, backups.id) == "met"
        conformance.refresh(world.trust.id, [school.id], now=NOW + timedelta(days=119))
        assert _status(s, school.id, backups.id) == "met"
        conformance.refresh(world.trust.id, [school.id], now=NOW + timedelta(days=121))
        assert _status(s, school.id, backups.id) == "expired"
        drift = s.execute(select(DriftEvent).where(DriftEvent.item_id == backups.id)).scalars().all()
        assert [(d.from_status, d.to_status, d.cause) for d in drift] == [("met", "expired", "expired")]
        # Refreshing again records no second drift for the same expiry.
        conformance.refresh(world.trust.id, [school.id], now=NOW + timedelta(days=122))
        assert len(s.execute(select(DriftEvent).where(DriftEvent.item_id == backups.id)).scalars().all()) == 1


def test_an_attestation_needs_evidence_and_a_known_status(app, world):
    with data(app) as s:
        school = s.get(School, world.primary.id)
        wireless = item(s, world.trust.id, "DFE-WIRELESS")
        with pytest.raises(StandardsError) as error:
            assessments.record_attestation(school, wireless, status="met", evidence=" ", by=None, now=NOW)
        assert error.value.field == "evidence"
        with pytest.raises(StandardsError) as error:
            assessments.record_attestation(school, wireless, status="great", evidence="Survey", by=None, now=NOW)
        assert error.value.field == "status"
        devices = item(s, world.trust.id, "DFE-DEVICES")  # derived: computed, never typed in
        with pytest.raises(StandardsError) as error:
            assessments.record_attestation(school, devices, status="met", evidence="All fine", by=None, now=NOW)
        assert error.value.field == "status"


def test_evidence_can_be_a_file_kept_like_ticket_attachments(app, world, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)
    upload = type("F", (), {"filename": "survey.pdf", "stream": io.BytesIO(b"%PDF-1.4 wireless survey")})()
    with data(app) as s:
        school = s.get(School, world.primary.id)
        answer = assessments.record_attestation(school, item(s, world.trust.id, "DFE-WIRELESS"), status="met",
                                                evidence="", by=None, now=NOW, attachment=upload)
        assert (answer.attachment_filename, answer.attachment_content_type) == ("survey.pdf", "application/pdf")
        assert (tmp_path / str(school.id) / answer.attachment_sha256).read_bytes().startswith(b"%PDF")
        bad = type("F", (), {"filename": "survey.pdf", "stream": io.BytesIO(b"\x00\x01binary")})()
        with pytest.raises(StandardsError) as error:
            assessments.record_attestation(school, item(s, world.trust.id, "DFE-WIRELESS"), status="met",
                                           evidence="", by=None, now=NOW, attachment=bad)
        assert error.value.field == "attachment"


@pytest.mark.parametrize("phase_school,down,up,expected", [
    ("primary", 120, 35, "met"), ("primary", 85, 35, "partly_met"), ("primary", 120, 10, "not_met"),
    ("primary", 40, 35, "not_met"), ("secondary", 120, 120, "not_met"), ("secondary", 600, 1000, "partly_met"),
    ("secondary", 1000, 1000, "met")])
def test_broadband_is_measured_against_the_school_phase(app, world, phase_school, down, up, expected):
    with data(app) as s:
        school = s.get(School, getattr(world, phase_school).id)
        broadband = item(s, world.trust.id, "DFE-BROADBAND")
        answer = assessments.record_measurement(school, broadband, values={"download": down, "upload": up},
                                                by=None, now=NOW, evidence="Speed test at 10:00")
        assert (answer.status, answer.value, answer.values) == (expected, down, {"download": down, "upload": up})
        assert _status(s, school.id, broadband.id) == expected


def test_measured_values_must_be_numbers_for_every_measure(app, world):
    with data(app) as s:
        school = s.get(School, world.primary.id)
        broadband = item(s, world.trust.id, "DFE-BROADBAND")
        for values in (None, {"download": 100}, {"download": "fast", "upload": 30}, {"download": -5, "upload": 30},
                       {"download": True, "upload": 30}):
            with pytest.raises(StandardsError) as error:
                assessments.record_measurement(school, broadband, values=values, by=None, now=NOW)
            assert error.value.field == "values", values


def test_not_applicable_needs_a_reason_and_never_expires(app, world, figures):
    with data(app) as s:
        school = s.get(School, world.primary.id)
        servers = item(s, world.trust.id, "DFE-SERVERS")
        with pytest.raises(StandardsError) as error:
            assessments.mark_not_applicable(school, servers, reason="", by=None, now=NOW)
        assert error.value.field == "reason"
        assessments.mark_not_applicable(school, servers, reason="No servers on site: all in the cloud.", by=None,
                                        now=NOW)
        conformance.refresh(world.trust.id, [school.id], now=NOW + timedelta(days=2000))
        assert _status(s, school.id, servers.id) == "not_applicable"


def test_answers_stay_with_the_version_they_were_made_against(app, world, figures):
    with data(app) as s:
        school = s.get(School, world.primary.id)
        old_item = item(s, world.trust.id, "RPA-RESPONSE-PLAN")
        answer = assessments.record_attestation(school, old_item, status="met", evidence="Plan v2 attached",
                                                by=None, now=NOW)
        rpa = baseline(s, world.trust.id, "RPA-CYBER")
        baselines.update_item(rpa, "RPA-RESPONSE-PLAN", {"how_to_meet": "Rehearse it once a year."}, by=None, now=NOW)
        baselines.publish(baselines.draft_of(rpa), by=None, now=NOW)
        conformance.refresh(world.trust.id, [school.id], now=NOW + timedelta(days=1))
        new_item = item(s, world.trust.id, "RPA-RESPONSE-PLAN")
        assert new_item.id != old_item.id
        assert s.get(Assessment, answer.id).item_id == old_item.id
        # Same check, new wording: the school's answer still counts, and the old item's row is gone.
        assert _status(s, school.id, new_item.id) == "met"
        assert s.execute(select(Conformance).where(Conformance.item_id == old_item.id)).first() is None


def test_an_item_for_another_phase_cannot_be_assessed(app, world):
    with data(app) as s:
        b = baseline(s, world.trust.id, "TRUST-OPS")
        baselines.add_item(b, {"code": "TRUST-SIXTH", "title": "Sixth-form wireless", "phases": ["secondary"],
                               "check_kind": "attestation", "review_days": 365}, by=None, now=NOW)
        baselines.publish(baselines.draft_of(b), by=None, now=NOW)
        sixth = item(s, world.trust.id, "TRUST-SIXTH")
        with pytest.raises(StandardsError) as error:
            assessments.record_attestation(s.get(School, world.primary.id), sixth, status="met", evidence="Yes",
                                           by=None, now=NOW)
        assert error.value.field == "item_id"


def test_a_measured_value_is_judged_by_the_thresholds_now_published(app, world, figures):
    with data(app) as s:
        school = s.get(School, world.primary.id)
        assessments.record_measurement(school, item(s, world.trust.id, "DFE-BROADBAND"),
                                       values={"download": 120, "upload": 40}, by=None, now=NOW)
        dfe = baseline(s, world.trust.id, "DFE-DTS")
        thresholds = {**item(s, world.trust.id, "DFE-BROADBAND").thresholds,
                      "primary": {"download": {"comparison": "at_least", "threshold": 300, "partly": 200},
                                  "upload": {"comparison": "at_least", "threshold": 30}}}
        baselines.update_item(dfe, "DFE-BROADBAND", {"thresholds": thresholds}, by=None, now=NOW)
        baselines.publish(baselines.draft_of(dfe), by=None, now=NOW)
        conformance.refresh(world.trust.id, [school.id], now=NOW + timedelta(days=1))
        assert _status(s, school.id, item(s, world.trust.id, "DFE-BROADBAND").id) == "not_met"


def test_an_item_with_one_measure_takes_a_lone_value(app, world):
    with data(app) as s:
        b = baseline(s, world.trust.id, "TRUST-OPS")
        baselines.add_item(b, {"code": "TRUST-UPS", "title": "UPS runtime for the core switch", "check_kind":
                               "measured", "unit": "minutes", "review_days": 365, "thresholds": {
                                   "default": {"runtime": {"comparison": "at_least", "threshold": 30}}}},
                           by=None, now=NOW)
        baselines.publish(baselines.draft_of(b), by=None, now=NOW)
        ups = item(s, world.trust.id, "TRUST-UPS")
        answer = assessments.record_measurement(s.get(School, world.primary.id), ups, value=28, by=None, now=NOW)
        assert (answer.status, answer.values) == ("partly_met", {"runtime": 28.0})  # within 90 % of 30
        with pytest.raises(StandardsError) as error:
            assessments.record_measurement(s.get(School, world.primary.id), ups, value="long", by=None, now=NOW)
        assert error.value.field == "value"
