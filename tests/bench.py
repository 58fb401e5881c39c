"""`make bench`: generate a large trust and time the pages and jobs that matter, as production runs them.

    make bench                                         # 150 schools, one year (~250k tickets)
    BENCH_YEARS=4 BENCH_PER_PUPIL=2.3 make bench       # ~1 million tickets
    BENCH_SCHOOLS=30 BENCH_LOAD_SECONDS=20 make bench  # a quick run while developing

PostgreSQL when TRUST_IT_BENCH_DATABASE_URL or TRUST_IT_TEST_DATABASE_URL names a server (a
`trust_it_bench` database is made on it, and dropped afterwards unless BENCH_KEEP=1); else an
SQLite file under instance/. On PostgreSQL the data is seeded as the owner, then every page is
timed twice in alternating rounds: as the application's own login role (NOSUPERUSER NOBYPASSRLS,
so row-level security applies, as in production) and as the owner, a superuser that row-level
security never sees; the report gives their ratio. Then a bounded mixed load runs against
gunicorn on loopback (tests/bench_load.py). Prints the figures and writes
bench-results/latest.json. Figures, not assertions.

Sizes: BENCH_SCHOOLS, BENCH_USERS_PER_SCHOOL, BENCH_YEARS, BENCH_PER_PUPIL, BENCH_OPEN_TICKETS
(default 20 000 for 150 schools, in proportion for fewer), BENCH_BACKLOG (open tickets of the
school whose queue is timed, 300), BENCH_ASSETS_PER_PUPIL (devices per pupil in the register, 3),
BENCH_REPEAT (requests per page and role), BENCH_SWEEP=0 to
skip the SLA sweep (the queues then hold the backlog without the sweep's escalations), BENCH_LOAD=0
to skip the load, BENCH_LOAD_SECONDS, BENCH_LOAD_CONNECTIONS, BENCH_LOAD_WORKERS. BENCH_KEEP=1 keeps the database;
a later BENCH_REUSE=1 run times its pages again without seeding or sweeping it. BENCH_ASSET_FILES=0
skips the register's import (BENCH_IMPORT_ROWS, 100 000) and export.
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
SCHOOLS = int(os.environ.get("BENCH_SCHOOLS", 150))
USERS = int(os.environ.get("BENCH_USERS_PER_SCHOOL", 40))
YEARS = float(os.environ.get("BENCH_YEARS", 1))
PER_PUPIL = float(os.environ.get("BENCH_PER_PUPIL", 1.6))
OPEN = int(os.environ.get("BENCH_OPEN_TICKETS", 20_000 * SCHOOLS // 150))
BACKLOG = int(os.environ.get("BENCH_BACKLOG", 300))
ASSETS_PER_PUPIL = float(os.environ.get("BENCH_ASSETS_PER_PUPIL", 3.0))
REPEAT = int(os.environ.get("BENCH_REPEAT", 30))
STANDARDS = os.environ.get("BENCH_STANDARDS", "1") != "0"
KEEP = os.environ.get("BENCH_KEEP") == "1"
# Re-time a database an earlier BENCH_KEEP=1 run left, without seeding it again (pages only).
REUSE = os.environ.get("BENCH_REUSE") == "1"
PASSWORD = "demo-password-2026"
DATABASE = "trust_it_bench"  # tests make trust_it_test_<random>: the two never meet
APP_ROLE = "trust_it_bench_app"
SECRET_KEY = "bench-secret"


# --- databases -----------------------------------------------------------------------------------

def owner_url() -> str:
    """The URL of the (new, empty) bench database as its owner."""
    if os.environ.get("TRUST_IT_BENCH_DATABASE_URL"):
        return os.environ["TRUST_IT_BENCH_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    base = os.environ.get("TRUST_IT_TEST_DATABASE_URL")
    if base:
        url = make_url(base.replace("postgresql://", "postgresql+psycopg://", 1))
        if REUSE:
            return url.set(database=DATABASE).render_as_string(hide_password=False)
        _admin(url, f'DROP DATABASE IF EXISTS "{DATABASE}"', f'CREATE DATABASE "{DATABASE}"')
        return url.set(database=DATABASE).render_as_string(hide_password=False)
    path = ROOT / "instance" / "bench.db"
    path.parent.mkdir(exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return f"sqlite:///{path}"


def _admin(url, *statements) -> None:
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{DATABASE}'"))
        for statement in statements:
            conn.execute(text(statement))
    admin.dispose()


def drop_database(url: str) -> None:
    if KEEP or REUSE or os.environ.get("TRUST_IT_BENCH_DATABASE_URL") or not url.startswith("postgresql"):
        return
    _admin(url, f'DROP DATABASE IF EXISTS "{DATABASE}"', f"DROP ROLE IF EXISTS {APP_ROLE}")


def app_role_url(owner: str) -> str:
    """A login role as production's should be: owns nothing, bound by row-level security."""
    from tests.conftest import _app_role_url
    return _app_role_url(owner, APP_ROLE)


