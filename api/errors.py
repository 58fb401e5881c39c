from flask_smorest import abort

from services.errors import NotAllowed, ServiceError


def unprocessable(exc: ServiceError):
    """A service's refusal as a 422 naming the field(s), like marshmallow's own errors; a refusal
    of the person's role (`services.errors.NotAllowed`) is a 403 with its message."""
    if isinstance(exc, NotAllowed):
        abort(403, message=exc.message)
    problems = getattr(exc, "errors", None) or {exc.field or "_schema": exc.message}
    abort(422, message=exc.message, errors={"json": {k or "_schema": [v] for k, v in problems.items()}})
