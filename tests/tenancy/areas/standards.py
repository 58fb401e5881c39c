"""The standards of a side's trust and school, for the tenancy probe: a trust baseline and its item
(the ids the /baselines routes take; trust-level, so their words are not secrets — the school people
of the same trust are held to them) and the school's answer with its evidence and its conformance."""
from datetime import datetime

from services.directory.models import School
from services.standards import assessments, baselines
from tests.conftest import data


def side(app, make, trust, school, word):
    now = datetime(2026, 3, 2, 10, 0)
    with data(app) as s:
        baseline = baselines.create_baseline(trust.id, {"code": f"{word.upper()}-BUILD", "title": "Laptop build"},
                                             by=None, now=now)
        item = baselines.add_item(baseline, {"code": "BUILD-1", "title": "Laptops are rebuilt each summer",
                                             "check_kind": "attestation", "review_days": 365}, by=None, now=now)
        baselines.publish(baselines.draft_of(baseline), by=None, now=now)
        sch = s.get(School, school.id)
        assessments.record_attestation(sch, item, status="met", evidence=f"{word} evidence of the rebuild",
                                       by=None, now=now)
        assessments.mark_not_applicable(sch, item, reason=f"{word} reason it does not apply", by=None, now=now)
    return ({"baseline_id": baseline.id, "item_id": item.id}, [f"{word} evidence", f"{word} reason"])
