"""Each school's current state against every item it is held to, rewritten in a few statements.

`refresh(trust_id, school_ids, now=…)` works out, for the given schools and the items of every
published version:

- attested and measured items from the school's latest assessment of that item code in the
  baseline (an answer carries over to a new version when the item is checked the same way, and a
  measured value is judged by the current version's thresholds), "expired" once its evidence is
  past `expires_at`;
- derived items from `services.standards.derived.compute_all` (a `checks.Figure` per school);
- setting items from the Intune fields of the school's managed devices;
- "not_applicable" (with the reason in `figures`) for an item not meant for the school's phase;
- "exception" while the school has an approved exception to the item (by baseline and code, like
  answers) whose last day has not passed; a lapsed one is marked expired in the same refresh and the
  item falls back to what the evidence says.

It reads the current rows once, inserts the new ones and updates the changed ones in one statement
each, and records a `DriftEvent` for every derived item that turned from met to not met, every answer whose
evidence expired and every exception that ended; the people concerned are e-mailed once each
(services/standards/drift.py). The request or job that called it commits.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.orm import contains_eager, joinedload

from services.assets.models import GONE_STATUSES, Asset
from services.desk import bulk, notify
from services.directory.models import School
from services.standards import drift as drift_notices
from services.standards.checks import Figure, evaluate, evaluate_measured, threshold_for
from services.standards.models import (
    PHASES,
    Assessment,
    Baseline,
    BaselineVersion,
    Conformance,
    DriftEvent,
    StandardException,
    StandardItem,
    ends_at,
)
from services.standards.phases import phase_key
from trust_it.extensions import db

# Intune fields a setting item may name, as the register keeps them (services/assets/intune.py).
SETTING_COLUMNS = {"encrypted": Asset.encrypted, "compliance": Asset.compliance, "os": Asset.os,
                   "os_version": Asset.os_version}
PERSON_KINDS = ("attestation", "measured")


@dataclass
class RefreshResult:
    """What a refresh did: rows written and drift found (counts for a job's log)."""
    inserted: int = 0
    updated: int = 0
    drift: list[dict] = field(default_factory=list)


def _schools(trust_id: int, school_ids) -> list[tuple[int, str]]:
    stmt = select(School.id, School.phase).where(School.trust_id == trust_id)
    if school_ids is not None:
        stmt = stmt.where(School.id.in_(list(school_ids)))
    return [(sid, phase_key(phase)) for sid, phase in db.session.execute(stmt.order_by(School.id))]


def published_items(trust_id: int, item_ids=None) -> list[tuple[StandardItem, int]]:
    """(item, baseline id) of every published version of the trust's baselines, in baseline order."""
    stmt = (select(StandardItem, BaselineVersion.baseline_id)
            .join(BaselineVersion, BaselineVersion.id == StandardItem.version_id)
            .where(BaselineVersion.trust_id == trust_id, BaselineVersion.status == "published")
            .order_by(BaselineVersion.baseline_id, StandardItem.position, StandardItem.id))
    if item_ids is not None:
        stmt = stmt.where(StandardItem.id.in_(list(item_ids)))
    return [(row[0], row[1]) for row in db.session.execute(stmt)]


def _latest_answers(school_ids: list[int], baseline_ids: list[int]) -> dict:
    """{(school_id, baseline_id, code): (assessment id, status, value(s), expires_at, check kind)}, one query."""
    order = func.row_number().over(
        partition_by=(Assessment.school_id, BaselineVersion.baseline_id, StandardItem.code),
        order_by=(Assessment.assessed_at.desc(), Assessment.id.desc())).label("n")
    ranked = (select(Assessment.school_id, BaselineVersion.baseline_id, StandardItem.code, Assessment.id,
                     Assessment.status, Assessment.value, Assessment.values, Assessment.expires_at,
                     StandardItem.check_kind, order)
              .join(StandardItem, StandardItem.id == Assessment.item_id)
              .join(BaselineVersion, BaselineVersion.id == StandardItem.version_id)
              .where(Assessment.school_id.in_(school_ids), BaselineVersion.baseline_id.in_(baseline_ids),
                     Assessment.source == "person")
              .subquery())
    rows = db.session.execute(select(ranked).where(ranked.c.n == 1)).all()
    return {(r.school_id, r.baseline_id, r.code): r for r in rows}


def _approved_exceptions(school_ids: list[int], baseline_ids: list[int]) -> dict:
    """{(school_id, baseline_id, code): (exception id, ends_on)} of approved exceptions, one query."""
    rows = db.session.execute(
        select(StandardException.school_id, BaselineVersion.baseline_id, StandardItem.code, StandardException.id,
               StandardException.ends_on)
        .join(StandardItem, StandardItem.id == StandardException.item_id)
        .join(BaselineVersion, BaselineVersion.id == StandardItem.version_id)
        .where(StandardException.school_id.in_(school_ids), BaselineVersion.baseline_id.in_(baseline_ids),
               StandardException.status == "approved")).all()
    return {(r.school_id, r.baseline_id, r.code): (r.id, r.ends_on) for r in rows}


def setting_figures(items: list[StandardItem], school_ids: list[int]) -> dict[int, dict[int, Figure]]:
    """{item id: {school id: Figure}}: the share of a school's Intune-managed devices in service whose
    fields match every expected value. One grouped query per setting item."""
    result = {}
    for item in items:
        unknown = [s["key"] for s in item.settings if s["key"] not in SETTING_COLUMNS]
        if unknown:
            result[item.id] = {sid: Figure(None, detail=f"Intune does not report {', '.join(unknown)}.")
                               for sid in school_ids}
            continue
        matches = and_(*(SETTING_COLUMNS[s["key"]] == s["expected"] for s in item.settings))
        rows = db.session.execute(
            select(Asset.school_id, func.count(), func.count().filter(matches))
            .where(Asset.school_id.in_(school_ids), Asset.intune_device_id.is_not(None),
                   Asset.status.not_in(GONE_STATUSES))
            .group_by(Asset.school_id)).all()
        counted = {sid: (total, good) for sid, total, good in rows}
        figures = {}
        for sid in school_ids:
            total, good = counted.get(sid, (0, 0))
            figures[sid] = Figure(round(100.0 * good / total, 1) if total else None, good, total,
                                  detail=f"{good} of {total} managed devices have the expected settings.")
        result[item.id] = figures
    return result


def _derived_figures(items: list[StandardItem], school_ids: list[int], now: datetime) -> dict:
    keys = {i.check_key for i in items if i.check_kind == "derived" and i.check_key}
    if not keys:
        return {}
    from services.standards.derived import compute_all  # the registry of computed checks
    return compute_all(db.session, keys, school_ids, now)


def _state(item: StandardItem, baseline_id: int, school_id: int, phase: str, answers: dict, derived: dict,
           settings: dict, now: datetime) -> dict:
    """The status, value, figures and source assessment of one school × item."""
    if not item.applies_to(phase):
        wanted = ", ".join(PHASES.get(p, p) for p in item.phases)
        return {"status": "not_applicable", "value": None, "figures": {"reason": f"Applies to: {wanted}."},
                "assessment_id": None, "expires_at": None}
    if item.check_kind in PERSON_KINDS:
        answer = answers.get((school_id, baseline_id, item.code))
        if answer is None or answer.check_kind != item.check_kind:
            return {"status": "unknown", "value": None, "figures": {}, "assessment_id": None, "expires_at": None}
        status, values = answer.status, answer.values or {}
        rules = threshold_for(item, phase) if item.check_kind == "measured" else None
        if status != "not_applicable" and rules and all(values.get(m) is not None for m in rules):
            status = evaluate_measured(item, phase, values)  # the current version's thresholds
        expired = answer.expires_at is not None and answer.expires_at <= now and status != "not_applicable"
        return {"status": "expired" if expired else status, "value": answer.value,
                "figures": {"values": values} if values else {},
                "assessment_id": answer.id, "expires_at": answer.expires_at}
    if item.check_kind == "derived":
        figure = derived.get(item.check_key, {}).get(school_id)
    else:
        figure = settings.get(item.id, {}).get(school_id)
    return {"status": evaluate(item, figure), "value": figure.value if figure else None,
            "figures": figure.as_json() if figure else {}, "assessment_id": None, "expires_at": None}


def _drift_cause(item: StandardItem, before: str | None, after: str) -> str | None:
    if after == "expired" and before not in (None, "expired"):
        return "expired"
    if item.check_kind in ("derived", "setting") and before == "met" and after == "not_met":
        return "derived"
    return None


def refresh(trust_id: int, school_ids=None, *, now: datetime, item_ids=None) -> RefreshResult:
    """Rewrite the conformance of `school_ids` (every school of the trust when None) for the published
    items (only `item_ids` when given), recording drift. Set-based: a handful of statements whatever
    the number of schools and items; flushes nothing of the session's own objects."""
    schools = _schools(trust_id, school_ids)
    items = published_items(trust_id, item_ids)
    result = RefreshResult()
    if not schools or not items:
        return result
    ids = [sid for sid, _ in schools]
    answers = _latest_answers(ids, sorted({b for _, b in items}))
    derived = _derived_figures([i for i, _ in items], ids, now)
    settings = setting_figures([i for i, _ in items if i.check_kind == "setting"], ids)
    exceptions = _approved_exceptions(ids, sorted({b for _, b in items}))
    lapsed: list[int] = []
    current = {(r.school_id, r.item_id): r for r in db.session.execute(
        select(Conformance.id, Conformance.school_id, Conformance.item_id, Conformance.status, Conformance.since)
        .where(Conformance.school_id.in_(ids), Conformance.item_id.in_([i.id for i, _ in items]))).all()}
    inserts, updates, drift = [], [], []
    found: list[tuple[StandardItem, dict]] = []  # each drift's item and new state, for the e-mails
    for school_id, phase in schools:
        for item, baseline_id in items:
            state = _state(item, baseline_id, school_id, phase, answers, derived, settings, now)
            excused = exceptions.get((school_id, baseline_id, item.code))
            ended = excused is not None and ends_at(excused[1]) <= now
            if ended:
                lapsed.append(excused[0])
            elif excused is not None and state["status"] != "not_applicable":
                state = {**state, "status": "exception", "expires_at": ends_at(excused[1]),
                         "figures": {**state["figures"], "exception_id": excused[0],
                                     "exception_ends_on": excused[1].isoformat()}}
            old = current.get((school_id, item.id))
            before = old.status if old else None
            changed = before != state["status"]
            row = {**state, "since": now if changed or old is None else old.since, "computed_at": now}
            if old is None:
                inserts.append({**row, "school_id": school_id, "item_id": item.id, "baseline_id": baseline_id})
            else:
                updates.append({**row, "id": old.id})
            cause = None
            if changed:
                cause = "exception" if ended and before == "exception" else _drift_cause(item, before, state["status"])
            if cause:
                drift.append({"school_id": school_id, "item_id": item.id, "from_status": before,
                              "to_status": state["status"], "cause": cause, "at": now, "ticket_id": None})
                found.append((item, state))
    if item_ids is None:
        _forget_superseded(trust_id, ids)
    bulk.insert_rows(Conformance, inserts)
    bulk.update_rows(Conformance, updates)
    bulk.insert_rows(DriftEvent, drift)
    if lapsed:
        db.session.execute(update(StandardException).where(StandardException.id.in_(sorted(set(lapsed))))
                           .values(status="expired", ended_at=now))
    if drift:
        drift_notices.notify(trust_id, [(row, *pair) for row, pair in zip(drift, found, strict=True)], now=now)
    result.inserted, result.updated, result.drift = len(inserts), len(updates), drift
    return result


def _forget_superseded(trust_id: int, school_ids: list[int]) -> None:
    """Rows of items no longer published go: the heatmap shows what schools are held to now (the
    assessments, which point at the old items, are the history)."""
    old = (select(StandardItem.id).join(BaselineVersion, BaselineVersion.id == StandardItem.version_id)
           .where(BaselineVersion.trust_id == trust_id, BaselineVersion.status != "published"))
    db.session.execute(delete(Conformance).where(Conformance.school_id.in_(school_ids), Conformance.item_id.in_(old))
                       .execution_options(synchronize_session=False))


# --- reading ----------------------------------------------------------------------------------------

def rows_for(school_ids, *, baseline_id: int | None = None, core_only: bool = False) -> list[Conformance]:
    """Conformance rows of the schools (for the heatmap and a school's page), items loaded, one query."""
    stmt = (select(Conformance).join(Conformance.item).options(contains_eager(Conformance.item))
            .join(BaselineVersion, BaselineVersion.id == StandardItem.version_id)
            .where(Conformance.school_id.in_(list(school_ids)), BaselineVersion.status == "published"))
    if baseline_id is not None:
        stmt = stmt.where(Conformance.baseline_id == baseline_id)
    if core_only:
        stmt = stmt.where(StandardItem.core_2030.is_(True))
    return list(db.session.execute(stmt.order_by(Conformance.school_id, Conformance.baseline_id,
                                                 StandardItem.position)).scalars())


def statuses_of(school_ids, *, baseline_id: int, core_only: bool = False) -> list[tuple[int, int, str]]:
    """(school id, item id, status) of every published item of a baseline at the schools: the
    heatmap's cells, in one query of three columns (no figures, no ORM rows)."""
    stmt = (select(Conformance.school_id, Conformance.item_id, Conformance.status)
            .join(StandardItem, StandardItem.id == Conformance.item_id)
            .join(BaselineVersion, BaselineVersion.id == StandardItem.version_id)
            .where(Conformance.school_id.in_(list(school_ids)), Conformance.baseline_id == baseline_id,
                   BaselineVersion.status == "published"))
    if core_only:
        stmt = stmt.where(StandardItem.core_2030.is_(True))
    return [tuple(r) for r in db.session.execute(stmt)]


def summary(school_ids, *, baseline_id: int | None = None, core_only: bool = False) -> dict[int, Counter]:
    """{school id: Counter(status → items)} over published items, by one grouped query."""
    stmt = (select(Conformance.school_id, Conformance.status, func.count())
            .join(StandardItem, StandardItem.id == Conformance.item_id)
            .join(BaselineVersion, BaselineVersion.id == StandardItem.version_id)
            .where(Conformance.school_id.in_(list(school_ids)), BaselineVersion.status == "published")
            .group_by(Conformance.school_id, Conformance.status))
    if baseline_id is not None:
        stmt = stmt.where(Conformance.baseline_id == baseline_id)
    if core_only:
        stmt = stmt.where(StandardItem.core_2030.is_(True))
    counts: dict[int, Counter] = defaultdict(Counter)
    for school_id, status, n in db.session.execute(stmt):
        counts[school_id][status] = n
    return dict(counts)


def share_met(counts: Counter) -> float | None:
    """% of the applicable items met (not applicable ones left out); None with nothing applicable."""
    applicable = sum(n for status, n in counts.items() if status != "not_applicable")
    return round(100.0 * counts.get("met", 0) / applicable, 1) if applicable else None


def drift_of(school_ids, *, since: datetime | None = None, limit: int = 50) -> list[DriftEvent]:
    """The latest drift of the schools, newest first."""
    stmt = select(DriftEvent).where(DriftEvent.school_id.in_(list(school_ids)))
    if since is not None:
        stmt = stmt.where(DriftEvent.at >= since)
    return list(db.session.execute(stmt.order_by(DriftEvent.at.desc(), DriftEvent.id.desc()).limit(limit)).scalars())


def baseline_ids_of(trust_id: int) -> list[int]:
    return list(db.session.execute(select(Baseline.id).where(Baseline.trust_id == trust_id)).scalars())


def due(school_ids, *, now: datetime, within_days: int = 30) -> list[Conformance]:
    """Answers whose evidence expires within `within_days` (soonest first): what a school must renew."""
    stmt = (select(Conformance).options(joinedload(Conformance.item))
            .where(Conformance.school_id.in_(list(school_ids)), Conformance.expires_at.is_not(None),
                   Conformance.expires_at > now, Conformance.expires_at <= now + timedelta(days=within_days),
                   Conformance.status != "expired")
            .order_by(Conformance.expires_at, Conformance.id))
    return list(db.session.execute(stmt).scalars())


def open_ticket(drift: DriftEvent, *, by, now: datetime, source: str = "web"):
    """Open a ticket at the school for a drift (the page's one click), linked from the drift row: it
    names the item, the figures behind the change and the link to what fails.

    A drift that already has its ticket gives that ticket back rather than a second one. Who may is
    `permissions.may_open_drift_ticket`, asked by the page and the API."""
    from services.desk.models import Ticket
    from services.desk.tickets import create_ticket
    if drift.ticket_id is not None:
        existing = db.session.execute(select(Ticket).where(Ticket.id == drift.ticket_id)).scalar()
        if existing is not None:
            return existing
    school = db.session.get(School, drift.school_id)
    item = drift.item
    figures = db.session.execute(select(Conformance.figures).where(
        Conformance.school_id == drift.school_id, Conformance.item_id == drift.item_id)).scalar() or {}
    cause = {"expired": "its evidence expired", "exception": "its exception ended"}.get(
        drift.cause, "the platform's records no longer meet it")
    path = drift_notices.failing_path(school.slug, item, figures)
    description = "\n\n".join(part for part in (
        f"{item.code} {item.title} went from {drift.from_status.replace('_', ' ')} "
        f"to {drift.to_status.replace('_', ' ')} on {drift.at:%d %B %Y}: {cause}.",
        figures.get("detail", ""),
        f"What fails: {notify.page_url(path)}" if path else "",
        f"How to meet it: {item.how_to_meet}" if item.how_to_meet else "") if part)
    ticket = create_ticket(school, requester=by, by=by, now=now, kind="request", impact=2, urgency=3,
                           title=f"Standard no longer met: {item.title}"[:150], description=description,
                           source=source, requester_email=None if by else "standards@trust-it.local")
    drift.ticket_id = ticket.id
    db.session.flush()
    return ticket
