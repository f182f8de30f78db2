"""The JSON API under ``/api/v1``: the caller's account and, for admins, users."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from crisis import accounts
from crisis.store import users
from crisis.store.tables import User
from crisis.web.security import csrf_protect, current_user, get_db, require_roles

router = APIRouter(prefix="/api/v1", dependencies=[Depends(csrf_protect)], tags=["accounts"])


class UserOut(BaseModel):
    username: str
    display_name: str
    role: str
    language: str | None
    is_active: bool
    created_at: dt.datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            language=user.language,
            is_active=user.is_active,
            created_at=user.created_at,
        )


class UserIn(BaseModel):
    username: str = Field(max_length=64)
    role: str = Field(default="learner", max_length=16)
    display_name: str = Field(default="", max_length=128)
    password: str | None = Field(default=None, max_length=1000)


class UserCreated(UserOut):
    password: str | None = Field(
        default=None, description="The generated password, when none was given."
    )


class RoleIn(BaseModel):
    role: str = Field(max_length=16)


@router.get("/me", response_model=UserOut, summary="The account behind this token or session")
def me(user: User = Depends(current_user)) -> UserOut:
    return UserOut.of(user)


@router.get("/users", response_model=list[UserOut], summary="All accounts (admin)")
def list_users(
    _admin: User = Depends(require_roles("admin")), db: Session = Depends(get_db)
) -> list[UserOut]:
    return [UserOut.of(u) for u in users.list_users(db)]


@router.post(
    "/users", response_model=UserCreated, status_code=201, summary="Create an account (admin)"
)
def create_user(
    body: UserIn, _admin: User = Depends(require_roles("admin")), db: Session = Depends(get_db)
) -> UserCreated:
    generated = body.password is None
    password = body.password or accounts.generate_password()
    user = users.add_user(db, body.username, password, body.role, display_name=body.display_name)
    db.commit()
    return UserCreated(**UserOut.of(user).model_dump(), password=password if generated else None)


@router.put("/users/{username}/role", response_model=UserOut, summary="Change a role (admin)")
def set_role(
    username: str,
    body: RoleIn,
    admin: User = Depends(require_roles("admin")),
    db: Session = Depends(get_db),
) -> UserOut:
    """The account's API tokens stop working. An admin cannot give up their own admin role,
    and the last active admin keeps it."""
    user = users.set_role(db, username, body.role, actor=admin)
    db.commit()
    return UserOut.of(user)
