"""Conformance month by month: the points of the trust's and each school's trend.

The current state lives in `Conformance` (one row per school × item); a trend needs what it was.
After every refresh `record_month` folds the current rows into one row per school × baseline for
the month of `now`, in one INSERT … SELECT … GROUP BY that overwrites the month's row, so a month
ends holding its last state. Reading a trend sums those rows, never the items.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Date, Integer, case, cast, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from services.directory.models import School
from services.standards.models import BaselineVersion, Conformance, ConformanceMonth, StandardItem
from trust_it.extensions import db

COUNTED = ("met", "partly_met", "not_met", "exception")


def month_of(moment: datetime | date) -> date:
    return date(moment.year, moment.month, 1)


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def record_month(trust_id: int, *, now: datetime, school_ids=None) -> int:
    """Write (or overwrite) this month's row per school × baseline from the current conformance."""
    month = month_of(now)
    status = Conformance.status
    applicable = status != "not_applicable"
    core = StandardItem.core_2030.is_(True)
    counts = {**{name: _count(status == name) for name in COUNTED},
              "unknown": _count(status.in_(("unknown", "expired"))),
              "applicable": _count(applicable),
              "core_met": _count(core & (status == "met")),
              "core_applicable": _count(core & applicable)}
    source = (select(Conformance.school_id, Conformance.baseline_id, literal(month, Date).label("month"),
                     *(cast(expr, Integer).label(name) for name, expr in counts.items()))
              .join(StandardItem, StandardItem.id == Conformance.item_id)
              .join(BaselineVersion, BaselineVersion.id == StandardItem.version_id)
              .join(School, School.id == Conformance.school_id)
              .where(School.trust_id == trust_id, BaselineVersion.status == "published")
              .group_by(Conformance.school_id, Conformance.baseline_id))
    if school_ids is not None:
        source = source.where(Conformance.school_id.in_(list(school_ids)))
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(ConformanceMonth).from_select(["school_id", "baseline_id", "month", *counts], source)
    stmt = stmt.on_conflict_do_update(index_elements=["school_id", "baseline_id", "month"],
                                      set_={name: getattr(stmt.excluded, name) for name in counts})
    return db.session.execute(stmt).rowcount or 0


@dataclass(frozen=True)
class Point:
    month: date
    met: int
    applicable: int
    core_met: int
    core_applicable: int

    @property
    def share_met(self) -> float | None:
        return round(100.0 * self.met / self.applicable, 1) if self.applicable else None

    @property
    def core_share_met(self) -> float | None:
        return round(100.0 * self.core_met / self.core_applicable, 1) if self.core_applicable else None


def trend(school_ids, *, baseline_id: int, since: date | None = None) -> list[Point]:
    """The schools' conformance to a baseline month by month (all of them summed), oldest first."""
    row = ConformanceMonth
    stmt = (select(row.month, func.sum(row.met), func.sum(row.applicable), func.sum(row.core_met),
                   func.sum(row.core_applicable))
            .where(row.school_id.in_(list(school_ids)), row.baseline_id == baseline_id)
            .group_by(row.month).order_by(row.month))
    if since is not None:
        stmt = stmt.where(row.month >= since)
    return [Point(m, int(a), int(b), int(c), int(d)) for m, a, b, c, d in db.session.execute(stmt)]
