"""Moving devices between schools of a trust: one asset or a batch, all of it or none of it.

A transfer is set-based: whatever the batch's size it reads the assets once, checks every one,
and then writes with a handful of statements (the assets, their history, the transfer and its
items, one 'transferred' event per asset), so 30 laptops cost what one does. The history moves
with the device (its events take the new school), so the school that holds it sees its whole
life, while the school it left keeps the transfer record and its tags.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from services.assets import permissions
from services.assets.errors import AssetError
from services.assets.lifecycle import serial_key
from services.assets.models import STATUSES, Asset, AssetEvent, Transfer, TransferItem
from services.audit import log
from services.base import utcnow
from services.desk import bulk
from services.directory.models import Membership, School, User
from trust_it.extensions import db
from trust_it.tenancy import Scope, scope_for, unscoped

# A device nobody can hand over stays where it is on the record: moving it would hide it from
# the school that has to account for it (WEEE, insurance, the police report).
NOT_MOVABLE = ("disposed", "lost_stolen")
# A school's whole fleet at most: a bigger move is a data migration, not a transfer.
MAX_BATCH = 2000
_SEPARATORS = re.compile(r"[\r\n,;\t]+")


def parse_tags(text: str) -> list[str]:
    """Tags or serials as a scanner pastes them: one a line (or comma-separated), stray space,
    blank lines and repeats ignored, in the order given."""
    seen: dict[str, None] = {}
    for part in _SEPARATORS.split(text or ""):
        key = serial_key(part)  # tags and serials are both stored upper-case, without spaces round them
        if key:
            seen.setdefault(key, None)
    return list(seen)


@dataclass
class Plan:
    """What a transfer will do, checked and not yet written: the confirmation page shows it."""
    from_school: School
    to_school: School
    reason: str
    assets: list[Asset]
    keeps_person: set[int] = field(default_factory=set)  # asset ids whose person also belongs at the destination

    @property
    def rooms_cleared(self) -> int:
        return sum(1 for a in self.assets if a.location_id)

    @property
    def people_cleared(self) -> int:
        return sum(1 for a in self.assets if a.assigned_user_id and a.id not in self.keeps_person)


def _scope_of(by: User | None, scope: Scope | None) -> Scope:
    return scope if scope is not None else scope_for(by)


def _lines(label: str, tags: list[str]) -> str:
    shown = ", ".join(tags[:20]) + (f" and {len(tags) - 20} more" if len(tags) > 20 else "")
    return f"{label}: {shown}."


def plan(*, from_school: School | None, to_school: School | None, reason: str, tags: list[str] | None = None,
         asset_ids: list[int] | None = None, by: User | None, now: datetime, scope: Scope | None = None) -> Plan:
    """Check a transfer without writing anything. Every fault of the batch is reported at once,
    naming the field and the offending tags, so a pasted list of 30 is corrected in one go.

    `from_school` may be None when the assets name it (the API moves "these ids to there")."""
    scope = _scope_of(by, scope)
    permissions.check(permissions.may_transfer(scope), "Only the trust's IT team can move devices between schools.")
    field_name = "tags" if asset_ids is None else "asset_ids"
    if asset_ids is None:
        wanted = list(dict.fromkeys(k for k in map(serial_key, tags or []) if k))
    else:
        wanted = list(dict.fromkeys(asset_ids))
    if not wanted:
        raise AssetError("Enter the asset tags or serial numbers of the devices to move, one a line.", field_name)
    if len(wanted) > MAX_BATCH:
        raise AssetError(f"A transfer moves at most {MAX_BATCH:,} devices; split this one.", field_name)
    if to_school is None or to_school.trust_id != scope.trust_id:
        raise AssetError("Choose the school the devices are going to.", "to_school_id")
    if from_school is not None and from_school.trust_id != scope.trust_id:
        raise AssetError("Choose the school the devices are coming from.", "from_school_id")
    if from_school is not None and from_school.id == to_school.id:
        raise AssetError("Choose a school other than the one the devices are at.", "to_school_id")
    reason = (reason or "").strip()
    if not reason:
        raise AssetError("Say why the devices are moving: both schools will read it.", "reason")

    found = _load(scope.trust_id, wanted, by_id=asset_ids is not None)
    by_key, unknown, ambiguous = _match(found, wanted, by_id=asset_ids is not None)
    assets = list(dict.fromkeys(by_key.values()))  # a tag and a serial of one device are one device
    problems = []
    if unknown:
        problems.append(_lines("Not in the register", [str(k) for k in unknown]))
    if ambiguous:
        problems.append(_lines("More than one device has this serial number; use the asset tag", ambiguous))
    if from_school is None and len({a.school_id for a in assets}) == 1:
        from_school = assets[0].school
    if from_school is not None:
        elsewhere = [a.tag for a in assets if a.school_id != from_school.id]
        if elsewhere:
            problems.append(_lines(f"Not at {from_school.name}", elsewhere))
    elif assets:
        problems.append("These devices are at different schools: move each school's devices separately.")
    gone = [a for a in assets if a.status in NOT_MOVABLE]
    for status in NOT_MOVABLE:
        tags_of = [a.tag for a in gone if a.status == status]
        if tags_of:
            problems.append(_lines(STATUSES[status], tags_of))
    if problems:
        raise AssetError("Nothing was moved. " + " ".join(problems), field_name)
    if from_school.id == to_school.id:
        raise AssetError(f"The devices are already at {to_school.name}: choose another school.", "to_school_id")
    return Plan(from_school=from_school, to_school=to_school, reason=reason, assets=assets,
                keeps_person=_people_staying(assets, to_school, now))


def _load(trust_id: int, wanted: list, *, by_id: bool) -> list[Asset]:
    """The assets named, with the room and person their history will record, in one query."""
    if by_id:
        match = Asset.id.in_(wanted)
    else:
        match = or_(Asset.tag.in_(wanted), Asset.serial.in_(wanted))
    return list(db.session.execute(
        select(Asset).where(Asset.trust_id == trust_id, match)
        .options(joinedload(Asset.location), joinedload(Asset.assigned_user), joinedload(Asset.school))
        .order_by(Asset.tag)).scalars().unique())


def _match(found: list[Asset], wanted: list, *, by_id: bool):
    if by_id:
        ids = {a.id: a for a in found}
        return {k: ids[k] for k in wanted if k in ids}, [k for k in wanted if k not in ids], []
    tags = {a.tag: a for a in found}
    serials: dict[str, list[Asset]] = {}
    for a in found:
        if a.serial:
            serials.setdefault(a.serial, []).append(a)
    matched, unknown, ambiguous = {}, [], []
    for key in wanted:
        if key in tags:  # the label's tag is unique in the trust: it wins over anyone's serial
            matched[key] = tags[key]
        elif len(serials.get(key, ())) == 1:
            matched[key] = serials[key][0]
        elif key in serials:
            ambiguous.append(key)
        else:
            unknown.append(key)
    return matched, unknown, ambiguous


def _people_staying(assets: list[Asset], to_school: School, now: datetime) -> set[int]:
    """Assets whose person also works at the destination (or trust-wide) keep them; one query."""
    people = {a.assigned_user_id for a in assets if a.assigned_user_id}
    if not people:
        return set()
    there = set(db.session.execute(select(Membership.user_id).where(
        Membership.user_id.in_(people), Membership.current_at(now),
        or_(Membership.school_id == to_school.id,
            and_(Membership.school_id.is_(None), Membership.trust_id == to_school.trust_id)))).scalars())
    return {a.id for a in assets if a.assigned_user_id in there}


def execute(p: Plan, *, by: User | None, now: datetime) -> Transfer:
    """Write a checked plan: a few statements for the whole batch (flushes, never commits)."""
    ids = [a.id for a in p.assets]
    clear_person = [a.id for a in p.assets if a.assigned_user_id and a.id not in p.keeps_person]
    transfer = Transfer(trust_id=p.from_school.trust_id, from_school_id=p.from_school.id,
                        to_school_id=p.to_school.id, reason=p.reason, actor_id=getattr(by, "id", None),
                        asset_count=len(ids), created_at=now)
    db.session.add(transfer)
    db.session.flush()
    # Rooms belong to a school, so a moved device has none until the new school places it.
    values = {"school_id": p.to_school.id, "location_id": None, "updated_at": now}
    if clear_person:
        values["assigned_user_id"] = case((Asset.id.in_(clear_person), None), else_=Asset.assigned_user_id)
    db.session.execute(update(Asset).where(Asset.id.in_(ids), Asset.school_id == p.from_school.id)
                       .values(**values).execution_options(synchronize_session=False))
    # The history moves with the device (the events' school follows it).
    db.session.execute(update(AssetEvent).where(AssetEvent.asset_id.in_(ids))
                       .values(school_id=p.to_school.id).execution_options(synchronize_session=False))
    bulk.insert_rows(TransferItem, [{"transfer_id": transfer.id, "asset_id": a.id, "tag": a.tag,
                                     "description": _description(a)} for a in p.assets])
    note = f"Transfer {transfer.id}: {p.reason}"
    bulk.insert_rows(AssetEvent, [{"asset_id": a.id, "school_id": p.to_school.id, "kind": "transferred",
                                   "actor_id": transfer.actor_id, "changes": _changes(p, a), "note": note,
                                   "created_at": now} for a in p.assets])
    for a in p.assets:  # what the database now holds, without a SELECT or a row-by-row UPDATE
        set_committed_value(a, "school_id", p.to_school.id)
        set_committed_value(a, "school", p.to_school)
        set_committed_value(a, "location_id", None)
        set_committed_value(a, "location", None)
        set_committed_value(a, "updated_at", now)
        if a.id in clear_person:
            set_committed_value(a, "assigned_user_id", None)
            set_committed_value(a, "assigned_user", None)
    set_committed_value(transfer, "from_school", p.from_school)
    set_committed_value(transfer, "to_school", p.to_school)
    tags = [a.tag for a in p.assets]
    log.record("asset.transferred",
               f"{devices(len(ids))} moved from {p.from_school.name} to {p.to_school.name}: {p.reason}",
               actor=by, trust_id=transfer.trust_id, school=p.from_school,
               detail={"transfer_id": transfer.id, "from_school_id": p.from_school.id,
                       "to_school_id": p.to_school.id, "tags": tags[:200], "count": len(tags)})
    return transfer


def transfer(*, from_school: School | None, to_school: School | None, reason: str, tags: list[str] | None = None,
             asset_ids: list[int] | None = None, by: User | None, now: datetime | None = None,
             scope: Scope | None = None) -> Transfer:
    """Check and move a batch: every device or none (an error writes nothing)."""
    now = now or utcnow()
    p = plan(from_school=from_school, to_school=to_school, reason=reason, tags=tags, asset_ids=asset_ids,
             by=by, now=now, scope=scope)
    return execute(p, by=by, now=now)


def _description(a: Asset) -> str:
    words = " ".join(w for w in (a.manufacturer, a.model) if w) or a.name
    return (f"{words} (serial {a.serial})" if a.serial else words)[:300]


def _changes(p: Plan, a: Asset) -> dict:
    changes = {"school": [p.from_school.name, p.to_school.name]}
    if a.location_id:
        changes["location"] = [a.location.name if a.location else None, None]
    if a.assigned_user_id and a.id not in p.keeps_person:
        changes["assigned_to"] = [a.assigned_user.display_name if a.assigned_user else None, None]
    return changes


def devices(n: int) -> str:
    return "1 device" if n == 1 else f"{n:,} devices"


# --- reading ---------------------------------------------------------------------------------

def visible(scope: Scope, school_ids=None):
    """Transfers of the scope's trust that left or reached a school in scope (row-level security
    on PostgreSQL admits the same rows), or of those of `school_ids` in scope. Callers add paging."""
    ids = [i for i in (scope.school_ids if school_ids is None else school_ids) if scope.sees(i)]
    return (select(Transfer)
            .where(Transfer.trust_id == (scope.trust_id or 0),
                   or_(Transfer.from_school_id.in_(ids), Transfer.to_school_id.in_(ids)))
            .options(joinedload(Transfer.actor), selectinload(Transfer.items)))


def of_school(scope: Scope, school_id: int):
    """A school's transfers in and out (the school must be in scope, or nothing is found)."""
    return visible(scope).where(or_(Transfer.from_school_id == school_id, Transfer.to_school_id == school_id))


