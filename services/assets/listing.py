"""Pages of the register for people: filters from a query string, a keyset page in one query, and counts.

The school's list and the trust-wide list both use these, on top of `search` (the one filter every
list, count and export shares). A page is ordered by tag and continues after the last tag shown,
so page 1 000 of 300 000 assets costs what the first does.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from services.assets.models import STATUSES, Asset, AssetCategory
from services.assets.search import REPLACEMENT, WARRANTY, AssetFilters, conditions, statement
from trust_it.extensions import db

PAGE_SIZE = 50
# Filters to and from the query string live in search_args (the exports and the API share them).


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
