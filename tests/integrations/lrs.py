"""Ralph, a real learning record store, run by the tests on a free local port."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx2
import pytest

from tests.integrations.platform import free_port

ROOT = Path(__file__).resolve().parents[2]


def _ralph_python() -> Path:
    given = os.environ.get("CRISIS_TEST_RALPH")
    path = Path(given) if given else ROOT / ".venv-ralph" / "bin" / "python"
    if not path.exists():
        pytest.fail(
            f"Ralph LRS not installed at {path}: run `make ralph` (its own virtualenv, since its "
            "pinned FastAPI differs from ours) or set CRISIS_TEST_RALPH to its python"
        )
    return path


class Lrs:
    """Ralph, the learning record store, with its file-system backend, on a free port.

    Ralph's file backend creates the file it writes and refuses to write to one that exists,
    so that with a fixed file name (its default) only the first write of a server's life
    succeeds. With no file name it writes each batch to a new file of its own naming, and it
    reads statements from every file in its folder: that is how it runs here.
    """

    user = "crisis"
    password = "lrs-secret-pass"

    def __init__(self, folder: Path) -> None:
        self.python = _ralph_python()
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/xAPI"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("RALPH_")},
            "RALPH_APP_DIR": str(folder / "app"),
            "RALPH_AUTH_FILE": str(folder / "auth.json"),
            "RALPH_RUNSERVER_BACKEND": "fs",
            "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(folder / "data"),
            # Each write to a new file (see the class's docstring); reads glob the folder.
            "RALPH_BACKENDS__LRS__FS__DEFAULT_LRS_FILE": "",
            "RALPH_BACKENDS__LRS__FS__DEFAULT_QUERY_STRING": "*",
        }
        ralph = self.python.parent / "ralph"
        subprocess.run(
            [
                str(ralph),
                "auth",
                "-u",
                self.user,
                "-p",
                self.password,
                "-s",
                "all",
                "-A",
                "crisis",
                "http://testserver",
                "-w",
            ],
            env=self.env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with (self.folder / "lrs.log").open("ab") as log:
            self.process = subprocess.Popen(
                [
                    str(self.python),
                    "-m",
                    "uvicorn",
                    "ralph.api:app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if (
                    httpx2.get(f"http://127.0.0.1:{self.port}/__heartbeat__", timeout=1).status_code
                    == 200
                ):
                    return
            except httpx2.HTTPError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError((self.folder / "lrs.log").read_text()[-2000:])
            time.sleep(0.2)
        raise RuntimeError("Ralph did not start in 60 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self.process = None

    def stored(self) -> list[dict[str, object]]:
        """Every statement in every file of the LRS's folder, as written."""
        out = []
        for path in sorted((self.folder / "data").iterdir()):
            out.extend(json.loads(line) for line in path.read_text().splitlines() if line.strip())
        return out

    def files(self) -> int:
        """How many files Ralph has written (one per accepted write)."""
        return sum(1 for _ in (self.folder / "data").iterdir())

    def statements(self) -> list[dict[str, object]]:
        """Every statement the LRS holds (following its ``more`` pages)."""
        out: list[dict[str, object]] = []
        url = f"{self.url}/statements?limit=500"
        while url:
            answer = httpx2.get(
                url,
                auth=(self.user, self.password),
                headers={"X-Experience-API-Version": "1.0.3"},
                timeout=10,
            )
            answer.raise_for_status()
            body = answer.json()
            out.extend(body["statements"])
            more = body.get("more")
            url = f"http://127.0.0.1:{self.port}{more}" if more else ""
        return out
