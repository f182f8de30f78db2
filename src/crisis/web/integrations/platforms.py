"""LMS platforms: registered by an admin's form or by LTI Dynamic Registration.

Dynamic Registration starts from an address an admin makes here (it serves once, for a day):
the LMS administrator enters it in the LMS, which opens it with its configuration address
and a registration token; CRISIS reads the configuration, registers itself as a client of
the platform, and stores the platform with the client id and deployment it was given.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session, sessionmaker

from crisis import accounts
from crisis.exceptions import ConflictError, ContentError
from crisis.integrations import registration, services
from crisis.integrations.lti import TOOL_SCOPES, LaunchRefused
from crisis.settings import Settings
from crisis.store import integrations as store
from crisis.store.db import transaction
from crisis.store.integration_tables import LtiPlatform, LtiRegistrationLink
from crisis.store.tables import User, utcnow

#: How long a registration address may wait for its LMS.
LINK_LIFETIME = dt.timedelta(hours=24)

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _url(field: str, value: str, *, allow_http: bool) -> str:
    value = value.strip()
    parts = urlsplit(value)
    # Plain http only for a platform on this very machine (a local test LMS).
    plain = allow_http or parts.hostname in _LOOPBACK
    schemes = ("https", "http") if plain else ("https",)
    if parts.scheme not in schemes or not parts.netloc:
        raise ContentError(f"{field}: {value!r} is not an https:// address")
    return value


def register_platform(
    db: Session,
    *,
    name: str,
    issuer: str,
    client_id: str,
    auth_url: str,
    token_url: str,
    jwks_url: str,
    deployment_ids: str | Sequence[str],
    token_audience: str = "",
    allow_http: bool = False,
) -> LtiPlatform:
    """Register an LMS (what its administrator's tool registration shows).

    Raises:
        ContentError: a field is empty or not an https address (names the field).
        ConflictError: this issuer and client id are registered already.
    """
    errors = []
    values: dict[str, Any] = {"name": name.strip()[:200], "token_audience": token_audience.strip()}
    for field, value, limit in (("issuer", issuer, 255), ("client_id", client_id, 255)):
        if not value.strip() or len(value.strip()) > limit:
            errors.append(f"{field}: give 1–{limit} characters")
        values[field] = value.strip()
    for field, value in (("auth_url", auth_url), ("token_url", token_url), ("jwks_url", jwks_url)):
        try:
            values[field] = _url(field, value, allow_http=allow_http)
        except ContentError as exc:
            errors.append(str(exc))
    raw = deployment_ids.split() if isinstance(deployment_ids, str) else list(deployment_ids)
    deployments = sorted({d.strip() for d in raw if d.strip()})
    if not deployments:
        errors.append("deployment_ids: give at least one deployment id")
    if any(len(d) > 255 for d in deployments):
        errors.append("deployment_ids: each id has at most 255 characters")
    if errors:
        raise ContentError("; ".join(errors), errors=errors)
    values["deployment_ids"] = deployments
    if not values["name"]:
        values["name"] = urlsplit(values["issuer"]).netloc or values["issuer"]
    return store.add_platform(db, **values)


def set_deployments(db: Session, platform_id: int, deployment_ids: str) -> LtiPlatform:
    """Replace a platform's deployment ids."""
    row = store.get_platform(db, platform_id)
    deployments = sorted({d for d in deployment_ids.split() if d})
    if not deployments:
        raise ContentError("deployment_ids: give at least one deployment id")
    row.deployment_ids = deployments
    db.flush()
    return row


# --- Dynamic Registration -------------------------------------------------------------------


def registration_address(base: str, key: str) -> str:
    """The address an LMS administrator enters in the LMS."""
    return f"{base}/lti/register/{key}"


def new_registration_link(db: Session, admin: User, now: dt.datetime | None = None) -> str:
    """Make a registration link; returns its key (shown once, stored as a digest)."""
    key = secrets.token_urlsafe(24)
    store.add_registration_link(db, accounts.digest(key), admin, (now or utcnow()) + LINK_LIFETIME)
    return key


def _link(db: Session, key: str, now: dt.datetime) -> LtiRegistrationLink:
    row = store.registration_link(db, accounts.digest(key)) if key else None
    if row is None:
        raise LaunchRefused(
            "registration link", "this registration address is not one an admin of CRISIS made"
        )
    if row.used_at is not None:
        raise LaunchRefused(
            "registration link", "this registration address has served already; make a new one"
        )
    if row.expires_at <= now:
        raise LaunchRefused(
            "registration link", "this registration address has expired; make a new one"
        )
    return row


@dataclass(frozen=True)
class Offer:
    """What the registration page shows before the LMS administrator confirms."""

    config: registration.PlatformConfiguration
    request: dict[str, Any]


def _offer(settings: Settings, openid_configuration: str, registration_token: str) -> Offer:
    url = registration.checked_url("openid_configuration", openid_configuration)
    config = registration.read_configuration(
        url, services.fetch_configuration(url, registration_token)
    )
    body = registration.tool_registration(
        config,
        base=settings.public_url,
        scopes=TOOL_SCOPES,
        name="CRISIS",
        description="Smart City Resilience Officer education: self-assessment, adaptive "
        "test, course units, city resilience exercises and workbench tasks.",
        logo=settings.public_url + "/static/favicon.svg",
    )
    return Offer(config, body)


def preview(
    sessions: sessionmaker[Session],
    settings: Settings,
    key: str,
    openid_configuration: str,
    registration_token: str,
) -> Offer:
    """Check the link and read the platform's configuration (nothing is written).

    Raises:
        LaunchRefused: naming the check that failed (registration link, configuration).
    """
    with sessions() as db:
        _link(db, key, utcnow())
    return _offer(settings, openid_configuration, registration_token)


def register_dynamically(
    sessions: sessionmaker[Session],
    settings: Settings,
    key: str,
    openid_configuration: str,
    registration_token: str,
) -> LtiPlatform:
    """Register CRISIS with the platform and store the platform.

    The link is taken first (so that it serves once even if two windows post it) and given
    back if the registration fails, so that the administrator can try again.

    Raises:
        LaunchRefused: naming the check that failed (registration link, configuration,
            registration).
    """
    with transaction(sessions) as db:
        link = _link(db, key, utcnow())
        link.used_at = utcnow()
        link_id = link.id
    try:
        offer = _offer(settings, openid_configuration, registration_token)
        answer = registration.read_registration(
            services.post_registration(
                offer.config.registration_endpoint, registration_token, offer.request
            )
        )
        config = offer.config
        with transaction(sessions) as db:
            try:
                platform = store.add_platform(
                    db,
                    name=config.name[:200],
                    issuer=config.issuer[:255],
                    client_id=answer.client_id[:255],
                    auth_url=config.authorization_endpoint,
                    token_url=config.token_endpoint,
                    jwks_url=config.jwks_uri,
                    token_audience=config.token_audience[:1000],
                    deployment_ids=[answer.deployment_id] if answer.deployment_id else [],
                )
            except ConflictError as exc:
                raise LaunchRefused("registration", str(exc)) from None
            row = db.get(LtiRegistrationLink, link_id)
            if row is not None:
                row.platform_id = platform.id
        return platform
    except LaunchRefused:
        with transaction(sessions) as db:
            row = db.get(LtiRegistrationLink, link_id)
            if row is not None and row.platform_id is None:
                row.used_at = None
        raise
