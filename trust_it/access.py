"""Role checks for views. Visibility (which schools) is the tenancy guard's job; this is permission."""
from __future__ import annotations

from functools import wraps

from flask import abort, g
from flask_login import current_user, login_required

from trust_it.tenancy import current_scope

TRUST_STAFF = ("service_desk", "technical", "it_director", "trust_admin", "trustee", "edtech")


def requires_trust_role(*roles: str):
    """A trust page: the user needs one of `roles` trust-wide."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if not current_scope().has_trust_role(*roles):
                abort(403)
            return view(*args, **kwargs)
        wrapper.required_roles = roles
        return wrapper
    return decorator


def requires_school_role(*roles: str):
    """A school page under /s/<school>/: the school is already loaded (404 if unseen); check the role."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if not current_scope().roles_at(g.school.id).intersection(roles):
                abort(403)
            return view(*args, **kwargs)
        wrapper.required_roles = roles
        return wrapper
    return decorator


def is_trust_admin() -> bool:
    return current_user.is_authenticated and current_scope().has_trust_role("trust_admin")
