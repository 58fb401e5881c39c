"""Intune sync runs of the caller's trust: when each ran, what it did, and what went wrong."""
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import false

from api.fields import UtcDateTime
from api.pagination import PageArgs, page_schema, paginate
from services.assets import intune_jobs
from services.assets.models import SYNC_STATUSES, SyncRun
from services.assets.permissions import may_read_trust_wide
from trust_it.extensions import db
from trust_it.tenancy import current_scope

PREFIX = "/sync-runs"
blp = Blueprint("api_sync_runs", __name__, description="Intune sync runs of the trust's asset register.")


class SkippedSchema(Schema):
    device = fields.String()
    reason = fields.String()


class DetailsSchema(Schema):
    unplaced = fields.List(fields.String(), metadata={"description": "Names of new devices no rule placed."})
    skipped = fields.List(fields.Nested(SkippedSchema), metadata={"description": "Devices left out, and why."})


class SyncRunSchema(Schema):
    id = fields.Integer(dump_only=True)
    tenant = fields.String(attribute="tenant_label", dump_only=True)
    trigger = fields.String(dump_only=True, metadata={"description": "`schedule` or `by_hand`."})
    status = fields.String(dump_only=True, metadata={"enum": list(SYNC_STATUSES)})
    started_at = UtcDateTime(dump_only=True)
    finished_at = UtcDateTime(dump_only=True, allow_none=True)
    devices = fields.Integer(dump_only=True, metadata={"description": "Managed devices Intune listed."})
    created = fields.Integer(dump_only=True)
    updated = fields.Integer(dump_only=True)
    unchanged = fields.Integer(dump_only=True)
    unseen = fields.Integer(dump_only=True, metadata={"description": "Newly marked as unseen for 30 days."})
    skipped = fields.Integer(dump_only=True, metadata={"description": "Virtual, duplicate or not placed."})
    unplaced = fields.Integer(dump_only=True)
    error = fields.String(dump_only=True)
    details = fields.Nested(DetailsSchema, dump_only=True)


@blp.route("/")
class SyncRuns(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(SyncRunSchema, "SyncRunPage"))
    def get(self, args):
        """List the trust's Intune sync runs, oldest first (cursor-paginated, by id).

        Runs are for the trust's IT roles; anyone else sees an empty list, as with every list."""
        scope = current_scope()
        stmt = intune_jobs.runs_statement(scope.trust_id)
        if not may_read_trust_wide(scope):
            stmt = stmt.where(false())
        return paginate(stmt, SyncRun.id, args, db.session)
