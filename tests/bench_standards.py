"""Recomputing every derived standards item for the whole trust, for `make bench`.

`time_recompute(url)` connects to the bench database at `url` (the application's own role, so
row-level security applies as in production), takes the IT director's trust-wide scope, and times
`compute_all` for every derived check over every school: seconds and SQL statements per check and
for the lot, best of a few rounds (the machine is shared). Figures, not assertions.

Stand-alone, on a fresh database with a generated trust and its register (as after an Intune sync;
dropped afterwards unless BENCH_STANDARDS_KEEP=1). 150 schools, 331 000 devices, a 2-core shared
machine: 1.5 s for all seven checks, the supported-OS share 1.0 s of it, one statement each.

    TRUST_IT_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
    .venv/bin/python -m tests.bench_standards
"""
from __future__ import annotations

import json
import os
import sys
import time
from datetime import datetime

from sqlalchemy import event, func, select

ROUNDS = 3


def _scope(trust_id: int | None):
    """The scope of the trust's IT director (every school of the trust), as a request of theirs has it."""
    from services.directory.models import Membership, User
    from trust_it.extensions import db
    from trust_it.tenancy import scope_for, unscoped
    with unscoped():
        director = db.session.execute(
            select(User).join(Membership, Membership.user_id == User.id)
            .where(Membership.role == "it_director", *([User.trust_id == trust_id] if trust_id else []))
            .order_by(User.id)).scalars().first()
        if director is None:
            raise SystemExit("The bench database has no IT director to compute as: seed it first.")
        return scope_for(director)


def time_recompute(url: str, *, now: datetime | None = None, rounds: int = ROUNDS,
                   trust_id: int | None = None) -> dict:
    """{"schools", "devices", "seconds" (all checks, best round), "checks": {key: {seconds, statements}}}."""
    from services.assets.models import Asset
    from services.standards.derived import CHECKS, compute_all
    from tests.bench import make_app
    from trust_it.extensions import db
    from trust_it.tenancy import set_scope, utcnow

    app = make_app(url)
    now = now or utcnow()
    checks: dict[str, dict] = {}
    totals = []
    with app.test_request_context():
        set_scope(_scope(trust_id))
        devices = db.session.execute(select(func.count()).select_from(Asset)).scalar()
        for _ in range(rounds):
            total = 0.0
            for key in CHECKS:
                statements: list[str] = []
                listener = lambda *args, seen=statements: seen.append(args[2])  # noqa: E731
                event.listen(db.engine, "before_cursor_execute", listener)
                try:
                    started = time.perf_counter()
                    figures = compute_all(db.session, {key}, None, now)[key]
                    seconds = time.perf_counter() - started
                finally:
                    event.remove(db.engine, "before_cursor_execute", listener)
                total += seconds
                best = checks.get(key)
                if best is None or seconds < best["seconds"]:
                    checks[key] = {"seconds": round(seconds, 3), "schools": len(figures),
                                   "statements": len([s for s in statements if "set_config" not in s])}
            totals.append(total)
        schools = max((c["schools"] for c in checks.values()), default=0)
        db.session.rollback()
    with app.app_context():
        db.engine.dispose()
    return {"schools": schools, "devices": devices, "seconds": round(min(totals), 3), "checks": checks}


def time_refresh(url: str, *, now: datetime, trust_id: int, rounds: int = ROUNDS) -> dict:
    """The whole recomputation a sync triggers: `conformance.refresh` of every school × published
    item (derived checks, answers, the rows rewritten, drift) and this month's trend point, as the
    application's role in the IT director's scope; each round rolled back so every round does the
    same work. {"seconds" (best round), "statements", "rows"}."""
    from services.standards import conformance, trends
    from tests.bench import make_app
    from trust_it.extensions import db
    from trust_it.tenancy import set_scope

    app = make_app(url)
    best, statements, rows = None, 0, 0
    with app.test_request_context():
        set_scope(_scope(trust_id))
        for _ in range(rounds):
            seen: list[str] = []
            listener = lambda *args, seen=seen: seen.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                started = time.perf_counter()
                result = conformance.refresh(trust_id, None, now=now)
                trends.record_month(trust_id, now=now)
                db.session.flush()
                seconds = time.perf_counter() - started
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
                db.session.rollback()
            if best is None or seconds < best:
                best, rows = seconds, result.inserted + result.updated
                statements = len([s for s in seen if "set_config" not in s])
    with app.app_context():
        db.engine.dispose()
    return {"seconds": round(best or 0, 3), "statements": statements, "rows": rows}


def main() -> int:
    """A fresh database with a generated trust (BENCH_SCHOOLS, BENCH_ASSETS_PER_PUPIL, one year of
    tickets), then the recomputation as the application's role."""
    from sqlalchemy import create_engine, text

    from tests.bench import make_app
    from tests.conftest import _app_role_url, _pg_url

    schools = int(os.environ.get("BENCH_SCHOOLS", 150))
    per_pupil = float(os.environ.get("BENCH_ASSETS_PER_PUPIL", 3.0))
    base, name = os.environ["TRUST_IT_TEST_DATABASE_URL"], "trust_it_bench_standards"
    admin = create_engine(_pg_url(base, "postgres"), isolation_level="AUTOCOMMIT")
    keep = os.environ.get("BENCH_STANDARDS_KEEP")  # set it to time again on the same data
    with admin.connect() as conn:
        if not keep:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        fresh = not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if fresh:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    owner_url = _pg_url(base, name)
    if fresh:
        owner = make_app(owner_url)
        with owner.app_context():
            from flask_migrate import upgrade

            from services.assets.generate import seed_assets
            from services.desk.generate import seed_tickets
            from services.directory.generate import seed_trust
            from trust_it.extensions import db
            from trust_it.tenancy import unscoped, utcnow
            upgrade()
            with unscoped():
                trust = seed_trust(schools=schools, users_per_school=10, name="Standards Bench Trust")
                db.session.commit()
                seed_tickets(trust, years=1.0, per_pupil=1.0)
                db.session.commit()
                seed_assets(trust, per_pupil=per_pupil, today=utcnow().date())
                db.session.commit()
                db.session.execute(text("ANALYZE"))
                db.session.commit()
            db.engine.dispose()
    print(json.dumps(time_recompute(_app_role_url(owner_url)), indent=2))
    if not keep:
        admin = create_engine(_pg_url(base, "postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
