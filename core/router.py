"""Dispatch: event -> member -> role check -> handler in one transaction -> replies.

Features register handlers with the decorators below in their `core/<feature>/commands.py`;
the router imports every such module at start, so adding a command touches one package.
"""

from __future__ import annotations

import difflib
import importlib
import logging
import pkgutil
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
    PendingRollbackError,
)
from sqlalchemy.exc import TimeoutError as SATimeoutError
from sqlalchemy.ext.asyncio import AsyncSession

import core
from core import metrics
from core.context import Context, Role, Services
from core.errors import DomainError, Unavailable
from core.events import Button, Command, Event, Message
from core.i18n import sentences
from core.members import resolve
from core.quiet_hours import hush
from core.replies import AnyReply, ButtonSpec, Reply
from models.db import conflict_insert
from models.inbound import InboundUpdate

log = logging.getLogger("syllabot.router")

Handler = Callable[[Context, Any], Awaitable[list[AnyReply] | None]]

COMMAND_RE = re.compile(r"^/([A-Za-z][A-Za-z0-9_]{0,31})(?:@[A-Za-z0-9_]+)?(?:\s+(.*))?$", re.S)


@dataclass(frozen=True)
class CommandSpec:
    name: str
    handler: Handler
    role: Role
    help_key: str
    usage_key: str | None = None
    deep_link: bool = False  # reachable as /start <name>_<arg>
    private_only: bool = False
    hidden: bool = False
    uploads: bool = False  # takes a file (Command.upload): Discord adds an attachment option


@dataclass(frozen=True)
class _Prioritized:
    priority: int
    handler: Handler


COMMANDS: dict[str, CommandSpec] = {}
BUTTONS: dict[str, tuple[Handler, Role]] = {}
MESSAGE_HANDLERS: list[_Prioritized] = []
EVENT_HANDLERS: dict[type[Event], Handler] = {}
START_HOOKS: list[_Prioritized] = []


def command(
    name: str,
    *,
    role: Role = Role.MEMBER,
    help_key: str | None = None,
    usage_key: str | None = None,
    deep_link: bool = False,
    private_only: bool = False,
    hidden: bool = False,
    uploads: bool = False,
) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        if name in COMMANDS and COMMANDS[name].handler is not fn:
            raise RuntimeError(f"command /{name} registered twice")
        COMMANDS[name] = CommandSpec(
            name,
            fn,
            role,
            help_key or f"help.{name}",
            usage_key,
            deep_link,
            private_only,
            hidden,
            uploads,
        )
        return fn

    return deco


MEMBER_VERSIONS: dict[str, Handler] = {}


def for_members(name: str) -> Callable[[Handler], Handler]:
    """What a member who types a moderators' command gets instead of a refusal: /refund
    asks the moderators for one."""

    def deco(fn: Handler) -> Handler:
        MEMBER_VERSIONS[name] = fn
        return fn

    return deco


def spec_for(name: str, role: Role) -> CommandSpec | None:
    """The command as a member of ``role`` may use it: a moderators' command with a
    members' version (/refund) is theirs, with its handler, help and usage (``*_member``)."""
    spec = COMMANDS.get(name)
    if spec is None or spec.role <= role:
        return spec
    if name not in MEMBER_VERSIONS or spec.role != Role.MODERATOR:
        return None
    usage = f"{spec.usage_key}_member" if spec.usage_key else None
    return replace(
        spec,
        handler=MEMBER_VERSIONS[name],
        role=Role.MEMBER,
        help_key=f"{spec.help_key}_member",
        usage_key=usage,
    )


def button(prefix: str, *, role: Role = Role.MEMBER) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        BUTTONS[prefix] = (fn, role)
        return fn

    return deco


BARE_WORDS = {
    **{w: w for w in ("help", "start", "status", "plans", "courses", "next", "progress")},
    **{w: w for w in ("points", "leaderboard", "events", "questions", "recommend", "peers")},
    **{w: w for w in ("profile", "digest", "whoami")},
    "menu": "help",
    "commands": "help",
    "settings": "settings",
    "notifications": "settings",
    "reminders": "remind",
    "pricing": "plans",
    "prices": "plans",
    "recommendations": "recommend",
    "帮助": "help",
    "菜单": "help",
    "开始": "start",
    "状态": "status",
    "会员": "status",
    "方案": "plans",
    "价格": "plans",
    "课程": "courses",
    "下一课": "next",
    "进度": "progress",
    "积分": "points",
    "排行榜": "leaderboard",
    "活动": "events",
    "我的问题": "questions",
    "推荐": "recommend",
    "学习伙伴": "peers",
    "资料": "profile",
    "设置": "settings",
    "通知": "settings",
    "通知设置": "settings",
    "提醒": "remind",
    "摘要": "digest",
    "my courses": "progress",
    "我的课程": "progress",
    "my plan": "status",
    "my membership": "status",
    "my subscription": "status",
    "我的会员": "status",
    "next lesson": "next",
}
"""A word alone in a private chat, as members type it without the slash ("help", "状态"),
read as the command that only shows something (never one that changes anything); with "my"
or "我的" before it too ("my progress", "我的积分")."""
STOP_WORDS = {"stop", "unsubscribe", "退订", "取消订阅", "停止"}
"""Alone, these could mean digests or the membership: the reply names both commands."""


