"""The standards tests' world: a trust with the shipped baselines, a primary and a secondary, and a
stand-in for the derived checks (services/standards/derived.py) whose figures each test sets."""
import sys
import types
from datetime import datetime

import pytest

from services.standards import baselines
from services.standards.checks import Figure
from services.standards.models import Baseline, StandardItem
from tests.conftest import data

NOW = datetime(2026, 3, 2, 9, 0)


@pytest.fixture
def world(app, make):
    trust = make.trust("Standards Trust")
    primary = make.school("oak", trust=trust, phase="Primary")
    secondary = make.school("elm", trust=trust, phase="Secondary")
    with data(app):
        baselines.load_shipped(trust.id, now=NOW)
    return types.SimpleNamespace(trust=trust, primary=primary, secondary=secondary)


def item(session, trust_id, code) -> StandardItem:
    """The published item with this code."""
    from services.standards.models import BaselineVersion
    return (session.query(StandardItem).join(BaselineVersion, BaselineVersion.id == StandardItem.version_id)
            .filter(StandardItem.trust_id == trust_id, StandardItem.code == code,
                    BaselineVersion.status == "published").one())


def baseline(session, trust_id, code) -> Baseline:
    return session.query(Baseline).filter_by(trust_id=trust_id, code=code).one()


@pytest.fixture
def figures(monkeypatch):
    """figures[key][school_id] = Figure(...): what the derived checks report; calls are recorded."""
    table: dict[str, dict[int, Figure]] = {}
    calls = []

    def compute_all(session, keys, school_ids, now):
        calls.append((set(keys), list(school_ids) if school_ids is not None else None, now))
        return {key: dict(table.get(key, {})) for key in keys}

    module = types.ModuleType("services.standards.derived")
    module.compute_all = compute_all
    monkeypatch.setitem(sys.modules, "services.standards.derived", module)
    return types.SimpleNamespace(table=table, calls=calls)
