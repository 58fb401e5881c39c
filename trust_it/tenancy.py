"""Who may see which schools, enforced once for every ORM query.

A request (or a job) carries a `Scope`: the user's trust, the set of school ids they may
see, and their roles. One `do_orm_execute` listener adds `school_id IN scope` to every
ORM statement touching a `SchoolScoped` model (and `id IN scope` for `School` itself).
With no scope the set is empty, so queries return nothing: deny by default.

The only way around it is `unscoped()` — used by jobs and the CLI, easy to grep.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import abort, g, has_app_context
from sqlalchemy import and_, event, or_, select
from sqlalchemy.orm import Session, with_loader_criteria

from services.base import SchoolScoped, TrustOrSchoolScoped, utcnow
from services.directory.models import Membership, School
from trust_it.extensions import db

TRUST_ROLES = ("service_desk", "technical", "it_director", "trustee", "trust_admin", "edtech")
SCHOOL_ROLES = ("staff", "technician", "msp_engineer", "edtech", "school_lead")
ALL_ROLES = ("staff", "technician", "msp_engineer", "edtech", "school_lead",
             "service_desk", "technical", "it_director", "trustee", "trust_admin")
ROLE_LABELS = {
    "staff": "Staff", "technician": "Technician", "msp_engineer": "MSP engineer",
    "edtech": "Educational technologist", "school_lead": "School lead",
    "service_desk": "Trust service desk", "technical": "Trust technical team",
    "it_director": "IT director", "trustee": "Trustee", "trust_admin": "Trust administrator",
}


@dataclass(frozen=True)
class Scope:
    user_id: int | None = None
    trust_id: int | None = None
    school_ids: tuple[int, ...] = ()
    school_roles: dict[int, frozenset[str]] = field(default_factory=dict)
    trust_roles: frozenset[str] = frozenset()
    # (slug, name) of every school in scope, by name, when the scope was read from the database:
    # the school switcher's list, without asking again.
    schools: tuple[tuple[str, str], ...] = ()

    def sees(self, school_id: int) -> bool:
        return school_id in self.school_ids

    def roles_at(self, school_id: int | None) -> frozenset[str]:
        """Roles at a school; none at all at a school outside the scope (another trust's)."""
        if school_id is None:
            return self.trust_roles
        if not self.sees(school_id):
            return frozenset()
        return self.school_roles.get(school_id, frozenset()) | self.trust_roles

    def has_trust_role(self, *roles: str) -> bool:
        return bool(self.trust_roles.intersection(roles))

    @property
    def all_roles(self) -> frozenset[str]:
        roles = set(self.trust_roles)
        for r in self.school_roles.values():
            roles |= r
        return frozenset(roles)


NO_SCOPE = Scope()


def scope_for(user) -> Scope:
    """Build the scope of a signed-in user from their unexpired memberships.

    Every request does this before its own work, so it is two statements at most: the memberships
    with the school each names (only a school of the user's own trust counts), and, for a trust
    role, the trust's schools. The schools' slugs and names come along for the school switcher."""
    if user is None or not getattr(user, "active", False):
        return NO_SCOPE
    now = utcnow()
    with unscoped():
        rows = db.session.execute(
            select(Membership.role, Membership.trust_id, Membership.school_id, School.slug, School.name)
            .outerjoin(School, and_(School.id == Membership.school_id, School.trust_id == user.trust_id))
            .where(Membership.user_id == user.id, Membership.current_at(now))
        ).all()
        trust_roles = frozenset(r.role for r in rows if r.trust_id == user.trust_id and r.school_id is None)
        school_roles: dict[int, set[str]] = {}
        names: dict[int, tuple[str, str]] = {}
        if trust_roles:
            names.update((i, (slug, name)) for i, slug, name in db.session.execute(
                select(School.id, School.slug, School.name).where(School.trust_id == user.trust_id)))
        for r in rows:
            if r.school_id is not None and r.slug is not None:  # a school of another trust joins as NULL
                school_roles.setdefault(r.school_id, set()).add(r.role)
                names[r.school_id] = (r.slug, r.name)
    return Scope(
        user_id=user.id, trust_id=user.trust_id, school_ids=tuple(sorted(names)),
        school_roles={k: frozenset(v) for k, v in school_roles.items()}, trust_roles=trust_roles,
        schools=tuple(sorted(names.values(), key=lambda pair: (pair[1].casefold(), pair[0]))),
    )


def current_scope() -> Scope:
    if has_app_context():
        return g.get("scope", NO_SCOPE)
    return NO_SCOPE


def set_scope(scope: Scope) -> None:
    g.scope = scope
    db.session.info["school_ids"] = list(scope.school_ids)
    db.session.info["trust_id"] = scope.trust_id or 0


@contextmanager
def unscoped():
    """The one escape hatch from the tenancy guard: jobs, the CLI and sign-in use it."""
    info = db.session.info
    previous = info.get("tenancy_unscoped", False)
    info["tenancy_unscoped"] = True
    try:
        yield
    finally:
        info["tenancy_unscoped"] = previous


# --- PostgreSQL row-level security (migrations 0003, 0008): the same scope, told to the database ---
#
# The settings are transaction-local. They are sent just before a statement needs them, and only
# when they differ from what this transaction was last told: a request that loads the user
# unscoped and then works in its scope sends them twice, not at every change of mind.

_SENT = "tenancy_sent"  # session.info: the settings this transaction holds (None: nothing yet)


def _scope_settings(session) -> tuple[str, str]:
    if session.info.get("tenancy_unscoped"):
        return "*", "0"
    return ",".join(str(i) for i in session.info.get("school_ids", ())), str(session.info.get("trust_id", 0))


def _tell_database(session) -> None:
    """Send the scope to the open transaction (beginning one if needed) unless it already holds it."""
    if session.get_bind().dialect.name != "postgresql":
        return
    connection = session.connection()  # beginning a transaction sends the scope (after_begin below)
    if session.info.get(_SENT) != _scope_settings(session):
        _send(connection, session)


def _send(connection, session) -> None:
    ids, trust_id = wanted = _scope_settings(session)
    connection.exec_driver_sql(
        "SELECT set_config('trust_it.school_ids', %(ids)s, true), set_config('trust_it.trust_id', %(trust)s, true)",
        {"ids": ids, "trust": trust_id})
    session.info[_SENT] = wanted


@event.listens_for(Session, "after_begin")
def _scope_new_transaction(session, transaction, connection):
    """At once, so even SQL sent through `session.connection()` itself runs in the scope of the moment."""
    if connection.dialect.name == "postgresql":
        _send(connection, session)


@event.listens_for(Session, "after_transaction_end")
def _savepoint_may_have_undone_it(session, transaction):
    if transaction.nested:  # a rolled-back savepoint takes its set_config with it
        session.info[_SENT] = None


@event.listens_for(Session, "before_flush")
def _scope_writes(session, flush_context, instances):
    _tell_database(session)


@event.listens_for(Session, "do_orm_execute")
def _deny_by_default(state):
    _tell_database(state.session)
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load:
        return  # refreshing attributes of a row already loaded through the guard
    if state.session.info.get("tenancy_unscoped"):
        return
    ids = list(state.session.info.get("school_ids", ()))
    trust_id = state.session.info.get("trust_id", 0)
    # Lambdas stay free of calls: SQLAlchemy caches them and binds `ids` as a parameter.
    state.statement = state.statement.options(
        with_loader_criteria(SchoolScoped, lambda cls: cls.school_id.in_(ids), include_aliases=True),
        with_loader_criteria(School, lambda cls: cls.id.in_(ids), include_aliases=True),
        with_loader_criteria(TrustOrSchoolScoped, lambda cls: or_(
            cls.school_id.in_(ids), and_(cls.school_id.is_(None), cls.trust_id == trust_id)), include_aliases=True),
    )


def scoped_get(model, ident):
    """Load by primary key through the guard (`session.get` may skip SQL and the guard)."""
    if ident is None:
        return None
    return db.session.execute(select(model).where(model.id == ident)).scalar_one_or_none()


def get_or_404(model, ident):
    obj = scoped_get(model, ident)
    if obj is None:
        abort(404)
    return obj
