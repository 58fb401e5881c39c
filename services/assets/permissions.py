"""Who may do what with the asset register: the one place its role rules live.

Visibility (which schools) is the tenancy guard's; these rules are about roles at a school the
person already sees. School roles count at their school, trust roles at every school.
"""
from __future__ import annotations

from services.errors import NotAllowed
from trust_it.tenancy import Scope

# The people who look after devices read and change the register; school leads read it.
EDITORS = ("technician", "msp_engineer", "service_desk", "technical", "it_director")
READERS = EDITORS + ("edtech", "school_lead", "trust_admin")
# Moving devices between schools, and the trust's own settings (categories, lives, costs, Intune).
TRANSFERRERS = ("service_desk", "technical", "it_director")
SETTINGS = ("technical", "it_director", "trust_admin")


def _has(scope: Scope, school_id: int | None, roles: tuple[str, ...]) -> bool:
    return bool(scope.roles_at(school_id).intersection(roles))


def may_read(scope: Scope, school_id: int) -> bool:
    return _has(scope, school_id, READERS)


def may_edit(scope: Scope, school_id: int) -> bool:
    """Create, change, assign, dispose of and import a school's assets, rooms and licences."""
    return _has(scope, school_id, EDITORS)


def may_read_trust_wide(scope: Scope) -> bool:
    return scope.has_trust_role(*READERS)


def may_edit_trust_wide(scope: Scope) -> bool:
    """Trust-wide licences and imports that name several schools."""
    return scope.has_trust_role(*EDITORS)


def may_transfer(scope: Scope) -> bool:
    return scope.has_trust_role(*TRANSFERRERS)


def may_change_settings(scope: Scope) -> bool:
    return scope.has_trust_role(*SETTINGS)


def check(allowed: bool, message: str, field: str | None = None) -> None:
    if not allowed:
        raise NotAllowed(message, field)
