"""Background work of the standards: keeping every school's conformance current.

Evidence expires and the platform's records change without anyone opening a page, so each trust's
conformance is refreshed on a schedule (one job per trust, so a large trust holds up no other).
A job that changes what a derived check reads (an Intune sync, say) may enqueue `refresh_trust` too.
"""
from __future__ import annotations

from sqlalchemy import select

from services.base import utcnow
from services.standards import conformance
from services.standards.models import Baseline
from trust_it import jobs
from trust_it.extensions import db

HOURLY = 3600


@jobs.periodic("standards.refresh", every=HOURLY)
def refresh_every_trust() -> int:
    """One refresh job per trust that has baselines; returns how many were queued."""
    trust_ids = db.session.execute(select(Baseline.trust_id).distinct().order_by(Baseline.trust_id)).scalars().all()
    hour = f"{utcnow():%Y%m%d%H}"
    for trust_id in trust_ids:
        jobs.enqueue(refresh_trust, trust_id, for_trust=trust_id, job_id=f"standards-refresh-{trust_id}-{hour}",
                     timeout=1800, retries=1)
    return len(trust_ids)


def refresh_trust(trust_id: int) -> int:
    """Refresh every school of the trust against every published item; returns the drift found."""
    return len(conformance.refresh(trust_id, None, now=utcnow()).drift)
