"""Trust-level pages under /trust/: the central team's view across every school."""
from flask import Blueprint

bp = Blueprint("central", __name__, url_prefix="/trust")

from trust_it.central import (  # noqa: E402,F401
    asset_forecast,
    asset_import,
    asset_labels,
    asset_sync,
    asset_transfers,
    assets,
    audit,
    dashboard,
    desk,
    directory,
    jobs,
    knowledge,
    people,
    signin,
    standards,
    standards_baselines,
)
