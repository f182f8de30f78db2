"""Open Badges credentials as the pages and the JSON API both use them: award (by the evidence
rule or by hand), revoke, publish keys and the status list, verify."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crisis.competences.models import Catalogue
from crisis.credentials import (
    Issuer,
    KeyRing,
    Report,
    competence_achievement,
    issuing,
    status,
    verify,
)
from crisis.credentials.baking import unbake
from crisis.credentials.rules import due
from crisis.exceptions import ContentError
from crisis.store import credentials as store
from crisis.store.credential_tables import IssuedCredential
from crisis.store.tables import User
from crisis.web.addresses import public_url
from crisis.web.learning_journey import profile_of


def issuer_of(request: Request) -> Issuer:
    """This installation as an issuer (name from CRISIS_ISSUER_NAME, address CRISIS_BASE_URL)."""
    return Issuer(request.app.state.settings.issuer_name, public_url(request))


def keyring_of(request: Request) -> KeyRing:
    """The issuer's keys, in ``<data dir>/credentials/keys``."""
    return KeyRing(request.app.state.settings.data_dir / "credentials" / "keys")


def award(
    db: Session,
    request: Request,
    learner: User,
    cat: Catalogue,
    competence: str,
    level: int,
    *,
    lang: str,
    by: User | None = None,
    evidence: str | None = None,
) -> IssuedCredential:
    """Issue, sign and store the credential for ``level`` in ``competence``.

    Raises:
        ContentError: the level is not 1-4.
        NotFoundError: no such competence.
    """
    comp = cat.competence(competence)
    if level not in (1, 2, 3, 4):
        raise ContentError(f"level {level!r}: expected 1, 2, 3 or 4")
    issuer, key = issuer_of(request), keyring_of(request).current()
    achievement = competence_achievement(cat, comp, level, issuer, lang)
    ident = str(uuid.uuid4())
    now = datetime.now(UTC)
    if by is not None and not evidence:
        evidence = f"Awarded by {by.display_name or by.username} after assessment."
    # Every request shares the issuer's list of bits: take the next free one in a savepoint
    # and try again when another request took it first (the unique key refuses a shared bit).
    for attempt in range(5):
        index = store.next_index(db)
        credential = issuing.build(
            issuer,
            achievement,
            learner_name=learner.display_name or learner.username,
            status_index=index,
            issued=now,
            credential_id=f"{issuer.base_url}/credentials/{ident}",
            evidence=evidence,
        )
        row = IssuedCredential(
            uuid=ident,
            user_id=learner.id,
            kind="competence",
            subject=comp.id,
            level=level,
            title=achievement["name"][:300],
            achievement_id=achievement["id"][:500],
            language=lang,
            token=issuing.sign(credential, key, issuer),
            status_index=index,
            key_id=f"{issuing.keys_url(issuer)}#{key.kid}",
            issued_by=by.id if by is not None else None,
            issued_at=now,
        )
        try:
            with db.begin_nested():
                return store.add(db, row)
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def award_due(
    db: Session, request: Request, learner: User, cat: Catalogue, lang: str
) -> list[IssuedCredential]:
    """Issue every credential the learner's profile now earns (the evidence rule)."""
    # Two requests of the same learner at once must not both award the same level: the
    # learner's row is locked while the rule runs (SQLite serialises writers anyway).
    db.execute(select(User.id).where(User.id == learner.id).with_for_update())
    profile = profile_of(db, learner, cat)
    return [
        award(db, request, learner, cat, d.competence, d.level, lang=lang, evidence=d.evidence)
        for d in due(profile, store.held(db, learner))
    ]


def status_list_token(db: Session, request: Request) -> str:
    """The revocation list as a signed BitstringStatusListCredential (VC-JWT)."""
    issuer = issuer_of(request)
    credential = issuing.status_list_credential(
        issuer, status.encode(store.revoked_indexes(db)), datetime.now(UTC)
    )
    return issuing.sign(credential, keyring_of(request).current(), issuer)


def check(db: Session, request: Request, token: str) -> Report:
    """Verify a credential against this issuer's keys and revocation list."""
    issuer = issuer_of(request)
    keys = {
        f"{issuing.keys_url(issuer)}#{key.kid}": key.public for key in keyring_of(request).all()
    }
    revoked = store.revoked_indexes(db)
    url = issuing.status_list_url(issuer)
    return verify(token, keys, lambda asked: status.encode(revoked) if asked == url else None)


def token_from(data: bytes) -> str:
    """The compact JWT in a pasted or uploaded credential: the token itself, a JSON wrapper
    (an EnvelopedVerifiableCredential, as downloaded) or a baked PNG/SVG image.

    Raises:
        ContentError: nothing that looks like a credential.
    """
    baked = unbake(data)
    if baked is not None:
        return baked
    text = data.decode("utf-8", errors="replace").strip()
    if text.startswith("{"):
        try:
            body = json.loads(text)
        except ValueError as exc:
            raise ContentError(f"credential: not valid JSON ({exc})") from None
        ident = str(body.get("id", "")) if isinstance(body, dict) else ""
        if ident.startswith("data:application/vc+jwt,"):
            return ident.removeprefix("data:application/vc+jwt,")
        raise ContentError(
            "credential: a JSON credential must be the EnvelopedVerifiableCredential that "
            "CRISIS downloads (its id holds the signed token)"
        )
    if text.count(".") == 2:
        return text
    raise ContentError("credential: paste the signed token (JWT), or upload the JSON, PNG or SVG")


def enveloped(token: str) -> dict[str, str]:
    """The VC Data Model 2.0 JSON wrapping of a VC-JWT."""
    return {
        "@context": issuing.CONTEXTS[0],
        "id": f"data:application/vc+jwt,{token}",
        "type": "EnvelopedVerifiableCredential",
    }
