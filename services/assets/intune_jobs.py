"""Intune sync runs: the nightly job, "sync now", and the runs a trust is shown.

The app registration (client id and secret) is the deployment's, from the environment
(`TRUST_IT_INTUNE_CLIENT_ID`/`_SECRET`, else the sign-in's): nothing secret is stored in the
database or shown on a page.
"""
from __future__ import annotations

import time
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from services.assets.errors import AssetError
from services.assets.graph import GraphClient
from services.assets.intune_settings import synced_tenant
from services.assets.models import SyncRun, SyncTenant
from services.audit import log
from services.base import utcnow
from services.directory.models import EntraTenant, Trust
from trust_it import jobs
from trust_it.extensions import db

NIGHTLY = 24 * 3600


def credentials() -> tuple[str | None, str | None]:
    cfg = current_app.config
    return (cfg.get("INTUNE_CLIENT_ID") or cfg.get("ENTRA_CLIENT_ID"),
            cfg.get("INTUNE_CLIENT_SECRET") or cfg.get("ENTRA_CLIENT_SECRET"))


def configured() -> bool:
    return all(credentials())


def client_for(tenant_id: str) -> GraphClient:
    """A Graph client for one tenant, as configured; tests hand in their own HTTP session and sleeper."""
    cfg = current_app.config
    client_id, secret = credentials()
    # ENTRA_HTTP_CLIENT: the session msal and Graph calls go through (tests: one trusting the local server).
    return GraphClient(tenant_id=tenant_id, client_id=client_id, client_secret=secret,
                       authority_host=cfg["INTUNE_AUTHORITY_HOST"], graph_url=cfg["GRAPH_URL"],
                       http=cfg.get("ENTRA_HTTP_CLIENT"), sleep=cfg.get("INTUNE_SLEEP") or time.sleep)


# --- runs -------------------------------------------------------------------------------------

def runs_of(trust_id: int, *, limit: int = 50) -> list[SyncRun]:
    return list(db.session.execute(select(SyncRun).options(joinedload(SyncRun.requested_by))
                                   .where(SyncRun.trust_id == trust_id)
                                   .order_by(SyncRun.id.desc()).limit(limit)).scalars())


def runs_statement(trust_id: int):
    """The API's list: a trust's runs (keyset-paged by id by the caller)."""
    return select(SyncRun).where(SyncRun.trust_id == trust_id)


def request_sync(trust: Trust, tenant: EntraTenant, *, by, now: datetime) -> None:
    """"Sync now": queue the tenant's run on the `sync` queue (once a minute at most)."""
    sync = synced_tenant(trust, tenant.id)
    if sync is None:
        raise AssetError("Turn on the sync for this tenant first.", "tenant")
    if not configured():
        raise AssetError("Intune sync needs the app registration's client id and secret in this server's "
                         "configuration (TRUST_IT_INTUNE_CLIENT_ID and TRUST_IT_INTUNE_CLIENT_SECRET).", "tenant")
    log.record("assets.sync_requested", f"Intune sync of tenant {tenant.tenant_id} started by hand",
               actor=by, trust_id=trust.id)
    jobs.enqueue(run_sync, sync.id, by.id if by else None, queue="sync", for_trust=trust.id, after_commit=True,
                 job_id=f"intune-sync-{sync.id}-{now:%Y%m%d%H%M}", timeout=3600, retries=0)


# --- jobs -------------------------------------------------------------------------------------

@jobs.periodic("assets.intune_sync", every=NIGHTLY, queue="sync")
def sync_every_tenant() -> int:
    """The nightly run: one job per synced tenant, so a slow or broken tenant holds up no other."""
    if not configured():
        return 0
    synced = db.session.execute(select(SyncTenant.id, SyncTenant.trust_id).order_by(SyncTenant.id)).all()
    day = f"{utcnow():%Y%m%d}"
    for sync_id, trust_id in synced:
        jobs.enqueue(run_sync, sync_id, queue="sync", for_trust=trust_id, job_id=f"intune-sync-{sync_id}-{day}",
                     timeout=3600, retries=1)
    return len(synced)


def run_sync(sync_id: int, requested_by_id: int | None = None) -> int | None:
    """One tenant's run (the job's body); returns the run's id, or None when there was nothing to do."""
    from services.assets import intune
    sync = db.session.execute(select(SyncTenant).options(joinedload(SyncTenant.entra_tenant))
                              .where(SyncTenant.id == sync_id)).scalar()
    if sync is None:
        return None  # the tenant was turned off after the job was queued
    # Two runs of one tenant at once: the second to write a new device breaks the register's
    # uniqueness, and that run is recorded as failed with nothing applied.
    run = intune.sync_tenant(sync, now=utcnow(), client=client_for(sync.entra_tenant.tenant_id),
                             trigger="by_hand" if requested_by_id else "schedule", by_id=requested_by_id,
                             clock=utcnow)
    if run.status == "succeeded":
        # What the sync changed (encryption, last seen, operating systems) is what the standards'
        # computed items read: refresh the trust's conformance now, so drift is told the same hour.
        jobs.enqueue("services.standards.tasks.refresh_trust", sync.trust_id, for_trust=sync.trust_id,
                     job_id=f"standards-refresh-{sync.trust_id}-after-sync-{run.id}", timeout=1800, retries=1,
                     after_commit=True)
    return run.id
