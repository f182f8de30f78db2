"""The OpenAPI document tells the truth: schemathesis sends generated requests, as every
role, and every answer must match what the document says (status, media type, schema) and
never be a 500.

The number of examples per operation is bounded and the generation derandomised, so the
run is repeatable and its length fixed.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine

from crisis.settings import Settings
from crisis.web.app import create_app
from tests.conftest import ROLES, csrf_of, login

EXAMPLES = 6
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
#: Background jobs the API can start, pointed at a function that refuses at once, so that
#: the run does not simulate cities; what is checked is the API's answer.
JOB_KINDS = {
    kind: "tests.web.jobfuncs:refuse"
    for kind in ("workbench.estimate_impact", "exercises.run", "exercises.tabletop")
}


@pytest.fixture
def migrated_url(tmp_path: Path, sqlite_template: Path) -> str:
    """One engine is enough for the document: a copy of the session's SQLite template."""
    target = tmp_path / "test.db"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def api(settings: Settings, engine: Engine, accounts: dict[str, str]) -> Iterator[Any]:
    app = create_app(settings, engine=engine, job_kinds=JOB_KINDS)
    with TestClient(app):  # runs the lifespan
        yield app


def _token(app: Any, role: str) -> str:
    with TestClient(app) as browser:
        login(browser, role)
        answer = browser.post(
            "/account/tokens", data={"name": "st", "csrf_token": csrf_of(browser)}
        )
        start = answer.text.index('id="new-token">') + len('id="new-token">')
        return answer.text[start : answer.text.index("<", start)]


@pytest.mark.slow
@pytest.mark.parametrize("role", [*ROLES, "anonymous"])
def test_every_answer_matches_the_document(api: Any, role: str) -> None:
    headers = {} if role == "anonymous" else {"Authorization": f"Bearer {_token(api, role)}"}
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", api)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    failures: list[str] = []
    answered: Counter[int] = Counter()
    for operation in operations:

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            answered[response.status_code] += 1

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:2000])
    assert failures == []
    assert sum(answered.values()) >= EXAMPLES * len(operations) // 2  # the run really ran
    if role != "anonymous":
        assert sum(n for status, n in answered.items() if status < 300) > len(operations) // 4
