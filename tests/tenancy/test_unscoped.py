"""`unscoped()` is the one way around the tenancy guard: where it is used is pinned here, as the
probe pins routes, and what it reads never reaches another trust's people."""
import ast
from collections import Counter
from pathlib import Path

from services.directory.models import Trust
from services.directory.schools import create_school
from tests.conftest import bearer, data

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("trust_it", "services", "schools", "api")

# (file, function) → how many escapes it holds. A new one is a decision: add it here with why.
ALLOWED = Counter({
    # Signing in: the person has no scope until we know who they are.
    ("trust_it/auth/views.py", "login"): 1,
    ("trust_it/auth/views.py", "microsoft_callback"): 1,  # the sign-in
    ("trust_it/auth/views.py", "_record_refusal"): 1,  # a refused sign-in, for the trust's admins
    ("trust_it/auth/views.py", "logout"): 1,  # the audit record of signing out
    ("trust_it/auth/session.py", "_load_user"): 1,  # the session cookie's user, before a scope exists
    ("api/auth.py", "install._authenticate_api"): 1,  # the bearer token's user
    ("trust_it/tenancy.py", "scope_for"): 1,  # reading the memberships a scope is built from
    # Jobs and what waits for the commit run as the system.
    ("trust_it/jobs.py", "_run_inline"): 1,
    ("trust_it/jobs.py", "run_task"): 2,
    ("trust_it/jobs.py", "_record_failure"): 1,
    ("trust_it/requests.py", "install._commit"): 1,
    # The command line and the demo act for the operator, across trusts.
    ("trust_it/cli.py", "trust_create"): 1,
    ("trust_it/cli.py", "user_create"): 1,
    ("trust_it/cli.py", "token_create"): 1,
    ("trust_it/cli.py", "mail_ingest"): 1,
    ("trust_it/cli.py", "import_gias"): 1,
    ("trust_it/cli.py", "standards_load"): 1,
    ("trust_it/demo.py", "demo"): 1,
    ("trust_it/demo.py", "seed"): 1,
    # Slugs, URNs, prefixes and email domains are unique across the deployment: one query each.
    ("services/directory/schools.py", "_taken"): 1,
    ("services/directory/schools.py", "_domain_owner"): 1,
    # An asset tag is unique across the trust: an import must find a clash in a school the person
    # cannot see (the error does not name it). One query per thousand tags.
    ("services/assets/importer.py", "_existing"): 1,
    # Asset tags and serials are unique across the trust, schools out of sight too: "taken or not" only.
    ("services/assets/register.py", "_taken"): 1,
    # A new school is in nobody's scope until it exists.
    ("services/directory/schools.py", "create_school"): 1,
    # A transfer names both its schools, for the school at each end: the other school's name only.
    ("services/assets/transfers.py", "with_school_names"): 1,
})


def _escapes() -> Counter:
    found: Counter = Counter()
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            _collect(ast.parse(path.read_text(), relative), relative, [], found)
    return found


def _collect(node, path: str, stack: list[str], found: Counter) -> None:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            _collect(child, path, stack + [child.name], found)
            continue
        if isinstance(child, ast.Call):
            func = child.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name == "unscoped":
                found[(path, ".".join(stack) or "<module>")] += 1
        _collect(child, path, stack, found)


def test_unscoped_is_used_only_where_the_list_allows():
    found = _escapes()
    assert {k: v for k, v in found.items() if ALLOWED[k] != v} == {}, "new or moved unscoped() escape"
    assert {k: v for k, v in ALLOWED.items() if found[k] != v} == {}, "an allowed escape is gone: drop it here"


def test_a_clashing_email_domain_names_a_school_of_your_own_trust_only(app, client, make, login_as):
    with data(app) as s:
        other = Trust(name="Cedar Learning Partnership")
        s.add(other)
        s.flush()
        create_school(other, name="Cedar Secret Academy", slug="cedar", email_domains=["cedar.sch.uk"])
    oak = make.school("oak", email_domains=["oak.sch.uk"])
    admin = make.user(role="trust_admin")
    page = login_as(admin).post(f"/trust/schools/{oak.id}/edit", data={
        "name": "Oak", "slug": "oak", "phase": "Primary", "support_model": "msp", "timezone": "Europe/London",
        "email_domains": "oak.sch.uk, cedar.sch.uk"})
    assert page.status_code == 422
    assert "cedar.sch.uk already belongs to a school of another trust" in page.text
    assert "Cedar Secret" not in page.text

    created = client.post("/api/v1/schools/", headers=bearer(app, admin), json={
        "name": "Ash Primary", "phase": "Primary", "email_domains": ["cedar.sch.uk"]})
    assert created.status_code == 422
    assert "a school of another trust" in created.json["message"] and "Cedar Secret" not in created.text
