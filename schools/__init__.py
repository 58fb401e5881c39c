"""School pages under /s/<school>/: the staff portal and the technicians' view of their school."""
from flask import Blueprint, abort, g, request
from flask_login import current_user

from services.directory.schools import school_by_slug
from trust_it.extensions import login_manager

bp = Blueprint("schools", __name__, url_prefix="/s/<school>", template_folder="templates")
# Endpoints that authenticate themselves: a calendar app fetching the visits feed has no
# session, only a signed key. They get no g.school from here and must check the key, set
# the scope and load the school themselves (schools/visits.py: visits_feed).
FEED_ENDPOINTS = {"schools.visits_feed"}


@bp.url_value_preprocessor
def _take_school_slug(endpoint, values):
    g.school_slug = values.pop("school")


@bp.before_request
def _load_school():
    if request.endpoint in FEED_ENDPOINTS:
        return
    # Runs after the app has set the request's scope, so the lookup goes through the guard:
    # a school outside the user's scope does not exist (404).
    if not current_user.is_authenticated:
        return login_manager.unauthorized()  # sign in first, then come back here
    g.school = school_by_slug(g.school_slug)
    if g.school is None:
        abort(404)


@bp.url_defaults
def _add_school(endpoint, values):
    if "school" not in values and getattr(g, "school", None) is not None:
        values["school"] = g.school.slug


from schools import (  # noqa: E402,F401
    asset_forecast,
    asset_import,
    asset_labels,
    asset_transfers,
    assets,
    guidance,
    queue,
    standards,
    standards_exceptions,
    tickets,
    views,
    visits,
)
