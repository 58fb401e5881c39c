from sqlalchemy import func, select

from services.desk.generate import seed_tickets
from services.desk.models import Ticket, TicketEvent
from services.directory.generate import seed_trust
from tests.conftest import data


def test_the_generator_writes_a_believable_history(app):
    with data(app) as s:
        trust = seed_trust(schools=3, users_per_school=5, name="Generated")
        count = seed_tickets(trust, years=0.5, per_pupil=1.0)
        total = s.execute(select(func.count()).select_from(Ticket)).scalar()
        events = s.execute(select(func.count()).select_from(TicketEvent)).scalar()
        open_with_clock = s.execute(select(func.count()).select_from(Ticket).where(
            Ticket.status != "closed", Ticket.resolution_due_at.isnot(None))).scalar()
        numbers = s.execute(select(Ticket.school_id, func.count(), func.count(func.distinct(Ticket.number)))
                            .group_by(Ticket.school_id)).all()
    assert count == total > 100 and events == total
    assert open_with_clock > 0
    assert all(n == distinct for _, n, distinct in numbers)  # references are unique per school
