from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from services.audit.models import JobFailure
from trust_it import jobs
from trust_it.access import requires_trust_role
from trust_it.central import bp
from trust_it.central.forms import ActionForm
from trust_it.extensions import db


@bp.get("/jobs")
@requires_trust_role("trust_admin")
def failed_jobs():
    failures = db.session.execute(select(JobFailure).where(JobFailure.resolved_at.is_(None))
                                  .order_by(JobFailure.id.desc()).limit(200)).scalars().all()
    return render_template("central/jobs.html", failures=failures, action_form=ActionForm(),
                           inline=jobs.is_inline())


@bp.post("/jobs/<int:failure_id>/retry")
@requires_trust_role("trust_admin")
def job_retry(failure_id):
    failure = db.session.get(JobFailure, failure_id)
    if failure is None or not ActionForm().validate_on_submit():
        abort(404)
    jobs.retry_failure(failure, by=current_user)
    flash(f"{failure.task} queued again.", "success")
    return redirect(url_for(".failed_jobs"))
