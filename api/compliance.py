"""/api/v1/compliance: how far schools meet the standards, per school and across the trust.

Read from the conformance rows (services/standards/conformance.py keeps them current); every
person sees the schools in their scope, and the trust-wide totals count only those.
"""
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import select

from api.pagination import page_schema, paginate
from api.standards_schemas import (
    BaselineFilter,
    ComplianceQuery,
    CountsSchema,
    SchoolComplianceSchema,
    TrustComplianceSchema,
)
from services.directory.models import School
from services.standards import compliance, conformance, permissions
from trust_it.extensions import db
from trust_it.tenancy import current_scope, scoped_get

PREFIX = "/compliance"
blp = Blueprint("api_compliance", __name__, description="Conformance with the standards, per school and trust-wide.")


def readable_schools() -> list[int]:
    scope = current_scope()
    return [sid for sid in scope.school_ids if permissions.may_read_school(scope, sid)]


@blp.route("/")
class TrustCompliance(MethodView):
    @blp.arguments(BaselineFilter, location="query")
    @blp.response(200, TrustComplianceSchema)
    def get(self, args):
        """Totals over the schools you see: items per status, % met, progress to the 2030 core standards."""
        return compliance.trust_totals(readable_schools(), baseline_id=args.get("baseline"))


@blp.route("/schools")
class SchoolsCompliance(MethodView):
    @blp.arguments(ComplianceQuery, location="query")
    @blp.response(200, page_schema(CountsSchema, "SchoolScorecardPage"))
    def get(self, args):
        """A scorecard per school you see (cursor-paginated, by school id); items are under /schools/{id}."""
        page = paginate(select(School).where(School.id.in_(readable_schools())), School.id, args, db.session)
        page["items"] = compliance.scorecards(page["items"], baseline_id=args.get("baseline"))
        return page


@blp.route("/schools/<int:school_id>")
class SchoolCompliance(MethodView):
    @blp.arguments(BaselineFilter, location="query")
    @blp.response(200, SchoolComplianceSchema)
    def get(self, args, school_id):
        """One school: its scorecard and its status against every item it is held to, with the figures
        behind computed items."""
        school = scoped_get(School, school_id)
        if school is None or school.id not in readable_schools():
            abort(404, message="No such school.")
        card = compliance.scorecards([school], baseline_id=args.get("baseline"))[0]
        return {**card, "items": conformance.rows_for([school.id], baseline_id=args.get("baseline"))}
