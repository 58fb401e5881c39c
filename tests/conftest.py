"""Fixtures: one app per database per test session, clean tables per test, plain factories.

Tests commit for real (no per-test rollback) because a real rq worker in another process
and a browser talking to a live server must see the data; every test starts from empty
tables instead. SQLite always; PostgreSQL when TRUST_IT_TEST_DATABASE_URL is set (a fresh
database is created for the run and dropped afterwards). Under CI=true a missing service
fails the run instead of skipping.
"""
from __future__ import annotations

import itertools
import os
import secrets
import uuid
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from tests.clock import OFFSET_VARIABLE, offset_days, shift_clock
from trust_it import create_app
from trust_it.extensions import db
from trust_it.tenancy import unscoped

PASSWORD = "correct horse battery staple"
IN_CI = os.environ.get("CI") == "true"
PG_URL = os.environ.get("TRUST_IT_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TRUST_IT_TEST_REDIS_URL")

_shifted_clock = None


def pytest_configure(config):
    global _shifted_clock
    _shifted_clock = shift_clock()  # before any test module is imported, so nothing reads the real day


def pytest_unconfigure(config):
    if _shifted_clock is not None:
        _shifted_clock.stop()


def pytest_report_header(config):
    if offset_days():
        return f"clock: {offset_days():g} days ahead ({OFFSET_VARIABLE}): it is {datetime.now():%A %d %B %Y %H:%M}"
    return None


if IN_CI and not PG_URL:
    raise RuntimeError("CI=true but TRUST_IT_TEST_DATABASE_URL is not set")
if IN_CI and not REDIS_URL:
    raise RuntimeError("CI=true but TRUST_IT_TEST_REDIS_URL is not set")

BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])


def _pg_url(base: str, name: str) -> str:
    url = make_url(base.replace("postgresql://", "postgresql+psycopg://", 1)
                   if base.startswith("postgresql://") else base)
    return url.set(database=name).render_as_string(hide_password=False)


@contextmanager
def _database(backend: str, tmp: Path):
    if backend == "sqlite":
        yield f"sqlite:///{tmp / 'test.db'}"
        return
    name = f"trust_it_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(_pg_url(PG_URL, "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield _pg_url(PG_URL, name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def make_test_app(database_url: str, instance: Path, **overrides):
    os.environ["TRUST_IT_INSTANCE_PATH"] = str(instance)
    config = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False,
              "SECRET_KEY": "test-secret", "SERVER_NAME": None, "REDIS_URL": None,
              "RATELIMIT_STORAGE_URI": "memory://"}
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request):
    return request.param


APP_ROLE = "trust_it_test_app"


