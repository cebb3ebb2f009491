"""Finding and creating members from platform identities."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from core.accounts import holds
from core.clock import Clock
from core.errors import DomainError, NotFound
from core.events import Actor, Chat
from core.i18n import normalize_locale
from core.ids import parse_id
from core.qa.tokenize import detect_language
from models.member import Account, Member

if TYPE_CHECKING:
    from config.settings import Settings
    from core.context import Services

# Which platform a DM to a member goes to when they have several accounts (digests, jobs).
DM_PLATFORM_PREFERENCE = ("telegram", "discord", "console")


async def resolve(
    session: AsyncSession,
    clock: Clock,
    actor: Actor,
    chat: Chat | None = None,
    *,
    secret: str,
    said: str = "",
) -> tuple[Member, Account]:
    """The member behind a platform user, created on first contact (with the ban and the
    used trial an erased member of that account left, `core.accounts.holds`). A platform
    that gives no language leaves it to the first words: "你好，我想加入这个社区" was
    answered, and the whole interview asked, in English."""
    acc = (
        await session.execute(
            select(Account).where(
                Account.platform == actor.platform, Account.platform_user_id == actor.user_id
            )
        )
    ).scalar_one_or_none()
    now = clock.now()
    if acc is None:
        member = Member(
            display_name=(actor.display_name or actor.username or actor.user_id)[:128],
            locale=normalize_locale(
                actor.locale or ("zh" if said and detect_language(said) == "zh" else None)
            ),
            created_at=now,
            tags=[],
            prefs={},
        )
        session.add(member)
        await session.flush()
        acc = Account(
            member_id=member.id,
            platform=actor.platform,
            platform_user_id=actor.user_id,
            username=actor.username,
            created_at=now,
        )
        session.add(acc)
        await session.flush()
        # known as loaded for the rest of the transaction: reading `member.accounts` would
        # otherwise lazy-load outside the async driver ("can you remind me tomorrow at 9?"
        # as a first message failed when the outbox picked the account to send to)
        set_committed_value(member, "accounts", [acc])
        await holds.carry_over(session, clock, secret, member, acc)
    else:
        member = await session.get_one(Member, acc.member_id)
        if actor.username and acc.username != actor.username:
            acc.username = actor.username
    if chat is not None and chat.kind == "private" and acc.chat_id != chat.chat_id:
        acc.chat_id = chat.chat_id
    return member, acc


async def by_account(session: AsyncSession, platform: str, user_id: str) -> Member | None:
    """The member behind one platform account, if the bot knows them (a command sent as a
    reply names the replied message's author this way); erased members are not."""
    return (
        await session.execute(
            select(Member)
            .join(Account, Account.member_id == Member.id)
            .where(
                Account.platform == platform,
                Account.platform_user_id == user_id,
                Member.forgotten_at.is_(None),
            )
        )
    ).scalar_one_or_none()


def configured_role(settings: Settings, member: Member) -> str | None:
    """ "owner" or "moderator" when the settings name one of the member's accounts
    (`owner_ids`, `moderator_ids`): that role holds whatever /role stores."""
    idents = {f"{a.platform}:{a.platform_user_id}" for a in member.accounts}
    if idents & set(settings.owner_ids):
        return "owner"
    if idents & set(settings.moderator_ids):
        return "moderator"
    return None


def staff_role(settings: Settings, member: Member) -> str | None:
    """ "owner" or "moderator" when the member is staff, by the settings or by /role."""
    role = configured_role(settings, member) or member.role
    return role if role in ("moderator", "owner") else None


async def moderators(session: AsyncSession, services: Services) -> list[Member]:
    """Who gets moderators' notices: members with a staff role, and the identities the
    settings name as moderators or owners (they may never have been given a role)."""
    idents = set(services.settings.moderator_ids) | set(services.settings.owner_ids)
    pairs = {tuple(i.split(":", 1)) for i in idents if ":" in i}
    ids = set(
        (
            await session.execute(select(Member.id).where(Member.role.in_(("moderator", "owner"))))
        ).scalars()
    )
    if pairs:
        accs = await session.execute(
            select(Account.member_id, Account.platform, Account.platform_user_id).where(
                Account.platform_user_id.in_({user for _, user in pairs})
            )
        )
        ids |= {m for m, p, u in accs if (p, u) in pairs}
    if not ids:
        return []
    return list(
        (
            await session.execute(select(Member).where(Member.id.in_(ids)).order_by(Member.id))
        ).scalars()
    )


async def find_member(session: AsyncSession, ref: str, *, near: bool = True) -> Member:
    """A member by '#id', '@username' or display name; ambiguous or unknown refs are refused,
    an unknown name with the close spellings of members' names when ``near`` (moderators:
    a member asking about another is not shown who else is here)."""
    ref = ref.strip()
    if not ref:
        raise DomainError("errors.member_ref_missing")
    if ref.startswith("#") and ref[1:].isdecimal():
        member_id = parse_id(ref)
        m = await session.get(Member, member_id) if member_id is not None else None
        if m is None or m.forgotten_at is not None:
            raise NotFound("errors.member_unknown", ref=ref)
        return m
    name = ref.lstrip("@").lower()
    by_user = (
        (
            await session.execute(
                select(Member)
                .join(Account, Account.member_id == Member.id)
                .where(func.lower(Account.username) == name, Member.forgotten_at.is_(None))
            )
        )
        .scalars()
        .unique()
        .all()
    )
    found = list(by_user)
    if not found:
        found = list(
            (
                await session.execute(
                    select(Member).where(
                        func.lower(Member.display_name) == name, Member.forgotten_at.is_(None)
                    )
                )
            )
            .scalars()
            .all()
        )
    if not found:
        if near and (names := await _near_names(session, name)):
            raise NotFound("errors.member_unknown_near", ref=ref, names=names)
        raise NotFound("errors.member_unknown", ref=ref)
    if len(found) > 1:
        raise DomainError(
            "errors.member_ambiguous", ref=ref, ids=", ".join(f"#{m.id}" for m in found)
        )
    return found[0]


NEAR_CUTOFF = 0.75
NEAR_SCAN = 20_000


async def _near_names(session: AsyncSession, typed: str) -> str:
    """The members a moderator probably meant by a name that matches nobody ("alise"):
    up to three whose username or display name is a close spelling, as "Alice (@alice, #1)"
    to type back; "" when none is close."""
    rows = (
        await session.execute(
            select(Member.id, Member.display_name, Account.username)
            .join(Account, Account.member_id == Member.id)
            .where(Member.forgotten_at.is_(None))
            .limit(NEAR_SCAN)
        )
    ).all()
    names: dict[str, set[int]] = {}
    shown: dict[int, str] = {}
    for member_id, display, username in rows:
        for name in (display, username):
            if name:
                names.setdefault(name.lower(), set()).add(member_id)
        handle = f"@{username}, " if username else ""
        shown.setdefault(member_id, f"{display or username or ''} ({handle}#{member_id})")
    close = difflib.get_close_matches(typed, list(names), n=3, cutoff=NEAR_CUTOFF)
    meant = list(dict.fromkeys(i for name in close for i in sorted(names[name])))[:3]
    return ", ".join(shown[i] for i in meant)
