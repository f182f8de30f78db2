"""LTI 1.3 messages: checking a platform's id_token and mapping its roles to CRISIS roles.

Every refusal is a :class:`LaunchRefused` that names the check that failed (signature,
issuer, audience, authorized party, expiry, issued at, nonce, deployment, claims), so that
the platform's administrator can see at once what to fix.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from crisis.exceptions import AuthenticationError

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
RESOURCE_LINK = "LtiResourceLinkRequest"
DEEP_LINKING = "LtiDeepLinkingRequest"
MESSAGE_TYPES = (RESOURCE_LINK, DEEP_LINKING)
#: Clock difference allowed between the platform and us, in seconds.
LEEWAY = 60
#: An id_token issued longer ago than this is refused even if it has not expired.
MAX_AGE = 600

SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_RESULT = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_MEMBERSHIP = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
TOOL_SCOPES = (SCOPE_LINEITEM, SCOPE_RESULT, SCOPE_SCORE, SCOPE_MEMBERSHIP)

_INSTRUCTOR_ROLES = (
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
    "http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper",
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator",
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor",
    "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant",
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor",
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Faculty",
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
    "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator",
)
#: Short (context) role names that LTI allows in place of the full URIs.
_INSTRUCTOR_SHORT = ("Instructor", "ContentDeveloper", "Administrator", "Mentor")


class LaunchRefused(AuthenticationError):
    """A launch, deep-linking request or registration step that fails one of the checks."""

    def __init__(self, check: str, message: str) -> None:
        super().__init__(f"{check}: {message}")
        #: The name of the failed check (signature, issuer, audience, nonce, …).
        self.check = check


@dataclass(frozen=True)
class Launch:
    """A checked LTI message: who launched what, from where, with which services."""

    issuer: str
    client_id: str
    deployment_id: str
    message_type: str
    sub: str
    nonce: str
    roles: tuple[str, ...]
    #: When the id_token expires (its ``exp``).
    expires: dt.datetime = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    name: str = ""
    email: str = ""
    resource_link_id: str = ""
    resource_link_title: str = ""
    context_id: str = ""
    context_title: str = ""
    target_link_uri: str = ""
    custom: dict[str, str] = field(default_factory=dict)
    ags: dict[str, Any] | None = None
    nrps: dict[str, Any] | None = None
    deep_linking: dict[str, Any] | None = None

    @property
    def crisis_role(self) -> str:
        """The CRISIS role this launch's LTI roles map to."""
        return map_role(self.roles)


def map_role(roles: Iterable[str]) -> str:
    """``instructor`` for teaching roles (instructor, TA, content developer, course or
    institution administrator), else ``learner``.

    A platform never makes anyone a CRISIS admin or analyst: those roles are given here.
    """
    for role in roles:
        if role in _INSTRUCTOR_ROLES or role in _INSTRUCTOR_SHORT:
            return "instructor"
    return "learner"


def _b64json(part: str) -> dict[str, Any]:
    padded = part + "=" * (-len(part) % 4)
    value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of a JWT, *unverified*, to find whose keys verify it.

    Raises:
        LaunchRefused: (check ``format``) the token is not a JWT.
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise LaunchRefused("format", "the id_token is not a JSON Web Token (three parts)")
    try:
        return _b64json(parts[0]), _b64json(parts[1])
    except (ValueError, UnicodeError) as exc:
        raise LaunchRefused("format", f"the id_token cannot be decoded ({exc})") from None


def audiences(claims: dict[str, Any]) -> list[str]:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list) and all(isinstance(a, str) for a in aud):
        return list(aud)
    return []


def verify_signature(token: str, keyset: KeySet) -> dict[str, Any]:
    """The claims of ``token`` once its RS256 signature checks against ``keyset``.

    Raises:
        LaunchRefused: (check ``signature``) no key of the set verifies it.
    """
    header, _claims = peek(token)
    if header.get("alg") != "RS256":
        raise LaunchRefused("signature", f"algorithm {header.get('alg')!r}; LTI requires RS256")
    try:
        return dict(jwt.decode(token, keyset, algorithms=["RS256"]).claims)
    except (JoseError, ValueError) as exc:
        raise LaunchRefused(
            "signature", f"the signature does not match the platform's keys ({exc})"
        ) from None


def check_times(claims: dict[str, Any], now: dt.datetime, leeway: int = LEEWAY) -> None:
    """Refuse an expired token, or one issued in the future or too long ago."""
    stamp = now.timestamp()
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float):
        raise LaunchRefused("claims", "the id_token has no exp (expiry) claim")
    if not isinstance(iat, int | float):
        raise LaunchRefused("claims", "the id_token has no iat (issued at) claim")
    if exp < stamp - leeway:
        raise LaunchRefused("expiry", f"the id_token expired {int(stamp - exp)} s ago")
    if iat > stamp + leeway:
        raise LaunchRefused("issued at", "the id_token is issued in the future; check clocks")
    if iat < stamp - MAX_AGE - leeway:
        raise LaunchRefused("issued at", f"the id_token was issued {int(stamp - iat)} s ago")


