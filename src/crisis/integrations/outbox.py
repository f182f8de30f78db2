"""When to try a delivery again, and what an answer means for a waiting message.

The outbox holds every score for an LMS gradebook and every statement for a learning record
store until the receiver accepts it. Nothing is dropped: a refusal is kept with the
receiver's words, shown to admins, and retried (scores) or retried on an admin's request
(statements, since an LRS that refuses a statement will refuse it again).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

#: First wait after a failure; each further failure doubles it, up to :data:`MAX_WAIT`.
FIRST_WAIT = dt.timedelta(seconds=30)
MAX_WAIT = dt.timedelta(hours=6)

PENDING = "pending"
DELIVERED = "delivered"
REFUSED = "refused"
STATUSES = (PENDING, DELIVERED, REFUSED)


def next_try(attempts: int, now: dt.datetime) -> dt.datetime:
    """When to try again after ``attempts`` failed tries (30 s, 1 min, 2 min … 6 h)."""
    wait = FIRST_WAIT * (2 ** max(0, min(attempts - 1, 20)))
    return now + min(wait, MAX_WAIT)


@dataclass(frozen=True)
class Outcome:
    """What one delivery try came to."""

    #: delivered, pending (try again later) or refused (kept; needs a person).
    status: str
    http_status: int | None = None
    error: str = ""


def judge(channel: str, http_status: int | None, error: str = "") -> Outcome:
    """The outcome of an answer: 2xx delivered; no answer, 408, 429 or 5xx retried later.

    Other 4xx answers: a score stays pending (an LMS may refuse until the line item or the
    learner's enrolment exists, so it is retried with back-off), a statement is refused and
    kept with the error for an admin.
    """
    if http_status is not None and 200 <= http_status < 300:
        return Outcome("delivered", http_status)
    if http_status is None or http_status in (408, 425, 429) or http_status >= 500:
        return Outcome(PENDING, http_status, error)
    if channel == "ags":
        return Outcome(PENDING, http_status, error)
    return Outcome(REFUSED, http_status, error)
