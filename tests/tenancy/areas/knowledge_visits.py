"""Guidance articles, training sessions and visits of one school, for the tenancy probe."""
from datetime import date, datetime

from services.desk import knowledge, training, visits
from services.directory.models import School, User
from tests.conftest import data


def side(app, make, trust, school, word):
    engineer = make.user(role="technician", school=school, trust=trust, name=f"{word} Engineer",
                         email=f"{word.lower()}-engineer@{school.slug}.sch.uk")
    with data(app) as s:
        sch = s.get(School, school.id)
        article = knowledge.create_article(trust_id=trust.id, school=sch, title=f"{word} Article",
                                           body=f"{word} Article body.", keywords=f"{word} keyword",
                                           status="published", by=None)
        session = training.create_session(sch, held_on=date(2026, 9, 10), topic=f"{word} Training",
                                          led_by=None, attendees=f"{word} Attendee", by=None)
        visit = visits.plan_visit(sch, engineer=s.get(User, engineer.id), starts_at=datetime(2026, 9, 14, 8),
                                  ends_at=datetime(2026, 9, 14, 12), notes=f"{word} Visit", by=None)
    return ({"article_id": article.id, "training_id": session.id, "visit_id": visit.id},
            [f"{word} Article", f"{word} Training", f"{word} Attendee", f"{word} Visit"])
