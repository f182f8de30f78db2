"""Web side of the integrations: LTI tool endpoints, admin pages, the background sender."""

from __future__ import annotations

from crisis.web.integrations import admin, lti, sender, service

__all__ = ["admin", "lti", "sender", "service"]
