"""What a first walk through the pages found, kept fixed."""
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import PASSWORD, new_client


def test_trust_it_demo_migrates_seeds_and_serves(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"PATH": os.environ["PATH"], "TRUST_IT_INSTANCE_PATH": str(tmp_path), "HOME": str(tmp_path)}
    cli = Path(sys.executable).with_name("trust-it")
    proc = subprocess.Popen([str(cli), "demo", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(120):
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2).read().decode()
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise AssertionError("the demo did not answer")
        assert "Sign in to trust-it" in page
    finally:
        proc.terminate()
        output = proc.communicate(timeout=20)[0]
    assert "admin@oakvalley.org.uk" in output and "demo-password-2026" in output


def test_a_school_form_shows_every_mistake_at_once(app, make, login_as):
    admin = login_as(make.user(role="trust_admin"))
    page = admin.post("/trust/schools/new", data={"name": "Ashby", "urn": "12345", "la_estab": "330200",
                                                  "email_domains": "ashby .sch.uk", "phase": "Primary",
                                                  "support_model": "msp", "timezone": "Europe/London"})
    assert page.status_code == 422
    for message in ("A URN is 6 digits", "LAEstab is 7 digits", "is not an email domain"):
        assert message in page.text


def test_an_email_domain_belongs_to_one_school(app, make, login_as):
    make.school("riverside", email_domains=["riverside.sch.uk"])
    oak = make.school("oak", email_domains=["oak.sch.uk"])
    admin = login_as(make.user(role="trust_admin"))
    page = admin.post(f"/trust/schools/{oak.id}/edit", data={
        "name": "Oak", "slug": "oak", "phase": "Primary", "support_model": "msp", "timezone": "Europe/London",
        "email_domains": "oak.sch.uk, riverside.sch.uk"})
    assert page.status_code == 422 and "riverside.sch.uk already belongs to Riverside School" in page.text


def test_bank_holidays_are_added_a_school_year_or_two_at_a_time(app, make, login_as):
    oak = make.school("oak")
    admin = login_as(make.user(role="trust_admin"))
    page = admin.post(f"/trust/schools/{oak.id}/calendar/bank-holidays",
                      data={"starts_on": "1900-01-01", "ends_on": "2100-12-31"})
    assert page.status_code == 422 and "at most two school years" in page.text


def test_risky_sign_in_rules_are_refused(app, make, login_as):
    make.school("oak", email_domains=["oak.sch.uk"])
    admin = login_as(make.user(role="trust_admin"))
    everyone_admin = admin.post("/trust/sign-in/rules", data={"claim": "email_domain", "value": "oakvalley.org.uk",
                                                              "role": "trust_admin", "school": ""})
    assert everyone_admin.status_code == 422 and "never to a whole email domain" in everyone_admin.text
    not_a_group = admin.post("/trust/sign-in/rules", data={"claim": "group", "value": "not a guid", "role": "staff"})
    assert not_a_group.status_code == 422 and "GUID" in not_a_group.text
    nobodys_domain = admin.post("/trust/sign-in/rules", data={"claim": "email_domain", "value": "gmail.com",
                                                              "role": "staff", "school": ""})
    assert nobodys_domain.status_code == 422 and "No school of the trust has the email domain" in nobodys_domain.text


def test_successful_sign_ins_do_not_count_towards_the_limit(app, make):
    """A school behind one shared address signs in all at once on an INSET morning."""
    school = make.school("oak")
    users = [make.user(role="staff", school=school) for _ in range(12)]
    client = new_client(app)
    for user in users:
        assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
        client.post("/logout")


def test_api_docs_work_without_the_internet(client):
    page = client.get("/api/v1/docs").text
    assert "/api/v1/docs-assets/swagger-ui-bundle.js" in page
    assert client.get("/api/v1/docs-assets/swagger-ui-bundle.js").status_code == 200
