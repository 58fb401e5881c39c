"""The asset register of a side's school, for the tenancy probe: a room, an asset in it, a licence of the
school, and one of the trust's asset categories (the ids the /s/…/assets and /trust/assets routes take)."""
from datetime import datetime

from services.assets import categories, licences, locations, register
from services.assets.models import AssetCategory
from services.directory.models import School
from tests.conftest import data


def side(app, make, trust, school, word):
    now = datetime(2026, 3, 2, 10, 0)
    with data(app) as s:
        sch = s.get(School, school.id)
        categories.ensure_defaults(trust.id)
        category = AssetCategory(trust_id=trust.id, name=f"{word} Kit", expected_life_months=60, unit_cost=1,
                                 custom_fields=[], active=True)
        s.add(category)
        s.flush()
        room = locations.create_location(sch, name=f"{word} Room")
        asset = register.create_asset(sch, {"tag": f"{word.upper()}-TAG", "serial": f"{word}Serial",
                                            "model": f"{word} Model", "category_id": category.id,
                                            "location_id": room.id}, by=None, now=now)
        licence = licences.create_licence(trust.id, sch, {"product": f"{word} Licence", "seats": 1}, now=now)
    return ({"asset_id": asset.id, "location_id": room.id, "licence_id": licence.id,
             "asset_category_id": category.id},
            [f"{word} Room", f"{word.upper()}-TAG", f"{word} Model", f"{word} Licence"])
