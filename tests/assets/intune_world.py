"""The world of the Intune sync tests: a trust with a tenant, two schools, and Microsoft on 127.0.0.1."""
from __future__ import annotations

from datetime import datetime

import pytest
import requests
from sqlalchemy import select

from services.assets import intune, intune_jobs, intune_settings
from services.assets.models import Asset, AssetEvent, SyncRun, SyncTenant
from services.directory.models import EntraTenant, School, Trust
from tests.conftest import data
from tests.fakes.entra import DEFAULT_TID
from tests.fakes.graph import LocalMicrosoft

TID = DEFAULT_TID
# Runs take their moment from the caller: these tests never read the real day.
NOW = datetime(2026, 1, 12, 9, 0)


@pytest.fixture(scope="module")
def local_microsoft():
    with LocalMicrosoft() as ms:
        yield ms


@pytest.fixture
def microsoft(local_microsoft, app, monkeypatch):
    """Microsoft's sign-in and Graph for one test, with the app configured to use them; `slept` records waits."""
    local_microsoft.reset()
    session = requests.Session()
    session.verify = local_microsoft.cafile
    session.trust_env = False  # REQUESTS_CA_BUNDLE in the environment would override `verify`
    local_microsoft.slept = []
    for key, value in {"ENTRA_HTTP_CLIENT": session, "INTUNE_CLIENT_ID": local_microsoft.entra.client_id,
                       "INTUNE_CLIENT_SECRET": local_microsoft.entra.client_secret,
                       "INTUNE_AUTHORITY_HOST": local_microsoft.url, "GRAPH_URL": local_microsoft.url,
                       "INTUNE_SLEEP": local_microsoft.slept.append}.items():
        monkeypatch.setitem(app.config, key, value)
    return local_microsoft


@pytest.fixture
def world(app, make, microsoft):
    """Oak Valley with its tenant synced, Oakwood and Elmfield, and the rule `OAK-` → Oakwood."""
    trust = make.trust(tenants=[TID])
    oak = make.school("oak", name="Oakwood Academy", trust=trust)
    elm = make.school("elm", name="Elmfield Primary", trust=trust)
    with data(app) as s:
        t = s.get(Trust, trust.id)
        intune_settings.set_synced(t, t.tenants[0], True)
        intune_settings.add_rule(t, kind="name_prefix", value="OAK-", school=s.get(School, oak.id))
    return {"trust": trust, "oak": oak, "elm": elm}


def run_sync(app, now: datetime = NOW) -> SyncRun:
    with data(app) as s:
        sync = s.execute(select(SyncTenant)).scalar_one()
        _ = sync.entra_tenant
        return intune.sync_tenant(sync, now=now, client=intune_jobs.client_for(TID))


def assets(app) -> dict[str, Asset]:
    """The register's assets by device name."""
    with data(app) as s:
        return {a.name: a for a in s.execute(select(Asset)).scalars()}


def events(app, kind: str | None = None) -> list[AssetEvent]:
    with data(app) as s:
        stmt = select(AssetEvent).order_by(AssetEvent.id)
        return list(s.execute(stmt.where(AssetEvent.kind == kind) if kind else stmt).scalars())


def tenant_row(app) -> EntraTenant:
    with data(app) as s:
        return s.execute(select(EntraTenant)).scalar_one()
