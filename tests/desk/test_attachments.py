"""Files on requests: a photo of the fault goes with it; programs and huge files do not; only people
who may see the request can download its files."""
import io
import zipfile

from sqlalchemy import select

from services.desk import tickets
from services.desk.attachments import path_of, save_upload
from services.desk.models import Attachment, Ticket
from tests.conftest import data

# A 1×1 pixel PNG: a real image, as a phone's screenshot would be.
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00\x00"
       b"\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(200)


class _Storage:
    """What a form upload looks like to the service (a name and a stream)."""

    def __init__(self, filename, content):
        self.filename, self.stream = filename, io.BytesIO(content)


def _raise(client, *files, title="Projector flashing orange"):
    return client.post("/s/oak/tickets/new", data={
        "title": title, "kind": "incident", "impact": "3", "urgency": "2",
        "attachments": [(io.BytesIO(content), name) for content, name in files]},
        content_type="multipart/form-data")


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def test_a_photo_goes_with_the_request_and_the_requester_can_download_it(app, make, login_as):
    oak = make.school("oak")
    teacher = make.user(role="staff", school=oak)
    client = login_as(teacher)
    raised = _raise(client, (PNG, "projector.png"))
    assert raised.status_code == 302
    page = client.get(raised.headers["Location"]).text
    assert "projector.png" in page
    with data(app) as s:
        attachment = s.execute(select(Attachment)).scalar_one()
        assert (attachment.content_type, attachment.size) == ("image/png", len(PNG))

    download = client.get(f"{raised.headers['Location']}/attachments/{attachment.id}")
    assert download.status_code == 200
    assert download.data == PNG
    assert download.mimetype == "image/png"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "projector.png" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    # The technician sees it too; a colleague of the teacher does not.
    assert login_as(make.user(role="technician", school=oak)).get(
        f"{raised.headers['Location']}/attachments/{attachment.id}").status_code == 200
    assert login_as(make.user(role="staff", school=oak)).get(
        f"{raised.headers['Location']}/attachments/{attachment.id}").status_code == 404


def test_a_program_renamed_as_a_picture_is_refused(app, make, login_as):
    oak = make.school("oak")
    response = _raise(login_as(make.user(role="staff", school=oak)), (EXE, "holiday-photo.png"))
    assert response.status_code == 422
    assert "“holiday-photo.png” is not a type we accept" in response.text
    with data(app) as s:
        assert s.execute(select(Ticket)).first() is None  # nothing half-raised


def test_a_file_over_5_mb_is_refused(app, make, login_as):
    oak = make.school("oak")
    big = PNG + bytes(6 * 1024 * 1024)
    response = _raise(login_as(make.user(role="staff", school=oak)), (big, "huge.png"))
    assert response.status_code == 422
    assert "“huge.png” is larger than 5 MB" in response.text
    with data(app) as s:
        assert s.execute(select(Attachment)).first() is None


def test_at_most_five_files_at_a_time(app, make, login_as):
    oak = make.school("oak")
    response = _raise(login_as(make.user(role="staff", school=oak)), *[(PNG, f"p{n}.png") for n in range(6)])
    assert response.status_code == 422 and "Attach at most 5 files at a time." in response.text


def test_word_files_and_text_are_accepted_but_any_zip_is_not(app, make, login_as):
    oak = make.school("oak")
    client = login_as(make.user(role="staff", school=oak))
    assert _raise(client, (_docx(), "steps.docx"), (b"Error 0x80070005\n", "error.txt")).status_code == 302
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as z:
        z.writestr("virus.exe", EXE)
    assert _raise(client, (plain_zip.getvalue(), "report.docx")).status_code == 422
    with data(app) as s:
        names = sorted((a.filename, a.content_type) for a in s.execute(select(Attachment)).scalars())
    assert names == [("error.txt", "text/plain"),
                     ("steps.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")]


def test_a_reply_can_carry_a_file_and_a_note_keeps_its_file_from_the_requester(app, make, login_as):
    oak = make.school("oak")
    teacher, tech = make.user(role="staff", school=oak), make.user(role="technician", school=oak)
    ticket = make.ticket(oak, teacher)
    worker = login_as(tech)
    worker.post(f"/s/oak/tickets/{ticket.id}/reply", content_type="multipart/form-data", data={
        "reply-body": "Serial number photo", "reply-internal": "y",
        "reply-attachments": [(io.BytesIO(PNG), "serial.png")]})
    login_as(teacher).post(f"/s/oak/tickets/{ticket.id}/reply", content_type="multipart/form-data", data={
        "reply-body": "Here is the screen", "reply-attachments": [(io.BytesIO(PNG), "screen.png")]})
    with data(app) as s:
        files = {a.filename: a.id for a in s.execute(select(Attachment)).scalars()}
    requester = login_as(teacher)
    assert requester.get(f"/s/oak/tickets/{ticket.id}/attachments/{files['screen.png']}").status_code == 200
    assert requester.get(f"/s/oak/tickets/{ticket.id}/attachments/{files['serial.png']}").status_code == 404
    assert worker.get(f"/s/oak/tickets/{ticket.id}/attachments/{files['serial.png']}").status_code == 200


def test_another_schools_file_is_not_found(app, make, login_as):
    oak, elm = make.school("oak"), make.school("elm")
    tech = make.user(role="technician", school=oak)
    mine = make.ticket(oak, make.user(role="staff", school=oak))
    theirs = make.ticket(elm, make.user(role="staff", school=elm))
    with data(app) as s:
        ticket = s.get(Ticket, theirs.id)
        ev = tickets.reply(ticket, by=None, body="Photo attached")
        elm_file = save_upload(ticket, ev, _Storage("elm.png", PNG))
    client = login_as(tech)
    missing = client.get(f"/s/oak/tickets/{mine.id}/attachments/987654").status_code
    assert client.get(f"/s/oak/tickets/{mine.id}/attachments/{elm_file.id}").status_code == missing == 404
    assert client.get(f"/s/elm/tickets/{theirs.id}/attachments/{elm_file.id}").status_code == 404


def test_a_file_is_stored_outside_the_database_by_its_hash(app, make):
    oak = make.school("oak")
    ticket = make.ticket(oak, make.user(role="staff", school=oak))
    with data(app) as s:
        saved = save_upload(s.get(Ticket, ticket.id), None, _Storage("shot.PNG", PNG))
        path = path_of(saved)
    assert path.read_bytes() == PNG and path.parent.name == str(oak.id) and path.name == saved.sha256
    assert saved.filename == "shot.PNG"


def test_a_picture_with_the_wrong_extension_gets_the_right_one(app, make):
    oak = make.school("oak")
    ticket = make.ticket(oak, make.user(role="staff", school=oak))
    with data(app) as s:
        saved = save_upload(s.get(Ticket, ticket.id), None, _Storage("page.html", PNG))
    assert (saved.filename, saved.content_type) == ("page.png", "image/png")

