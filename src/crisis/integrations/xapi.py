"""xAPI statements of the learner journey, with ADL verbs and ids that never change.

A statement's id is a UUID derived from what happened (who, which event, which record), so
building it twice gives the same id: an outbox can be filled again, or a delivery repeated,
and the learning record store still holds each statement once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

XAPI_VERSION = "1.0.3"
ADL = "http://adlnet.gov/expapi/verbs/"
#: The verbs CRISIS uses, from the ADL vocabulary.
VERBS = ("launched", "answered", "completed", "passed", "failed", "scored", "progressed")
_ACTIVITY_TYPES = {
    "self-assessment": "http://adlnet.gov/expapi/activities/assessment",
    "test": "http://adlnet.gov/expapi/activities/assessment",
    "unit": "http://adlnet.gov/expapi/activities/lesson",
    "exercise": "http://adlnet.gov/expapi/activities/simulation",
    "workbench": "http://adlnet.gov/expapi/activities/interaction",
    "question": "http://adlnet.gov/expapi/activities/cmi.interaction",
    "module": "http://adlnet.gov/expapi/activities/module",
}
_NAMESPACE = uuid.UUID("6c1f3e0a-6b52-4b7e-9a39-2f1b1cf0c7a1")


@dataclass(frozen=True)
class Actor:
    """The learner as an xAPI agent: an account on this CRISIS instance."""

    user_id: int
    name: str


@dataclass(frozen=True)
class Result:
    """What a statement reports: a score, success, completion."""

    raw: float | None = None
    maximum: float | None = None
    success: bool | None = None
    completion: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.raw is not None and self.maximum:
            scaled = max(0.0, min(1.0, self.raw / self.maximum))
            out["score"] = {
                "raw": round(self.raw, 4),
                "min": 0,
                "max": self.maximum,
                "scaled": round(scaled, 4),
            }
        if self.success is not None:
            out["success"] = self.success
        if self.completion is not None:
            out["completion"] = self.completion
        return out


def statement_id(base_url: str, user_id: int, verb: str, event: str) -> str:
    """The id of the statement that ``verb`` records for ``event`` of ``user_id``."""
    return str(uuid.uuid5(_NAMESPACE, f"{base_url}|{user_id}|{verb}|{event}"))


def activity_id(base_url: str, path: str) -> str:
    """The IRI of an activity: the page it is done on, under this instance's base URL."""
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def statement(
    *,
    base_url: str,
    actor: Actor,
    verb: str,
    event: str,
    kind: str,
    path: str,
    title: str,
    timestamp: dt.datetime,
    result: Result | None = None,
    parent: tuple[str, str] | None = None,
    language: str = "en",
) -> dict[str, Any]:
    """One xAPI statement.

    Args:
        base_url: This instance's base URL (activity ids and the actor's home page).
        actor: The learner.
        verb: One of :data:`VERBS`.
        event: What happened, unique for this learner and verb (e.g. ``quiz:42``); it fixes
            the statement id.
        kind: The activity kind (self-assessment, test, unit, exercise, workbench, question).
        path: The activity's page, relative to the base URL.
        title: The activity's name.
        timestamp: When it happened.
        result: Score, success, completion.
        parent: ``(path, title)`` of the activity this one belongs to (a module, a test).
        language: The interface language of the learner.
    """
    if verb not in VERBS:
        raise ValueError(f"verb {verb!r}: expected one of {', '.join(VERBS)}")
    base = base_url.rstrip("/")
    body: dict[str, Any] = {
        "id": statement_id(base, actor.user_id, verb, event),
        "actor": {
            "objectType": "Agent",
            "name": actor.name,
            "account": {"homePage": base + "/", "name": str(actor.user_id)},
        },
        "verb": {"id": ADL + verb, "display": {"en-US": verb}},
        "object": {
            "objectType": "Activity",
            "id": activity_id(base, path),
            "definition": {
                "name": {"en-US": title},
                "type": _ACTIVITY_TYPES.get(kind, _ACTIVITY_TYPES["unit"]),
            },
        },
        "timestamp": timestamp.astimezone(dt.UTC).isoformat(timespec="milliseconds"),
        "context": {"platform": "CRISIS", "language": language},
    }
    if result is not None and result.as_dict():
        body["result"] = result.as_dict()
    if parent is not None:
        body["context"]["contextActivities"] = {
            "parent": [
                {
                    "objectType": "Activity",
                    "id": activity_id(base, parent[0]),
                    "definition": {"name": {"en-US": parent[1]}},
                }
            ]
        }
    return body
