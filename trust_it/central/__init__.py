"""Trust-level pages under /trust/: the central team's view across every school."""
from flask import Blueprint

bp = Blueprint("central", __name__, url_prefix="/trust")

from trust_it.central import assets, audit, dashboard, desk, directory, jobs, knowledge, people, signin  # noqa: E402,F401
