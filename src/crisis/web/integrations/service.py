"""The integrations as the pages, the LTI endpoints and the CLI all use them.

Load → check → change → save: every LTI check happens before anything is written, so a
refused launch creates nothing; scores and statements go to the outbox in the same
transaction as the work that caused them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Integer, func, select
from sqlalchemy.orm import Session

from crisis import accounts
from crisis.competences.models import Catalogue
from crisis.exceptions import ContentError, CrisisError, NotFoundError
from crisis.exercises.library import load_bundled as bundled_exercises
from crisis.integrations import outbox as rules
from crisis.integrations import services, xapi
from crisis.integrations.activities import Activity, catalogue, find
from crisis.integrations.lti import (
    DEEP_LINKING,
    SCOPE_MEMBERSHIP,
    SCOPE_SCORE,
    Launch,
    LaunchRefused,
    audiences,
    map_role,
    peek,
    verify_launch,
)
from crisis.learners.cohorts import new_join_code
from crisis.settings import Settings
from crisis.store import integrations as store
from crisis.store import learning as learning_store
from crisis.store import users
from crisis.store.course_tables import CourseQuizAttempt, CourseVisit
from crisis.store.exercise_tables import ExerciseRun
from crisis.store.integration_tables import LtiContext, LtiPlatform, OutboxMessage
from crisis.store.learner_tables import LearningAttempt, LearningRating, LearningResponse
from crisis.store.tables import User, utcnow
from crisis.web.courses import service as courses

STATE_COOKIE = "crisis_lti_state"
STATE_SECONDS = 600
_LOGIN_SALT = "crisis-lti-login"
_DEEP_SALT = "crisis-lti-deep-link"


def base_url(settings: Settings, request_base: str) -> str:
    """This instance's public address: the setting, else the request's."""
    return (settings.base_url or request_base).rstrip("/")


def activities(db: Session, cat: Catalogue, lang: str = "en") -> list[Activity]:
    """Everything an LMS can link to."""
    return catalogue(courses.course_of(db, cat).course, bundled_exercises(), lang)


# --- platforms ------------------------------------------------------------------------------


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
    """Check a launch (or deep-linking request) completely; writes only the used nonce.

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
    expires = dt.datetime.fromtimestamp(float(claims.get("exp", 0)), dt.UTC) + dt.timedelta(
        minutes=5
    )
    if not store.use_nonce(db, platform.id, launch.nonce, expires):
        raise LaunchRefused("nonce", "this id_token was used before (a replay)")
    return platform, launch


def _username(platform_id: int, sub: str) -> str:
    return f"lti{platform_id}-" + hashlib.sha256(sub.encode()).hexdigest()[:12]


