"""Guidance at a school: search and read articles (staff, on a phone), write the school's own
articles, answer a request by linking an article, and record training sessions."""
from datetime import date

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.routing import BuildError
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional

from schools import bp
from schools.views import EVERYONE
from services.desk import knowledge, permissions, training
from services.desk.errors import DeskError
from services.desk.models import Ticket, TrainingSession
from services.directory.models import User
from trust_it.access import requires_school_role
from trust_it.central.helpers import attach_error
from trust_it.extensions import db
from trust_it.ids import db_int
from trust_it.tenancy import current_scope, get_or_404


class ArticleForm(FlaskForm):
    title = StringField("Title", description="The question it answers, in the words staff would use.")
    body = TextAreaField("Guidance", description="Plain text. Leave a blank line between paragraphs.",
                         render_kw={"rows": 14})
    keywords = StringField("Keywords", description="Other words people search with, separated by commas.")
    status = SelectField("Status", choices=list(knowledge.STATUSES.items()),
                         description="Only published articles are shown to staff.")


class LinkArticleForm(FlaskForm):
    article_id = SelectField("Article", coerce=db_int, validate_choice=False)


class TrainingForm(FlaskForm):
    held_on = DateField("Date", validators=[DataRequired("Enter the date of the session.")])
    topic = StringField("Topic")
    led_by = SelectField("Led by", coerce=db_int, validate_choice=False)
    attendees = TextAreaField("Attendees", description="One name per line.", render_kw={"rows": 6})
    notes = TextAreaField("Notes", validators=[Optional()])
    tickets = StringField("Requests it answered",
                          description="References of this school's “How do I…?” requests, separated by commas, "
                                      "e.g. OAK-000012, OAK-000015.")


def ticket_url(ticket: Ticket) -> str:
    """The request's page (drawn by the tickets pages)."""
    try:
        return url_for("schools.ticket", ticket_id=ticket.id)
    except BuildError:
        return f"{request.script_root}/s/{g.school.slug}/tickets/{ticket.id}"


def new_ticket_url() -> str:
    # No preset kind: an article about a broken projector leads to a fault, not a "how do I".
    try:
        return url_for("schools.ticket_new")
    except BuildError:
        return f"{request.script_root}/s/{g.school.slug}/tickets/new"


# --- reading -------------------------------------------------------------------------------

@bp.get("/guidance")
@requires_school_role(*EVERYONE)
def guidance():
    query = (request.args.get("q") or "").strip()[:200]
    results = knowledge.search(query, g.school.id) if query else []
    scope = current_scope()
    may_write = permissions.may_edit_article(scope, g.school.id)
    return render_template("schools/guidance/index.html", school=g.school, query=query, results=results,
                           popular=[] if query else knowledge.popular(g.school.id), may_write=may_write,
                           new_ticket_url=new_ticket_url(),
                           own=knowledge.articles_for(school_id=g.school.id) if may_write else [])


def _article_or_404(article_id):
    article = knowledge.article_at(g.school, article_id, scope=current_scope())
    if article is None:
        abort(404)
    return article


@bp.get("/guidance/<int:article_id>")
@requires_school_role(*EVERYONE)
def article(article_id):
    item = _article_or_404(article_id)
    if item.status == "published":
        knowledge.record_opening(item, current_user, g.school)
    scope = current_scope()
    return render_template("schools/guidance/article.html", school=g.school, article=item,
                           paragraphs=knowledge.paragraphs(item.body), new_ticket_url=new_ticket_url(),
                           may_edit=(item.school_id == g.school.id
                                     and permissions.may_edit_article(scope, item.school_id)),
                           may_edit_trust=item.school_id is None and permissions.may_edit_article(scope, None))


# --- writing the school's articles ----------------------------------------------------------

def _fields(form) -> dict:
    return {"title": form.title.data, "body": form.body.data, "keywords": form.keywords.data,
            "status": form.status.data}


@bp.route("/guidance/new", methods=["GET", "POST"])
@requires_school_role(*permissions.ARTICLE_EDITORS)
def article_new():
    form = ArticleForm()
    if form.validate_on_submit():
        try:
            item = knowledge.create_article(trust_id=g.school.trust_id, school=g.school, by=current_user,
                                            **_fields(form))
        except DeskError as exc:
            attach_error(form, exc)
        else:
            flash(f"“{item.title}” saved as {knowledge.STATUSES[item.status].lower()}.", "success")
            return redirect(url_for(".article", article_id=item.id))
    return render_template("schools/guidance/form.html", form=form, article=None, heading="Write an article",
                           action=url_for(".article_new"), back=url_for(".guidance"),
                           where=g.school.name), 422 if form.errors else 200


