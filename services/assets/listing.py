"""Pages of the register for people: filters from a query string, a keyset page in one query, and counts.

The school's list and the trust-wide list both use these, on top of `search` (the one filter every
list, count and export shares). A page is ordered by tag and continues after the last tag shown,
so page 1 000 of 300 000 assets costs what the first does.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from services.assets.models import STATUSES, Asset, AssetCategory
from services.assets.search import REPLACEMENT, WARRANTY, AssetFilters, conditions, statement
from trust_it.extensions import db
from trust_it.ids import db_int

PAGE_SIZE = 50
# The query-string names of the filters, as the pages and their links use them.
NAMES = ("q", "school", "category", "status", "warranty", "replacement", "os", "older_than", "room", "person", "gone")


def _ids(values: list[str]) -> tuple[int, ...]:
    return tuple(db_int(v) for v in values if v.isascii() and v.isdigit())[:50]


def filters_from(args: Mapping, today: date, *, school_id: int | None = None) -> AssetFilters:
    """AssetFilters from a query string (a MultiDict or a dict of lists); what it does not know is ignored.
    `school_id` fixes the school (a school's own list); otherwise `school` may name several."""
    def many(name):
        got = args.getlist(name) if hasattr(args, "getlist") else args.get(name, [])
        return [v for v in ([got] if isinstance(got, str) else got) if v]

    def one(name):
        values = many(name)
        return values[0] if values else ""

    older = one("older_than")
    return AssetFilters(
        today=today, q=one("q"), school_ids=(school_id,) if school_id else _ids(many("school")),
        category_ids=_ids(many("category")), statuses=tuple(many("status")), warranty=one("warranty"),
        replacement=one("replacement"), os=one("os")[:60],
        older_than_years=min(int(older), 50) if older.isdigit() and older != "0" else None,
        location_id=(_ids([one("room")]) or (None,))[0], assigned_user_id=(_ids([one("person")]) or (None,))[0],
        include_gone=one("gone") == "1")


def query_of(f: AssetFilters, *, with_school: bool) -> dict:
    """The filters back as query-string values, for links that keep them (pages, labels)."""
    out = {"q": f.q, "category": [str(i) for i in f.category_ids], "status": list(f.statuses),
           "warranty": f.warranty, "replacement": f.replacement, "os": f.os,
           "older_than": str(f.older_than_years or ""), "room": str(f.location_id or ""),
           "person": str(f.assigned_user_id or ""), "gone": "1" if f.include_gone else ""}
    if with_school:
        out["school"] = [str(i) for i in f.school_ids]
    return {k: v for k, v in out.items() if v}


@dataclass
class Page:
    items: list[Asset]
    next_after: str | None


def page(f: AssetFilters, *, after: str | None = None, limit: int | None = None) -> Page:
    """One page of assets by tag, with their school, category, person and room: one query."""
    limit = limit or PAGE_SIZE
    stmt = (statement(f).options(joinedload(Asset.school), joinedload(Asset.category),
                                 joinedload(Asset.assigned_user), joinedload(Asset.location))
            .order_by(Asset.tag).limit(limit + 1))
    if after:
        stmt = stmt.where(Asset.tag > after[:40])
    rows = list(db.session.execute(stmt).scalars().unique())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, rows[-1].tag if more and rows else None)


def selection(f: AssetFilters, limit: int) -> list[Asset]:
    """Up to `limit` assets of the filters (for a sheet of labels), by tag, with their school."""
    stmt = statement(f).options(joinedload(Asset.school)).order_by(Asset.tag).limit(limit)
    return list(db.session.execute(stmt).scalars().unique())


def counts(f: AssetFilters) -> dict:
    """How many assets match, by status and by category: one GROUP BY, the same filters."""
    rows = db.session.execute(select(Asset.status, Asset.category_id, func.count())
                              .where(*conditions(f)).group_by(Asset.status, Asset.category_id)).all()
    by_status: dict[str, int] = {}
    by_category: dict[int, int] = {}
    for status, category_id, n in rows:
        by_status[status] = by_status.get(status, 0) + n
        by_category[category_id] = by_category.get(category_id, 0) + n
    return {"total": sum(by_status.values()),
            "status": [(key, STATUSES[key], by_status[key]) for key in STATUSES if by_status.get(key)],
            "category": by_category}


def trust_categories(trust_id: int, *, active_only: bool = False) -> list[AssetCategory]:
    stmt = select(AssetCategory).where(AssetCategory.trust_id == trust_id).order_by(AssetCategory.name)
    if active_only:
        stmt = stmt.where(AssetCategory.active.is_(True))
    return list(db.session.execute(stmt).scalars())


CHOICES = {"warranty": WARRANTY, "replacement": REPLACEMENT, "status": STATUSES}
