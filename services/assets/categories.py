"""The trust's asset categories: what kinds of device it has, how long each lasts, what a new one costs."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from services.assets.models import DEFAULT_CATEGORIES, AssetCategory
from trust_it.extensions import db


def ensure_defaults(trust_id: int) -> list[AssetCategory]:
    """The trust's categories, creating the standard set the first time (flushes, never commits)."""
    existing = db.session.execute(select(AssetCategory).where(AssetCategory.trust_id == trust_id)
                                  .order_by(AssetCategory.name)).scalars().all()
    if existing:
        return list(existing)
    made = [AssetCategory(trust_id=trust_id, name=name, expected_life_months=years * 12,
                          unit_cost=Decimal(cost), custom_fields=[])
            for name, years, cost in DEFAULT_CATEGORIES]
    db.session.add_all(made)
    db.session.flush()
    return sorted(made, key=lambda c: c.name)


def by_name(trust_id: int) -> dict[str, AssetCategory]:
    """Categories keyed by lower-case name, for matching a file's "LAPTOP" or "laptops" to one."""
    out = {}
    for category in ensure_defaults(trust_id):
        key = category.name.lower()
        out[key] = category
        out.setdefault(key.rstrip("s"), category)
        out.setdefault(key + "s", category)
    return out
