"""Guidance articles: trust-wide or one school's, draft or published."""
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from api.auth import api_user
from api.errors import unprocessable
from api.fields import ID, ChangeSchema, UtcDateTime
from api.pagination import PageArgs, page_schema, paginate
from services.desk import knowledge, permissions
from services.desk.errors import DeskError
from services.desk.models import Article
from services.directory.models import School
from trust_it.extensions import db
from trust_it.tenancy import current_scope, scoped_get

PREFIX = "/articles"
blp = Blueprint("api_articles", __name__, description="Guidance articles staff read before raising a request.")
STATUSES = list(knowledge.STATUSES)


class ArticleSchema(Schema):
    id = fields.Integer(dump_only=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=knowledge.TITLE_MAX))
    body = fields.String(required=True, validate=validate.Length(min=1, max=knowledge.BODY_MAX),
                         metadata={"description": "Plain text; a blank line between paragraphs."})
    keywords = fields.String(load_default="", validate=validate.Length(max=knowledge.KEYWORDS_MAX),
                             metadata={"description": "Other words people search with, separated by commas."})
    status = fields.String(load_default="draft", validate=validate.OneOf(STATUSES))
    school_id = fields.Integer(allow_none=True, load_default=None, validate=ID,
                               metadata={"description": "Null: trust-wide, shown at every school of the trust."})
    author_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = UtcDateTime(dump_only=True)
    updated_at = UtcDateTime(dump_only=True)


class ArticlePatchSchema(ChangeSchema):
    title = fields.String(validate=validate.Length(min=1, max=knowledge.TITLE_MAX))
    body = fields.String(validate=validate.Length(min=1, max=knowledge.BODY_MAX))
    keywords = fields.String(validate=validate.Length(max=knowledge.KEYWORDS_MAX))
    status = fields.String(validate=validate.OneOf(STATUSES))


class ArticleListQuery(PageArgs):
    q = fields.String(validate=validate.Length(max=200),
                      metadata={"description": "Words to find in the title, keywords or body."})
    school = fields.Integer(validate=ID,
                            metadata={"description": "Only articles shown at this school (its own and the trust's)."})
    status = fields.String(validate=validate.OneOf(STATUSES))


def _article_or_404(article_id) -> Article:
    article = db.session.execute(select(Article).where(Article.id == article_id,
                                                       knowledge.readable(current_scope()))).scalar_one_or_none()
    if article is None:
        abort(404, message="No such article.")
    return article


def _may_edit_or_403(school_id):
    if not permissions.may_edit_article(current_scope(), school_id):
        abort(403, message="Your role does not include writing this guidance.")


@blp.route("/")
class Articles(MethodView):
    @blp.arguments(ArticleListQuery, location="query")
    @blp.response(200, page_schema(ArticleSchema, "ArticlePage"))
    def get(self, args):
        """List the articles you can read (cursor-paginated, by id). Drafts only for their editors."""
        stmt = select(Article).where(knowledge.readable(current_scope()))
        if args.get("q"):
            condition = knowledge.matching(args["q"])
            if condition is not None:
                stmt = stmt.where(condition)
        if args.get("school"):
            stmt = stmt.where(knowledge.visible_at(args["school"]))
        if args.get("status"):
            stmt = stmt.where(Article.status == args["status"])
        return paginate(stmt, Article.id, args, db.session)

    @blp.arguments(ArticleSchema)
    @blp.response(201, ArticleSchema)
    def post(self, data):
        """Write an article: trust-wide (trust roles) or for a school (its edtech, technicians, lead)."""
        school = None
        if data.get("school_id") is not None:
            school = scoped_get(School, data["school_id"])
            if school is None:
                unprocessable(DeskError("No such school.", "school_id"))
        _may_edit_or_403(school.id if school else None)
        try:
            return knowledge.create_article(trust_id=current_scope().trust_id, school=school, title=data["title"],
                                            body=data["body"], keywords=data["keywords"], status=data["status"],
                                            by=api_user())
        except DeskError as exc:
            unprocessable(exc)


@blp.route("/<int:article_id>")
class ArticleById(MethodView):
    @blp.response(200, ArticleSchema)
    def get(self, article_id):
        """One article."""
        return _article_or_404(article_id)

    @blp.arguments(ArticlePatchSchema)
    @blp.response(200, ArticleSchema)
    def patch(self, data, article_id):
        """Change an article's text, or publish (status "published") or unpublish ("draft") it."""
        article = _article_or_404(article_id)
        _may_edit_or_403(article.school_id)
        try:
            return knowledge.update_article(article, by=api_user(), **data)
        except DeskError as exc:
            unprocessable(exc)
