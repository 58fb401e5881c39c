from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select

from services.audit.models import JobFailure
from services.directory.models import Trust
from trust_it import jobs
from trust_it.access import requires_trust_role
from trust_it.central import bp
from trust_it.central.forms import ActionForm
from trust_it.extensions import db
from trust_it.tenancy import current_scope


def _visible_failures():
    """This trust's failures; deployment-wide ones only where the deployment serves one trust."""
    trust_id = current_scope().trust_id
    one_trust = db.session.execute(select(func.count()).select_from(Trust)).scalar() == 1
    mine = JobFailure.trust_id == trust_id
    return select(JobFailure).where(JobFailure.resolved_at.is_(None),
                                    or_(mine, JobFailure.trust_id.is_(None)) if one_trust else mine)


@bp.get("/jobs")
@requires_trust_role("trust_admin")
def failed_jobs():
    failures = db.session.execute(_visible_failures().order_by(JobFailure.id.desc()).limit(200)).scalars().all()
    return render_template("central/jobs.html", failures=failures, action_form=ActionForm(),
                           inline=jobs.is_inline())


@bp.post("/jobs/<int:failure_id>/retry")
@requires_trust_role("trust_admin")
def job_retry(failure_id):
    failure = db.session.execute(_visible_failures().where(JobFailure.id == failure_id)).scalar()
    if failure is None or not ActionForm().validate_on_submit():
        abort(404)
    jobs.retry_failure(failure, by=current_user)
    flash(f"{failure.task} queued again.", "success")
    return redirect(url_for(".failed_jobs"))
