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


def stamps(m: Member, key: str) -> dict[str, datetime]:
    """A per-partner map of times kept in Member.prefs[key] ({partner id: ISO time}); entries
    that do not read as a partner id and a time are dropped."""
    raw = (m.prefs or {}).get(key)
    out: dict[str, datetime] = {}
    for k, v in raw.items() if isinstance(raw, dict) else ():
        try:
            if str(k).isdecimal() and isinstance(v, str):
                out[str(k)] = datetime.fromisoformat(v)
        except ValueError:
            continue
    return out


def put_stamps(m: Member, key: str, times: dict[str, datetime]) -> None:
    """Store the map back (a new dict, so the JSON column updates)."""
    m.prefs = {**(m.prefs or {}), key: {k: t.isoformat() for k, t in times.items()}}


def claimed_by(partner: Member, member_id: int, now: datetime) -> bool:
    at = stamps(partner, CLAIMS).get(str(member_id))
    return at is not None and now - at <= CLAIM_TTL


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
        rest = stamps(partner, CLAIMS)
        rest.pop(str(me.id), None)
        put_stamps(partner, CLAIMS, rest)
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
    claims = {k: t for k, t in stamps(me, CLAIMS).items() if now - t <= CLAIM_TTL}
    claims[str(partner.id)] = now
    put_stamps(me, CLAIMS, claims)
    return False
