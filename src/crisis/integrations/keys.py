"""The tool's own signing keys: RSA keys kept in the data directory, published as a JWKS.

Each key is one JSON Web Key file ``<kid>.json`` (mode 0600) under ``<data dir>/lti/keys``.
The newest key signs; the JWKS publishes it and the one before it, so that a platform that
cached the set just before a rotation can still check what was signed with the old key.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from crisis.exceptions import ContentError

ALGORITHM = "RS256"
#: Keys published besides the signing key (the previous one, for platforms' caches).
PUBLISHED = 2


@dataclass(frozen=True)
class ToolKey:
    """One signing key: its id, when it was made, and the key itself."""

    kid: str
    created: dt.datetime
    key: RSAKey


def keys_dir(data_dir: Path) -> Path:
    """The folder that holds the tool's keys."""
    return data_dir / "lti" / "keys"


def _load(path: Path) -> ToolKey:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        created = dt.datetime.fromisoformat(data.pop("crisis_created"))
        key = RSAKey.import_key(data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ContentError(f"{path}: not a CRISIS tool key ({exc})") from None
    return ToolKey(kid=str(data["kid"]), created=created, key=key)


def load_keys(data_dir: Path) -> list[ToolKey]:
    """Every stored key, newest first."""
    folder = keys_dir(data_dir)
    if not folder.is_dir():
        return []
    found = [_load(path) for path in folder.glob("*.json")]
    return sorted(found, key=lambda k: (k.created, k.kid), reverse=True)


def new_key(data_dir: Path, now: dt.datetime | None = None) -> ToolKey:
    """Make a key, store it (0600) and return it; it signs from now on."""
    created = now or dt.datetime.now(dt.UTC)
    kid = created.strftime("%Y%m%d%H%M%S") + "-" + secrets.token_hex(4)
    key = RSAKey.generate_key(
        2048, parameters={"kid": kid, "use": "sig", "alg": ALGORITHM}, private=True
    )
    folder = keys_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    path = folder / f"{kid}.json"
    data = {**key.as_dict(private=True), "crisis_created": created.isoformat()}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    return ToolKey(kid=kid, created=created, key=key)


def signing_key(data_dir: Path) -> ToolKey:
    """The key that signs now (made on first use)."""
    keys = load_keys(data_dir)
    return keys[0] if keys else new_key(data_dir)


def rotate(data_dir: Path, now: dt.datetime | None = None) -> tuple[ToolKey, list[str]]:
    """Make a new signing key and delete the keys no longer published.

    Returns:
        The new key and the ids of the keys deleted.
    """
    fresh = new_key(data_dir, now)
    removed = []
    for old in load_keys(data_dir)[PUBLISHED:]:
        (keys_dir(data_dir) / f"{old.kid}.json").unlink(missing_ok=True)
        removed.append(old.kid)
    return fresh, removed


def jwks(data_dir: Path) -> dict[str, Any]:
    """The public key set platforms check our messages and assertions against."""
    keys = load_keys(data_dir) or [signing_key(data_dir)]
    return {"keys": [k.key.as_dict(private=False) for k in keys[:PUBLISHED]]}


def sign(data_dir: Path, claims: dict[str, Any]) -> str:
    """A JWT of ``claims`` signed with the current key (its ``kid`` in the header)."""
    key = signing_key(data_dir)
    return jwt.encode({"alg": ALGORITHM, "kid": key.kid, "typ": "JWT"}, claims, key.key)


def public_set(data: dict[str, Any]) -> KeySet:
    """A key set from a JWKS document.

    Raises:
        ContentError: the document is not a usable JWKS.
    """
    try:
        return KeySet.import_key_set(data)  # type: ignore[arg-type]
    except (ValueError, TypeError, KeyError) as exc:
        raise ContentError(f"the platform's key set cannot be read: {exc}") from None
