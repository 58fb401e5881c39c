"""Training sessions: an educational technologist records a session and links the
"how do I…" requests it answered."""
from sqlalchemy import select

from services.desk.models import TicketEvent, TrainingSession, TrainingTicket
from tests.conftest import data


def test_edtech_records_a_session_linked_to_guidance_requests(app, make, login_as):
    oak = make.school("oak")
    staff = make.user(role="staff", school=oak)
    first = make.ticket(oak, staff, title="How do I set homework in Teams?", kind="guidance")
    second = make.ticket(oak, staff, title="How do I mark assignments?", kind="guidance")
    edtech_user = make.user(role="edtech", school=oak, name="Priya Shah")
    edtech = login_as(edtech_user)

    form = edtech.get("/s/oak/training/new")
    assert form.status_code == 200
    assert f'<option selected value="{edtech_user.id}">Priya Shah</option>' in form.text  # led by me
    response = edtech.post("/s/oak/training/new", data={
        "held_on": "2026-10-07", "topic": "Assignments in Teams", "led_by": str(edtech_user.id),
        "attendees": "Mr Jones\n\n  Ms Patel \nMrs Green", "notes": "Twilight session",
        "tickets": f"{first.reference}, {second.reference.lower()}"})
    assert response.status_code == 302
    page = edtech.get(response.headers["Location"]).text
    assert "Assignments in Teams" in page and "Ms Patel" in page
    assert first.reference in page and second.reference in page

    listing = edtech.get("/s/oak/training").text
    assert "Assignments in Teams" in listing and "Priya Shah" in listing
    with data(app) as s:
        session = s.execute(select(TrainingSession)).scalar_one()
        assert session.attendee_count == 3
        assert len(s.execute(select(TrainingTicket)).all()) == 2
        notes = s.execute(select(TicketEvent.body).where(TicketEvent.ticket_id == first.id,
                                                         TicketEvent.kind == "note")).scalars().all()
    assert any("Assignments in Teams" in n for n in notes)


def test_a_reference_that_is_not_a_guidance_request_of_the_school_is_refused(app, make, login_as):
    oak, elm = make.school("oak"), make.school("elm")
    incident = make.ticket(oak, make.user(role="staff", school=oak), kind="incident")
    elm_ticket = make.ticket(elm, make.user(role="staff", school=elm), kind="guidance")
    edtech_user = make.user(role="edtech", school=oak)
    edtech = login_as(edtech_user)
    base = {"held_on": "2026-10-07", "topic": "Teams", "led_by": str(edtech_user.id), "attendees": ""}
    for refs, message in ((incident.reference, "is not a “How do I…?” request"),
                          (elm_ticket.reference, "is not a request of Oak School"),
                          ("OAK-999999", "There is no request OAK-999999"),
                          ("hello", "is not a request reference")):
        response = edtech.post("/s/oak/training/new", data={**base, "tickets": refs})
        assert response.status_code == 422, refs
        assert message in response.text
    with data(app) as s:
        assert s.execute(select(TrainingSession)).first() is None


def test_edtech_edits_a_session_and_unlinks_a_request(app, make, login_as):
    oak = make.school("oak")
    staff = make.user(role="staff", school=oak)
    first = make.ticket(oak, staff, kind="guidance")
    second = make.ticket(oak, staff, kind="guidance")
    edtech_user = make.user(role="edtech", school=oak)
    edtech = login_as(edtech_user)
    base = {"held_on": "2026-10-07", "topic": "OneNote basics", "led_by": str(edtech_user.id),
            "attendees": "Mr Jones"}
    url = edtech.post("/s/oak/training/new", data={**base, "tickets": f"{first.reference} {second.reference}"}) \
        .headers["Location"]
    assert edtech.post(url, data={**base, "topic": "OneNote class notebooks",
                                  "tickets": second.reference}).status_code == 302
    page = edtech.get(url).text
    assert "OneNote class notebooks" in page
    assert second.reference in page and first.reference not in page


def test_staff_cannot_see_training_and_another_schools_session_is_a_404(app, make, login_as):
    oak, elm = make.school("oak"), make.school("elm")
    elm_edtech = make.user(role="edtech", school=elm)
    url = login_as(elm_edtech).post("/s/elm/training/new", data={
        "held_on": "2026-10-07", "topic": "Elm's secret session", "led_by": str(elm_edtech.id)}).headers["Location"]
    training_id = url.rsplit("/", 1)[1]
    assert login_as(make.user(role="staff", school=oak)).get("/s/oak/training").status_code == 403
    oak_edtech = login_as(make.user(role="edtech", school=oak))
    assert oak_edtech.get(f"/s/oak/training/{training_id}").status_code == 404
    assert oak_edtech.get(f"/s/elm/training/{training_id}").status_code == 404
    assert "Elm's secret session" not in oak_edtech.get("/s/oak/training").text
    # An MSP engineer reads the school's sessions but cannot change them.
    msp = login_as(make.user(role="msp_engineer", school=elm))
    assert "Elm&#39;s secret session" in msp.get("/s/elm/training").text
    assert msp.post(url, data={"held_on": "2026-10-08", "topic": "Changed"}).status_code == 403
