"""Guidance: edtech people write articles, staff find and read them before raising a request,
a worker answers a request with one, and the trust sees which articles deflect questions."""
import re
from datetime import timedelta

from sqlalchemy import select, update

from services.base import utcnow
from services.desk import knowledge
from services.desk.models import Article, ArticleOpening, TicketArticle
from services.directory.models import School
from tests.conftest import data

PROJECTOR = {"title": "Connect your laptop to the classroom projector",
             "body": "Plug the HDMI cable into the side of the laptop.\n\nPress Windows and P, then choose "
                     "Duplicate.\nWait five seconds.",
             "keywords": "display, screen, HDMI", "status": "published"}


def _article(app, school, trust=None, *, title, body="Steps to follow.", keywords="", status="published"):
    with data(app) as s:
        sch = s.get(School, school.id) if school else None
        return knowledge.create_article(trust_id=trust.id if trust else sch.trust_id, school=sch, title=title,
                                        body=body, keywords=keywords, status=status, by=None)


def _openings(app):
    with data(app) as s:
        return s.execute(select(ArticleOpening)).scalars().all()


def _age_openings(app, minutes):
    """The openings happened `minutes` ago (the 30-minute window has passed)."""
    with data(app) as s:
        s.execute(update(ArticleOpening).values(opened_at=utcnow() - timedelta(minutes=minutes)))


def _deflection_row(client, title):
    """(openings, deflected) of an article in the trust's "deflected questions" table."""
    page = client.get("/trust/guidance").text
    table = page[page.index("Deflected questions"):]
    row = next(r for r in re.findall(r"<tr>.*?</tr>", table, re.S) if title in r)
    openings, deflected = re.findall(r'<td class="num">(\d+)</td>', row)
    return int(openings), int(deflected)


def test_edtech_writes_and_publishes_an_article_and_staff_find_it(app, make, login_as):
    oak = make.school("oak")
    edtech = login_as(make.user(role="edtech", school=oak))
    response = edtech.post("/s/oak/guidance/new", data=PROJECTOR)
    assert response.status_code == 302
    article_url = response.headers["Location"]

    staff = login_as(make.user(role="staff", school=oak))
    found = staff.get("/s/oak/guidance?q=Projector+not+working")
    assert found.status_code == 200
    assert "Connect your laptop to the classroom projector" in found.text
    page = staff.get(article_url)
    assert "<p>Plug the HDMI cable into the side of the laptop.</p>" in page.text
    assert "choose Duplicate.<br>Wait five seconds." in page.text
    assert "Raise a request" in page.text and "/s/oak/tickets/new" in page.text


def test_a_draft_is_hidden_from_staff_until_it_is_published(app, make, login_as):
    oak = make.school("oak")
    edtech = login_as(make.user(role="edtech", school=oak))
    created = edtech.post("/s/oak/guidance/new", data={**PROJECTOR, "status": "draft"})
    article_id = int(created.headers["Location"].rsplit("/", 1)[1])
    staff = login_as(make.user(role="staff", school=oak))
    assert "classroom projector" not in staff.get("/s/oak/guidance?q=projector").text
    assert staff.get(f"/s/oak/guidance/{article_id}").status_code == 404

    assert edtech.post(f"/s/oak/guidance/{article_id}/edit", data=PROJECTOR).status_code == 302
    assert "classroom projector" in staff.get("/s/oak/guidance?q=projector").text
    assert staff.get(f"/s/oak/guidance/{article_id}").status_code == 200


def test_staff_cannot_write_articles_and_a_missing_title_is_named(app, make, login_as):
    oak = make.school("oak")
    staff = login_as(make.user(role="staff", school=oak))
    assert staff.post("/s/oak/guidance/new", data=PROJECTOR).status_code == 403
    tech = login_as(make.user(role="technician", school=oak))
    response = tech.post("/s/oak/guidance/new", data={**PROJECTOR, "title": "  "})
    assert response.status_code == 422
    assert "Give the article a title" in response.text and 'aria-invalid="true"' in response.text
    with data(app) as s:
        assert s.execute(select(Article)).first() is None


