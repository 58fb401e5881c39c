"""The tenancy probe: every route and every API operation, for every role.

Two schools of one trust (oak, elm) and a school of another trust (far). For each role the
probe requests every route of `app.url_map` with another school's ids and with ids that do
not exist: the two answers must be the same (another school's data is a 404, never a 403
that confirms it exists), nothing of the other school may appear in any page or list, and
POSTs at another school's objects change nothing. New routes join automatically; a route
with a URL parameter the probe does not know fails the probe until it is taught.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pytest

from services.audit.models import JobFailure
from services.directory import signin, tokens
from services.directory.models import Closure, Membership, School, SignInRule, Term, Trust, User
from services.directory.schools import add_closure, add_term
from tests.conftest import data, login, new_client
from tests.tenancy.areas import sides
from trust_it.tenancy import SCHOOL_ROLES, TRUST_ROLES

SKIP = {"static", "api-docs.openapi_json", "api-docs.openapi_swagger_ui", "healthz", "auth.login",
        "auth.logout", "auth.microsoft_login", "auth.microsoft_callback"}
MISSING = 987654
# URL parameters that name deployment-level things, not a school's data.
NOT_TENANT_DATA = {"filename"}


@dataclass
class Side:
    """One school's worth of objects, and the words that must not leak from it."""
    school: School
    user: User
    membership: Membership
    term: Term
    closure: Closure
    token_id: int
    secrets: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def params(self) -> dict:
        return {"school": self.school.slug, "school_id": self.school.id, "user_id": self.user.id,
                "membership_id": self.membership.id, "term_id": self.term.id, "closure_id": self.closure.id,
                "token_id": self.token_id, **self.extra}


def _side(app, make, trust, slug, word) -> Side:
    school = make.school(slug, name=f"{word} School", trust=trust, urn=None, email_domains=[f"{slug}.sch.uk"])
    person = make.user(role="staff", school=school, email=f"{word.lower()}-person@{slug}.sch.uk",
                       name=f"{word} Person", trust=trust)
    with data(app) as s:
        sch = s.get(School, school.id)
        term = add_term(sch, name=f"{word} Term", starts_on=date(2026, 9, 2), ends_on=date(2026, 10, 23))
        closure = add_closure(sch, day=date(2026, 10, 2), name=f"{word} Closure", kind="inset")
        token, _ = tokens.create_token(s.get(User, person.id), name=f"{word} Token")
        membership = s.get(User, person.id).memberships[0]
    side = Side(school, person, membership, term, closure, token.id,
                secrets=[f"{word} School", f"{word} Person", f"{word.lower()}-person@", f"{word} Term",
                         f"{word} Closure", f"{word} Token"])
    for area in sides():
        params, secrets = area(app, make, trust, school, word)
        side.extra.update(params)
        side.secrets += secrets
    return side


@pytest.fixture
def world(app, make):
    trust = make.trust("Probe Trust", tenants=["11111111-1111-1111-1111-111111111111"])
    other_trust = make.trust("Far Trust", tenants=["22222222-2222-2222-2222-222222222222"])
    oak = _side(app, make, trust, "oak", "Oakprobe")
    elm = _side(app, make, trust, "elm", "Elmprobe")
    far = _side(app, make, other_trust, "far", "Farprobe")
    with data(app) as s:
        for t, word in ((trust, "Near"), (other_trust, "Far")):
            signin.add_rule(s.get(Trust, t.id), claim="app_role", value=f"{word}.RuleSecret", role="staff")
        failures = {}
        for t, word in ((trust, "Near"), (other_trust, "Far")):
            failures[word] = JobFailure(queue="default", task="services.directory.tasks:record_expired_memberships",
                                        args=[], kwargs={}, error=f"{word}FailureSecret", attempts=1,
                                        trust_id=t.id)
            s.add(failures[word])
        s.flush()
        ids = {
            "near_rule": s.query(SignInRule).filter_by(trust_id=trust.id).one().id,
            "far_rule": s.query(SignInRule).filter_by(trust_id=other_trust.id).one().id,
            "near_tenant": s.get(Trust, trust.id).tenants[0].id,
            "far_tenant": s.get(Trust, other_trust.id).tenants[0].id,
            "near_failure": failures["Near"].id,
            "far_failure": failures["Far"].id,
        }
    far.secrets += ["Far.RuleSecret", "FarFailureSecret"]
    return {"trust": trust, "other_trust": other_trust, "oak": oak, "elm": elm, "far": far, "ids": ids}


