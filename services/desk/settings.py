"""Changing the trust's desk settings: categories, the service catalogue and SLA targets.

Reading them is `catalogue.py`; this module writes. Names are unique per trust whatever
their case ("Printing" and "printing" would be one category to anyone choosing from a
list). SLA targets are working minutes; a school's row for a priority overrides the
trust's. Every change is in the audit log. After a target changes, open tickets of that
priority are retargeted by a job (`retarget_open`): same minutes used, new target, so pause
time survives a change of policy.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from services.audit import log
from services.base import utcnow
from services.desk import catalogue, sla
from services.desk.clock import DEFAULT_TARGETS, SCHOOL_DAY_MINUTES
from services.desk.errors import DeskError
from services.desk.models import OPEN_STATUSES, Category, Service, SlaTarget, Ticket
from services.desk.tickets import event
from services.directory.models import Membership, School, Trust, User
from trust_it import jobs
from trust_it.extensions import db
from trust_it.tenancy import TRUST_ROLES

PRIORITIES = (1, 2, 3, 4)
NAME_MAX = 100
DESCRIPTION_MAX = 500
# A target longer than a school year of working time is a typing slip, not a promise.
TARGET_MAX = 200 * 8 * 60


def describe_minutes(minutes: int) -> str:
    """Working time as people say it: "30 min", "4 h", "1 h 30 min", "2 school days"."""
    if minutes >= SCHOOL_DAY_MINUTES and minutes % SCHOOL_DAY_MINUTES == 0:
        days = minutes // SCHOOL_DAY_MINUTES
        return f"{days} school day{'s' if days != 1 else ''}"
    hours, mins = divmod(minutes, 60)
    return " ".join(part for part in (f"{hours} h" if hours else "", f"{mins} min" if mins else "") if part) or "0 min"


# --- loading one of the trust's own rows (another trust's id is None, so a 404) ----------------

def category_of(trust_id: int, category_id: int) -> Category | None:
    return db.session.execute(select(Category).where(Category.id == category_id, Category.trust_id == trust_id)
                              ).scalar_one_or_none()


def service_of(trust_id: int, service_id: int) -> Service | None:
    return db.session.execute(select(Service).where(Service.id == service_id, Service.trust_id == trust_id)
                              ).scalar_one_or_none()


def override_of(trust_id: int, target_id: int) -> SlaTarget | None:
    """A school's override; the trust's own rows are changed through `set_targets`, never removed."""
    return db.session.execute(select(SlaTarget).where(
        SlaTarget.id == target_id, SlaTarget.trust_id == trust_id, SlaTarget.school_id.is_not(None))
    ).scalar_one_or_none()


def is_empty(trust_id: int) -> bool:
    """Nothing set up yet: no categories, no services, no targets of its own."""
    for model in (Category, Service, SlaTarget):
        if db.session.execute(select(model.id).where(model.trust_id == trust_id).limit(1)).first():
            return False
    return True


def start_with_defaults(trust: Trust, *, by: User | None) -> None:
    catalogue.ensure_defaults(trust)
    log.record("desk.defaults_added", "Suggested desk categories, services and SLA targets added",
               actor=by, trust_id=trust.id)


# --- names ---------------------------------------------------------------------------------------

def _clean_name(name: str | None, what: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise DeskError(f"Enter the {what}'s name.", "name")
    if len(name) > NAME_MAX:
        raise DeskError(f"Keep the name under {NAME_MAX} characters.", "name")
    return name


def _check_unique(model, trust_id: int, name: str, what: str, own_id: int | None = None) -> None:
    stmt = select(model.name).where(model.trust_id == trust_id, func.lower(model.name) == name.lower())
    if own_id is not None:
        stmt = stmt.where(model.id != own_id)
    clash = db.session.execute(stmt.limit(1)).scalar()
    if clash is not None:
        raise DeskError(f"There is already a {what} called “{clash}”.", "name")


# --- categories ----------------------------------------------------------------------------------

def add_category(trust: Trust, *, name: str, by: User | None) -> Category:
    name = _clean_name(name, "category")
    _check_unique(Category, trust.id, name, "category")
    category = Category(trust_id=trust.id, name=name, active=True)
    db.session.add(category)
    db.session.flush()
    log.record("desk.category_added", f"Ticket category “{name}” added", actor=by, trust_id=trust.id,
               detail={"category_id": category.id})
    return category


def rename_category(category: Category, *, name: str, by: User | None) -> Category:
    name = _clean_name(name, "category")
    if name == category.name:
        return category
    _check_unique(Category, category.trust_id, name, "category", own_id=category.id)
    old, category.name = category.name, name
    db.session.flush()
    log.record("desk.category_renamed", f"Ticket category “{old}” renamed “{name}”", actor=by,
               trust_id=category.trust_id, detail={"category_id": category.id, "from": old, "to": name})
    return category


def set_category_active(category: Category, active: bool, *, by: User | None) -> None:
    """A retired category leaves the lists people choose from; tickets that have it keep it."""
    if category.active == active:
        return
    category.active = active
    db.session.flush()
    log.record("desk.category_reactivated" if active else "desk.category_deactivated",
               f"Ticket category “{category.name}” {'back in use' if active else 'retired'}", actor=by,
               trust_id=category.trust_id, detail={"category_id": category.id})


# --- services ------------------------------------------------------------------------------------

def owner_choices(trust_id: int) -> list[User]:
    """People who may own a service: active, with a current trust-wide role."""
    now = utcnow()
    central = select(Membership.user_id).where(
        Membership.trust_id == trust_id, Membership.school_id.is_(None),
        Membership.role.in_([r for r in TRUST_ROLES if r != "trustee"]),  # trustees read reports; they own no service
        Membership.current_at(now))
    return list(db.session.execute(select(User).where(User.trust_id == trust_id, User.active.is_(True),
                                                      User.id.in_(central)).order_by(User.display_name)).scalars())


def _check_owner(trust_id: int, owner: User | None) -> None:
    if owner is not None and owner.id not in {u.id for u in owner_choices(trust_id)}:
        raise DeskError("Choose someone from the trust's central team.", "owner_id")


def _clean_description(description: str | None) -> str:
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise DeskError(f"Keep the description under {DESCRIPTION_MAX} characters.", "description")
    return description


def add_service(trust: Trust, *, name: str, description: str = "", owner: User | None = None,
                by: User | None) -> Service:
    name = _clean_name(name, "service")
    description = _clean_description(description)
    _check_unique(Service, trust.id, name, "service")
    _check_owner(trust.id, owner)
    service = Service(trust_id=trust.id, name=name, description=description,
                      owner_id=owner.id if owner else None, active=True)
    db.session.add(service)
    db.session.flush()
    log.record("desk.service_added", f"Service “{name}” added to the catalogue", actor=by, trust_id=trust.id,
               detail={"service_id": service.id, "owner_id": service.owner_id})
    return service


def update_service(service: Service, *, name: str, description: str = "", owner: User | None = None,
                   by: User | None) -> Service:
    name = _clean_name(name, "service")
    description = _clean_description(description)
    _check_unique(Service, service.trust_id, name, "service", own_id=service.id)
    if owner is None or owner.id != service.owner_id:  # a departed owner may stay until someone is chosen
        _check_owner(service.trust_id, owner)
    changes = {key: (old, new) for key, old, new in (
        ("name", service.name, name), ("description", service.description, description),
        ("owner_id", service.owner_id, owner.id if owner else None)) if old != new}
    if not changes:
        return service
    service.name, service.description = name, description
    service.owner_id, service.owner = (owner.id, owner) if owner else (None, None)
    db.session.flush()
    log.record("desk.service_changed", f"Service “{name}” changed: {', '.join(sorted(changes))}", actor=by,
               trust_id=service.trust_id,
               detail={"service_id": service.id, **{k: {"from": a, "to": b} for k, (a, b) in changes.items()}})
    return service


def set_service_active(service: Service, active: bool, *, by: User | None) -> None:
    if service.active == active:
        return
    service.active = active
    db.session.flush()
    log.record("desk.service_reactivated" if active else "desk.service_deactivated",
               f"Service “{service.name}” {'back in the catalogue' if active else 'retired'}", actor=by,
               trust_id=service.trust_id, detail={"service_id": service.id})


# --- SLA targets ---------------------------------------------------------------------------------

def trust_targets(trust_id: int) -> dict[int, tuple[int, int, bool]]:
    """Priority -> (response, resolution, suggested default still in force) for the trust."""
    rows = {t.priority: t for t in db.session.execute(select(SlaTarget).where(
        SlaTarget.trust_id == trust_id, SlaTarget.school_id.is_(None))).scalars()}
    return {p: (rows[p].response_minutes, rows[p].resolution_minutes, False) if p in rows
            else (*DEFAULT_TARGETS[p], True) for p in PRIORITIES}


def school_overrides(trust_id: int, school_id: int | None = None) -> list[tuple[SlaTarget, School]]:
    """The trust's per-school overrides (or one school's) with their school, by school name then priority."""
    stmt = (select(SlaTarget, School).join(School, School.id == SlaTarget.school_id)
            .where(SlaTarget.trust_id == trust_id, School.trust_id == trust_id)
            .order_by(School.name, SlaTarget.priority))
    if school_id is not None:
        stmt = stmt.where(SlaTarget.school_id == school_id)
    return [(target, school) for target, school in db.session.execute(stmt).all()]


def _check_target(priority: int, response: int, resolution: int) -> None:
    if priority not in PRIORITIES:
        raise DeskError("Priorities are P1 to P4.", "priority")
    for minutes, kind in ((response, "response"), (resolution, "resolution")):
        if not isinstance(minutes, int) or minutes <= 0:
            raise DeskError(f"P{priority}: the {kind} target must be longer than zero.", f"p{priority}_{kind}")
        if minutes > TARGET_MAX:
            raise DeskError(f"P{priority}: that {kind} target is longer than a school year.", f"p{priority}_{kind}")
    if response > resolution:
        raise DeskError(f"P{priority}: the first response cannot be due after the resolution.",
                        f"p{priority}_response")


def set_targets(trust: Trust, targets: dict[int, tuple[int, int] | None], *, school: School | None = None,
                by: User | None) -> list[int]:
    """Set (response, resolution) per priority for the trust, or for one school.

    For a school, None for a priority removes its override (the trust's target applies again);
    the trust's own targets cannot be removed, only changed. Returns the priorities whose
    targets changed, after queueing the retargeting of their open tickets.
    """
    if school is not None and school.trust_id != trust.id:
        raise DeskError("Choose a school of this trust.", "school")
    for priority, pair in targets.items():
        if pair is None:
            if school is None:
                raise DeskError(f"Enter P{priority}'s targets.", f"p{priority}_response")
        else:
            _check_target(priority, *pair)
    school_id = school.id if school else None
    rows = {t.priority: t for t in db.session.execute(select(SlaTarget).where(
        SlaTarget.trust_id == trust.id, SlaTarget.school_id.is_(None) if school is None
        else SlaTarget.school_id == school_id)).scalars()}
    changed: dict[int, dict] = {}
    for priority, pair in sorted(targets.items()):
        row = rows.get(priority)
        if pair is None:
            if row is not None:
                changed[priority] = {"from": [row.response_minutes, row.resolution_minutes], "to": None}
                db.session.delete(row)
            continue
        response, resolution = pair
        if row is None:
            db.session.add(SlaTarget(trust_id=trust.id, school_id=school_id, priority=priority,
                                     response_minutes=response, resolution_minutes=resolution))
            changed[priority] = {"from": None, "to": [response, resolution]}
        elif (row.response_minutes, row.resolution_minutes) != (response, resolution):
            changed[priority] = {"from": [row.response_minutes, row.resolution_minutes], "to": [response, resolution]}
            row.response_minutes, row.resolution_minutes = response, resolution
    db.session.flush()
    if changed:
        where = school.name if school else "the trust"
        log.record("desk.sla_changed", f"SLA targets changed for {where}: "
                   + ", ".join(f"P{p}" for p in changed), actor=by, trust_id=trust.id, school=school,
                   detail={f"P{p}": change for p, change in changed.items()})
        _queue_retarget(trust.id, school_id, sorted(changed))
    return sorted(changed)


def remove_override(target: SlaTarget, *, by: User | None) -> None:
    school = db.session.get(School, target.school_id)
    set_targets(db.session.get(Trust, target.trust_id), {target.priority: None}, school=school, by=by)


def _queue_retarget(trust_id: int, school_id: int | None, priorities: list[int]) -> None:
    jobs.enqueue(retarget_open, trust_id, school_id, priorities=priorities, queue="default",
                 after_commit=True, for_trust=trust_id)


RETARGET_BATCH = 500


def retarget_open(trust_id: int, school_id: int | None = None, priorities: list[int] | None = None,
                  now_iso: str | None = None) -> int:
    """A job: give the open tickets of these priorities the targets now in force.

    Each keeps the working minutes it has used; only the target changes (sla.retarget), so a
    paused ticket stays paused and its pause time is not lost. Returns how many changed.
    """
    from datetime import datetime
    now = datetime.fromisoformat(now_iso) if now_iso else utcnow()
    schools = select(School.id).where(School.trust_id == trust_id)
    if school_id is not None:
        schools = schools.where(School.id == school_id)
    calendars: dict = {}
    changed, after = 0, 0
    while True:
        stmt = (select(Ticket).where(Ticket.school_id.in_(schools), Ticket.status.in_(OPEN_STATUSES),
                                     Ticket.id > after)
                .options(joinedload(Ticket.school)).order_by(Ticket.id).limit(RETARGET_BATCH))
        if priorities:
            stmt = stmt.where(Ticket.priority.in_(priorities))
        batch = db.session.execute(stmt).scalars().all()
        for ticket in batch:
            old_target, old_response_due = ticket.sla_target_minutes, ticket.response_due_at
            sla.retarget(ticket, now, sla.calendar_for(ticket.school_id, calendars, now=now))
            if (ticket.sla_target_minutes, ticket.response_due_at) != (old_target, old_response_due):
                event(ticket, "sla", public=False, what="retargeted",
                      body=f"The trust changed the P{ticket.priority} targets: resolution within "
                           f"{describe_minutes(ticket.sla_target_minutes)} of working time.")
                changed += 1
        db.session.flush()
        if len(batch) < RETARGET_BATCH:
            return changed
        after = batch[-1].id
