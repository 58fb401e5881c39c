"""Exporting the asset register through the API: CSV or XLSX of any filtered list, streamed."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.assets import exporter, permissions
from services.assets.search import REPLACEMENT, WARRANTY
from services.assets.search_args import filters_from_args
from trust_it.central.asset_import import stream_in_scope
from trust_it.tenancy import current_scope

PREFIX = "/asset-export"
blp = Blueprint("api_asset_export", __name__, description="The asset register as a CSV or XLSX file.")
TYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class ExportQuery(Schema):
    q = fields.String(validate=validate.Length(max=100), metadata={"description": "Tag or serial prefix, model, "
                                                                                   "device name, person or room."})
    school = fields.List(fields.Integer(validate=validate.Range(min=1, max=2**31 - 1)))
    category = fields.List(fields.Integer(validate=validate.Range(min=1, max=2**31 - 1)))
    status = fields.List(fields.String(validate=validate.Length(max=20)))
    warranty = fields.String(validate=validate.OneOf(list(WARRANTY)))
    replacement = fields.String(validate=validate.OneOf(list(REPLACEMENT)))
    os = fields.String(validate=validate.Length(max=60))
    older_than = fields.Integer(validate=validate.Range(min=1, max=50), metadata={"description": "Years."})
    room = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    person = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    include_gone = fields.Boolean(metadata={"description": "Include retired, lost and disposed devices."})


def _export(args, kind: str):
    scope = current_scope()
    # Like every list of the API: the rows you may read, none (a header row alone) if that is none.
    readable = tuple(s for s in scope.school_ids if permissions.may_read(scope, s))
    filters = filters_from_args(request.args, today=date.today())
    wanted = tuple(s for s in filters.school_ids if s in readable) if filters.school_ids else readable
    filters = replace(filters, school_ids=wanted or (0,))
    body = exporter.csv_chunks(filters) if kind == "csv" else exporter.xlsx_chunks(filters)
    return Response(stream_in_scope(body), mimetype=TYPES[kind],
                    headers={"Content-Disposition": f'attachment; filename="assets.{kind}"'})


@blp.route("/csv")
class ExportCsv(MethodView):
    @blp.arguments(ExportQuery, location="query")
    @blp.response(200, description="The CSV file (UTF-8 with a BOM), streamed: a header row, then one row per "
                                   "asset.", content_type="text/csv")
    def get(self, args):
        """The assets of the schools you may read as CSV, filtered as the register's lists are."""
        return _export(args, "csv")


@blp.route("/xlsx")
class ExportXlsx(MethodView):
    @blp.arguments(ExportQuery, location="query")
    @blp.response(200, description="The XLSX workbook, streamed.", content_type=TYPES["xlsx"])
    def get(self, args):
        """The same as the CSV export, as an Excel workbook whose cells are all text."""
        return _export(args, "xlsx")
