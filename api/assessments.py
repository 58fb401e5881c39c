"""/api/v1/assessments: a school's answers about the items it is held to, and recording new ones.

Everyone with a role at a school reads its assessments; its head and technician record them
(services/standards/permissions.py). Another school's assessment is never listed.
"""
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from api.auth import api_user
from api.errors import unprocessable
from api.pagination import page_schema, paginate
from api.standards_schemas import AssessmentCreateSchema, AssessmentQuery, AssessmentSchema
from services.base import utcnow
from services.directory.models import School
from services.standards import assessments, permissions
from services.standards.errors import StandardsError
from services.standards.models import Assessment
from trust_it.extensions import db
from trust_it.tenancy import current_scope, scoped_get

PREFIX = "/assessments"
blp = Blueprint("api_assessments", __name__, description="Schools' assessments against the trust's standards.")


def readable_schools() -> list[int]:
    scope = current_scope()
    return [sid for sid in scope.school_ids if permissions.may_read_school(scope, sid)]


@blp.route("/")
class Assessments(MethodView):
    @blp.arguments(AssessmentQuery, location="query")
    @blp.response(200, page_schema(AssessmentSchema, "AssessmentPage"))
    def get(self, args):
        """Assessments of the schools you see, optionally of one school and one item (cursor-paginated, by id)."""
        schools = readable_schools()
        if args.get("school"):
            schools = [sid for sid in schools if sid == args["school"]]
        return paginate(assessments.history(schools, item_id=args.get("item")), Assessment.id, args, db.session)

    @blp.arguments(AssessmentCreateSchema)
    @blp.response(201, AssessmentSchema)
    def post(self, data):
        """Record an answer: an attestation with evidence (valid for the item's review interval), a
        measured value (its status from the threshold for the school's phase), or not applicable with a
        reason. Computed items take only "not applicable"."""
        school = scoped_get(School, data["school_id"])
        if school is None or school.id not in readable_schools():
            unprocessable(StandardsError("No such school, or you do not see it.", "school_id"))
        if not permissions.may_assess(current_scope(), school.id):
            abort(403, message="Only the school's head and technician record its assessments.")
        try:
            item = assessments.item_for(school, data["item_id"])
            return assessments.record(school, item, data, by=api_user(), now=utcnow())
        except StandardsError as exc:
            unprocessable(exc)
