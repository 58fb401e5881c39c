"""Standards items the platform answers itself, from the asset register, Intune's data and the desk.

Each check is one set-based statement over every school asked for — a GROUP BY school with its
counts as aggregates, driven from the schools so a school with nothing to count still has a row —
never a query per school or per device, so the whole trust (150 schools, 300 000 devices) is
recomputed in seconds after an Intune sync, row-level security included. Each table is read once:
the school ids asked for are a plain IN (leakproof, so the policy and the school-led indexes serve
it), and the rules that need LIKE or CASE (an OS's end of support, an escalation's outcome) are
evaluated on the rows security has already let through — in a FILTER of the counts — never as a
condition PostgreSQL would have to check before the policy, one row at a time.

A device or ticket failing a check is exactly what the register's or the queue's filter of the
same name lists: the checks are built from those filters (`services.assets.search.conditions`,
`services.desk.attainment`), and each figure carries the query arguments of that list: the register's
(`central.assets`, or `schools.assets` which ignores `school`) or the school's queue (`schools.queue`).
Guidance given has no failing list: its arguments are empty.

"This term" is a school's term that began most recently (the current one, or in a holiday the one
just ended), from its calendar; a school that has entered no term dates counts from the usual
start of the English school term: 1 September, 1 January or 1 April.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from services.assets.models import Asset
from services.assets.search import AssetFilters, conditions
from services.assets.search_args import query_of
from services.desk import attainment
from services.desk.models import Article, Ticket, TrainingSession
from services.directory.models import School, Term
from services.standards.figures import Figure

UNSEEN_DAYS = 90


@dataclass(frozen=True)
class DerivedCheck:
    key: str
    label: str
    unit: str     # "%", "devices" or "count"
    source: str   # "assets", "intune" or "desk"
    compute: Callable[[Session, list[int] | None, datetime], dict[int, Figure]]


# --- shared pieces ------------------------------------------------------------------------------

def _schools(school_ids: list[int] | None):
    """The schools asked for (the tenancy guard keeps them to the caller's scope)."""
    stmt = select(School.id).select_from(School)
    return stmt.where(School.id.in_(school_ids)) if school_ids is not None else stmt


def _share(passing: int, total: int) -> float | None:
    return round(100.0 * passing / total, 1) if total else None


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _asset_figures(session: Session, school_ids, now: datetime, population: dict, failing: dict, *,
                   share: bool, words: str, noun: tuple[str, str], none: str) -> dict[int, Figure]:
    """One GROUP BY over the register: per school, the devices of `population` and those also `failing`
    (both register filters, so the figure's link lists exactly the failing ones). A share is of the
    devices passing, a count of those failing. `words` reads "{passing}", "{failing}" and "{total}"."""
    today = now.date()
    where = conditions(AssetFilters(today, **population))
    if school_ids is not None:
        where.append(Asset.school_id.in_(school_ids))
    counts = (select(Asset.school_id, func.count().label("total"),
                     func.count().filter(and_(*conditions(AssetFilters(today, **failing)))).label("failing"))
              .where(*where).group_by(Asset.school_id).subquery())
    rows = session.execute(_schools(school_ids).add_columns(counts.c.total, counts.c.failing)
                           .outerjoin(counts, counts.c.school_id == School.id)).all()
    link = query_of(AssetFilters(today, **population, **failing), with_school=False)
    out = {}
    for school_id, total, bad in rows:
        total, bad = int(total or 0), int(bad or 0)
        passing = total - bad
        value = (_share(passing, total) if share else float(bad)) if total else None
        detail = words.format(passing=passing, failing=bad, total=_plural(total, *noun)) if total else none
        out[school_id] = Figure(value, passing if share else bad, total, detail, {"school": str(school_id), **link})
    return out


# --- the asset register and Intune ----------------------------------------------------------------

def supported_os_share(session, school_ids, now):
    return _asset_figures(session, school_ids, now, {"group": "end_user"}, {"support": "unsupported"}, share=True,
                          words="{passing} of {total} in use run a supported operating system",
                          noun=("end-user device", "end-user devices"),
                          none="No laptops, desktops, tablets or Chromebooks in use in the register")


def network_kit_out_of_warranty(session, school_ids, now):
    return _asset_figures(session, school_ids, now, {"group": "network"}, {"warranty": "out"}, share=False,
                          words="{failing} of {total} in use are out of warranty",
                          noun=("switch, firewall or access point", "switches, firewalls and access points"),
                          none="No switches, firewalls or access points in use in the register")


def encrypted_share(session, school_ids, now):
    return _asset_figures(session, school_ids, now, {"os": "Windows", "managed": True}, {"encrypted": "no"},
                          share=True, words="{passing} of {total} managed by Intune are encrypted",
                          noun=("Windows device", "Windows devices"), none="No Windows devices managed by Intune")


def unseen_devices(session, school_ids, now):
    return _asset_figures(session, school_ids, now, {"managed": True}, {"unseen_days": UNSEEN_DAYS}, share=False,
                          words=f"{{failing}} of {{total}} managed by Intune not seen for over {UNSEEN_DAYS} days",
                          noun=("device", "devices"), none="No devices managed by Intune")


# --- the service desk -----------------------------------------------------------------------------

def usual_term_start(today: date) -> date:
    """When a school with no term dates is taken to have started its term."""
    if today.month >= 9:
        return date(today.year, 9, 1)
    return date(today.year, 4, 1) if today.month >= 4 else date(today.year, 1, 1)


def _terms(today: date):
    """Each school's latest term start on or before today, and the start to count from."""
    latest = (select(Term.school_id, func.max(Term.starts_on).label("starts_on"))
              .where(Term.starts_on <= today).group_by(Term.school_id).subquery())
    return latest, func.coalesce(latest.c.starts_on, usual_term_start(today))


def _since(starts_on: date | None, today: date) -> date:
    return starts_on or usual_term_start(today)


def _term_words(starts_on: date | None, today: date) -> str:
    day = _since(starts_on, today)
    return f"since {day.day} {day:%B %Y}" + ("" if starts_on else " (no term dates entered)")


# The queue's own defaults hide closed tickets and, for an edtech, all but guidance: a link asks for every one.
_EVERY_TICKET = {"status": "any", "kind": ""}


def _term_shares(session, school_ids, today: date, term, counted, met, rows_of, on, *, noun: str, done: str,
                 passed: str, none: str, link: Callable[[str], dict]) -> dict[int, Figure]:
    """Per school: how many of the `counted` rows of `rows_of` joined `on` this term were `met`, in one
    GROUP BY, and the figure in words ("3 of 4 requests resolved since … met the resolution target")."""
    rows = session.execute(
        _schools(school_ids).add_columns(term.c.starts_on, counted, met)
        .outerjoin(term, term.c.school_id == School.id).outerjoin(rows_of, on)
        .group_by(School.id, term.c.starts_on)).all()
    out = {}
    for school_id, starts_on, total, passing in rows:
        words = _term_words(starts_on, today)
        detail = (f"{passing} of {_plural(total, noun)} {done} {words} {passed}" if total
                  else none.format(since=words))
        out[school_id] = Figure(_share(passing, total), passing, total, detail,
                                link(_since(starts_on, today).isoformat()))
    return out


def resolved_within_target_share(session, school_ids, now):
    today = now.date()
    term, start = _terms(today)
    return _term_shares(
        session, school_ids, today, term, func.count(Ticket.id),
        func.count(Ticket.id).filter(attainment.within_target()), Ticket,
        and_(Ticket.school_id == School.id, attainment.resolved_since(start), Ticket.resolved_at <= now),
        noun="request", done="resolved", passed="met the resolution target", none="No requests resolved {since}",
        link=lambda since: {**_EVERY_TICKET, "resolved_since": since, "sla": "missed"})


def escalations_answered_share(session, school_ids, now):
    today = now.date()
    term, start = _terms(today)
    outcomes = attainment.escalation_outcomes(now).subquery()
    return _term_shares(
        session, school_ids, today, term, func.count(outcomes.c.outcome),
        func.count().filter(outcomes.c.outcome == attainment.MET),
        outcomes, and_(outcomes.c.school_id == School.id, outcomes.c.created_at >= start,
                       outcomes.c.created_at <= now),
        noun="escalation", done="raised", passed="answered in time",
        none="No escalations raised {since} have been answered or fallen due",
        link=lambda since: {**_EVERY_TICKET, "escalated_late_since": since})


def guidance_given(session, school_ids, now):
    """Guidance articles published or updated this term (the school's own and the trust's) and
    training sessions held: a count, so a term with none is 0 (not met), never "unknown"."""
    today = now.date()
    term, start = _terms(today)
    articles = (select(func.count()).select_from(Article)
                .where(Article.status == "published", Article.updated_at >= start, Article.updated_at <= now,
                       or_(Article.school_id == School.id,
                           and_(Article.school_id.is_(None), Article.trust_id == School.trust_id)))
                .correlate(School, term).scalar_subquery())
    training = (select(func.count()).select_from(TrainingSession)
                .where(TrainingSession.school_id == School.id, TrainingSession.held_on >= start,
                       TrainingSession.held_on <= today)
                .correlate(School, term).scalar_subquery())
    rows = session.execute(_schools(school_ids).add_columns(term.c.starts_on, articles, training)
                           .outerjoin(term, term.c.school_id == School.id)).all()
    out = {}
    for school_id, starts_on, n_articles, n_training in rows:
        n_articles, n_training = int(n_articles or 0), int(n_training or 0)
        given = n_articles + n_training
        detail = (f"{_plural(n_articles, 'guidance article')} published or updated and "
                  f"{_plural(n_training, 'training session')} held {_term_words(starts_on, today)}")
        out[school_id] = Figure(float(given), given, given, detail, {})
    return out


CHECKS: dict[str, DerivedCheck] = {c.key: c for c in (
    DerivedCheck("assets.supported_os_share", "End-user devices on a supported operating system", "%", "assets",
                 supported_os_share),
    DerivedCheck("assets.network_kit_in_warranty", "Switches, firewalls and access points out of warranty",
                 "devices", "assets", network_kit_out_of_warranty),
    DerivedCheck("intune.encrypted_share", "Windows devices encrypted", "%", "intune", encrypted_share),
    DerivedCheck("intune.unseen_90_days", f"Managed devices not seen for {UNSEEN_DAYS} days", "devices", "intune",
                 unseen_devices),
    DerivedCheck("desk.resolved_within_target_share", "Requests resolved within target this term", "%", "desk",
                 resolved_within_target_share),
    DerivedCheck("desk.escalations_answered_share", "Escalations answered in time this term", "%", "desk",
                 escalations_answered_share),
    DerivedCheck("desk.guidance_given", "Guidance articles and training sessions this term", "count", "desk",
                 guidance_given),
)}


def compute_all(session: Session, keys: set[str], school_ids: list[int] | None,
                now: datetime) -> dict[str, dict[int, Figure]]:
    """{check key: {school id: Figure}} for the checks asked for, one statement each, every school
    asked for (None: every school in the caller's scope) present. Unknown keys raise KeyError."""
    unknown = set(keys) - set(CHECKS)
    if unknown:
        raise KeyError(f"unknown derived checks: {', '.join(sorted(unknown))}")
    if school_ids is not None:
        school_ids = sorted(set(school_ids))
        if not school_ids:
            return {key: {} for key in keys}
    return {key: CHECKS[key].compute(session, school_ids, now) for key in sorted(keys)}
