"""Which messages the bot sends a member on its own, each switched off or on in one place.

"why am i getting so many messages from you", "how do i turn off the event reminders" and
"别再给我发‘你已经3天没学习了’这种提醒了" had no single answer: the digest had /digest, answer
invitations /profile experts, and streak reminders, level-up news and event reminders no
switch at all. Here each kind a member can mute is named once; the jobs that send them ask
`wants` before they do. Messages a member needs (answers to their questions, their plan and
payments, the moderators' replies, an event they signed up for moving or being cancelled)
are always sent.
"""

from __future__ import annotations

from typing import Literal

from models.member import Member

Kind = Literal["digest", "streak", "levels", "events", "invites"]
KINDS: tuple[Kind, ...] = ("digest", "streak", "levels", "events", "invites")
MUTED = "muted"
"""Member.prefs key: the kinds kept in prefs that the member switched off (the digest and
invitations have their own columns)."""
_IN_PREFS: frozenset[str] = frozenset({"streak", "levels", "events"})


def wants(member: Member, kind: Kind) -> bool:
    """Whether the member still wants this kind of message (streak reminders come with the
    digest: a member who turned it off before this switch existed is not nudged now)."""
    if kind == "digest":
        return member.digest_frequency != "off"
    if kind == "invites":
        return not member.expert_opt_out
    if kind == "streak" and member.digest_frequency == "off":
        return False
    return kind not in set((member.prefs or {}).get(MUTED) or ())


def set_muted(member: Member, kind: Kind, muted: bool) -> None:
    """Switch one kind kept in prefs; the digest and invitations go through their own rules."""
    if kind not in _IN_PREFS:
        raise ValueError(kind)
    now = set((member.prefs or {}).get(MUTED) or ())
    now = now | {kind} if muted else now - {kind}
    member.prefs = {**(member.prefs or {}), MUTED: sorted(now)}
