"""The refresh forecast: devices to replace, their cost, and operating systems leaving support,
in each of the next five financial years (September to August)."""
from decimal import Decimal

from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields

from api.fields import ID
from services.assets import forecast as forecast_service
from services.assets import permissions
from trust_it.central.asset_forecast import uk_today
from trust_it.tenancy import current_scope

PREFIX = "/forecast"
blp = Blueprint("api_forecast", __name__, description="The asset register's refresh forecast.")
MONEY = {"description": "Pounds sterling, as a decimal string such as \"1950.00\".", "example": "1950.00"}


class Money(fields.String):
    """An amount as a string with two decimals: exact, as a float would not be."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else f"{Decimal(value):.2f}"


class YearSchema(Schema):
    financial_year = fields.Integer(metadata={"description": "The calendar year it starts in (1 September)."})
    label = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    devices = fields.Integer(metadata={"description": "Devices reaching replacement (overdue ones in the first year)."})
    cost = Money(metadata=MONEY)
    unsupported = fields.Integer(metadata={"description": "Devices whose operating system's updates end that year."})


class ReplacementSchema(Schema):
    financial_year = fields.Integer()
    school_id = fields.Integer()
    category_id = fields.Integer()
    category = fields.String()
    devices = fields.Integer()
    overdue = fields.Integer(metadata={"description": "Of which already past their replacement date."})
    unit_cost = Money(metadata=MONEY)
    cost = Money(metadata=MONEY)


class UnsupportedSchema(Schema):
    financial_year = fields.Integer()
    school_id = fields.Integer()
    os = fields.String()
    support_ends_on = fields.Date(allow_none=True, metadata={"description": "Null for ChromeOS: each device's "
                                                                            "auto-update expiry differs."})
    devices = fields.Integer()
    already = fields.Integer(metadata={"description": "Of which out of support today."})


class ForecastSchema(Schema):
    today = fields.Date()
    years = fields.List(fields.Nested(YearSchema))
    replacement = fields.List(fields.Nested(ReplacementSchema))
    unsupported = fields.List(fields.Nested(UnsupportedSchema))


class ForecastQuery(Schema):
    school_id = fields.Integer(validate=ID, metadata={"description": "One school's forecast; the trust's "
                                                                     "(the schools you read) if left out."})


@blp.route("/")
class ForecastView(MethodView):
    @blp.arguments(ForecastQuery, location="query")
    @blp.response(200, ForecastSchema)
    def get(self, args):
        """The refresh forecast of one school, or of every school whose register you read."""
        scope = current_scope()
        schools = [sid for sid in scope.school_ids if permissions.may_read(scope, sid)]
        if args.get("school_id"):
            if not scope.sees(args["school_id"]):
                abort(404, message="No such school.")
            if args["school_id"] not in schools:
                abort(403, message="Your role does not include reading this school's asset register.")
            schools = [args["school_id"]]
        forecast = forecast_service.forecast(scope.trust_id or 0, today=uk_today(), school_ids=schools)
        return {"today": forecast.today, "years": forecast.totals(), "replacement": forecast.replacement,
                "unsupported": forecast.unsupported}
