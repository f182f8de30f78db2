"""The one error hierarchy of CRISIS.

Every error a user can cause is a :class:`CrisisError` whose message names the place:
the file and line, the field, the value. The CLI prints it as one line and exits 1; the web
layer turns it into a 4xx page or a problem-JSON response.
"""

from __future__ import annotations


class CrisisError(Exception):
    """Base class of every error CRISIS raises on purpose."""

    #: HTTP status the web layer answers with.
    status_code = 400

    def __init__(self, message: str, *, location: str | None = None) -> None:
        self.message = message
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


class SettingsError(CrisisError):
    """A ``CRISIS_*`` environment variable has a value that cannot be used."""


class FormatError(CrisisError):
    """A file or request body cannot be parsed (bad YAML, CSV, JSON, encoding, size)."""


class LimitExceededError(FormatError):
    """A file or request goes beyond one of the limits that keep the server responsive.

    The message names the limit; ``limit`` is its name (``CRISIS_MAX_UPLOAD_MB``, ``rows``,
    ``YAML aliases`` …) and ``value`` its value, for API clients.
    """

    def __init__(
        self,
        message: str,
        *,
        limit: str,
        value: int,
        location: str | None = None,
        too_large: bool = False,
    ) -> None:
        super().__init__(message, location=location)
        self.limit = limit
        self.value = value
        #: 413 for a size in bytes (body, unpacked file), 422 for a shape (rows, depth …).
        self.status_code = 413 if too_large else 422


class ContentError(CrisisError):
    """Content parses but breaks a rule (dangling reference, cycle, value out of range)."""

    def __init__(
        self, message: str, *, location: str | None = None, errors: list[str] | None = None
    ) -> None:
        super().__init__(message, location=location)
        #: Every problem found, each naming its place; ``message`` summarises them.
        self.errors = errors or [str(self)]


class NotFoundError(CrisisError):
    """A referenced object does not exist."""

    status_code = 404


class PermissionDeniedError(CrisisError):
    """The caller may not do this."""

    status_code = 403


class AuthenticationError(CrisisError):
    """Credentials are missing, wrong or expired."""

    status_code = 401


class ConflictError(CrisisError):
    """The request conflicts with the stored state (duplicate, stale edit, run in progress)."""

    status_code = 409


class RateLimitedError(CrisisError):
    """Too many attempts in a short time."""

    status_code = 429


class InfeasiblePathError(CrisisError):
    """No set of modules can close a learner's gaps."""

    status_code = 422


class SimulationError(CrisisError):
    """A city, hazard, intervention or run request that cannot be simulated."""

    status_code = 422


class StorageError(CrisisError):
    """The database cannot be reached or migrated."""

    status_code = 503