def _app_role_url(owner_url: str, role: str = APP_ROLE) -> str:
    """PostgreSQL tests connect as a role that neither owns the tables nor bypasses row-level
    security, as production should: the database's own tenancy rules are exercised by every test."""
    engine = create_engine(owner_url)
    with engine.begin() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
        if not exists:
            conn.execute(text(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS"))
        conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
        conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"))
        conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"))
    engine.dispose()
    return make_url(owner_url).set(username=role, password=None).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def app_and_url(backend, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(backend)
    with _database(backend, tmp) as owner_url:
        migrator = make_test_app(owner_url, tmp)
        with migrator.app_context():
            from flask_migrate import upgrade
            upgrade()  # the migrations build the schema: what production runs
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        url = _app_role_url(owner_url) if backend == "postgres" else owner_url
        app = make_test_app(url, tmp)
        app.config["TEST_OWNER_DATABASE_URL"] = owner_url
        yield app, url
        with app.app_context():
            db.engine.dispose()
        for engine in _owner_engines.values():
            engine.dispose()
        _owner_engines.clear()


@pytest.fixture
def app(app_and_url):
    app, _ = app_and_url
    from trust_it.extensions import limiter
    with app.app_context():
        limiter.reset()  # each test starts with no sign-in attempts counted
    yield app
    _empty_tables(app)


@pytest.fixture
def database_url(app_and_url):
    return app_and_url[1]


_owner_engines: dict = {}


def _empty_tables(app):
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        if db.engine.dialect.name == "postgresql":
            url = app.config["TEST_OWNER_DATABASE_URL"]
            owner = _owner_engines.setdefault(url, create_engine(url))  # TRUNCATE needs the owner
            with owner.begin() as conn:
                conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            with db.engine.begin() as conn:
                for t in tables:
                    conn.execute(text(f'DELETE FROM "{t}"'))


_ips = itertools.count(1)


@pytest.fixture
def client(app):
    return new_client(app)


def new_client(app):
    """A browser of its own: own cookies and own address (the login rate limit is per address)."""
    c = app.test_client()
    n = next(_ips)
    c.environ_base["REMOTE_ADDR"] = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
    return c


@contextmanager
def data(app):
    """Work on the database as a job would (unscoped); objects stay readable after commit."""
    with app.app_context():
        db.session().expire_on_commit = False
        with unscoped():
            yield db.session
            db.session.commit()
            from trust_it.jobs import run_deferred_inline
            run_deferred_inline()  # as the request cycle and the job wrapper do after their commit
        db.session.remove()


@pytest.fixture
def count_queries(app):
    """`with count_queries() as statements:` collects the SQL sent to the database inside the block."""
    @contextmanager
    def counting():
        with app.app_context():
            engine = db.engine
        statements: list[str] = []

        def listener(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", listener)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", listener)
    return counting


# --- factories --------------------------------------------------------------------------------

class Factory:
    def __init__(self, app):
        self.app = app
        self._trust = None

    def trust(self, name="Oak Valley Learning Trust", tenants=()):
        from services.directory.models import Trust
        from services.directory.signin import add_tenant
        with data(self.app) as s:
            trust = Trust(name=name)
            s.add(trust)
            s.flush()
            for tid in tenants:
                add_tenant(trust, tid)
        self._trust = self._trust or trust
        return trust

    def default_trust(self):
        return self._trust or self.trust()

    def school(self, slug, name=None, trust=None, **values):
        from services.directory.models import Trust
        from services.directory.schools import create_school
        trust = trust or self.default_trust()
        with data(self.app) as s:
            school = create_school(s.get(Trust, trust.id), name=name or slug.replace("-", " ").title() + " School",
                                   slug=slug, **values)
        return school

    def user(self, role=None, school=None, email=None, name=None, password=PASSWORD, trust=None,
             expires_at: datetime | None = None, active=True):
        from services.directory import people
        from services.directory.models import School
        trust = trust or self.default_trust()
        email = email or f"{role or 'nobody'}-{secrets.token_hex(3)}@example.org.uk"
        with data(self.app) as s:
            user = people.create_user(trust_id=trust.id, email=email, display_name=name or email.split("@")[0],
                                      password=password)
            if role:
                m = people.add_membership(user, role=role, school=s.get(School, school.id) if school else None)
                m.expires_at = expires_at  # tests may set a past expiry directly
            user.active = active
            _ = user.memberships
        return user


    def ticket(self, school, requester=None, title="Projector in room 12 will not turn on", kind="incident",
               impact=2, urgency=1, now=None, **values):
        """A ticket raised through the service (SLA clock and history included)."""
        from services.desk.tickets import create_ticket
        from services.directory.models import School, User
        with data(self.app) as s:
            ticket = create_ticket(s.get(School, school.id), requester=s.get(User, requester.id) if requester else None,
                                   title=title, kind=kind, impact=impact, urgency=urgency, now=now,
                                   requester_email=None if requester else "someone@example.org.uk", **values)
            _ = ticket.school, ticket.reference
        return ticket


@pytest.fixture
def make(app):
    return Factory(app)


def bearer(app, user) -> dict:
    """Headers that call the API with a fresh token of `user`."""
    from services.directory import tokens
    from services.directory.models import User
    with data(app) as s:
        _, secret = tokens.create_token(s.get(User, user.id), name="test script")
    return {"Authorization": f"Bearer {secret}"}


def login(client, user, password=PASSWORD):
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.text
    return response


@pytest.fixture
def login_as(app):
    """login_as(user) -> a fresh signed-in client."""
    def _login(user):
        c = new_client(app)
        login(c, user)
        return c
    return _login
