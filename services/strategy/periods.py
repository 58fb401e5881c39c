"""The periods leadership reads figures by: the school terms (autumn, spring, summer) and years.

Schools keep their own half-terms (`Term`, often "Autumn 1", "Autumn 2"…), which differ by a few
days between schools. A trust's term is the union of its schools' half-terms of one season of one
academic year: from the first school's first day to the last school's last day. Where no school has
term dates, the English convention stands in (autumn September–December, spring January–Easter,
summer to the end of July), so a new trust still has a "this term".
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from services.directory.models import School, Term
from trust_it.extensions import db

SEASONS = ("autumn", "spring", "summer")


@dataclass(frozen=True)
class Period:
    kind: str          # "term" or "year"
    year: int          # the academic year, named by the year it starts (2026 → 2026–27)
    season: str | None  # "autumn", "spring", "summer" for a term
    starts_on: date
    ends_on: date      # the last day, inclusive

    @property
    def key(self) -> str:
        """Stable name for URLs and job ids: "2026-autumn", "2026-year"."""
        return f"{self.year}-{self.season or 'year'}"

    @property
    def label(self) -> str:
        years = f"{self.year}–{str(self.year + 1)[-2:]}"
        return f"{self.season.capitalize()} term {years}" if self.season else f"School year {years}"

    def contains(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


def academic_year(day: date) -> int:
    return day.year if day.month >= 9 else day.year - 1


def _season(name: str, starts_on: date) -> str:
    first = (name or "").strip().lower().split(" ")[0]
    if first in SEASONS:
        return first
    return "autumn" if starts_on.month >= 8 else "spring" if starts_on.month <= 3 else "summer"


def _conventional(year: int, season: str) -> Period:
    bounds = {"autumn": (date(year, 9, 1), date(year, 12, 31)),
              "spring": (date(year + 1, 1, 1), date(year + 1, 3, 31)),
              "summer": (date(year + 1, 4, 1), date(year + 1, 7, 31))}[season]
    return Period("term", year, season, *bounds)


def terms(trust_id: int, school_ids=None) -> list[Period]:
    """Every term the trust's schools (or these schools) have dates for, oldest first: one query."""
    query = (select(Term.name, func.min(Term.starts_on), func.max(Term.ends_on))
             .join(School, School.id == Term.school_id).where(School.trust_id == trust_id)
             .group_by(Term.name, Term.starts_on, Term.ends_on))
    if school_ids is not None:
        query = query.where(Term.school_id.in_(list(school_ids)))
    merged: dict[tuple[int, str], tuple[date, date]] = {}
    for name, starts, ends in db.session.execute(query):
        key = (academic_year(starts), _season(name, starts))
        low, high = merged.get(key, (starts, ends))
        merged[key] = (min(low, starts), max(high, ends))
    return sorted((Period("term", y, s, a, b) for (y, s), (a, b) in merged.items()), key=lambda p: p.starts_on)


def term_at(trust_id: int, today: date, school_ids=None, *, known: list[Period] | None = None) -> Period:
    """The term `today` is in, or else the last one begun before it (in a holiday, the term just
    ended is "this term"); the convention when the calendars say nothing."""
    known = terms(trust_id, school_ids) if known is None else known
    begun = [p for p in known if p.starts_on <= today]
    if begun:
        return begun[-1]
    year = academic_year(today)
    for season in reversed(SEASONS):
        period = _conventional(year, season)
        if period.starts_on <= today:
            return period
    return _conventional(year - 1, "summer")


def previous_term(trust_id: int, term: Period, school_ids=None, *, known: list[Period] | None = None) -> Period:
    known = terms(trust_id, school_ids) if known is None else known
    before = [p for p in known if p.ends_on < term.starts_on]
    if before:
        return before[-1]
    index = SEASONS.index(term.season or "autumn")
    year, season = (term.year - 1, "summer") if index == 0 else (term.year, SEASONS[index - 1])
    return _conventional(year, season)


def school_year(year: int) -> Period:
    return Period("year", year, None, date(year, 9, 1), date(year + 1, 8, 31))


def parse(trust_id: int, key: str, school_ids=None) -> Period | None:
    """A period from its key ("2026-autumn", "2025-year"); None when the key is not one."""
    year_text, _, season = (key or "").partition("-")
    if not year_text.isdigit() or not 2000 <= int(year_text) <= 2100:
        return None
    year = int(year_text)
    if season == "year":
        return school_year(year)
    if season not in SEASONS:
        return None
    for period in terms(trust_id, school_ids):
        if period.year == year and period.season == season:
            return period
    return _conventional(year, season)
