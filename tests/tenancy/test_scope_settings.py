"""The database is told the scope once per transaction and scope, and always before it matters.

Row-level security reads `trust_it.school_ids` from the transaction. A request first loads who
is asking (unscoped), then works in their scope: two settings, so at most two `set_config`
statements, whatever the number of queries or unscoped() blocks that do not change anything.
"""
from contextlib import contextmanager

import pytest
from sqlalchemy import event, text

from trust_it.extensions import db
from trust_it.tenancy import Scope, set_scope, unscoped


@pytest.fixture
def pg(backend):
    if backend != "postgres":
        pytest.skip("the scope is told to PostgreSQL only")


@contextmanager
def set_config_statements(app):
    sent = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if "set_config(" in statement:
            sent.append(parameters)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
def trust_with_backlog(app, make):
    oak, elm = make.school("oak"), make.school("elm")
    for school in (oak, elm):
        for n in range(3):
            make.ticket(school, title=f"{school.slug} ticket {n}")
    return oak, elm


@pytest.mark.parametrize("who,path", [
    ("technician", "/s/oak/queue"),
    ("technical", "/trust/escalations"),
    ("it_director", "/trust/"),
    ("technical", "/api/v1/tickets/?open=true&limit=2"),
])
def test_a_request_tells_the_database_who_is_asking_at_most_twice(app, pg, make, login_as, trust_with_backlog,
                                                                   who, path):
    oak, _ = trust_with_backlog
    user = make.user(who, school=oak if who == "technician" else None)
    client = login_as(user)
    with set_config_statements(app) as sent:
        response = client.get(path)
    assert response.status_code == 200
    assert 1 <= len(sent) <= 2, sent  # signing in (everything) then the person's scope
    assert len(set(map(str, sent))) == len(sent)  # never the same settings twice


@contextmanager
def in_scope_of(app, school):
    """A request's session scoped to one school; yields how many tickets raw SQL sees."""
    with app.app_context(), app.test_request_context():
        set_scope(Scope(user_id=1, trust_id=school.trust_id, school_ids=(school.id,)))
        yield lambda: db.session.execute(text("SELECT count(*) FROM tickets")).scalar()
        db.session.rollback()
        db.session.remove()


def test_the_scope_is_back_in_force_after_an_unscoped_block(app, pg, trust_with_backlog):
    oak, _ = trust_with_backlog
    with in_scope_of(app, oak) as seen:
        assert seen() == 3
        with unscoped():
            assert seen() == 6
        assert seen() == 3


def test_a_rolled_back_savepoint_does_not_leave_the_database_unscoped(app, pg, trust_with_backlog):
    oak, _ = trust_with_backlog
    with in_scope_of(app, oak) as seen:
        assert seen() == 3
        savepoint = db.session.begin_nested()
        with unscoped():
            assert seen() == 6
        savepoint.rollback()
        with unscoped():
            assert seen() == 6  # the savepoint took '*' away with it: it is sent again
        assert seen() == 3


def test_sql_sent_through_the_session_connection_runs_in_scope(app, pg, trust_with_backlog):
    oak, _ = trust_with_backlog
    with in_scope_of(app, oak):
        with unscoped():  # a job's first statement, straight on the connection
            assert db.session.connection().execute(text("SELECT count(*) FROM tickets")).scalar() == 6
