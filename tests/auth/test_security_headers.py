"""Signed-in pages are not cached and carry a Content-Security-Policy that allows no inline code."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _policy(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d.strip() for d in header.split(";") if d.strip()}


def test_signed_in_pages_are_not_stored_and_allow_only_our_own_files(app, make, login_as):
    oak = make.school("oak")
    client = login_as(make.user(role="trust_admin"))
    for path in ("/trust/", "/s/oak/", "/account/tokens", "/api/v1/schools/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
        policy = _policy(response)
        assert policy["default-src"] == "default-src 'self'"
        assert policy["script-src"] == "script-src 'self'" and policy["style-src"] == "style-src 'self'"
        assert policy["frame-ancestors"] == "frame-ancestors 'none'"
        assert policy["form-action"] == "form-action 'self'"
    assert oak


def test_the_sign_in_page_is_not_cached_either_but_the_stylesheet_is(client):
    assert client.get("/login").headers["Cache-Control"] == "no-store"
    css = client.get("/static/app.css")
    assert css.status_code == 200 and "no-store" not in css.headers.get("Cache-Control", "")


def test_the_api_documentation_gets_its_own_policy(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and "swagger" in response.text.lower()
    policy = _policy(response)
    assert "'unsafe-inline'" in policy["script-src"] and policy["frame-ancestors"] == "frame-ancestors 'none'"


def test_no_template_has_inline_script_or_style():
    """The policy forbids them: a browser would silently ignore them."""
    offenders = []
    for path in list(ROOT.glob("trust_it/templates/**/*.html")) + list(ROOT.glob("schools/templates/**/*.html")):
        text = path.read_text()
        for pattern in (r"<script(?![^>]*\bsrc=)", r"<style\b", r"\sstyle=", r"\son[a-z]+="):
            if re.search(pattern, text):
                offenders.append(f"{path.relative_to(ROOT)}: {pattern}")
    assert offenders == []
