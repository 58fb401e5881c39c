from flask import abort
from flask_login import current_user

from services.directory.models import Trust
from trust_it.extensions import db
from trust_it.tenancy import current_scope


def current_trust() -> Trust:
    trust = db.session.get(Trust, current_scope().trust_id or current_user.trust_id)
    if trust is None:
        abort(404)
    return trust


def attach_error(form, exc) -> None:
    """Show a service's error(s) beside the field(s) it names (or above the form)."""
    problems = getattr(exc, "errors", None) or {exc.field: exc.message}
    for name, message in problems.items():
        field = getattr(form, name, None) if name else None
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + [message]
        else:
            form.form_errors.append(message)


def school_choices(schools, blank: str = "— none —") -> list[tuple[str, str]]:
    return [("", blank)] + [(str(s.id), s.name) for s in schools]
