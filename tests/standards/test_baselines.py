"""Loading the shipped standards, editing through drafts, publishing and the diff between versions."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.standards import baselines
from services.standards.errors import StandardsError
from services.standards.models import Baseline, BaselineVersion, StandardItem
from tests.conftest import data
from tests.standards.conftest import NOW, baseline


def _published_items(s, trust_id, code):
    b = baseline(s, trust_id, code)
    return baselines.items_of(baselines.published_version(b))


def test_the_shipped_standards_load_with_their_counts(app, world):
    with data(app) as s:
        dfe = _published_items(s, world.trust.id, "DFE-DTS")
        assert len(dfe) == 12
        assert sorted(i.title for i in dfe if i.core_2030) == sorted([
            "Broadband internet", "Network switching", "Wireless network", "Cyber security",
            "Filtering and monitoring", "Digital leadership and governance"])
        assert any(i.title == "IT support" and i.check_key == "desk.resolved_within_target_share" for i in dfe)
        assert len(_published_items(s, world.trust.id, "CYBER-ESSENTIALS")) == 5
        assert [i.code for i in _published_items(s, world.trust.id, "RPA-CYBER")] == [
            "RPA-BACKUPS", "RPA-TRAINING", "RPA-CYBERALARM", "RPA-RESPONSE-PLAN"]
        broadband = next(i for i in dfe if i.code == "DFE-BROADBAND")
        assert broadband.thresholds["primary"]["download"]["threshold"] == 100
        assert broadband.thresholds["primary"]["upload"]["threshold"] == 30
        assert broadband.thresholds["secondary"]["download"]["threshold"] == 1000


def test_loading_again_duplicates_nothing(app, world):
    with data(app) as s:
        assert set(baselines.load_shipped(world.trust.id, now=NOW + timedelta(days=1)).values()) == {"unchanged"}
        assert s.scalar(select(func.count()).select_from(Baseline).where(Baseline.trust_id == world.trust.id)) == 4
        assert s.scalar(select(func.count()).select_from(BaselineVersion)) == 4
        assert s.scalar(select(func.count()).select_from(StandardItem)) == 12 + 5 + 4 + 4


def test_a_changed_shipped_file_makes_a_new_version(app, world):
    entries = baselines.shipped()
    rpa = next(e for e in entries if e["code"] == "RPA-CYBER")
    rpa["items"][2]["title"] = "Registered with Police CyberAlarm"
    with data(app) as s:
        outcome = baselines.load_shipped(world.trust.id, now=NOW + timedelta(days=30), entries=entries)
        assert outcome["RPA-CYBER"] == "version 2"
        assert outcome["DFE-DTS"] == "unchanged"
        b = baseline(s, world.trust.id, "RPA-CYBER")
        assert [(v.number, v.status) for v in b.versions] == [(1, "superseded"), (2, "published")]
        change = baselines.diff(b.versions[0], b.versions[1])
        assert change["changed"] == [{"code": "RPA-CYBERALARM", "title": "Registered with Police CyberAlarm",
                                      "fields": {"title": {"before": "Police CyberAlarm",
                                                           "after": "Registered with Police CyberAlarm"}}}]


def test_the_cli_loads_the_standards_once(app, world):
    result = app.test_cli_runner().invoke(args=["standards", "load"])
    assert result.exit_code == 0, result.output
    assert "DFE-DTS: unchanged" in result.output


def test_editing_a_published_baseline_makes_a_draft_and_publishing_supersedes(app, world):
    with data(app) as s:
        b = baseline(s, world.trust.id, "CYBER-ESSENTIALS")
        first = baselines.published_version(b)
        baselines.update_item(b, "CE-ACCESS", {"review_days": 90, "severity": "critical"}, by=None, now=NOW)
        baselines.add_item(b, {"code": "CE-MFA", "title": "Multi-factor sign-in for staff", "check_kind":
                               "attestation", "review_days": 120}, by=None, now=NOW)
        baselines.remove_item(b, "CE-MALWARE", by=None, now=NOW)
        draft = baselines.draft_of(b)
        assert draft.number == 2
        # Schools are still held to the published version until the draft is published.
        assert baselines.published_version(b).id == first.id
        assert next(i for i in baselines.items_of(first) if i.code == "CE-ACCESS").review_days == 120
        baselines.publish(draft, by=None, now=NOW, note="Termly access reviews")
        assert (first.status, draft.status) == ("superseded", "published")
        assert draft.change_note == "Termly access reviews"
        change = baselines.diff(first, draft)
    assert change["added"] == ["CE-MFA"]
    assert change["removed"] == ["CE-MALWARE"]
    assert change["changed"] == [{"code": "CE-ACCESS", "title": "User access control", "fields": {
        "severity": {"before": "high", "after": "critical"}, "review_days": {"before": 120, "after": 90}}}]


def test_a_bad_item_names_the_field(app, world):
    with data(app) as s:
        b = baseline(s, world.trust.id, "TRUST-OPS")
        cases = [({"code": "X1", "title": ""}, "title"),
                 ({"code": "X1", "title": "A", "check_kind": "derived", "check_key": "made.up"}, "check_key"),
                 ({"code": "X1", "title": "A", "check_kind": "measured", "thresholds": {"infant": {}}}, "thresholds"),
                 ({"code": "X1", "title": "A", "check_kind": "measured", "thresholds": {"default": {
                     "Download Speed!": {"threshold": 1}}}}, "thresholds"),
                 ({"code": "X1", "title": "A", "check_kind": "measured", "thresholds": {"default": {
                     "download": {"comparison": "roughly", "threshold": 1}}}}, "thresholds"),
                 ({"code": "X1", "title": "A", "check_kind": "attestation"}, "review_days"),
                 ({"code": "X1", "title": "A", "check_kind": "setting", "settings": [{"key": "os"}]}, "settings"),
                 ({"code": "TRUST-GUIDANCE", "title": "Again", "check_kind": "attestation", "review_days": 30},
                  "code")]
        for values, field in cases:
            with pytest.raises(StandardsError) as error:
                baselines.add_item(b, values, by=None, now=NOW)
            assert error.value.field == field, values
        with pytest.raises(StandardsError) as error:
            baselines.publish(baselines.published_version(b), by=None, now=NOW)
        assert error.value.field == "version"


def test_the_demo_trust_has_the_standards(app):
    from services.base import utcnow
    from services.directory.generate import create_demo_trust
    with data(app):
        trust = create_demo_trust(today=utcnow().date())
        codes = {b.code for b in baselines.baselines_of(trust.id)}
    assert codes == {"DFE-DTS", "CYBER-ESSENTIALS", "RPA-CYBER", "TRUST-OPS"}