def page(stmt, scope: Scope, *, before_id: int | None = None, limit: int = 50) -> tuple[list[Transfer], int | None]:
    """Newest first by id, with both schools' names; the id to pass as `before` for the next page."""
    if before_id:
        stmt = stmt.where(Transfer.id < before_id)
    rows = list(db.session.execute(stmt.order_by(Transfer.id.desc()).limit(limit + 1)).scalars().unique())
    more = len(rows) > limit
    rows = with_school_names(rows[:limit], scope)
    return rows, (rows[-1].id if more and rows else None)


def with_school_names(rows: list[Transfer], scope: Scope) -> list[Transfer]:
    """Name both ends of each transfer (`from_school_name`, `to_school_name`). Seeing a transfer means
    knowing where the devices went or came from, and that school may be outside the scope (the school a
    laptop left sees where it went), so its name, and only its name, is read past the guard: one query,
    schools of the scope's own trust, at the ends of transfers the scope already sees."""
    ids = {t.from_school_id for t in rows} | {t.to_school_id for t in rows}
    names = {}
    if ids:
        with unscoped():
            names = dict(db.session.execute(select(School.id, School.name).where(
                School.id.in_(ids), School.trust_id == (scope.trust_id or 0))).all())
    for t in rows:
        t.from_school_name = names.get(t.from_school_id, "")
        t.to_school_name = names.get(t.to_school_id, "")
    return rows
