"""The trust's asset categories: what kinds of device it has, how long each lasts, what a new one costs."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select

from services.assets.errors import AssetError
from services.assets.models import CUSTOM_FIELD_TYPES, DEFAULT_CATEGORIES, AssetCategory
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


def parse_custom_fields(text: str) -> list[dict]:
    """Custom fields as a person writes them, one a line: "Screen size: number" (type text if none is given)."""
    fields, keys = [], set()
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        label, _, kind = line.partition(":")
        label, kind = " ".join(label.split()), (kind.strip().lower() or "text")
        if kind not in CUSTOM_FIELD_TYPES:
            raise AssetError(f"Line {number}: the type must be one of {', '.join(CUSTOM_FIELD_TYPES)}.",
                             "custom_fields")
        key = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:40]
        if not key or len(label) > 60:
            raise AssetError(f"Line {number}: give the field a name of up to 60 characters.", "custom_fields")
        if key in keys:
            raise AssetError(f"Line {number}: {label} is there twice.", "custom_fields")
        keys.add(key)
        fields.append({"key": key, "label": label, "type": kind})
    if len(fields) > 20:
        raise AssetError("A category can have up to 20 custom fields.", "custom_fields")
    return fields


def custom_fields_text(fields: list[dict]) -> str:
    return "\n".join(f"{f['label']}: {f['type']}" for f in fields or [])


def save_category(trust_id: int, category: AssetCategory | None, *, scope, name: str, expected_life_months: int,
                  unit_cost, custom_fields: list[dict], active: bool = True) -> AssetCategory:
    """Create (category None) or change one of the trust's categories. A new life recomputes the replacement
    date of every asset of the category in one statement."""
    from services.assets import permissions, register
    permissions.check(permissions.may_change_settings(scope), "Only the trust's IT leads change asset categories.")
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise AssetError("Give the category a name of up to 100 characters.", "name")
    clash = db.session.execute(select(AssetCategory.id).where(
        AssetCategory.trust_id == trust_id, func.lower(AssetCategory.name) == name.lower(),
        AssetCategory.id != (category.id if category else 0))).first()
    if clash:
        raise AssetError(f"The trust already has a category called {name}.", "name")
    if not isinstance(expected_life_months, int) or not 1 <= expected_life_months <= 600:
        raise AssetError("Give the expected life in months, from 1 to 600.", "expected_life_months")
    try:
        cost = Decimal(str(unit_cost)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise AssetError("Give the cost of a replacement in pounds.", "unit_cost") from None
    if not Decimal(0) <= cost <= Decimal("99999999.99"):
        raise AssetError("The cost cannot be negative or that large.", "unit_cost")
    if category is None:
        category = AssetCategory(trust_id=trust_id, name=name, expected_life_months=expected_life_months,
                                 unit_cost=cost, custom_fields=custom_fields, active=active)
        db.session.add(category)
        db.session.flush()
        return category
    life_changed = category.expected_life_months != expected_life_months
    category.name, category.expected_life_months, category.unit_cost = name, expected_life_months, cost
    category.custom_fields, category.active = list(custom_fields), active
    db.session.flush()
    if life_changed:
        register.recompute_replacement(category)
    return category