def bare_word(text: str) -> str:
    """A message read as a word alone: trimmed, without a closing "." or "!", lower case;
    "my progress" and "我的积分" as the command words they hold."""
    word = " ".join(text.strip().strip(".!。！").lower().split())
    for own in ("my ", "我的"):
        if word.startswith(own) and word not in BARE_WORDS and word[len(own) :] in BARE_WORDS:
            return word[len(own) :]
    return word


def message_handler(priority: int = 50) -> Callable[[Handler], Handler]:
    """Plain-text handler; return None to let the next one try."""

    def deco(fn: Handler) -> Handler:
        MESSAGE_HANDLERS.append(_Prioritized(priority, fn))
        MESSAGE_HANDLERS.sort(key=lambda p: p.priority)
        return fn

    return deco


ASIDES: list[Callable[[str], bool]] = []


def aside(fn: Callable[[str], bool]) -> Callable[[str], bool]:
    """Marks text that its feature takes even while a question waits for an answer (a
    code pasted from the shop's e-mail in the middle of the onboarding interview)."""
    ASIDES.append(fn)
    return fn


def is_aside(text: str) -> bool:
    return any(fn(text) for fn in ASIDES)


def start_hook(priority: int = 50) -> Callable[[Handler], Handler]:
    """Runs on a plain /start (e.g. onboarding); return None to pass."""

    def deco(fn: Handler) -> Handler:
        START_HOOKS.append(_Prioritized(priority, fn))
        START_HOOKS.sort(key=lambda p: p.priority)
        return fn

    return deco


def on_event(kind: type[Event]) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        EVENT_HANDLERS[kind] = fn
        return fn

    return deco


def parse_command(text: str) -> tuple[str, str] | None:
    m = COMMAND_RE.match(text.strip())
    if not m:
        return None
    return m.group(1).lower(), (m.group(2) or "").strip()


_LOADED = False


def load_features() -> None:
    """Import every core.<feature>.commands and core.<feature>.jobs module once."""
    global _LOADED
    if _LOADED:
        return
    for mod in pkgutil.iter_modules(core.__path__):
        if not mod.ispkg:
            continue
        for leaf in ("commands", "jobs"):
            name = f"core.{mod.name}.{leaf}"
            try:
                importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise
    _LOADED = True


ALIASES: dict[str, tuple[str, ...]] = {
    "join": ("subscribe", "plans"),
    "buy": ("subscribe", "plans"),
    "pay": ("subscribe", "plans"),
    "price": ("plans",),
    "pricing": ("plans",),
    "unsubscribe": ("settings", "cancel"),
    "notifications": ("settings",),
    "notify": ("settings",),
    "mute": ("settings",),
    "preferences": ("settings", "profile"),
    "streak": ("progress", "points"),
    "rsvp": ("events",),
    "certificate": ("progress",),
    "renew": ("resume", "subscribe"),
    "uncancel": ("resume",),
    "reactivate": ("resume", "subscribe"),
    "membership": ("status",),
    "code": ("redeem",),
    "voucher": ("redeem",),
    "team": ("gift",),
    "seats": ("gift", "gifts"),
    "present": ("gift",),
    "sponsor": ("gift",),
    "question": ("ask",),
    "q": ("ask",),
    "threads": ("questions", "kb"),
    "thread": ("questions", "kb"),
    "unanswered": ("kb", "questions"),
    "waiting": ("kb", "questions"),
    "faq": ("ask", "kb"),
    "search": ("courses", "ask"),
    "find": ("courses", "ask"),
    "answer": ("solved",),
    "accept": ("solved",),
    "lang": ("language",),
    "me": ("whoami", "profile"),
    "lessons": ("courses", "next"),
    "partners": ("peers",),
    "delete": ("forget",),
    "export": ("mydata",),
}
"""Words members type for a command under another name: suggested, never run."""


