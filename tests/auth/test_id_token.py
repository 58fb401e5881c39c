"""trust-it's own checks on the ID token, which msal no longer performs."""

from __future__ import annotations

import hashlib
import time

import jwt
import msal
import pytest

from tests.fakes.entra import AUTHORITY, DEFAULT_TID, PERSONAL_ACCOUNT_TID, FakeEntra
from trust_it.auth import id_token
from trust_it.auth.id_token import IdTokenError, fetch_jwks, validate_id_token, verify

FLOW_NONCE = "nonce-kept-in-the-flow"
NONCE_CLAIM = hashlib.sha256(FLOW_NONCE.encode()).hexdigest()  # what msal sends to Microsoft
OTHER_TID = "0b7d2c4e-5f61-4a83-9b2c-d4e6f8a0b1c3"


@pytest.fixture(autouse=True)
def _fresh_jwks_cache():
    id_token.clear_jwks_cache()
    yield
    id_token.clear_jwks_cache()


@pytest.fixture
def entra():
    return FakeEntra()


def _verify(entra: FakeEntra, raw: str, nonce: str = FLOW_NONCE) -> dict:
    return verify(raw, http_client=entra.http_client, authority=AUTHORITY, client_id=entra.client_id, nonce=nonce)


def _refused(entra: FakeEntra, raw: str, nonce: str = FLOW_NONCE) -> str:
    with pytest.raises(IdTokenError) as caught:
        _verify(entra, raw, nonce)
    return str(caught.value)


def test_valid_token_passes_and_returns_its_claims(entra):
    raw = entra.mint_id_token(nonce=NONCE_CLAIM, name="Priya Bursar", roles=["Finance"])
    claims = _verify(entra, raw)
    assert claims["name"] == "Priya Bursar"
    assert claims["roles"] == ["Finance"]
    assert claims["tid"] == DEFAULT_TID


@pytest.mark.filterwarnings("ignore:response_mode='form_post' is recommended")
def test_token_from_a_real_msal_flow_verifies_with_the_flow_nonce(entra):
    app = msal.ConfidentialClientApplication(
        entra.client_id, client_credential=entra.client_secret, authority=AUTHORITY, http_client=entra.http_client)
    flow = app.initiate_auth_code_flow(scopes=[], redirect_uri="https://trust-it.test/auth/callback")
    result = app.acquire_token_by_auth_code_flow(flow, entra.sign_in(flow["auth_uri"], oid="user-42"))
    assert _verify(entra, result["id_token"], nonce=flow["nonce"])["oid"] == "user-42"


def test_personal_accounts_pass_token_checks_so_policy_must_refuse_them(entra):
    claims = _verify(entra, entra.mint_id_token(nonce=NONCE_CLAIM, tid=PERSONAL_ACCOUNT_TID))
    assert claims["tid"] == PERSONAL_ACCOUNT_TID


def test_expired_token_is_refused(entra):
    raw = entra.mint_id_token(nonce=NONCE_CLAIM, exp_offset=-600)
    assert _refused(entra, raw) == "The sign-in token has expired."


def test_recently_expired_token_is_within_clock_skew_leeway(entra):
    assert _verify(entra, entra.mint_id_token(nonce=NONCE_CLAIM, exp_offset=-60))


def test_token_from_the_future_is_refused(entra):
    raw = entra.mint_id_token(nonce=NONCE_CLAIM, nbf=int(time.time()) + 900)
    assert _refused(entra, raw) == "The sign-in token is not valid yet."


def test_token_for_another_application_is_refused(entra):
    raw = entra.mint_id_token(nonce=NONCE_CLAIM, aud="some-other-app")
    assert _refused(entra, raw) == "The sign-in token was not issued for this application."


@pytest.mark.parametrize("iss", [
    "https://evil.example/v2.0",
    f"https://sts.windows.net/{DEFAULT_TID}/",  # v1 issuer
    "https://login.microsoftonline.com/{tenantid}/v2.0",  # the metadata's template, unfilled
])
def test_token_from_a_wrong_issuer_is_refused(entra, iss):
    raw = entra.mint_id_token(nonce=NONCE_CLAIM, iss=iss)
    assert _refused(entra, raw) == "The sign-in token's issuer is not Microsoft for its tenant."


def test_issuer_must_be_for_the_tokens_own_tenant(entra):
    raw = entra.mint_id_token(nonce=NONCE_CLAIM, iss=f"https://login.microsoftonline.com/{OTHER_TID}/v2.0")
    assert _refused(entra, raw) == "The sign-in token's issuer is not Microsoft for its tenant."


def test_token_signed_by_another_key_is_refused(entra):
    raw = entra.mint_id_token(nonce=NONCE_CLAIM, sign_with_other_key=True)
    assert _refused(entra, raw) == "The sign-in token's signature is not valid."


