"""Ending a session ends it on the server: a copied session cookie is refused afterwards."""
from sqlalchemy import func, select

from services.audit.models import AuditEvent
from services.desk.models import Ticket
from services.directory.models import UserSession
from tests.conftest import PASSWORD, data, login, new_client

NEW_PASSWORD = "a much longer new passphrase"
TICKET = {"title": "Projector in room 12 will not turn on", "description": "Lamp light flashing.",
          "kind": "incident", "impact": "2", "urgency": "1"}


def _copy_of(app, client):
    """Another browser holding a copy of `client`'s session cookie (as a thief would)."""
    thief = new_client(app)
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    thief.set_cookie(cookie.key, cookie.value)
    return thief


def _is_signed_out(client) -> bool:
    response = client.get("/s/oak/")
    return response.status_code == 302 and "/login" in response.headers["Location"]


def _tickets(app) -> int:
    with data(app) as s:
        return s.execute(select(func.count(Ticket.id))).scalar()


def test_a_copied_cookie_is_refused_after_sign_out_and_cannot_raise_a_ticket(app, make):
    oak = make.school("oak")
    teacher = make.user(role="staff", school=oak, email="amira@oak.sch.uk")
    client = new_client(app)
    login(client, teacher)
    thief = _copy_of(app, client)
    assert thief.get("/s/oak/").status_code == 200  # the copy works while the session is open

    assert client.post("/logout").status_code == 302

    assert _is_signed_out(thief)
    raised = thief.post("/s/oak/tickets/new", data=TICKET)
    assert raised.status_code == 302 and "/login" in raised.headers["Location"]
    assert thief.get("/api/v1/me").status_code == 401
    assert _tickets(app) == 0


def test_signing_in_again_does_not_revive_an_ended_session(app, make):
    oak = make.school("oak")
    teacher = make.user(role="staff", school=oak)
    client = new_client(app)
    login(client, teacher)
    thief = _copy_of(app, client)
    client.post("/logout")
    login(client, teacher)
    assert client.get("/s/oak/").status_code == 200
    assert _is_signed_out(thief)


def test_sign_out_everywhere_ends_every_browser_of_the_person_only(app, make):
    oak = make.school("oak")
    teacher = make.user(role="staff", school=oak, email="amira@oak.sch.uk")
    colleague = make.user(role="staff", school=oak)
    phone, laptop, theirs = new_client(app), new_client(app), new_client(app)
    login(phone, teacher)
    login(laptop, teacher)
    login(theirs, colleague)
    page = laptop.get("/account/tokens")
    assert "signed in on 2 browsers" in page.text and "Sign out everywhere" in page.text

    response = laptop.post("/account/sign-out-everywhere")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")

    assert _is_signed_out(phone) and _is_signed_out(laptop)
    assert phone.post("/s/oak/tickets/new", data=TICKET).status_code == 302
    assert _tickets(app) == 0
    assert theirs.get("/s/oak/").status_code == 200
    with data(app) as s:
        assert s.execute(select(AuditEvent).where(AuditEvent.action == "auth.signed_out_everywhere",
                                                  AuditEvent.actor_id == teacher.id)).scalar() is not None


def test_a_password_change_signs_out_other_browsers_and_keeps_this_one(app, make):
    oak = make.school("oak")
    teacher = make.user(role="staff", school=oak, email="amira@oak.sch.uk")
    here, elsewhere = new_client(app), new_client(app)
    login(here, teacher)
    login(elsewhere, teacher)
    copy_of_here = _copy_of(app, here)

    changed = here.post("/account/password", data={"current_password": PASSWORD, "password": NEW_PASSWORD,
                                                    "confirm": NEW_PASSWORD})
    assert changed.status_code == 302, changed.text

    assert here.get("/s/oak/").status_code == 200  # carries on, in a fresh session
    assert _is_signed_out(elsewhere)
    assert _is_signed_out(copy_of_here)  # the cookie from before the change is dead too
    assert new_client(app).post("/login", data={"email": teacher.email, "password": PASSWORD}).status_code == 401
    login(new_client(app), teacher, password=NEW_PASSWORD)