def test_title_matches_come_first_and_search_is_case_insensitive(app, make, login_as):
    oak = make.school("oak")
    _article(app, oak, title="Printing double-sided", body="Open the WI-FI settings first, then print.")
    _article(app, oak, title="Join the staff wi-fi", body="Choose OakStaff and sign in.")
    _article(app, oak, title="Reset your password", body="Use the portal.", keywords="wifi, login")
    staff = login_as(make.user(role="staff", school=oak))
    text = staff.get("/s/oak/guidance?q=WI-FI").text
    assert text.index("Join the staff wi-fi") < text.index("Printing double-sided")
    assert "Reset your password" in staff.get("/s/oak/guidance?q=WiFi").text


def test_opening_an_article_and_not_raising_a_request_counts_as_deflected(app, make, login_as):
    oak = make.school("oak")
    article = _article(app, oak, title="Connect to the projector")
    staff = login_as(make.user(role="staff", school=oak))
    assert staff.get(f"/s/oak/guidance/{article.id}").status_code == 200
    _age_openings(app, 45)

    director = login_as(make.user(role="it_director"))
    assert _deflection_row(director, "Connect to the projector") == (1, 1)


def test_opening_then_raising_a_request_within_30_minutes_is_not_deflected(app, make, login_as):
    oak = make.school("oak")
    article = _article(app, oak, title="Connect to the projector")
    staff_user = make.user(role="staff", school=oak)
    staff = login_as(staff_user)
    staff.get(f"/s/oak/guidance/{article.id}")
    raised = staff.post("/s/oak/tickets/new", data={
        "title": "The projector still shows nothing", "kind": "incident", "impact": "2", "urgency": "1"})
    assert raised.status_code == 302, raised.text
    _age_openings(app, 45)

    [opening] = _openings(app)
    assert opening.ticket_id is not None
    director = login_as(make.user(role="it_director"))
    assert _deflection_row(director, "Connect to the projector") == (1, 0)


def test_an_opening_older_than_30_minutes_is_not_attached_to_a_new_request(app, make):
    oak = make.school("oak")
    article = _article(app, oak, title="Connect to the projector")
    staff = make.user(role="staff", school=oak)
    ticket = make.ticket(oak, staff)
    with data(app) as s:
        sch = s.get(School, oak.id)
        knowledge.record_opening(s.get(Article, article.id), staff, sch, now=utcnow() - timedelta(minutes=40))
        assert knowledge.mark_raised(staff, sch, ticket) == 0


def test_a_worker_links_an_article_and_the_requester_sees_it_in_the_history(app, make, login_as):
    oak = make.school("oak")
    article = _article(app, oak, title="Share your screen in Teams")
    requester = make.user(role="staff", school=oak)
    ticket = make.ticket(oak, requester, title="How do I share my screen?", kind="guidance", impact=3, urgency=3)
    edtech = login_as(make.user(role="edtech", school=oak))
    form = edtech.get(f"/s/oak/tickets/{ticket.id}/articles")
    assert form.status_code == 200 and "Share your screen in Teams" in form.text
    linked = edtech.post(f"/s/oak/tickets/{ticket.id}/articles", data={"article_id": article.id})
    assert linked.status_code == 302
    assert linked.headers["Location"].endswith(f"/s/oak/tickets/{ticket.id}")

    history = login_as(requester).get(f"/s/oak/tickets/{ticket.id}").text
    assert "See: Share your screen in Teams" in history
    again = edtech.post(f"/s/oak/tickets/{ticket.id}/articles", data={"article_id": article.id})
    assert again.status_code == 422 and "already linked" in again.text
    with data(app) as s:
        assert len(s.execute(select(TicketArticle)).all()) == 1


def test_staff_cannot_link_articles_to_requests(app, make, login_as):
    oak = make.school("oak")
    article = _article(app, oak, title="Share your screen in Teams")
    requester = make.user(role="staff", school=oak)
    ticket = make.ticket(oak, requester, kind="guidance")
    response = login_as(requester).post(f"/s/oak/tickets/{ticket.id}/articles", data={"article_id": article.id})
    assert response.status_code == 403


