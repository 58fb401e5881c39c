"""Intune sync for the trust: which tenants, the rules that place new devices, "sync now", and the runs."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import Length

from services.assets import intune_jobs, intune_settings
from services.assets.errors import AssetError
from services.assets.models import SYNC_RULE_KINDS, SyncMapping, SyncRun
from services.assets.permissions import READERS, SETTINGS, may_change_settings
from services.base import utcnow
from services.directory import schools as school_service
from services.directory.models import EntraTenant, School
from trust_it.access import requires_trust_role
from trust_it.central import bp
from trust_it.central.forms import ActionForm
from trust_it.central.helpers import attach_error, current_trust, school_choices
from trust_it.extensions import db
from trust_it.tenancy import current_scope


class SyncRuleForm(FlaskForm):
    kind = SelectField("Devices that match", choices=list(SYNC_RULE_KINDS.items()))
    value = StringField("Group or name start", validators=[Length(max=200)],
                        description="A group's object id or name, or the start of device names such as OAK-. "
                                    "Leave empty for the primary user's school.")
    school = SelectField("go to school", choices=[], validate_choice=False,
                         description="Leave empty for the primary user's school.")


def _page(rule_form=None, status=200):
    trust = current_trust()
    rule_form = rule_form or SyncRuleForm()
    rule_form.school.choices = school_choices(school_service.schools_of_trust(trust.id), blank="— the user's school —")
    client_id, _ = intune_jobs.credentials()  # the id only: the secret is never shown
    return render_template("central/assets/sync.html", trust=trust, tenants=intune_settings.tenants_of(trust),
                           rules=intune_settings.rules_of(trust.id), runs=intune_jobs.runs_of(trust.id),
                           rule_form=rule_form, action_form=ActionForm(), client_id=client_id,
                           configured=intune_jobs.configured(),
                           may_change=may_change_settings(current_scope())), status


def _tenant_or_404(tenant_id) -> EntraTenant:
    tenant = db.session.execute(select(EntraTenant).where(
        EntraTenant.id == tenant_id, EntraTenant.trust_id == current_trust().id)).scalar()
    if tenant is None or not ActionForm().validate_on_submit():
        abort(404)
    return tenant


def _rule_or_404(rule_id) -> SyncMapping:
    rule = db.session.execute(select(SyncMapping).where(
        SyncMapping.id == rule_id, SyncMapping.trust_id == current_trust().id)).scalar()
    if rule is None or not ActionForm().validate_on_submit():
        abort(404)
    return rule


@bp.get("/assets/intune")
@requires_trust_role(*READERS)
def asset_sync():
    return _page()


@bp.get("/assets/intune/runs/<int:sync_run_id>")
@requires_trust_role(*READERS)
def asset_sync_run(sync_run_id):
    run = db.session.execute(select(SyncRun).where(SyncRun.id == sync_run_id,
                                                   SyncRun.trust_id == current_trust().id)).scalar()
    if run is None:
        abort(404)
    return render_template("central/assets/sync_run.html", run=run)


@bp.post("/assets/intune/tenants/<int:tenant_id>")
@requires_trust_role(*SETTINGS)
def asset_sync_tenant(tenant_id):
    tenant = _tenant_or_404(tenant_id)
    synced = request.form.get("synced") == "1"
    intune_settings.set_synced(current_trust(), tenant, synced, by=current_user)
    flash(f"Devices of {tenant.label or tenant.tenant_id} are {'now' if synced else 'no longer'} synced from Intune.",
          "success")
    return redirect(url_for(".asset_sync"))


@bp.post("/assets/intune/tenants/<int:tenant_id>/sync")
@requires_trust_role(*SETTINGS)
def asset_sync_now(tenant_id):
    tenant = _tenant_or_404(tenant_id)
    try:
        intune_jobs.request_sync(current_trust(), tenant, by=current_user, now=utcnow())
    except AssetError as exc:
        flash(exc.message, "error")
        return redirect(url_for(".asset_sync"))
    flash(f"Sync of {tenant.label or tenant.tenant_id} started. Its run appears below when it has finished.",
          "success")
    return redirect(url_for(".asset_sync"))


@bp.post("/assets/intune/rules")
@requires_trust_role(*SETTINGS)
def asset_sync_rule_add():
    form = SyncRuleForm()
    form.school.choices = school_choices(school_service.schools_of_trust(current_trust().id))
    if form.validate_on_submit():
        school = None
        if form.school.data and form.school.data.isdigit():
            school = db.session.execute(select(School).where(School.id == int(form.school.data))).scalar()
        try:
            intune_settings.add_rule(current_trust(), kind=form.kind.data, value=form.value.data or "",
                                     school=school, by=current_user)
        except AssetError as exc:
            attach_error(form, exc)
        else:
            flash("Rule added. It places devices new to the register from the next sync.", "success")
            return redirect(url_for(".asset_sync"))
    return _page(rule_form=form, status=422)


@bp.post("/assets/intune/rules/<int:sync_rule_id>/delete")
@requires_trust_role(*SETTINGS)
def asset_sync_rule_remove(sync_rule_id):
    intune_settings.remove_rule(_rule_or_404(sync_rule_id), by=current_user)
    flash("Rule removed.", "success")
    return redirect(url_for(".asset_sync"))


@bp.post("/assets/intune/rules/<int:sync_rule_id>/up")
@requires_trust_role(*SETTINGS)
def asset_sync_rule_up(sync_rule_id):
    intune_settings.move_rule_up(_rule_or_404(sync_rule_id))
    flash("Rule moved up: it is tried earlier.", "success")
    return redirect(url_for(".asset_sync"))
