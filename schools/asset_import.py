"""/s/<school>/assets/import and /s/<school>/assets/export: the school's register file in and out.

The pages are the trust's (`trust_it/central/asset_import.py`) with the school pinned: every row
goes into this school, and the export holds only its assets.
"""
from __future__ import annotations

from flask import g, url_for

from schools import bp
from services.assets import permissions
from trust_it.central import asset_import as shared
from trust_it.tenancy import current_scope


def _may_import() -> None:
    permissions.check(permissions.may_edit(current_scope(), g.school.id),
                      "Your role may not import assets for this school.")


def _urls():
    return dict(run_url=lambda i: url_for("schools.asset_import_run", import_id=i),
                status_url=lambda i: url_for("schools.asset_import_status", import_id=i),
                upload_url=url_for("schools.asset_import"))


@bp.route("/assets/import", methods=["GET", "POST"])
def asset_import():
    _may_import()
    return shared.page(school=g.school, export_url=url_for("schools.asset_export"), **_urls())


@bp.route("/assets/import/<int:import_id>", methods=["GET", "POST"])
def asset_import_run(import_id):
    _may_import()
    urls = _urls()
    return shared.run_page(shared.load_run(import_id, g.school.id), school=g.school, run_url=urls["run_url"],
                           status_url=urls["status_url"], upload_url=urls["upload_url"])


@bp.get("/assets/import/<int:import_id>/status")
def asset_import_status(import_id):
    _may_import()
    return shared.status(shared.load_run(import_id, g.school.id))


def _school_export(kind: str):
    permissions.check(permissions.may_read(current_scope(), g.school.id),
                      "Your role may not read this school's register.")
    return shared.export(kind, school_id=g.school.id, name=g.school.slug)


@bp.get("/assets/export.csv")
def asset_export():
    return _school_export("csv")


@bp.get("/assets/export.xlsx")
def asset_export_xlsx():
    return _school_export("xlsx")
