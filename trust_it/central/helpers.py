from flask import abort
from flask_login import current_user

from services.directory.errors import DirectoryError
from services.directory.models import Trust
from trust_it.extensions import db
from trust_it.tenancy import current_scope


def current_trust() -> Trust:
    trust = db.session.get(Trust, current_scope().trust_id or current_user.trust_id)
    if trust is None:
        abort(404)
    return trust


def attach_error(form, exc: DirectoryError) -> None:
    """Show a service's error beside the field it names (or above the form)."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = list(field.errors) + [exc.message]
    else:
        form.form_errors.append(exc.message)


def school_choices(schools, blank: str = "— none —") -> list[tuple[str, str]]:
    return [("", blank)] + [(str(s.id), s.name) for s in schools]
