"""HTTP clients of the LTI Advantage services and of a learning record store.

Everything that leaves CRISIS goes through here: the platform's key set, the OAuth 2 access
token (client credentials with a signed JWT assertion, as the 1EdTech Security Framework
asks), scores to a line item (AGS), the course roster (NRPS) and xAPI statements.
"""

from __future__ import annotations

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
    """Platforms' key sets, fetched once and again when a token names an unknown key."""

    def __init__(self, lifetime: float = 300.0) -> None:
        self._lock = threading.Lock()
        self._sets: dict[str, tuple[float, dict[str, Any]]] = {}
        self.lifetime = lifetime

    def get(self, url: str, kid: str | None = None) -> KeySet:
        """The key set at ``url``.

        Raises:
            LaunchRefused: (check ``signature``) the key set cannot be fetched or read.
        """
        with self._lock:
            cached = self._sets.get(url)
        fresh = cached is not None and time.monotonic() - cached[0] < self.lifetime
        known = cached is not None and (
            kid is None or any(k.get("kid") == kid for k in cached[1].get("keys", []))
        )
        if cached is None or not fresh or not known:
            data = fetch_jwks(url)
            with self._lock:
                self._sets[url] = (time.monotonic(), data)
        else:
            data = cached[1]
        try:
            return tool_keys.public_set(data)
        except Exception as exc:
            raise LaunchRefused("signature", str(exc)) from None


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
    auth = httpx2.BasicAuth(lrs.username, lrs.password) if lrs.username else None
    try:
        with _client() as client:
            response = client.post(
                lrs.statements_url,
                json=list(statements),
                headers={"X-Experience-API-Version": XAPI_VERSION},
                auth=auth,
            )
    except httpx2.HTTPError as exc:
        raise ServiceError(None, f"LRS {lrs.statements_url}: {exc}") from None
    if not 200 <= response.status_code < 300:
        raise _fail(response, f"LRS {lrs.statements_url}")
    return response.status_code
