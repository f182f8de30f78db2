"""A throwaway PostgreSQL cluster for the test suite, on a free local port.

PostgreSQL refuses to run as root, so under root the cluster runs as the ``postgres`` system
user (created by Debian's package) in a temporary directory owned by that user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def _bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not candidates:
        raise RuntimeError(
            f"PostgreSQL server program {name!r} not found: install the 'postgresql' package"
        )
    return candidates[-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """Start with :meth:`start`, get URLs with :meth:`url`, remove with :meth:`stop`."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="crisis-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._runas: list[str] = []
        if os.geteuid() == 0:
            user = "postgres"
            try:
                pw = pwd.getpwnam(user)
            except KeyError:
                raise RuntimeError(
                    "running as root needs the 'postgres' system user (package 'postgresql')"
                ) from None
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
            self.root.chmod(0o700)
            self._runas = ["runuser", "-u", user, "--"]

    def _run(self, *args: str) -> None:
        subprocess.run([*self._runas, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> Cluster:
        self._run(
            _bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--locale=C.UTF-8",
        )  # fmt: skip
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            _bin("pg_ctl"), "-D", str(self.data), "-o", options, "-l",
            str(self.root / "log"), "-w", "-t", "60", "start",
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.2)
        raise RuntimeError(f"PostgreSQL did not start; see {self.root / 'log'}")

    def start_with_retries(self, attempts: int = 3) -> Cluster:
        """Start, moving to another free port if one was taken meanwhile by someone else."""
        for attempt in range(attempts):
            try:
                return self.start()
            except (subprocess.CalledProcessError, RuntimeError):
                if attempt == attempts - 1:
                    raise
                self.stop()
                self.__init__()  # type: ignore[misc]
        raise AssertionError("unreachable")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
