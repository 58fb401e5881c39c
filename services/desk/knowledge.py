"""The knowledge base: guidance articles staff read before (or instead of) raising a request.

An article is trust-wide (school_id NULL) or one school's. Opening an article from the
portal is recorded; when the same person raises a request at that school within
`DEFLECTION_WINDOW`, `mark_raised` attaches the ticket to those openings. Openings older
than the window with no ticket are questions the article answered: "deflected".
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, false, func, literal, or_, select, true, update
from sqlalchemy.orm import selectinload

from services.base import utcnow
from services.desk import permissions, tickets
from services.desk.errors import DeskError
from services.desk.models import Article, ArticleOpening, Ticket, TicketArticle
from services.directory.models import School, User
from trust_it.extensions import db
from trust_it.tenancy import Scope

STATUSES = {"draft": "Draft", "published": "Published"}
DEFLECTION_WINDOW = timedelta(minutes=30)
SEARCH_LIMIT = 10
TITLE_MAX, KEYWORDS_MAX, BODY_MAX = 200, 300, 50_000
# Words too common to say anything about what someone is looking for.
STOP_WORDS = frozenset("a an and are at be can do does for from how i in is it me my of on or our the to "
                       "we what when where why with you your".split())


# --- who may do what ---------------------------------------------------------------------

def readable(scope: Scope):
    """A condition: published articles, plus drafts the person may edit (the guard adds the scope).
    Someone with no current role anywhere reads nothing, not even the trust's own guidance."""
    if not scope.school_ids and not scope.trust_roles:
        return false()
    if scope.has_trust_role(*permissions.TRUST_EDITORS):
        return true()
    editable = [sid for sid in scope.school_ids if scope.roles_at(sid).intersection(permissions.SCHOOL_EDITORS)]
    return or_(Article.status == "published", Article.school_id.in_(editable))


def visible_at(school_id: int):
    """A condition: the school's own articles and its trust's trust-wide ones (one statement, no lookup)."""
    trust_of_school = select(School.trust_id).where(School.id == school_id).scalar_subquery()
    return or_(Article.school_id == school_id, and_(Article.school_id.is_(None), Article.trust_id == trust_of_school))


def article_at(school: School, article_id: int, *, scope: Scope) -> Article | None:
    """The article as read at `school`: another school's article (or a draft you may not edit) is None."""
    article = db.session.execute(
        select(Article).where(Article.id == article_id, visible_at(school.id), readable(scope))
        .options(selectinload(Article.author))).scalar_one_or_none()
    return article


# --- writing -----------------------------------------------------------------------------

def _clean(title: str | None, body: str | None, keywords: str | None) -> tuple[str, str, str]:
    title = " ".join((title or "").split())
    if not title:
        raise DeskError("Give the article a title, such as the question it answers.", "title")
    if len(title) > TITLE_MAX:
        raise DeskError(f"Keep the title under {TITLE_MAX} characters.", "title")
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise DeskError("Write the guidance: the steps, in plain words.", "body")
    if len(body) > BODY_MAX:
        raise DeskError(f"Keep the article under {BODY_MAX:,} characters; split it into two.", "body")
    words = [w.strip() for w in re.split(r"[,\n]", keywords or "") if w.strip()]
    keywords = ", ".join(dict.fromkeys(" ".join(w.split()) for w in words))
    if len(keywords) > KEYWORDS_MAX:
        raise DeskError(f"Keep the keywords under {KEYWORDS_MAX} characters.", "keywords")
    return title, body, keywords


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise DeskError("Choose draft or published.", "status")


def create_article(*, trust_id: int, school: School | None, title: str, body: str, keywords: str = "",
                   status: str = "draft", by: User | None) -> Article:
    """`school` None: a trust-wide article, shown at every school of the trust."""
    if school is not None and school.trust_id != trust_id:
        raise DeskError("Choose a school of this trust.", "school_id")
    _check_status(status)
    title, body, keywords = _clean(title, body, keywords)
    now = utcnow()
    article = Article(trust_id=trust_id, school_id=school.id if school else None, title=title, body=body,
                      keywords=keywords, status=status, author_id=by.id if by else None, created_at=now,
                      updated_at=now)
    db.session.add(article)
    db.session.flush()
    return article


