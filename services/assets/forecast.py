"""The refresh forecast: what needs replacing in each of the next five financial years, what it
will cost, and which devices run an operating system that stops (or has stopped) getting
security updates.

Plain data out (`Forecast` and its lines), so the forecast pages, the API, the director's
dashboard and the board report read the same figures. Two aggregate queries whatever the size of
the trust: financial years are bucketed in SQL by date ranges, never a query per school.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Iterable

from sqlalchemy import and_, case, func, literal, not_, or_, select

from services.assets.lifecycle import financial_year, financial_year_label
from services.assets.models import GONE_STATUSES, Asset, AssetCategory
from trust_it.extensions import db

YEARS = 5


@dataclass(frozen=True)
class OsRule:
    """An operating system release and the day its security updates end."""
    label: str
    ends_on: date
    family: str                     # "windows", "server", "macos"
    builds: tuple[str, ...] = ()    # os_version prefixes, as Intune reports them ("10.0.22631.3296")
    words: tuple[str, ...] = ()     # words in the OS name or version, as people and files write them


# Microsoft's published end of servicing for the Education and Enterprise editions schools run
# (Home/Pro end a year sooner) and Windows Server's end of extended support; when Microsoft's
# lifecycle pages add a release, add a line. Windows 10 ends for everyone on 14 Oct 2025 (ESU
# aside: a paid extension is a decision the forecast should still show).
_WINDOWS = (
    OsRule("Windows 10", date(2025, 10, 14), "windows", ("10.0.1",), ("windows 10",)),
    OsRule("Windows 11 21H2", date(2024, 10, 8), "windows", ("10.0.22000",), ("21h2",)),
    OsRule("Windows 11 22H2", date(2025, 10, 14), "windows", ("10.0.22621",), ("22h2",)),
    OsRule("Windows 11 23H2", date(2026, 11, 10), "windows", ("10.0.22631",), ("23h2",)),
    OsRule("Windows 11 24H2", date(2027, 10, 12), "windows", ("10.0.26100",), ("24h2",)),
    OsRule("Windows 11 25H2", date(2028, 10, 10), "windows", ("10.0.26200",), ("25h2",)),
    OsRule("Windows Server 2012", date(2023, 10, 10), "server", ("6.2.", "6.3."), ("2012",)),
    OsRule("Windows Server 2016", date(2027, 1, 12), "server", ("10.0.14393",), ("2016",)),
    OsRule("Windows Server 2019", date(2029, 1, 9), "server", ("10.0.17763",), ("2019",)),
    OsRule("Windows Server 2022", date(2031, 10, 14), "server", ("10.0.20348",), ("2022",)),
)
# Apple patches the current macOS and the two before it, so a version goes out of support when
# the third newer one ships. Known releases by their day; later ones by Apple's habit of a
# September release (estimated, and labelled so).
_MAC_RELEASES = {11: date(2020, 11, 12), 12: date(2021, 10, 25), 13: date(2022, 10, 24), 14: date(2023, 9, 26),
                 15: date(2024, 9, 16), 26: date(2025, 9, 15)}
_MAC_NAMES = {11: "Big Sur", 12: "Monterey", 13: "Ventura", 14: "Sonoma", 15: "Sequoia", 26: "Tahoe"}
_MAC_VERSIONS = [11, 12, 13, 14, 15] + list(range(26, 41))  # after 15 came 26 (named for the year)


def _mac_release(version: int) -> date:
    return _MAC_RELEASES.get(version) or date(1999 + version, 9, 15)


def _mac_rules() -> tuple[OsRule, ...]:
    rules = [OsRule("macOS 10.x", date(2022, 10, 24), "macos", ("10.",), ("os x", "catalina", "mojave"))]
    for n, version in enumerate(_MAC_VERSIONS[:-3]):
        ends = _mac_release(_MAC_VERSIONS[n + 3])
        estimated = _MAC_VERSIONS[n + 3] not in _MAC_RELEASES
        name = f"macOS {version}" + (f" {_MAC_NAMES[version]}" if version in _MAC_NAMES else "")
        words = (_MAC_NAMES[version].lower(),) if version in _MAC_NAMES else ()
        rules.append(OsRule(name + (" (date estimated)" if estimated else ""), ends, "macos",
                            (f"{version}.", str(version)), words))
    return tuple(rules)


OS_RULES = _WINDOWS + _mac_rules()
# ChromeOS devices each have their own auto-update expiry (AUE), set by Google per model. We read it
# from the asset's `end_of_life_on` rather than a custom field: for a Chromebook the AUE *is* its end
# of life (no updates, and schools replace it then), so one stored, indexed date drives both the
# replacement date (lifecycle.replacement_due already prefers end_of_life_on) and this count; Snipe-IT
# files bring it as `asset_eol_date`, and a date column needs no per-database JSON parsing in SQL.
CHROMEOS = "ChromeOS (past auto-update expiry)"


@dataclass(frozen=True)
class ReplacementLine:
    """Devices of one category at one school due for replacement in one financial year."""
    financial_year: int
    school_id: int
    category_id: int
    category: str
    devices: int
    overdue: int          # of which already past their replacement date (all in the first year)
    unit_cost: Decimal

    @property
    def cost(self) -> Decimal:
        return self.unit_cost * self.devices


@dataclass(frozen=True)
class UnsupportedLine:
    """Devices at one school whose operating system's updates end in one financial year."""
    financial_year: int
    school_id: int
    os: str
    support_ends_on: date | None  # None for ChromeOS: each device has its own expiry
    devices: int
    already: int          # of which already unsupported today (all in the first year)