def make_app(url: str):
    os.environ.setdefault("TRUST_IT_INSTANCE_PATH", str(ROOT / "instance"))
    from trust_it import create_app
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                       "SECRET_KEY": SECRET_KEY, "REDIS_URL": None})


# --- data ------------------------------------------------------------------------------------------

def seed(app, results: dict) -> dict:
    """The trust, its history, a realistic backlog and the SLA sweep over it; returns who to sign in as."""
    from services.base import utcnow
    from services.desk.generate import seed_tickets, spread_backlog
    from services.desk.models import Ticket
    from services.directory.generate import seed_trust
    from services.directory.models import Membership, User
    from trust_it.extensions import db
    from trust_it.tenancy import unscoped

    with app.app_context(), unscoped():
        from flask_migrate import upgrade
        upgrade()
        started = time.perf_counter()
        trust = seed_trust(schools=SCHOOLS, users_per_school=USERS, name="Bench Trust")
        db.session.commit()
        seed_tickets(trust, years=YEARS, per_pupil=PER_PUPIL)
        db.session.commit()
        # A school-day moment: 11:00 on the latest weekday.
        now = utcnow().replace(hour=11, minute=0, second=0, microsecond=0)
        while now.weekday() > 4:
            now -= timedelta(days=1)
        behind = spread_backlog(trust, OPEN, now=now, worst=BACKLOG)
        db.session.commit()
        if ASSETS_PER_PUPIL > 0:
            from services.assets.generate import seed_assets
            seed_assets(trust, per_pupil=ASSETS_PER_PUPIL, today=now.date())
            db.session.commit()
        if STANDARDS:
            from services.standards.generate import seed_standards
            results["standards_assessments"] = seed_standards(trust, now=now)
            db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))  # what autovacuum does after a bulk load
            db.session.commit()
        results["seed_s"] = round(time.perf_counter() - started, 1)
        count = lambda *where: db.session.execute(  # noqa: E731
            select(func.count()).select_from(Ticket).where(*where)).scalar()
        results["tickets"] = count()
        results["open_tickets"] = count(Ticket.sla_next_check_at.isnot(None))
        results["due_at_sweep"] = count(Ticket.sla_next_check_at <= now)
        results["backlog_school_open"] = count(Ticket.school_id == behind.id, Ticket.sla_next_check_at.isnot(None))
        from services.assets.models import Asset
        results["assets"] = db.session.execute(select(func.count()).select_from(Asset)).scalar()

        def first(role, school_id=None):
            where = Membership.school_id == school_id if school_id else Membership.trust_id == trust.id
            return db.session.execute(select(User.email).join(Membership).where(where, Membership.role == role)
                                      .order_by(User.id)).scalars().first()

        people = {"slug": behind.slug, "school_id": behind.id, "trust_id": trust.id, "now": now,
                  "technician": first("technician", behind.id), "technical": first("technical"),
                  "it_director": first("it_director"), "standards": bool(results.get("standards_assessments"))}
        db.session.remove()
    return people


def vacuum(url: str) -> None:
    """After the bulk load and the sweep: the visibility map lets index-only scans skip the heap."""
    if not url.startswith("postgresql"):
        return
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def sweep(app, people: dict, results: dict) -> None:
    """The SLA sweep over the bad day spread_backlog left, run as the job runs (unscoped)."""
    from services.desk.sweep import sla_sweep
    from trust_it.extensions import db
    from trust_it.tenancy import unscoped

    with app.app_context(), unscoped():
        started = time.perf_counter()
        counts = sla_sweep(now_iso=people["now"].isoformat())
        db.session.commit()
        results["sla_sweep"] = {"seconds": round(time.perf_counter() - started, 2), **counts}
        db.session.remove()


# --- pages -----------------------------------------------------------------------------------------

class SqlTimer:
    """Time spent in the database driver, per request: what the page's SQL alone costs."""

    def __init__(self, engine):
        self.ms = 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, *args):
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn, *args):
        self.ms += (time.perf_counter() - conn.info.pop("bench_started")) * 1000


def _summary(samples: list[float]) -> dict:
    samples = sorted(samples)
    return {"p50_ms": round(statistics.median(samples), 1),
            "p95_ms": round(samples[max(0, int(len(samples) * 0.95 + 0.5) - 1)], 1)}


