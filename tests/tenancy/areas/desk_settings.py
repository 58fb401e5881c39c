"""The desk settings of a side's trust, for the tenancy probe: a category, a service and an SLA
override for the side's school (the ids the /trust/desk/settings/… routes take).

Categories and services are trust-wide, so elm's are rightly on oak's ticket form (same
trust) while the probe counts elm's words as hidden from oak's school people. The side's
category and service are therefore retired: they appear only on the settings pages, where the
probe's real question is asked — a trust administrator never sees another trust's.
"""
from services.desk import settings
from services.directory.models import School, Trust
from tests.conftest import data


def side(app, make, trust, school, word):
    with data(app) as s:
        owner_trust = s.get(Trust, trust.id)
        category = settings.add_category(owner_trust, name=f"{word} Category", by=None)
        settings.set_category_active(category, False, by=None)
        service = settings.add_service(owner_trust, name=f"{word} Service", description=f"{word} Service desk",
                                       by=None)
        settings.set_service_active(service, False, by=None)
        settings.set_targets(owner_trust, {1: (20, 200)}, school=s.get(School, school.id), by=None)
        target = settings.school_overrides(trust.id, school.id)[0][0]
    return ({"category_id": category.id, "service_id": service.id, "target_id": target.id},
            [f"{word} Category", f"{word} Service"])