@dataclass(frozen=True)
class YearTotal:
    financial_year: int
    label: str
    devices: int
    cost: Decimal
    unsupported: int

    @property
    def starts_on(self) -> date:
        return date(self.financial_year, 9, 1)

    @property
    def ends_on(self) -> date:
        return date(self.financial_year + 1, 8, 31)


@dataclass
class Forecast:
    today: date
    years: list[int]
    replacement: list[ReplacementLine]
    unsupported: list[UnsupportedLine]

    def label(self, year: int) -> str:
        return financial_year_label(year)

    @property
    def labels(self) -> list[str]:
        return [financial_year_label(y) for y in self.years]

    def totals(self) -> list[YearTotal]:
        devices, cost, unsupported = defaultdict(int), defaultdict(Decimal), defaultdict(int)
        for line in self.replacement:
            devices[line.financial_year] += line.devices
            cost[line.financial_year] += line.cost
        for line in self.unsupported:
            unsupported[line.financial_year] += line.devices
        return [YearTotal(y, financial_year_label(y), devices[y], cost[y], unsupported[y]) for y in self.years]

    def by_category(self) -> list[tuple[str, dict[int, tuple[int, Decimal]]]]:
        """[(category, {year: (devices, cost)})], by category name."""
        return _pivot(self.replacement, lambda line: line.category)

    def by_school(self) -> dict[int, dict[int, tuple[int, Decimal]]]:
        return dict(_pivot(self.replacement, lambda line: line.school_id))

    def unsupported_by_os(self) -> list[tuple[str, date | None, dict[int, int]]]:
        """[(OS, support end, {year: devices})], soonest end first (ChromeOS, per device, last)."""
        found: dict[tuple[str, date | None], dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for line in self.unsupported:
            found[(line.os, line.support_ends_on)][line.financial_year] += line.devices
        order = sorted(found, key=lambda k: (k[1] is None, k[1] or date.max, k[0]))
        return [(os, ends, dict(found[(os, ends)])) for os, ends in order]

    @property
    def overdue(self) -> int:
        return sum(line.overdue for line in self.replacement)

    @property
    def unsupported_today(self) -> int:
        return sum(line.already for line in self.unsupported)


def _pivot(lines, key) -> list:
    table: dict = defaultdict(dict)
    for line in lines:
        devices, cost = table[key(line)].get(line.financial_year, (0, Decimal(0)))
        table[key(line)][line.financial_year] = (devices + line.devices, cost + line.cost)
    return sorted(table.items(), key=lambda kv: kv[0])


def year_starts(today: date) -> list[date]:
    """1 September of each of the next five financial years and of the one after (the horizon)."""
    first = financial_year(today)
    return [date(first + n, 9, 1) for n in range(YEARS + 1)]


def _year_of(day, starts: list[date]):
    """The financial year (its starting year) of a date column, by ranges; anything before the
    first year's end, including the overdue, lands in the first year; NULL beyond the horizon."""
    return case(*((day < starts[n + 1], literal(starts[n].year)) for n in range(YEARS)), else_=None)


def _in_service(trust_id: int, school_ids):
    where = [Asset.trust_id == trust_id, Asset.status.notin_(GONE_STATUSES)]
    if school_ids is not None:
        where.append(Asset.school_id.in_(list(school_ids)))
    return where


def forecast(trust_id: int, *, today: date, school_ids: Iterable[int] | None = None) -> Forecast:
    """The trust's forecast (or these schools'), as the tenancy guard lets the caller see it."""
    starts = year_starts(today)
    years = [d.year for d in starts[:YEARS]]
    if school_ids is not None:
        school_ids = list(school_ids)
        if not school_ids:
            return Forecast(today, years, [], [])
    return Forecast(today, years, replacement_lines(trust_id, today=today, school_ids=school_ids),
                    unsupported_lines(trust_id, today=today, school_ids=school_ids))


def replacement_lines(trust_id: int, *, today: date, school_ids=None) -> list[ReplacementLine]:
    starts = year_starts(today)
    due = Asset.replacement_due_on
    # A sub-query, so the outer GROUP BY names plain columns (PostgreSQL will not match an
    # expression repeated with fresh parameters).
    inner = (select(Asset.school_id, Asset.category_id, _year_of(due, starts).label("year"),
                    case((due < today, 1), else_=0).label("overdue"))
             .where(*_in_service(trust_id, school_ids), due.is_not(None), due < starts[-1]).subquery())
    rows = db.session.execute(
        select(inner.c.school_id, inner.c.category_id, AssetCategory.name, AssetCategory.unit_cost, inner.c.year,
               func.count(), func.sum(inner.c.overdue))
        .join(AssetCategory, AssetCategory.id == inner.c.category_id)
        .group_by(inner.c.school_id, inner.c.category_id, AssetCategory.name, AssetCategory.unit_cost, inner.c.year)
        .order_by(inner.c.year, AssetCategory.name, inner.c.school_id)).all()
    return [ReplacementLine(int(year), school_id, category_id, name, count, int(overdue or 0), Decimal(unit_cost or 0))
            for school_id, category_id, name, unit_cost, year, count, overdue in rows]


def _starts_with(column, prefixes) -> list:
    return [column.like(p + "%") for p in prefixes]


def _rule_matches(rule: OsRule, os_name, version):
    if rule.family == "macos":
        family = or_(os_name.like("mac%"), os_name.like("os x%"))
        exact = [version == b for b in rule.builds if not b.endswith(".")]
        prefixes = [b for b in rule.builds if b.endswith(".")]
        by_version = exact + _starts_with(version, prefixes)
    else:
        server = os_name.like("%server%")
        family = and_(os_name.like("windows%"), server if rule.family == "server" else not_(server))
        by_version = _starts_with(version, rule.builds)
    by_words = [or_(os_name.like(f"%{w}%"), version.like(f"%{w}%")) for w in rule.words]
    return and_(family, or_(*by_version, *by_words))


def support_ends():
    """(rule index, end of support) of each asset's OS, by the table above; NULL when unknown.

    The one definition of an OS's support: the forecast, the register's "unsupported" filter and
    the standards' supported-OS share all read it."""
    os_name, version = func.lower(Asset.os), func.lower(Asset.os_version)
    chrome = or_(os_name.like("chrome%"), os_name.like("%chromeos%"))
    whens = [(_rule_matches(rule, os_name, version), n) for n, rule in enumerate(OS_RULES)]
    rule = case(*whens, (chrome, len(OS_RULES)), else_=None)
    ends = case(*((cond, literal(OS_RULES[n].ends_on)) for cond, n in whens),
                (chrome, Asset.end_of_life_on), else_=None)
    return rule, ends


def unsupported_on(today: date):
    """A condition: the asset's OS stopped getting security updates before `today` (unknown OS: not)."""
    return support_ends()[1] < today


def unsupported_lines(trust_id: int, *, today: date, school_ids=None) -> list[UnsupportedLine]:
    starts = year_starts(today)
    rule, ends = support_ends()
    inner = (select(Asset.school_id, rule.label("rule"), ends.label("ends"))
             .where(*_in_service(trust_id, school_ids)).subquery())
    bucketed = (select(inner.c.school_id, inner.c.rule, _year_of(inner.c.ends, starts).label("year"),
                       case((inner.c.ends < today, 1), else_=0).label("already"))
                .where(inner.c.ends.is_not(None), inner.c.ends < starts[-1]).subquery())
    rows = db.session.execute(
        select(bucketed.c.school_id, bucketed.c.rule, bucketed.c.year, func.count(), func.sum(bucketed.c.already))
        .group_by(bucketed.c.school_id, bucketed.c.rule, bucketed.c.year)
        .order_by(bucketed.c.year, bucketed.c.rule, bucketed.c.school_id)).all()
    out = []
    for school_id, index, year, count, already in rows:
        known = OS_RULES[index] if index < len(OS_RULES) else None
        out.append(UnsupportedLine(int(year), school_id, known.label if known else CHROMEOS,
                                   known.ends_on if known else None, count, int(already or 0)))
    return out
