"""The background sender: collects journey events and delivers the outbox every few seconds.

It runs in a daemon thread of the server process, stops with the server, and never loses a
message: everything it would send is in the database until the receiver accepts it.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.orm import Session, sessionmaker

from crisis.competences.loader import load_bundled
from crisis.settings import Settings
from crisis.web.integrations import service

log = logging.getLogger("crisis.integrations")


class Sender:
    """A thread that runs :func:`service.run_once` every ``settings.outbox_seconds``."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.sessions = sessions
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.settings.outbox_seconds <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="crisis-outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
            self._thread = None

    def _run(self) -> None:
        base = self.settings.base_url or f"http://{self.settings.host}:{self.settings.port}"
        while not self._stop.wait(self.settings.outbox_seconds):
            try:
                with self.sessions() as db:
                    service.run_once(db, self.settings, base=base, cat=load_bundled())
                    db.commit()
            except Exception:  # the next pass tries again; nothing is lost
                log.exception("outbox pass failed")
