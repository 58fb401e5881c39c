"""Importing a register file through the API: upload (the preview comes back), commit, poll."""
from __future__ import annotations

from datetime import date

from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate

from api.auth import api_user
from api.errors import unprocessable
from api.fields import ID, UtcDateTime
from services.assets import importer, permissions
from services.assets.errors import AssetError
from services.assets.models import ImportRun
from services.directory.models import School
from trust_it.tenancy import current_scope, scoped_get

PREFIX = "/asset-imports"
blp = Blueprint("api_asset_imports", __name__, description="Import the asset register from CSV files.")


class UploadFileSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                               "description": "The CSV file."})


class UploadSchema(Schema):
    school_id = fields.Integer(load_default=None, allow_none=True, validate=ID,
                               metadata={"description": "The school the rows go into; leave out for a trust-wide "
                                                        "file whose School column names each row's school."})
    create_categories = fields.Boolean(load_default=False, metadata={
        "description": "Create categories the trust lacks (roles that may change the trust's settings)."})


class CommitSchema(Schema):
    date_order = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(["dmy", "mdy"]),
                               metadata={"description": "Required when the preview says date_order_needed."})
    valid_rows_only = fields.Boolean(load_default=False,
                                     metadata={"description": "Import the valid rows of a file with problems."})


class ImportRunSchema(Schema):
    id = fields.Integer()
    school_id = fields.Integer(allow_none=True)
    filename = fields.String()
    status = fields.String(metadata={"description": "previewed, queued, running, done or failed."})
    date_order = fields.String(allow_none=True)
    done = fields.Integer(metadata={"description": "Rows written so far."})
    total = fields.Integer(metadata={"description": "Rows the import writes."})
    created = fields.Integer()
    updated = fields.Integer()
    error = fields.String()
    preview = fields.Dict(metadata={"description": "Counts to create and update, and every problem as "
                                                   "[line, column name, column letter, reason]."})
    created_at = UtcDateTime()
    finished_at = UtcDateTime(allow_none=True)


def _run_or_404(import_id: int) -> ImportRun:
    run = scoped_get(ImportRun, import_id)
    if run is None:
        abort(404, message="No such import.")
    _may_import(run.school_id)
    return run


def _may_import(school_id: int | None) -> None:
    scope = current_scope()
    allowed = permissions.may_edit(scope, school_id) if school_id else permissions.may_edit_trust_wide(scope)
    if not allowed:
        abort(403, message="Your role may not import assets here.")


@blp.route("/")
class Imports(MethodView):
    @blp.arguments(UploadSchema, location="form")
    @blp.arguments(UploadFileSchema, location="files")
    @blp.response(201, ImportRunSchema)
    def post(self, data, files):
        """Upload a CSV file: nothing is written; the answer is its preview. Send it as multipart/form-data."""
        upload = files["file"]
        school = None
        if data.get("school_id") is not None:
            school = scoped_get(School, data["school_id"])
            if school is None:
                unprocessable(AssetError("No such school.", "school_id"))
        _may_import(school.id if school else None)
        if data["create_categories"] and not permissions.may_change_settings(current_scope()):
            unprocessable(AssetError("Your role may not create categories.", "create_categories"))
        try:
            return importer.upload(trust_id=current_scope().trust_id or api_user().trust_id, school=school,
                                   filename=upload.filename or "", by=api_user(), content=upload.read(),
                                   today=date.today(), create_categories=data["create_categories"])
        except AssetError as exc:
            unprocessable(exc)


@blp.route("/<int:import_id>")
class ImportById(MethodView):
    @blp.response(200, ImportRunSchema)
    def get(self, import_id):
        """An import: its preview, and while it runs its progress (done of total)."""
        return _run_or_404(import_id)


@blp.route("/<int:import_id>/commit")
class ImportCommit(MethodView):
    @blp.arguments(CommitSchema)
    @blp.response(202, ImportRunSchema)
    def post(self, data, import_id):
        """Import the file: queued as a job; poll the import until its status is done or failed."""
        run = _run_or_404(import_id)
        try:
            importer.commit(run, date_order=data["date_order"], valid_rows_only=data["valid_rows_only"],
                            today=date.today())
        except AssetError as exc:
            unprocessable(exc)
        return run
