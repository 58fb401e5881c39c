"""Background work of the directory (run by `trust_it.jobs`)."""
from __future__ import annotations

from sqlalchemy import select

from services.audit import log
from services.base import utcnow
from services.directory.models import Membership
from trust_it.extensions import db
from trust_it.jobs import periodic
from trust_it.tenancy import ROLE_LABELS


@periodic("memberships.record_expired", every=300)
def record_expired_memberships() -> int:
    """Write "access ended" to the audit log once for each membership that has passed its expiry.

    Idempotent: a second run, or a retried job, finds nothing left to record.
    """
    now = utcnow()
    ended = db.session.execute(
        select(Membership).where(Membership.expires_at <= now, Membership.expiry_recorded_at.is_(None))
        .with_for_update(skip_locked=True)).scalars().all()
    for m in ended:
        where = m.school.name if m.school else "the trust"
        log.record("membership.expired", f"{m.user.email}'s access as {ROLE_LABELS.get(m.role, m.role)} at "
                   f"{where} ended", school=m.school, trust_id=m.user.trust_id,
                   detail={"user_id": m.user_id, "role": m.role, "expired_at": m.expires_at.isoformat()})
        m.expiry_recorded_at = now
    db.session.flush()
    return len(ended)
