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


def test_a_backlog_is_spread_over_every_school_and_one_school_has_the_backlog_asked_for(app):
    from datetime import datetime

    from services.desk.generate import spread_backlog
    from services.directory.models import School
    with data(app) as s:
        trust = seed_trust(schools=6, users_per_school=3, name="Backlogged")
        seed_tickets(trust, years=0.5, per_pupil=1.0)
        behind = spread_backlog(trust, 120, now=datetime(2026, 3, 2, 11, 0), worst=40)
        open_by_school = dict(s.execute(select(Ticket.school_id, func.count()).where(
            Ticket.status != "closed", Ticket.sla_next_check_at.isnot(None)).group_by(Ticket.school_id)).all())
        schools = s.execute(select(School.id)).scalars().all()
    assert sum(open_by_school.values()) == 120
    assert open_by_school[behind.id] == 40
    assert set(open_by_school) == set(schools)  # no school is left without a backlog
    assert len(set(open_by_school.values())) > 2  # schools differ, as real backlogs do
