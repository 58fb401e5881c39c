"""/trust/assets/labels: printable label sheets of the trust-wide list, with its filters (and the school filter).

/trust/assets/labels        how many labels the filters give, and the layout to print them on
/trust/assets/labels.pdf    the sheets (the first MAX_LABELS assets by tag)

The school pages (`schools/asset_labels.py`) use the same handlers with the school pinned, so the
choice page, the sheet and its rules are written once.
"""
from __future__ import annotations

import re
from datetime import date

from flask import Response, current_app, render_template, request, url_for

from services.assets import labels, listing, permissions, search, search_args
from services.assets.errors import AssetError
from services.assets.models import Asset
from services.assets.search import AssetFilters
from trust_it.access import requires_trust_role
from trust_it.central import bp
from trust_it.central.helpers import current_trust
from trust_it.extensions import db
from trust_it.tenancy import current_scope


def label_of(asset: Asset) -> labels.Label:
    """An asset's label: its tag, its school, and the address its QR code opens (the asset's own page).
    A label lasts for years: it carries the public address (BASE_URL) when one is set, not whichever
    host name the person printing it happened to use."""
    base = current_app.config.get("BASE_URL")
    path = url_for("schools.asset", school=asset.school.slug, asset_id=asset.id)
    url = base.rstrip("/") + path if base else url_for("schools.asset", school=asset.school.slug, asset_id=asset.id,
                                                       _external=True)
    return labels.Label(tag=asset.tag, school=asset.school.name, url=url)


def pdf_response(assets: list[Asset], layout: labels.Layout, name: str) -> Response:
    sheets = labels.sheets([label_of(a) for a in assets], layout)
    name = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "assets"
    html = labels.sheet_html(sheets, layout)
    return Response(labels.pdf(html), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}-labels-{layout.key}.pdf"'})


def choice_page(f: AssetFilters, query: dict, *, school, pdf_url: str, back_url: str, chosen: str = "",
                error: str = "", code: int = 200):
    """The count of labels the filters give, the layouts, and the button that prints them."""
    total = db.session.execute(search.count(f)).scalar_one()
    return render_template("assets/labels.html", school=school, total=total, query=query, pdf_url=pdf_url,
                           back_url=back_url, layouts=list(labels.LAYOUTS.values()),
                           chosen=chosen or labels.DEFAULT_LAYOUT, MAX_LABELS=labels.MAX_LABELS, error=error), code


def selection_pdf(f: AssetFilters, query: dict, *, school, name: str, pdf_url: str, back_url: str):
    """The sheets of the filtered list; an unknown layout or an empty selection is the choice page again."""
    chosen = request.args.get("layout", "")
    try:
        layout = labels.layout_named(chosen)
        assets = listing.selection(f, labels.MAX_LABELS)
        if not assets:
            raise AssetError("No assets match these filters: there is nothing to print.", "layout")
    except AssetError as exc:
        return choice_page(f, query, school=school, pdf_url=pdf_url, back_url=back_url, chosen=chosen,
                           error=exc.message, code=422)
    return pdf_response(assets, layout, name)


def _filters() -> tuple[AssetFilters, dict]:
    f = search_args.filters_from_args(request.args, today=date.today())
    return f, search_args.query_of(f, with_school=True)


def _urls(query: dict) -> dict:
    return dict(pdf_url=url_for("central.asset_labels_pdf"), back_url=url_for("central.assets", **query))


def _check_read() -> None:
    permissions.check(permissions.may_read_trust_wide(current_scope()),
                      "Your role may not read the trust's register.")


@bp.get("/assets/labels")
@requires_trust_role(*permissions.READERS)
def asset_labels():
    _check_read()
    f, query = _filters()
    return choice_page(f, query, school=None, chosen=request.args.get("layout", ""), **_urls(query))


@bp.get("/assets/labels.pdf")
@requires_trust_role(*permissions.READERS)
def asset_labels_pdf():
    _check_read()
    f, query = _filters()
    return selection_pdf(f, query, school=None, name=current_trust().name[:40], **_urls(query))
