"""Repository functions for accounts, sessions, tokens, invitations and login attempts."""

from __future__ import annotations

import datetime as dt
from functools import cache

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from crisis import accounts
from crisis.exceptions import (
    AuthenticationError,
    ConflictError,
    CrisisError,
    NotFoundError,
    PermissionDeniedError,
)
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
    # Hash before the first query: on SQLite a writing transaction holds the write lock
    # from its first statement, and hashing takes a while on purpose.
    password_hash = accounts.hash_password(accounts.check_password(password))
    if db.scalar(select(User.id).where(User.username == name)) is not None:
        raise ConflictError(f"username {name!r} is already taken")
    user = User(
        username=name,
        password_hash=password_hash,
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


def _active_admins(db: Session) -> int:
    return (
        db.scalar(select(func.count(User.id)).where(User.role == "admin", User.is_active.is_(True)))
        or 0
    )


def _keep_an_admin(db: Session, user: User, actor: User | None, what: str) -> None:
    """Refuse to take ``user``'s admin powers away from themselves or from the last admin."""
    if user.role != "admin":
        return
    if actor is not None and actor.id == user.id:
        raise PermissionDeniedError(f"{user.username}: you cannot {what} your own admin account")
    if user.is_active and _active_admins(db) <= 1:
        raise ConflictError(
            f"{user.username} is the only active admin; make another account admin first"
        )


def set_role(db: Session, username: str, role: str, *, actor: User | None = None) -> User:
    """Change a role; the account's API tokens stop working (its sessions stay open).

    Raises:
        PermissionDeniedError: ``actor`` would take the admin role from themselves.
        ConflictError: the account is the last active admin.
    """
    accounts.check_role(role)
    user = get_user(db, username)
    if role != user.role:
        if role != "admin":
            _keep_an_admin(db, user, actor, "take the admin role from")
        user.role = role
        revoke_all_tokens(db, user)
    return user


def set_active(db: Session, username: str, active: bool, *, actor: User | None = None) -> User:
    user = get_user(db, username)
    if not active:
        _keep_an_admin(db, user, actor, "deactivate")
    user.is_active = active
    if not active:
        db.execute(delete(WebSession).where(WebSession.user_id == user.id))
    return user


def set_password(db: Session, username: str, password: str) -> User:
    """Set a new password: every open session of the account ends, every API token stops."""
    return set_password_hash(
        db, username, accounts.hash_password(accounts.check_password(password))
    )


def set_password_hash(db: Session, username: str, password_hash: str) -> User:
    """:func:`set_password` with the hash computed beforehand (outside the transaction)."""
    user = get_user(db, username)
    user.password_hash = password_hash
    db.execute(delete(WebSession).where(WebSession.user_id == user.id))
    revoke_all_tokens(db, user)
    return user


def password_hash_of(db: Session, username: str) -> tuple[int, str] | None:
    """Id and stored hash of the active account ``username``, or ``None``."""
    row = db.execute(
        select(User.id, User.password_hash).where(
            User.username == username.strip().lower(), User.is_active.is_(True)
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


def check_password(stored: tuple[int, str] | None, password: str) -> bool:
    """Verify ``password`` against :func:`password_hash_of`'s answer, at the same cost
    whether or not the account exists. Call it outside any transaction."""
    if stored is None:
        accounts.verify_password(_dummy_hash(), password)
        return False
    return accounts.verify_password(stored[1], password)


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
#
# Two limits, neither of which lets a stranger lock anyone out: failures from one address
# within the window refuse that address (it can only lock out itself), and failures on one
# account make the next try on it wait longer and longer (1 s, 2 s, 4 s … up to a minute)
# unless it comes from a browser that signed in to that account before.

#: Longest wait between tries on one account, in seconds.
MAX_ACCOUNT_DELAY_S = 60


def address_failures(db: Session, address: str, window: dt.timedelta) -> int:
    since = utcnow() - window
    return (
        db.scalar(
            select(func.count(LoginAttempt.id)).where(
                LoginAttempt.address == address[:64],
                LoginAttempt.success.is_(False),
                LoginAttempt.at >= since,
            )
        )
        or 0
    )


def account_wait(db: Session, username: str, window: dt.timedelta, free: int) -> float:
    """Seconds the next sign-in try on ``username`` must still wait (0: may try now).

    After ``free`` failures within ``window``, each further failure doubles the wait, from
    1 s up to :data:`MAX_ACCOUNT_DELAY_S`, counted from the latest failure.
    """
    since = utcnow() - window
    count, last = db.execute(
        select(func.count(LoginAttempt.id), func.max(LoginAttempt.at)).where(
            LoginAttempt.username == username[:64],
            LoginAttempt.success.is_(False),
            LoginAttempt.at >= since,
        )
    ).one()
    if not count or count < free or last is None:
        return 0.0
    if last.tzinfo is None:  # SQLite's max() gives back the stored text, naive
        last = last.replace(tzinfo=dt.UTC)
    delay = min(2.0 ** (count - free), MAX_ACCOUNT_DELAY_S)
    return max(0.0, delay - (utcnow() - last).total_seconds())


def recent_failures(db: Session, username: str, address: str, window: dt.timedelta) -> int:
    """Failures on ``username`` or from ``address`` within ``window`` (the larger count)."""
    since = utcnow() - window
    by_name = db.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.username == username,
            LoginAttempt.success.is_(False),
            LoginAttempt.at >= since,
        )
    )
    return max(by_name or 0, address_failures(db, address, window))


def record_attempt(db: Session, username: str, address: str, success: bool) -> None:
    db.add(LoginAttempt(username=username[:64], address=address[:64], success=success))
    if success:
        db.execute(
            delete(LoginAttempt).where(
                LoginAttempt.username == username[:64], LoginAttempt.success.is_(False)
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

#: How precisely a token's last use is recorded.
TOKEN_USE_RESOLUTION = dt.timedelta(minutes=5)


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


def revoke_all_tokens(db: Session, user: User) -> int:
    """Revoke every API token of ``user``; returns how many were still valid."""
    result = db.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


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
    now = utcnow()
    # Noted at most every few minutes: a write on every API call would queue every reader
    # behind the write lock.
    if token.last_used_at is None or now - token.last_used_at > TOKEN_USE_RESOLUTION:
        token.last_used_at = now
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
