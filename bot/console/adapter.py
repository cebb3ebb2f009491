"""The console platform: a terminal (or a script) chatting with the same router as production."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot.render import split
from core.clock import FrozenClock
from core.digest.jobs import WATCHING
from core.events import (
    MAX_UPLOAD_BYTES,
    Actor,
    Button,
    Chat,
    Command,
    Event,
    Message,
    ThreadOpened,
    Upload,
)
from core.jobs import run_all
from core.replies import (
    AnswerPreCheckout,
    AnyReply,
    ApproveJoin,
    ButtonSpec,
    CloseThread,
    DeleteMessage,
    Document,
    Invite,
    Invoice,
    Kick,
    MemberTag,
    OpenThread,
    Photo,
    RefundStars,
    Reply,
    StopStarSubscription,
    SubscriptionInvite,
)
from core.router import COMMANDS, Router, parse_command
from models.member import Member
from models.qa import Thread

PLATFORM = "console"
_CLOCK_RE = re.compile(r"^\+?(\d+)\s*([dhm])$")
_FILE_RE = re.compile(r"^(.*?)\s*<\s*(\S.*)$", re.S)
_IN_RE = re.compile(r"^#?(\d{1,9})\s+(.+)$", re.S)
FORUM = "forum"
"""The console's one forum: a discussion thread N is its topic N (the question's id)."""


class _NoFile(Exception):
    """``/kb import < PATH`` named a file that is not there."""


@dataclass
class ConsoleAdapter:
    """Errbot-style text backend. Meta commands: /as NAME, /press N, /clock +3d|+5h, /tick,
    /in N TEXT (say TEXT, or run a command, inside discussion thread N)."""

    router: Router
    user: str = "guest"
    out_dir: Path = Path("./var/console")
    buttons: dict[str, list[ButtonSpec]] = field(default_factory=dict)
    _seq: int = 0
    _run: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def actor(self) -> Actor:
        return Actor(PLATFORM, self.user, display_name=self.user.capitalize(), username=self.user)

    def chat(self) -> Chat:
        return Chat(PLATFORM, self.user, "private")

    def _update_id(self) -> str:
        self._seq += 1
        return f"console-{self._run}-{self._seq}"

    async def handle_line(self, line: str) -> list[str]:
        line = line.rstrip("\r\n")
        if not line.strip():
            return []
        parsed = parse_command(line) if line.startswith("/") else None
        if parsed:
            meta = await self._meta(*parsed)
            if meta is not None:
                return meta
        return await self._say(line, self.chat())

    async def _say(self, line: str, chat: Chat) -> list[str]:
        """Dispatch a typed line in ``chat`` and render the replies."""
        try:
            event = self._said(line, chat)
        except _NoFile as missing:
            return [f"(console) no file {missing}"]
        return await self.render(await self.router.dispatch(event))

    def _said(self, line: str, chat: Chat) -> Event:
        """A typed line as the event a platform would deliver: a command or a message.
        ``/kb import < faq.csv`` sends the local file with the command, as a Telegram
        document captioned with it or a Discord attachment would."""
        parsed = parse_command(line) if line.startswith("/") else None
        if parsed:
            name, args = parsed
            upload, too_large = None, ""
            spec = COMMANDS.get(name.lower())
            if spec is not None and spec.uploads and (m := _FILE_RE.match(args)):
                args, path = m.group(1).strip(), Path(m.group(2).strip()).expanduser()
                if not path.is_file():
                    raise _NoFile(str(path))
                if path.stat().st_size > MAX_UPLOAD_BYTES:
                    too_large = path.name
                else:
                    upload = Upload(path.name, path.read_bytes())
            return Command(
                self.actor(),
                chat,
                self._update_id(),
                name=name,
                args=args,
                upload=upload,
                too_large=too_large,
            )
        return Message(self.actor(), chat, self._update_id(), text=line)

    async def _meta(self, name: str, args: str) -> list[str] | None:
        if name == "as":
            who = args.strip().lstrip("@").lower()
            if not re.fullmatch(r"[a-z0-9_]{1,32}", who):
                return ["(console) usage: /as NAME   e.g. /as alice, /as mod"]
            self.user = who
            self.router.services.extras[WATCHING] = who  # their digests are printed first
            return [f"(console) you are now @{who}"]
        if name == "in":
            m = _IN_RE.match(args.strip())
            if not m:
                return [
                    "(console) usage: /in N TEXT   e.g. /in 11 Try pyvisa   or   /in 11 /solved"
                ]
            if not await self._thread_exists(m.group(1)):
                return [f"(console) there is no discussion thread #{m.group(1)}"]
            return await self._say(m.group(2), Chat(PLATFORM, FORUM, "forum", thread_id=m.group(1)))
        if name == "press":
            btns = self.buttons.get(self.user, [])
            if not args.strip().isdecimal() or not (1 <= int(args) <= len(btns)):
                return [f"(console) usage: /press N  (1..{len(btns)} for the last buttons)"]
            spec = btns[int(args) - 1]
            if spec.url and not spec.data:
                return [f"(console) opens {spec.url}"]
            event = Button(self.actor(), self.chat(), self._update_id(), data=spec.data or "")
            return await self.render(await self.router.dispatch(event))
        if name in {"clock", "tick"}:
            clock = self.router.services.clock
            if not isinstance(clock, FrozenClock):
                return ["(console) the clock can only be moved in the demo"]
            if name == "clock":
                m = _CLOCK_RE.match(args.strip())
                if not m:
                    return [
                        f"(console) now {clock.now():%Y-%m-%d %H:%M} UTC; usage: /clock +3d|+5h|+30m"
                    ]
                n, unit = int(m.group(1)), m.group(2)
                clock.advance(timedelta(**{{"d": "days", "h": "hours", "m": "minutes"}[unit]: n}))
            lines = [f"(console) clock: {clock.now():%Y-%m-%d %H:%M} UTC"]
            lines += await self.render(await run_all(self.router.services))
            return lines
        return None

    async def _name(self, member_id: int) -> str:
        async with self.router.services.session_factory() as s:
            m = await s.get(Member, member_id)
            if m is None:
                return f"#{member_id}"
            acc = next((a for a in m.accounts if a.platform == PLATFORM), None)
            return f"@{acc.username}" if acc and acc.username else m.display_name

    async def _thread_exists(self, ref: str) -> bool:
        async with self.router.services.session_factory() as s:
            found = await s.execute(
                select(Thread.id)
                .where(
                    Thread.platform == PLATFORM, Thread.chat_id == FORUM, Thread.thread_ref == ref
                )
                .limit(1)
            )
            return found.scalar_one_or_none() is not None

    async def _opened(self, r: OpenThread) -> list[str]:
        """Open the thread in the console's forum and tell core where it is, as the Telegram
        and Discord adapters do once the platform has made it."""
        ref = str(r.question_id)
        event = ThreadOpened(
            self.actor(),
            Chat(PLATFORM, FORUM, "forum", thread_id=ref),
            self._update_id(),
            question_id=r.question_id,
            thread_ref=ref,
        )
        more = await self.router.dispatch(event)
        return await self.render([x for x in more if not isinstance(x, OpenThread)])

    async def render(self, replies: list[AnyReply]) -> list[str]:
        lines: list[str] = []
        for r in replies:
            if isinstance(r, Reply):
                prefix = ""
                if r.member_id is not None:
                    hushed = " 🔕 (quiet hours: no sound)" if r.silent else ""
                    prefix = f"📨 to {await self._name(r.member_id)}{hushed}: "
                elif r.to is not None and r.to.chat_id == FORUM and r.to.thread_id:
                    prefix = f"🧵 in thread #{r.to.thread_id}: "
                elif r.to is not None and r.to.chat_id != self.user:
                    prefix = f"📢 to {r.to.chat_id}: "
                for part in split(PLATFORM, r.text):
                    lines.append(prefix + part)
                if r.chat_note and r.member_id is not None:
                    lines.append(r.chat_note)
                flat = [b for row in r.buttons for b in row]
                if flat:
                    owner = self.user
                    if r.member_id is not None:  # a pushed message: its buttons are theirs
                        owner = (await self._name(r.member_id)).lstrip("@")
                    if not prefix or r.member_id is not None:
                        self.buttons[owner] = flat
                    lines.append(
                        "  "
                        + "  ".join(f"[{i}] {b.label}" for i, b in enumerate(flat, 1))
                        + ("   (/press N)" if not prefix else f"   (/as {owner}, /press N)")
                    )
            elif isinstance(r, Invite):
                where = f"role {r.role} in {r.target}" if r.role else r.target
                lines.append(f"🔑 invite for {await self._name(r.member_id)}: {where}")
            elif isinstance(r, Kick):
                lines.append(f"🚪 removed {await self._name(r.member_id)} from {r.target}")
            elif isinstance(r, ApproveJoin):
                lines.append(
                    f"{'✅ approved' if r.approve else '⛔ declined'} join of {r.platform_user_id}"
                )
            elif isinstance(r, OpenThread):
                n = r.question_id
                lines.append(f"🧵 new thread #{n}: {r.title} {' '.join('#' + t for t in r.tags)}")
                lines.append(f"   {r.text}")
                for mid in r.mention_member_ids:
                    lines.append(f"   ↳ invited {await self._name(mid)}")
                lines.append(f"   (post in it: /in {n} TEXT; the asker closes it: /in {n} /solved)")
                lines += await self._opened(r)
            elif isinstance(r, CloseThread):
                lines.append(f"🧵 thread #{r.where.thread_id} renamed “{r.title}”")
            elif isinstance(r, Invoice):
                amount = r.amount if r.currency == "XTR" else f"{r.amount / 100:.2f}"
                lines.append(f"🧾 invoice: {r.title} — {amount} {r.currency}")
                if r.url:
                    lines.append(f"   pay at {r.url}")
            elif isinstance(r, (Photo, Document)):
                self.out_dir.mkdir(parents=True, exist_ok=True)
                path = self.out_dir / r.filename
                path.write_bytes(r.data)
                lines.append(f"📎 {r.caption} → {path}")
            elif isinstance(r, AnswerPreCheckout):
                lines.append(f"(pre-checkout {'ok' if r.ok else 'refused: ' + (r.error or '')})")
            elif isinstance(r, RefundStars):
                lines.append(f"💸 refund of {r.charge_id}")
            elif isinstance(r, MemberTag):
                who = await self._name(r.member_id)
                if r.tag:
                    lines.append(f"🏷 tag “{r.tag}” for {who} in {r.target}")
                else:
                    lines.append(f"🏷 tag cleared for {who} in {r.target}")
            elif isinstance(r, SubscriptionInvite):
                days = r.period_s // 86400
                lines.append(
                    f"🔑 subscription link for {await self._name(r.member_id)}: {r.target}"
                    f" — {r.price} XTR every {days} days"
                )
            elif isinstance(r, StopStarSubscription):
                verb = "stopped" if r.stop else "resumed"
                lines.append(f"⏹ Stars subscription renewal {verb} ({r.charge_id})")
            elif isinstance(r, DeleteMessage):
                lines.append(f"🗑 message {r.message_ref} deleted in {r.where.chat_id}")
        return lines
