"""Software licences, trust-wide or one school's: seats bought and used, expiry and cost.

More seats used than bought is shown as a warning, never refused: the register records what
is, and the person sorting it out needs to see it first.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import or_, select

from services.assets.errors import AssetError
from services.assets.models import Licence
from services.directory.models import School
from trust_it.extensions import db

FIELDS = ("product", "vendor", "seats", "seats_used", "expires_on", "cost", "reference", "notes")
LIMITS = {"product": 150, "vendor": 150, "reference": 120, "notes": 5000}
MAX_SEATS = 1_000_000


def _cleaned(current: dict, given: dict) -> dict:
    unknown = set(given) - set(FIELDS)
    if unknown:
        raise AssetError("That field cannot be set.", sorted(unknown)[0])
    values = {**current, **given}
    for field, limit in LIMITS.items():
        text = str(values.get(field) or "").strip()
        text = text if field == "notes" else " ".join(text.split())
        if len(text) > limit:
            raise AssetError(f"Keep it under {limit} characters.", field)
        values[field] = text
    if not values["product"]:
        raise AssetError("Name the product, e.g. Microsoft 365 A3.", "product")
    for field in ("seats", "seats_used"):
        value = values.get(field)
        if value is None or value == "":
            value = 0 if field == "seats_used" else None
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise AssetError("Give a whole number.", field) from None
        if not 0 <= value <= MAX_SEATS:
            raise AssetError(f"Give a number from 0 to {MAX_SEATS:,}.", field)
        values[field] = value
    expires = values.get("expires_on")
    if expires in ("", None):
        values["expires_on"] = None
    elif not isinstance(expires, date):
        try:
            values["expires_on"] = date.fromisoformat(str(expires))
        except ValueError:
            raise AssetError("Give a date as YYYY-MM-DD.", "expires_on") from None
    cost = values.get("cost")
    if cost in ("", None):
        values["cost"] = None
    else:
        try:
            values["cost"] = Decimal(str(cost)).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            raise AssetError("Give the cost as a number of pounds.", "cost") from None
        if values["cost"] < 0 or values["cost"] > Decimal("99999999.99"):
            raise AssetError("The cost cannot be negative or that large.", "cost")
    return values


def overused(licence: Licence) -> bool:
    return licence.seats_used > licence.seats


def create_licence(trust_id: int, school: School | None, values: dict, *, now: datetime) -> Licence:
    """A licence of the trust (school None) or of `school`, which must be the trust's."""
    if school is not None and school.trust_id != trust_id:
        raise AssetError("Choose a school of the trust.", "school_id")
    cleaned = _cleaned({}, values)
    licence = Licence(trust_id=trust_id, school_id=school.id if school else None, created_at=now, updated_at=now,
                      **cleaned)
    db.session.add(licence)
    db.session.flush()
    return licence


def update_licence(licence: Licence, changes: dict, *, now: datetime) -> Licence:
    cleaned = _cleaned({f: getattr(licence, f) for f in FIELDS}, changes)
    for field, value in cleaned.items():
        setattr(licence, field, value)
    licence.updated_at = now
    db.session.flush()
    return licence


def delete_licence(licence: Licence) -> None:
    db.session.delete(licence)
    db.session.flush()


def licences_for(trust_id: int, school_id: int | None, *, trust_wide: bool = True) -> list[Licence]:
    """A school's licences and (if `trust_wide`) the trust's own, soonest to expire first; school None: the trust's."""
    stmt = select(Licence).where(Licence.trust_id == trust_id)
    if school_id is None:
        stmt = stmt.where(Licence.school_id.is_(None))
    elif trust_wide:
        stmt = stmt.where(or_(Licence.school_id == school_id, Licence.school_id.is_(None)))
    else:
        stmt = stmt.where(Licence.school_id == school_id)
    return list(db.session.execute(stmt.order_by(Licence.expires_on.is_(None), Licence.expires_on,
                                                 Licence.product)).scalars())