@bp.route("/guidance/<int:article_id>/edit", methods=["GET", "POST"])
@requires_school_role(*permissions.ARTICLE_EDITORS)
def article_edit(article_id):
    item = _article_or_404(article_id)
    if item.school_id != g.school.id:
        abort(404)  # trust-wide articles are edited on the trust's pages
    if not permissions.may_edit_article(current_scope(), item.school_id):
        abort(403)
    form = ArticleForm(obj=item)
    if form.validate_on_submit():
        try:
            knowledge.update_article(item, by=current_user, **_fields(form))
        except DeskError as exc:
            attach_error(form, exc)
        else:
            flash(f"“{item.title}” saved.", "success")
            return redirect(url_for(".article", article_id=item.id))
    return render_template("schools/guidance/form.html", form=form, article=item, heading="Edit the article",
                           action=url_for(".article_edit", article_id=item.id),
                           back=url_for(".article", article_id=item.id), where=g.school.name), \
        422 if form.errors else 200


# --- answering a request with an article ----------------------------------------------------

@bp.route("/tickets/<int:ticket_id>/articles", methods=["GET", "POST"])
@requires_school_role(*permissions.WORKERS)
def ticket_articles(ticket_id):
    ticket = get_or_404(Ticket, ticket_id)
    if ticket.school_id != g.school.id:
        abort(404)
    form = LinkArticleForm()
    choices = knowledge.published_at(g.school.id)
    form.article_id.choices = [(a.id, a.title) for a in choices]
    if form.validate_on_submit():
        chosen = next((a for a in choices if a.id == form.article_id.data), None)
        try:
            if chosen is None:
                raise DeskError("Choose a published article.", "article_id")
            knowledge.link_article(ticket, chosen, by=current_user)
        except DeskError as exc:
            attach_error(form, exc)
        else:
            flash(f"{ticket.reference} answered with “{chosen.title}”.", "success")
            return redirect(ticket_url(ticket))
    return render_template("schools/guidance/link.html", school=g.school, ticket=ticket, form=form,
                           articles=choices, linked=knowledge.linked_articles(ticket),
                           ticket_url=ticket_url(ticket)), 422 if form.errors else 200


# --- training sessions ----------------------------------------------------------------------

def _training_form(session: TrainingSession | None = None) -> TrainingForm:
    form = TrainingForm(obj=session) if session else TrainingForm()
    people = training.leaders(g.school)
    if all(p.id != current_user.id for p in people):
        people.append(current_user)
    led_by = session.led_by if session else None
    if led_by is not None and all(p.id != led_by.id for p in people):
        people.append(led_by)  # someone who has since left stays selectable on their own session
    form.led_by.choices = [(p.id, p.display_name) for p in sorted(people, key=lambda p: p.display_name)]
    prefix = g.school.ticket_prefix
    form.tickets.description = (f"References of this school's “How do I…?” requests, separated by commas, "
                                f"e.g. {prefix}-000012, {prefix}-000015.")
    if request.method == "GET":
        if session is None:
            form.held_on.data = date.today()
            form.led_by.data = current_user.id
        else:
            form.led_by.data = session.led_by_id
            form.tickets.data = training.references(training.linked_tickets(session))
    return form


def _training_fields(form: TrainingForm) -> dict:
    led_by = db.session.get(User, form.led_by.data) if form.led_by.data else None
    if led_by is not None and form.led_by.data not in {c[0] for c in form.led_by.choices}:
        led_by = None
    if led_by is None:
        raise DeskError("Choose who led the session.", "led_by")
    return {"held_on": form.held_on.data, "topic": form.topic.data, "led_by": led_by,
            "attendees": form.attendees.data, "notes": form.notes.data, "tickets": form.tickets.data,
            "by": current_user}


@bp.get("/training")
@requires_school_role(*permissions.TRAINING_READERS)
def training_list():
    may_write = permissions.may_record_training(current_scope(), g.school.id)
    return render_template("schools/guidance/training_list.html", school=g.school,
                           sessions=training.sessions_of(g.school), may_write=may_write)


@bp.route("/training/new", methods=["GET", "POST"])
@requires_school_role(*permissions.TRAINING_EDITORS)
def training_new():
    form = _training_form()
    if form.validate_on_submit():
        try:
            session = training.create_session(g.school, **_training_fields(form))
        except DeskError as exc:
            attach_error(form, exc)
        else:
            flash(f"Training session “{session.topic}” recorded.", "success")
            return redirect(url_for(".training_detail", training_id=session.id))
    return render_template("schools/guidance/training_form.html", school=g.school, form=form, session=None,
                           action=url_for(".training_new")), 422 if form.errors else 200


@bp.route("/training/<int:training_id>", methods=["GET", "POST"])
@requires_school_role(*permissions.TRAINING_READERS)
def training_detail(training_id):
    session = get_or_404(TrainingSession, training_id)
    if session.school_id != g.school.id:
        abort(404)
    may_write = permissions.may_record_training(current_scope(), g.school.id)
    if request.method == "POST" and not may_write:
        abort(403)
    form = _training_form(session) if may_write else None
    if form is not None and form.validate_on_submit():
        try:
            training.update_session(session, g.school, **_training_fields(form))
        except DeskError as exc:
            attach_error(form, exc)
        else:
            flash("Training session saved.", "success")
            return redirect(url_for(".training_detail", training_id=session.id))
    return render_template("schools/guidance/training_detail.html", school=g.school, session=session, form=form,
                           tickets=training.linked_tickets(session), ticket_url=ticket_url,
                           action=url_for(".training_detail", training_id=session.id)), \
        422 if form is not None and form.errors else 200
