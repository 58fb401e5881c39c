"""Bootstrapping a deployment from the command line."""
from sqlalchemy import select

from services.directory.models import User
from tests.conftest import data, new_client
from trust_it.cli import token_create, trust_create, user_create


def test_first_trust_admin_is_created_from_the_command_line(app):
    runner = app.test_cli_runner()
    assert runner.invoke(trust_create, ["--name", "Oak Valley Learning Trust"]).exit_code == 0
    result = runner.invoke(user_create, ["--email", "Priya@OakValley.org.uk", "--name", "Priya Shah",
                                         "--role", "trust_admin", "--password-stdin"],
                           input="a long enough password\n")
    assert result.exit_code == 0, result.output
    client = new_client(app)
    assert client.post("/login", data={"email": "priya@oakvalley.org.uk",
                                       "password": "a long enough password"}).status_code == 302
    assert client.get("/trust/users").status_code == 200


def test_user_create_refuses_a_school_role_without_a_school(app, make):
    make.trust()
    result = app.test_cli_runner().invoke(user_create,
                                          ["--email", "t@oak.sch.uk", "--name", "T", "--role", "technician"])
    assert result.exit_code != 0
    assert "choose the school" in result.output
    with data(app) as s:
        assert s.execute(select(User)).first() is None


def test_token_create_prints_a_working_secret(app, make):
    user = make.user(role="it_director")
    result = app.test_cli_runner().invoke(token_create, ["--user", user.email])
    secret = result.output.strip()
    assert result.exit_code == 0 and secret.startswith("tit_")
    me = new_client(app).get("/api/v1/me/", headers={"Authorization": f"Bearer {secret}"})
    assert me.json["user"]["email"] == user.email


def test_user_create_at_a_school_succeeds_once_and_says_where(app, make):
    """On PostgreSQL this runs as the app's role under row-level security: the school is named
    from what was read inside the unscoped block, not reloaded with no scope after the commit."""
    from services.directory.models import Membership
    oak = make.school("oak", name="Oak Primary")
    runner = app.test_cli_runner()
    args = ["--email", "T.Tech@oak.sch.uk", "--name", "Tess Tech", "--role", "technician", "--school", "oak"]
    result = runner.invoke(user_create, args)
    assert (result.exit_code, result.exception) == (0, None), result.output
    assert result.output.strip() == "Created t.tech@oak.sch.uk (technician at Oak Primary)."
    with data(app) as s:
        user = s.execute(select(User).where(User.email == "t.tech@oak.sch.uk")).scalar_one()
        assert [(m.role, m.school_id) for m in s.execute(select(Membership).where(
            Membership.user_id == user.id)).scalars()] == [("technician", oak.id)]
    again = runner.invoke(user_create, args)
    assert again.exit_code == 1 and "already" in again.output