ROLES = [(r, "school") for r in SCHOOL_ROLES] + [(r, "trust") for r in TRUST_ROLES if r != "edtech"] + [
    ("edtech", "trust"), ("nobody", None), ("expired", "school")]


def _user_for(make, world, role, level):
    trust = world["trust"]
    if role == "nobody":
        return make.user(trust=trust)
    if role == "expired":
        return make.user(role="technician", school=world["oak"].school, trust=trust,
                         expires_at=datetime.utcnow() - timedelta(days=1))
    return make.user(role=role, school=world["oak"].school if level == "school" else None, trust=trust)


def _fill(rule, values: dict, world, other: bool) -> str | None:
    args = {}
    for name in rule.arguments:
        if name in values:
            args[name] = values[name]
        elif name == "rule_id":
            args[name] = world["ids"]["far_rule"] if other else MISSING
        elif name == "tenant_id":
            args[name] = world["ids"]["far_tenant"] if other else MISSING
        elif name == "failure_id":
            args[name] = world["ids"]["far_failure"] if other else MISSING
        elif name == "filename":
            return None
        else:
            pytest.fail(f"The tenancy probe does not know the URL parameter <{name}> of {rule.rule}: "
                        "teach it how to find another school's object for it.")
    url = rule.rule
    for name, value in args.items():
        url = re.sub(rf"<(?:[a-z]+:)?{name}>", str(value), url)
    return url


def _missing_values(values: dict) -> dict:
    return {k: ("no-such-school" if k == "school" else MISSING) for k in values}


def _assert_no_leak(text, secrets: list[str], where: str):
    if not isinstance(text, str):
        text = text.decode("utf-8", "replace")
    for secret in secrets:
        assert secret not in text, f"{where} shows “{secret}” of a school the user may not see"


@pytest.mark.parametrize("role,level", ROLES, ids=[r for r, _ in ROLES])
def test_pages_hide_other_schools(app, make, world, role, level):
    user = _user_for(make, world, role, level)
    client = new_client(app)
    login(client, user)
    # School-level people must not see elm (same trust) nor far (other trust);
    # trust-level people see elm but never far.
    hidden = [world["far"]] + ([world["elm"]] if level != "trust" else [])
    if role in ("nobody", "expired"):
        hidden.append(world["oak"])
    secrets = [s for side in hidden for s in side.secrets]

    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP:
            continue
        methods = rule.methods - {"HEAD", "OPTIONS"}
        if rule.arguments - NOT_TENANT_DATA:
            for side in hidden:
                url = _fill(rule, side.params(), world, other=True)
                missing = _fill(rule, _missing_values(side.params()), world, other=False)
                if url is None:
                    continue
                for method in methods:
                    got = client.open(url, method=method)
                    expected = client.open(missing, method=method)
                    assert got.status_code == expected.status_code, (
                        f"{role}: {method} {url} answered {got.status_code} but a missing id answers "
                        f"{expected.status_code}: it tells the two apart")
                    assert got.status_code >= 400, f"{role}: {method} {url} succeeded on another school's object"
                    _assert_no_leak(got.get_data(), secrets, f"{role}: {method} {url}")
                    checked += 1
        if "GET" in methods:
            own = _fill(rule, world["oak"].params(), world, other=False)
            if own is None:
                continue
            response = client.get(own)
            assert response.status_code < 500, f"{role}: GET {own} failed with {response.status_code}"
            visible_secrets = secrets
            if role == "expired" and rule.endpoint == "account.tokens":
                # Their own account page may say where their access ended; nothing else of oak.
                visible_secrets = [x for x in secrets if x != "Oakprobe School"]
            _assert_no_leak(response.get_data(), visible_secrets, f"{role}: GET {own}")
            checked += 1
    assert checked > 50

    # Nothing of another school was changed by all those POSTs.
    with data(app) as s:
        for side in (world["elm"], world["far"]):
            assert s.get(Term, side.term.id) is not None
            assert s.get(Closure, side.closure.id) is not None
            assert s.get(Membership, side.membership.id) is not None
            assert s.get(User, side.user.id).active