def account_for(
    db: Session, platform: LtiPlatform, sub: str, *, name: str, email: str, role: str
) -> User:
    """The CRISIS account linked to the platform's user, created on first sight.

    A teaching role at the LMS raises a learner to instructor; nothing is ever lowered, and
    an LMS never makes anyone an admin or analyst.
    """
    user = store.linked_user(db, platform.id, sub)
    if user is None:
        user = users.add_user(
            db,
            _username(platform.id, sub),
            accounts.generate_password() + "Aa1!",
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


# --- journey events → statements and scores -------------------------------------------------

_SOURCES = ("rating", "answer", "test", "quiz", "run", "visit")


def _since(db: Session, name: str) -> dt.datetime:
    return store.cursor(db, name) or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def collect(db: Session, *, base: str, acts: Sequence[Activity]) -> int:
    """Put statements and scores for journey events not yet seen into the outbox.

    Reading is by time cursor per source; a second pass over the same events adds nothing
    (every message has a key derived from its event).

    Returns:
        How many messages were added.
    """
    by_key = {a.key: a for a in acts}
    added = 0
    names: dict[int, str] = {}

    def actor(user_id: int) -> xapi.Actor:
        if user_id not in names:
            user = db.get(User, user_id)
            names[user_id] = user.display_name if user is not None else str(user_id)
        return xapi.Actor(user_id, names[user_id])

    def say(user_id: int, verb: str, event: str, act: Activity, at: dt.datetime, **kw: Any) -> None:
        nonlocal added
        body = xapi.statement(
            base_url=base,
            actor=actor(user_id),
            verb=verb,
            event=event,
            kind=act.kind,
            path=act.path,
            title=act.title,
            timestamp=at,
            **kw,
        )
        added += store.enqueue(db, channel="xapi", key=body["id"], payload=body, user_id=user_id)

    def grade(
        user_id: int, act: Activity, event: str, given: float, maximum: float, at: dt.datetime
    ) -> None:
        nonlocal added
        for link, granted in store.graded_links(db, user_id, act.key):
            added += store.enqueue(
                db,
                channel="ags",
                key=f"ags:{link.id}:{event}",
                payload=services.score(
                    user_sub=granted.sub, given=given, maximum=maximum, timestamp=at
                ),
                user_id=user_id,
                platform_id=link.platform_id,
                target=link.lineitem_url or "",
            )

    # Self-assessment: one "completed" per save (the newest rating time of the learner).
    since = _since(db, "rating")
    newest = since
    rows = db.execute(
        select(LearningRating.user_id, func.max(LearningRating.rated_at))
        .group_by(LearningRating.user_id)
        .having(func.max(LearningRating.rated_at) >= since)
    )
    act = by_key.get("self-assessment")
    for user_id, at in rows:
        if act is not None:
            say(
                user_id,
                "completed",
                f"self:{at.isoformat()}",
                act,
                at,
                result=xapi.Result(completion=True),
            )
        newest = max(newest, at)
    store.set_cursor(db, "rating", newest)

    test = by_key.get("test")
    # Each answer of the adaptive test.
    since = _since(db, "answer")
    newest = since
    for row, attempt in db.execute(
        select(LearningResponse, LearningAttempt)
        .join(LearningAttempt, LearningAttempt.id == LearningResponse.attempt_id)
        .where(LearningResponse.answered_at >= since)
        .order_by(LearningResponse.id)
    ):
        if test is not None:
            question = Activity(
                f"item:{row.item_id}",
                "question",
                f"Question {row.item_id}",
                f"/learning/test/items/{row.item_id}",
            )
            say(
                attempt.user_id,
                "answered",
                f"answer:{row.id}",
                question,
                row.answered_at,
                result=xapi.Result(success=bool(row.correct)),
                parent=(test.path, test.title),
            )
        newest = max(newest, row.answered_at)
    store.set_cursor(db, "answer", newest)

    # Finished tests: completed and scored (share of correct answers, out of 100).
    since = _since(db, "test")
    newest = since
    for attempt in db.scalars(
        select(LearningAttempt).where(
            LearningAttempt.status == "finished", LearningAttempt.finished_at >= since
        )
    ):
        at = attempt.finished_at or utcnow()
        asked, right = db.execute(
            select(
                func.count(LearningResponse.id), func.sum(LearningResponse.correct.cast(Integer))
            ).where(LearningResponse.attempt_id == attempt.id)
        ).one()
        if test is not None and asked:
            given = 100.0 * float(right or 0) / float(asked)
            say(
                attempt.user_id,
                "completed",
                f"test:{attempt.id}",
                test,
                at,
                result=xapi.Result(completion=True),
            )
            say(
                attempt.user_id,
                "scored",
                f"test:{attempt.id}",
                test,
                at,
                result=xapi.Result(given, 100.0),
            )
            grade(attempt.user_id, test, f"test:{attempt.id}", given, 100.0, at)
        newest = max(newest, at)
    store.set_cursor(db, "test", newest)

    # Unit quizzes: scored, passed or failed, and the score to the LMS.
    since = _since(db, "quiz")
    newest = since
    for quiz in db.scalars(
        select(CourseQuizAttempt).where(
            CourseQuizAttempt.submitted_at.is_not(None), CourseQuizAttempt.submitted_at >= since
        )
    ):
        at = quiz.submitted_at or utcnow()
        act = by_key.get(f"unit:{quiz.unit_id}")
        if act is not None:
            result = xapi.Result(float(quiz.correct or 0), float(quiz.total), quiz.passed, True)
            say(quiz.user_id, "scored", f"quiz:{quiz.id}", act, at, result=result)
            say(
                quiz.user_id,
                "passed" if quiz.passed else "failed",
                f"quiz:{quiz.id}",
                act,
                at,
                result=result,
            )
            grade(
                quiz.user_id,
                act,
                f"quiz:{quiz.id}",
                float(quiz.correct or 0),
                float(quiz.total),
                at,
            )
        newest = max(newest, at)
    store.set_cursor(db, "quiz", newest)

    # Exercise runs: completed and scored (the debrief score, 0–100).
    since = _since(db, "run")
    newest = since
    for run in db.scalars(
        select(ExerciseRun).where(ExerciseRun.status == "done", ExerciseRun.finished_at >= since)
    ):
        at = run.finished_at or utcnow()
        act = by_key.get(f"exercise:{run.exercise}")
        if act is not None:
            say(
                run.user_id,
                "completed",
                f"run:{run.id}",
                act,
                at,
                result=xapi.Result(completion=True),
            )
            if run.score is not None:
                say(
                    run.user_id,
                    "scored",
                    f"run:{run.id}",
                    act,
                    at,
                    result=xapi.Result(run.score, 100.0),
                )
                grade(run.user_id, act, f"run:{run.id}", float(run.score), 100.0, at)
        newest = max(newest, at)
    store.set_cursor(db, "run", newest)

    # A unit opened for the first time: the learner progressed in the module.
    since = _since(db, "visit")
    newest = since
    for visit in db.scalars(select(CourseVisit).where(CourseVisit.first_at >= since)):
        act = by_key.get(f"unit:{visit.unit_id}") or by_key.get(f"workbench:{visit.unit_id}")
        if act is not None:
            say(
                visit.user_id,
                "progressed",
                f"visit:{visit.id}",
                act,
                visit.first_at,
                parent=(f"/learning/courses/{act.module}", act.module),
            )
        newest = max(newest, visit.first_at)
    store.set_cursor(db, "visit", newest)
    return added


# --- delivery -------------------------------------------------------------------------------


@dataclass
class Delivery:
    """What one delivery pass did."""

    delivered: int = 0
    waiting: int = 0
    refused: int = 0


def _mark(row: OutboxMessage, outcome: rules.Outcome, now: dt.datetime) -> None:
    row.attempts += 1
    row.last_status = outcome.http_status
    if outcome.status == rules.DELIVERED:
        row.status = rules.DELIVERED
        row.delivered_at = now
        row.last_error = None
        return
    row.status = outcome.status
    row.last_error = outcome.error[:2000]
    row.next_at = rules.next_try(row.attempts, now)


def deliver(db: Session, settings: Settings, now: dt.datetime | None = None) -> Delivery:
    """Send what is due: statements to the LRS (if one is set), scores to the LMSs."""
    now = now or utcnow()
    report = Delivery()
    if settings.lrs_url:
        lrs = services.Lrs(
            settings.lrs_url, settings.lrs_username or "", settings.lrs_password or ""
        )
        batch = store.due(db, "xapi", now)
        if batch:
            try:
                status = services.send_statements(lrs, [row.payload for row in batch])
                for row in batch:
                    _mark(row, rules.Outcome(rules.DELIVERED, status), now)
            except services.ServiceError as exc:
                outcome = rules.judge("xapi", exc.status, exc.message)
                if outcome.status == rules.REFUSED and len(batch) > 1:
                    # One bad statement must not hold back the others: send them one by one.
                    for row in batch:
                        try:
                            one = services.send_statements(lrs, [row.payload])
                            _mark(row, rules.Outcome(rules.DELIVERED, one), now)
                        except services.ServiceError as single:
                            _mark(row, rules.judge("xapi", single.status, single.message), now)
                else:
                    for row in batch:
                        _mark(row, outcome, now)
    scores = store.due(db, "ags", now)
    tokens: dict[int, str | services.ServiceError] = {}
    for row in scores:
        platform = db.get(LtiPlatform, row.platform_id) if row.platform_id else None
        if platform is None:
            _mark(
                row, rules.Outcome(rules.PENDING, None, "the platform is no longer registered"), now
            )
            continue
        if platform.id not in tokens:
            try:
                tokens[platform.id] = services.access_token(
                    settings.data_dir,
                    services.Platform(
                        platform.issuer,
                        platform.client_id,
                        platform.token_url,
                        platform.token_audience,
                    ),
                    [SCOPE_SCORE],
                )
            except services.ServiceError as exc:
                tokens[platform.id] = exc
        token = tokens[platform.id]
        if isinstance(token, services.ServiceError):
            _mark(row, rules.judge("ags", token.status, token.message), now)
            continue
        try:
            status = services.post_score(token, row.target, row.payload)
            _mark(row, rules.Outcome(rules.DELIVERED, status), now)
        except services.ServiceError as exc:
            _mark(row, rules.judge("ags", exc.status, exc.message), now)
    counts = store.outbox_counts(db)
    report.delivered = sum(n for (_c, s), n in counts.items() if s == rules.DELIVERED)
    report.waiting = sum(n for (_c, s), n in counts.items() if s == rules.PENDING)
    report.refused = sum(n for (_c, s), n in counts.items() if s == rules.REFUSED)
    return report


def retry(db: Session, message_id: int) -> OutboxMessage:
    """Send a waiting or refused message at the next delivery pass."""
    row = store.get_message(db, message_id)
    if row.status == rules.DELIVERED:
        raise CrisisError(f"message {message_id} was delivered already")
    row.status = rules.PENDING
    row.next_at = utcnow()
    db.flush()
    return row


def run_once(db: Session, settings: Settings, *, base: str, cat: Catalogue) -> Delivery:
    """Collect new events and deliver what is due (one pass of the background sender)."""
    collect(db, base=base, acts=activities(db, cat))
    return deliver(db, settings)


# --- roster ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterSync:
    """What a roster refresh changed."""

    cohort_id: int
    added: int
    removed: int
    learners: int


def sync_roster(db: Session, context_row: LtiContext, owner: User, data_dir: Path) -> RosterSync:
    """Make the LMS course's learners the members of its cohort (created on first sync).

    New members join without consent (membership is not consent: an instructor sees their
    results only once each learner agrees, as for any cohort). Learners of this platform who
    left the course leave the cohort.

    Raises:
        CrisisError: the course has no roster service, or the platform refused.
    """
    if not context_row.memberships_url:
        raise CrisisError("this LMS course did not offer its roster (no Names and Roles service)")
    platform = store.get_platform(db, context_row.platform_id)
    try:
        token = services.access_token(
            data_dir,
            services.Platform(
                platform.issuer, platform.client_id, platform.token_url, platform.token_audience
            ),
            [SCOPE_MEMBERSHIP],
        )
        members = services.members(token, context_row.memberships_url)
    except services.ServiceError as exc:
        raise CrisisError(f"the LMS did not give the roster: {exc.message}") from None
    if context_row.cohort_id is None:
        cohort = learning_store.create_cohort(
            db,
            owner,
            (context_row.title or context_row.context_id)[:200],
            join_code=new_join_code(),
        )
        context_row.cohort_id = cohort.id
    else:
        cohort = learning_store.get_cohort(db, context_row.cohort_id)
    present: set[str] = set()
    added = 0
    for member in members:
        sub = member.get("user_id")
        roles = member.get("roles") or []
        if not isinstance(sub, str) or not sub:
            continue
        if member.get("status", "Active") != "Active" or map_role(roles) != "learner":
            continue
        present.add(sub)
        name = str(
            member.get("name")
            or " ".join(str(member.get(k, "")) for k in ("given_name", "family_name")).strip()
        )
        user = account_for(
            db, platform, sub, name=name, email=str(member.get("email") or ""), role="learner"
        )
        try:
            learning_store.membership(db, cohort, user)
        except NotFoundError:
            learning_store.join(db, cohort, user, consented=False)
            added += 1
    removed = 0
    linked = store.linked_subs(db, platform.id)
    by_user = {uid: sub for sub, uid in linked.items()}
    for _member, user in learning_store.members(db, cohort):
        if user is not None and user.id in by_user and by_user[user.id] not in present:
            learning_store.leave(db, cohort, user)
            removed += 1
    context_row.synced_at = utcnow()
    db.flush()
    return RosterSync(cohort.id, added, removed, len(present))


def statements_for(db: Session, user: User) -> list[dict[str, Any]]:
    """The learner's own xAPI statements (sent or waiting), oldest first."""
    return [row.payload for row in store.statements_of(db, user.id)]
