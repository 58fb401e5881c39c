"""Microsoft Graph, as the Intune sync needs it: an app token and paged GETs that survive Graph's manners.

The token comes from msal's client-credentials flow for one tenant. Graph throttles (429, and
503 when busy) with a `Retry-After` in seconds that may be fractional ("2.128"); we wait that long
through an injectable `sleep`, so tests do not. A token can expire between two pages: a 401 with
`InvalidAuthenticationToken` gets one fresh token and one more try. Anything else is a GraphError
with a sentence a trust administrator can act on.
"""
from __future__ import annotations

import time
from typing import Callable, Iterator
from urllib.parse import urlsplit

import msal
import requests

SCOPE = "https://graph.microsoft.com/.default"
MICROSOFT_LOGIN_HOSTS = ("login.microsoftonline.com", "login.microsoftonline.us", "login.partner.microsoftonline.cn")
DEVICE_FIELDS = ("id", "deviceName", "serialNumber", "manufacturer", "model", "operatingSystem", "osVersion",
                 "complianceState", "isEncrypted", "lastSyncDateTime", "userPrincipalName", "emailAddress",
                 "userId", "azureADDeviceId")
MAX_ATTEMPTS = 6
LONGEST_WAIT = 120.0  # seconds; a longer Retry-After is Graph telling us to come back another night
TIMEOUT = 60


class GraphError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class GraphClient:
    """One tenant's Graph, read with one app registration.

    `http` is a requests-like session (msal uses it too); `sleep` is how we wait when throttled."""

    def __init__(self, *, tenant_id: str, client_id: str, client_secret: str, authority_host: str,
                 graph_url: str, http=None, sleep: Callable[[float], None] = time.sleep):
        self.tenant_id = tenant_id
        self.client_id = client_id
        self._secret = client_secret
        self.authority = f"{authority_host.rstrip('/')}/{tenant_id}"
        self.graph_url = graph_url.rstrip("/")
        self.http = http or requests.Session()
        self.sleep = sleep
        self._token: str | None = None
        self.tokens_acquired = 0

    def __repr__(self) -> str:  # never the secret, in a log or a traceback
        return f"GraphClient(tenant_id={self.tenant_id!r}, client_id={self.client_id!r})"

    # --- the token ---------------------------------------------------------------------------

    def _acquire(self) -> str:
        if not (self.client_id and self._secret):
            raise GraphError("Intune sync is not configured on this server: it needs TRUST_IT_INTUNE_CLIENT_ID "
                             "and TRUST_IT_INTUNE_CLIENT_SECRET.")
        # A new msal application each time: its cache would hand back the token Graph just refused.
        known = urlsplit(self.authority).hostname in MICROSOFT_LOGIN_HOSTS
        try:
            app = msal.ConfidentialClientApplication(
                self.client_id, client_credential=self._secret, authority=self.authority,
                http_client=self.http, instance_discovery=None if known else False)
            result = app.acquire_token_for_client(scopes=[SCOPE])
        except (ValueError, requests.RequestException) as exc:
            raise GraphError(f"Could not reach Microsoft's sign-in service for tenant {self.tenant_id}: "
                             f"{str(exc).splitlines()[0][:300]}") from exc
        if "access_token" not in result:
            first_line = (result.get("error_description") or result.get("error") or "no reason given").splitlines()[0]
            raise GraphError(f"Microsoft refused this site an app token for tenant {self.tenant_id}: {first_line}")
        self.tokens_acquired += 1
        return result["access_token"]

    def token(self) -> str:
        if self._token is None:
            self._token = self._acquire()
        return self._token

    # --- GET with manners --------------------------------------------------------------------

    def get(self, url: str, params: dict | None = None) -> dict:
        """One JSON answer from Graph (a full URL, or a path under /v1.0)."""
        if not url.startswith(("http://", "https://")):
            url = f"{self.graph_url}/v1.0/{url.lstrip('/')}"
        refreshed = False
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                response = self.http.get(url, params=params, timeout=TIMEOUT,
                                         headers={"Authorization": f"Bearer {self.token()}",
                                                  "Accept": "application/json"})
            except requests.RequestException as exc:
                raise GraphError(f"Could not reach Microsoft Graph: {str(exc).splitlines()[0][:300]}") from exc
            if response.status_code == 200:
                try:
                    return response.json()
                except ValueError as exc:
                    raise GraphError("Microsoft Graph answered with something that is not JSON.") from exc
            if response.status_code == 401 and _error_code(response) == "InvalidAuthenticationToken" \
                    and not refreshed:
                refreshed = True  # expired between two pages: one fresh token, one more try
                self._token = self._acquire()
                continue
            if response.status_code in (429, 503, 504) and attempt < MAX_ATTEMPTS:
                self.sleep(_retry_after(response, attempt))
                continue
            raise GraphError(_explain(response, url))
        raise GraphError(f"Microsoft Graph was still busy after {MAX_ATTEMPTS} tries.")  # pragma: no cover

    def pages(self, path: str, params: dict | None = None) -> Iterator[list[dict]]:
        """Every page of a collection, following `@odata.nextLink` (which carries the query itself)."""
        body = self.get(path, params)
        while True:
            yield list(body.get("value") or [])
            next_link = body.get("@odata.nextLink")
            if not next_link:
                return
            body = self.get(next_link)

    def managed_devices(self) -> Iterator[list[dict]]:
        return self.pages("deviceManagement/managedDevices", {"$select": ",".join(DEVICE_FIELDS)})

    def group_names_of(self, user_id: str) -> set[str]:
        """The ids and display names (lower-case) of the groups a user is a member of."""
        found = set()
        for page in self.pages(f"users/{user_id}/memberOf", {"$select": "id,displayName"}):
            for group in page:
                found.update(str(v).strip().lower() for v in (group.get("id"), group.get("displayName")) if v)
        return found


def _error_code(response) -> str:
    try:
        return str((response.json().get("error") or {}).get("code") or "")
    except (ValueError, AttributeError):
        return ""


def _retry_after(response, attempt: int) -> float:
    """Graph's `Retry-After` in seconds, fractional or not; without one, back off exponentially."""
    raw = response.headers.get("Retry-After", "")
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 2.0 ** attempt
    if seconds != seconds or seconds < 0:  # NaN or negative: not a number we can wait
        seconds = 2.0 ** attempt
    return min(seconds, LONGEST_WAIT)


def _explain(response, url: str) -> str:
    code = _error_code(response)
    try:
        message = str((response.json().get("error") or {}).get("message") or "")
    except (ValueError, AttributeError):
        message = ""
    path = urlsplit(url).path
    if response.status_code == 403:
        return (f"Microsoft Graph refused {path} (403 {code or 'Forbidden'}): the app registration needs the "
                f"DeviceManagementManagedDevices.Read.All application permission, with an administrator's "
                f"consent in this tenant.")
    if response.status_code in (429, 503, 504):
        return f"Microsoft Graph was still busy after {MAX_ATTEMPTS} tries ({response.status_code} on {path})."
    detail = f": {message.splitlines()[0][:300]}" if message else ""
    return f"Microsoft Graph answered {response.status_code} {code or ''} on {path}{detail}".replace("  ", " ")