def test_token_with_a_symmetric_algorithm_is_refused(entra):
    raw = jwt.encode({"tid": DEFAULT_TID, "oid": "x", "nonce": NONCE_CLAIM}, "k" * 32, algorithm="HS256",
                     headers={"kid": "test-key-1"})
    assert _refused(entra, raw) == "The sign-in token's signature is not valid."


def test_wrong_nonce_is_refused(entra):
    raw = entra.mint_id_token(nonce=NONCE_CLAIM)
    assert _refused(entra, raw, nonce="a-different-sign-in") == (
        "The sign-in response did not match this sign-in attempt (nonce).")


def test_unhashed_or_missing_nonce_is_refused(entra):
    message = "The sign-in response did not match this sign-in attempt (nonce)."
    assert _refused(entra, entra.mint_id_token(nonce=FLOW_NONCE)) == message
    assert _refused(entra, entra.mint_id_token()) == message


@pytest.mark.parametrize("missing", ["tid", "oid"])
def test_token_without_tenant_or_object_id_is_refused(entra, missing):
    raw = entra.mint_id_token(nonce=NONCE_CLAIM, **{missing: None})
    assert _refused(entra, raw) == "The sign-in token does not identify the user's organisation and account."


def test_garbage_is_refused(entra):
    assert _refused(entra, "not-a-jwt") == "The sign-in token could not be read."


def test_validate_uses_the_given_clock(entra):
    raw = entra.mint_id_token(nonce=NONCE_CLAIM)
    jwks = entra.jwks()
    kwargs = dict(jwks=jwks, client_id=entra.client_id, nonce=FLOW_NONCE)
    assert validate_id_token(raw, **kwargs)
    with pytest.raises(IdTokenError, match="expired"):
        validate_id_token(raw, now=time.time() + 2 * 3600, **kwargs)


def test_error_detail_is_for_the_log_not_the_user(entra):
    raw = entra.mint_id_token(nonce=NONCE_CLAIM, aud="some-other-app")
    with pytest.raises(IdTokenError) as caught:
        _verify(entra, raw)
    assert "some-other-app" in caught.value.detail
    assert "some-other-app" not in caught.value.message


def test_metadata_and_keys_are_cached(entra):
    for _ in range(3):
        _verify(entra, entra.mint_id_token(nonce=NONCE_CLAIM))
    assert entra.count("GET", entra.discovery_url()) == 1
    assert entra.count("GET", entra.jwks_uri()) == 1


def test_keys_are_refetched_after_an_hour(entra, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(id_token, "_clock", lambda: clock[0])
    fetch_jwks(entra.http_client, AUTHORITY)
    clock[0] += 3599
    fetch_jwks(entra.http_client, AUTHORITY)
    assert entra.count("GET", entra.jwks_uri()) == 1
    clock[0] += 2
    fetch_jwks(entra.http_client, AUTHORITY)
    assert entra.count("GET", entra.jwks_uri()) == 2


def test_unknown_kid_triggers_one_jwks_refetch(entra):
    _verify(entra, entra.mint_id_token(nonce=NONCE_CLAIM))
    entra.rotate_key("test-key-2")

    claims = _verify(entra, entra.mint_id_token(nonce=NONCE_CLAIM, name="After Rollover"))
    assert claims["name"] == "After Rollover"
    assert entra.count("GET", entra.jwks_uri()) == 2

    _verify(entra, entra.mint_id_token(nonce=NONCE_CLAIM))
    assert entra.count("GET", entra.jwks_uri()) == 2


def test_bogus_kids_cause_at_most_one_refetch_per_interval(entra):
    _verify(entra, entra.mint_id_token(nonce=NONCE_CLAIM))
    for attempt in range(3):
        raw = entra.mint_id_token(nonce=NONCE_CLAIM, kid=f"bogus-{attempt}")
        assert _refused(entra, raw) == "The sign-in token's signature is not valid."
    assert entra.count("GET", entra.jwks_uri()) == 2


class _BrokenClient:
    def __init__(self, status_code=None):
        self.status_code = status_code

    def get(self, url, **kwargs):
        if self.status_code is None:
            raise ConnectionError("network unreachable")
        return type("Response", (), {"status_code": self.status_code, "text": "upstream trouble"})()


@pytest.mark.parametrize("client", [_BrokenClient(), _BrokenClient(503)], ids=["network", "http-503"])
def test_unreachable_microsoft_is_a_user_safe_error(entra, client):
    raw = entra.mint_id_token(nonce=NONCE_CLAIM)
    with pytest.raises(IdTokenError, match="could not be retrieved"):
        verify(raw, http_client=client, authority=AUTHORITY, client_id=entra.client_id, nonce=FLOW_NONCE)
