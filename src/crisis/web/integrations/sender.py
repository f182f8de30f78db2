"""The background sender: collects journey events and delivers the outbox every
``CRISIS_OUTBOX_SECONDS``.

``crisis serve`` starts it with the server and stops it with the server; an app built for a
test has none unless the test asks (``create_app(..., outbox_sender=True)``). It never loses a
message: everything it would send is in the database until the receiver accepts it, and it
claims what it sends, so that another server worker or ``crisis integrations deliver`` running
at the same time sends nothing twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from crisis.competences.models import Catalogue
from crisis.settings import Settings
from crisis.web.integrations import delivery
from crisis.web.integrations.offered import ActivityCache

log = logging.getLogger("crisis.integrations")


class Sender:
    """A thread that runs :func:`delivery.run_once` every ``settings.outbox_seconds``."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        cache: ActivityCache,
        catalogue: Callable[[], Catalogue],
    ) -> None:
        """
        Args:
            settings: The installation's settings (the interval, the LRS).
            sessions: Writing sessions on the database.
            cache: The app's activity lists.
            catalogue: The competence catalogue in use (the bundled one or an upload).
        """
        self.settings = settings
        self.sessions = sessions
        self.cache = cache
        self.catalogue = catalogue
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: Passes finished (for tests and the curious).
        self.passes = 0

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start sending (nothing happens when ``CRISIS_OUTBOX_SECONDS`` is 0)."""
        if self.settings.outbox_seconds <= 0 or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="crisis-outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the pass under way, if any (its claims are recorded before it ends)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.settings.outbox_seconds):
            try:
                delivery.run_once(self.sessions, self.settings, self.catalogue(), self.cache)
            except Exception:  # the next pass tries again; nothing is lost
                log.exception("outbox pass failed")
            self.passes += 1
