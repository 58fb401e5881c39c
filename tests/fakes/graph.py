"""Microsoft Graph's Intune endpoints and Entra's token endpoint, on a real HTTPS server on 127.0.0.1.

msal accepts only an https authority, so :class:`LocalMicrosoft` serves TLS with a certificate it
makes for 127.0.0.1 (``cafile`` is what a client trusts: ``requests.Session().verify`` in the test
process, ``REQUESTS_CA_BUNDLE`` for an rq worker in another). Paths under ``/v1.0/`` are
:class:`FakeGraph`'s; the rest are the :class:`tests.fakes.entra.FakeEntra` identity platform's,
which issues the app tokens Graph checks.

Graph's answers are scripted per page: ``graph.on_page(2, FakeGraph.server_error())`` makes the
next request for page 2 fail once; ``throttled("2.128")`` is a 429 with that Retry-After;
``EXPIRE_TOKEN`` expires every token just before the page is asked for, so the request carrying
the old one gets Graph's 401 ``InvalidAuthenticationToken``.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import json
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from tests.fakes.entra import FakeEntra

__all__ = ["EXPIRE_TOKEN", "FakeGraph", "LocalMicrosoft", "device"]

EXPIRE_TOKEN = "expire-token"
DEVICES_PATH = "/v1.0/deviceManagement/managedDevices"


def device(n: int = 1, **fields) -> dict:
    """A managed device as Graph lists it (with the untidy defaults real tenants have)."""
    body = {
        "id": f"0000{n:04d}-1111-2222-3333-444455556666",
        "deviceName": f"OAK-LT-{n:04d}",
        "serialNumber": f"5CG{n:07d}",
        "manufacturer": "HP",
        "model": "HP ProBook 450 G8",
        "operatingSystem": "Windows",
        "osVersion": "10.0.22631.3447",
        "complianceState": "compliant",
        "isEncrypted": True,
        "lastSyncDateTime": "2026-01-10T08:15:00Z",
        "userPrincipalName": "",
        "emailAddress": "",
        "userId": None,
        "azureADDeviceId": f"aaaa{n:04d}-1111-2222-3333-444455556666",
    }
    body.update(fields)
    return body


def _graph_error(status: int, code: str, message: str, headers: dict | None = None) -> Response:
    body = {"error": {"code": code, "message": message,
                      "innerError": {"date": "2026-01-10T08:15:00", "request-id": "fake", "client-request-id": "fake"}}}
    return Response(json.dumps(body), status=status, headers=headers or {}, content_type="application/json")


@dataclass
class FakeGraph:
    """Intune's managed devices (one list per tenant) and users' group memberships."""
    entra: FakeEntra
    page_size: int = 2
    devices: dict = field(default_factory=dict)          # tenant id → [device dicts]
    member_of: dict = field(default_factory=dict)        # Entra user id → [{"id", "displayName"}]
    script: dict = field(default_factory=dict)           # page number (1-based) → [responses to give first]
    requests: list = field(default_factory=list)         # (path, query) of every request

    def on_page(self, page: int, *answers) -> None:
        self.script.setdefault(page, []).extend(answers)

    @staticmethod
    def server_error() -> Response:
        return _graph_error(500, "InternalServerError", "An internal server error has occurred.")

    @staticmethod
    def throttled(retry_after: str = "2.128") -> Response:
        return _graph_error(429, "TooManyRequests", "Too many requests.", {"Retry-After": retry_after})

    def pages_served(self) -> int:
        return sum(1 for path, _ in self.requests if path == DEVICES_PATH)

    def __call__(self, request: Request, base_url: str) -> Response:
        self.requests.append((request.path, dict(request.args)))
        auth = request.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        page = int(request.args.get("$skiptoken", "0")) // self.page_size + 1
        scripted = self.script.get(page) if request.path == DEVICES_PATH else None
        if scripted:
            answer = scripted.pop(0)
            if answer == EXPIRE_TOKEN:
                self.entra.expire_app_tokens()
            else:
                return answer
        tenant = self.entra.app_token_tenant(token)
        if tenant is None:
            return _graph_error(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
        if request.path == DEVICES_PATH:
            return self._devices(request, tenant, base_url)
        if request.path.startswith("/v1.0/users/") and request.path.endswith("/memberOf"):
            user_id = request.path.split("/")[3]
            return Response(json.dumps({"value": self.member_of.get(user_id, [])}), content_type="application/json")
        return _graph_error(404, "ResourceNotFound", f"Resource not found for the segment '{request.path}'.")

    def _devices(self, request: Request, tenant: str, base_url: str) -> Response:
        listed = self.devices.get(tenant, [])
        start = int(request.args.get("$skiptoken", "0"))
        body = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#deviceManagement/managedDevices",
                "value": listed[start:start + self.page_size]}
        if start + self.page_size < len(listed):
            query = {k: v for k, v in request.args.items() if k != "$skiptoken"}
            body["@odata.nextLink"] = (f"{base_url}{DEVICES_PATH}?"
                                       + urlencode({**query, "$skiptoken": start + self.page_size}))
        return Response(json.dumps(body), content_type="application/json")


def _certificate(directory: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    # OpenSSL checks the dates on the real clock, the tests may run on a shifted one (tests/clock.py):
    # ten years either side holds under both.
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=3650)).not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        """Tests read requests from `FakeGraph.requests`, not from the terminal."""


class LocalMicrosoft:
    """``with LocalMicrosoft() as ms:`` — ``ms.url``, ``ms.cafile``, ``ms.entra``, ``ms.graph``."""

    def __init__(self, entra: FakeEntra | None = None):
        self.entra = entra or FakeEntra()
        self.graph = FakeGraph(self.entra)
        self._dir = tempfile.TemporaryDirectory(prefix="fake-microsoft-")
        cert, key = _certificate(Path(self._dir.name))
        self.cafile = str(cert)
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_Quiet,
                                   ssl_context=(str(cert), str(key)))
        self.url = f"https://127.0.0.1:{self._server.server_port}"
        self.entra.base_url = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def reset(self) -> None:
        """A fresh Graph (no devices, no script) and identity platform for the next test."""
        self.entra = FakeEntra(self.entra.client_id, self.entra.client_secret)
        self.entra.base_url = self.url
        self.graph = FakeGraph(self.entra)

    def __enter__(self) -> "LocalMicrosoft":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._dir.cleanup()

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith("/v1.0/"):
            return self.graph(request, self.url)(environ, start_response)
        data = dict(parse_qsl(request.get_data(as_text=True), keep_blank_values=True))
        answer = self.entra._handle(request.method, f"{self.url}{request.full_path.rstrip('?')}", None, data,
                                    dict(request.headers))
        return Response(answer.text, status=answer.status_code, headers=answer.headers)(environ, start_response)