def api_cursor(app, people: dict, page: int, limit: int = 50) -> str | None:
    """The cursor that opens page `page` of the trust's open tickets, or None if there are fewer pages."""
    from api.pagination import encode
    from services.desk.models import OPEN_STATUSES, Ticket
    from trust_it.extensions import db
    from trust_it.tenancy import unscoped

    with app.app_context(), unscoped():
        from services.directory.models import School
        after = db.session.execute(
            select(Ticket.id).join(School).where(School.trust_id == people["trust_id"],
                                                 Ticket.status.in_(OPEN_STATUSES))
            .order_by(Ticket.id).offset((page - 1) * limit - 1).limit(1)).scalar()
        db.session.remove()
    return encode(after) if after else None


def ensure_standards(app, people: dict) -> dict:
    """A kept database seeded before the standards existed: migrate it and give its trust two years
    of standards work, once (BENCH_REUSE then times them like the rest)."""
    from services.directory.models import Trust
    from services.standards.generate import seed_standards
    from services.standards.models import Baseline
    from trust_it.extensions import db
    from trust_it.tenancy import unscoped
    with app.app_context(), unscoped():
        from flask_migrate import upgrade
        upgrade()
        if not db.session.execute(select(Baseline.id).where(Baseline.trust_id == people["trust_id"])).first():
            seed_standards(db.session.get(Trust, people["trust_id"]), now=people["now"])
            db.session.commit()
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        db.session.remove()
    return {"standards": True}


def asset_probes(app, people: dict) -> dict:
    """What the timed searches look for: a real serial's start, the laptops' category, and how many
    tickets are open now (a kept database's sweep scenarios have changed it since it was seeded)."""
    from services.assets.models import Asset, AssetCategory
    from trust_it.extensions import db
    from trust_it.tenancy import unscoped
    with app.app_context(), unscoped():
        from services.desk.models import OPEN_STATUSES, Ticket
        open_now = db.session.execute(select(func.count()).select_from(Ticket)
                                      .where(Ticket.status.in_(OPEN_STATUSES))).scalar()
        serial = db.session.execute(select(Asset.serial).where(Asset.trust_id == people["trust_id"])
                                    .order_by(Asset.id).offset(12_345).limit(1)).scalar()
        laptops = db.session.execute(select(AssetCategory.id).where(
            AssetCategory.trust_id == people["trust_id"], AssetCategory.name == "Laptop")).scalar()
        db.session.remove()
    return {"serial_prefix": (serial or "X")[:6], "laptops": laptops, "open_api": open_now}


