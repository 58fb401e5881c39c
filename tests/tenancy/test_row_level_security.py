"""PostgreSQL's own row-level security: even SQL that skips the ORM guard sees only the scope's schools."""
import pytest
from sqlalchemy import text

from tests.conftest import data
from trust_it.extensions import db


@pytest.fixture
def two_schools_with_tickets(app, backend, make):
    if backend != "postgres":
        pytest.skip("row-level security is PostgreSQL's")
    oak, elm = make.school("oak"), make.school("elm")
    make.ticket(oak, title="Oak projector")
    make.ticket(elm, title="Elm printer")
    return oak, elm


def _titles(app, ids: str | None) -> list[str]:
    with app.app_context():
        with db.engine.begin() as conn:
            if ids is not None:
                conn.execute(text("SELECT set_config('trust_it.school_ids', :ids, true)"), {"ids": ids})
            return sorted(conn.execute(text("SELECT title FROM tickets")).scalars())


def test_raw_sql_sees_only_the_schools_in_scope(app, two_schools_with_tickets):
    oak, elm = two_schools_with_tickets
    assert _titles(app, str(oak.id)) == ["Oak projector"]
    assert _titles(app, f"{oak.id},{elm.id}") == ["Elm printer", "Oak projector"]


def test_with_no_scope_the_database_shows_nothing(app, two_schools_with_tickets):
    assert _titles(app, None) == []
    assert _titles(app, "") == []


def test_jobs_and_the_cli_see_everything_through_the_escape_hatch(app, two_schools_with_tickets):
    assert _titles(app, "*") == ["Elm printer", "Oak projector"]
    with data(app) as s:  # unscoped(), as jobs use
        assert len(s.execute(text("SELECT id FROM tickets")).all()) == 2


def test_a_write_into_another_school_is_refused(app, two_schools_with_tickets):
    oak, elm = two_schools_with_tickets
    from sqlalchemy.exc import ProgrammingError
    with app.app_context():
        with pytest.raises(ProgrammingError, match="row-level security"):
            with db.engine.begin() as conn:
                conn.execute(text("SELECT set_config('trust_it.school_ids', :ids, true)"), {"ids": str(oak.id)})
                conn.execute(text("INSERT INTO school_closures (school_id, day, kind, name) "
                                  "VALUES (:s, '2026-12-01', 'other', 'Sneaky')"), {"s": elm.id})
