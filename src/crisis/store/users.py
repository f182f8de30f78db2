"""Repository functions for accounts, sessions, tokens, invitations and login attempts."""

from __future__ import annotations

import datetime as dt
from functools import cache

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from crisis import accounts
from crisis.exceptions import AuthenticationError, ConflictError, CrisisError, NotFoundError
from crisis.store.tables import ApiToken, Invitation, LoginAttempt, User, WebSession, utcnow


def add_user(
    db: Session,
    username: str,
    password: str,
    role: str = "learner",
    *,
    display_name: str = "",
    email: str | None = None,
) -> User:
    name = accounts.check_username(username)
    accounts.check_role(role)
    accounts.check_password(password)
    if db.scalar(select(User.id).where(User.username == name)) is not None:
        raise ConflictError(f"username {name!r} is already taken")
    user = User(
        username=name,
        password_hash=accounts.hash_password(password),
        role=role,
        display_name=display_name or name,
        email=email or None,
    )
    db.add(user)
    db.flush()
    return user


def get_user(db: Session, username: str) -> User:
    user = db.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFoundError(f"no user named {username!r}")
    return user


def list_users(db: Session) -> list[User]:
    return list(db.scalars(select(User).order_by(User.username)))


def count_users(db: Session) -> int:
    return db.scalar(select(func.count(User.id))) or 0


def set_role(db: Session, username: str, role: str) -> User:
    user = get_user(db, username)
    user.role = accounts.check_role(role)
    return user


def set_active(db: Session, username: str, active: bool) -> User:
    user = get_user(db, username)
    user.is_active = active
    if not active:
        db.execute(delete(WebSession).where(WebSession.user_id == user.id))
    return user


def set_password(db: Session, username: str, password: str) -> User:
    user = get_user(db, username)
    user.password_hash = accounts.hash_password(accounts.check_password(password))
    # A new password ends every open session of the account.
    db.execute(delete(WebSession).where(WebSession.user_id == user.id))
    return user


def authenticate(db: Session, username: str, password: str) -> User:
    """Return the active user with these credentials, or raise one vague error."""
    user = db.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.is_active:
        accounts.verify_password(_dummy_hash(), password)  # same cost whether or not it exists
        raise AuthenticationError("wrong username or password")
    if not accounts.verify_password(user.password_hash, password):
        raise AuthenticationError("wrong username or password")
    if accounts.needs_rehash(user.password_hash):
        user.password_hash = accounts.hash_password(password)
    return user


@cache
def _dummy_hash() -> str:
    return accounts.hash_password("not-a-real-password")


# --- login rate limiting ---------------------------------------------------------------


def recent_failures(db: Session, username: str, address: str, window: dt.timedelta) -> int:
    since = utcnow() - window
    by_name = db.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.username == username,
            LoginAttempt.success.is_(False),
            LoginAttempt.at >= since,
        )
    )
    by_address = db.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.address == address,
            LoginAttempt.success.is_(False),
            LoginAttempt.at >= since,
        )
    )
    return max(by_name or 0, by_address or 0)


def record_attempt(db: Session, username: str, address: str, success: bool) -> None:
    db.add(LoginAttempt(username=username[:64], address=address[:64], success=success))
    if success:
        db.execute(
            delete(LoginAttempt).where(
                LoginAttempt.username == username, LoginAttempt.success.is_(False)
            )
        )


# --- sessions --------------------------------------------------------------------------


def open_session(db: Session, user: User, lifetime: dt.timedelta) -> str:
    """Create a session and return the cookie value (only its digest is stored)."""
    secret = accounts.new_secret()
    db.add(WebSession(id=accounts.digest(secret), user_id=user.id, expires_at=utcnow() + lifetime))
    return secret


def session_user(db: Session, secret: str) -> tuple[User | None, bool]:
    """Resolve a session cookie: the user, and whether the session had expired."""
    row = db.get(WebSession, accounts.digest(secret))
    if row is None:
        return None, False
    if row.expires_at <= utcnow():
        db.delete(row)
        return None, True
    user = db.get(User, row.user_id)
    if user is None or not user.is_active:
        return None, False
    return user, False


def close_session(db: Session, secret: str) -> None:
    db.execute(delete(WebSession).where(WebSession.id == accounts.digest(secret)))


# --- API tokens ------------------------------------------------------------------------


def create_token(db: Session, user: User, name: str) -> tuple[ApiToken, str]:
    name = name.strip()
    if not name or len(name) > 100:
        raise CrisisError("token name: give 1–100 characters")
    secret = accounts.new_secret(accounts.TOKEN_PREFIX)
    token = ApiToken(
        user_id=user.id, name=name, token_hash=accounts.digest(secret), prefix=secret[:8]
    )
    db.add(token)
    db.flush()
    return token, secret


def list_tokens(db: Session, user: User) -> list[ApiToken]:
    return list(
        db.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at)
        )
    )


def revoke_token(db: Session, user: User, token_id: int) -> None:
    token = db.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFoundError(f"no token {token_id} for this account")
    token.revoked_at = utcnow()


def token_user(db: Session, secret: str) -> User | None:
    token = db.scalar(select(ApiToken).where(ApiToken.token_hash == accounts.digest(secret)))
    if token is None or token.revoked_at is not None:
        return None
    user = db.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    token.last_used_at = utcnow()
    return user


# --- invitations -----------------------------------------------------------------------


def create_invitation(
    db: Session, role: str, created_by: User | None, lifetime: dt.timedelta, note: str = ""
) -> tuple[Invitation, str]:
    code = accounts.new_secret()
    invitation = Invitation(
        code_hash=accounts.digest(code),
        role=accounts.check_role(role),
        note=note[:200],
        created_by=created_by.id if created_by else None,
        expires_at=utcnow() + lifetime,
    )
    db.add(invitation)
    db.flush()
    return invitation, code


def redeem_invitation(db: Session, code: str) -> Invitation:
    invitation = db.scalar(select(Invitation).where(Invitation.code_hash == accounts.digest(code)))
    if invitation is None or invitation.used_at is not None:
        raise CrisisError("invitation code: not valid or already used")
    if invitation.expires_at <= utcnow():
        raise CrisisError("invitation code: expired")
    return invitation
