"""The register itself: adding and changing an asset, with every rule checked once and every change recorded.

The pages, the API, the import and the Intune sync all write through `create_asset` and
`update_asset`, so a device's identity (tag, serial per manufacturer), its derived dates and its
history follow one set of rules. Callers give `now` and `today`; these functions flush, never commit.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import Date as SqlDate
from sqlalchemy import and_, cast, func, or_, select, update

from services.assets import lifecycle
from services.assets.errors import AssetError
from services.assets.models import (
    DISPOSAL_METHODS,
    FUNDING,
    STATUSES,
    Asset,
    AssetCategory,
    AssetEvent,
    Location,
)
from services.directory.models import Membership, School, User
from trust_it.extensions import db
from trust_it.tenancy import unscoped

# What a person may set; everything else (keys, replacement date, sync columns) is derived or synced.
EDITABLE = ("tag", "serial", "manufacturer", "model", "model_number", "name", "category_id", "os", "os_version",
            "status", "assigned_user_id", "location_id", "purchased_on", "supplier", "order_number", "cost",
            "funding", "warranty_ends_on", "end_of_life_on", "disposed_on", "disposal_method",
            "wipe_certificate", "notes", "custom")
TEXT_LIMITS = {"tag": 40, "serial": 100, "manufacturer": 100, "model": 150, "model_number": 100, "name": 150,
               "os": 60, "os_version": 60, "supplier": 150, "order_number": 100, "wipe_certificate": 120,
               "notes": 20000}
# How history names a field: people read "room", not "location_id".
HISTORY_NAMES = {"category_id": "category", "assigned_user_id": "assigned_to", "location_id": "room"}
ASSIGNMENT = ("assigned_user_id", "location_id")
MAX_COST = Decimal("99999999.99")
TAG = re.compile(r"^[A-Z0-9][A-Z0-9\-_/.]*$")


def _text(field: str, value) -> str:
    text = " ".join(str(value or "").split()) if field != "notes" else str(value or "").strip()
    if len(text) > TEXT_LIMITS[field]:
        raise AssetError(f"Keep it under {TEXT_LIMITS[field]} characters.", field)
    return text


def _taken(trust_id: int, *where, except_id: int | None) -> bool:
    # Tags and serials are unique across the trust, including schools this person cannot see;
    # the answer is only "taken or not", never the other asset.
    stmt = select(Asset.id).where(Asset.trust_id == trust_id, *where)
    if except_id is not None:
        stmt = stmt.where(Asset.id != except_id)
    with unscoped():
        return db.session.execute(stmt.limit(1)).first() is not None


def _category(trust_id: int, category_id) -> AssetCategory:
    category = db.session.get(AssetCategory, category_id) if isinstance(category_id, int) else None
    if category is None or category.trust_id != trust_id:
        raise AssetError("Choose a category from the trust's list.", "category_id")
    return category


def _person(school_id: int, user_id, now: datetime) -> User | None:
    if user_id is None:
        return None
    person = db.session.execute(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(User.id == user_id, User.active.is_(True), Membership.school_id == school_id,
               Membership.current_at(now)).limit(1)).scalar_one_or_none()
    if person is None:
        raise AssetError("Choose someone at this school.", "assigned_user_id")
    return person


def _room(school_id: int, location_id) -> Location | None:
    if location_id is None:
        return None
    room = db.session.execute(select(Location).where(Location.id == location_id,
                                                     Location.school_id == school_id)).scalar_one_or_none()
    if room is None:
        raise AssetError("Choose a room of this school.", "location_id")
    return room


def _cost(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        cost = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise AssetError("Give the cost as a number of pounds, e.g. 649.99.", "cost") from None
    if cost < 0:
        raise AssetError("The cost cannot be negative.", "cost")
    if cost > MAX_COST:
        raise AssetError("That cost is too large.", "cost")
    return cost


def _day(field: str, value) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise AssetError("Give a date as YYYY-MM-DD.", field) from None


def clean_custom(definitions: list[dict], given: dict | None) -> dict:
    """The category's custom fields, each of its declared type; a field the category does not ask for is refused."""
    given = dict(given or {})
    known = {d["key"]: d for d in definitions or []}
    for key in given:
        if key not in known:
            raise AssetError(f"The category has no field “{key}”.", f"custom_{key}")
    out = {}
    for key, definition in known.items():
        value = given.get(key)
        if value is None or value == "":
            continue
        field, kind = f"custom_{key}", definition.get("type", "text")
        if kind == "number":
            try:
                number = Decimal(str(value))
            except (InvalidOperation, ValueError):
                raise AssetError(f"{definition['label']} must be a number.", field) from None
            if not number.is_finite():
                raise AssetError(f"{definition['label']} must be a number.", field)
            out[key] = int(number) if number == number.to_integral_value() else float(number)
        elif kind == "date":
            out[key] = _day(field, value).isoformat()
        elif kind == "boolean":
            if isinstance(value, bool):
                out[key] = value
            elif str(value).strip().lower() in ("yes", "true", "1", "y", "on"):
                out[key] = True
            elif str(value).strip().lower() in ("no", "false", "0", "n", "off"):
                out[key] = False
            else:
                raise AssetError(f"{definition['label']}: answer yes or no.", field)
        else:
            text = " ".join(str(value).split())
            if len(text) > 500:
                raise AssetError(f"Keep {definition['label']} under 500 characters.", field)
            out[key] = text
    return out


