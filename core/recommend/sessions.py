"""Study-partner sessions, confirmed by both members before they count.

One member says "we studied together" about a suggested partner; the partner confirms with a
button. Only then does each get a `peer_session` interaction (the recommender's signal and
engagement's points). A claim nobody confirms within a week lapses, so a member cannot
farm sessions alone; engagement's daily cap bounds the rest.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.interaction import KIND_WEIGHTS, Interaction
from models.member import Member

CLAIM_TTL = timedelta(days=7)
SESSION_GAP = timedelta(hours=12)
"""One session with the same partner counts at most once in this long: a second tap on the
confirm button (or on the partner's name) right after is not a new session."""
CLAIMS = "peer_session_claims"  # key in Member.prefs: {partner id: claimed at (ISO)}


def _claims(m: Member) -> dict[str, str]:
    raw = (m.prefs or {}).get(CLAIMS)
    return dict(raw) if isinstance(raw, dict) else {}


def _set_claims(m: Member, claims: dict[str, str]) -> None:
    m.prefs = {**(m.prefs or {}), CLAIMS: claims}  # a new dict, so the JSON column updates


def claimed_by(partner: Member, member_id: int, now: datetime) -> bool:
    at = _claims(partner).get(str(member_id))
    try:
        return at is not None and now - datetime.fromisoformat(at) <= CLAIM_TTL
    except ValueError:
        return False


async def recorded_lately(
    session: AsyncSession, member_id: int, partner_id: int, now: datetime
) -> bool:
    rows = await session.execute(
        select(Interaction.meta).where(
            Interaction.member_id == member_id,
            Interaction.kind == "peer_session",
            Interaction.at > now - SESSION_GAP,
        )
    )
    return any(isinstance(meta, dict) and meta.get("with") == partner_id for (meta,) in rows)


async def claim_or_confirm(
    session: AsyncSession, me: Member, partner: Member, now: datetime
) -> bool:
    """Record my side; True when the partner had already claimed it (the session counts)."""
    if claimed_by(partner, me.id, now):
        rest = _claims(partner)
        rest.pop(str(me.id), None)
        _set_claims(partner, rest)
        for a, b in ((me, partner), (partner, me)):
            session.add(
                Interaction(
                    member_id=a.id,
                    kind="peer_session",
                    weight=KIND_WEIGHTS["peer_session"],
                    at=now,
                    source="peers",
                    meta={"with": b.id},
                )
            )
        await session.flush()
        return True
    claims = {k: v for k, v in _claims(me).items() if k.isdigit() and claimed_by(me, int(k), now)}
    claims[str(partner.id)] = now.isoformat()
    _set_claims(me, claims)
    return False