@pytest.mark.parametrize("role", [r for r in TRUST_ROLES if r not in ("edtech", "trustee")] + ["trustee"])
def test_trust_roles_see_every_school_of_their_trust(app, make, world, login_as, role):
    client = login_as(make.user(role=role, trust=world["trust"]))
    for side in (world["oak"], world["elm"]):
        assert client.get(f"/s/{side.school.slug}/").status_code == 200
        listed = client.get("/api/v1/schools/").json["items"]
        assert {s["slug"] for s in listed} == {"oak", "elm"}
    assert client.get("/s/far/").status_code == 404


def test_a_school_person_sees_only_their_school_in_lists(app, make, world, login_as):
    client = login_as(make.user(role="technician", school=world["oak"].school, trust=world["trust"]))
    assert [s["slug"] for s in client.get("/api/v1/schools/").json["items"]] == ["oak"]
    assert client.get("/s/elm/").status_code == 404
    assert client.get("/s/oak/").status_code == 200


def _api_url(path: str, values: dict) -> str:
    return re.sub(r"{(\w+)}", lambda m: str(values[m.group(1)]), path)


@pytest.mark.parametrize("role,level", ROLES, ids=[r for r, _ in ROLES])
def test_api_operations_hide_other_schools(app, make, world, role, level):
    user = _user_for(make, world, role, level)
    with data(app) as s:
        _, secret = tokens.create_token(s.get(User, user.id), name="probe")
    client = new_client(app)
    headers = {"Authorization": f"Bearer {secret}"}
    spec = client.get("/api/v1/openapi.json").json
    hidden = [world["far"]] + ([world["elm"]] if level != "trust" else [])
    if role in ("nobody", "expired"):
        hidden.append(world["oak"])
    secrets = [s for side in hidden for s in side.secrets]
    operations = 0
    for path, item in spec["paths"].items():
        for method in item:
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            operations += 1
            names = re.findall(r"{(\w+)}", path)
            if names:
                for side in hidden:
                    values = side.params()
                    unknown = set(names) - set(values)
                    assert not unknown, f"The probe does not know {unknown} of {path}"
                    got = client.open(_api_url(path, values), method=method.upper(), headers=headers, json={})
                    expected = client.open(_api_url(path, _missing_values(values)), method=method.upper(),
                                           headers=headers, json={})
                    assert got.status_code == expected.status_code == 404 or (
                        got.status_code == expected.status_code and got.status_code in (403, 422)), (
                        f"{role}: {method.upper()} {path} for another school answered {got.status_code}, "
                        f"a missing id {expected.status_code}")
                    _assert_no_leak(got.get_data(), secrets, f"{role}: {method.upper()} {path}")
            elif method == "get":
                response = client.get(path, headers=headers)
                assert response.status_code == 200, f"{role}: GET {path} -> {response.status_code}"
                _assert_no_leak(response.get_data(), secrets, f"{role}: GET {path}")
    assert operations >= 10
    with data(app) as s:
        for side in (world["elm"], world["far"]):
            assert s.get(Membership, side.membership.id) is not None
            assert s.get(User, side.user.id).active
