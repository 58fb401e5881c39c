"""/trust/assets/forecast: the refresh forecast across the trust, by year, category and school."""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask import render_template

from services.assets import forecast as forecast_service
from services.assets import permissions
from services.base import utcnow
from services.directory import schools as school_service
from trust_it.access import requires_trust_role
from trust_it.central import bp
from trust_it.central.helpers import current_trust
from trust_it.charts import Bar, bar_chart
from trust_it.formatting import to_uk


def pounds(amount: Decimal | int) -> str:
    """£12,300: forecasts are budgets, to the pound."""
    return "£{:,}".format(Decimal(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def devices(n: int) -> str:
    return "1 device" if n == 1 else f"{n:,} devices"


def uk_today() -> date:
    """The financial year turns at midnight in England, not in UTC."""
    return to_uk(utcnow()).date()


def page_context(forecast: forecast_service.Forecast, *, where: str, chart_id: str) -> dict:
    """What both forecast pages show: the figures, and the chart of cost by year with its words."""
    totals = forecast.totals()
    bars = [Bar(t.label, float(t.cost), f"{pounds(t.cost)} ({devices(t.devices)})") for t in totals]
    chart = bar_chart(bars, chart_id=chart_id, title=f"Estimated replacement cost by financial year, {where}",
                      summary="Devices reaching replacement and their estimated cost in each financial year "
                              "(September to August); overdue devices count in the first year.")
    return {"forecast": forecast, "totals": totals, "chart": chart, "pounds": pounds, "devices": devices,
            "five_year_cost": sum((t.cost for t in totals), Decimal(0)),
            "five_year_devices": sum(t.devices for t in totals)}


@bp.get("/assets/forecast")
@requires_trust_role(*permissions.READERS)
def asset_forecast():
    trust = current_trust()
    forecast = forecast_service.forecast(trust.id, today=uk_today())
    schools = school_service.schools_of_trust(trust.id)
    return render_template("central/assets/forecast.html", trust=trust, schools=schools,
                           by_school=forecast.by_school(),
                           **page_context(forecast, where="all schools", chart_id="forecast-chart"))
