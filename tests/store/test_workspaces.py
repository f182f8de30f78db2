"""Workspaces in the database: members, versions, conflicts, restore, evidence, demo seed."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from crisis.exceptions import ConflictError, ContentError, NotFoundError
from crisis.store import users, workspaces
from crisis.store.tables import User
from crisis.workbench.history import snapshot
from crisis.workbench.register import parse_hazard, save_hazard
from tests.conftest import PASSWORD


def _user(db: Session, name: str, role: str = "analyst") -> User:
    return users.add_user(db, name, PASSWORD, role)


def test_demo_is_seeded_once_with_its_owner(engine: Engine) -> None:
    with Session(engine) as db, db.begin():
        owner = _user(db, "analyst")
        row = workspaces.seed_demo(db, owner)
        assert row is not None and row.name == "portavera" and row.version == 1
        assert workspaces.seed_demo(db, owner) is None
        state = workspaces.current(db, row)
        assert state.workspace.hazard_register.city == "Portavera"
        assert len(state.workspace.hazard_register.hazards) == 13
        assert len(state.workspace.rounds) == 1
        assert workspaces.member_role(db, row, owner) == "owner"


def test_every_save_is_a_version_with_author_and_changes(engine: Engine) -> None:
    with Session(engine) as db, db.begin():
        maria, nikos = _user(db, "maria"), _user(db, "nikos")
        row = workspaces.seed_demo(db, maria)
        assert row is not None
        start = workspaces.current(db, row)
        flood = start.workspace.hazard_register.get("river-flood")
        edited = flood.model_copy(update={"owner": "Water utility"})
        register = save_hazard(start.workspace.hazard_register, edited, expected_version=1)
        saved = workspaces.save(
            db,
            row,
            start.workspace.model_copy(update={"hazard_register": register}),
            base=start.version,
            author=nikos,
            message="owner changed",
        )
        assert saved.number == 2 and saved.author == "nikos"
        assert saved.changes == {"hazards_changed": {"river-flood": ["owner", "version"]}}
        assert workspaces.last_change_of_hazard(db, row, "river-flood").number == 2  # type: ignore[union-attr]
        assert [v.number for v in workspaces.list_versions(db, row)] == [2, 1]


def test_a_save_from_a_stale_version_is_refused(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as db:
        owner = _user(db, "maria")
        row = workspaces.seed_demo(db, owner)
        assert row is not None
        db.commit()
        state = workspaces.current(db, row)
        workspaces.save(db, row, state.workspace, base=1, author=owner, message="first")
        db.commit()
        with pytest.raises(ConflictError, match="since you loaded version 1"):
            workspaces.save(db, row, state.workspace, base=1, author=owner, message="second")
        assert workspaces.get_workspace(db, "portavera").version == 2


def test_restore_brings_back_the_earlier_state_exactly(engine: Engine) -> None:
    with Session(engine) as db, db.begin():
        owner = _user(db, "maria")
        row = workspaces.seed_demo(db, owner)
        assert row is not None
        original = workspaces.get_version(db, row, 1).snapshot
        state = workspaces.current(db, row)
        register = state.workspace.hazard_register
        hazard = parse_hazard({
            **register.get("heatwave").model_dump(), "title": "Heat", "owner": "Health"
        })  # fmt: skip
        changed = state.workspace.model_copy(
            update={"hazard_register": save_hazard(register, hazard, expected_version=1)}
        )
        workspaces.save(
            db, row, changed, base=1, author=owner, message="edit", plan=[{"action": "x"}]
        )
        restored = workspaces.restore_version(db, row, 1, base=2, author=owner)
        assert restored.number == 3 and restored.snapshot == original
        assert restored.plan is None and restored.changes["restored"] == 1
        again = workspaces.current(db, row)
        assert snapshot(again.workspace) == original


def test_members_roles_and_the_last_owner(engine: Engine) -> None:
    with Session(engine) as db, db.begin():
        maria, nikos = _user(db, "maria"), _user(db, "nikos")
        row = workspaces.create_workspace(db, "testville", "Testville", maria)
        workspaces.set_member(db, row, nikos, "editor")
        assert [(u.username, r) for u, r in workspaces.members(db, row)] == [
            ("maria", "owner"),
            ("nikos", "editor"),
        ]
        with pytest.raises(ConflictError, match="at least one owner"):
            workspaces.set_member(db, row, maria, "viewer")
        with pytest.raises(ContentError, match="role must be one of"):
            workspaces.set_member(db, row, nikos, "boss")
        workspaces.set_member(db, row, nikos, "owner")
        workspaces.remove_member(db, row, maria)
        assert workspaces.list_workspaces(db, maria) == []
        assert [w.name for w in workspaces.list_workspaces(db, nikos)] == ["testville"]
        with pytest.raises(ConflictError, match="already exists"):
            workspaces.create_workspace(db, "testville", "Elsewhere", nikos)
        with pytest.raises(ContentError, match="name"):
            workspaces.create_workspace(db, "Bad Name!", "Elsewhere", nikos)
        with pytest.raises(NotFoundError):
            workspaces.get_version(db, row, 99)


def test_attachments_get_unique_names_within_an_answer(engine: Engine) -> None:
    with Session(engine) as db, db.begin():
        owner = _user(db, "maria")
        row = workspaces.create_workspace(db, "testville", "Testville", owner)
        first = workspaces.add_attachment(
            db, row, round_label="R1", question_id="P1.1", filename="plan.pdf",
            content_type="application/pdf", content=b"%PDF-1", user=owner,
        )  # fmt: skip
        second = workspaces.add_attachment(
            db, row, round_label="R1", question_id="P1.1", filename="plan.pdf",
            content_type="application/pdf", content=b"%PDF-2", user=owner, taken=["plan.pdf"],
        )  # fmt: skip
        assert (first.filename, second.filename) == ("plan.pdf", "plan (2).pdf")
        assert workspaces.get_attachment(db, row, second.id).content == b"%PDF-2"
        other = workspaces.create_workspace(db, "elsewhere", "Elsewhere", owner)
        with pytest.raises(NotFoundError):
            workspaces.get_attachment(db, other, second.id)
