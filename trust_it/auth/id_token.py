"""Checking the ID token Microsoft returns when a member of staff signs in.

msal only decodes the ID token: it no longer checks who signed it, whom it was
issued to or whether it is still current. trust-it decides who somebody is (and
which trust they belong to) from this token, so every check happens here.

The sign-in authority is multi-tenant (``/organizations``), so no single issuer
can be configured in advance: Microsoft's metadata advertises the template
``https://login.microsoftonline.com/{tenantid}/v2.0``. A token is accepted only
when its ``iss`` is that template filled with the token's own ``tid``; trusting
``iss`` on its own would let a token from any tenant pass.

Network failures and bad tokens both surface as :class:`IdTokenError`, whose
message is safe to show to the person signing in; ``detail`` is for the log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field

import jwt

__all__ = ["IdTokenError", "fetch_jwks", "validate_id_token", "verify", "clear_jwks_cache"]

ISSUER_TEMPLATE = "https://login.microsoftonline.com/{tid}/v2.0"
JWKS_TTL = 3600
# A token naming an unknown key makes us refetch the key set (Microsoft rolls
# its signing keys). Rate-limited so a stream of bogus kids cannot turn each
# sign-in attempt into a request to Microsoft.
MIN_ROLLOVER_REFETCH_INTERVAL = 60
HTTP_TIMEOUT = 10

EXPIRED = "The sign-in token has expired."
NOT_YET_VALID = "The sign-in token is not valid yet."
WRONG_AUDIENCE = "The sign-in token was not issued for this application."
WRONG_ISSUER = "The sign-in token's issuer is not Microsoft for its tenant."
WRONG_NONCE = "The sign-in response did not match this sign-in attempt (nonce)."
BAD_SIGNATURE = "The sign-in token's signature is not valid."
MALFORMED = "The sign-in token could not be read."
MISSING_IDENTITY = "The sign-in token does not identify the user's organisation and account."
UNAVAILABLE = "Microsoft's sign-in keys could not be retrieved. Please try again."


class IdTokenError(Exception):
    """A sign-in that must be refused.

    ``message`` (also ``str(error)``) is written for the person signing in and
    reveals nothing about the token; ``detail`` says what exactly was wrong and
    belongs in the log or audit trail only.
    """

    def __init__(self, message: str, detail: str | None = None):
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.claims: dict = {}  # the token's claims, unverified, when there was a token
        self.worth_recording = True  # False for errors anyone could provoke with a made-up response


@dataclass
class _CachedJwks:
    jwks: dict
    fetched_at: float
    rollover_refetched_at: float = float("-inf")
    kids: frozenset = field(init=False)

    def __post_init__(self) -> None:
        self.kids = frozenset(k.get("kid") for k in self.jwks["keys"] if isinstance(k, dict))


_clock = time.monotonic  # module attribute so tests can move time forward
_lock = threading.Lock()
_jwks_uris: dict[str, tuple[str, float]] = {}  # authority -> (jwks_uri, fetched_at)
_jwks_by_uri: dict[str, _CachedJwks] = {}


def clear_jwks_cache() -> None:
    """Forget all cached metadata and keys.

    Tests need this: each fake identity platform has its own keys but serves
    them from the same Microsoft URL, so keys cached by one test would
    otherwise be used to check the next test's tokens.
    """
    with _lock:
        _jwks_uris.clear()
        _jwks_by_uri.clear()


def _get_json(http_client, url: str) -> dict:
    try:
        resp = http_client.get(url, timeout=HTTP_TIMEOUT)
    except OSError as exc:  # requests' exceptions are OSErrors too
        raise IdTokenError(UNAVAILABLE, f"GET {url} failed: {exc}") from exc
    if resp.status_code != 200:
        raise IdTokenError(UNAVAILABLE, f"GET {url} returned HTTP {resp.status_code}")
    try:
        body = json.loads(resp.text)
    except ValueError as exc:
        raise IdTokenError(UNAVAILABLE, f"GET {url} did not return JSON") from exc
    if not isinstance(body, dict):
        raise IdTokenError(UNAVAILABLE, f"GET {url} did not return a JSON object")
    return body


def _jwks_uri(http_client, authority: str) -> str:
    now = _clock()
    with _lock:
        cached = _jwks_uris.get(authority)
    if cached and now - cached[1] < JWKS_TTL:
        return cached[0]
    config = _get_json(http_client, f"{authority}/v2.0/.well-known/openid-configuration")
    uri = config.get("jwks_uri")
    if not isinstance(uri, str) or not uri.startswith("https://"):
        raise IdTokenError(UNAVAILABLE, f"OIDC metadata for {authority} has no https jwks_uri")
    with _lock:
        _jwks_uris[authority] = (uri, now)
    return uri


def fetch_jwks(http_client, authority: str, *, kid: str | None = None) -> dict:
    """Return Microsoft's signing keys (a JWKS dict) for ``authority``.

    ``http_client`` needs only ``get(url, **kwargs)`` returning an object with
    ``status_code`` and ``text`` (a ``requests.Session``, or the same hook
    object handed to msal). The OIDC metadata and key set are cached for an
    hour per ``jwks_uri``. Passing the ``kid`` of the token about to be checked
    refetches the key set early when that key is not in it, because Microsoft
    may have rolled its keys since we last looked.
    """
    authority = authority.rstrip("/")
    uri = _jwks_uri(http_client, authority)
    now = _clock()
    with _lock:
        cached = _jwks_by_uri.get(uri)
    fresh = cached is not None and now - cached.fetched_at < JWKS_TTL
    rollover = (
        fresh
        and kid is not None
        and kid not in cached.kids
        and now - cached.rollover_refetched_at >= MIN_ROLLOVER_REFETCH_INTERVAL
    )
    if fresh and not rollover:
        return cached.jwks
    jwks = _get_json(http_client, uri)
    if not isinstance(jwks.get("keys"), list):
        raise IdTokenError(UNAVAILABLE, f"{uri} returned no 'keys' list")
    entry = _CachedJwks(jwks, fetched_at=now)
    if rollover:
        entry.rollover_refetched_at = now
    with _lock:
        _jwks_by_uri[uri] = entry
    return jwks


def _unverified_header(raw: str) -> dict:
    try:
        return jwt.get_unverified_header(raw)
    except jwt.PyJWTError as exc:
        raise IdTokenError(MALFORMED, f"unreadable JWT header: {exc}") from exc


def _signing_key(jwks: dict, kid) -> jwt.PyJWK:
    for entry in jwks.get("keys", []):
        if isinstance(entry, dict) and kid is not None and entry.get("kid") == kid:
            if entry.get("use", "sig") != "sig":
                break
            try:
                key = jwt.PyJWK(entry)
            except jwt.PyJWTError as exc:
                raise IdTokenError(BAD_SIGNATURE, f"key {kid!r} is unusable: {exc}") from exc
            if key.algorithm_name == "RS256":
                return key
            break
    raise IdTokenError(BAD_SIGNATURE, f"no RS256 signing key with kid {kid!r}")


def _number(claims: dict, name: str, *, required: bool) -> float | None:
    value = claims.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise IdTokenError(MALFORMED, f"claim {name!r} is {value!r}, not a number")
    return value


def validate_id_token(
    raw: str,
    *,
    jwks: dict,
    client_id: str,
    nonce: str,
    now: float | None = None,
    leeway: int = 120,
) -> dict:
    """Check an Entra v2 ID token and return its claims.

    ``nonce`` is the ``nonce`` that msal keeps in the auth code flow dict
    (``flow["nonce"]``). msal sends Microsoft only its SHA-256 hex digest, so
    the token carries the digest and that is what is compared, in constant time.

    Order matters: nothing in the payload is trusted until the signature has
    been checked against the key named by ``kid``. Then ``tid`` and ``oid``
    must be present, ``iss`` must be Microsoft's issuer for that ``tid``,
    ``aud`` must be this application, the token must be current (``exp``,
    ``nbf``, ``iat`` with ``leeway`` seconds of clock skew) and the nonce must
    match. ``now`` (epoch seconds) exists for tests.
    """
    now = time.time() if now is None else now
    header = _unverified_header(raw)
    if header.get("alg") != "RS256":
        raise IdTokenError(BAD_SIGNATURE, f"algorithm {header.get('alg')!r} is not RS256")
    key = _signing_key(jwks, header.get("kid"))
    try:
        claims = jwt.decode(
            raw,
            key.key,
            algorithms=["RS256"],
            options={
                "verify_signature": True,
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_aud": False,
                "verify_iss": False,
            },
        )
    except jwt.InvalidSignatureError as exc:
        raise IdTokenError(BAD_SIGNATURE, f"signature does not verify with key {key.key_id!r}") from exc
    except jwt.PyJWTError as exc:
        raise IdTokenError(MALFORMED, f"undecodable token: {exc}") from exc

    tid, oid = claims.get("tid"), claims.get("oid")
    if not (isinstance(tid, str) and tid and isinstance(oid, str) and oid):
        raise IdTokenError(MISSING_IDENTITY, f"tid={tid!r} oid={oid!r}")

    expected_iss = ISSUER_TEMPLATE.format(tid=tid)
    if claims.get("iss") != expected_iss:
        raise IdTokenError(WRONG_ISSUER, f"iss={claims.get('iss')!r}, expected {expected_iss!r}")

    aud = claims.get("aud")
    if (aud if isinstance(aud, list) else [aud]) != [client_id]:
        raise IdTokenError(WRONG_AUDIENCE, f"aud={aud!r}, expected {client_id!r}")

    exp = _number(claims, "exp", required=True)
    iat = _number(claims, "iat", required=True)
    nbf = _number(claims, "nbf", required=False)
    if now > exp + leeway:
        raise IdTokenError(EXPIRED, f"exp={exp} is before now={int(now)} (leeway {leeway}s)")
    if iat > now + leeway or (nbf is not None and nbf > now + leeway):
        raise IdTokenError(NOT_YET_VALID, f"iat={iat} nbf={nbf} are after now={int(now)} (leeway {leeway}s)")

    expected_nonce = hashlib.sha256(nonce.encode("utf-8")).hexdigest() if nonce else ""
    got_nonce = claims.get("nonce")
    if not (
        expected_nonce
        and isinstance(got_nonce, str)
        and hmac.compare_digest(got_nonce.encode("utf-8"), expected_nonce.encode("utf-8"))
    ):
        raise IdTokenError(WRONG_NONCE, "nonce claim does not match this sign-in's flow")
    return claims


def verify(
    raw: str,
    *,
    http_client,
    authority: str,
    client_id: str,
    nonce: str,
    now: float | None = None,
    leeway: int = 120,
) -> dict:
    """Fetch (or reuse) Microsoft's keys for ``authority`` and validate ``raw``.

    This is what the sign-in callback calls with ``result["id_token"]`` from
    ``acquire_token_by_auth_code_flow`` and the flow's ``nonce``.
    """
    kid = _unverified_header(raw).get("kid")
    jwks = fetch_jwks(http_client, authority, kid=kid if isinstance(kid, str) else None)
    return validate_id_token(raw, jwks=jwks, client_id=client_id, nonce=nonce, now=now, leeway=leeway)
