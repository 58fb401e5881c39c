"""The trust's baselines: their versions, items and what changed, and (for the technical team and
the IT director) editing the draft and publishing it.

/trust/standards/baselines                               every baseline and its versions
/trust/standards/baselines/<id>?version=N&from=A&to=B    one version's items, and the diff of two
/trust/standards/baselines/<id>/items/new                add an item to the draft
/trust/standards/baselines/<id>/items/<item>/edit        change an item (the draft's item of that code)
/trust/standards/baselines/<id>/items/<item>/remove      take an item out of the draft
/trust/standards/baselines/<id>/publish                  publish the draft; every school is held to it

Another trust's baseline is a 404, like a missing one.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from services.base import utcnow
from services.standards import baselines, conformance, permissions
from services.standards.baselines import ITEM_FIELDS
from services.standards.errors import StandardsError
from services.standards.models import CHECK_KINDS, PHASES, SEVERITIES, Baseline, BaselineVersion, StandardItem
from trust_it.access import requires_trust_role
from trust_it.central import bp
from trust_it.central.helpers import attach_error, current_trust
from trust_it.central.standards_forms import BaselineForm, ItemForm, PublishForm, fill, item_data
from trust_it.extensions import db
from trust_it.tenancy import TRUST_ROLES, current_scope

FIELD_LABELS = {name: getattr(ItemForm, name).args[0] for name in ITEM_FIELDS}


def _baseline_or_404(baseline_id: int) -> Baseline:
    baseline = baselines.get_baseline(current_trust().id, baseline_id)
    if baseline is None:
        abort(404)
    return baseline


def _item_or_404(baseline: Baseline, item_id: int) -> StandardItem:
    item = db.session.execute(select(StandardItem).join(BaselineVersion, BaselineVersion.id == StandardItem.version_id)
                              .where(StandardItem.id == item_id, BaselineVersion.baseline_id == baseline.id)
                              ).scalar_one_or_none()
    if item is None:
        abort(404)
    return item


def _check_manager() -> None:
    permissions.check(permissions.may_manage_baselines(current_scope()),
                      "Only the trust's technical team and IT director change baselines.")


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() else None


@bp.get("/standards/baselines")
@requires_trust_role(*TRUST_ROLES)
def standard_baselines():
    trust = current_trust()
    return render_template("central/standards/baselines.html", trust=trust, baselines=baselines.baselines_of(trust.id),
                           may_manage=permissions.may_manage_baselines(current_scope()))


def _shown_version(baseline: Baseline) -> BaselineVersion | None:
    asked = _number(request.args.get("version"))
    version = baselines.version_by_number(baseline, asked) if asked else None
    return version or baselines.published_version(baseline) or baselines.draft_of(baseline)


def _diff(baseline: Baseline) -> dict | None:
    """The two versions asked for (?from=A&to=B), else the published one against the draft, else the
    last two versions."""
    numbers = [v.number for v in baseline.versions]
    old, new = _number(request.args.get("from")), _number(request.args.get("to"))
    if old not in numbers or new not in numbers:
        draft, published = baselines.draft_of(baseline), baselines.published_version(baseline)
        if draft is not None and published is not None:
            old, new = published.number, draft.number
        elif len(numbers) >= 2:
            old, new = numbers[-2], numbers[-1]
        else:
            return None
    return baselines.diff(baselines.version_by_number(baseline, old), baselines.version_by_number(baseline, new))


@bp.route("/standards/baselines/new", methods=["GET", "POST"])
@requires_trust_role(*permissions.MANAGERS)
def standard_baseline_new():
    trust = current_trust()
    form = BaselineForm()
    if form.validate_on_submit():
        try:
            baseline = baselines.create_baseline(trust.id, {"code": form.code.data, "title": form.title.data,
                                                            "description": form.description.data or ""},
                                                 by=current_user, now=utcnow())
        except StandardsError as exc:
            attach_error(form, exc)
        else:
            flash(f"{baseline.title} created: add its items to the draft, then publish it.", "success")
            return redirect(url_for(".standard_baseline", baseline_id=baseline.id))
    return render_template("central/standards/baseline_new.html", form=form), 422 if form.errors else 200


@bp.get("/standards/baselines/<int:baseline_id>")
@requires_trust_role(*TRUST_ROLES)
def standard_baseline(baseline_id):
    return _baseline_page(_baseline_or_404(baseline_id), PublishForm())


def _baseline_page(baseline: Baseline, publish_form: PublishForm, code: int = 200):
    version = _shown_version(baseline)
    return render_template(
        "central/standards/baseline.html", baseline=baseline, version=version, draft=baselines.draft_of(baseline),
        items=baselines.items_of(version) if version else [], diff=_diff(baseline), FIELD_LABELS=FIELD_LABELS,
        PHASES=PHASES, SEVERITIES=SEVERITIES, CHECK_KINDS=CHECK_KINDS, action_form=FlaskForm(),
        publish_form=publish_form, may_manage=permissions.may_manage_baselines(current_scope())), code


def _save_item(baseline: Baseline, form: ItemForm, item: StandardItem | None):
    """Add or change the item in the draft; the form again (with the error beside its field) when refused."""
    if not form.validate_on_submit():
        return None
    try:
        data = item_data(form)
        if item is None:
            saved = baselines.add_item(baseline, data, by=current_user, now=utcnow())
        else:
            data.pop("code")
            saved = baselines.update_item(baseline, item.code, data, by=current_user, now=utcnow())
    except StandardsError as exc:
        attach_error(form, exc)
        return None
    flash(f"{saved.code} saved in the draft. Publish the draft to hold schools to it.", "success")
    return redirect(url_for(".standard_baseline", baseline_id=baseline.id, version=saved.version.number))


@bp.route("/standards/baselines/<int:baseline_id>/items/new", methods=["GET", "POST"])
@requires_trust_role(*permissions.MANAGERS)
def standard_item_new(baseline_id):
    baseline = _baseline_or_404(baseline_id)
    _check_manager()
    form = ItemForm()
    done = _save_item(baseline, form, None)
    return done or (render_template("central/standards/item_form.html", baseline=baseline, item=None, form=form),
                    422 if request.method == "POST" else 200)


@bp.route("/standards/baselines/<int:baseline_id>/items/<int:item_id>/edit", methods=["GET", "POST"])
@requires_trust_role(*permissions.MANAGERS)
def standard_item_edit(baseline_id, item_id):
    baseline = _baseline_or_404(baseline_id)
    item = _item_or_404(baseline, item_id)
    _check_manager()
    if request.method == "GET":
        form = ItemForm(obj=item)
        fill(form, item)
    else:
        form = ItemForm()
        form.code.data = item.code  # the code names the item across versions: it never changes
    done = _save_item(baseline, form, item)
    return done or (render_template("central/standards/item_form.html", baseline=baseline, item=item, form=form),
                    422 if request.method == "POST" else 200)


@bp.post("/standards/baselines/<int:baseline_id>/items/<int:item_id>/remove")
@requires_trust_role(*permissions.MANAGERS)
def standard_item_remove(baseline_id, item_id):
    baseline = _baseline_or_404(baseline_id)
    item = _item_or_404(baseline, item_id)
    _check_manager()
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        baselines.remove_item(baseline, item.code, by=current_user, now=utcnow())
    except StandardsError as exc:
        flash(exc.message, "error")
    else:
        flash(f"{item.code} taken out of the draft.", "success")
    draft = baselines.draft_of(baseline)
    return redirect(url_for(".standard_baseline", baseline_id=baseline.id, version=draft.number if draft else None))


@bp.post("/standards/baselines/<int:baseline_id>/publish")
@requires_trust_role(*permissions.MANAGERS)
def standard_publish(baseline_id):
    baseline = _baseline_or_404(baseline_id)
    _check_manager()
    form = PublishForm()
    draft = baselines.draft_of(baseline)
    if form.validate_on_submit():
        now = utcnow()
        try:
            if draft is None:
                raise StandardsError("There is no draft to publish: change an item first.", "note")
            version = baselines.publish(draft, by=current_user, now=now, note=form.note.data or "")
        except StandardsError as exc:
            attach_error(form, exc)
        else:
            conformance.refresh(baseline.trust_id, None, now=now)  # every school is held to the new items at once
            flash(f"Version {version.number} published: every school is now held to it.", "success")
            return redirect(url_for(".standard_baseline", baseline_id=baseline.id))
    return _baseline_page(baseline, form, 422)