def _cleaned(school: School, current: dict, given: dict, now: datetime) -> dict:
    """The asset's values after `given` is applied, each checked; AssetError names the first field at fault."""
    unknown = set(given) - set(EDITABLE)
    if unknown:
        raise AssetError("That field cannot be set.", sorted(unknown)[0])
    values = {**current, **given}
    for field in TEXT_LIMITS:
        if field in given or field not in current:
            values[field] = _text(field, values.get(field))
    values["tag"] = values["tag"].upper()
    if not values["tag"]:
        raise AssetError("Give the asset tag printed on its label.", "tag")
    if not TAG.match(values["tag"]):
        raise AssetError("A tag has letters, digits and - _ / . only.", "tag")
    values["serial"] = lifecycle.serial_key(values["serial"])
    if values["status"] not in STATUSES:
        raise AssetError("Choose a status from the list.", "status")
    if values.get("funding") in ("", None):
        values["funding"] = None
    elif values["funding"] not in FUNDING:
        raise AssetError("Choose how it was paid for from the list.", "funding")
    values["cost"] = _cost(values.get("cost"))
    for field in ("purchased_on", "warranty_ends_on", "end_of_life_on", "disposed_on"):
        values[field] = _day(field, values.get(field))
    if values.get("disposal_method") in ("", None):
        values["disposal_method"] = None
    elif values["disposal_method"] not in DISPOSAL_METHODS:
        raise AssetError("Choose how it was disposed of from the list.", "disposal_method")
    if values["status"] == "disposed":
        if values["disposed_on"] is None:
            raise AssetError("Give the date it was disposed of.", "disposed_on")
        if values["disposal_method"] is None:
            raise AssetError("Say how it was disposed of (for the WEEE record).", "disposal_method")
    category = _category(school.trust_id, values.get("category_id"))
    values["custom"] = clean_custom(category.custom_fields, values.get("custom"))
    _person(school.id, values.get("assigned_user_id"), now)
    _room(school.id, values.get("location_id"))
    values["manufacturer_key"] = lifecycle.manufacturer_key(values["manufacturer"])
    values["replacement_due_on"] = lifecycle.replacement_due(values["purchased_on"], category.expected_life_months,
                                                             values["end_of_life_on"])
    return values


def _check_unique(trust_id: int, values: dict, except_id: int | None) -> None:
    if _taken(trust_id, Asset.tag == values["tag"], except_id=except_id):
        raise AssetError(f"Tag {values['tag']} is already used in the trust.", "tag")
    if values["serial"] and _taken(trust_id, Asset.manufacturer_key == values["manufacturer_key"],
                                   Asset.serial == values["serial"], except_id=except_id):
        raise AssetError("Another asset of this manufacturer has that serial number.", "serial")


def _shown(field: str, value, names: dict):
    """A value as history keeps it: what a person would read, and JSON can hold."""
    if value is None or value == "" or value == {}:
        return None
    if field in names:
        return names[field].get(value, value)
    if isinstance(value, (date, Decimal)):
        return str(value)
    return value


def _names(old: dict, new: dict) -> dict:
    """Names of the categories, people and rooms either side of a change, in one query each (only if changed)."""
    names: dict = {}
    for field, model, attr in (("category_id", AssetCategory, "name"), ("assigned_user_id", User, "display_name"),
                               ("location_id", Location, "name")):
        ids = {v for v in (old.get(field), new.get(field)) if v is not None}
        if ids and old.get(field) != new.get(field):
            rows = db.session.execute(select(model.id, getattr(model, attr)).where(model.id.in_(ids))).all()
            names[field] = dict(rows)
    return names


def record(asset: Asset, kind: str, *, by: User | None, now: datetime, changes: dict | None = None,
           note: str = "") -> AssetEvent:
    event = AssetEvent(asset_id=asset.id, school_id=asset.school_id, kind=kind, actor_id=by.id if by else None,
                       changes=changes or {}, note=note, created_at=now)
    db.session.add(event)
    return event


def _values_of(asset: Asset) -> dict:
    return {field: getattr(asset, field) for field in EDITABLE}


