"""Fixtures of the integration tests: a CRISIS app, a real LTI platform, a real LRS."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from crisis.settings import Settings
from crisis.web.app import create_app
from tests.integrations.lrs import Lrs
from tests.integrations.platform import TestPlatform

TOOL = "http://testserver"


@pytest.fixture
def lti_settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        secret_key="test-secret-key-0123456789",
        base_url=TOOL,
        outbox_seconds=0,
    )


@pytest.fixture
def lti_app(lti_settings: Settings, engine: Engine):  # type: ignore[no-untyped-def]
    return create_app(lti_settings, engine=engine)


@pytest.fixture
def platform() -> Iterator[TestPlatform]:
    """A running LTI 1.3 platform (lti1p3platform) on a free local port."""
    p = TestPlatform(TOOL)
    p.start()
    try:
        yield p
    finally:
        p.stop()


def client_for(app) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app, base_url=TOOL)


@pytest.fixture
def lrs(tmp_path: Path) -> Iterator[Lrs]:
    server = Lrs(tmp_path / "lrs")
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(tmp_path / "lrs", ignore_errors=True)