def test_a_password_change_needs_the_current_password_and_a_long_new_one(app, make):
    teacher = make.user(role="staff", school=make.school("oak"))
    client = new_client(app)
    login(client, teacher)
    wrong = client.post("/account/password", data={"current_password": "not it at all", "password": NEW_PASSWORD,
                                                   "confirm": NEW_PASSWORD})
    assert wrong.status_code == 422 and "not your current password" in wrong.text
    short = client.post("/account/password", data={"current_password": PASSWORD, "password": "short",
                                                   "confirm": "short"})
    assert short.status_code == 422 and "at least 12 characters" in short.text
    differ = client.post("/account/password", data={"current_password": PASSWORD, "password": NEW_PASSWORD,
                                                    "confirm": NEW_PASSWORD + "x"})
    assert differ.status_code == 422 and "differ" in differ.text
    assert client.get("/s/oak/").status_code == 200
    login(new_client(app), teacher)  # the old password still works


def test_guessing_the_current_password_is_limited_and_recorded_like_guessing_a_sign_in(app, make, monkeypatch):
    # Someone at an unlocked computer must not be able to guess the owner's password here at will.
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_ADDRESS_RATE_LIMIT", "3 per 10 minutes")
    teacher = make.user(role="staff", school=make.school("oak"))
    client = new_client(app)
    login(client, teacher)
    guesses = [client.post("/account/password", data={"current_password": f"guess {i}", "password": NEW_PASSWORD,
                                                      "confirm": NEW_PASSWORD}).status_code for i in range(3)]
    assert guesses == [422] * 3
    right = client.post("/account/password", data={"current_password": PASSWORD, "password": NEW_PASSWORD,
                                                   "confirm": NEW_PASSWORD})
    assert right.status_code == 429  # stopped, as the sign-in page would stop this address for this account
    with data(app) as s:
        refused = s.execute(select(func.count()).select_from(AuditEvent)
                            .where(AuditEvent.action == "auth.password_refused")).scalar()
    assert refused == 3
    login(new_client(app), teacher)  # the password is unchanged


def test_an_account_without_a_password_has_no_password_page(app, make, login_as):
    teacher = make.user(role="staff", school=make.school("oak"))
    client = login_as(teacher)
    with data(app) as s:
        from services.directory.models import User
        s.get(User, teacher.id).password_hash = None
    assert client.get("/account/password").status_code == 404
    assert "Change your password" not in client.get("/account/tokens").text


def test_each_sign_in_keeps_only_a_hash_of_the_cookie_key(app, make):
    teacher = make.user(role="staff", school=make.school("oak"))
    client = new_client(app)
    login(client, teacher)
    with client.session_transaction() as s:
        key = s["sid"]
    with data(app) as s:
        ids = s.execute(select(UserSession.id).where(UserSession.user_id == teacher.id)).scalars().all()
    assert len(ids) == 1 and key not in ids[0] and len(ids[0]) == 64


def test_the_session_check_is_one_query_joined_to_the_user(app, make, login_as):
    from sqlalchemy import event

    from trust_it.extensions import db
    client = login_as(make.user(role="staff", school=make.school("oak")))
    statements = []
    with app.app_context():
        engine = db.engine

    def seen(conn, cursor, statement, *args):
        statements.append(statement)
    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert client.get("/s/oak/").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    about_sessions = [s for s in statements if "user_sessions" in s]
    assert len(about_sessions) == 1 and "JOIN user_sessions" in about_sessions[0]
    assert not any(s.lstrip().upper().startswith("SELECT") and "FROM users" in s and "user_sessions" not in s
                   and "WHERE users.id =" in s for s in statements)