def update_article(article: Article, *, title: str | None = None, body: str | None = None,
                   keywords: str | None = None, status: str | None = None, by: User | None = None) -> Article:
    """Change any subset of the fields; the others stay as they are."""
    title, body, keywords = _clean(article.title if title is None else title,
                                   article.body if body is None else body,
                                   article.keywords if keywords is None else keywords)
    article.title, article.body, article.keywords = title, body, keywords
    if status is not None:
        _check_status(status)
        article.status = status
    article.updated_at = utcnow()
    db.session.flush()
    return article


def publish(article: Article, *, by: User | None = None) -> Article:
    return update_article(article, status="published", by=by)


def unpublish(article: Article, *, by: User | None = None) -> Article:
    return update_article(article, status="draft", by=by)


def paragraphs(body: str) -> list[list[str]]:
    """Plain text with blank lines between paragraphs, as paragraphs of lines (for <p> and <br>)."""
    return [[line.rstrip() for line in block.strip().split("\n")]
            for block in re.split(r"\n\s*\n", (body or "").replace("\r\n", "\n")) if block.strip()]


# --- finding -----------------------------------------------------------------------------

def _singular(word: str) -> str:
    """A plain English singular, so "projectors" finds "projector" (matching is by substring,
    so the singular still finds the plural)."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _terms(query: str) -> list[str]:
    words = re.findall(r"[\w'’-]+", (query or "").lower())
    terms = [_singular(w) for w in words if w not in STOP_WORDS and len(w) > 1][:8]
    if not terms and (query or "").strip():
        terms = [" ".join((query or "").lower().split())[:100]]
    return list(dict.fromkeys(terms))


def _like(column, term: str):
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


def matching(query: str):
    """A condition: the article's title, keywords or body mention any word of the query (case-insensitive).
    None when the query has nothing to look for."""
    terms = _terms(query)
    if not terms:
        return None
    return or_(*[or_(_like(Article.title, t), _like(Article.keywords, t), _like(Article.body, t)) for t in terms])


def search(query: str, school_id: int | None, *, published_only: bool = True,
           limit: int = SEARCH_LIMIT) -> list[Article]:
    """Articles for `query` at a school (its own and its trust's), best first: articles whose title
    matches come before those matching only keywords or body. One query."""
    terms = _terms(query)
    if not terms:
        return []
    title_hits = sum((case((_like(Article.title, t), 1), else_=0) for t in terms), literal(0))
    other_hits = sum((case((_like(Article.keywords, t), 2), (_like(Article.body, t), 1), else_=0) for t in terms),
                     literal(0))
    stmt = select(Article).where(matching(query))
    if school_id is not None:
        stmt = stmt.where(visible_at(school_id))
    if published_only:
        stmt = stmt.where(Article.status == "published")
    stmt = stmt.order_by(title_hits.desc(), other_hits.desc(), Article.updated_at.desc(), Article.id).limit(limit)
    return list(db.session.execute(stmt).scalars())


def popular(school_id: int, *, since: datetime | None = None, limit: int = 5) -> list[Article]:
    """The school's most-opened published articles (recent openings), then the newest."""
    since = since or utcnow() - timedelta(days=90)
    opened = (select(ArticleOpening.article_id, func.count(ArticleOpening.id).label("n"))
              .where(ArticleOpening.school_id == school_id, ArticleOpening.opened_at >= since)
              .group_by(ArticleOpening.article_id).subquery())
    stmt = (select(Article).outerjoin(opened, opened.c.article_id == Article.id)
            .where(visible_at(school_id), Article.status == "published")
            .order_by(func.coalesce(opened.c.n, 0).desc(), Article.updated_at.desc(), Article.id).limit(limit))
    return list(db.session.execute(stmt).scalars())


def articles_for(*, school_id: int | None, trust_id: int | None = None, status: str | None = None) -> list[Article]:
    """For the editors' lists: one school's own articles, or (school_id None) the trust-wide ones."""
    stmt = select(Article).options(selectinload(Article.author)).order_by(Article.status, Article.title)
    if school_id is None:
        stmt = stmt.where(Article.school_id.is_(None), Article.trust_id == trust_id)
    else:
        stmt = stmt.where(Article.school_id == school_id)
    if status:
        stmt = stmt.where(Article.status == status)
    return list(db.session.execute(stmt).scalars())


def published_at(school_id: int) -> list[Article]:
    """Every published article readable at the school, by title (the choice when answering a request)."""
    return list(db.session.execute(select(Article).where(visible_at(school_id), Article.status == "published")
                                   .order_by(Article.title)).scalars())


# --- openings and deflection -------------------------------------------------------------

def record_opening(article: Article, user: User | None, school: School, *,
                   now: datetime | None = None) -> ArticleOpening:
    opening = ArticleOpening(article_id=article.id, user_id=user.id if user else None, school_id=school.id,
                             opened_at=now or utcnow())
    db.session.add(opening)
    db.session.flush()
    return opening


def mark_raised(user: User | None, school: School, ticket: Ticket, *, now: datetime | None = None) -> int:
    """Call when `user` raises `ticket` at `school`: the articles they opened there in the last
    30 minutes did not answer their question, so those openings are not deflections.
    Returns how many openings were attached."""
    if user is None:
        return 0
    now = now or utcnow()
    result = db.session.execute(
        update(ArticleOpening)
        .where(ArticleOpening.school_id == school.id, ArticleOpening.user_id == user.id,
               ArticleOpening.ticket_id.is_(None), ArticleOpening.opened_at >= now - DEFLECTION_WINDOW,
               ArticleOpening.opened_at <= now)
        .values(ticket_id=ticket.id).execution_options(synchronize_session=False))
    return result.rowcount or 0


@dataclass(frozen=True)
class Deflection:
    article_id: int
    title: str
    school_id: int | None
    openings: int
    deflected: int


def deflection_counts(*, trust_id: int | None = None, school_id: int | None = None, since: datetime,
                      now: datetime | None = None) -> list[Deflection]:
    """Per article: openings since `since` at the school (or every school of the trust), and how
    many of them led to no request once the 30-minute window had passed. Computed in SQL."""
    if (trust_id is None) == (school_id is None):
        raise ValueError("Give a trust or a school.")
    now = now or utcnow()
    deflected = func.sum(case((and_(ArticleOpening.ticket_id.is_(None),
                                    ArticleOpening.opened_at < now - DEFLECTION_WINDOW), 1), else_=0))
    stmt = (select(Article.id, Article.title, Article.school_id, func.count(ArticleOpening.id), deflected)
            .join(ArticleOpening, ArticleOpening.article_id == Article.id)
            .where(ArticleOpening.opened_at >= since)
            .group_by(Article.id, Article.title, Article.school_id)
            .order_by(deflected.desc(), func.count(ArticleOpening.id).desc(), Article.title))
    if school_id is not None:
        stmt = stmt.where(ArticleOpening.school_id == school_id)
    else:
        stmt = stmt.where(ArticleOpening.school_id.in_(select(School.id).where(School.trust_id == trust_id)))
    return [Deflection(a, t, s, int(n), int(d or 0)) for a, t, s, n, d in db.session.execute(stmt)]


# --- answering a request with an article -------------------------------------------------

def link_article(ticket: Ticket, article: Article, *, by: User | None) -> TicketArticle:
    """Answer a request by pointing to guidance: the link, and a public reply "See: <title>"
    that the requester sees in the request's history (and by email)."""
    if article.status != "published":
        raise DeskError("Publish the article before sending it to someone.", "article_id")
    if article.school_id not in (None, ticket.school_id) or article.trust_id != ticket.school.trust_id:
        raise DeskError("Choose an article of this school or the trust.", "article_id")
    exists = db.session.execute(select(TicketArticle.id).where(
        TicketArticle.ticket_id == ticket.id, TicketArticle.article_id == article.id)).scalar()
    if exists:
        raise DeskError("That article is already linked to this request.", "article_id")
    link = TicketArticle(ticket_id=ticket.id, article_id=article.id, school_id=ticket.school_id)
    db.session.add(link)
    ev = tickets.reply(ticket, by=by, body=f"See: {article.title}", public=True)
    ev.data = {**(ev.data or {}), "article_id": article.id}  # lets the request's page link to it
    db.session.flush()
    return link


def linked_articles(ticket: Ticket) -> list[Article]:
    return list(db.session.execute(
        select(Article).join(TicketArticle, TicketArticle.article_id == Article.id)
        .where(TicketArticle.ticket_id == ticket.id).order_by(TicketArticle.id)).scalars())
