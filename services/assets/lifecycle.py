"""What the register derives rather than stores by hand: identities and replacement dates.

Import, Intune sync, the pages and the API all write through these, so a serial typed as
"5cg1234xyz " and one synced as "5CG1234XYZ" are the same device, and replacement dates follow
one rule.
"""
from __future__ import annotations

import calendar
from datetime import date


def serial_key(serial: str | None) -> str | None:
    """Serials compare upper-case without surrounding space; an empty serial is no serial."""
    cleaned = (serial or "").strip().upper()
    return cleaned or None


def manufacturer_key(manufacturer: str | None) -> str:
    return " ".join((manufacturer or "").split()).lower()


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day (31 Aug + 6 months → 28/29 Feb)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def replacement_due(purchased_on: date | None, expected_life_months: int | None,
                    end_of_life_on: date | None = None) -> date | None:
    """An end-of-life date the supplier or file gave wins; else purchase date + the category's life."""
    if end_of_life_on:
        return end_of_life_on
    if purchased_on and expected_life_months:
        return add_months(purchased_on, expected_life_months)
    return None


def financial_year(day: date) -> int:
    """The school financial year (September to August) a day falls in, named by the year it starts."""
    return day.year if day.month >= 9 else day.year - 1


def financial_year_label(start_year: int) -> str:
    return f"{start_year}–{str(start_year + 1)[-2:]}"
