"""Two years of standards work for a generated or demo trust: assessments, conformance, the trend.

Every school gets a starting maturity and a pace of improvement, so the trust shows a believable
spread: some schools near the 2030 core standards, some far, most getting better. Attested items
are confirmed again at each review interval (met more often as the school matures; the core items a
little more, as trusts put them first) and measured items get values either side of their threshold.
What the platform computes (derived and setting items) is not invented: `refresh` works it out from
the register, Intune's data and the desk. The months before now are folded from the same history.
"""
from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select

from services.desk import bulk
from services.directory.models import Membership, School
from services.standards import trends
from services.standards.baselines import load_shipped
from services.standards.checks import evaluate_measured, threshold_for
from services.standards.conformance import PERSON_KINDS, published_items, refresh
from services.standards.models import Assessment, Conformance, ConformanceMonth
from services.standards.phases import phase_key
from trust_it.extensions import db

EVIDENCE = {"met": "Checked and recorded: {title}.", "partly_met": "Partly in place: {title} — work is planned.",
            "not_met": "Not yet in place: {title}."}
ASSESSORS = ("technician", "school_lead", "msp_engineer")


def _months_back(now: datetime, months: int) -> list[datetime]:
    """The ends of the `months` months before the current one, oldest first (the current is `now`)."""
    ends, first = [], datetime(now.year, now.month, 1)
    for _ in range(months):
        ends.append(first - timedelta(microseconds=1))
        first = datetime(ends[-1].year, ends[-1].month, 1)
    return ends[::-1]


def _status(rng: random.Random, maturity: float) -> str:
    roll = rng.random()
    if roll < maturity:
        return "met"
    return "partly_met" if roll < maturity + (1 - maturity) * 0.5 else "not_met"


def _values(rng: random.Random, item, phase: str, wanted: str) -> dict:
    """Measured values that land on the status wanted (comfortably over or under each threshold)."""
    rules = threshold_for(item, phase) or {}
    values = {}
    for measure, rule in rules.items():
        threshold, at_least = float(rule["threshold"]), rule.get("comparison", "at_least") != "at_most"
        factor = rng.uniform(1.1, 3.0) if wanted == "met" else rng.uniform(0.3, 0.7)
        values[measure] = round(threshold * (factor if at_least else 1 / factor), 1)
    return values


def seed_standards(trust, *, now: datetime, years: float = 2.0, rng: random.Random | None = None) -> int:
    """Load the shipped baselines (if not yet), write `years` of assessments for every school of the
    trust, refresh its conformance and fill the trend's months. Returns the assessments written."""
    rng = rng or random.Random(trust.id)
    start = now - timedelta(days=round(365 * years))
    load_shipped(trust.id, now=start)
    db.session.flush()
    schools = [(sid, phase_key(phase)) for sid, phase in db.session.execute(
        select(School.id, School.phase).where(School.trust_id == trust.id).order_by(School.id))]
    assessors = dict(db.session.execute(
        select(Membership.school_id, Membership.user_id)
        .where(Membership.trust_id == trust.id, Membership.school_id.is_not(None), Membership.role.in_(ASSESSORS))
        .order_by(Membership.id.desc())).all())  # one assessor per school, whoever was added first
    items = [item for item, _ in published_items(trust.id) if item.check_kind in PERSON_KINDS]
    rows, history = [], {}
    for school_id, phase in schools:
        # Where the school started and how fast it improves: a spread, not one curve for all.
        maturity, pace = rng.betavariate(2.2, 2.0) * 0.8 + 0.1, rng.uniform(-0.02, 0.2)
        for item in items:
            if not item.applies_to(phase) or (item.check_kind == "measured" and not threshold_for(item, phase)):
                continue
            every = timedelta(days=item.review_days or 365)
            when = start + timedelta(days=rng.uniform(0, 120))
            answers = []
            while when < now:
                level = min(0.97, maturity + pace * (when - start).days / 365 + (0.08 if item.core_2030 else 0))
                status = _status(rng, level)
                values = _values(rng, item, phase, status) if item.check_kind == "measured" else {}
                if values:
                    status = evaluate_measured(item, phase, values)
                expires = when + every if item.review_days else None
                rows.append({"school_id": school_id, "item_id": item.id, "status": status,
                             "value": next(iter(values.values()), None), "values": values, "reason": "",
                             "evidence": EVIDENCE[status].format(title=item.title), "source": "person",
                             "assessed_by_id": assessors.get(school_id), "assessed_at": when, "expires_at": expires})
                answers.append((when, status, expires))
                # Renewed a little before or after it falls due: late renewals leave a gap of "expired".
                when = when + every + timedelta(days=rng.uniform(-20, 40))
            history[(school_id, item.id)] = answers
    for chunk in range(0, len(rows), 5000):
        bulk.insert_rows(Assessment, rows[chunk:chunk + 5000])
    refresh(trust.id, now=now)
    _past_months(trust, schools, history, now, months=round(12 * years))
    trends.record_month(trust.id, now=now)
    return len(rows)


def _past_months(trust, schools, history: dict, now: datetime, *, months: int) -> None:
    """One trend row per school × baseline for each past month, as the history then stood. Computed
    items keep today's status for the past (what the register said then was not recorded)."""
    current = db.session.execute(
        select(Conformance.school_id, Conformance.baseline_id, Conformance.item_id, Conformance.status,
               Conformance.since)
        .join(School, School.id == Conformance.school_id).where(School.trust_id == trust.id)).all()
    core = {item.id for item, _ in published_items(trust.id) if item.core_2030}
    month_rows = []
    for end in _months_back(now, months):
        tally: dict[tuple[int, int], Counter] = {}
        for row in current:
            answers = history.get((row.school_id, row.item_id))
            if answers is None:
                status = row.status
            else:
                past = [a for a in answers if a[0] <= end]
                if not past:
                    status = "unknown"
                else:
                    _, status, expires = past[-1]
                    status = "expired" if expires is not None and expires <= end else status
            counts = tally.setdefault((row.school_id, row.baseline_id), Counter())
            counts[status] += 1
            if row.item_id in core and status != "not_applicable":
                counts["core_applicable"] += 1
                counts["core_met"] += status == "met"
        for (school_id, baseline_id), counts in tally.items():
            month_rows.append({
                "school_id": school_id, "baseline_id": baseline_id, "month": trends.month_of(end),
                "met": counts["met"], "partly_met": counts["partly_met"], "not_met": counts["not_met"],
                "unknown": counts["unknown"] + counts["expired"], "exception": counts["exception"],
                "applicable": sum(n for s, n in counts.items()
                                  if s not in ("not_applicable", "core_met", "core_applicable")),
                "core_met": counts["core_met"], "core_applicable": counts["core_applicable"]})
    bulk.insert_rows(ConformanceMonth, month_rows)
