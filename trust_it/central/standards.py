"""The trust's view of its schools against a baseline: the heatmap, scorecards and the 2030 core.

/trust/standards    schools × items of one baseline (the DfE standards unless another is chosen),
                    filtered by phase, support model and "core 2030 only", sorted by name or share
                    met — every choice a GET parameter, so a view can be bookmarked and shared.

The cells come from one query of the conformance rows (services/standards/conformance.py); the
scorecards and the core-2030 progress are counted from the same rows, so the page costs the same
whatever the number of schools.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import NamedTuple

from flask import render_template, request, url_for

from services.base import utcnow
from services.directory import schools as school_service
from services.directory.models import SUPPORT_MODELS
from services.standards import baselines, conformance, permissions, trends
from services.standards.models import PHASES, STATUSES, Baseline, StandardItem
from services.standards.phases import phase_of
from trust_it.access import requires_trust_role
from trust_it.central import bp
from trust_it.central.helpers import current_trust
from trust_it.charts import Bar, bar_chart
from trust_it.tenancy import TRUST_ROLES, current_scope

# A short word for each status, shown in every cell beside its colour.
CELL_WORDS = {"met": "Met", "partly_met": "Partly", "not_met": "Not met", "not_applicable": "N/A",
              "exception": "Exception", "unknown": "Unknown", "expired": "Expired"}
SORTS = {"name": "School name (A–Z)", "met": "Most met first", "least": "Least met first"}
FAILING = ("not_met", "partly_met", "expired", "unknown")


@bp.app_context_processor
def _standards_nav():
    """The main navigation's "Standards" link, for the trust roles that read every school's conformance."""
    from flask_login import current_user
    if not current_user.is_authenticated:
        return {}
    return {"trust_standards_nav": permissions.may_read_trust_wide(current_scope())}


def default_baseline(choices: list[Baseline]) -> Baseline | None:
    """The DfE standards when the trust has them (what schools are measured against nationally)."""
    return next((b for b in choices if b.source == "dfe"), choices[0] if choices else None)


def chosen_baseline(choices: list[Baseline], value: str | None) -> Baseline | None:
    if value and value.isascii() and value.isdigit():
        found = next((b for b in choices if b.id == int(value)), None)
        if found is not None:
            return found
    return default_baseline(choices)


@dataclass
class Row:
    """One school's line of the heatmap, and its scorecard."""
    school: object
    cells: dict = field(default_factory=dict)     # item id → Conformance
    counts: Counter = field(default_factory=Counter)
    core_met: int = 0
    core_applicable: int = 0
    line: list = field(default_factory=list)  # (status, link, word, item title) per item, in order

    @property
    def share_met(self) -> float | None:
        return conformance.share_met(self.counts)

    @property
    def failing(self) -> list:
        return [c for c in self.cells.values() if c.status in FAILING]


def heatmap_filters(args) -> dict:
    """The page's choices, from the query string; anything unknown is ignored (and left out of links)."""
    return {"baseline": args.get("baseline", "") if (args.get("baseline") or "").isdigit() else "",
            "phase": args.get("phase", "") if args.get("phase") in PHASES else "",
            "support": args.get("support", "") if args.get("support") in SUPPORT_MODELS else "",
            "core": "1" if args.get("core") == "1" else "",
            "sort": args.get("sort", "") if args.get("sort") in SORTS else ""}


class Cell(NamedTuple):
    status: str
    item: StandardItem


def build_rows(schools, items: list[StandardItem], baseline_id: int, *, core_only: bool) -> list[Row]:
    """The heatmap's rows: every cell, the counts per status and the core-2030 progress, from one query
    of (school, item, status) — 150 schools × a baseline is thousands of cells, and loading each as a
    full row with its figures would cost more than drawing the page."""
    rows = {s.id: Row(s) for s in schools}
    by_id = {i.id: i for i in items}
    for school_id, item_id, status in conformance.statuses_of(list(rows), baseline_id=baseline_id,
                                                              core_only=core_only):
        item = by_id.get(item_id)
        if item is None:
            continue
        row = rows[school_id]
        row.cells[item_id] = Cell(status, item)
        row.counts[status] += 1
        if item.core_2030 and status != "not_applicable":
            row.core_applicable += 1
            row.core_met += status == "met"
    return list(rows.values())


