"""Bank holidays in England and Wales, computed rather than fetched.

Term-date planning, payroll cut-offs and statutory deadlines ("n working days")
all need the bank-holiday calendar. Computing it from the statutory rules keeps
the application working offline and for future years that gov.uk has not yet
published; the handful of one-off proclamations (jubilees, a state funeral, a
coronation) that no rule can predict live in a small table below.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["BankHoliday", "easter_sunday", "england_and_wales", "between"]

SUBSTITUTE_SUFFIX = " (substitute day)"

NEW_YEARS_DAY = "New Year's Day"
GOOD_FRIDAY = "Good Friday"
EASTER_MONDAY = "Easter Monday"
EARLY_MAY = "Early May bank holiday"
SPRING = "Spring bank holiday"
SUMMER = "Summer bank holiday"
CHRISTMAS_DAY = "Christmas Day"
BOXING_DAY = "Boxing Day"


@dataclass(frozen=True)
class BankHoliday:
    """One day off, named as gov.uk names it so users recognise it."""

    date: date
    name: str


@dataclass(frozen=True)
class _Move:
    """A regular holiday moved by proclamation; it may be renamed as well."""

    name: str
    to: date
    new_name: str | None = None


# One-off changes made by royal proclamation since 2011. Regular holidays that
# were moved are listed as moves (so the original date disappears); additional
# days are listed as extras.
_MOVES: dict[int, tuple[_Move, ...]] = {
    2012: (_Move(SPRING, date(2012, 6, 4)),),
    2020: (_Move(EARLY_MAY, date(2020, 5, 8), "Early May bank holiday (VE day)"),),
    2022: (_Move(SPRING, date(2022, 6, 2)),),
}
_EXTRAS: dict[int, tuple[BankHoliday, ...]] = {
    2011: (BankHoliday(date(2011, 4, 29), "Royal wedding"),),
    2012: (BankHoliday(date(2012, 6, 5), "Queen's Diamond Jubilee"),),
    2022: (
        BankHoliday(date(2022, 6, 3), "Platinum Jubilee bank holiday"),
        BankHoliday(date(2022, 9, 19), "Bank Holiday for the State Funeral of Queen Elizabeth II"),
    ),
    2023: (BankHoliday(date(2023, 5, 8), "Bank holiday for the coronation of King Charles III"),),
}


def easter_sunday(year: int) -> date:
    """Easter Sunday by the anonymous Gregorian (Meeus/Jones/Butcher) algorithm.

    It is exact for every Gregorian year, so Good Friday and Easter Monday need
    no lookup table.
    """
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_offset = (32 + 2 * e + 2 * i - h - k) % 7  # "L" in the anonymous Gregorian algorithm
    m = (a + 11 * h + 22 * weekday_offset) // 451
    month, day = divmod(h + weekday_offset - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _first_monday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7)


def _last_monday(year: int, month: int) -> date:
    next_month = date(year + month // 12, month % 12 + 1, 1)
    last = next_month - timedelta(days=1)
    return last - timedelta(days=last.weekday())


def _is_weekend(day: date) -> bool:
    return day.weekday() >= 5


def _with_substitutes(fixed: list[BankHoliday], taken: set[date]) -> list[BankHoliday]:
    """Replace weekend fixed-date holidays with the next free weekday.

    Holidays already on a weekday keep their date first, and only then do the
    weekend ones claim the next free weekday. That ordering reproduces gov.uk:
    when Christmas is a Sunday, Boxing Day stays on Monday the 26th and
    Christmas moves to Tuesday the 27th; when Christmas is a Saturday, the two
    substitutes fall on Monday the 27th and Tuesday the 28th in order.
    """
    taken = set(taken) | {h.date for h in fixed if not _is_weekend(h.date)}
    result = []
    for holiday in fixed:
        if not _is_weekend(holiday.date):
            result.append(holiday)
            continue
        day = holiday.date
        while _is_weekend(day) or day in taken:
            day += timedelta(days=1)
        taken.add(day)
        result.append(BankHoliday(day, holiday.name + SUBSTITUTE_SUFFIX))
    return result


def england_and_wales(year: int) -> list[BankHoliday]:
    """All England-and-Wales bank holidays in ``year``, sorted by date."""
    easter = easter_sunday(year)
    movable = {
        GOOD_FRIDAY: easter - timedelta(days=2),
        EASTER_MONDAY: easter + timedelta(days=1),
        EARLY_MAY: _first_monday(year, 5),
        SPRING: _last_monday(year, 5),
        SUMMER: _last_monday(year, 8),
    }
    renamed: dict[str, str] = {}
    for move in _MOVES.get(year, ()):
        movable[move.name] = move.to
        if move.new_name:
            renamed[move.name] = move.new_name
    holidays = [BankHoliday(day, renamed.get(name, name)) for name, day in movable.items()]
    holidays += _EXTRAS.get(year, ())

    taken = {h.date for h in holidays}
    holidays += _with_substitutes([BankHoliday(date(year, 1, 1), NEW_YEARS_DAY)], taken)
    holidays += _with_substitutes(
        [BankHoliday(date(year, 12, 25), CHRISTMAS_DAY), BankHoliday(date(year, 12, 26), BOXING_DAY)],
        taken,
    )
    return sorted(holidays, key=lambda h: h.date)


def between(start: date, end: date) -> list[BankHoliday]:
    """Bank holidays from ``start`` to ``end`` inclusive, sorted by date.

    Inclusive at both ends because callers ask questions like "which days are
    off this term?" where the first and last days count.
    """
    if start > end:
        return []
    return [
        holiday
        for year in range(start.year, end.year + 1)
        for holiday in england_and_wales(year)
        if start <= holiday.date <= end
    ]
