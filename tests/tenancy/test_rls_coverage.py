"""Every school-scoped table is protected by PostgreSQL's row-level security, forced on its owner
too: a table added tomorrow cannot be forgotten by a hand-written list in a migration."""
import pytest
from sqlalchemy import create_engine, text

from services.base import SchoolScoped, TrustOrSchoolScoped
from trust_it.extensions import db

# Tables with a school_id that the guard does not scope: each is read through a trust or a user.
NOT_SCHOOL_SCOPED = {
    "memberships": "a person's roles, read by user; trust roles have no school",
    "sign_in_rules": "the trust's sign-in settings, filtered by trust",
    "sla_targets": "the trust's SLA settings; a school's row overrides the trust's",
    "notifications": "the outbox, sent by jobs and shown to trust administrators by trust",
    "audit_events": "the trust's audit log, filtered by trust",
    "asset_sync_mappings": "the trust's Intune rules, filtered by trust; the school is where a rule sends devices",
}


def _scoped_tables() -> set[str]:
    return {mapper.class_.__tablename__ for mapper in db.Model.registry.mappers
            if issubclass(mapper.class_, (SchoolScoped, TrustOrSchoolScoped))} | {"schools"}


def test_every_table_with_a_school_is_scoped_or_says_why_not(app):
    with_school = {t.name for t in db.metadata.sorted_tables if "school_id" in t.c}
    assert with_school - _scoped_tables() == set(NOT_SCHOOL_SCOPED)


def test_every_school_scoped_table_has_row_level_security_forced(app, backend):
    if backend != "postgres":
        pytest.skip("row-level security is PostgreSQL's")
    engine = create_engine(app.config["TEST_OWNER_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
                "(SELECT count(*) FROM pg_policies p WHERE p.schemaname = n.nspname AND p.tablename = c.relname) "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind = 'r'")).all()
    finally:
        engine.dispose()
    state = {name: (enabled, forced, policies > 0) for name, enabled, forced, policies in rows}
    unprotected = {t: state.get(t) for t in _scoped_tables() if state.get(t) != (True, True, True)}
    assert unprotected == {}, "(enabled, forced, has a policy) per table"