def _claim(claims: dict[str, Any], name: str) -> Any:
    return claims.get(LTI + name)


def verify_launch(
    token: str,
    *,
    keyset: KeySet,
    issuer: str,
    client_id: str,
    deployments: Collection[str],
    nonce: str,
    now: dt.datetime | None = None,
) -> Launch:
    """Check an id_token from a launch or deep-linking request, all of it.

    Args:
        token: The ``id_token`` the platform posted.
        keyset: The platform's public keys.
        issuer: The registered issuer; ``iss`` must equal it.
        client_id: Our client id at the platform; ``aud`` must contain it (and ``azp``
            equal it when present or when there are several audiences).
        deployments: The registered deployment ids; the message's must be one of them.
        nonce: The nonce we sent with the login request for this browser.
        now: The time to check ``exp``/``iat`` against (default: now).

    Raises:
        LaunchRefused: naming the failed check.
    """
    claims = verify_signature(token, keyset)
    if claims.get("iss") != issuer:
        raise LaunchRefused("issuer", f"iss {claims.get('iss')!r} is not {issuer!r}")
    auds = audiences(claims)
    if client_id not in auds:
        raise LaunchRefused("audience", f"aud {claims.get('aud')!r} does not name {client_id!r}")
    azp = claims.get("azp")
    if (len(auds) > 1 or azp is not None) and azp != client_id:
        raise LaunchRefused("authorized party", f"azp {azp!r} is not {client_id!r}")
    check_times(claims, now or dt.datetime.now(dt.UTC))
    if not nonce or claims.get("nonce") != nonce:
        raise LaunchRefused("nonce", "the nonce does not match the one sent at login")
    deployment = _claim(claims, "deployment_id")
    if not isinstance(deployment, str) or not deployment:
        raise LaunchRefused("claims", "the deployment_id claim is missing")
    if deployment not in deployments:
        raise LaunchRefused("deployment", f"deployment {deployment!r} is not registered")
    return _launch(claims, client_id, deployment)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _launch(claims: dict[str, Any], client_id: str, deployment: str) -> Launch:
    missing = []
    message_type = _claim(claims, "message_type")
    if message_type not in MESSAGE_TYPES:
        raise LaunchRefused(
            "message type", f"{message_type!r}; expected {' or '.join(MESSAGE_TYPES)}"
        )
    if _claim(claims, "version") != "1.3.0":
        missing.append("version (1.3.0)")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        missing.append("sub")
    roles = _claim(claims, "roles")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        missing.append("roles")
        roles = []
    link = _claim(claims, "resource_link") or {}
    settings = claims.get(DL + "deep_linking_settings")
    if message_type == RESOURCE_LINK:
        if not isinstance(link, dict) or not _text(link.get("id")):
            missing.append("resource_link.id")
        if not _text(_claim(claims, "target_link_uri")):
            missing.append("target_link_uri")
    elif not isinstance(settings, dict) or not _text(settings.get("deep_link_return_url")):
        missing.append("deep_linking_settings.deep_link_return_url")
    if missing:
        raise LaunchRefused("claims", "missing or malformed: " + ", ".join(missing))
    context = _claim(claims, "context") or {}
    custom = _claim(claims, "custom") or {}
    ags = claims.get(AGS_CLAIM)
    nrps = claims.get(NRPS_CLAIM)
    return Launch(
        issuer=str(claims["iss"]),
        client_id=client_id,
        deployment_id=deployment,
        message_type=str(message_type),
        sub=str(sub),
        nonce=str(claims.get("nonce")),
        roles=tuple(roles),
        expires=dt.datetime.fromtimestamp(float(claims["exp"]), dt.UTC),
        name=_text(claims.get("name"))
        or " ".join(
            p for p in (_text(claims.get("given_name")), _text(claims.get("family_name"))) if p
        ),
        email=_text(claims.get("email")),
        resource_link_id=_text(link.get("id")) if isinstance(link, dict) else "",
        resource_link_title=_text(link.get("title")) if isinstance(link, dict) else "",
        context_id=_text(context.get("id")) if isinstance(context, dict) else "",
        context_title=_text(context.get("title") or context.get("label"))
        if isinstance(context, dict)
        else "",
        target_link_uri=_text(_claim(claims, "target_link_uri")),
        custom={str(k): str(v) for k, v in custom.items()} if isinstance(custom, dict) else {},
        ags=ags if isinstance(ags, dict) else None,
        nrps=nrps if isinstance(nrps, dict) else None,
        deep_linking=settings if isinstance(settings, dict) else None,
    )