def time_pages(apps: dict, people: dict) -> dict:
    """Each page as each role in alternating rounds, so both see the same machine at the same moment."""
    deepest = max(2, min(200, people["open_api"] // 50))
    first = next(iter(apps.values()))
    cursors = {2: api_cursor(first, people, 2), deepest: api_cursor(first, people, deepest)}
    pages = {
        f"school queue, technician of the school {BACKLOG} tickets behind": (
            "technician", f"/s/{people['slug']}/queue"),
        "school queue, mine": ("technician", f"/s/{people['slug']}/queue?assignee=me"),
        "trust escalation queue (technical team)": ("technical", "/trust/escalations"),
        "director dashboard": ("it_director", "/trust/"),
        "API open tickets, page 1": ("technical", "/api/v1/tickets/?open=true&limit=50"),
        "API open tickets, page 2": ("technical", f"/api/v1/tickets/?open=true&limit=50&cursor={cursors[2]}"),
        f"API open tickets, page {deepest}": (
            "technical", f"/api/v1/tickets/?open=true&limit=50&cursor={cursors[deepest]}"),
        "API all tickets, page 1": ("technical", "/api/v1/tickets/?limit=50"),
    }
    if people.get("laptops"):  # the asset register, when the bench seeded one
        pages.update({
            "school assets, first page": ("technician", f"/s/{people['slug']}/assets"),
            "trust-wide assets, first page": ("technical", "/trust/assets"),
            "trust-wide asset search, serial prefix": ("technical", f"/trust/assets?q={people['serial_prefix']}"),
            "trust-wide assets, laptops out of warranty": (
                "technical", f"/trust/assets?category={people['laptops']}&warranty=out"),
            "API assets, serial prefix": ("technical", f"/api/v1/assets/?q={people['serial_prefix']}&limit=50"),
        })
    if people.get("standards"):
        pages.update({
            "trust standards heatmap, DfE baseline": ("it_director", "/trust/standards"),
            "school standards page": ("technician", f"/s/{people['slug']}/standards"),
        })
    clients, timers = {}, {}
    for who, app in apps.items():
        from trust_it.extensions import db
        with app.app_context():
            timers[who] = SqlTimer(db.engine)
        for role in ("technician", "technical", "it_director"):
            c = app.test_client()
            response = c.post("/login", data={"email": people[role], "password": PASSWORD})
            assert response.status_code == 302, (who, role, response.status_code)
            clients[who, role] = c
    # As each gunicorn worker does once the app is loaded (deploy/gunicorn.conf.py, post_worker_init).
    import gc
    gc.freeze()
    out = {}
    for name, (role, path) in pages.items():
        samples = {who: [] for who in apps}
        sql = {who: [] for who in apps}
        for who in apps:  # warm: first request compiles templates and fills caches
            status = clients[who, role].get(path).status_code
            if status != 200:
                out[name] = {"status": status, "as": who}
                break
        else:
            for _ in range(REPEAT):
                for who in apps:
                    timers[who].ms = 0.0
                    started = time.perf_counter()
                    clients[who, role].get(path)
                    samples[who].append((time.perf_counter() - started) * 1000)
                    sql[who].append(timers[who].ms)
            out[name] = {who: {**_summary(samples[who]), "sql_p50_ms": round(statistics.median(sql[who]), 1)}
                         for who in apps}
            if len(apps) == 2:  # on a busy machine the medians' ratio is the steadier figure
                app_role, superuser = out[name]["app role"], out[name]["superuser"]
                for p in ("p50", "p95"):
                    out[name][f"{p}_ratio"] = round(app_role[f"{p}_ms"] / superuser[f"{p}_ms"], 2)
        print(name, json.dumps(out[name]), flush=True)
    return out


def main() -> int:
    owner = owner_url()
    postgres = owner.startswith("postgresql")
    results: dict = {"database": make_url(owner).get_backend_name(), "schools": SCHOOLS, "years": YEARS,
                     "per_pupil": PER_PUPIL, "repeat": REPEAT}
    kept = ROOT / "bench-results" / "people.json"
    try:
        owner_app = make_app(owner)
        if REUSE:
            people = json.loads(kept.read_text())
            people["now"] = datetime.fromisoformat(people["now"])
            results.update(people.pop("results"))
        else:
            people = seed(owner_app, results)
            kept.parent.mkdir(exist_ok=True)
            kept.write_text(json.dumps({**people, "results": dict(results)}, default=str))
        if STANDARDS and REUSE:  # a database kept from before the standards (before the app's role is granted)
            people.update(ensure_standards(owner_app, people))
        apps = {"sqlite": owner_app}  # no roles, no row-level security
        if postgres:
            apps = {"app role": make_app(app_role_url(owner)), "superuser": owner_app}
        if os.environ.get("BENCH_SWEEP", "1") != "0" and not REUSE:
            sweep(apps.get("app role", owner_app), people, results)
        if not REUSE:
            vacuum(owner)
        people.update(asset_probes(owner_app, people))  # and the open tickets as they are now
        results["load_average_before_pages"] = [round(n, 1) for n in os.getloadavg()]  # the machine is shared
        results["pages"] = time_pages(apps, people)
        if STANDARDS and people.get("standards"):
            from tests import bench_standards
            url = app_role_url(owner) if postgres else owner
            results["standards_recompute"] = {
                "refresh": bench_standards.time_refresh(url, now=people["now"], trust_id=people["trust_id"]),
                "derived_checks": bench_standards.time_recompute(url, now=people["now"], trust_id=people["trust_id"])}
            print("standards recompute", json.dumps(results["standards_recompute"]), flush=True)
        if postgres and os.environ.get("BENCH_LOAD", "1") != "0":
            from tests import bench_load
            results["mixed_load"] = bench_load.run(app_role_url(owner), owner, people)
        if results.get("assets") and os.environ.get("BENCH_ASSET_FILES", "1") != "0":
            # The register's files as the app's role: 100 000 rows in, every asset out (CSV and XLSX).
            from tests import bench_assets_import
            results["asset_files"] = bench_assets_import.run(apps.get("app role", owner_app),
                                                             rows=int(os.environ.get("BENCH_IMPORT_ROWS", 100_000)))
            print("asset files", json.dumps(results["asset_files"]), flush=True)
        if os.environ.get("BENCH_SWEEP", "1") != "0" and not REUSE:
            # Last, because it re-arms tickets: 10 000 and 50 alarms due at once, as the app's role,
            # with the e-mails queued on Redis when there is one (one job per batch).
            from tests import bench_sweep
            redis_url = os.environ.get("TRUST_IT_BENCH_REDIS_URL") or os.environ.get("TRUST_IT_TEST_REDIS_URL")
            results["sla_sweep_scenarios"] = bench_sweep.run(apps.get("app role", owner_app), redis_url=redis_url)
        for app in apps.values():
            from trust_it.extensions import db
            with app.app_context():
                db.engine.dispose()
    finally:
        drop_database(owner)
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2, default=str))
    print(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