def suggest_commands(name: str, role: Role) -> list[str]:
    """Commands the member may have meant by an unknown ``/name``: a known other word for
    one, or a close spelling (``/solve``, ``/cources``), among those they may use."""
    visible = {n for n, spec in COMMANDS.items() if spec.role <= role and not spec.hidden}
    picks = [n for n in ALIASES.get(name, ()) if n in visible]
    picks += [n for n in difflib.get_close_matches(name, sorted(visible), n=2, cutoff=0.7)]
    return list(dict.fromkeys(picks))[:2]


def unknown_command(ctx: Context, name: str) -> Reply:
    if suggestions := suggest_commands(name.lower(), ctx.role):
        said = ctx.t("errors.or").join(f"/{n}" for n in suggestions)
        return Reply(ctx.t("errors.unknown_command_suggest", name=name, suggestions=said))
    return Reply(ctx.t("errors.unknown_command", name=name))


def _refusal(needed: Role) -> str:
    """Why a command or button is refused: owner-only ones say so, not "moderators only"."""
    return "errors.owner_only" if needed >= Role.OWNER else "errors.not_allowed"


def _denied(ctx: Context, name: str, needed: Role) -> Reply:
    """A refused command, with the member's own command it is close to: a member who types
    /event means /events."""
    refusal = ctx.t(_refusal(needed))
    if near := [n for n in suggest_commands(name.lower(), ctx.role) if n != name]:
        said = ctx.t("errors.or").join(f"/{n}" for n in near)
        return Reply(sentences(refusal, ctx.t("errors.did_you_mean", suggestions=said)))
    return Reply(refusal)


def role_for(
    services: Services, ctx_member_role: str, platform: str, user_id: str, admin: bool
) -> Role:
    ident = f"{platform}:{user_id}"
    s = services.settings
    if ident in s.owner_ids or ctx_member_role == "owner":
        return Role.OWNER
    if ident in s.moderator_ids or ctx_member_role == "moderator" or admin:
        return Role.MODERATOR
    if ctx_member_role == "expert":
        return Role.EXPERT
    return Role.MEMBER


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
OPEN_TO_BANNED = {"mydata", "forget", "help", "language", "support"}
"""Commands a banned member may still use: their data, and writing to the moderators."""
PRIVACY_BUTTONS = {"adm"}


def _clean(text: str) -> str:
    return _CONTROL.sub("", text)


_WIDE_ALNUM = {
    **{0xFF10 + i: 0x30 + i for i in range(10)},  # ０-９
    **{0xFF21 + i: 0x41 + i for i in range(26)},  # Ａ-Ｚ
    **{0xFF41 + i: 0x61 + i for i in range(26)},  # ａ-ｚ
}
_WIDE_COMMAND = {
    **_WIDE_ALNUM,
    **{ord(w): ord(n) for w, n in zip("／－：＠＃．＿＝＋", "/-:@#._=+", strict=True)},
    0x3000: 0x20,  # the ideographic space
}
"""A Chinese keyboard in full-width mode types "／courses", "/enroll ＳＱＬ入门", "第２课",
"/digest 免打扰：22-7": read as their ASCII forms. Outside a command only letters and digits
change, so the Chinese punctuation sentences are matched by is left as typed."""


def _narrow(text: str) -> str:
    head = text.lstrip()
    if head[:1] in {"/", "／"}:
        return head.translate(_WIDE_COMMAND)
    return text.translate(_WIDE_ALNUM)


def _sentence(event: Event, text: str) -> str:
    """What a member wrote in their own words (a message, or /ask's question), not a
    command's arguments ("/enroll SQL入门" is no sign of the member's language)."""
    if isinstance(event, Message) and text[:1] not in ("/", ""):
        return text
    if isinstance(event, Command) and event.name.lower() == "ask":
        return text
    return ""


def sanitize(event: Event) -> Event:
    """Drop control characters (PostgreSQL refuses NUL; none of them mean anything in chat)
    and read full-width letters and digits as ASCII."""
    a = event.actor
    actor = replace(
        a, display_name=_clean(a.display_name), username=_clean(a.username) if a.username else None
    )
    changes: dict[str, Any] = {"actor": actor}
    for field in ("text", "args"):
        value = getattr(event, field, None)
        if isinstance(value, str):
            value = _clean(value)
            changes[field] = value.translate(_WIDE_COMMAND) if field == "args" else _narrow(value)
    return replace(event, **changes)


