"""Password guessing is slowed down, but strangers cannot lock the owner out of their account."""
from sqlalchemy import select

from services.desk.models import Notification
from tests.conftest import PASSWORD, data, login, new_client


def _guess(app, email, n=1, client=None):
    client = client or new_client(app)
    return client.post("/login", data={"email": email, "password": f"guess {n}"}).status_code


def _client_at(app, address):
    client = new_client(app)
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_twenty_wrong_guesses_from_other_addresses_do_not_lock_the_owner_out(app, make):
    make.user(role="staff", school=make.school("oak"), email="amira@oak.sch.uk")
    assert [_guess(app, "amira@oak.sch.uk", i) for i in range(20)] == [401] * 20  # 20 addresses, one guess each
    owner = new_client(app)  # an address of her own that has never guessed
    assert owner.post("/login", data={"email": "amira@oak.sch.uk", "password": PASSWORD}).status_code == 302


def test_one_address_guessing_one_account_is_stopped_for_that_account_only(app, make, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "1000 per minute")  # look past the per-minute limit
    oak = make.school("oak")
    amira = make.user(role="staff", school=oak, email="amira@oak.sch.uk")
    colleague = make.user(role="staff", school=oak, email="ben@oak.sch.uk")
    guesser = new_client(app)
    assert [_guess(app, "amira@oak.sch.uk", i, guesser) for i in range(20)] == [401] * 20
    # Even the right password from that address is refused for that account...
    assert guesser.post("/login", data={"email": amira.email, "password": PASSWORD}).status_code == 429
    # ...while the same address may still sign in to another account, and the owner elsewhere.
    login(guesser, colleague)
    login(new_client(app), amira)


def test_past_the_account_cap_only_addresses_the_owner_has_used_get_in(app, make, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_RATE_LIMIT", "15 per 10 minutes")
    amira = make.user(role="staff", school=make.school("oak"), email="amira@oak.sch.uk")
    home = _client_at(app, "192.0.2.10")
    login(home, amira)
    home.post("/logout")

    assert [_guess(app, amira.email, i) for i in range(15)] == [401] * 15  # a botnet, one guess per address

    stranger = new_client(app)
    refused = stranger.post("/login", data={"email": amira.email, "password": PASSWORD})
    assert refused.status_code == 429 and "signed in to it before" in refused.text
    # Home is an address she has signed in from: she gets in.
    assert _client_at(app, "192.0.2.10").post(
        "/login", data={"email": amira.email, "password": PASSWORD}).status_code == 302
    # An address with no account is answered exactly like one with an account.
    assert [_guess(app, "nobody@oak.sch.uk", i) for i in range(16)] == [401] * 15 + [429]


def test_the_owner_is_emailed_once_when_their_account_is_being_guessed(app, make):
    amira = make.user(role="staff", school=make.school("oak"), email="amira@oak.sch.uk", name="Amira Khan")
    for i in range(9):
        _guess(app, amira.email, i)
    with data(app) as s:
        assert s.execute(select(Notification)).scalars().all() == []
    for i in range(5):
        _guess(app, amira.email, i)
    with data(app) as s:
        notes = s.execute(select(Notification)).scalars().all()
    assert [(n.to_address, n.kind, n.trust_id) for n in notes] == [(amira.email, "sign_in_guessing", amira.trust_id)]
    assert "wrong password for your trust-it account" in notes[0].body and "10 times" in notes[0].body


def test_with_rate_limiting_switched_off_sign_in_still_works(app, make, monkeypatch):
    # An operator may set RATELIMIT_ENABLED=False (the bench does): then nothing is counted, and
    # a wrong password is still a plain refusal, never a server error.
    from trust_it.extensions import limiter
    # What init_app leaves when the setting is off: no storage and no strategy behind the limiter.
    monkeypatch.setattr(limiter, "enabled", False)
    monkeypatch.setattr(limiter, "_limiter", None)
    amira = make.user(role="staff", school=make.school("oak"), email="amira@oak.sch.uk")
    assert _guess(app, amira.email) == 401
    login(new_client(app), amira)