def create_asset(school: School, values: dict, *, by: User | None, now: datetime) -> Asset:
    """A new asset of `school`. `values` are fields of EDITABLE (ids for category, person and room)."""
    defaults = {"status": "in_stock", "custom": {}}
    cleaned = _cleaned(school, defaults, values, now)
    _check_unique(school.trust_id, cleaned, None)
    asset = Asset(school_id=school.id, trust_id=school.trust_id, created_at=now, updated_at=now, **cleaned)
    db.session.add(asset)
    db.session.flush()
    record(asset, "created", by=by, now=now)
    if cleaned.get("assigned_user_id") or cleaned.get("location_id"):
        names = _names({}, cleaned)
        record(asset, "assigned", by=by, now=now, changes={
            HISTORY_NAMES[f]: [None, _shown(f, cleaned[f], names)] for f in ASSIGNMENT if cleaned.get(f)})
    db.session.flush()
    return asset


def update_asset(asset: Asset, changes: dict, *, by: User | None, now: datetime, note: str = "") -> list[AssetEvent]:
    """Apply `changes` (fields of EDITABLE) and record what moved: a "changed" event for the details, an
    "assigned" one for person and room, a "disposed" one when it leaves for good. Nothing changed, nothing recorded."""
    school = asset.school
    before = _values_of(asset)
    cleaned = _cleaned(school, before, changes, now)
    moved = {f for f in EDITABLE if cleaned[f] != before[f]}
    derived = {f: cleaned[f] for f in ("manufacturer_key", "replacement_due_on")}
    if not moved and all(getattr(asset, f) == v for f, v in derived.items()):
        return []
    if {"tag", "serial", "manufacturer"} & moved:
        _check_unique(asset.trust_id, cleaned, asset.id)
    names = _names(before, cleaned)
    for field, value in cleaned.items():
        setattr(asset, field, value)
    asset.updated_at = now
    events = []
    details = {HISTORY_NAMES.get(f, f): [_shown(f, before[f], names), _shown(f, cleaned[f], names)]
               for f in EDITABLE if f in moved and f not in ASSIGNMENT}
    assignment = {HISTORY_NAMES[f]: [_shown(f, before[f], names), _shown(f, cleaned[f], names)]
                  for f in ASSIGNMENT if f in moved}
    if details:
        kind = "disposed" if "status" in moved and cleaned["status"] == "disposed" else "changed"
        events.append(record(asset, kind, by=by, now=now, changes=details, note=note))
    if assignment:
        events.append(record(asset, "assigned", by=by, now=now, changes=assignment, note=note if not details else ""))
    db.session.flush()
    return events


def history(asset: Asset) -> list[AssetEvent]:
    from sqlalchemy.orm import joinedload
    return list(db.session.execute(select(AssetEvent).where(AssetEvent.asset_id == asset.id)
                                   .options(joinedload(AssetEvent.actor))
                                   .order_by(AssetEvent.id.desc())).scalars())


def recompute_replacement(category: AssetCategory) -> int:
    """Every asset of the category gets its replacement date from the category's (new) life, in one UPDATE.

    Assets with an end-of-life date of their own keep it. Same rule as lifecycle.add_months: the same day
    `n` months on, or the month's last day."""
    months = int(category.expected_life_months)
    if db.engine.dialect.name == "postgresql":
        # date + interval keeps the day or takes the month's last one, as add_months does.
        due = cast(Asset.purchased_on + func.make_interval(0, months), SqlDate)
    else:
        # SQLite rolls 31 Jan + 1 month over into March: take the earlier of "same day" and "month's end".
        day_offset = "+" + cast(func.strftime("%d", Asset.purchased_on) - 1, db.String) + " days"
        same_day = func.date(Asset.purchased_on, "start of month", f"+{months} months", day_offset)
        month_end = func.date(Asset.purchased_on, "start of month", f"+{months + 1} months", "-1 day")
        due = func.min(same_day, month_end)
    result = db.session.execute(
        update(Asset).where(and_(Asset.category_id == category.id, Asset.trust_id == category.trust_id,
                                 Asset.end_of_life_on.is_(None), Asset.purchased_on.is_not(None)))
        .values(replacement_due_on=due).execution_options(synchronize_session=False))
    db.session.expire_all()
    return result.rowcount


def find(school_id: int, text: str) -> Asset | None:
    """An asset of the school by its tag or its serial number, as typed on a form (any case, spaces around)."""
    key = lifecycle.serial_key(text)
    if not key:
        return None
    stmt = select(Asset).where(Asset.school_id == school_id, or_(Asset.tag == key, Asset.serial == key))
    return db.session.execute(stmt.order_by(Asset.tag != key).limit(1)).scalar_one_or_none()