def item_url_maker():
    """A function (school, item) → the school's item page, built by url_for once, not once per cell."""
    school_mark, item_mark = "school-slug-mark", 987654321
    pattern = url_for("schools.standard_item", school=school_mark, item_id=item_mark)
    head, _, tail = pattern.partition(school_mark)
    middle, _, end = tail.partition(str(item_mark))
    return lambda school, item: f"{head}{school.slug}{middle}{item.id}{end}"


def sort_rows(rows: list[Row], sort: str) -> list[Row]:
    rows = sorted(rows, key=lambda r: r.school.name.casefold())
    if sort in ("met", "least"):
        # Schools with nothing applicable go last either way: they have no share to compare.
        known = [r for r in rows if r.share_met is not None]
        unknown = [r for r in rows if r.share_met is None]
        known.sort(key=lambda r: r.share_met, reverse=sort == "met")
        rows = known + unknown
    return rows


def core_progress(rows: list[Row], items: list[StandardItem]) -> list[tuple[StandardItem, int, int]]:
    """Progress toward the 2030 core standards: per core item, the schools meeting it of those held to it."""
    progress = []
    for item in (i for i in items if i.core_2030):
        held = [r for r in rows if item.id in r.cells and r.cells[item.id].status != "not_applicable"]
        progress.append((item, sum(1 for r in held if r.cells[item.id].status == "met"), len(held)))
    return progress


TREND_MONTHS = 12


def trend_chart(schools, baseline, *, now):
    """The chosen schools' share of applicable items met, month by month over the last year: a chart
    and, for a screen reader and a table, the same figures in words. None before any month is recorded."""
    first = trends.month_of(now)
    for _ in range(TREND_MONTHS - 1):
        first = trends.month_of(first - timedelta(days=1))
    points = trends.trend([s.id for s in schools], baseline_id=baseline.id, since=first)
    if not points:
        return None
    # Twelve bars share the chart's width: a short month and a whole percentage fit above and under
    # each; the month's year and exact counts are in the description and the figures' table.
    bars = [Bar(f"{p.month:%b}", p.share_met or 0,
                f"{p.share_met:.0f}% ({p.month:%B %Y}: {p.met} of {p.applicable} items met)"
                if p.share_met is not None else f"none ({p.month:%B %Y}: nothing applicable)") for p in points]
    chart = bar_chart(bars, chart_id="standards-trend", title=f"{baseline.title}: share of items met, by month",
                      summary="Share of the applicable items met across the schools shown, month by month.")
    return {"chart": chart, "points": points}


@bp.get("/standards")
@requires_trust_role(*TRUST_ROLES)
def standards():
    trust = current_trust()
    f = heatmap_filters(request.args)
    choices = baselines.baselines_of(trust.id)
    baseline = chosen_baseline(choices, f["baseline"])
    version = baselines.published_version(baseline) if baseline else None
    items = baselines.items_of(version) if version else []
    if f["core"]:
        items = [i for i in items if i.core_2030]
    schools = [s for s in school_service.schools_of_trust(trust.id)
               if (not f["phase"] or phase_of(s) == f["phase"])
               and (not f["support"] or s.support_model == f["support"])]
    rows = build_rows(schools, items, baseline.id, core_only=bool(f["core"])) if version else []
    rows = sort_rows(rows, f["sort"])
    cell_url = item_url_maker()
    for row in rows:  # each cell ready to print: looked up here once, not by the template per attribute
        row.line = [(status, cell_url(row.school, item), CELL_WORDS[status], item.title) for item in items
                    for status in ((row.cells[item.id].status if item.id in row.cells else "unknown"),)]
    query = {k: v for k, v in f.items() if v}
    trend = trend_chart(schools, baseline, now=utcnow()) if version else None
    return render_template(
        "central/standards/heatmap.html", trust=trust, baselines=choices, baseline=baseline, version=version,
        items=items, rows=rows, f=f, query=query, PHASES=PHASES, SUPPORT_MODELS=SUPPORT_MODELS, SORTS=SORTS,
        STATUSES=STATUSES, CELL_WORDS=CELL_WORDS, core=core_progress(rows, items),
        schools_meeting_core=sum(1 for r in rows if r.core_applicable and r.core_met == r.core_applicable),
        cell_url=cell_url,
        sort_url=lambda key: url_for(".standards", **{**query, "sort": key}),
        may_manage=permissions.may_manage_baselines(current_scope()), trend=trend)
