"""What every workbench page and endpoint shares: access to a workspace, labels, uploads.

Access has two layers: the site role (analysts and admins use the workbench) and the member
role inside one workspace (viewer < editor < owner; an admin counts as owner everywhere).
Someone who is not a member is told the workspace does not exist.

Learners and instructors are not analysts, but each has a private **practice workspace** for
course tasks (:mod:`crisis.courses.practice`): they may open that one workspace and no other,
and nobody else is a member of it.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from fastapi import Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session, object_session
from starlette.datastructures import FormData

from crisis.exceptions import FormatError, NotFoundError, PermissionDeniedError
from crisis.store import courses as course_store
from crisis.store import workspaces
from crisis.store.tables import User
from crisis.store.workbench_tables import WorkbenchWorkspace
from crisis.web import i18n
from crisis.web.i18n import N_
from crisis.web.i18n import gettext as _
from crisis.web.rendering import page_language, render
from crisis.web.security import require_roles
from crisis.workbench.anchors import DIMENSIONS, bundled_anchors
from crisis.workbench.prioritise import CRITERIA

#: The site roles that use the workbench (admins always may).
analyst = require_roles("analyst")
#: Everyone who may open some workspace: analysts, and learners in their practice workspace.
workspace_user = require_roles("analyst", "learner", "instructor")
ROLE_RANK = {"viewer": 1, "editor": 2, "owner": 3}
MEMBER_ROLE_LABELS = {"viewer": N_("viewer"), "editor": N_("editor"), "owner": N_("owner")}
#: Largest evidence file attached to one answer.
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
BAND_LABELS = {
    "low": N_("low"),
    "medium": N_("medium"),
    "high": N_("high"),
    "very high": N_("very high"),
}
LEVEL_LABELS = {"preliminary": N_("preliminary"), "detailed": N_("detailed")}
SCENARIO_LABELS = {"most_probable": N_("Most probable"), "most_severe": N_("Most severe")}
COST_NAMES = {"low": N_("low cost"), "medium": N_("medium cost"), "high": N_("high cost")}
COST_LABELS = {
    "low": N_("low: within a department's running budget"),
    "medium": N_("medium: needs its own line in the annual budget"),
    "high": N_("high: a capital investment or a multi-year programme"),
}


@dataclass
class Access:
    """A signed-in user's way into one workspace."""

    row: WorkbenchWorkspace
    role: str
    user: User

    @property
    def can_edit(self) -> bool:
        """Editors and owners change the workspace."""
        return ROLE_RANK[self.role] >= ROLE_RANK["editor"]

    @property
    def can_manage(self) -> bool:
        """Owners manage members (a learner's practice workspace has none to manage)."""
        return self.role == "owner" and self.user.role in ("analyst", "admin")

    @property
    def name(self) -> str:
        """The workspace's name (its address)."""
        return self.row.name

    @cached_property
    def language(self) -> str:
        """The language the team writes the workspace's own texts in."""
        db = object_session(self.row)
        if db is None:
            return "en"
        return workspaces.current(db, self.row).workspace.language


def access(db: Session, user: User, name: str, need: str = "viewer") -> Access:
    """The user's access to workspace ``name``, at least ``need``.

    Raises:
        NotFoundError: No such workspace, or the user is not a member.
        PermissionDeniedError: A member whose role is below ``need``.
    """
    try:
        row = workspaces.get_workspace(db, name)
    except NotFoundError:
        raise NotFoundError(f"there is no workspace {name!r}") from None
    role = "owner" if user.role == "admin" else workspaces.member_role(db, row, user)
    if user.role not in ("analyst", "admin") and course_store.practice_owner(db, row) != user.id:
        role = None  # learners open their own practice workspace only
    if role is None:
        raise NotFoundError(f"there is no workspace {name!r}")
    if ROLE_RANK[role] < ROLE_RANK[need]:
        raise PermissionDeniedError(f"your role in {name} is {role}; this needs {need}")
    return Access(row, role, user)


def language(request: Request) -> str:
    """The page's language, activated so that ``_()`` in the handler translates."""
    lang = page_language(request)
    i18n.activate(request.app.state.catalogs[lang])
    return lang


def criterion_labels(language: str) -> dict[str, str]:
    """Title of each prioritisation criterion in ``language``."""
    anchors = bundled_anchors()
    labels = {"likelihood": _("Likelihood")}
    for dimension in DIMENSIONS:
        labels[dimension] = anchors.dimensions[dimension].title.get(language)  # type: ignore[index]
    return {c: labels[c] for c in CRITERIA}


def level_labels(language: str) -> dict[int, str]:
    """Title of each impact level 1–5 in ``language``."""
    return {k: v.get(language) for k, v in bundled_anchors().levels.items()}


def page(
    request: Request,
    template: str,
    acc: Access | None,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    """Render a workbench page with the workspace, the user's role and the sub-navigation."""
    values: dict[str, Any] = {"acc": acc, "band_labels": BAND_LABELS}
    if acc is not None:
        values["ws"] = acc.row
    values["language"] = page_language(request)
    values.update(context or {})
    return render(request, template, values, status_code=status_code)


async def form_data(request: Request) -> AsyncIterator[FormData]:
    """The request's form, whose uploaded files are closed once the response is done."""
    form = await request.form()
    try:
        yield form
    finally:
        await form.close()


async def read_upload(upload: Any, *, limit: int, what: str) -> tuple[str, bytes]:
    """The name and bytes of an uploaded file, refused above ``limit`` bytes.

    Raises:
        FormatError: No file, or too large.
    """
    if not isinstance(upload, UploadFile) and not hasattr(upload, "read"):
        raise FormatError(f"{what}: choose a file")
    name = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise FormatError(f"{what}: {name} is larger than {_mib(limit)} MiB")
    return name, data


def _mib(limit: int) -> str:
    value = limit / (1024 * 1024)
    return str(int(value)) if math.isclose(value, round(value)) else f"{value:.1f}"


def form_int(value: Any, field: str, *, low: int, high: int) -> int:
    """A whole number from a form field, within ``low``–``high``.

    Raises:
        FormatError: Naming the field.
    """
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise FormatError(f"{field}: expected a whole number, got {value!r}") from None
    if not low <= number <= high:
        raise FormatError(f"{field}: must be {low}–{high}, got {number}")
    return number
