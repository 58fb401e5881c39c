"""A trust's terms are read from its schools' half-terms; without dates the convention stands in."""
from datetime import date

from services.directory.models import Term
from services.strategy import periods
from trust_it.extensions import db
from trust_it.tenancy import unscoped


def _term(school, name, starts, ends):
    db.session.add(Term(school_id=school.id, name=name, starts_on=starts, ends_on=ends))


def test_half_terms_of_a_season_make_one_term_spanning_every_school(app, make):
    with app.app_context(), unscoped():
        a, b = make.school("oak"), make.school("elm")
        _term(a, "Autumn 1", date(2026, 9, 3), date(2026, 10, 23))
        _term(a, "Autumn 2", date(2026, 11, 2), date(2026, 12, 18))
        _term(b, "Autumn 1", date(2026, 9, 2), date(2026, 10, 23))
        _term(b, "Autumn 2", date(2026, 11, 2), date(2026, 12, 19))
        _term(a, "Spring 1", date(2027, 1, 5), date(2027, 2, 12))
        db.session.flush()
        trust_id = a.trust_id
        known = periods.terms(trust_id)
        assert [(p.season, p.starts_on, p.ends_on) for p in known] == [
            ("autumn", date(2026, 9, 2), date(2026, 12, 19)), ("spring", date(2027, 1, 5), date(2027, 2, 12))]
        autumn = periods.term_at(trust_id, date(2026, 12, 3))
        assert autumn.label == "Autumn term 2026–27" and autumn.key == "2026-autumn"
        # In the Christmas holiday the autumn term is still "this term".
        assert periods.term_at(trust_id, date(2026, 12, 28)) == autumn
        assert periods.term_at(trust_id, date(2027, 1, 5)).season == "spring"
        assert periods.parse(trust_id, "2026-autumn") == autumn
        assert periods.parse(trust_id, "2026-winter") is None
        assert periods.parse(trust_id, "2026-year").ends_on == date(2027, 8, 31)


def test_without_term_dates_the_convention_stands_in(app, make):
    with app.app_context(), unscoped():
        school = make.school("oak")
        db.session.flush()
        this = periods.term_at(school.trust_id, date(2027, 5, 10))
        assert (this.season, this.starts_on, this.ends_on) == ("summer", date(2027, 4, 1), date(2027, 7, 31))
        last = periods.previous_term(school.trust_id, this)
        assert (last.season, last.year) == ("spring", 2026)
        assert periods.previous_term(school.trust_id, periods.term_at(school.trust_id, date(2026, 10, 1))).season \
            == "summer"
