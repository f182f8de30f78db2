"""An LMS course's roster (Names and Role Provisioning Services) becomes a CRISIS cohort."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from crisis.exceptions import CrisisError, NotFoundError
from crisis.integrations import services
from crisis.integrations.lti import SCOPE_MEMBERSHIP, map_role
from crisis.learners.cohorts import new_join_code
from crisis.store import integrations as store
from crisis.store import learning as learning_store
from crisis.store.integration_tables import LtiContext
from crisis.store.tables import User, utcnow
from crisis.web.integrations.launches import account_for


@dataclass(frozen=True)
class RosterSync:
    """What a roster refresh changed."""

    cohort_id: int
    added: int
    removed: int
    learners: int


def sync_roster(db: Session, context_row: LtiContext, owner: User, data_dir: Path) -> RosterSync:
    """Make the LMS course's learners the members of its cohort (created on first sync).

    New members join without consent (membership is not consent: an instructor sees their
    results only once each learner agrees, as for any cohort). Learners of this platform who
    left the course leave the cohort.

    Raises:
        CrisisError: the course has no roster service, or the platform refused.
    """
    if not context_row.memberships_url:
        raise CrisisError("this LMS course did not offer its roster (no Names and Roles service)")
    platform = store.get_platform(db, context_row.platform_id)
    try:
        token = services.access_token(
            data_dir,
            services.Platform(
                platform.issuer, platform.client_id, platform.token_url, platform.token_audience
            ),
            [SCOPE_MEMBERSHIP],
        )
        members = services.members(token, context_row.memberships_url)
    except services.ServiceError as exc:
        raise CrisisError(f"the LMS did not give the roster: {exc.message}") from None
    if context_row.cohort_id is None:
        cohort = learning_store.create_cohort(
            db,
            owner,
            (context_row.title or context_row.context_id)[:200],
            join_code=new_join_code(),
        )
        context_row.cohort_id = cohort.id
    else:
        cohort = learning_store.get_cohort(db, context_row.cohort_id)
    present: set[str] = set()
    added = 0
    for member in members:
        sub = member.get("user_id")
        roles = member.get("roles") or []
        if not isinstance(sub, str) or not sub:
            continue
        if member.get("status", "Active") != "Active" or map_role(roles) != "learner":
            continue
        present.add(sub)
        name = str(
            member.get("name")
            or " ".join(str(member.get(k, "")) for k in ("given_name", "family_name")).strip()
        )
        user = account_for(
            db, platform, sub, name=name, email=str(member.get("email") or ""), role="learner"
        )
        try:
            learning_store.membership(db, cohort, user)
        except NotFoundError:
            learning_store.join(db, cohort, user, consented=False)
            added += 1
    removed = 0
    linked = store.linked_subs(db, platform.id)
    by_user = {uid: sub for sub, uid in linked.items()}
    for _member, member_user in learning_store.members(db, cohort):
        if (
            member_user is not None
            and member_user.id in by_user
            and by_user[member_user.id] not in present
        ):
            learning_store.leave(db, cohort, member_user)
            removed += 1
    context_row.synced_at = utcnow()
    db.flush()
    return RosterSync(cohort.id, added, removed, len(present))