def _banned(ctx: Context) -> str:
    """What a banned member hears, with the end of a ban for a time."""
    until = ctx.member.banned_until
    if until is None:
        return ctx.t("errors.banned")
    from core.localtime import local_time

    return ctx.t("errors.banned_until", until=local_time(until, ctx.timezone))


def _open_to_banned(event: Event) -> bool:
    if isinstance(event, Command):
        return event.name.lower() in OPEN_TO_BANNED
    if isinstance(event, Message) and event.text.startswith("/"):
        parsed = parse_command(event.text)
        return parsed is not None and parsed[0] in OPEN_TO_BANNED
    if isinstance(event, Message) and event.chat.kind == "private":  # "help" typed alone
        return BARE_WORDS.get(bare_word(event.text)) in OPEN_TO_BANNED
    # confirmation buttons (/forget's among them); the handler re-checks who may confirm what
    return isinstance(event, Button) and event.data.split(":", 1)[0] in PRIVACY_BUTTONS


def infrastructure_failure(exc: BaseException) -> bool:
    """The database or the network under us failed, rather than a handler's own logic.

    Drivers wrap a lost connection differently (asyncpg surfaces a plain DBAPIError caused by
    ConnectionResetError), so the whole cause chain is inspected."""
    kinds = (
        OperationalError,
        InterfaceError,
        SATimeoutError,
        DisconnectionError,
        PendingRollbackError,
        ConnectionError,
        TimeoutError,
    )
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, kinds) or (isinstance(cur, DBAPIError) and cur.connection_invalidated):
            return True
        cur = cur.__cause__ or cur.__context__
    return False


async def _first_delivery(session: AsyncSession, s: Services, event: Event) -> bool:
    """Record the update id; False when this update was already applied (a redelivery).

    One `INSERT ... ON CONFLICT DO NOTHING RETURNING` (no savepoint round trips); the row is
    part of the handler's transaction, so a rolled-back update stays redeliverable."""
    stmt = (
        conflict_insert(session.get_bind().dialect.name, InboundUpdate)
        .values(
            platform=event.actor.platform,
            update_id=str(event.update_id)[:64],
            received_at=s.clock.now(),
        )
        .on_conflict_do_nothing(index_elements=["platform", "update_id"])
        .returning(InboundUpdate.id)
    )
    return (await session.execute(stmt)).first() is not None


async def run_command(ctx: Context, name: str, args: str) -> list[AnyReply]:
    """One command as the member typed it, with its role and private-chat checks."""
    spec = COMMANDS.get(name)
    if spec is None:
        return [unknown_command(ctx, name)]
    spec = spec_for(name, ctx.role) or spec  # /refund from a member: their version
    if ctx.role < spec.role:
        log.warning(
            "denied /%s to %s:%s (role %s)",
            name,
            ctx.event.actor.platform,
            ctx.event.actor.user_id,
            ctx.role.name,
        )
        return [_denied(ctx, name, spec.role)]
    if spec.private_only and ctx.event.chat.kind != "private":
        return [Reply(ctx.t("errors.private_only", name=name))]
    if spec.role >= Role.MODERATOR:  # a Chinese keyboard types the fields' bar full-width
        args = args.replace("｜", "|")
    return list(await spec.handler(ctx, args) or [])


async def plain_text(ctx: Context, text: str, after: int | None = None) -> list[AnyReply]:
    """What a message that is no command gets: the first message handler that takes it
    (only those after priority `after`, for a handler that found the text was not for it),
    else in a private chat a command word alone, else "not understood"."""
    for p in MESSAGE_HANDLERS:
        if after is not None and p.priority <= after:
            continue
        res = await p.handler(ctx, text)
        if res is not None:
            return list(res)
    if ctx.event.chat.kind == "private":
        word = bare_word(text)
        if word in STOP_WORDS:
            return [Reply(ctx.t("errors.stop_what"))]
        if (name := BARE_WORDS.get(word)) in COMMANDS:
            return await run_command(ctx, str(name), "")
        return [Reply(ctx.t("errors.unknown_message"))]
    return []


