"""Web side of the integrations: LTI tool endpoints, Dynamic Registration, admin pages, the
outbox and its background sender."""

from __future__ import annotations

from crisis.web.integrations import admin, lti, registration, sender

__all__ = ["admin", "lti", "registration", "sender"]
