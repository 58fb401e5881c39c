"""Finding assets: the one filter every list, count and export of the register shares.

A school's list, the trust-wide list, the API and the exports all build their query here, so
"laptops out of warranty at Oakwood" means the same rows on a page, in a CSV and through the
API. Visibility is the tenancy guard's: this only narrows what the person already sees.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, and_, func, or_, select

from services.assets.forecast import unsupported_on
from services.assets.lifecycle import add_months
from services.assets.models import GONE_STATUSES, STATUSES, Asset, AssetCategory, Location
from services.directory.models import User

WARRANTY = {"in": "In warranty", "expiring": "Ends within 90 days", "out": "Out of warranty",
            "unknown": "Not recorded"}
REPLACEMENT = {"overdue": "Replacement overdue", "this_year": "Due within a year"}
# Kinds of device the standards speak of, by the trust's category names (the defaults' names).
GROUPS = {"end_user": ("End-user devices", ("laptop", "desktop", "tablet", "chromebook")),
          "network": ("Network kit", ("switch", "firewall", "wireless access point"))}
SUPPORT = {"unsupported": "Operating system out of support"}
ENCRYPTED = {"no": "Managed by Intune, not encrypted"}


@dataclass
class AssetFilters:
    """What a person asked for; empty means "any". `today` is the caller's (never the clock's here)."""
    today: date
    q: str = ""                      # the start of a tag, serial or device name; a person; a room
    school_ids: tuple[int, ...] = ()
    category_ids: tuple[int, ...] = ()
    statuses: tuple[str, ...] = ()
    warranty: str = ""               # a key of WARRANTY
    replacement: str = ""            # a key of REPLACEMENT
    os: str = ""                     # "Windows", "ChromeOS"…: a prefix of the OS name
    model: str = ""                  # "Latitude", "iPad": a prefix of the model
    older_than_years: int | None = None
    location_id: int | None = None
    assigned_user_id: int | None = None
    include_gone: bool = False       # retired, lost/stolen and disposed are hidden unless asked for
    group: str = ""                  # a key of GROUPS
    support: str = ""                # a key of SUPPORT
    encrypted: str = ""              # a key of ENCRYPTED
    unseen_days: int | None = None   # managed by Intune and not seen for more than this many days
    managed: bool = False            # managed by Intune (it has an Intune device id)
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        self.statuses = tuple(s for s in self.statuses if s in STATUSES)
        if self.warranty not in WARRANTY:
            self.warranty = ""
        if self.replacement not in REPLACEMENT:
            self.replacement = ""
        for name, known in (("group", GROUPS), ("support", SUPPORT), ("encrypted", ENCRYPTED)):
            if getattr(self, name) not in known:
                setattr(self, name, "")
        self.q = self.q.strip()[:100]


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def conditions(f: AssetFilters) -> list:
    where = []
    if f.school_ids:
        where.append(Asset.school_id.in_(f.school_ids))
    if f.category_ids:
        where.append(Asset.category_id.in_(f.category_ids))
    if f.statuses:
        where.append(Asset.status.in_(f.statuses))
    elif not f.include_gone:
        where.append(Asset.status.notin_(GONE_STATUSES))
    if f.warranty == "in":
        where.append(Asset.warranty_ends_on >= f.today)
    elif f.warranty == "expiring":
        where.append(and_(Asset.warranty_ends_on >= f.today, Asset.warranty_ends_on < f.today + timedelta(days=90)))
    elif f.warranty == "out":
        where.append(Asset.warranty_ends_on < f.today)
    elif f.warranty == "unknown":
        where.append(Asset.warranty_ends_on.is_(None))
    if f.replacement == "overdue":
        where.append(Asset.replacement_due_on < f.today)
    elif f.replacement == "this_year":
        where.append(and_(Asset.replacement_due_on >= f.today,
                          Asset.replacement_due_on < add_months(f.today, 12)))
    if f.os:
        where.append(Asset.os.ilike(_like_prefix(f.os), escape="\\"))
    if f.model:
        where.append(Asset.model.ilike(_like_prefix(f.model.strip()), escape="\\"))
    if f.older_than_years:
        where.append(Asset.purchased_on < add_months(f.today, -12 * f.older_than_years))
    if f.location_id:
        where.append(Asset.location_id == f.location_id)
    if f.assigned_user_id:
        where.append(Asset.assigned_user_id == f.assigned_user_id)
    if f.q:
        where.append(_text_match(f.q))
    if f.group:
        names = GROUPS[f.group][1]
        where.append(Asset.category_id.in_(select(AssetCategory.id).where(func.lower(AssetCategory.name).in_(names))))
    if f.managed:
        where.append(Asset.intune_device_id.is_not(None))
    if f.support == "unsupported":
        where.append(unsupported_on(f.today))
    if f.encrypted == "no":
        where.append(and_(Asset.intune_device_id.is_not(None), or_(Asset.encrypted.is_(None),
                                                                   Asset.encrypted.is_(False))))
    if f.unseen_days:
        # Never seen (Intune's "never synced") is unseen too: a device that enrolled and vanished.
        where.append(and_(Asset.intune_device_id.is_not(None),
                          or_(Asset.last_seen_at.is_(None), Asset.last_seen_at < unseen_before(f))))
    return where


def unseen_before(f: AssetFilters) -> datetime:
    """The moment before which a managed device counts as unseen: midnight, `unseen_days` before today."""
    return datetime.combine(f.today - timedelta(days=f.unseen_days or 0), time.min)


def starts_with(column, prefix: str):
    """`column` begins with `prefix`, as a range the column's index serves (see models._identifier)."""
    return and_(column >= prefix, column < prefix[:-1] + chr(ord(prefix[-1]) + 1))


# People and rooms a search may name, at most: a search that matches more is too broad to mean one.
MATCHED_NAMES = 200


def _text_match(q: str):
    """Tags, serials and device names by their start (upper-case, as stored; indexed), people and
    rooms by a part of their name. The model is a filter of its own (`model`), not part of the
    search: matching inside every model name would read every asset of the trust.

    The people and rooms are looked up first and their ids written into the condition, so every
    branch of the OR is an index lookup (a sub-select there would make PostgreSQL read every asset)."""
    from trust_it.extensions import db  # the search module stays importable without an app

    prefix = q.upper()
    part = "%" + _like_prefix(q)[:-1] + "%"
    people = db.session.execute(select(User.id).where(or_(
        User.display_name.ilike(part, escape="\\"), User.email.ilike(part, escape="\\")))
        .limit(MATCHED_NAMES)).scalars().all()
    rooms = db.session.execute(select(Location.id).where(Location.name.ilike(part, escape="\\"))
                               .limit(MATCHED_NAMES)).scalars().all()
    # Device names keep the case they were given (Intune's, or typed): as typed, or upper-case.
    names = {q, prefix}
    branches = [starts_with(Asset.tag, prefix), starts_with(Asset.serial, prefix),
                *(starts_with(Asset.name, name) for name in names)]
    if people:
        branches.append(Asset.assigned_user_id.in_(people))
    if rooms:
        branches.append(Asset.location_id.in_(rooms))
    return or_(*branches)


def statement(f: AssetFilters) -> Select:
    """The matching assets, newest tag order last: callers add ordering, keyset and columns."""
    return select(Asset).where(*conditions(f))


def count(f: AssetFilters) -> Select:
    return select(func.count()).select_from(Asset).where(*conditions(f))
