"""The fake identity platform must satisfy a real msal client, or tests built on it prove nothing."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlsplit

import jwt
import msal
import pytest
import requests

from tests.fakes.entra import AUTHORITY, DEFAULT_OID, DEFAULT_TID, FakeEntra

REDIRECT_URI = "https://trust-it.test/auth/callback"
pytestmark = pytest.mark.filterwarnings("ignore:response_mode='form_post' is recommended")


@pytest.fixture
def entra():
    return FakeEntra()


def _app(entra: FakeEntra, secret: str | None = None) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        entra.client_id,
        client_credential=secret or entra.client_secret,
        authority=AUTHORITY,
        http_client=entra.http_client,
    )


def test_msal_completes_the_auth_code_flow(entra):
    app = _app(entra)
    flow = app.initiate_auth_code_flow(scopes=[], redirect_uri=REDIRECT_URI)
    assert flow["auth_uri"].startswith(f"{AUTHORITY}/oauth2/v2.0/authorize?")

    auth_response = entra.sign_in(flow["auth_uri"], name="Alex Head", roles=["Trust.Admin"], groups=["g-1"])
    assert auth_response["state"] == flow["state"]
    result = app.acquire_token_by_auth_code_flow(flow, auth_response)

    assert "error" not in result, result
    claims = result["id_token_claims"]
    assert claims["name"] == "Alex Head"
    assert claims["roles"] == ["Trust.Admin"] and claims["groups"] == ["g-1"]
    assert (claims["tid"], claims["oid"], claims["aud"]) == (DEFAULT_TID, DEFAULT_OID, entra.client_id)
    assert claims["iss"] == f"https://login.microsoftonline.com/{DEFAULT_TID}/v2.0"
    assert claims["ver"] == "2.0"
    assert claims["nonce"] == hashlib.sha256(flow["nonce"].encode()).hexdigest()  # msal sends the digest
    [account] = app.get_accounts()
    assert account["home_account_id"] == f"{DEFAULT_OID}.{DEFAULT_TID}"


def test_id_token_is_signed_with_the_published_key(entra):
    app = _app(entra)
    flow = app.initiate_auth_code_flow(scopes=[], redirect_uri=REDIRECT_URI)
    result = app.acquire_token_by_auth_code_flow(flow, entra.sign_in(flow["auth_uri"]))

    jwks = entra.http_client.get(entra.jwks_uri()).json()
    [key] = jwt.PyJWKSet.from_dict(jwks).keys
    assert key.key_id == "test-key-1"
    claims = jwt.decode(result["id_token"], key.key, algorithms=["RS256"], audience=entra.client_id)
    assert claims["oid"] == DEFAULT_OID


def test_discovery_advertises_the_multi_tenant_issuer_template(entra):
    config = entra.http_client.get(entra.discovery_url()).json()
    assert config["issuer"] == "https://login.microsoftonline.com/{tenantid}/v2.0"
    assert config["jwks_uri"] == "https://login.microsoftonline.com/organizations/discovery/v2.0/keys"
    assert config["token_endpoint"] == f"{AUTHORITY}/oauth2/v2.0/token"


def test_tampered_pkce_verifier_is_refused_and_uses_up_the_code(entra):
    app = _app(entra)
    flow = app.initiate_auth_code_flow(scopes=[], redirect_uri=REDIRECT_URI)
    auth_response = entra.sign_in(flow["auth_uri"])
    genuine_verifier = flow["code_verifier"]

    result = app.acquire_token_by_auth_code_flow(dict(flow, code_verifier="x" * 43), auth_response)
    assert result["error"] == "invalid_grant"
    assert "AADSTS501481" in result["error_description"]

    result = app.acquire_token_by_auth_code_flow(dict(flow, code_verifier=genuine_verifier), auth_response)
    assert result["error"] == "invalid_grant"
    assert "id_token" not in result


def test_code_can_be_redeemed_only_once(entra):
    app = _app(entra)
    flow = app.initiate_auth_code_flow(scopes=[], redirect_uri=REDIRECT_URI)
    auth_response = entra.sign_in(flow["auth_uri"])
    assert "id_token" in app.acquire_token_by_auth_code_flow(dict(flow), auth_response)

    replay = app.acquire_token_by_auth_code_flow(dict(flow), auth_response)
    assert replay["error"] == "invalid_grant"
    assert "AADSTS54005" in replay["error_description"]


def test_wrong_client_secret_is_refused(entra):
    app = _app(entra, secret="not-the-secret")
    flow = app.initiate_auth_code_flow(scopes=[], redirect_uri=REDIRECT_URI)
    result = app.acquire_token_by_auth_code_flow(flow, entra.sign_in(flow["auth_uri"]))
    assert result["error"] == "invalid_client"


def test_redirect_uri_must_match_the_authorize_request(entra):
    app = _app(entra)
    flow = app.initiate_auth_code_flow(scopes=[], redirect_uri=REDIRECT_URI)
    auth_response = entra.sign_in(flow["auth_uri"])
    result = app.acquire_token_by_auth_code_flow(dict(flow, redirect_uri="https://evil.test/cb"), auth_response)
    assert result["error"] == "invalid_grant"


def test_sign_in_rejects_an_authorize_url_for_another_client(entra):
    other = FakeEntra(client_id="someone-else")
    flow = _app(other).initiate_auth_code_flow(scopes=[], redirect_uri=REDIRECT_URI)
    with pytest.raises(AssertionError, match="someone-else"):
        entra.sign_in(flow["auth_uri"])


def test_redirect_url_is_the_callback_with_code_and_state(entra):
    app = _app(entra)
    flow = app.initiate_auth_code_flow(scopes=[], redirect_uri=REDIRECT_URI)
    url = entra.redirect_url(flow["auth_uri"])
    assert url.startswith(REDIRECT_URI + "?")
    query = dict(parse_qsl(urlsplit(url).query))
    assert query["state"] == flow["state"]
    assert "id_token" in app.acquire_token_by_auth_code_flow(flow, query)


def test_form_post_response_mode_works_with_the_same_response(entra):
    app = _app(entra)
    flow = app.initiate_auth_code_flow(scopes=[], redirect_uri=REDIRECT_URI, response_mode="form_post")
    assert "id_token" in app.acquire_token_by_auth_code_flow(flow, entra.sign_in(flow["auth_uri"]))
    with pytest.raises(AssertionError, match="form_post"):
        entra.redirect_url(flow["auth_uri"])


def test_form_post_gives_the_callback_and_the_fields_the_browser_posts(entra):
    app = _app(entra)
    flow = app.initiate_auth_code_flow(scopes=[], redirect_uri=REDIRECT_URI, response_mode="form_post")
    url, fields = entra.form_post(flow["auth_uri"])
    assert url == REDIRECT_URI and fields["state"] == flow["state"]
    assert "id_token" in app.acquire_token_by_auth_code_flow(flow, fields)
    page = entra.form_post_page(flow["auth_uri"])
    assert f'action="{REDIRECT_URI}"' in page and 'method="POST"' in page
    query_flow = app.initiate_auth_code_flow(scopes=[], redirect_uri=REDIRECT_URI)
    with pytest.raises(AssertionError, match="would travel in a URL"):
        entra.form_post(query_flow["auth_uri"])


def test_denied_sign_in_comes_back_as_an_oauth_error(entra):
    app = _app(entra)
    flow = app.initiate_auth_code_flow(scopes=[], redirect_uri=REDIRECT_URI)
    result = app.acquire_token_by_auth_code_flow(flow, entra.deny(flow["auth_uri"]))
    assert result["error"] == "access_denied"


def test_unknown_routes_are_404_and_requests_are_logged(entra):
    response = entra.http_client.get("https://login.microsoftonline.com/organizations/nothing-here")
    assert response.status_code == 404
    assert "FakeEntra has no route" in response.json()["error_description"]
    with pytest.raises(requests.HTTPError):
        response.raise_for_status()
    assert entra.count("GET", "https://login.microsoftonline.com/organizations/nothing-here") == 1
