"""Microsoft 365 sign-in settings: allowed tenants and claim → role rules."""
from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from services.directory import schools as school_service
from services.directory import signin as signin_service
from services.directory.errors import DirectoryError
from services.directory.models import EntraTenant, SignInRule
from trust_it.access import requires_trust_role
from trust_it.central import bp
from trust_it.central.forms import ActionForm, RuleForm, TenantForm
from trust_it.central.helpers import attach_error, current_trust, school_choices
from trust_it.central.people import _school_from_form
from trust_it.extensions import db


def _page(tenant_form=None, rule_form=None, status=200):
    trust = current_trust()
    rule_form = rule_form or RuleForm()
    rule_form.school.choices = school_choices(school_service.schools_of_trust(trust.id), blank="— see help —")
    return render_template("central/signin.html", trust=trust, tenants=trust.tenants,
                           rules=signin_service.rules_of(trust.id), tenant_form=tenant_form or TenantForm(),
                           rule_form=rule_form, action_form=ActionForm(), claims=signin_service.CLAIMS,
                           entra_enabled=current_app.config["ENTRA_ENABLED"]), status


@bp.get("/sign-in")
@requires_trust_role("trust_admin")
def signin_settings():
    return _page()


@bp.post("/sign-in/tenants")
@requires_trust_role("trust_admin")
def tenant_add():
    form = TenantForm()
    if form.validate_on_submit():
        try:
            signin_service.add_tenant(current_trust(), form.tenant_id.data, label=form.label.data, by=current_user)
        except DirectoryError as exc:
            attach_error(form, exc)
        else:
            flash("Tenant allowed.", "success")
            return redirect(url_for(".signin_settings"))
    return _page(tenant_form=form, status=422)


@bp.post("/sign-in/tenants/<int:tenant_id>/delete")
@requires_trust_role("trust_admin")
def tenant_remove(tenant_id):
    tenant = db.session.get(EntraTenant, tenant_id)
    if tenant is None or tenant.trust_id != current_trust().id or not ActionForm().validate_on_submit():
        abort(404)
    signin_service.remove_tenant(tenant, by=current_user)
    flash("Tenant removed: its people can no longer sign in.", "success")
    return redirect(url_for(".signin_settings"))


@bp.post("/sign-in/rules")
@requires_trust_role("trust_admin")
def rule_add():
    form = RuleForm()
    form.school.choices = school_choices(school_service.schools_of_trust(current_trust().id))
    if form.validate_on_submit():
        try:
            signin_service.add_rule(current_trust(), claim=form.claim.data, value=form.value.data,
                                    role=form.role.data, school=_school_from_form(form.school.data), by=current_user)
        except DirectoryError as exc:
            attach_error(form, exc)
        else:
            flash("Rule added. It applies from each person's next sign-in.", "success")
            return redirect(url_for(".signin_settings"))
    return _page(rule_form=form, status=422)


@bp.post("/sign-in/rules/<int:rule_id>/delete")
@requires_trust_role("trust_admin")
def rule_remove(rule_id):
    rule = db.session.execute(select(SignInRule).where(SignInRule.id == rule_id)).scalar()
    if rule is None or rule.trust_id != current_trust().id or not ActionForm().validate_on_submit():
        abort(404)
    signin_service.remove_rule(rule, by=current_user)
    flash("Rule removed.", "success")
    return redirect(url_for(".signin_settings"))
