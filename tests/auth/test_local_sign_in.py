from datetime import datetime, timedelta

from sqlalchemy import select

from services.audit.models import AuditEvent
from services.directory import people
from services.directory.models import User
from tests.conftest import PASSWORD, data, login, new_client


def test_good_password_signs_in_and_is_audited(app, client, make):
    oak = make.school("oak")
    tech = make.user(role="technician", school=oak, email="dan@oak.sch.uk")
    response = client.post("/login", data={"email": "Dan@Oak.sch.uk ", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").headers["Location"].endswith("/s/oak/queue")  # technicians land on their queue
    with data(app) as s:
        actions = s.execute(select(AuditEvent.action).where(AuditEvent.actor_id == tech.id)).scalars().all()
    assert "auth.sign_in" in actions


def test_wrong_password_is_refused_with_a_clear_message(app, client, make):
    make.user(role="staff", school=make.school("oak"), email="amira@oak.sch.uk")
    response = client.post("/login", data={"email": "amira@oak.sch.uk", "password": "not the password"})
    assert response.status_code == 401
    assert "do not match an active account" in response.text
    assert client.get("/").status_code == 302  # still signed out: sent back to sign in
    with data(app) as s:
        assert s.execute(select(AuditEvent).where(AuditEvent.action == "auth.sign_in_failed")).scalar() is not None


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(client, make):
    response = client.post("/login", data={"email": "nobody@oak.sch.uk", "password": "whatever it is"})
    assert response.status_code == 401
    assert "do not match an active account" in response.text


def test_repeated_sign_in_attempts_are_rate_limited(app, make):
    make.user(role="staff", school=make.school("oak"), email="amira@oak.sch.uk")
    client = new_client(app)
    codes = [client.post("/login", data={"email": "amira@oak.sch.uk", "password": f"guess {i}"}).status_code
             for i in range(12)]
    assert codes[:10] == [401] * 10
    assert codes[10] == 429
    # Even the right password waits until the minute is over.
    assert client.post("/login", data={"email": "amira@oak.sch.uk", "password": PASSWORD}).status_code == 429
    # Someone at another address is not locked out.
    other = new_client(app)
    assert other.post("/login", data={"email": "amira@oak.sch.uk", "password": PASSWORD}).status_code == 302


def test_sign_in_starts_a_fresh_session(app, client, make):
    user = make.user(role="staff", school=make.school("oak"))
    with client.session_transaction() as s:
        s["planted_by_attacker"] = "x"
    login(client, user)
    with client.session_transaction() as s:
        assert "planted_by_attacker" not in s
        assert s["_user_id"].startswith(f"{user.id}:")


def test_sign_out_ends_the_session(client, make):
    user = make.user(role="staff", school=make.school("oak"))
    login(client, user)
    assert client.get("/s/oak/").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/s/oak/").status_code == 302
    with client.session_transaction() as s:
        assert "_user_id" not in s


def test_deactivation_ends_open_sessions_and_blocks_sign_in(app, client, make):
    user = make.user(role="staff", school=make.school("oak"))
    login(client, user)
    with data(app) as s:
        people.set_active(s.get(User, user.id), False)
    assert client.get("/s/oak/").status_code == 302  # signed out on the next request
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 401


def test_an_expired_membership_grants_nothing(app, make, login_as):
    oak = make.school("oak")
    engineer = make.user(role="msp_engineer", school=oak, expires_at=datetime.utcnow() - timedelta(minutes=1))
    client = login_as(engineer)
    home = client.get("/")
    assert home.status_code == 403
    assert "no access" in home.text.lower()
    assert client.get("/s/oak/").status_code == 404


def test_next_parameter_only_follows_local_paths(client, make):
    user = make.user(role="staff", school=make.school("oak"))
    client.get("/login?next=https://evil.example/")
    assert login(client, user).headers["Location"] == "/"
    client.post("/logout")
    client.get("/login?next=/s/oak/calendar")
    assert login(client, user).headers["Location"] == "/s/oak/calendar"
