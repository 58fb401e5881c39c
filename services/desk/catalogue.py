"""The trust's ticket categories, service catalogue and SLA targets."""
from __future__ import annotations

from sqlalchemy import select

from services.desk.clock import DEFAULT_TARGETS
from services.desk.models import DEFAULT_CATEGORIES, DEFAULT_SERVICES, Category, Service, SlaTarget
from services.directory.models import Trust
from trust_it.extensions import db


def ensure_defaults(trust: Trust) -> None:
    """Give a trust the school categories, a starter service catalogue and the default SLA targets (once)."""
    have = set(db.session.execute(select(Category.name).where(Category.trust_id == trust.id)).scalars())
    for name in DEFAULT_CATEGORIES:
        if name not in have:
            db.session.add(Category(trust_id=trust.id, name=name))
    have = set(db.session.execute(select(Service.name).where(Service.trust_id == trust.id)).scalars())
    for name, description in DEFAULT_SERVICES:
        if name not in have:
            db.session.add(Service(trust_id=trust.id, name=name, description=description))
    have = set(db.session.execute(select(SlaTarget.priority).where(
        SlaTarget.trust_id == trust.id, SlaTarget.school_id.is_(None))).scalars())
    for priority, (response, resolution) in DEFAULT_TARGETS.items():
        if priority not in have:
            db.session.add(SlaTarget(trust_id=trust.id, school_id=None, priority=priority,
                                     response_minutes=response, resolution_minutes=resolution))
    db.session.flush()


def categories(trust_id: int, *, active_only: bool = True) -> list[Category]:
    stmt = select(Category).where(Category.trust_id == trust_id).order_by(Category.name)
    if active_only:
        stmt = stmt.where(Category.active.is_(True))
    return list(db.session.execute(stmt).scalars())


def services(trust_id: int, *, active_only: bool = True) -> list[Service]:
    stmt = select(Service).where(Service.trust_id == trust_id).order_by(Service.name)
    if active_only:
        stmt = stmt.where(Service.active.is_(True))
    return list(db.session.execute(stmt).scalars())
