"""Onboarding on first /start (skippable, resumable on any platform) and /profile."""

from __future__ import annotations

import re
from typing import Any

import core.profile.said  # noqa: F401  (settings asked for in words)
from core.catalog import topics
from core.catalog.topics import Topics
from core.common import smalltalk
from core.common.suggest import suggestions
from core.context import Context
from core.errors import BadArguments
from core.i18n import LANGUAGE_NAMES
from core.localtime import zone_label
from core.profile import service as svc
from core.profile.service import Refusal
from core.replies import AnyReply, ButtonSpec, Reply
from core.router import (
    BARE_WORDS,
    STOP_WORDS,
    bare_word,
    button,
    command,
    is_aside,
    message_handler,
    plain_text,
    run_command,
    start_hook,
)
from models.profile import Onboarding

ALIASES = {
    "goals": "goals",
    "goal": "goals",
    "interests": "tags",
    "interest": "tags",
    "tags": "tags",
    "topics": "tags",
    "topic": "tags",
    "level": "level",
    "weekly": "weekly",
    "time": "weekly",
    "timezone": "timezone",
    "tz": "timezone",
    "language": "language",
    "digest": "digest",
    "partner": "peer",
    "partners": "peer",
    "peer": "peer",
    "peers": "peer",
    "experts": "experts",
    "expert": "experts",
    "answering": "experts",
    # the labels /profile shows in Chinese ("• 时区：UTC"), as the fields' names
    "目标": "goals",
    "兴趣": "tags",
    "主题": "tags",
    "水平": "level",
    "每周时间": "weekly",
    "时间": "weekly",
    "时区": "timezone",
    "语言": "language",
    "摘要": "digest",
    "学习伙伴": "peer",
    "伙伴": "peer",
    "回答邀请": "experts",
}


def _b(ctx: Context, label: str, *parts: object) -> ButtonSpec:
    return ButtonSpec(label, data=ctx.sign("onb", *parts))


