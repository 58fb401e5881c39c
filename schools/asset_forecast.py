"""/s/<school>/assets/forecast: the school's refresh forecast (the trust's page, for one school)."""
from __future__ import annotations

from flask import g, render_template

from schools import bp
from services.assets import forecast as forecast_service
from services.assets import permissions
from trust_it.access import requires_school_role
from trust_it.central.asset_forecast import page_context, uk_today


@bp.get("/assets/forecast")
@requires_school_role(*permissions.READERS)
def asset_forecast():
    forecast = forecast_service.forecast(g.school.trust_id, today=uk_today(), school_ids=[g.school.id])
    return render_template("schools/assets/forecast.html", school=g.school,
                           **page_context(forecast, where=g.school.name, chart_id="forecast-chart"))
