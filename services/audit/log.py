"""Write to the audit log. Callers pass domain objects; the request's IP comes from the view."""
from __future__ import annotations

from sqlalchemy import select

from services.audit.models import AuditEvent
from trust_it.extensions import db


def record(action: str, summary: str, *, actor=None, trust_id: int | None = None, school=None,
           detail: dict | None = None, ip: str | None = None) -> AuditEvent:
    if trust_id is None:
        trust_id = getattr(school, "trust_id", None) or getattr(actor, "trust_id", None)
    event = AuditEvent(action=action, summary=summary[:500], actor_id=getattr(actor, "id", None),
                       trust_id=trust_id, school_id=getattr(school, "id", None), detail=detail or {},
                       ip=ip or db.session.info.get("audit_ip"))
    db.session.add(event)
    db.session.flush()
    return event


def page(trust_id: int, *, before_id: int | None = None, action: str | None = None,
         school_id: int | None = None, limit: int = 50) -> list[AuditEvent]:
    """Newest first, keyset-paginated on id: page 1 000 costs what page 1 does."""
    from sqlalchemy.orm import joinedload
    stmt = (select(AuditEvent).where(AuditEvent.trust_id == trust_id)
            .options(joinedload(AuditEvent.actor), joinedload(AuditEvent.school))
            .order_by(AuditEvent.id.desc()).limit(limit))
    if before_id:
        stmt = stmt.where(AuditEvent.id < before_id)
    if action:
        stmt = stmt.where(AuditEvent.action.like(f"%{action.strip()}%"))
    if school_id:
        stmt = stmt.where(AuditEvent.school_id == school_id)
    return list(db.session.execute(stmt).scalars())