def test_another_schools_article_is_a_404_and_never_in_search_results(app, make, login_as):
    oak, elm = make.school("oak"), make.school("elm")
    elm_article = _article(app, elm, title="Elm projector trick")
    oak_staff = login_as(make.user(role="staff", school=oak))
    assert oak_staff.get(f"/s/oak/guidance/{elm_article.id}").status_code == 404
    assert oak_staff.get(f"/s/elm/guidance/{elm_article.id}").status_code == 404
    assert "Elm projector trick" not in oak_staff.get("/s/oak/guidance?q=projector").text
    # The trust's team sees both schools, but each school's guidance stays with its school.
    director = login_as(make.user(role="it_director"))
    assert director.get(f"/s/oak/guidance/{elm_article.id}").status_code == 404
    assert "Elm projector trick" not in director.get("/s/oak/guidance?q=projector").text
    assert "Elm projector trick" in director.get("/s/elm/guidance?q=projector").text


def test_a_trust_wide_article_shows_in_every_school_of_the_trust_only(app, make, login_as):
    trust = make.trust()
    oak, elm = make.school("oak", trust=trust), make.school("elm", trust=trust)
    far_trust = make.trust("Far Trust")
    far = make.school("far", trust=far_trust)
    service_desk = login_as(make.user(role="service_desk", trust=trust))
    created = service_desk.post("/trust/guidance/new", data={
        "title": "Set up MFA on your phone", "body": "Install Microsoft Authenticator.", "keywords": "2FA",
        "status": "published"})
    assert created.status_code == 302
    assert "Set up MFA on your phone" in service_desk.get("/trust/guidance").text

    for school in (oak, elm):
        staff = login_as(make.user(role="staff", school=school, trust=trust))
        assert "Set up MFA on your phone" in staff.get(f"/s/{school.slug}/guidance?q=mfa").text
    far_staff = login_as(make.user(role="staff", school=far, trust=far_trust))
    assert "Set up MFA on your phone" not in far_staff.get("/s/far/guidance?q=mfa").text
    with data(app) as s:
        article_id = s.execute(select(Article.id)).scalar_one()
    assert far_staff.get(f"/s/far/guidance/{article_id}").status_code == 404


def test_trust_guidance_is_for_the_central_team(app, make, login_as):
    oak = make.school("oak")
    assert login_as(make.user(role="technician", school=oak)).get("/trust/guidance").status_code == 403
    assert login_as(make.user(role="trustee")).get("/trust/guidance").status_code == 403
    assert login_as(make.user(role="edtech")).get("/trust/guidance").status_code == 200


def test_the_trust_unpublishes_an_article(app, make, login_as):
    oak = make.school("oak")
    article = _article(app, None, trust=make.default_trust(), title="Old VPN guide")
    technical = login_as(make.user(role="technical"))
    response = technical.post(f"/trust/guidance/{article.id}/edit", data={
        "title": "Old VPN guide", "body": "Steps to follow.", "keywords": "", "status": "draft"})
    assert response.status_code == 302
    staff = login_as(make.user(role="staff", school=oak))
    assert "Old VPN guide" not in staff.get("/s/oak/guidance?q=vpn").text
    # A school's own editors cannot change the trust's articles from the school.
    tech = login_as(make.user(role="technician", school=oak))
    assert tech.get(f"/s/oak/guidance/{article.id}/edit").status_code == 404


def test_a_plural_finds_the_singular(app, make):
    from services.desk import knowledge
    from tests.conftest import data as _data
    oak = make.school("oak")
    with _data(app):
        knowledge.create_article(trust_id=oak.trust_id, school=None, title="The projector will not turn on",
                                 body="Check the wall switch.", status="published", by=None)
        found = [a.title for a in knowledge.search("Projectors", oak.id)]
        assert found == ["The projector will not turn on"]
        assert [a.title for a in knowledge.search("switches", oak.id)] == ["The projector will not turn on"]