class Router:
    def __init__(self, services: Services) -> None:
        self.services = services
        load_features()

    def commands_for(self, role: Role) -> list[CommandSpec]:
        seen = (spec_for(name, role) for name in COMMANDS)
        return sorted(
            (c for c in seen if c is not None and not c.hidden), key=lambda c: (c.role, c.name)
        )

    async def dispatch(self, event: Event, *, retryable: bool = False) -> list[AnyReply]:
        """Handle one event; never raises for user mistakes, never leaves half a change.

        With `retryable` (the platform redelivers what we do not acknowledge), a failure of
        our own infrastructure raises `Unavailable` instead of apologising, so the update is
        answered 5xx and comes back; it was rolled back, its update id included."""
        event = sanitize(event)
        s = self.services
        limit = s.settings.max_text_length
        text = getattr(event, "text", None) or getattr(event, "args", None) or ""
        async with s.session_factory() as session:
            try:
                async with session.begin():
                    if event.update_id and not await _first_delivery(session, s, event):
                        log.info("duplicate update %s ignored", event.update_id)
                        metrics.inc(
                            "syllabot_events_total", type=type(event).__name__, outcome="duplicate"
                        )
                        return []
                    member, account = await resolve(
                        session,
                        s.clock,
                        event.actor,
                        event.chat,
                        secret=s.settings.secret_key.get_secret_value(),
                        said=_sentence(event, text),
                    )
                    role = role_for(
                        s,
                        member.role,
                        event.actor.platform,
                        event.actor.user_id,
                        event.actor.is_platform_admin,
                    )
                    ctx = Context(s, session, event, member, account, role)
                    if (
                        member.role == "banned"
                        and role < Role.MODERATOR
                        and not _open_to_banned(event)
                    ):
                        return [Reply(_banned(ctx))]
                    if len(text) > limit:
                        return [Reply(ctx.t("errors.too_long", limit=limit))]
                    out = await hush(
                        session, s.clock.now(), await self._route(ctx, event), member.id
                    )
                    metrics.inc("syllabot_events_total", type=type(event).__name__, outcome="ok")
                    return out
            except DomainError as err:
                metrics.inc("syllabot_events_total", type=type(event).__name__, outcome="refused")
                log.info(
                    "refused %s for %s: %s", type(event).__name__, event.actor.user_id, err.key
                )
                text = await self._translate_for(event, err.key, err.params)
                if err.button is None:
                    return [Reply(text)]
                label = await self._translate_for(event, err.button[0], {})
                return [Reply(text, buttons=[[ButtonSpec(label, url=err.button[1])]])]
            except Exception as exc:
                metrics.inc("syllabot_handler_errors_total", type=type(event).__name__)
                if retryable and infrastructure_failure(exc):
                    log.warning(
                        "update %s not applied, infrastructure failed (%s): left for redelivery",
                        event.update_id,
                        type(exc).__name__,
                    )
                    raise Unavailable(str(event.update_id)) from exc
                log.exception(
                    "handler failed (update %s, %s:%s)",
                    event.update_id,
                    event.actor.platform,
                    event.actor.user_id,
                )
                return [Reply(await self._translate_for(event, "errors.internal", {}))]

    async def _translate_for(self, event: Event, key: str, params: dict[str, Any]) -> str:
        from core.i18n import translate

        locale = event.actor.locale
        try:
            async with self.services.session_factory() as session:
                member, _ = await resolve(
                    session,
                    self.services.clock,
                    event.actor,
                    secret=self.services.settings.secret_key.get_secret_value(),
                )
                locale = member.locale
                await session.rollback()
        except Exception:  # the database may be the thing that failed
            pass
        return translate(locale, key, **params)

    async def _route(self, ctx: Context, event: Event) -> list[AnyReply]:
        if isinstance(event, Command):
            return await run_command(ctx, event.name.lower(), event.args)
        if isinstance(event, Button):
            prefix, parts = ctx.services.signer.decode(event.data)
            entry = BUTTONS.get(prefix)
            if entry is None:
                return [Reply(ctx.t("errors.button_expired"))]
            fn, role = entry
            if ctx.role < role:
                return [Reply(ctx.t(_refusal(role)))]
            return list(await fn(ctx, parts) or [])
        if isinstance(event, Message):
            if event.media and not event.text.strip():
                private = event.chat.kind == "private"
                return [Reply(ctx.t("errors.media_only"))] if private else []
            parsed = parse_command(event.text) if event.text.startswith("/") else None
            if parsed:
                return await run_command(ctx, *parsed)
            return await plain_text(ctx, event.text)
        handler = EVENT_HANDLERS.get(type(event))
        if handler is None:
            log.debug("no handler for %s", type(event).__name__)
            return []
        return list(await handler(ctx, event) or [])

    async def run_start_hooks(self, ctx: Context, args: str) -> list[AnyReply] | None:
        if args:
            cmd, _, arg = args.partition("_")
            spec = COMMANDS.get(cmd.lower())
            if spec is not None and spec.deep_link:
                return await run_command(ctx, spec.name, arg)
        for p in START_HOOKS:
            res = await p.handler(ctx, args)
            if res is not None:
                return list(res)
        return None
