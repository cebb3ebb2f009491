"""/remind WHEN WHAT, /remind (the pending ones, each with a cancel button), and "remind me
on saturday morning to do module 6" said in words."""

from __future__ import annotations

import re
from datetime import datetime

from core.context import Context
from core.ids import parse_id
from core.localtime import local_time
from core.qa import help_answers
from core.reminders import MAX_PENDING, ReminderError, cancel, create, pending, split_request
from core.replies import AnyReply, ButtonSpec, Reply
from core.router import button, command

_ASKED_EN = re.compile(
    r"^(?:(?:hey|hi|ok|okay|thanks|thank you|thx|and|also|oh|pls|please|bot)\W+)*"
    r"(?:(?:can|could|would|will) you (?:please |pls )?|please |pls )?remind me\b\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_ASKED_ZH = re.compile(
    r"^(?:你|请|麻烦)?(?:能不能|可以|可不可以|能否|帮我)?(?:在)?(?P<before>[^，,。？?！!]{0,16}?)"
    r"(?:提醒我|提醒一下我|叫我)(?P<rest>.*)$"
)
_EVERY = re.compile(
    r"\b(?:every|each|daily|weekly|everyday)\b|每天|每周|每晚|每早|天天|每个", re.IGNORECASE
)
"""A repeating reminder is not this (the digest's schedule is the way to that)."""
_TRAIL = re.compile(r"[\s?？!！。.]+$")


async def _set(ctx: Context, at: datetime, said: str) -> list[AnyReply]:
    row = await create(ctx.session, ctx.member, at, _TRAIL.sub("", said), ctx.clock.now())
    words = row.payload.get("said")
    undo = ButtonSpec(ctx.t("reminders.btn_cancel"), data=ctx.sign("rmx", row.id))
    when = local_time(at, ctx.timezone)
    if not words:  # "can you remind me tomorrow at 9?": say how to give it words
        return [Reply(ctx.t("reminders.set_plain", when=when), buttons=[[undo]])]
    return [Reply(ctx.t("reminders.set", when=when, text=words), buttons=[[undo]])]


async def _list(ctx: Context) -> list[AnyReply]:
    rows = await pending(ctx.session, ctx.member.id)
    if not rows:
        return [Reply(ctx.t("reminders.none"))]
    lines = [ctx.t("reminders.header", n=len(rows), most=MAX_PENDING)]
    buttons = []
    for i, r in enumerate(rows, 1):
        said = r.text or ctx.t("reminders.nothing_said")
        lines.append(f"{i}. {local_time(r.at, ctx.timezone)} — {said}")
        buttons.append(
            [ButtonSpec(ctx.t("reminders.btn_cancel_n", n=i), data=ctx.sign("rmx", r.id))]
        )
    lines.append(ctx.t("reminders.list_hint"))
    return [Reply("\n".join(lines), buttons=buttons)]


@command("remind", help_key="help.remind", usage_key="usage.remind", private_only=True)
async def remind_cmd(ctx: Context, args: str) -> list[AnyReply]:
    text = args.strip()
    if not text or text.lower() in ("list", "all", "列表"):
        return await _list(ctx)
    head, _, rest = text.partition(" ")
    if head.lower() in ("cancel", "off", "delete", "remove", "取消", "删除"):
        rows = await pending(ctx.session, ctx.member.id)
        n = parse_id(rest.strip().lstrip("#"))
        if n is None or not 1 <= n <= len(rows):
            return [Reply(ctx.t("reminders.cancel_which", n=len(rows)))]
        await cancel(ctx.session, ctx.member.id, rows[n - 1].id)
        return [Reply(ctx.t("reminders.cancelled", text=rows[n - 1].text or "⏰"))]
    split = split_request(text, ctx.timezone, ctx.clock.now())
    if split is None:
        return [Reply(ctx.t("reminders.when"))]
    return await _set(ctx, *split)


@button("rmx")
async def cancel_button(ctx: Context, parts: list[str]) -> list[AnyReply]:
    row_id = parse_id(parts[0]) if parts else None
    row = await cancel(ctx.session, ctx.member.id, row_id) if row_id is not None else None
    if row is None:  # sent already, cancelled, or not theirs
        return [Reply(ctx.t("reminders.cancel_gone"))]
    return [Reply(ctx.t("reminders.cancelled", text=row.payload.get("said") or "⏰"))]


@help_answers.lookup_first
async def asked_to_remind(ctx: Context, question: str) -> list[AnyReply] | None:
    """ "can you remind me on saturday morning to do module 6": set, in a private chat."""
    if ctx.event.chat.kind != "private" or _EVERY.search(question):
        return None
    if m := _ASKED_EN.match(question.strip()):
        rest = m["rest"]
    elif m := _ASKED_ZH.match(question.strip()):
        rest = f"{m['before']} {m['rest']}".strip()
    else:
        return None
    split = split_request(rest, ctx.timezone, ctx.clock.now())
    if split is None:
        return None  # "remind me how joins work": a question, not a time
    try:
        return await _set(ctx, *split)
    except ReminderError as err:
        return [Reply(ctx.t(err.key, **err.params))]
