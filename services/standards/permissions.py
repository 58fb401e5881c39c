"""Who may do what with the standards: the one place its role rules live (pages and API alike).

The trust's technical team and its IT director manage baselines. A school's head (school lead) and
technician assess their own school. Everyone else with a role reads: trust roles read the
baselines and every school's conformance; school roles read their own school's.
"""
from __future__ import annotations

from services.errors import NotAllowed
from trust_it.tenancy import Scope

MANAGERS = ("technical", "it_director")
ASSESSORS = ("school_lead", "technician")


def may_manage_baselines(scope: Scope) -> bool:
    return scope.has_trust_role(*MANAGERS)


def may_read_baselines(scope: Scope) -> bool:
    """Trust roles read the baselines whole; school people read the items through their school's
    conformance (which shows only what their school is held to)."""
    return bool(scope.trust_roles)


def may_read_school(scope: Scope, school_id: int) -> bool:
    return bool(scope.roles_at(school_id))


def may_assess(scope: Scope, school_id: int) -> bool:
    """Record assessments for a school: its head or technician, at that school only."""
    return bool(scope.sees(school_id) and scope.school_roles.get(school_id, frozenset()).intersection(ASSESSORS))


def may_open_drift_ticket(scope: Scope, school_id: int) -> bool:
    """Open a ticket from a drift: the school's head or technician, or the trust's technical team."""
    return may_assess(scope, school_id) or bool(scope.sees(school_id) and may_manage_baselines(scope))


def may_read_trust_wide(scope: Scope) -> bool:
    return bool(scope.trust_roles)


def check(allowed: bool, message: str, field: str | None = None) -> None:
    if not allowed:
        raise NotAllowed(message, field)


def may_request_exception(scope: Scope, school_id: int) -> bool:
    """Ask for (or withdraw) an exception to an item: whoever assesses the school. Recommending
    and deciding follow the desk's escalation rules (services/desk/permissions.py)."""
    return may_assess(scope, school_id)


