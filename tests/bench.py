"""`make bench`: generate a large trust and time the pages and jobs that matter.

    make bench                                 # 150 schools, ~250k tickets (one year)
    BENCH_YEARS=4 BENCH_PER_PUPIL=2.5 make bench   # ~1.3 million tickets

Uses PostgreSQL when TRUST_IT_BENCH_DATABASE_URL (or TRUST_IT_TEST_DATABASE_URL, from which a
`trust_it_bench` database is made) is set, else an SQLite file under instance/. Prints p50/p95
per page and the SLA sweep's time, and writes bench-results/latest.json. Figures, not assertions.
"""
from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select, text, update
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
SCHOOLS = int(os.environ.get("BENCH_SCHOOLS", 150))
USERS = int(os.environ.get("BENCH_USERS_PER_SCHOOL", 40))
YEARS = float(os.environ.get("BENCH_YEARS", 1))
PER_PUPIL = float(os.environ.get("BENCH_PER_PUPIL", 1.6))
OPEN = int(os.environ.get("BENCH_OPEN_TICKETS", 20_000))
REPEAT = int(os.environ.get("BENCH_REPEAT", 30))
PASSWORD = "demo-password-2026"


def database_url() -> str:
    if os.environ.get("TRUST_IT_BENCH_DATABASE_URL"):
        return os.environ["TRUST_IT_BENCH_DATABASE_URL"]
    base = os.environ.get("TRUST_IT_TEST_DATABASE_URL")
    if base:
        url = make_url(base.replace("postgresql://", "postgresql+psycopg://", 1))
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'trust_it_bench'"))
            conn.execute(text('DROP DATABASE IF EXISTS "trust_it_bench"'))
            conn.execute(text('CREATE DATABASE "trust_it_bench"'))
        admin.dispose()
        return url.set(database="trust_it_bench").render_as_string(hide_password=False)
    path = ROOT / "instance" / "bench.db"
    path.parent.mkdir(exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return f"sqlite:///{path}"


def timed(fn, repeat=REPEAT):
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 1),
            "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 1), "n": repeat}


def main() -> int:
    url = database_url()
    os.environ.setdefault("TRUST_IT_INSTANCE_PATH", str(ROOT / "instance"))
    from trust_it import create_app
    from trust_it.extensions import db
    from trust_it.tenancy import unscoped

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    results: dict = {"database": make_url(url).get_backend_name(), "schools": SCHOOLS}
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
        from services.base import utcnow
        from services.desk.generate import seed_tickets
        from services.desk.models import Ticket
        from services.desk.sweep import sla_sweep
        from services.directory.generate import seed_trust
        from services.directory.models import Membership, School, User

        with unscoped():
            started = time.perf_counter()
            trust = seed_trust(schools=SCHOOLS, users_per_school=USERS, name="Bench Trust")
            db.session.commit()
            seed_tickets(trust, years=YEARS, per_pupil=PER_PUPIL)
            db.session.commit()
            results["seed_s"] = round(time.perf_counter() - started, 1)
            results["tickets"] = db.session.execute(select(func.count()).select_from(Ticket)).scalar()
            if db.engine.dialect.name == "postgresql":
                db.session.commit()
                db.session.execute(text("ANALYZE"))  # what autovacuum does after a bulk load
                db.session.commit()
            # Exactly OPEN open tickets with running clocks, their alarms spread over ±4 hours of a
            # school-day moment; half have used 75 % of a 4-hour target (a warning is due), half far
            # more (escalation and breach are due).
            now = utcnow().replace(hour=11, minute=0, second=0, microsecond=0)
            while now.weekday() > 4:
                now -= timedelta(days=1)
            db.session.execute(update(Ticket).where(Ticket.sla_next_check_at.isnot(None)).values(
                sla_next_check_at=None, sla_warn_at=None, sla_escalate_at=None, status="closed"))
            recent = db.session.execute(select(Ticket.id).order_by(Ticket.id.desc()).limit(OPEN)).scalars().all()
            rng = random.Random(1)
            for n, tid in enumerate(recent):
                at = now + timedelta(minutes=rng.randint(-240, 240))
                clock_from = now - (timedelta(hours=3) if n % 2 else timedelta(days=3))
                db.session.execute(update(Ticket).where(Ticket.id == tid).values(
                    status="assigned", tier=1, closed_at=None, resolved_at=None, sla_breached_at=None,
                    resolution_due_at=at + timedelta(hours=1), sla_warn_at=at, sla_escalate_at=at + timedelta(hours=1),
                    sla_next_check_at=at, sla_clock_from=clock_from, sla_elapsed_minutes=0, sla_window_start=0,
                    sla_warned_window=None, sla_target_minutes=240))
            db.session.commit()
            due_now = db.session.execute(select(func.count()).select_from(Ticket).where(
                Ticket.sla_next_check_at <= now)).scalar()
            results["open_tickets"] = len(recent)
            results["due_at_sweep"] = due_now
            big = db.session.execute(select(School).where(School.trust_id == trust.id)
                                     .order_by(School.pupils.desc())).scalars().first()
            tech = db.session.execute(select(User).join(Membership).where(
                Membership.school_id == big.id, Membership.role == "technician")).scalars().first()
            central = db.session.execute(select(User).join(Membership).where(
                Membership.trust_id == trust.id, Membership.role == "technical")).scalars().first()
            slug, tech_email, central_email = big.slug, tech.email, central.email
            started = time.perf_counter()
            counts = sla_sweep(now_iso=now.isoformat())
            db.session.commit()
            results["sla_sweep"] = {"seconds": round(time.perf_counter() - started, 2), **counts}
            db.session.remove()

    def client_for(email):
        c = app.test_client()
        assert c.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
        return c

    tech_client, central_client = client_for(tech_email), client_for(central_email)
    pages = {
        "school queue (technician, largest school)": (tech_client, f"/s/{slug}/queue"),
        "school queue, mine": (tech_client, f"/s/{slug}/queue?assignee=me"),
        "trust escalation queue (technical team)": (central_client, "/trust/escalations"),
        "trust dashboard": (central_client, "/trust/"),
        "API tickets, open, first page": (central_client, "/api/v1/tickets/?open=true&limit=50"),
    }
    results["pages"] = {}
    for name, (client, path) in pages.items():
        status = client.get(path).status_code
        if status != 200:
            results["pages"][name] = {"status": status}
            continue
        results["pages"][name] = timed(lambda c=client, p=path: c.get(p))

    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