def _duration(ctx: Context, minutes: int) -> str:
    """90 min, 2 hours, 8 小时: whole hours read as hours."""
    if minutes >= 60 and minutes % 60 == 0:
        return ctx.t("profile.hours", n=minutes // 60)
    return ctx.t("profile.minutes", n=minutes)


def _value_label(ctx: Context, step: str, value: Any, names: Topics) -> str:
    if value in (None, "", []) or (step == "weekly" and not value):
        return ctx.t("profile.unset")
    if step == "tags":
        return names.names(value, ctx.locale)
    if step == "level":
        return ctx.t(f"catalog.level_{value}") if value in svc.LEVELS else str(value)
    if step == "weekly":
        return _duration(ctx, int(value))
    if step == "language":
        return LANGUAGE_NAMES.get(value, str(value))
    if step == "digest":  # as a setting reads, not as the interview's answer ("不需要")
        if value == "off":
            return ctx.t("profile.shown_off")
        return ctx.t(f"profile.digest_{value}") if value in svc.DIGESTS else str(value)
    if step in svc.YES_NO:
        return ctx.t("profile.shown_yes" if value else "profile.shown_no")
    if step == "timezone":
        return zone_label(str(value))
    return str(value)


async def question(ctx: Context, row: Onboarding) -> Reply:
    """The current question with its answer buttons and the skip / later controls."""
    step = row.step
    head = (
        ""
        if row.single
        else ctx.t("profile.progress", n=svc.STEPS.index(step) + 1, total=len(svc.STEPS))
    )
    text = head + ctx.t(f"profile.q_{step}")
    rows: list[list[ButtonSpec]] = []
    if step == "tags":
        offered: list[str] = list(row.answers.get("_offered", []))
        picked = set(row.answers.get("_picked", []))
        names = await topics.load(ctx.session)
        btns = [
            _b(ctx, ("✓ " if t in picked else "") + names.name(t, ctx.locale), "t", step, i)
            for i, t in enumerate(offered)
        ]
        rows += [btns[i : i + 3] for i in range(0, len(btns), 3)]
        if offered:
            rows.append([_b(ctx, ctx.t("profile.btn_tags_done"), "d", step)])
        else:
            text += "\n" + ctx.t("profile.no_tags_yet")
    elif step == "level":
        rows.append([_b(ctx, ctx.t(f"catalog.level_{lv}"), "a", step, lv) for lv in svc.LEVELS])
    elif step == "weekly":
        rows.append([_b(ctx, _duration(ctx, m), "a", step, m) for m in svc.WEEKLY_CHOICES])
    elif step == "timezone":
        btns = [_b(ctx, tz, "a", step, i) for i, tz in enumerate(svc.TIMEZONES)]
        rows += [btns[i : i + 3] for i in range(0, len(btns), 3)]
    elif step == "language":
        rows.append([_b(ctx, label, "a", step, code) for code, label in LANGUAGE_NAMES.items()])
    elif step == "digest":
        rows.append([_b(ctx, ctx.t(f"profile.digest_{d}"), "a", step, d) for d in svc.DIGESTS])
    elif step in svc.YES_NO:
        rows.append(
            [
                _b(ctx, ctx.t("profile.yes"), "a", step, "yes"),
                _b(ctx, ctx.t("profile.no"), "a", step, "no"),
            ]
        )
    if row.single:
        rows.append([_b(ctx, ctx.t("profile.btn_cancel"), "p", step)])
    else:
        rows.append(
            [
                _b(ctx, ctx.t("profile.btn_skip"), "k", step),
                _b(ctx, ctx.t("profile.btn_later"), "p", step),
            ]
        )
    return Reply(text, buttons=rows)


async def summary(ctx: Context) -> str:
    m = ctx.member
    values = {
        "goals": m.goals,
        "tags": m.tags,
        "level": m.level,
        "weekly": m.weekly_minutes,
        "timezone": m.timezone,
        "language": m.locale,
        "digest": m.digest_frequency,
        "peer": m.peer_opt_in,
        "experts": not m.expert_opt_out,
    }
    lines = [ctx.t("profile.header")]
    lines.append(
        ctx.t("profile.field_line", label=ctx.t("profile.label_name"), value=m.display_name)
    )
    names = await topics.load(ctx.session)
    for step in svc.FIELDS:
        value = _value_label(ctx, step, values[step], names)
        label = ctx.t("profile.label_" + step)
        lines.append(ctx.t("profile.field_line", label=label, value=value))
    return "\n".join(lines)


async def _profile_reply(ctx: Context) -> Reply:
    btns = [_b(ctx, ctx.t("profile.label_" + s), "e", s) for s in svc.FIELDS]
    rows = [btns[i : i + 3] for i in range(0, len(btns), 3)]
    rows.append([_b(ctx, ctx.t("profile.btn_redo"), "r", "goals")])
    # goals, level, time zone: the member's own, not for a whole group to read
    return Reply(
        await summary(ctx) + "\n" + ctx.t("profile.edit_hint"), buttons=rows, ephemeral=True
    )


async def _after_answer(ctx: Context, row: Onboarding) -> list[AnyReply]:
    single = row.single
    await svc.advance(ctx.session, row, ctx.clock.now())
    if row.status == "done":
        if single:
            return [Reply(ctx.t("profile.saved")), await _profile_reply(ctx)]
        done = Reply(ctx.t("profile.finished") + "\n\n" + await summary(ctx))
        return [done, *await suggestions(ctx)]  # the answers put to use at once
    return [await question(ctx, row)]


async def _answer(ctx: Context, row: Onboarding, text: str) -> list[AnyReply]:
    offered = list(row.answers.get("_offered", []))
    names = await topics.load(ctx.session) if row.step == "tags" else None
    if names is not None:
        offered = _typable(offered, names)
    try:
        value = svc.parse_answer(row.step, text, offered, names, ctx.locale)
    except Refusal as r:
        return [Reply(ctx.t(f"profile.{r.key}", **r.params)), await question(ctx, row)]
    note: list[AnyReply] = []
    if row.step == "tags" and names is not None:
        # typed after tapping some: the taps count too
        value = list(dict.fromkeys([*row.answers.get("_picked", []), *value]))[: svc.TAGS_MAX]
        note = _not_known(ctx, text, offered, names)
    svc.record_answer(row, ctx.member, row.step, value)
    return [*note, *await _after_answer(ctx, row)]


def _typable(offered: list[str], names: topics.Topics) -> list[str]:
    """A typed topic may be any of the community's topics, not only the dozen with buttons."""
    return [*offered, *(t for t in names.titles if t not in offered)]


def _not_known(ctx: Context, text: str, offered: list[str], names: topics.Topics) -> list[AnyReply]:
    said = svc.tags_not_known(text, offered, names, ctx.locale)
    return [] if said is None else [Reply(ctx.t("profile.tags_not_known", **said))]


@start_hook(priority=20)
async def onboarding_on_start(ctx: Context, args: str) -> list[AnyReply] | None:
    """First /start in a private chat begins the interview; an unfinished one resumes."""
    if args or ctx.event.chat.kind != "private":
        return None
    row = await svc.state_of(ctx.session, ctx.member.id)
    if row is None:
        if ctx.member.goals or ctx.member.tags:  # a profile from an import: nothing to ask
            return None
        row = await svc.begin(ctx.session, ctx.member.id, ctx.clock.now())
        intro = ctx.t(
            "profile.intro", name=ctx.member.display_name, community=ctx.settings.community_name
        )
        return [Reply(intro), await question(ctx, row)]
    if row.status == "active":
        return [Reply(ctx.t("profile.resume")), await question(ctx, row)]
    if row.status == "paused" and not row.single and row.step in svc.STEPS:
        # paused with "Later": not asked again unprompted, but one tap away
        welcome = ctx.t(
            "common.welcome", name=ctx.member.display_name, community=ctx.settings.community_name
        )
        n = svc.STEPS.index(row.step) + 1
        label = ctx.t("profile.btn_continue", n=n, total=len(svc.STEPS))
        return [Reply(welcome, buttons=[[_b(ctx, label, "c", row.step)]])]
    return None


_TEXT_PRIORITY = 10
_ABOUT_ONESELF = re.compile(r"\b(i|i'm|i’m|i've|me|my)\b|我", re.IGNORECASE)
SKIP_WORDS = {"skip", "pass", "skip it", "skip this", "skip this one", "next question"}
SKIP_WORDS |= {"跳过", "略过", "下一个", "下一题"}
LATER_WORDS = {"later", "not now", "pause", "stop", "quit", "exit", "cancel", "maybe later"}
LATER_WORDS |= {"稍后", "以后再说", "等会儿", "暂停", "停止", "退出", "取消"}
"""Typed like the question's own ⏭ Skip and ⏸ Later buttons (Later: Cancel when /profile
asks for one field)."""
_NOT_ANSWERS = frozenset(SKIP_WORDS | LATER_WORDS | BARE_WORDS.keys() | STOP_WORDS)
"""Words alone that are no answer unless the question takes them ("stop" for digests)."""


@message_handler(priority=_TEXT_PRIORITY)
async def onboarding_text(ctx: Context, text: str) -> list[AnyReply] | None:
    """Typed answers while a question is open (private chats only; otherwise pass).
    A question, or a command word alone, is not taken for an answer: it is answered as
    anywhere else and the open question asked again."""
    if ctx.event.chat.kind != "private":
        return None
    row = await svc.state_of(ctx.session, ctx.member.id)
    if row is None or row.status != "active":
        return None
    # "what does intermediate mean?" names no level; a pasted code is no goal
    if (asked := smalltalk.is_question(text)) or is_aside(text):
        return await _aside(ctx, row, text, asked)
    word = bare_word(text)
    if word not in _NOT_ANSWERS or _accepts(ctx, row, text):
        return await _answer(ctx, row, text)
    if word in SKIP_WORDS and not row.single:  # one field of /profile has Cancel, no Skip
        return await _after_answer(ctx, row)
    if word in SKIP_WORDS or word in LATER_WORDS:
        return [_pause(ctx, row)]
    return await _aside(ctx, row, text, False)  # "help"; "unsubscribe": what it can stop


def _accepts(ctx: Context, row: Onboarding, text: str) -> bool:
    """Whether a closed question takes the word as its answer ("stop" for digests)."""
    if row.step in ("goals", "tags"):
        return False
    try:
        svc.parse_answer(row.step, text, [], None, ctx.locale)
    except Refusal:
        return False
    return True


async def _aside(ctx: Context, row: Onboarding, text: str, asked: bool) -> list[AnyReply]:
    """Answered as the message would be outside the interview, then the open question
    again; nothing is recorded. A question (``asked``) typed for the goal can still be
    kept as it."""
    if bare_word(text) in ("start", "开始"):  # /start resumes the interview by itself
        return await run_command(ctx, "start", "")
    out = await plain_text(ctx, text, after=_TEXT_PRIORITY)
    now = await svc.state_of(ctx.session, ctx.member.id)  # the aside may have moved it on
    if now is None or now.status != "active":
        return out
    row = now
    again = await question(ctx, row)
    buttons = again.buttons
    # "How do I become a data analyst?" may be the goal; "how much is it?" is not
    goal_like = asked and len(text.strip()) <= svc.GOALS_MAX and _ABOUT_ONESELF.search(text)
    if row.step == "goals" and not row.single and goal_like:
        row.answers = dict(row.answers, _asked=text.strip())
        keep = [_b(ctx, ctx.t("profile.btn_goal_asked"), "g", "goals")]
        buttons = [keep, *buttons]
    return [*out, Reply(ctx.t("profile.back") + "\n" + again.text, buttons=buttons)]


def _pause(ctx: Context, row: Onboarding) -> Reply:
    """Later: the interview waits for /profile setup or Continue; a single field is left."""
    single = row.single
    row.status = "done" if single else "paused"
    row.single = False
    row.updated_at = ctx.clock.now()
    return Reply(ctx.t("profile.cancelled" if single else "profile.paused"))


@button("onb")
async def onboarding_button(ctx: Context, parts: list[str]) -> list[AnyReply]:
    action, step = (parts + ["", ""])[:2]
    if step not in svc.FIELDS or (step not in svc.STEPS and action not in ("e", "a", "p")):
        return [Reply(ctx.t("errors.button_expired"))]
    now = ctx.clock.now()
    if action in ("e", "r"):
        fresh = await svc.begin(
            ctx.session,
            ctx.member.id,
            now,
            step=step if action == "e" else "goals",
            single=action == "e",
        )
        return [await question(ctx, fresh)]
    row = await svc.state_of(ctx.session, ctx.member.id)
    if action == "c" and row is not None and row.status == "paused" and row.step == step:
        row.status, row.updated_at = "active", now
        return [Reply(ctx.t("profile.resume")), await question(ctx, row)]
    if row is None or row.status != "active" or row.step != step:
        out: list[AnyReply] = [Reply(ctx.t("profile.stale"))]
        if row is not None and row.status == "active":
            out.append(await question(ctx, row))
        return out
    if action == "p":
        return [_pause(ctx, row)]
    if action == "k":
        return await _after_answer(ctx, row)
    if action == "g":  # the question typed for the goal, kept as the goal
        asked = str(row.answers.get("_asked", ""))
        return await _answer(ctx, row, asked) if asked else [Reply(ctx.t("errors.button_expired"))]
    if action == "t" and len(parts) > 2 and parts[2].isdecimal():
        offered = list(row.answers.get("_offered", []))
        i = int(parts[2])
        if i >= len(offered):
            return [Reply(ctx.t("errors.button_expired"))]
        picked = list(row.answers.get("_picked", []))
        tag = offered[i]
        if tag in picked:
            picked.remove(tag)
        elif len(picked) >= svc.TAGS_MAX:
            return [
                Reply(ctx.t("profile.tags_too_many", limit=svc.TAGS_MAX)),
                await question(ctx, row),
            ]
        else:
            picked.append(tag)
        row.answers = dict(row.answers, _picked=picked)
        row.updated_at = now
        return [await question(ctx, row)]
    if action == "d":
        picked = list(row.answers.get("_picked", []))
        svc.record_answer(row, ctx.member, "tags", picked)
        return await _after_answer(ctx, row)
    if action == "a" and len(parts) > 2:
        raw = parts[2]
        if step == "timezone":
            raw = (
                svc.TIMEZONES[int(raw)] if raw.isdecimal() and int(raw) < len(svc.TIMEZONES) else ""
            )
        return await _answer(ctx, row, raw)
    return [Reply(ctx.t("errors.button_expired"))]


@command("profile", help_key="help.profile", usage_key="usage.profile")
async def profile(ctx: Context, args: str) -> list[AnyReply]:
    word, _, rest = args.strip().partition(" ")
    word = word.lower()
    if word in ("set", "change", "edit", "update") and rest.strip():
        # "/profile set interests ml, statistics": the field follows
        word, _, rest = rest.strip().partition(" ")
        word = word.lower()
    now = ctx.clock.now()
    if not word:
        return [await _profile_reply(ctx)]
    if word in ("setup", "redo", "interview", "重新填写", "填写", "设置"):
        row = await svc.state_of(ctx.session, ctx.member.id)
        if row is not None and row.status in ("active", "paused") and not row.single:
            row.status, row.updated_at = "active", now
            return [Reply(ctx.t("profile.resume")), await question(ctx, row)]
        row = await svc.begin(ctx.session, ctx.member.id, now)
        return [await question(ctx, row)]
    if word in NAME_WORDS:
        return await _rename(ctx, rest)
    step = ALIASES.get(word)
    if step is None:
        raise BadArguments("errors.usage", usage=ctx.t("usage.profile"))
    if not rest.strip():
        row = await svc.begin(ctx.session, ctx.member.id, now, step=step, single=True)
        return [await question(ctx, row)]
    offered = await svc.offered_tags(ctx.session) if step == "tags" else []
    names = await topics.load(ctx.session) if step == "tags" else None
    if names is not None:
        offered = _typable(offered, names)
    how, _, listed = rest.strip().partition(" ")
    change = TAG_CHANGES.get(how.lower()) if step == "tags" and listed.strip() else None
    typed = listed if change else rest
    try:
        value = svc.parse_answer(step, typed, offered, names, ctx.locale)
    except Refusal as r:
        return [Reply(ctx.t(f"profile.{r.key}", **r.params))]
    note: list[AnyReply] = []
    if step == "tags" and names is not None:
        mine = list(ctx.member.tags or [])
        if change == "add":
            value = list(dict.fromkeys([*mine, *value]))
            if len(value) > svc.TAGS_MAX:
                return [Reply(ctx.t("profile.tags_too_many", limit=svc.TAGS_MAX))]
        elif change == "remove":
            value = [t for t in mine if t not in value]
        note = _not_known(ctx, typed, offered, names)
    svc.apply_answer(ctx.member, step, value)
    return [Reply(ctx.t("profile.saved")), *note, await _profile_reply(ctx)]


NAME_WORDS = {"name", "nickname", "displayname", "display-name", "名字", "昵称", "名称"}


async def _rename(ctx: Context, typed: str) -> list[AnyReply]:
    try:
        name = svc.check_name(typed)
    except Refusal as r:
        return [Reply(ctx.t(f"profile.{r.key}", **r.params))]
    ctx.member.display_name = name
    return [Reply(ctx.t("profile.name_saved", name=name)), await _profile_reply(ctx)]


TAG_CHANGES = {
    "add": "add",
    "+": "add",
    "加": "add",
    "添加": "add",
    "remove": "remove",
    "delete": "remove",
    "drop": "remove",
    "-": "remove",
    "删除": "remove",
    "去掉": "remove",
}
"""`/profile interests add docker` keeps the topics already chosen (a plain list replaces them)."""
