"""The request cycle: who is asking, what they may see, and one commit at the end."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_login import current_user
from sqlalchemy import select

from trust_it.extensions import db
from trust_it.tenancy import (
    NO_SCOPE,
    ROLE_LABELS,
    SCHOOL_ROLES,
    TRUST_ROLES,
    current_scope,
    scope_for,
    set_scope,
    unscoped,
)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _api_message(exc, default: str) -> str:
    """The API's own words: flask-smorest's abort(…, message=…) keeps them in `exc.data`,
    a plain abort(status, text) in `exc.description`."""
    data = getattr(exc, "data", None)
    if isinstance(data, dict) and data.get("message"):
        return data["message"]
    return getattr(exc, "description", None) or default


# The school switcher lists at most this many schools (a trust has up to ~150).
SWITCHER_SCHOOLS = 200
NUL_MESSAGE = "Contains a NUL character (\\0), which cannot be stored. Remove it and try again."


def _nul_in(value, path: str = ""):
    """The dotted name of the first key or value holding a NUL, or None. Walks JSON bodies too."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        name = f"{path}.{key}" if path else str(key)
        if "\x00" in str(key):
            return name.replace("\x00", "\\0")
        found = _nul_in(item, name)
        if found is not None:
            return found
    return None


def _nul_in_request():
    """(location, field) of the first NUL in what the request carries, or None.

    PostgreSQL cannot store a NUL in text and refuses the whole statement, so one check where
    input enters answers every field at once instead of a 500 wherever a value reaches SQL."""
    if "\x00" in request.path:
        return "path", "path"
    for location, values in (("query", request.args), ("form", request.form)):
        for key in values:
            found = _nul_in({key: values.getlist(key)})
            if found is not None:
                return location, found.split(".")[0]
    for key, upload in request.files.items(multi=True):
        if "\x00" in (upload.filename or ""):
            return "files", key
    if request.is_json:
        body = request.get_json(silent=True)
        found = _nul_in(body)
        if found is not None:
            return "json", found or "_schema"
    return None


def _refuse_nul():
    found = _nul_in_request()
    if found is None:
        return None
    location, field = found
    if _wants_json():
        return jsonify(code=422, status="Unprocessable Entity", message=f"{field}: {NUL_MESSAGE}",
                       errors={location: {field: [NUL_MESSAGE]}}), 422
    return render_template("error.html", status=400, title="Something you sent cannot be stored",
                           message=f"The field “{field}”: {NUL_MESSAGE}"), 400


def install(app: Flask) -> None:
    # First of all hooks: before any of them (sign-in, the API's token look-up) sends input to SQL.
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_nul)
    from trust_it import headers
    headers.install(app)

    @app.before_request
    def _scope_request():
        # Audit records name the address a change came from; services read it from the session.
        db.session.info["audit_ip"] = request.remote_addr
        if request.path.startswith("/api/"):
            return  # the API authenticates (session or bearer token) in its own hook
        set_scope(NO_SCOPE)
        if current_user.is_authenticated:
            set_scope(scope_for(current_user))

    @app.after_request
    def _commit(response):
        # Indico's rule: the request commits once, and only when it succeeded.
        if response.status_code < 400:
            db.session.commit()
            from trust_it.jobs import run_deferred_inline
            with unscoped():
                run_deferred_inline()  # embedded mode: what waited for the commit runs now
        else:
            db.session.rollback()
        return response

    @app.teardown_request
    def _rollback_on_error(exc):
        if exc is not None:
            db.session.rollback()

    @app.context_processor
    def _layout_context():
        scope = current_scope()
        schools = []
        if current_user.is_authenticated and scope.school_ids:
            schools = list(scope.schools[:SWITCHER_SCHOOLS])
            if not schools:  # a scope made by hand (the API's, a test's) carries no names
                from services.directory.models import School
                schools = db.session.execute(
                    select(School.slug, School.name).order_by(School.name).limit(SWITCHER_SCHOOLS)).all()
        return {"scope": scope, "my_schools": schools, "ROLE_LABELS": ROLE_LABELS, "SCHOOL_ROLES": SCHOOL_ROLES,
                "TRUST_ROLES": TRUST_ROLES}

    def _error(status: int, title: str, message: str):
        def handler(exc):
            if _wants_json():
                return jsonify(code=status, status=title, message=_api_message(exc, message)), status
            return render_template("error.html", status=status, title=title, message=message), status
        return handler

    app.register_error_handler(403, _error(403, "Not allowed", "Your role does not include this page."))
    app.register_error_handler(404, _error(404, "Page not found",
                                           "There is nothing here, or it is not in a school you can see."))
    app.register_error_handler(405, _error(405, "Method not allowed", "That action is not available here."))
    app.register_error_handler(413, _error(413, "Files too large", "Attach at most five files of up to 5 MB each. "
                                                            "Go back and choose smaller files."))
    app.register_error_handler(429, _error(429, "Too many attempts", "Too many attempts. Wait a minute and try again."))
    app.register_error_handler(500, _error(500, "Something went wrong",
                                           "The error has been logged. Nothing you entered was half-saved."))

    from services.errors import NotAllowed

    @app.errorhandler(NotAllowed)
    def _not_allowed(exc):
        """A permission rule's refusal, wherever a view let it through: a 403 with its sentence."""
        db.session.rollback()
        if _wants_json():
            return jsonify(code=403, status="Forbidden", message=exc.message), 403
        return render_template("error.html", status=403, title="Not allowed", message=exc.message), 403

    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def _csrf(exc):
        if _wants_json():
            return jsonify(code=400, status="Bad Request", message=exc.description), 400
        return render_template("error.html", status=400, title="Form expired",
                               message="The form had expired. Go back, reload the page and try again."), 400
