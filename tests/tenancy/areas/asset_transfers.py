"""A device of one school, due for replacement on an operating system out of support, so the
refresh forecast and the transfer pages have figures to leak if they could (they must not)."""
from datetime import date
from decimal import Decimal

from services.assets.models import Asset, AssetCategory
from tests.conftest import data


def side(app, make, trust, school, word):
    with data(app) as s:
        # Categories are the trust's, shared by its schools: named without the side's word.
        kind = AssetCategory(trust_id=trust.id, name=f"Forecast kit {school.slug}", expected_life_months=60,
                             unit_cost=Decimal("777.00"), custom_fields=[])
        s.add(kind)
        s.flush()
        s.add(Asset(trust_id=trust.id, school_id=school.id, tag=f"{word.upper()}-FC-1", category_id=kind.id,
                    model=f"{word} Forecast Model", os="Windows 10 Pro", end_of_life_on=date(2020, 1, 1),
                    replacement_due_on=date(2020, 1, 1), custom={}))
    return {}, [f"{word.upper()}-FC-1", f"{word} Forecast Model"]
