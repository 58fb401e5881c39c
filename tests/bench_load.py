"""A bounded mixed load against gunicorn, as the application's own role with Redis (part of `make bench`).

gunicorn runs deploy/gunicorn.conf.py with BENCH_LOAD_WORKERS sync workers (5), bound to
127.0.0.1 only. BENCH_LOAD_CONNECTIONS (50) clients, each signed in as a technician, the trust's
technical team or its IT director, read school queues, the escalation queue, the dashboard and API
pages and raise tickets through the API, for at most BENCH_LOAD_SECONDS (60) and at most
BENCH_LOAD_REQUESTS (20 000) requests; then gunicorn is stopped. Reports requests per second,
latencies per kind, errors, and whether every ticket the API said it raised is in the database.
"""
from __future__ import annotations

import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import requests
from sqlalchemy import create_engine, select, text

ROOT = Path(__file__).resolve().parent.parent
SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", 60))
CONNECTIONS = int(os.environ.get("BENCH_LOAD_CONNECTIONS", 50))
WORKERS = int(os.environ.get("BENCH_LOAD_WORKERS", 5))
MAX_REQUESTS = int(os.environ.get("BENCH_LOAD_REQUESTS", 20_000))
PASSWORD = "demo-password-2026"
# kind of request: share of the mix
MIX = [("school queue", 30), ("escalation queue", 15), ("dashboard", 10), ("API open tickets", 25),
       ("raise ticket (API)", 20)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cast(owner_url: str, people: dict, technicians: int = 10) -> list[dict]:
    """Technicians of the schools with most open tickets (each with an API token), and the central team."""
    os.environ.setdefault("TRUST_IT_INSTANCE_PATH", str(ROOT / "instance"))
    from services.desk.models import OPEN_STATUSES, Ticket
    from services.directory.models import Membership, School, User
    from services.directory.tokens import create_token
    from trust_it import create_app
    from trust_it.extensions import db
    from trust_it.tenancy import unscoped

    app = create_app({"SQLALCHEMY_DATABASE_URI": owner_url, "REDIS_URL": None})
    cast = []
    with app.app_context(), unscoped():
        busiest = db.session.execute(
            select(School.id, School.slug).join(Ticket).where(School.trust_id == people["trust_id"],
                                                              Ticket.status.in_(OPEN_STATUSES))
            .group_by(School.id, School.slug).order_by(db.func.count().desc()).limit(technicians)).all()
        for school_id, slug in busiest:
            user = db.session.execute(select(User).join(Membership).where(
                Membership.school_id == school_id, Membership.role == "technician")).scalars().first()
            _, secret = create_token(user, name="Load test")
            cast.append({"email": user.email, "slug": slug, "school_id": school_id, "token": secret})
        for role in ("technical", "it_director"):
            cast.append({"email": people[role], "role": role})
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return cast


def _sign_in(base: str, email: str) -> requests.Session:
    s = requests.Session()
    form = s.get(f"{base}/login", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    response = s.post(f"{base}/login", data={"email": email, "password": PASSWORD, "csrf_token": token},
                      allow_redirects=False, timeout=30)
    assert response.status_code == 302, (email, response.status_code)
    return s


def _start(app_url: str, redis_url: str | None, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "TRUST_IT_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(WORKERS),
           "TRUST_IT_DATABASE_URL": app_url, "TRUST_IT_SECRET_KEY": "bench-load-secret",
           "TRUST_IT_REDIS_URL": redis_url or "", "TRUST_IT_LOGIN_RATE_LIMIT": "1000 per minute",
           "GUNICORN_CMD_ARGS": "--access-logfile /dev/null"}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen([str(gunicorn), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "trust_it.wsgi:app"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"),
                              start_new_session=True)
    try:
        _wait_until_serving(server, port)
    except BaseException:
        _stop(server)
        raise
    return server


def _wait_until_serving(server: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass  # not listening yet, or workers still importing the app
        if server.poll() is not None:
            break
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not start; see bench-results/gunicorn.log")


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)  # its own process group: the master and its workers
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def run(app_url: str, owner_url: str, people: dict) -> dict:
    redis_url = os.environ.get("TRUST_IT_BENCH_REDIS_URL") or os.environ.get("TRUST_IT_TEST_REDIS_URL")
    cast = _cast(owner_url, people)
    port = _free_port()
    log = ROOT / "bench-results" / "gunicorn.log"
    log.parent.mkdir(exist_ok=True)
    server = _start(app_url, redis_url, port, log)
    base = f"http://127.0.0.1:{port}"
    tag = f"Load test {uuid.uuid4().hex[:8]}"
    try:
        sessions = {person["email"]: _sign_in(base, person["email"]) for person in cast}
        technicians = [p for p in cast if "token" in p]
        central = {p["role"]: p for p in cast if "role" in p}
        lock = threading.Lock()
        state = {"sent": 0, "raised": 0, "errors": 0, "error_kinds": {}}
        latencies: dict[str, list[float]] = {kind: [] for kind, _ in MIX}
        kinds, weights = zip(*MIX, strict=True)
        deadline = time.monotonic() + SECONDS

        def client(n: int) -> None:
            rng = random.Random(n)
            tech = technicians[n % len(technicians)]
            http = requests.Session()  # each connection its own: sync workers close after each response
            while time.monotonic() < deadline:
                with lock:
                    if state["sent"] >= MAX_REQUESTS:
                        return
                    state["sent"] += 1
                    number = state["sent"]
                kind = rng.choices(kinds, weights)[0]
                started = time.perf_counter()
                try:
                    if kind == "raise ticket (API)":
                        response = http.post(f"{base}/api/v1/tickets/", timeout=30, json={
                            "school_id": tech["school_id"], "title": f"{tag} {number}", "impact": 2, "urgency": 2,
                            "description": "Raised by the bench's mixed load."},
                            headers={"Authorization": f"Bearer {tech['token']}"})
                    else:
                        who, path = {
                            "school queue": (tech["email"], f"/s/{tech['slug']}/queue"),
                            "escalation queue": (central["technical"]["email"], "/trust/escalations"),
                            "dashboard": (central["it_director"]["email"], "/trust/"),
                            "API open tickets": (central["technical"]["email"], "/api/v1/tickets/?open=true&limit=50"),
                        }[kind]
                        response = http.get(base + path, cookies=sessions[who].cookies, timeout=30)
                    ok = response.status_code < 300
                except requests.RequestException as exc:
                    ok, response = False, type(exc).__name__
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies[kind].append(elapsed)
                    if not ok:
                        state["errors"] += 1
                        key = f"{kind}: {getattr(response, 'status_code', response)}"
                        state["error_kinds"][key] = state["error_kinds"].get(key, 0) + 1
                    elif kind == "raise ticket (API)":
                        state["raised"] += 1

        started = time.monotonic()
        threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CONNECTIONS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=SECONDS + 60)
        seconds = time.monotonic() - started
    finally:
        _stop(server)
    engine = create_engine(owner_url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM tickets WHERE title LIKE :t"), {"t": f"{tag} %"}).scalar()
    engine.dispose()
    done = sum(len(v) for v in latencies.values())
    return {
        "connections": CONNECTIONS, "workers": WORKERS, "seconds": round(seconds, 1), "requests": done,
        "requests_per_s": round(done / seconds, 1), "errors": state["errors"], "error_kinds": state["error_kinds"],
        "tickets_raised": state["raised"], "tickets_in_database": stored, "none_lost": stored == state["raised"],
        "redis": bool(redis_url),
        "latency_ms": {kind: {"n": len(v), "p50": round(statistics.median(v), 1),
                              "p95": round(sorted(v)[max(0, int(len(v) * 0.95 + 0.5) - 1)], 1)}
                       for kind, v in latencies.items() if v},
    }
