"""HTTP clients of the LTI Advantage services and of a learning record store.

Everything that leaves CRISIS goes through here: the platform's key set, the OAuth 2 access
token (client credentials with a signed JWT assertion, as the 1EdTech Security Framework
asks), scores to a line item (AGS), the course roster (NRPS) and xAPI statements.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx2
from joserfc.jwk import KeySet

from crisis.integrations import keys as tool_keys
from crisis.integrations.lti import LaunchRefused
from crisis.integrations.xapi import XAPI_VERSION

TIMEOUT = httpx2.Timeout(10.0, connect=5.0)
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
MEMBERSHIP_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


class ServiceError(Exception):
    """A receiver that did not accept: its HTTP status (``None``: no answer) and words."""

    def __init__(self, status: int | None, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _client() -> httpx2.Client:
    return httpx2.Client(timeout=TIMEOUT, follow_redirects=False)


def _fail(response: httpx2.Response, what: str) -> ServiceError:
    body = response.text[:500].strip()
    return ServiceError(response.status_code, f"{what}: HTTP {response.status_code} {body}")


# --- the platform's keys --------------------------------------------------------------------


class KeyCache:
    """Platforms' key sets, kept for ``lifetime`` seconds and fetched again at once when a
    token names a key the set lacks (the platform rotated its keys).

    A set is fetched again for an unknown key at most every ``refetch_after`` seconds, so
    that tokens naming made-up keys cannot make CRISIS hammer a platform.
    """

    def __init__(self, lifetime: float = 300.0, refetch_after: float = 10.0) -> None:
        self._lock = threading.Lock()
        self._sets: dict[str, tuple[float, frozenset[str], KeySet]] = {}
        self.lifetime = lifetime
        self.refetch_after = refetch_after
        #: How many times a key set was fetched (for the administrator's curiosity and tests).
        self.fetches = 0

    def get(self, url: str, kid: str | None = None) -> KeySet:
        """The key set at ``url``.

        Raises:
            LaunchRefused: (check ``signature``) the key set cannot be fetched or read.
        """
        now = time.monotonic()
        with self._lock:
            cached = self._sets.get(url)
        if cached is not None:
            fetched, kids, keyset = cached
            fresh = now - fetched < self.lifetime
            known = kid is None or kid in kids
            if fresh and (known or now - fetched < self.refetch_after):
                return keyset
        data = fetch_jwks(url)
        try:
            keyset = tool_keys.public_set(data)
        except Exception as exc:
            raise LaunchRefused("signature", str(exc)) from None
        kids = frozenset(str(k.get("kid")) for k in data["keys"] if isinstance(k, dict))
        with self._lock:
            self._sets[url] = (time.monotonic(), kids, keyset)
            self.fetches += 1
        return keyset


def fetch_jwks(url: str) -> dict[str, Any]:
    """The JWKS document at ``url``.

    Raises:
        LaunchRefused: (check ``signature``) it cannot be fetched or is not a key set.
    """
    try:
        with _client() as client:
            response = client.get(url, headers={"Accept": "application/json"})
    except httpx2.HTTPError as exc:
        raise LaunchRefused(
            "signature", f"the platform's keys at {url} cannot be fetched: {exc}"
        ) from None
    if response.status_code != 200:
        raise LaunchRefused(
            "signature", f"the platform's keys at {url}: HTTP {response.status_code}"
        )
    try:
        data = response.json()
    except ValueError:
        raise LaunchRefused("signature", f"the platform's keys at {url} are not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise LaunchRefused("signature", f"{url} is not a JWKS (no 'keys' list)")
    return data


# --- dynamic registration -----------------------------------------------------------------


def fetch_configuration(url: str, registration_token: str = "") -> Any:
    """The platform's OpenID configuration document at ``url``.

    Raises:
        LaunchRefused: (check ``configuration``) it cannot be fetched or is not JSON.
    """
    headers = {"Accept": "application/json"}
    if registration_token:
        headers["Authorization"] = f"Bearer {registration_token}"
    try:
        with _client() as client:
            response = client.get(url, headers=headers)
    except httpx2.HTTPError as exc:
        raise LaunchRefused(
            "configuration", f"the platform configuration at {url} cannot be fetched: {exc}"
        ) from None
    if response.status_code != 200:
        raise LaunchRefused(
            "configuration", f"the platform configuration at {url}: HTTP {response.status_code}"
        )
    try:
        return response.json()
    except ValueError:
        raise LaunchRefused("configuration", f"{url} did not send JSON") from None


def post_registration(url: str, registration_token: str, body: dict[str, Any]) -> Any:
    """Post the tool's client registration; the platform's answer (JSON).

    Raises:
        LaunchRefused: (check ``registration``) the platform refused or did not answer.
    """
    headers = {"Accept": "application/json"}
    if registration_token:
        headers["Authorization"] = f"Bearer {registration_token}"
    try:
        with _client() as client:
            response = client.post(url, json=body, headers=headers)
    except httpx2.HTTPError as exc:
        raise LaunchRefused("registration", f"{url} did not answer: {exc}") from None
    if not 200 <= response.status_code < 300:
        raise LaunchRefused(
            "registration",
            f"the platform refused the registration: HTTP {response.status_code} "
            + response.text[:500].strip(),
        )
    try:
        return response.json()
    except ValueError:
        raise LaunchRefused("registration", "the platform's answer is not JSON") from None


# --- access tokens --------------------------------------------------------------------------


@dataclass(frozen=True)
class Platform:
    """What the services need to know of a registered platform."""

    issuer: str
    client_id: str
    token_url: str
    audience: str = ""


def access_token(data_dir: Path, platform: Platform, scopes: Sequence[str]) -> str:
    """An OAuth 2 access token for ``scopes`` from the platform's token endpoint.

    Raises:
        ServiceError: the platform refused or did not answer.
    """
    now = int(time.time())
    assertion = tool_keys.sign(
        data_dir,
        {
            "iss": platform.client_id,
            "sub": platform.client_id,
            "aud": platform.audience or platform.token_url,
            "iat": now,
            "exp": now + 300,
            "jti": secrets.token_urlsafe(16),
        },
    )
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
        "scope": " ".join(scopes),
    }
    try:
        with _client() as client:
            response = client.post(platform.token_url, data=form)
    except httpx2.HTTPError as exc:
        raise ServiceError(None, f"token endpoint {platform.token_url}: {exc}") from None
    if response.status_code != 200:
        raise _fail(response, f"token endpoint {platform.token_url}")
    try:
        token = response.json()["access_token"]
    except (ValueError, KeyError, TypeError):
        raise ServiceError(
            response.status_code, "the token endpoint sent no access_token"
        ) from None
    return str(token)


# --- Assignment and Grade Services ----------------------------------------------------------


def scores_url(lineitem: str) -> str:
    """The scores endpoint of a line item: its URL with ``/scores`` added to the path."""
    parts = urlsplit(lineitem)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def score(
    *,
    user_sub: str,
    given: float,
    maximum: float,
    timestamp: dt.datetime,
    completed: bool = True,
    comment: str = "",
) -> dict[str, Any]:
    """An AGS score for one learner (activity completed and fully graded)."""
    body: dict[str, Any] = {
        "userId": user_sub,
        "scoreGiven": round(max(0.0, min(given, maximum)), 4),
        "scoreMaximum": maximum,
        "activityProgress": "Completed" if completed else "InProgress",
        "gradingProgress": "FullyGraded" if completed else "Pending",
        "timestamp": timestamp.astimezone(dt.UTC).isoformat(timespec="milliseconds"),
    }
    if comment:
        body["comment"] = comment
    return body


def post_score(token: str, lineitem: str, body: dict[str, Any]) -> int:
    """Send one score; returns the platform's status.

    Raises:
        ServiceError: the platform refused or did not answer.
    """
    url = scores_url(lineitem)
    try:
        with _client() as client:
            response = client.post(
                url,
                json=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": SCORE_TYPE},
            )
    except httpx2.HTTPError as exc:
        raise ServiceError(None, f"scores {url}: {exc}") from None
    if not 200 <= response.status_code < 300:
        raise _fail(response, f"scores {url}")
    return response.status_code


# --- Names and Role Provisioning Services ---------------------------------------------------


def members(token: str, url: str, limit_pages: int = 50) -> list[dict[str, Any]]:
    """Every member of the context, following ``Link: rel="next"`` pages.

    Raises:
        ServiceError: the platform refused or did not answer.
    """
    out: list[dict[str, Any]] = []
    next_url: str | None = url
    pages = 0
    with _client() as client:
        while next_url and pages < limit_pages:
            try:
                response = client.get(
                    next_url,
                    headers={"Authorization": f"Bearer {token}", "Accept": MEMBERSHIP_TYPE},
                )
            except httpx2.HTTPError as exc:
                raise ServiceError(None, f"memberships {next_url}: {exc}") from None
            if response.status_code != 200:
                raise _fail(response, f"memberships {next_url}")
            try:
                data = response.json()
            except ValueError:
                raise ServiceError(200, f"memberships {next_url}: not JSON") from None
            found = data.get("members") if isinstance(data, dict) else None
            if not isinstance(found, list):
                raise ServiceError(200, f"memberships {next_url}: no 'members' list")
            out.extend(m for m in found if isinstance(m, dict))
            link = response.links.get("next") if hasattr(response, "links") else None
            next_url = (link or {}).get("url") or (
                data.get("next") if isinstance(data, dict) else None
            )
            pages += 1
    return out


# --- learning record store ------------------------------------------------------------------


@dataclass(frozen=True)
class Lrs:
    """A learning record store: its xAPI endpoint and Basic credentials."""

    url: str
    username: str = ""
    password: str = ""

    @property
    def statements_url(self) -> str:
        return self.url.rstrip("/") + "/statements"


def send_statements(lrs: Lrs, statements: Sequence[dict[str, Any]]) -> int:
    """POST statements to the LRS; returns its status.

    Raises:
        ServiceError: the LRS refused or did not answer.
    """
    headers = {"X-Experience-API-Version": XAPI_VERSION}
    if lrs.username:
        pair = f"{lrs.username}:{lrs.password}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    try:
        with _client() as client:
            response = client.post(lrs.statements_url, json=list(statements), headers=headers)
    except httpx2.HTTPError as exc:
        raise ServiceError(None, f"LRS {lrs.statements_url}: {exc}") from None
    if not 200 <= response.status_code < 300:
        raise _fail(response, f"LRS {lrs.statements_url}")
    return response.status_code
