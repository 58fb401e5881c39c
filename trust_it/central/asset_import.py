"""/trust/assets/import and /trust/assets/export: the trust-wide register file in and out.

The school pages (`schools/asset_import.py`) use the same handlers with the school pinned, so
the upload, preview, commit and progress pages are one set of templates and one set of rules.
"""
from __future__ import annotations

from datetime import date

from flask import Response, abort, flash, jsonify, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, RadioField

from services.assets import exporter, importer, permissions
from services.assets.errors import AssetError
from services.assets.models import ImportRun
from services.assets.search_args import filters_from_args
from trust_it.central import bp
from trust_it.central.helpers import attach_error, current_trust
from trust_it.tenancy import current_scope, get_or_404, set_scope

DATE_ORDERS = [("dmy", "Day first (UK): 01/02/2024 is 1 February 2024"),
               ("mdy", "Month first (US): 01/02/2024 is 2 January 2024")]


class UploadForm(FlaskForm):
    file = FileField("Register file (CSV)", description="A Snipe-IT export, Snipe-IT's import template, a "
                                                        "spreadsheet saved as CSV, or an export from this register.")
    create_categories = BooleanField("Create categories the trust does not have yet")


class CommitForm(FlaskForm):
    date_order = RadioField("How are the file's dates written?", choices=DATE_ORDERS, validate_choice=False)
    valid_rows_only = BooleanField("Import the valid rows and leave out the rows with problems")


def page(*, school, run_url, status_url, upload_url, export_url):
    """The upload form and the recent imports (GET), or a new run's preview (POST)."""
    scope = current_scope()
    form = UploadForm()
    may_create = permissions.may_change_settings(scope)
    if not may_create:
        del form.create_categories
    if form.validate_on_submit():
        upload = request.files.get("file")
        try:
            run = importer.upload(trust_id=current_trust().id, school=school,
                                  filename=upload.filename if upload else "", by=current_user,
                                  content=upload.read() if upload else b"", today=date.today(),
                                  create_categories=bool(may_create and form.create_categories.data))
        except AssetError as exc:
            attach_error(form, exc)
        else:
            return redirect(run_url(run.id))
    runs = importer.recent(current_trust().id, school.id if school else None)
    return render_template("assets/import.html", form=form, school=school, runs=runs, run_url=run_url,
                           export_url=export_url), 422 if form.errors else 200


def run_page(run: ImportRun, *, school, run_url, status_url, upload_url):
    form = CommitForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            importer.commit(run, date_order=form.date_order.data, valid_rows_only=bool(form.valid_rows_only.data),
                            today=date.today())
        except AssetError as exc:
            attach_error(form, exc)
        else:
            flash(f"Importing {run.filename}.")
            return redirect(run_url(run.id))
    return render_template("assets/import_run.html", run=run, p=run.preview or {}, form=form, school=school,
                           status_url=status_url(run.id), upload_url=upload_url), 422 if form.errors else 200


def status(run: ImportRun):
    return jsonify(status_json(run))


def status_json(run: ImportRun) -> dict:
    percent = 100 if run.status == "done" else (int(100 * run.done / run.total) if run.total else 0)
    return {"id": run.id, "status": run.status, "done": run.done, "total": run.total, "percent": percent,
            "created": run.created, "updated": run.updated, "error": run.error}


def load_run(import_id: int, school_id: int | None) -> ImportRun:
    run = get_or_404(ImportRun, import_id)
    if run.school_id != school_id:
        abort(404)
    return run


def export(kind: str, *, school_id: int | None, name: str):
    filters = filters_from_args(request.args, today=date.today(), school_id=school_id)
    if kind == "csv":
        body, mimetype = exporter.csv_chunks(filters), "text/csv; charset=utf-8"
    else:
        body = exporter.xlsx_chunks(filters)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(stream_in_scope(body), mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}-assets.{kind}"'})


def stream_in_scope(body):
    """The body sent after the request's commit, in the request's scope: by then the session the
    view used is gone, and a new one knows no scope (the guard would rightly find nothing)."""
    scope = current_scope()

    def scoped():
        set_scope(scope)
        yield from body
    return stream_with_context(scoped())


# --- the trust's own routes -------------------------------------------------------------------

def _may_import() -> None:
    permissions.check(permissions.may_edit_trust_wide(current_scope()),
                      "Your role may not import assets across the trust.")


def _urls():
    return dict(run_url=lambda i: url_for("central.asset_import_run", import_id=i),
                status_url=lambda i: url_for("central.asset_import_status", import_id=i),
                upload_url=url_for("central.asset_import"))


@bp.route("/assets/import", methods=["GET", "POST"])
def asset_import():
    _may_import()
    return page(school=None, export_url=url_for("central.asset_export"), **_urls())


@bp.route("/assets/import/<int:import_id>", methods=["GET", "POST"])
def asset_import_run(import_id):
    _may_import()
    urls = _urls()
    return run_page(load_run(import_id, None), school=None, run_url=urls["run_url"], status_url=urls["status_url"],
                    upload_url=urls["upload_url"])


@bp.get("/assets/import/<int:import_id>/status")
def asset_import_status(import_id):
    _may_import()
    return status(load_run(import_id, None))


def _trust_export(kind: str):
    permissions.check(permissions.may_read_trust_wide(current_scope()), "Your role may not read the trust's register.")
    return export(kind, school_id=None, name=current_trust().name.lower().replace(" ", "-")[:40])


@bp.get("/assets/export.csv")
def asset_export():
    return _trust_export("csv")


@bp.get("/assets/export.xlsx")
def asset_export_xlsx():
    return _trust_export("xlsx")
