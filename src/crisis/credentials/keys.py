"""The issuer's Ed25519 signing keys, kept in the data dir.

Each key is a PKCS#8 PEM file ``credentials/keys/ed25519-<n>.pem`` created with mode 0600;
the highest ``n`` signs new credentials. Rotating adds a new key and keeps the old ones, whose
public halves stay published, so every credential ever issued still verifies.
"""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from crisis.exceptions import CrisisError

_NAME = re.compile(r"^ed25519-(\d+)\.pem$")


def b64url(data: bytes) -> str:
    """Base64url without padding (JOSE's encoding)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class SigningKey:
    """One issuer key: its number, private key and the id verifiers look it up by."""

    number: int
    private: Ed25519PrivateKey

    @property
    def kid(self) -> str:
        return f"key-{self.number}"

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    def jwk(self) -> dict[str, str]:
        """The public key as a JSON Web Key (RFC 8037)."""
        raw = self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw), "kid": self.kid, "alg": "EdDSA"}


class KeyRing:
    """The keys in ``folder`` (created on first use)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _files(self) -> list[tuple[int, Path]]:
        if not self.folder.is_dir():
            return []
        found = [(int(m.group(1)), p) for p in self.folder.iterdir() if (m := _NAME.match(p.name))]
        return sorted(found)

    def all(self) -> list[SigningKey]:
        """Every key, oldest first."""
        out = []
        for number, path in self._files():
            try:
                private = serialization.load_pem_private_key(path.read_bytes(), password=None)
            except (ValueError, TypeError) as exc:
                raise CrisisError(f"{path}: not a readable Ed25519 key ({exc})") from None
            if not isinstance(private, Ed25519PrivateKey):
                raise CrisisError(f"{path}: not an Ed25519 key")
            out.append(SigningKey(number, private))
        return out

    def current(self) -> SigningKey:
        """The key that signs now (one is created if there is none)."""
        keys = self.all()
        return keys[-1] if keys else self.rotate()

    def rotate(self) -> SigningKey:
        """Create a new key that signs from now on; the old ones stay for verification."""
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        number = max((n for n, _ in self._files()), default=0) + 1
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path = self.folder / f"ed25519-{number}.pem"
        # Created with 0600 from the start: the private key is never readable by others.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        return SigningKey(number, key)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """Every public key as a JWK Set, newest first."""
        return {"keys": [key.jwk() for key in reversed(self.all())]}
