"""The SLA sweep under load, for `make bench`: N alarms due at once, the sweep's time and statements.

`run(app, …)` works on whatever the app's database holds (a modest generated trust is added if
it holds too few tickets), arms N tickets spread over the schools — half at 75 % of their time
(a warning is due), half long past it (an escalation and a breach are due) — runs the sweep as
the scheduler's job would, with Redis when given, and reports seconds, SQL statements and the
jobs queued for the emails. Connect the app as the application's own role to see row-level
security's cost. Figures, not assertions.

    TRUST_IT_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
    TRUST_IT_TEST_REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python -m tests.bench_sweep
"""
from __future__ import annotations

import json
import os
import random
import sys
import time
from datetime import datetime, timedelta

from sqlalchemy import event, func, select, update

SIZES = (10_000, 50)


def sweep_moment(today: datetime) -> datetime:
    """11:00 UTC on the latest weekday: mid-morning of a school day, when alarms pile up."""
    now = today.replace(hour=11, minute=0, second=0, microsecond=0)
    while now.weekday() > 4:
        now -= timedelta(days=1)
    return now


def _ensure_tickets(n: int, now: datetime) -> None:
    from services.desk.generate import seed_tickets
    from services.desk.models import Ticket
    from services.directory.generate import seed_trust
    from trust_it.extensions import db
    if db.session.execute(select(func.count()).select_from(Ticket)).scalar() >= n:
        return
    trust = seed_trust(schools=30, users_per_school=10, name="Sweep Bench Trust")
    db.session.commit()
    seed_tickets(trust, years=1.0, per_pupil=max(1.0, n / 30 / 300), now=now)
    db.session.commit()


def arm(n: int, now: datetime, rng: random.Random) -> int:
    """Clear every alarm, then make n tickets due at `now` (in bulk: the setup is not what is timed)."""
    from services.desk.models import Ticket
    from trust_it.extensions import db
    db.session.execute(update(Ticket).where(Ticket.sla_next_check_at.isnot(None)).values(
        sla_next_check_at=None, sla_warn_at=None, sla_escalate_at=None, status="closed"))
    ids = sorted(rng.sample(db.session.execute(select(Ticket.id)).scalars().all(), n))
    rows = []
    for k, tid in enumerate(ids):
        at = now - timedelta(minutes=rng.randint(0, 240))
        clock_from = now - (timedelta(hours=3) if k % 2 else timedelta(days=3))
        rows.append({"id": tid, "status": "assigned", "tier": 1, "closed_at": None, "resolved_at": None,
                     "sla_breached_at": None, "resolution_due_at": at + timedelta(hours=1), "sla_warn_at": at,
                     "sla_escalate_at": at + timedelta(hours=1), "sla_next_check_at": at,
                     "sla_clock_from": clock_from, "sla_elapsed_minutes": 0, "sla_window_start": 0,
                     "sla_warned_window": None, "sla_target_minutes": 240})
    db.session.execute(update(Ticket), rows)
    db.session.commit()
    return len(ids)


def run(app, sizes=SIZES, *, redis_url: str | None = None, now: datetime | None = None) -> dict:
    """Time one sweep per size; returns {size: {seconds, python_cpu_seconds (the app's own share),
    statements, jobs_queued, warned, escalated, breached}}."""
    from services.desk.sweep import sla_sweep
    from trust_it.extensions import db
    from trust_it.tenancy import unscoped, utcnow

    now = now or sweep_moment(utcnow())
    saved = {k: app.config.get(k) for k in ("REDIS_URL", "JOB_INLINE")}
    results = {}
    try:
        for n in sizes:
            with app.app_context(), unscoped():
                _ensure_tickets(n, now)
                armed = arm(n, now, random.Random(n))
                db.session.remove()
            if redis_url:
                app.config.update(REDIS_URL=redis_url, JOB_INLINE=False)
            queue = _notifications_queue(app) if redis_url else None
            queued_before = queue.count if queue else 0
            statements = []
            with app.app_context():
                engine = db.engine
                count = lambda *args, seen=statements: seen.append(1)  # noqa: E731
                event.listen(engine, "before_cursor_execute", count)
                try:
                    started, cpu = time.perf_counter(), time.process_time()
                    with unscoped():  # as the job wrapper runs it: unscoped, then one commit
                        counts = sla_sweep(now_iso=now.isoformat())
                    db.session.commit()
                    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
                finally:
                    event.remove(engine, "before_cursor_execute", count)
                    db.session.remove()
            results[n] = {"alarms": armed, "seconds": round(seconds, 3), "python_cpu_seconds": round(cpu, 3),
                          "statements": len(statements),
                          "jobs_queued": (queue.count - queued_before) if queue else None, **counts}
            if queue:
                queue.empty()  # nobody works them here; a later run must not count them
            app.config.update(saved)
    finally:
        app.config.update(saved)
    return results


def _notifications_queue(app):
    from rq import Queue

    from trust_it import jobs
    with app.app_context():
        return Queue("notifications", connection=jobs.redis_connection())


def main() -> int:
    """Stand-alone: a fresh database, a modest trust, and the sweep as the app's role with Redis."""
    from sqlalchemy import create_engine, text

    from tests.conftest import _app_role_url, _pg_url
    from trust_it import create_app

    base, name = os.environ["TRUST_IT_TEST_DATABASE_URL"], "trust_it_bench_sweep"
    admin = create_engine(_pg_url(base, "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not os.environ.get("BENCH_SWEEP_KEEP"):  # set it to time again on the same data
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    owner_url = _pg_url(base, name)
    owner = create_app({"SQLALCHEMY_DATABASE_URI": owner_url})
    now = sweep_moment(datetime.utcnow())
    with owner.app_context():
        from flask_migrate import upgrade

        from trust_it.extensions import db
        from trust_it.tenancy import unscoped
        upgrade()
        with unscoped():
            _ensure_tickets(max(SIZES) * 2, now)
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        db.engine.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": _app_role_url(owner_url)})
    print(json.dumps(run(app, redis_url=os.environ.get("TRUST_IT_TEST_REDIS_URL"), now=now), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
