"""Account rules shared by the web app and the CLI: roles, names, passwords, tokens."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from crisis.exceptions import CrisisError

ROLES: tuple[str, ...] = ("learner", "instructor", "analyst", "admin")
MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "crs_"

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_hasher = PasswordHasher()
# Argon2 is slow and memory-hungry on purpose; a burst of sign-ins checked all at once would
# starve every other request of CPU. At most one check per core runs; the rest queue.
_checks = threading.BoundedSemaphore(os.cpu_count() or 2)


def check_username(username: str) -> str:
    """Return the normalised username or raise naming the rule it breaks."""
    name = username.strip().lower()
    if not _USERNAME.match(name):
        raise CrisisError(
            f"username {username!r}: use 2–64 characters: lower-case letters, digits, . _ -"
        )
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise CrisisError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    return role


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise CrisisError(f"password: use at least {MIN_PASSWORD_LENGTH} characters")
    return password


def hash_password(password: str) -> str:
    """Argon2id hash of ``password``."""
    with _checks:
        return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    with _checks:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_secret(prefix: str = "") -> str:
    """A random, URL-safe secret (session cookie, API token, invitation code)."""
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """The stored form of a secret: only its SHA-256 is kept."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def generate_password() -> str:
    """A password for demo accounts and resets: 4 groups of 4 letters and digits."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))
