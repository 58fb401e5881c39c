from flask_smorest import abort

from services.directory.errors import DirectoryError


def unprocessable(exc: DirectoryError):
    """A service's refusal as a 422 naming the field, like marshmallow's own errors."""
    abort(422, message=exc.message, errors={"json": {exc.field or "_schema": [exc.message]}})
