"""An LMS user comes in: OIDC login initiation, the launch checked in full, the account linked
or created with its role mapped, and the deep-linking picker's signed form.

Every check happens before anything is written, so a refused launch creates nothing; the
used nonce is written last, in the transaction that creates the rest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from crisis.exceptions import NotFoundError
from crisis.integrations import services, xapi
from crisis.integrations.activities import Activity, find
from crisis.integrations.lti import (
    DEEP_LINKING,
    LEEWAY,
    SCOPE_SCORE,
    Launch,
    LaunchRefused,
    audiences,
    peek,
    verify_launch,
)
from crisis.store import integrations as store
from crisis.store.integration_tables import LtiContext, LtiPlatform
from crisis.store.tables import User, utcnow

STATE_COOKIE = "crisis_lti_state"
STATE_SECONDS = 600
_LOGIN_SALT = "crisis-lti-login"
_DEEP_SALT = "crisis-lti-deep-link"


# --- OIDC login initiation ------------------------------------------------------------------


@dataclass(frozen=True)
class LoginStart:
    """Where to send the browser, and the state cookie that binds the launch to it."""

    redirect: str
    state: str
    cookie: str


def _serializer(secret: str, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=salt)


def begin_login(db: Session, params: Mapping[str, str], *, base: str, secret: str) -> LoginStart:
    """Answer a platform's third-party login initiation.

    Raises:
        LaunchRefused: the issuer or deployment is not registered, or a parameter is missing.
    """
    issuer = params.get("iss", "").strip()
    if not issuer:
        raise LaunchRefused("claims", "the login request has no iss")
    candidates = store.platforms_of_issuer(db, issuer)
    client_id = params.get("client_id", "").strip()
    if client_id:
        candidates = [p for p in candidates if p.client_id == client_id]
    if not candidates:
        raise LaunchRefused(
            "issuer", f"no platform {issuer!r} (client {client_id or '?'}) is registered"
        )
    if len(candidates) > 1:
        raise LaunchRefused("issuer", f"{issuer!r} has several registrations; send client_id")
    platform = candidates[0]
    login_hint = params.get("login_hint", "")
    if not login_hint:
        raise LaunchRefused("claims", "the login request has no login_hint")
    target = params.get("target_link_uri", "")
    if not target.startswith(base + "/"):
        raise LaunchRefused("target link", f"target_link_uri {target!r} is not on {base}")
    deployment = params.get("lti_deployment_id", "")
    if deployment and deployment not in platform.deployment_ids:
        raise LaunchRefused("deployment", f"deployment {deployment!r} is not registered")
    state = secrets.token_urlsafe(24)
    nonce = secrets.token_urlsafe(24)
    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": base + "/lti/launch",
        "login_hint": login_hint,
        "state": state,
        "nonce": nonce,
    }
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    separator = "&" if "?" in platform.auth_url else "?"
    cookie = _serializer(secret, _LOGIN_SALT).dumps({"s": state, "n": nonce, "p": platform.id})
    return LoginStart(platform.auth_url + separator + urlencode(query), state, cookie)


# --- launch ---------------------------------------------------------------------------------


def check_launch(
    db: Session,
    *,
    id_token: str,
    state: str,
    cookie: str | None,
    secret: str,
    keys: services.KeyCache,
    now: dt.datetime | None = None,
) -> tuple[LtiPlatform, Launch]:
    """Check a launch (or deep-linking request) completely; nothing is written (the nonce
    is spent by :func:`spend_nonce` in the transaction that acts on the launch).

    Raises:
        LaunchRefused: naming the failed check.
    """
    if not id_token:
        raise LaunchRefused("claims", "the launch has no id_token")
    if not cookie or not state:
        raise LaunchRefused("state", "this browser did not start the login (no state cookie)")
    try:
        bound = _serializer(secret, _LOGIN_SALT).loads(cookie, max_age=STATE_SECONDS)
    except SignatureExpired:
        raise LaunchRefused("state", "the login started more than 10 minutes ago") from None
    except BadSignature:
        raise LaunchRefused("state", "the state cookie is not ours") from None
    if not secrets.compare_digest(str(bound.get("s", "")), state):
        raise LaunchRefused("state", "the state does not match the one this browser sent")
    header, claims = peek(id_token)
    issuer = claims.get("iss")
    platform = next(
        (p for p in store.platforms_of_issuer(db, str(issuer)) if p.client_id in audiences(claims)),
        None,
    )
    if platform is None:
        known = store.platforms_of_issuer(db, str(issuer))
        if not known:
            raise LaunchRefused("issuer", f"iss {issuer!r} is not a registered platform")
        raise LaunchRefused("audience", f"aud {claims.get('aud')!r} names none of our client ids")
    if platform.id != bound.get("p"):
        raise LaunchRefused("state", "the login was started for another platform")
    keyset = keys.get(platform.jwks_url, header.get("kid"))
    launch = verify_launch(
        id_token,
        keyset=keyset,
        issuer=platform.issuer,
        client_id=platform.client_id,
        deployments=platform.deployment_ids,
        nonce=str(bound.get("n", "")),
        now=now,
    )
    return platform, launch


def spend_nonce(db: Session, platform_id: int, launch: Launch) -> None:
    """Record the launch's nonce as used, in the transaction that acts on the launch.

    Raises:
        LaunchRefused: (check ``nonce``) it was used before: a replay.
    """
    expires = launch.expires + dt.timedelta(seconds=LEEWAY + 60)
    if not store.use_nonce(db, platform_id, launch.nonce, expires):
        raise LaunchRefused("nonce", "this id_token was used before (a replay)")


def _username(platform_id: int, sub: str) -> str:
    return f"lti{platform_id}-" + hashlib.sha256(sub.encode()).hexdigest()[:12]


def account_for(
    db: Session, platform: LtiPlatform, sub: str, *, name: str, email: str, role: str
) -> User:
    """The CRISIS account linked to the platform's user, created on first sight.

    The account has no password: its owner signs in through the LMS (an admin may give it
    one). A teaching role at the LMS raises a learner to instructor; nothing is ever
    lowered, and an LMS never makes anyone an admin or analyst.
    """
    user = store.linked_user(db, platform.id, sub)
    if user is None:
        user = store.add_lms_user(
            db,
            _username(platform.id, sub),
            role,
            display_name=(name or "LMS user")[:128],
            email=email[:254] or None,
        )
        store.link_account(db, platform.id, sub, user)
    elif role == "instructor" and user.role == "learner":
        user.role = "instructor"
    if name and user.display_name.startswith("LMS user"):
        user.display_name = name[:128]
    return user


@dataclass(frozen=True)
class Entry:
    """Who came in and where they go."""

    user: User
    path: str
    activity: Activity | None
    context_id: int | None


def enter(
    db: Session,
    platform: LtiPlatform,
    launch: Launch,
    acts: Sequence[Activity],
    *,
    base: str,
) -> Entry:
    """Link or create the account, remember the course and link, and choose the page."""
    user = account_for(
        db, platform, launch.sub, name=launch.name, email=launch.email, role=launch.crisis_role
    )
    context_row: LtiContext | None = None
    if launch.context_id:
        context_row = store.save_context(
            db,
            platform.id,
            launch.deployment_id,
            launch.context_id,
            title=launch.context_title[:255] or None,
            memberships_url=(launch.nrps or {}).get("context_memberships_url"),
        )
        store.note_launch(context_row, user)
    if launch.message_type == DEEP_LINKING:
        return Entry(user, "", None, context_row.id if context_row else None)
    key = launch.custom.get("activity", "")
    activity: Activity | None = None
    if key:
        try:
            activity = find(acts, key)
        except NotFoundError:
            activity = None
    ags = launch.ags or {}
    scopes = ags.get("scope") or []
    link = store.save_link(
        db,
        platform.id,
        launch.deployment_id,
        launch.resource_link_id,
        context_row_id=context_row.id if context_row else None,
        activity=activity.key if activity else (key[:100] or "home"),
        title=launch.resource_link_title[:255],
        lineitem_url=ags.get("lineitem") if isinstance(ags.get("lineitem"), str) else None,
        score_scope=SCOPE_SCORE in scopes,
    )
    store.grant(db, user, link, launch.sub)
    if activity is not None:
        stamp = utcnow()
        body = xapi.statement(
            base_url=base,
            actor=xapi.Actor(user.id, user.display_name),
            verb="launched",
            event=f"launch:{link.id}:{stamp.isoformat()}",
            kind=activity.kind,
            path=activity.path,
            title=activity.title,
            timestamp=stamp,
        )
        store.enqueue(db, channel="xapi", key=body["id"], payload=body, user_id=user.id)
    path = (
        activity.path if activity else ("/learning" if user.role == "learner" else "/lti/courses")
    )
    return Entry(user, path, activity, context_row.id if context_row else None)


def deep_link_token(secret: str, launch: Launch) -> str:
    """What the picker form carries back (signed, 10 minutes)."""
    return _serializer(secret, _DEEP_SALT).dumps(
        {
            "iss": launch.issuer,
            "client_id": launch.client_id,
            "deployment": launch.deployment_id,
            "settings": launch.deep_linking or {},
            "sub": launch.sub,
        }
    )


def deep_link_launch(secret: str, token: str) -> Launch:
    """The deep-linking request the picker answers.

    Raises:
        LaunchRefused: (check ``state``) the form is too old or not ours.
    """
    try:
        data = _serializer(secret, _DEEP_SALT).loads(token, max_age=STATE_SECONDS)
    except (BadSignature, SignatureExpired):
        raise LaunchRefused("state", "the picker form is out of date; launch it again") from None
    return Launch(
        issuer=data["iss"],
        client_id=data["client_id"],
        deployment_id=data["deployment"],
        message_type=DEEP_LINKING,
        sub=data["sub"],
        nonce="",
        roles=(),
        deep_linking=data["settings"],
    )
