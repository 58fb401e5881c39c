"""Trust-wide guidance: the central team writes articles every school sees, and sees which
articles answer questions without a request being raised ("deflected")."""
from datetime import timedelta

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from schools.guidance import ArticleForm
from services.base import utcnow
from services.desk import knowledge, permissions
from services.desk.errors import DeskError
from services.desk.models import Article
from services.directory import schools as school_service
from trust_it.access import requires_trust_role
from trust_it.central import bp
from trust_it.central.helpers import attach_error, current_trust
from trust_it.tenancy import scoped_get

EDITORS = permissions.TRUST_EDITORS
DEFLECTION_DAYS = 90


@bp.get("/guidance")
@requires_trust_role(*EDITORS)
def guidance():
    trust = current_trust()
    since = utcnow() - timedelta(days=DEFLECTION_DAYS)
    schools = {s.id: s.name for s in school_service.schools_of_trust(trust.id)}
    return render_template("central/knowledge/index.html", trust=trust,
                           articles=knowledge.articles_for(school_id=None, trust_id=trust.id),
                           deflections=knowledge.deflection_counts(trust_id=trust.id, since=since),
                           schools=schools, days=DEFLECTION_DAYS)


def _fields(form) -> dict:
    return {"title": form.title.data, "body": form.body.data, "keywords": form.keywords.data,
            "status": form.status.data}


@bp.route("/guidance/new", methods=["GET", "POST"])
@requires_trust_role(*EDITORS)
def guidance_new():
    form = ArticleForm()
    trust = current_trust()
    if form.validate_on_submit():
        try:
            item = knowledge.create_article(trust_id=trust.id, school=None, by=current_user, **_fields(form))
        except DeskError as exc:
            attach_error(form, exc)
        else:
            flash(f"“{item.title}” saved as {knowledge.STATUSES[item.status].lower()}.", "success")
            return redirect(url_for(".guidance"))
    return render_template("schools/guidance/form.html", form=form, article=None,
                           heading="Write a trust-wide article", action=url_for(".guidance_new"),
                           back=url_for(".guidance"), where=f"every school of {trust.name}"), \
        422 if form.errors else 200


@bp.route("/guidance/<int:article_id>/edit", methods=["GET", "POST"])
@requires_trust_role(*EDITORS)
def guidance_edit(article_id):
    item = scoped_get(Article, article_id)
    if item is None or item.school_id is not None:
        abort(404)  # a school's own articles are edited at the school
    form = ArticleForm(obj=item)
    if form.validate_on_submit():
        try:
            knowledge.update_article(item, by=current_user, **_fields(form))
        except DeskError as exc:
            attach_error(form, exc)
        else:
            flash(f"“{item.title}” saved.", "success")
            return redirect(url_for(".guidance"))
    return render_template("schools/guidance/form.html", form=form, article=item, heading="Edit the article",
                           action=url_for(".guidance_edit", article_id=item.id), back=url_for(".guidance"),
                           where=f"every school of {current_trust().name}"), 422 if form.errors else 200
