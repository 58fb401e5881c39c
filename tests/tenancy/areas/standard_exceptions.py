"""A side's exception to one of its trust's items (asked for by its technician, so its ticket exists)
and a drift of that item, for the tenancy probe: the ids the exception and drift routes take."""
from datetime import date, datetime

from services.directory.models import School, User
from services.standards import baselines, exceptions
from services.standards.models import DriftEvent
from tests.conftest import data


def side(app, make, trust, school, word):
    now = datetime(2026, 3, 2, 10, 0)
    tech = make.user(role="technician", school=school, trust=trust, name=f"{word} Asker",
                     email=f"{word.lower()}-asker@{school.slug}.sch.uk")
    with data(app) as s:
        baseline = baselines.create_baseline(trust.id, {"code": f"{word.upper()}-EXC", "title": "Filtering"},
                                             by=None, now=now)
        item = baselines.add_item(baseline, {"code": "EXC-1", "title": "Filtering is checked each term",
                                             "check_kind": "attestation", "review_days": 120}, by=None, now=now)
        baselines.publish(baselines.draft_of(baseline), by=None, now=now)
        exception = exceptions.request_exception(s.get(School, school.id), item,
                                                 justification=f"{word} justification for the exception",
                                                 ends_on=date(2026, 7, 31), by=s.get(User, tech.id), now=now)
        drift = DriftEvent(school_id=school.id, item_id=item.id, from_status="met", to_status="expired",
                           cause="expired", at=now)
        s.add(drift)
        s.flush()
    return ({"exception_id": exception.id, "drift_id": drift.id}, [f"{word} justification"])
