"""The Deep Linking response: the activities an instructor picked, as LTI resource links."""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from typing import Any

from crisis.integrations.activities import Activity
from crisis.integrations.lti import DL, LTI, Launch


def content_item(activity: Activity, launch_url: str) -> dict[str, Any]:
    """One ``ltiResourceLink`` content item (with a line item if the activity is graded)."""
    item: dict[str, Any] = {
        "type": "ltiResourceLink",
        "title": activity.title,
        "url": launch_url,
        "custom": {"activity": activity.key},
    }
    if activity.score_maximum is not None:
        item["lineItem"] = {
            "scoreMaximum": activity.score_maximum,
            "label": activity.title,
            "resourceId": activity.key,
            "tag": "crisis",
        }
    return item


def response_claims(
    launch: Launch, activities: Sequence[Activity], launch_url: str
) -> dict[str, Any]:
    """The claims of the signed response sent back to the platform's return URL."""
    settings = launch.deep_linking or {}
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": launch.client_id,
        "aud": launch.issuer,
        "iat": now,
        "exp": now + 300,
        "nonce": secrets.token_urlsafe(16),
        LTI + "deployment_id": launch.deployment_id,
        LTI + "message_type": "LtiDeepLinkingResponse",
        LTI + "version": "1.3.0",
        DL + "content_items": [content_item(a, launch_url) for a in activities],
    }
    if "data" in settings:
        claims[DL + "data"] = settings["data"]
    return claims
