"""Delivering the outbox: statements to the learning record store, scores to LMS gradebooks.

A pass claims the messages that are due in a short transaction (their next try moves a lease
ahead, so that a second sender — another server worker, ``crisis integrations deliver`` —
leaves them alone), sends them with no transaction open, and records each answer in another
short one. A sender that dies mid-pass leaves its claims to expire; the messages are sent
again, which stores nothing twice: a statement's id is fixed, a score replaces the last.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from crisis.competences.models import Catalogue
from crisis.exceptions import ConflictError
from crisis.integrations import outbox as rules
from crisis.integrations import services
from crisis.integrations.lti import SCOPE_SCORE
from crisis.settings import Settings
from crisis.store import integrations as store
from crisis.store.db import transaction
from crisis.store.integration_tables import LtiPlatform, OutboxMessage
from crisis.store.tables import User, utcnow
from crisis.web.integrations import journey
from crisis.web.integrations.offered import ActivityCache

#: How long a claimed message is left to its sender before another may send it.
LEASE = dt.timedelta(minutes=5)
#: Messages sent per channel and pass.
BATCH = 200


@dataclass
class Delivery:
    """What one delivery pass did, and what the outbox holds after it."""

    sent: int = 0
    delivered: int = 0
    waiting: int = 0
    refused: int = 0


@dataclass(frozen=True)
class _Claimed:
    id: int
    payload: dict[str, Any]
    target: str
    platform_id: int | None


def _claim(sessions: sessionmaker[Session], channel: str, now: dt.datetime) -> list[_Claimed]:
    """The due messages of ``channel`` this sender may send (none another sender holds)."""
    claimed = []
    with transaction(sessions) as db:
        for row in store.due(db, channel, now, BATCH):
            # Only if still due: a sender that got there first has moved next_at on.
            taken = db.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == row.id,
                    OutboxMessage.status == rules.PENDING,
                    OutboxMessage.next_at <= now,
                )
                .values(next_at=now + LEASE)
                .execution_options(synchronize_session=False)
            )
            if getattr(taken, "rowcount", 0) == 1:
                claimed.append(_Claimed(row.id, row.payload, row.target, row.platform_id))
    return claimed


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


def _record(
    sessions: sessionmaker[Session], outcomes: Sequence[tuple[int, rules.Outcome]], now: dt.datetime
) -> None:
    with transaction(sessions) as db:
        for message_id, outcome in outcomes:
            row = db.get(OutboxMessage, message_id)
            if row is not None:
                _mark(row, outcome, now)


def _send_statements(settings: Settings, batch: list[_Claimed]) -> list[tuple[int, rules.Outcome]]:
    lrs = services.Lrs(
        settings.lrs_url or "", settings.lrs_username or "", settings.lrs_password or ""
    )
    try:
        status = services.send_statements(lrs, [c.payload for c in batch])
        return [(c.id, rules.Outcome(rules.DELIVERED, status)) for c in batch]
    except services.ServiceError as exc:
        outcome = rules.judge("xapi", exc.status, exc.message)
    if outcome.status != rules.REFUSED or len(batch) == 1:
        return [(c.id, outcome) for c in batch]
    # One bad statement must not hold back the others: send them one by one.
    out = []
    for claimed in batch:
        try:
            one = services.send_statements(lrs, [claimed.payload])
            out.append((claimed.id, rules.Outcome(rules.DELIVERED, one)))
        except services.ServiceError as single:
            out.append((claimed.id, rules.judge("xapi", single.status, single.message)))
    return out


def _send_scores(
    sessions: sessionmaker[Session], settings: Settings, batch: list[_Claimed]
) -> list[tuple[int, rules.Outcome]]:
    with sessions() as db:
        platforms = {
            c.platform_id: db.get(LtiPlatform, c.platform_id) for c in batch if c.platform_id
        }
        known = {
            pid: services.Platform(p.issuer, p.client_id, p.token_url, p.token_audience)
            for pid, p in platforms.items()
            if p is not None
        }
    tokens: dict[int, str | services.ServiceError] = {}
    out = []
    for claimed in batch:
        platform = known.get(claimed.platform_id or 0)
        if platform is None or claimed.platform_id is None:
            gone = rules.Outcome(rules.PENDING, None, "the platform is no longer registered")
            out.append((claimed.id, gone))
            continue
        if claimed.platform_id not in tokens:
            try:
                tokens[claimed.platform_id] = services.access_token(
                    settings.data_dir, platform, [SCOPE_SCORE]
                )
            except services.ServiceError as exc:
                tokens[claimed.platform_id] = exc
        token = tokens[claimed.platform_id]
        if isinstance(token, services.ServiceError):
            out.append((claimed.id, rules.judge("ags", token.status, token.message)))
            continue
        try:
            status = services.post_score(token, claimed.target, claimed.payload)
            out.append((claimed.id, rules.Outcome(rules.DELIVERED, status)))
        except services.ServiceError as exc:
            out.append((claimed.id, rules.judge("ags", exc.status, exc.message)))
    return out


def deliver(
    sessions: sessionmaker[Session], settings: Settings, now: dt.datetime | None = None
) -> Delivery:
    """Send what is due: statements to the LRS (if one is set), scores to the LMSs.

    Args:
        sessions: Sessions on the database (writing ones).
        settings: The LRS address and credentials, the data dir with the tool's keys.
        now: The time to judge what is due by (default: now).
    """
    now = now or utcnow()
    report = Delivery()
    if settings.lrs_url:
        batch = _claim(sessions, "xapi", now)
        if batch:
            _record(sessions, _send_statements(settings, batch), now)
            report.sent += len(batch)
    scores = _claim(sessions, "ags", now)
    if scores:
        _record(sessions, _send_scores(sessions, settings, scores), now)
        report.sent += len(scores)
    with sessions() as db:
        counts = store.outbox_counts(db)
    report.delivered = sum(n for (_c, s), n in counts.items() if s == rules.DELIVERED)
    report.waiting = sum(n for (_c, s), n in counts.items() if s == rules.PENDING)
    report.refused = sum(n for (_c, s), n in counts.items() if s == rules.REFUSED)
    return report


def retry(db: Session, message_id: int) -> OutboxMessage:
    """Send a waiting or refused message at the next delivery pass.

    Raises:
        NotFoundError: no such message.
        ConflictError: it was delivered already.
    """
    row = store.get_message(db, message_id)
    if row.status == rules.DELIVERED:
        raise ConflictError(f"message {message_id} was delivered already")
    row.status = rules.PENDING
    row.next_at = utcnow()
    db.flush()
    return row


def run_once(
    sessions: sessionmaker[Session],
    settings: Settings,
    cat: Catalogue,
    cache: ActivityCache | None = None,
    now: dt.datetime | None = None,
) -> Delivery:
    """Collect new journey events, then deliver what is due (one pass of the sender)."""
    cache = cache or ActivityCache()
    with transaction(sessions) as db:
        journey.collect(db, base=settings.public_url, acts=cache.get(db, cat))
    return deliver(sessions, settings, now)


def statements_for(db: Session, user: User) -> list[dict[str, Any]]:
    """The learner's own xAPI statements (sent or waiting), oldest first."""
    return [row.payload for row in store.statements_of(db, user.id)]
