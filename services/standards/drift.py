"""Drift: when a school's standards get worse on their own, the people who can act hear about it,
and a ticket can be opened from it in one click.

- `notify`: called by `conformance.refresh` with the drift it recorded. Each person concerned — the
  school's technicians, MSP engineers and head, and the trust's technical team — gets ONE e-mail per
  refresh listing every drift of the schools they look after (a whole trust's for the trust's team),
  written to the desk's outbox in one batch and sent by its mail job.

A ticket from a drift is `conformance.open_ticket` (it names the figures and `failing_path`); the
hourly refresh that makes evidence and exceptions expire on time is services/standards/tasks.py.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy import select

from services.desk import notify as desk_notify
from services.directory.models import Membership, School, User
from services.standards.models import DRIFT_CAUSES, STATUSES, DriftEvent, StandardItem
from trust_it.extensions import db

SCHOOL_ROLES = ("technician", "msp_engineer", "school_lead")
TRUST_ROLES = ("technical",)


def failing_path(slug: str, item: StandardItem, figures: dict | None) -> str | None:
    """The school's list of what fails a computed item (the register, or the desk's queue for the
    desk's own checks), filtered by the figure's query arguments; None when there is no such list."""
    args = (figures or {}).get("failing_url_args")
    if not args:
        return None
    page = "queue" if (item.check_key or "").startswith("desk.") else "assets"
    return f"/s/{slug}/{page}?{urlencode(args)}"


def describe(item: StandardItem, from_status: str | None, to_status: str, cause: str, figures: dict | None) -> str:
    """One drift in words: the item, what it went from and to, why, and the figures behind it."""
    change = f"{STATUSES.get(from_status, from_status or 'new')} → {STATUSES.get(to_status, to_status)}"
    line = f"{item.code} {item.title}: {change.lower()} ({DRIFT_CAUSES.get(cause, cause).lower()})."
    detail = (figures or {}).get("detail")
    return f"{line} {detail}" if detail else line


def _recipients(trust_id: int, school_ids: set[int], now: datetime) -> dict[int, tuple[User, set[int]]]:
    """{user id: (user, the drifting schools they hear about)}: one query for schools and trust."""
    rows = db.session.execute(
        select(Membership.school_id, Membership.role, User).join(User, User.id == Membership.user_id)
        .where(User.active.is_(True), Membership.current_at(now),
               ((Membership.school_id.in_(school_ids) & Membership.role.in_(SCHOOL_ROLES))
                | ((Membership.trust_id == trust_id) & Membership.role.in_(TRUST_ROLES))))
        .order_by(User.id)).all()
    people: dict[int, tuple[User, set[int]]] = {}
    for school_id, _role, user in rows:
        _, schools = people.setdefault(user.id, (user, set()))
        schools.update({school_id} if school_id is not None else school_ids)
    return people


def notify(trust_id: int, found: list[tuple[dict, StandardItem, dict]], *, now: datetime) -> int:
    """E-mail each person concerned once, listing all the drift of their schools (`found`: each
    DriftEvent's values, its item and the item's new state). Returns the e-mails recorded."""
    by_school: dict[int, list[str]] = defaultdict(list)
    schools = {s.id: s for s in db.session.execute(
        select(School).where(School.id.in_({row["school_id"] for row, _, _ in found}))).scalars()}
    for row, item, state in found:
        school = schools[row["school_id"]]
        text = describe(item, row["from_status"], row["to_status"], row["cause"], state.get("figures"))
        path = failing_path(school.slug, item, state.get("figures"))
        by_school[school.id].append(f"- {text}" + (f"\n  What fails: {desk_notify.page_url(path)}" if path else ""))
    sent = 0
    with desk_notify.batched():
        for user, school_ids in _recipients(trust_id, set(by_school), now).values():
            mine = sorted(school_ids & set(by_school), key=lambda sid: schools[sid].name)
            count = sum(len(by_school[sid]) for sid in mine)
            where = schools[mine[0]].name if len(mine) == 1 else f"{len(mine)} schools"
            sections = "\n\n".join(
                f"{schools[sid].name} ({desk_notify.page_url(f'/s/{schools[sid].slug}/standards')})\n"
                + "\n".join(by_school[sid]) for sid in mine)
            desk_notify.record(
                "standards_drift", None, user.email,
                f"Standards: {count} item{'s' if count != 1 else ''} got worse at {where}",
                f"The platform's latest check of the trust's standards ({now:%d %b %Y %H:%M} UTC) found "
                f"what follows. Open a ticket from any of them in one click on the school's standards page (its "
                f"address is beside the school's name).\n\n{sections}\n",
                trust_id=trust_id, school_id=mine[0] if len(mine) == 1 else None)
            sent += 1
    return sent


def get(drift_id, school_ids) -> DriftEvent | None:
    """A drift of one of `school_ids` (the guard filters the rest too), or None."""
    return db.session.execute(select(DriftEvent).where(
        DriftEvent.id == drift_id, DriftEvent.school_id.in_(list(school_ids)))).scalar()
