"""/s/<school>/assets/labels and /s/<school>/assets/<id>/label.pdf: the school's asset labels.

The choice page and the sheets are the trust's (`trust_it/central/asset_labels.py`) with the school
pinned: only this school's assets are ever on its sheets. One asset's label defaults to a single
label for a roll printer (`?layout=single`); any sheet layout prints it in the sheet's first place.
"""
from __future__ import annotations

from datetime import date

from flask import g, request, url_for

from schools import bp
from schools.assets import load_asset
from services.assets import labels, permissions, search_args
from services.assets.errors import AssetError
from trust_it.access import requires_school_role
from trust_it.central import asset_labels as shared
from trust_it.tenancy import current_scope


def _check_read() -> None:
    permissions.check(permissions.may_read(current_scope(), g.school.id),
                      "Your role may not read this school's register.")


def _filters():
    f = search_args.filters_from_args(request.args, today=date.today(), school_id=g.school.id)
    return f, search_args.query_of(f, with_school=False)


def _urls(query: dict) -> dict:
    return dict(pdf_url=url_for("schools.asset_labels_pdf"), back_url=url_for("schools.assets", **query))


@bp.get("/assets/labels")
@requires_school_role(*permissions.READERS)
def asset_labels():
    _check_read()
    f, query = _filters()
    return shared.choice_page(f, query, school=g.school, chosen=request.args.get("layout", ""), **_urls(query))


@bp.get("/assets/labels.pdf")
@requires_school_role(*permissions.READERS)
def asset_labels_pdf():
    _check_read()
    f, query = _filters()
    return shared.selection_pdf(f, query, school=g.school, name=g.school.slug, **_urls(query))


@bp.get("/assets/<int:asset_id>/label.pdf")
@requires_school_role(*permissions.READERS)
def asset_label(asset_id):
    asset = load_asset(asset_id)
    _check_read()
    try:
        layout = labels.layout_named(request.args.get("layout"), default="single")
    except AssetError as exc:
        return exc.message, 422, {"Content-Type": "text/plain; charset=utf-8"}
    return shared.pdf_response([asset], layout, asset.tag)
