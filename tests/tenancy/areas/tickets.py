"""The tenancy probe's tickets: one per school, with a public reply carrying a small PNG."""
import io

from services.desk import tickets
from services.desk.attachments import save_upload
from services.desk.models import Ticket
from tests.conftest import data

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00\x00"
       b"\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")


class _Upload:
    def __init__(self, filename, content):
        self.filename, self.stream = filename, io.BytesIO(content)


def side(app, make, trust, school, word):
    ticket = make.ticket(school, None, title=f"{word} Ticket")
    with data(app) as s:
        t = s.get(Ticket, ticket.id)
        reply = tickets.reply(t, by=None, body=f"{word} Reply", public=True)
        attachment = save_upload(t, reply, _Upload(f"{word}-screenshot.png", PNG))
    return ({"ticket_id": ticket.id, "attachment_id": attachment.id},
            [f"{word} Ticket", f"{word} Reply", f"{word}-screenshot.png"])
