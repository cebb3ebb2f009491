"""Members asking about the messages the bot sends them, in their own words.

"why am i getting so many messages from you", "how do i turn off the event reminders? i
don't go to live stuff anyway" and "现在我的通知设置是什么样的" opened public threads, and the
last was told about /events. A question gets the member's /settings, led by the switch for
what it names; a plain request to stop one kind ("别再给我发‘你已经3天没学习了’这种提醒了",
"stop sending me level up messages") is done at once, with a button to undo it.

The digest alone ("how do I stop the digest?") keeps its own answer; quiet hours too."""

from __future__ import annotations

import re

from core.context import Context
from core.notifications import Kind, wants
from core.notifications.switches import switch, view
from core.qa import help_answers
from core.qa.help_intents import names_a_tool
from core.replies import AnyReply, ButtonSpec, Reply

_MESSAGES = r"(?:messages?|notifications?|notifs?|pings?|reminders?|alerts?|dms?|nudges?)"
_ASKED = re.compile(
    rf"\b(?:so many|too many|lots of|a lot of|constant|all these|all the|\d+) {_MESSAGES}\b"
    rf"|\bnotifications? (?:settings?|preferences?|options)\b|\bmy notifications?\b"
    r"|\b(?:what|how) (?:do )?my settings (?:look|are)\b|\b(?:show|confirm|check) (?:me )?my "
    r"settings\b|我的设置"
    rf"|\b(?:turn|switch|shut) (?:\w+ ){{0,4}}off\b[^.?!]{{0,20}}\b{_MESSAGES}"
    rf"|\b(?:turn|switch|shut) off\b[^.?!]{{0,30}}\b(?:{_MESSAGES}|level.?ups?|streak)"
    rf"|\b(?:stop|mute|disable|silence|unsubscribe(?: me)? from)\b[^.?!]{{0,30}}"
    rf"\b(?:{_MESSAGES}|level.?ups?|streak (?:messages|reminders))"
    r"|\bwhy (?:am i|do i keep|do you keep|are you|do you)\b[^.?!]{0,20}\b(?:getting|sending|"
    r"messag\w*|ping\w*|notif\w*|spam\w*)\b(?=[^.?!]{0,30}\b(?:from you|me|messages?|so many)\b)"
    r"|通知设置|消息设置|提醒设置|(?:关闭|关掉|取消|不要|别再?|停止|不想收到?)[^。？！?!]{0,16}(?:通知|提醒|消息)"
    r"|(?:消息|通知|提醒)(?:太多|好多|这么多)|(?:怎么|为什么|为啥)(?:还在|老是|一直|总是|还)"
    r"(?:收到|给我发)",
    re.IGNORECASE,
)
_KIND_WORDS: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    (
        "streak",
        re.compile(
            r"\bstreak|\bnudges?\b|haven'?t (?:studied|learned)|没(?:有)?学习|没学|连续|打卡",
            re.IGNORECASE,
        ),
    ),
    ("levels", re.compile(r"\blevel.?ups?\b|\blevels?\b|升级|等级", re.IGNORECASE)),
    (
        "events",
        re.compile(
            r"\bevents?\b|\bworkshops?\b|\blive (?:sessions?|stuff|events?)|活动|直播",
            re.IGNORECASE,
        ),
    ),
    (
        "invites",
        re.compile(r"\binvit\w*|\btag(?:ging)? me\b|answer requests|邀请", re.IGNORECASE),
    ),
)
_ASKING = re.compile(
    r"\b(?:how|can|could|where|what|why|is there|do i|does)\b|怎么|怎样|如何|能不能|可以|能否|哪里|什么|吗|[?？]",
    re.IGNORECASE,
)
_TELLING = re.compile(
    r"^\s*(?:please |pls |and |also |ok |还有[，,]?\s*)?(?:stop|no more|don'?t send|do not send|"
    r"mute|turn off|别再?|不要再?|停止|关掉|关闭)",
    re.IGNORECASE,
)


_NOT_OURS = re.compile(
    r"\b(?:warnings?|errors?|logs?|logging|console|print\w*|exceptions?|output|terminal|"
    r"commits?|emails? from|slack|whatsapp)\b|报错|警告|日志|输出",
    re.IGNORECASE,
)
"""A program's or another app's messages: "how do I stop a pandas warning message"."""
_LEADERBOARD = re.compile(r"\bleaderboard|排行榜|排名", re.IGNORECASE)


def named_kinds(text: str) -> list[Kind]:
    return [k for k, rx in _KIND_WORDS if rx.search(text)]


@help_answers.lookup_first
async def asked_about_messages(ctx: Context, question: str) -> list[AnyReply] | None:
    if ctx.event.chat.kind != "private" or not _ASKED.search(question):
        return None
    if _NOT_OURS.search(question) or names_a_tool(question):
        return None
    kinds = named_kinds(question)
    if kinds and _TELLING.search(question) and not _ASKING.search(question.split("，")[0]):
        done = await switch(ctx, tuple(kinds), False)
        undo = [
            ButtonSpec(
                ctx.t("notify.btn_on", what=ctx.t(f"notify.short_{k}")), ctx.sign("nset", k, "1")
            )
            for k in kinds
        ]
        return [Reply(ctx.t("notify.undo", done=done), buttons=[undo])]
    if not kinds and _LEADERBOARD.search(question):  # the group's weekly post, not a DM
        return [view(ctx, ctx.t("notify.asked_leaderboard"))]
    if len(kinds) == 1 and wants(ctx.member, kinds[0]):
        what = ctx.t(f"notify.short_{kinds[0]}")
        return [view(ctx, ctx.t("notify.asked_one", what=what, kind=kinds[0]))]
    return [view(ctx, ctx.t("notify.asked"))]
