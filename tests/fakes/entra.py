"""A fake Microsoft identity platform (Entra ID v2 endpoints), entirely in-process.

msal insists on an https authority, so tests cannot point it at a local server.
Instead they pass ``FakeEntra().http_client`` as msal's documented
``http_client`` hook (and to trust-it, which fetches the signing keys with it).
The fake answers OIDC discovery, instance discovery, the key set and the token
endpoint for ``https://login.microsoftonline.com/{tenant}``, and
:meth:`FakeEntra.sign_in` plays the browser's part: it takes the authorize URL
msal built and returns what Microsoft would send back (:meth:`FakeEntra.form_post` for
``response_mode=form_post``, with :meth:`FakeEntra.form_post_page` the page that posts it;
:meth:`FakeEntra.redirect_url` for the query mode).

It checks what Microsoft checks (client credentials, one-time codes bound to
the redirect URI, PKCE) so that tests notice when the app stops sending them,
and it can mint deliberately broken ID tokens for the app's own checks.

It also issues app tokens (the client-credentials grant) for Microsoft Graph, which
``tests.fakes.graph`` checks; there it is served over real HTTPS on 127.0.0.1, so
``base_url`` names where it answers (and what its discovery document points to).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

__all__ = [
    "AUTHORITY",
    "DEFAULT_OID",
    "DEFAULT_TID",
    "FakeEntra",
    "FakeRequest",
    "FakeResponse",
    "HOST",
    "PERSONAL_ACCOUNT_TID",
]

HOST = "login.microsoftonline.com"
AUTHORITY = f"https://{HOST}/organizations"
# The tenant Microsoft uses for personal (consumer) Microsoft accounts.
PERSONAL_ACCOUNT_TID = "9188040d-6c67-4c5b-b112-36a304b66dad"
DEFAULT_TID = "6c1f4a52-3b7e-4d2a-9f10-2b8e5c7d9a01"
DEFAULT_OID = "a3d5e7f9-1b2c-4d6e-8f0a-c2e4f6a8b0d1"
ISSUER_TEMPLATE = "https://login.microsoftonline.com/{tenantid}/v2.0"
CODE_LIFETIME = 600  # Entra's authorization codes last about ten minutes
TOKEN_LIFETIME = 3600
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
# Keyword arguments of sign_in()/mint_id_token() that steer the fake rather than become claims.
_CONTROLS = ("exp_offset", "sign_with_other_key", "kid")


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


@dataclass
class FakeResponse:
    """Quacks like a ``requests.Response`` as far as msal and trust-it need."""

    status_code: int
    text: str
    headers: dict = field(default_factory=lambda: {"Content-Type": "application/json; charset=utf-8"})

    def json(self):
        return json.loads(self.text)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise requests.HTTPError(f"{self.status_code} from FakeEntra: {self.text}", response=self)


@dataclass
class FakeRequest:
    """One request the fake received, kept in ``FakeEntra.requests`` for assertions."""

    method: str
    url: str  # without query string
    query: dict
    data: dict
    headers: dict


@dataclass
class _Key:
    kid: str
    private_key: rsa.RSAPrivateKey

    @classmethod
    def generate(cls, kid: str) -> "_Key":
        return cls(kid, rsa.generate_private_key(public_exponent=65537, key_size=2048))

    def public_jwk(self) -> dict:
        jwk = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        jwk.pop("key_ops", None)  # Microsoft's keys carry no key_ops
        return {**jwk, "kty": "RSA", "use": "sig", "kid": self.kid, "x5t": self.kid,
                "issuer": ISSUER_TEMPLATE}


@dataclass
class _Grant:
    """What an authorization code was issued for."""

    client_id: str
    redirect_uri: str
    code_challenge: str | None
    scope: set
    claims: dict
    tenant: str
    issued_at: float


class _HttpClient:
    """The object handed to msal as ``http_client`` (and to trust-it's JWKS fetch)."""

    def __init__(self, entra: "FakeEntra"):
        self._entra = entra

    def get(self, url, params=None, headers=None, **kwargs):
        return self._entra._handle("GET", url, params, None, headers)

    def post(self, url, params=None, data=None, headers=None, **kwargs):
        return self._entra._handle("POST", url, params, data, headers)

    def close(self) -> None:
        """msal may close its client; there is nothing to release."""


class FakeEntra:
    """An in-process Microsoft identity platform for one registered application.

    ``http_client`` is the hook for ``msal.ConfidentialClientApplication`` and
    for ``trust_it.auth.id_token``. ``requests`` logs every call it received.
    """

    def __init__(self, client_id: str = "trust-it-test-client", client_secret: str = "s3cret"):
        self.client_id = client_id
        self.client_secret = client_secret
        self.kid = "test-key-1"
        self._keys = {self.kid: _Key.generate(self.kid)}  # published in the JWKS
        self._other_key: _Key | None = None  # never published
        self._codes: dict[str, _Grant] = {}
        self._redeemed: set[str] = set()
        self._lock = threading.Lock()
        self.requests: list[FakeRequest] = []
        self.authorize_requests: list[dict] = []  # query of every auth_uri signed in at
        self.http_client = _HttpClient(self)
        self.base_url = f"https://{HOST}"  # where the endpoints are, in discovery documents
        self.app_tokens: dict[str, dict] = {}  # client-credentials tokens: {"tenant", "expired"}

    # ----- URLs -------------------------------------------------------------

    @staticmethod
    def discovery_url(tenant: str = "organizations") -> str:
        return f"https://{HOST}/{tenant}/v2.0/.well-known/openid-configuration"

    @staticmethod
    def jwks_uri(tenant: str = "organizations") -> str:
        return f"https://{HOST}/{tenant}/discovery/v2.0/keys"

    def count(self, method: str, url: str) -> int:
        """How many times ``method url`` (query string ignored) was requested."""
        return sum(1 for r in self.requests if r.method == method and r.url == url.split("?")[0])

    # ----- keys and tokens --------------------------------------------------

    def rotate_key(self, kid: str = "test-key-2") -> None:
        """Start signing with a new key, publishing it alongside the old one as Microsoft does."""
        self._keys[kid] = _Key.generate(kid)
        self.kid = kid

    def jwks(self) -> dict:
        return {"keys": [k.public_jwk() for k in self._keys.values()]}

    def mint_id_token(self, *, nonce: str | None = None, **claims) -> str:
        """An ID token as Entra v2 would issue it to this client for the given user.

        ``nonce`` is put in the token verbatim (with msal that is the SHA-256 hex
        digest of ``flow["nonce"]``). Keyword claims override the defaults; a
        claim given as ``None`` is left out. ``exp_offset`` sets ``exp``
        relative to now (negative means expired), ``sign_with_other_key=True``
        signs with an unpublished key under the current ``kid``, and ``kid=``
        names a different key in the header.
        """
        controls = {name: claims.pop(name) for name in _CONTROLS if name in claims}
        now = int(time.time())
        exp = now + controls.get("exp_offset", TOKEN_LIFETIME)
        issued = min(now, exp - TOKEN_LIFETIME)
        tid = claims.get("tid") or DEFAULT_TID
        oid = claims.get("oid") or DEFAULT_OID
        payload = {
            "aud": self.client_id,
            "iss": f"https://{HOST}/{tid}/v2.0",
            "iat": issued,
            "nbf": issued,
            "exp": exp,
            "name": "Sam Teacher",
            "nonce": nonce,
            "oid": oid,
            "preferred_username": "sam.teacher@oakfield.example",
            "email": "sam.teacher@oakfield.example",
            "rh": "0.fake-refresh-hint",
            "sub": _b64url(hashlib.sha256(f"{oid}:{self.client_id}".encode()).digest()),
            "tid": tid,
            "uti": _b64url(secrets.token_bytes(16)),
            "ver": "2.0",
        }
        payload.update(claims)
        payload = {k: v for k, v in payload.items() if v is not None}
        if controls.get("sign_with_other_key"):
            self._other_key = self._other_key or _Key.generate(self.kid)
            signer = self._other_key
        else:
            signer = self._keys[self.kid]
        headers = {"typ": "JWT", "kid": controls.get("kid", self.kid)}
        return jwt.encode(payload, signer.private_key, algorithm="RS256", headers=headers)

    # ----- the browser's part -----------------------------------------------

    def _authorize_query(self, auth_uri: str) -> tuple[str, dict]:
        parts = urlsplit(auth_uri)
        match = re.fullmatch(r"/([^/]+)/oauth2/v2\.0/authorize", parts.path)
        assert parts.scheme == "https" and parts.hostname == HOST and match, f"not an Entra authorize URL: {auth_uri}"
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        self.authorize_requests.append(query)
        assert query.get("client_id") == self.client_id, (
            f"authorize URL is for client {query.get('client_id')!r}, not {self.client_id!r}")
        assert query.get("redirect_uri"), "authorize URL has no redirect_uri"
        return match.group(1), query

    def sign_in(self, auth_uri: str, **claims) -> dict:
        """Complete sign-in at ``auth_uri``; return the query Microsoft redirects back with.

        The authorization code is bound to the URL's client_id, redirect_uri,
        PKCE challenge and scope, and carries the user's claims (tid, oid,
        name, preferred_username, email, roles, groups, any other claim) plus
        the test overrides described in :meth:`mint_id_token`. The ID token
        will carry the URL's ``nonce`` unless ``nonce=`` overrides it.
        """
        tenant, query = self._authorize_query(auth_uri)
        assert query.get("response_type") == "code", f"response_type {query.get('response_type')!r} is not 'code'"
        challenge = query.get("code_challenge")
        if challenge is not None:
            assert query.get("code_challenge_method") == "S256", "PKCE method must be S256"
        claims.setdefault("nonce", query.get("nonce"))
        code = "0.fake-code." + secrets.token_urlsafe(32)
        with self._lock:
            self._codes[code] = _Grant(
                client_id=query["client_id"],
                redirect_uri=query["redirect_uri"],
                code_challenge=challenge,
                scope=set(query.get("scope", "").split()),
                claims=claims,
                tenant=tenant,
                issued_at=time.time(),
            )
        response = {"code": code, "session_state": str(uuid.uuid4())}
        if "state" in query:
            response["state"] = query["state"]
        return response

    def deny(self, auth_uri: str, error: str = "access_denied",
             error_description: str = "AADSTS65004: User declined to consent to access the app.") -> dict:
        """The redirect query when the user cancels or Microsoft refuses the sign-in."""
        _, query = self._authorize_query(auth_uri)
        response = {"error": error, "error_description": error_description}
        if "state" in query:
            response["state"] = query["state"]
        return response

    def form_post(self, auth_uri: str, **claims) -> tuple[str, dict]:
        """Where and what the browser POSTs after :meth:`sign_in` with ``response_mode=form_post``:
        Microsoft answers with a page whose form the browser submits to the redirect URI."""
        query = dict(parse_qsl(urlsplit(auth_uri).query))
        assert query.get("response_mode") == "form_post", (
            f"response_mode {query.get('response_mode')!r}: the code would travel in a URL")
        return query["redirect_uri"], self.sign_in(auth_uri, **claims)

    def form_post_page(self, auth_uri: str, **claims) -> str:
        """The page Microsoft serves for form_post: a form that submits itself to the redirect URI."""
        from html import escape
        action, fields = self.form_post(auth_uri, **claims)
        inputs = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items())
        return (f'<html><head><title>Working...</title></head><body onload="document.forms[0].submit()">'
                f'<form method="POST" name="hiddenform" action="{escape(action)}">{inputs}'
                f'<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit">'
                f'</noscript></form></body></html>')

    def redirect_url(self, auth_uri: str, **claims) -> str:
        """The full callback URL the browser would be sent to after :meth:`sign_in`."""
        query = dict(parse_qsl(urlsplit(auth_uri).query))
        assert query.get("response_mode", "query") == "query", "with form_post the browser POSTs sign_in()'s dict"
        redirect_uri = query["redirect_uri"]
        separator = "&" if urlsplit(redirect_uri).query else "?"
        return redirect_uri + separator + urlencode(self.sign_in(auth_uri, **claims))

    # ----- HTTP -------------------------------------------------------------

    def _handle(self, method, url, params, data, headers) -> FakeResponse:
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        query.update(params or {})
        if isinstance(data, (str, bytes)):
            data = dict(parse_qsl(data.decode() if isinstance(data, bytes) else data, keep_blank_values=True))
        data = dict(data or {})
        base = f"{parts.scheme}://{parts.netloc}{parts.path}"
        headers = dict(headers or {})
        self.requests.append(FakeRequest(method, base, query, data, headers))
        if f"{parts.scheme}://{parts.netloc}" in (f"https://{HOST}", self.base_url):
            routes = (
                ("GET", r"/(?P<tenant>[^/]+)/v2\.0/\.well-known/openid-configuration", self._openid_configuration),
                ("GET", r"/(?P<tenant>[^/]+)/discovery/v2\.0/keys", lambda tenant: _json(200, self.jwks())),
                ("GET", r"/common/discovery/instance", lambda: self._instance_discovery(query)),
                ("POST", r"/(?P<tenant>[^/]+)/oauth2/v2\.0/token", lambda tenant: self._token(tenant, data, headers)),
            )
            for route_method, pattern, handler in routes:
                match = re.fullmatch(pattern, parts.path)
                if match and route_method == method:
                    return handler(**match.groupdict())
        return _json(404, {"error": "not_found", "error_description": f"FakeEntra has no route for {method} {base}"})

    def _openid_configuration(self, tenant: str) -> FakeResponse:
        base = f"{self.base_url}/{tenant}"
        if _GUID.match(tenant):
            issuer = f"https://{HOST}/{tenant.lower()}/v2.0"
        elif tenant == "consumers":
            issuer = f"https://{HOST}/{PERSONAL_ACCOUNT_TID}/v2.0"
        else:
            issuer = ISSUER_TEMPLATE
        return _json(200, {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": issuer,
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "cloud_instance_name", "cloud_instance_host_name",
                                 "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time",
                                 "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash",
                                 "c_hash", "email"],
            "kerberos_endpoint": f"{base}/kerberos",
            "tenant_region_scope": None,
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        })

    @staticmethod
    def _instance_discovery(query: dict) -> FakeResponse:
        authorize = urlsplit(query.get("authorization_endpoint", f"https://{HOST}/common/oauth2/authorize"))
        tenant = authorize.path.strip("/").split("/")[0] or "common"
        return _json(200, {
            "tenant_discovery_endpoint": f"https://{HOST}/{tenant}/v2.0/.well-known/openid-configuration",
            "api-version": "1.1",
            "metadata": [{
                "preferred_network": HOST,
                "preferred_cache": "login.windows.net",
                "aliases": [HOST, "login.windows.net", "login.microsoft.com", "sts.windows.net"],
            }],
        })

    def _token(self, tenant: str, form: dict, headers: dict) -> FakeResponse:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        authorization = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if authorization.startswith("Basic "):
            basic_id, _, basic_secret = base64.b64decode(authorization[6:]).decode().partition(":")
            client_id, secret = client_id or unquote_plus(basic_id), secret or unquote_plus(basic_secret)
        if client_id != self.client_id:
            return _oauth_error(400, "unauthorized_client", 700016,
                                f"AADSTS700016: Application with identifier '{client_id}' was not found.")
        if secret != self.client_secret:
            return _oauth_error(401, "invalid_client", 7000215,
                                "AADSTS7000215: Invalid client secret provided.")
        if form.get("grant_type") == "client_credentials":
            return self._app_token(tenant, form)
        if form.get("grant_type") != "authorization_code":
            return _oauth_error(400, "unsupported_grant_type", 70003,
                                "AADSTS70003: The app requested an unsupported grant type.")
        code = form.get("code", "")
        with self._lock:
            grant = self._codes.pop(code, None)  # any redemption attempt uses the code up
            already_redeemed = code in self._redeemed
            self._redeemed.add(code)
        if already_redeemed:
            return _oauth_error(400, "invalid_grant", 54005,
                                "AADSTS54005: OAuth2 Authorization code was already redeemed, "
                                "please retry with a new valid code or use an existing refresh token.")
        if grant is None or grant.client_id != client_id or grant.tenant != tenant:
            return _oauth_error(400, "invalid_grant", 70000, "AADSTS70000: The provided authorization code is invalid.")
        if time.time() - grant.issued_at > CODE_LIFETIME:
            return _oauth_error(400, "invalid_grant", 70008,
                                "AADSTS70008: The provided authorization code or refresh token has expired.")
        if form.get("redirect_uri") != grant.redirect_uri:
            return _oauth_error(400, "invalid_grant", 0,
                                "The redirect_uri does not match the one used in the authorization request.")
        if grant.code_challenge is not None:
            verifier = form.get("code_verifier", "")
            if _b64url(hashlib.sha256(verifier.encode("ascii", "replace")).digest()) != grant.code_challenge:
                return _oauth_error(400, "invalid_grant", 501481,
                                    "AADSTS501481: The Code_Verifier does not match the code_challenge "
                                    "supplied in the authorization request.")
        claims = dict(grant.claims)
        tid = claims.get("tid") or DEFAULT_TID
        oid = claims.get("oid") or DEFAULT_OID
        body = {
            "token_type": "Bearer",
            "scope": "openid profile email offline_access",
            "expires_in": TOKEN_LIFETIME,
            "ext_expires_in": TOKEN_LIFETIME,
            "access_token": "fake-access-token." + secrets.token_urlsafe(24),
            "client_info": _b64url(json.dumps({"uid": oid, "utid": tid}).encode()),
        }
        if "openid" in grant.scope:
            body["id_token"] = self.mint_id_token(**claims)
        return _json(200, body)


    def _app_token(self, tenant: str, form: dict) -> FakeResponse:
        """An app-only token (no user), as Entra issues for ``https://graph.microsoft.com/.default``."""
        scopes = form.get("scope", "").split()
        if not scopes or not all(s.endswith("/.default") for s in scopes if s not in ("openid", "profile",
                                                                                      "offline_access")):
            return _oauth_error(400, "invalid_scope", 1002012,
                                "AADSTS1002012: The provided value for scope is not valid. Client credential "
                                "flows must have a scope value with /.default suffixed to the resource identifier.")
        token = "fake-app-token." + secrets.token_urlsafe(24)
        with self._lock:
            self.app_tokens[token] = {"tenant": tenant.lower(), "expired": False}
        return _json(200, {"token_type": "Bearer", "expires_in": TOKEN_LIFETIME, "ext_expires_in": TOKEN_LIFETIME,
                           "access_token": token})

    def app_token_tenant(self, token: str) -> str | None:
        """The tenant an unexpired app token was issued in, or None."""
        grant = self.app_tokens.get(token)
        return grant["tenant"] if grant and not grant["expired"] else None

    def expire_app_tokens(self) -> None:
        with self._lock:
            for grant in self.app_tokens.values():
                grant["expired"] = True


def _json(status: int, body: dict) -> FakeResponse:
    return FakeResponse(status, json.dumps(body))


def _oauth_error(status: int, error: str, code: int, description: str) -> FakeResponse:
    """An error body shaped like Microsoft's token endpoint errors."""
    return _json(status, {
        "error": error,
        "error_description": description,
        "error_codes": [code] if code else [],
        "timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ"),
        "trace_id": str(uuid.uuid4()),
        "correlation_id": str(uuid.uuid4()),
    })
